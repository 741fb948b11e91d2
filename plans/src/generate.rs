//! `plan -generate-config-out=FILE`: HCL for objects that `import` blocks adopt but the
//! configuration does not declare yet, written from the imported object and the provider's
//! schema as Terraform writes it (arguments only, computed-only attributes left out, null
//! for unset optional ones, sensitive ones as null with a comment).

use gantry_core::provider::{BlockSchema, Nesting};
use gantry_core::value::Value;
use std::fmt::Write as _;

/// The header Terraform puts at the top of a generated file.
pub const HEADER: &str = "# __generated__ by Terraform\n# Please review these resources and move them into your main configuration files.\n";

fn is_ident(k: &str) -> bool {
    gantry_core::ident::is_ident(k)
}

/// An HCL literal for a value (strings escaped, `${` and `%{` doubled).
fn literal(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Number(n) => out.push_str(&gantry_core::value::format_number(*n)),
        Value::String(s) => {
            let q = serde_json::to_string(&**s).unwrap_or_default();
            out.push_str(&q.replace("${", "$${").replace("%{", "%%{"));
        }
        Value::Sensitive(inner) => literal(inner, indent, out),
        Value::List(items) | Value::Set(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                literal(it, indent, out);
            }
            out.push(']');
        }
        Value::Map(m) if m.is_empty() => out.push_str("{}"),
        Value::Map(m) => {
            out.push_str("{\n");
            let pad = " ".repeat(indent + 2);
            for (k, val) in m.iter() {
                out.push_str(&pad);
                if is_ident(k) {
                    out.push_str(k);
                } else {
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                }
                out.push_str(" = ");
                literal(val, indent + 2, out);
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
    }
}

fn body(schema: &BlockSchema, v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (name, attr) in &schema.attributes {
        if !(attr.required || attr.optional) {
            continue; // computed only: the provider sets it
        }
        let val = v.get_attr(name).cloned().unwrap_or(Value::Null);
        if attr.sensitive {
            let _ = writeln!(out, "{pad}{name} = null # sensitive");
            continue;
        }
        let _ = write!(out, "{pad}{name} = ");
        literal(&val, indent, out);
        out.push('\n');
    }
    for (name, nb) in &schema.blocks {
        let items: Vec<Value> = match (nb.nesting, v.get_attr(name)) {
            (_, None) | (_, Some(Value::Null)) => vec![],
            (Nesting::Single, Some(x)) => vec![x.clone()],
            (_, Some(x)) => x.as_seq().map(|s| s.to_vec()).unwrap_or_default(),
        };
        for it in items {
            let _ = writeln!(out, "{pad}{name} {{");
            body(&nb.block, &it, indent + 2, out);
            let _ = writeln!(out, "{pad}}}");
        }
    }
}

/// One generated resource block, preceded by Terraform's comment naming the import id.
pub fn resource_block(
    rtype: &str,
    name: &str,
    id: &str,
    schema: &BlockSchema,
    v: &Value,
) -> String {
    let mut out = format!(
        "\n# __generated__ by Terraform from {}\nresource \"{rtype}\" \"{name}\" {{\n",
        serde_json::to_string(id).unwrap_or_default()
    );
    body(schema, v, 2, &mut out);
    out.push_str("}\n");
    gantry_core::config::fmt::format(&out)
}
