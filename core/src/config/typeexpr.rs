//! Type constraint expressions: `string`, `list(object({ a = string, b = optional(number, 1) }))`.

use crate::eval::{Evaluator, NoReferences};
use crate::types::{ObjectField, Type};
use hcl_edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;
use std::path::Path;

pub fn parse_type(e: &Expression) -> Result<Type, String> {
    parse(e, false).map(|(t, _, _)| t)
}

/// Returns (type, is optional, optional default).
fn parse(
    e: &Expression,
    allow_optional: bool,
) -> Result<(Type, bool, Option<crate::value::Value>), String> {
    match e {
        Expression::Variable(v) => Ok((
            match v.as_str() {
                "string" => Type::String,
                "number" => Type::Number,
                "bool" => Type::Bool,
                "any" => Type::Any,
                "list" => Type::list(Type::Any),
                "map" => Type::map(Type::Any),
                "set" => Type::set(Type::Any),
                other => return Err(format!("The keyword {other:?} is not a valid type specification.")),
            },
            false,
            None,
        )),
        Expression::Parenthesis(p) => parse(p.inner(), allow_optional),
        Expression::FuncCall(f) => {
            let name = f.name.name.as_str();
            let args: Vec<&Expression> = f.args.iter().collect();
            let one = |what: &str| -> Result<&Expression, String> {
                match args.as_slice() {
                    [a] => Ok(a),
                    _ => Err(format!("The {what} type constructor requires one argument specifying the element type.")),
                }
            };
            let t = match name {
                "list" => Type::list(parse_type(one("list")?)?),
                "set" => Type::set(parse_type(one("set")?)?),
                "map" => Type::map(parse_type(one("map")?)?),
                "tuple" => {
                    let Some(Expression::Array(items)) = args.first() else {
                        return Err("The tuple type constructor requires a list of element types.".into());
                    };
                    Type::Tuple(items.iter().map(parse_type).collect::<Result<_, _>>()?)
                }
                "object" => {
                    let Some(Expression::Object(o)) = args.first() else {
                        return Err("The object type constructor requires an object of attribute types.".into());
                    };
                    let mut fields = BTreeMap::new();
                    for (k, v) in o.iter() {
                        let key = match k {
                            ObjectKey::Ident(id) => id.as_str().to_string(),
                            ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                            _ => return Err("Object type attribute names must be identifiers.".into()),
                        };
                        let (ty, optional, default) = parse(v.expr(), true)?;
                        fields.insert(key, ObjectField { ty, optional, default });
                    }
                    Type::Object(fields)
                }
                "optional" if allow_optional => {
                    let (inner, default) = match args.as_slice() {
                        [t] => (parse_type(t)?, None),
                        [t, d] => {
                            let dv = Evaluator::new(&NoReferences, Path::new("."), 0)
                                .eval(d)
                                .map_err(|d| d.detail)?;
                            (parse_type(t)?, Some(dv))
                        }
                        _ => return Err("optional() takes a type and an optional default.".into()),
                    };
                    return Ok((inner, true, default));
                }
                "optional" => return Err("Keyword \"optional\" is valid only as a modifier for object type attributes.".into()),
                other => return Err(format!("Keyword {other:?} is not a valid type constructor.")),
            };
            Ok((t, false, None))
        }
        _ => Err("A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_types() {
        let e: Expression = "list(object({ a = string, b = optional(number, 1) }))"
            .parse()
            .unwrap();
        let t = parse_type(&e).unwrap();
        assert_eq!(t.name(), "list(object({a = string, b = number}))");
        let bad: Expression = "strin".parse().unwrap();
        assert!(parse_type(&bad).is_err());
    }
}
