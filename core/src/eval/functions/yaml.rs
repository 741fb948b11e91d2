//! yamlencode as Terraform writes it (go-yaml v3, two-space indent): every string and key
//! double-quoted, multi-line strings as literal blocks, sequences not indented under their
//! key, empty collections as `{}` and `[]`.

use crate::value::{format_number, Value};

/// A double-quoted YAML scalar (JSON's escaping is valid YAML double-quoted style).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null | Value::Unknown => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::String(s) if !s.contains('\n') => quoted(s),
        Value::Sensitive(inner) => return scalar(inner),
        _ => return None,
    })
}

/// A literal block for a multi-line string, its lines at `indent`.
fn literal(s: &str, indent: usize) -> String {
    let chomp = if s.ends_with('\n') { "|" } else { "|-" };
    let pad = " ".repeat(indent);
    let mut out = chomp.to_string();
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn is_empty_collection(v: &Value) -> Option<&'static str> {
    match v {
        Value::Map(m) if m.is_empty() => Some("{}"),
        Value::List(l) | Value::Set(l) if l.is_empty() => Some("[]"),
        _ => None,
    }
}

/// Writes `v` as the value after `key:` or `- `, at nesting `indent`.
fn node(v: &Value, indent: usize, out: &mut String, inline: bool) {
    let v = match v {
        Value::Sensitive(inner) => inner,
        other => other,
    };
    if let Some(s) = scalar(v) {
        out.push_str(&s);
        out.push('\n');
        return;
    }
    if let Some(e) = is_empty_collection(v) {
        out.push_str(e);
        out.push('\n');
        return;
    }
    match v {
        Value::String(s) => {
            out.push_str(&literal(s, indent.max(2)));
            out.push('\n');
        }
        Value::Map(m) => {
            let pad = " ".repeat(indent);
            for (i, (k, val)) in m.iter().enumerate() {
                if !(inline && i == 0) {
                    out.push_str(&pad);
                }
                out.push_str(&quoted(k));
                out.push(':');
                entry(val, indent, out);
            }
        }
        Value::List(items) | Value::Set(items) => {
            let pad = " ".repeat(indent);
            for (i, item) in items.iter().enumerate() {
                if !(inline && i == 0) {
                    out.push_str(&pad);
                }
                out.push_str("- ");
                node(item, indent + 2, out, true);
            }
        }
        _ => out.push('\n'),
    }
}

/// The value of a mapping entry: on the same line when scalar, else on the next lines.
fn entry(v: &Value, indent: usize, out: &mut String) {
    let v = match v {
        Value::Sensitive(inner) => inner,
        other => other,
    };
    match v {
        Value::Map(m) if !m.is_empty() => {
            out.push('\n');
            node(v, indent + 2, out, false);
        }
        Value::List(l) | Value::Set(l) if !l.is_empty() => {
            out.push('\n');
            node(v, indent, out, false);
        }
        Value::String(s) if s.contains('\n') => {
            out.push(' ');
            out.push_str(&literal(s, indent + 2));
            out.push('\n');
        }
        _ => {
            out.push(' ');
            node(v, indent, out, true);
        }
    }
}

pub(super) fn encode(v: &Value) -> String {
    let mut out = String::new();
    node(v, 0, &mut out, false);
    out
}
