//! Attribute-level diffs and values, laid out as Terraform lays them out: one element per
//! line in collections, symbols in a column, `# (N unchanged … hidden)` counts.

use super::Style;
use gantry_core::provider::{BlockSchema, Nesting};
use gantry_core::value::{format_number, Map, Path, PathStep, Value};
use std::fmt::Write;

pub(super) fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Strings holding JSON objects or arrays compare by structure.
fn json_of(v: &Value) -> Option<serde_json::Value> {
    let s = v.as_str()?.trim();
    if !(s.starts_with('{') || s.starts_with('[')) {
        return None;
    }
    serde_json::from_str(s).ok()
}

/// Equality as a reviewer sees it: marks ignored, a set equal to a list of the same
/// elements (state read back from JSON has no sets), JSON strings by structure.
pub fn same(a: &Value, b: &Value) -> bool {
    if sets_as_lists(&a.unmark_deep().0) == sets_as_lists(&b.unmark_deep().0) {
        return true;
    }
    matches!((json_of(a), json_of(b)), (Some(x), Some(y)) if x == y)
}

fn sets_as_lists(v: &Value) -> Value {
    match v {
        Value::List(l) => Value::list(l.iter().map(sets_as_lists).collect()),
        Value::Set(l) => {
            let mut items: Vec<Value> = l.iter().map(sets_as_lists).collect();
            items.sort_by_key(|x| x.to_json().to_string());
            Value::list(items)
        }
        Value::Map(m) => Value::map(
            m.iter()
                .map(|(k, x)| (k.clone(), sets_as_lists(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn forces(replace: &[Path], path: &[PathStep]) -> bool {
    replace.iter().any(|p| p.as_slice() == path)
}

/// An object diff laid out by its schema as Terraform lays it out: attributes first, then
/// each nested block in block syntax (`+ root_block_device {`), blank lines between, and
/// unchanged blocks counted. Without a schema, everything is an attribute.
#[allow(clippy::too_many_arguments)]
pub(super) fn render_resource_diff(
    out: &mut String,
    before: &Value,
    after: &Value,
    ind: usize,
    replace: &[Path],
    path: &mut Path,
    schema: Option<&BlockSchema>,
    style: Style,
) {
    let Some(schema) = schema.filter(|s| !s.blocks.is_empty()) else {
        render_object_diff(out, before, after, ind, replace, path, false, schema, style);
        return;
    };
    let without_blocks = |v: &Value| match v.as_map() {
        Some(m) => Value::map(
            m.iter()
                .filter(|(k, _)| !schema.blocks.contains_key(*k))
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect::<Map>(),
        ),
        None => v.clone(),
    };
    render_object_diff(
        out,
        &without_blocks(before),
        &without_blocks(after),
        ind,
        replace,
        path,
        false,
        Some(schema),
        style,
    );
    let updating = !before.is_null() && !after.is_null();
    let mut hidden = 0;
    for (name, nb) in &schema.blocks {
        let b = before.get_attr(name).cloned().unwrap_or(Value::Null);
        let a = after.get_attr(name).cloned().unwrap_or(Value::Null);
        if a.is_unknown() {
            let sym = if b.is_null() || is_empty_collection(&b) {
                "+"
            } else {
                "~"
            };
            let _ = writeln!(
                out,
                "\n{}{} {name} (known after apply)",
                pad(ind),
                style.symbol(sym)
            );
            continue;
        }
        let elements = |v: &Value| -> Vec<Value> {
            match v.unmark().0 {
                Value::List(l) | Value::Set(l) => l.to_vec(),
                Value::Map(_) => vec![v.clone()],
                _ => Vec::new(),
            }
        };
        let (bs, as_) = (elements(&b), elements(&a));
        let mut pairs: Vec<(Option<Value>, Option<Value>, Option<usize>)> = Vec::new();
        if nb.nesting == Nesting::Set {
            for x in &bs {
                match as_.iter().find(|y| same(x, y)) {
                    Some(y) => pairs.push((Some(x.clone()), Some(y.clone()), None)),
                    None => pairs.push((Some(x.clone()), None, None)),
                }
            }
            for y in &as_ {
                if !bs.iter().any(|x| same(x, y)) {
                    pairs.push((None, Some(y.clone()), None));
                }
            }
        } else {
            for i in 0..bs.len().max(as_.len()) {
                pairs.push((bs.get(i).cloned(), as_.get(i).cloned(), Some(i)));
            }
        }
        for (eb, ea, index) in pairs {
            let sym = match (&eb, &ea) {
                (Some(x), Some(y)) if same(x, y) => {
                    if updating {
                        hidden += 1;
                        continue;
                    }
                    " "
                }
                (Some(_), Some(_)) => "~",
                (None, Some(_)) => "+",
                (Some(_), None) => "-",
                (None, None) => continue,
            };
            path.push(PathStep::Key(name.clone()));
            if let (Some(i), Nesting::List) = (index, nb.nesting) {
                path.push(PathStep::Index(i as i64));
            }
            let indexed = index.is_some() && nb.nesting == Nesting::List;
            let block_path = if indexed {
                &path[..path.len() - 1]
            } else {
                &path[..]
            };
            let force = if forces(replace, path) || forces(replace, block_path) {
                " # forces replacement"
            } else {
                ""
            };
            let _ = writeln!(out, "\n{}{} {name} {{{force}", pad(ind), style.symbol(sym));
            render_resource_diff(
                out,
                eb.as_ref().unwrap_or(&Value::Null),
                ea.as_ref().unwrap_or(&Value::Null),
                ind + 4,
                replace,
                path,
                Some(&nb.block),
                style,
            );
            let _ = writeln!(out, "{}}}", pad(ind + 2));
            if indexed {
                path.pop();
            }
            path.pop();
        }
    }
    if hidden > 0 {
        out.push('\n');
        hidden_line(out, hidden, "block", ind + 2);
    }
}

/// Renders the attributes of an object diff. `before`/`after` are objects or null.
/// `map_keys`: the object is a map, whose keys Terraform quotes (`"Name" = …`); `types`: the
/// schema of this level, which says which attributes hold maps.
#[allow(clippy::too_many_arguments)]
pub(super) fn render_object_diff(
    out: &mut String,
    before: &Value,
    after: &Value,
    ind: usize,
    replace: &[Path],
    path: &mut Path,
    map_keys: bool,
    types: Option<&BlockSchema>,
    style: Style,
) {
    let label = |k: &str| key_label(k, map_keys);
    let empty = gantry_core::value::Map::new();
    let bm = before.as_map().unwrap_or(&empty);
    let am = after.as_map().unwrap_or(&empty);
    let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
    keys.sort();
    keys.dedup();
    let updating = !before.is_null() && !after.is_null();
    // Names are padded over every attribute that has a value on either side, shown or
    // hidden, as Terraform pads them.
    let width = keys
        .iter()
        .filter(|k| {
            !(bm.get(**k).is_none_or(Value::is_null) && am.get(**k).is_none_or(Value::is_null))
        })
        .map(|k| label(k).len())
        .max()
        .unwrap_or(0);
    let mut hidden = 0;
    for k in keys {
        let b = bm.get(k).unwrap_or(&Value::Null);
        let a = am.get(k).unwrap_or(&Value::Null);
        if b.is_null() && a.is_null() {
            continue;
        }
        if updating && same(b, a) {
            // Terraform always shows a resource's identifying attributes.
            if path.is_empty() && matches!(k.as_str(), "id" | "name" | "tags") {
                let _ = writeln!(out, "{}  {:<width$} = {}", pad(ind), k, inline(a, ind + 2));
                continue;
            }
            hidden += 1;
            continue;
        }
        let child_is_map = types
            .and_then(|t| t.attributes.get(k.as_str()))
            .is_some_and(|at| matches!(at.ty, gantry_core::types::Type::Map(_)));
        path.push(PathStep::Key(k.clone()));
        render_attr(
            out,
            &label(k),
            width,
            b,
            a,
            ind,
            replace,
            path,
            child_is_map,
            style,
        );
        path.pop();
    }
    hidden_line(out, hidden, "attribute", ind + 2);
}

#[allow(clippy::too_many_arguments)]
fn render_attr(
    out: &mut String,
    name: &str,
    width: usize,
    b: &Value,
    a: &Value,
    ind: usize,
    replace: &[Path],
    path: &mut Path,
    is_map: bool,
    style: Style,
) {
    let force = if forces(replace, path) {
        " # forces replacement"
    } else {
        ""
    };
    let label = format!("{name:<width$}");
    let sym = |s: &str| style.symbol(s);
    // Sensitive on either side: never look inside.
    if a.is_sensitive() || b.is_sensitive() {
        let (s, text) = match (b.is_null(), a.is_null()) {
            (true, _) => ("+", "(sensitive value)".to_string()),
            (_, true) => ("-", "(sensitive value) -> null".to_string()),
            _ => ("~", "(sensitive value)".to_string()),
        };
        let _ = writeln!(out, "{}{} {label} = {text}{force}", pad(ind), sym(s));
        return;
    }
    match (b.unmark().0, a.unmark().0) {
        (b @ (Value::List(_) | Value::Set(_) | Value::Map(_)), Value::Unknown)
            if !is_empty_collection(b) =>
        {
            let text = unknown_replacing(b, &label, ind, style);
            let _ = writeln!(out, "{}{force}", text.trim_end());
        }
        (Value::Null, a) => render_whole(out, "+", &label, a, ind, force, is_map, style),
        (b, Value::Null) => render_whole(out, "-", &label, b, ind, force, is_map, style),
        (Value::Map(_), Value::Map(_)) => {
            let _ = writeln!(out, "{}{} {label} = {{{force}", pad(ind), sym("~"));
            render_object_diff(out, b, a, ind + 4, replace, path, is_map, None, style);
            let _ = writeln!(out, "{}}}", pad(ind + 2));
        }
        (Value::List(bl) | Value::Set(bl), Value::List(al) | Value::Set(al)) => {
            let _ = writeln!(out, "{}{} {label} = [{force}", pad(ind), sym("~"));
            // A resource's own list attributes show only the unchanged elements next to a
            // change; lists inside a value show them all (Terraform's two list modes).
            let context = path.len() == 1;
            render_seq_diff(out, bl, al, ind + 4, replace, path, context, style);
            let _ = writeln!(out, "{}]", pad(ind + 2));
        }
        (Value::String(_), Value::String(_)) if json_of(b).is_some() && json_of(a).is_some() => {
            // JSON documents (IAM policies, jsonencode values) are diffed by structure.
            let (bj, aj) = (
                Value::from_json(&json_of(b).unwrap_or_default()),
                Value::from_json(&json_of(a).unwrap_or_default()),
            );
            let (open, close) = if bj.as_map().is_some() && aj.as_map().is_some() {
                ("({", "})")
            } else {
                ("([", "])")
            };
            let _ = writeln!(
                out,
                "{}{} {label} = jsonencode{open}{force}",
                pad(ind),
                sym("~")
            );
            // Inside a document: not the resource's own top level.
            let mut inner = vec![PathStep::Key("(json)".into())];
            if open == "({" {
                render_object_diff(out, &bj, &aj, ind + 4, &[], &mut inner, false, None, style);
            } else {
                render_seq_diff(
                    out,
                    bj.as_seq().unwrap_or_default(),
                    aj.as_seq().unwrap_or_default(),
                    ind + 4,
                    &[],
                    &mut inner,
                    true,
                    style,
                );
            }
            let _ = writeln!(out, "{}{close}", pad(ind + 2));
        }
        (Value::String(bs), Value::String(as_)) if bs.contains('\n') || as_.contains('\n') => {
            let _ = writeln!(out, "{}{} {label} = <<-EOT{force}", pad(ind), sym("~"));
            let diff = similar::TextDiff::from_lines(&**bs, &**as_);
            for change in diff.iter_all_changes() {
                let (s, line) = (
                    match change.tag() {
                        similar::ChangeTag::Delete => "-",
                        similar::ChangeTag::Insert => "+",
                        similar::ChangeTag::Equal => " ",
                    },
                    change.value().trim_end_matches('\n'),
                );
                let _ = writeln!(out, "{}{} {line}", pad(ind + 4), sym(s));
            }
            let _ = writeln!(out, "{}EOT", pad(ind + 2));
        }
        (b, a) => {
            let _ = writeln!(
                out,
                "{}{} {label} = {} -> {}{force}",
                pad(ind),
                sym("~"),
                inline(b, ind + 2),
                inline(a, ind + 2)
            );
        }
    }
}

/// Sequence diff: unchanged elements hidden with a count; equal-length lists of objects
/// (nested blocks) diffed element by element; otherwise removed and added elements shown.
/// `col` is the column of each element's symbol.
#[allow(clippy::too_many_arguments)]
fn render_seq_diff(
    out: &mut String,
    before: &[Value],
    after: &[Value],
    col: usize,
    replace: &[Path],
    path: &mut Path,
    context: bool,
    style: Style,
) {
    let objects = |l: &[Value]| l.iter().all(|v| v.as_map().is_some() && !v.is_sensitive());
    let mut hidden = 0;
    if before.len() == after.len() && objects(before) && objects(after) && !before.is_empty() {
        for (i, (b, a)) in before.iter().zip(after).enumerate() {
            if same(b, a) {
                hidden += 1;
                continue;
            }
            path.push(PathStep::Index(i as i64));
            let _ = writeln!(out, "{}{} {{", pad(col), style.symbol("~"));
            render_object_diff(out, b, a, col + 4, replace, path, false, None, style);
            let _ = writeln!(out, "{}}},", pad(col + 2));
            path.pop();
        }
    } else {
        let elements = element_diff(before, after);
        let changed = |i: usize| elements.get(i).is_some_and(|e| !matches!(e, Elem::Same(_)));
        for (i, e) in elements.iter().enumerate() {
            match e {
                Elem::Same(v) => {
                    let near = i > 0 && changed(i - 1) || changed(i + 1);
                    if context && !near {
                        hidden += 1;
                        continue;
                    }
                    flush_hidden(out, &mut hidden, col);
                    let _ = writeln!(out, "{}  {},", pad(col), inline(v, col + 2));
                }
                Elem::Gone(v) | Elem::New(v) => {
                    flush_hidden(out, &mut hidden, col);
                    let sym = if matches!(e, Elem::Gone(_)) { "-" } else { "+" };
                    whole_element(out, sym, v, col, false, style);
                }
                Elem::Changed(b, a) => {
                    flush_hidden(out, &mut hidden, col);
                    let _ = writeln!(
                        out,
                        "{}{} {} -> {},",
                        pad(col),
                        style.symbol("~"),
                        inline(b, col + 2),
                        inline(a, col + 2)
                    );
                }
            }
        }
    }
    hidden_line(out, hidden, "element", col + 2);
}

#[allow(clippy::too_many_arguments)]
fn render_whole(
    out: &mut String,
    sym: &str,
    label: &str,
    v: &Value,
    ind: usize,
    force: &str,
    is_map: bool,
    style: Style,
) {
    render_whole_with(out, sym, label, v, ind, force, true, is_map, style)
}

/// `tail`: whether a removed value ends with `-> null` (an attribute does; a member of an
/// object value does not).
#[allow(clippy::too_many_arguments)]
fn render_whole_with(
    out: &mut String,
    sym: &str,
    label: &str,
    v: &Value,
    ind: usize,
    force: &str,
    tail: bool,
    is_map: bool,
    style: Style,
) {
    let tail = if sym == "-" && tail { " -> null" } else { "" };
    match v {
        Value::List(l) | Value::Set(l)
            if !l.is_empty() && l.iter().all(|x| matches!(x, Value::Map(_))) =>
        {
            // Nested blocks: one `{ ... }` per element, each attribute with its symbol.
            let _ = writeln!(out, "{}{} {label} = [{force}", pad(ind), style.symbol(sym));
            for item in l.iter() {
                whole_element(out, sym, item, ind + 4, true, style);
            }
            let _ = writeln!(out, "{}]{tail}", pad(ind + 2));
        }
        Value::List(l) | Value::Set(l) if !l.is_empty() => {
            // One element per line, each with the symbol, as Terraform prints a created or
            // destroyed collection.
            let _ = writeln!(out, "{}{} {label} = [{force}", pad(ind), style.symbol(sym));
            for item in l.iter() {
                let _ = writeln!(
                    out,
                    "{}{} {},",
                    pad(ind + 4),
                    style.symbol(sym),
                    inline(item, ind + 6)
                );
            }
            let _ = writeln!(out, "{}]{tail}", pad(ind + 2));
        }
        Value::Map(m) if !m.is_empty() => {
            let _ = writeln!(out, "{}{} {label} = {{{force}", pad(ind), style.symbol(sym));
            members(out, sym, m, ind + 4, false, is_map, style);
            let _ = writeln!(out, "{}}}{tail}", pad(ind + 2));
        }
        _ => {
            let _ = writeln!(
                out,
                "{}{} {label} = {}{tail}{force}",
                pad(ind),
                style.symbol(sym),
                inline(v, ind + 2)
            );
        }
    }
}

/// A value on one line where short, otherwise HCL-style across lines. `ind` is the column
/// where the line holding the value starts its key: nested lines go 4 deeper, the closing
/// bracket at `ind`.
pub fn inline(v: &Value, ind: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Sensitive(_) => "(sensitive value)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::String(s) if s.contains('\n') => {
            let mut t = "<<-EOT\n".to_string();
            for line in s.lines() {
                let _ = writeln!(t, "{}{line}", pad(ind + 4));
            }
            t.push_str(&format!("{}EOT", pad(ind)));
            t
        }
        Value::String(s) => serde_json::Value::String(s.to_string()).to_string(),
        Value::List(l) | Value::Set(l) if l.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::List(l) | Value::Set(l) => {
            let items: Vec<String> = l.iter().map(|x| inline(x, ind + 4)).collect();
            let one = format!("[{}]", items.join(", "));
            if one.len() < 60 && !one.contains('\n') {
                return one;
            }
            let mut t = "[\n".to_string();
            for i in items {
                let _ = writeln!(t, "{}{i},", pad(ind + 4));
            }
            t.push_str(&format!("{}]", pad(ind)));
            t
        }
        Value::Map(m) => {
            let w = m.keys().map(|k| k.len() + 2).max().unwrap_or(0);
            let mut t = "{\n".to_string();
            for (k, x) in m.iter() {
                let key = format!("{k:?}");
                let _ = writeln!(t, "{}{key:<w$} = {}", pad(ind + 4), inline(x, ind + 4));
            }
            t.push_str(&format!("{}}}", pad(ind)));
            t
        }
    }
}

/// One collection element added or removed whole, its symbol at column `col`: an object as
/// `{ members },` (`member_tail`: members end `-> null` when removed, as nested blocks'
/// do), anything else on one line.
fn whole_element(
    out: &mut String,
    sym: &str,
    v: &Value,
    col: usize,
    member_tail: bool,
    style: Style,
) {
    match v {
        Value::Map(m) if !m.is_empty() => {
            let _ = writeln!(out, "{}{} {{", pad(col), style.symbol(sym));
            members(out, sym, m, col + 4, member_tail, false, style);
            let _ = writeln!(out, "{}}},", pad(col + 2));
        }
        _ => {
            let _ = writeln!(
                out,
                "{}{} {},",
                pad(col),
                style.symbol(sym),
                inline(v, col + 2)
            );
        }
    }
}

/// An object's non-null members, names padded to the widest, each added or removed whole.
#[allow(clippy::too_many_arguments)]
fn members(
    out: &mut String,
    sym: &str,
    m: &gantry_core::value::Map,
    ind: usize,
    tail: bool,
    map_keys: bool,
    style: Style,
) {
    let present = || m.iter().filter(|(_, x)| !x.is_null());
    let w = present()
        .map(|(k, _)| key_label(k, map_keys).len())
        .max()
        .unwrap_or(0);
    for (k, x) in present() {
        let label = format!("{:<w$}", key_label(k, map_keys));
        render_whole_with(out, sym, &label, x, ind, "", tail, false, style);
    }
}

/// A member name as Terraform prints it: map keys quoted, object attributes bare.
fn key_label(k: &str, map_keys: bool) -> String {
    if map_keys {
        format!("{k:?}")
    } else {
        k.to_string()
    }
}

fn is_empty_collection(v: &Value) -> bool {
    match v {
        Value::List(l) | Value::Set(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// One element of a sequence diff.
enum Elem<'a> {
    Same(&'a Value),
    Gone(&'a Value),
    New(&'a Value),
    Changed(&'a Value, &'a Value),
}

/// Elements in order, by longest common subsequence. A removal directly followed by an
/// addition is one changed element when neither value appears on the other side (how
/// Terraform pairs them: `~ "v1" -> "v2"`).
fn element_diff<'a>(before: &'a [Value], after: &'a [Value]) -> Vec<Elem<'a>> {
    let key = |v: &Value| v.unmark_deep().0.to_json().to_string();
    let b: Vec<String> = before.iter().map(key).collect();
    let a: Vec<String> = after.iter().map(key).collect();
    let mut out: Vec<Elem> = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &b, &a) {
        for change in op.iter_changes(&b, &a) {
            out.push(match change.tag() {
                similar::ChangeTag::Equal => Elem::Same(&after[change.new_index().unwrap_or(0)]),
                similar::ChangeTag::Delete => Elem::Gone(&before[change.old_index().unwrap_or(0)]),
                similar::ChangeTag::Insert => Elem::New(&after[change.new_index().unwrap_or(0)]),
            });
        }
    }
    let mut merged = Vec::with_capacity(out.len());
    let mut it = out.into_iter().peekable();
    while let Some(e) = it.next() {
        if let Elem::Gone(g) = e {
            if let Some(Elem::New(n)) = it.peek() {
                let (gk, nk) = (key(g), key(n));
                if !a.contains(&gk) && !b.contains(&nk) {
                    let n = *n;
                    it.next();
                    merged.push(Elem::Changed(g, n));
                    continue;
                }
            }
            merged.push(Elem::Gone(g));
        } else {
            merged.push(e);
        }
    }
    merged
}

fn flush_hidden(out: &mut String, hidden: &mut usize, col: usize) {
    hidden_line(out, *hidden, "element", col + 2);
    *hidden = 0;
}

/// `# (N unchanged WHATs hidden)` at column `col`, when N > 0.
fn hidden_line(out: &mut String, n: usize, what: &str, col: usize) {
    if n > 0 {
        let s = if n == 1 { "" } else { "s" };
        let _ = writeln!(out, "{}# ({n} unchanged {what}{s} hidden)", pad(col));
    }
}

/// A collection about to become unknown: `~ NAME = [ - old, ... ] -> (known after apply)`.
pub(super) fn unknown_replacing(b: &Value, label: &str, ind: usize, style: Style) -> String {
    let mut text = String::new();
    render_whole(&mut text, "-", label, b, ind, "", false, style);
    let text = text.trim_end().trim_end_matches(" -> null");
    let text = text.replacen(&style.symbol("-"), &style.symbol("~"), 1);
    format!("{text} -> (known after apply)\n")
}

/// A removed collection in full: `- NAME = { - member = … } -> null`.
pub(super) fn removed(b: &Value, label: &str, ind: usize, style: Style) -> String {
    let mut text = String::new();
    render_whole(&mut text, "-", label, b, ind, "", false, style);
    text
}
