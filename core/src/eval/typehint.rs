//! What the configuration says about an expression's type beyond its value: `tolist(...)` is a
//! list where `[...]` is a tuple, a `map(string)` variable is a map where `{...}` is an object.
//! Terraform records these types for dynamically-typed attributes; gantry reads them off the
//! expression (see `Type::of_value` for how a hint and a value combine).

use crate::types::{ObjectField, Type};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};

/// The type `expr` is known to have from its form alone (`Any` where only its value can tell).
/// `var_type` gives a variable's declared type.
pub fn type_hint(expr: &Expression, var_type: &dyn Fn(&str) -> Option<Type>) -> Type {
    match expr {
        Expression::Parenthesis(p) => type_hint(p.inner(), var_type),
        Expression::Array(items) => {
            Type::Tuple(items.iter().map(|e| type_hint(e, var_type)).collect())
        }
        Expression::Object(o) => Type::Object(
            o.iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                        ObjectKey::Expression(_) => return None,
                    };
                    let ty = type_hint(v.expr(), var_type);
                    Some((
                        key,
                        ObjectField {
                            ty,
                            optional: false,
                            default: None,
                        },
                    ))
                })
                .collect(),
        ),
        Expression::FuncCall(f) if f.name.namespace.is_empty() => match f.name.name.as_str() {
            "tolist" => Type::list(Type::Any),
            "toset" => Type::set(Type::Any),
            "tomap" => Type::map(Type::Any),
            _ => Type::Any,
        },
        Expression::Traversal(t) => match (&t.expr, t.operators.as_slice()) {
            (Expression::Variable(root), [op]) if root.as_str() == "var" => match op.value() {
                TraversalOperator::GetAttr(name) => var_type(name.as_str()).unwrap_or(Type::Any),
                _ => Type::Any,
            },
            // `TYPE.NAME.ATTR` / `data.TYPE.NAME.ATTR`: the attribute's schema type.
            (Expression::Variable(root), ops) => {
                let names: Vec<&str> = ops
                    .iter()
                    .map(|o| match o.value() {
                        TraversalOperator::GetAttr(n) => Some(n.as_str()),
                        _ => None,
                    })
                    .collect::<Option<_>>()
                    .unwrap_or_default();
                let (mode, rtype, attr) = match (root.as_str(), names.as_slice()) {
                    ("data", [t, _, a]) => (crate::addr::Mode::Data, *t, *a),
                    (t, [_, a]) if t.contains('_') => (crate::addr::Mode::Managed, t, *a),
                    _ => return Type::Any,
                };
                crate::provider::known_schema(mode, rtype)
                    .and_then(|s| s.block.attributes.get(attr).map(|a| a.ty.clone()))
                    .filter(|t| !t.contains_any())
                    .unwrap_or(Type::Any)
            }
            _ => Type::Any,
        },
        _ => Type::Any,
    }
}
