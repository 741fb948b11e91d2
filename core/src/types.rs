//! Type constraints (`variable { type = ... }`, provider schemas) and Terraform's conversions.

use crate::value::{format_number, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

mod cty;

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, ObjectField>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectField {
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
}

impl Type {
    /// An object type with every attribute required (a provider's computed nested values).
    pub fn object(fields: &[(&str, Type)]) -> Type {
        Type::Object(
            fields
                .iter()
                .map(|(k, t)| {
                    (
                        k.to_string(),
                        ObjectField {
                            ty: t.clone(),
                            optional: false,
                            default: None,
                        },
                    )
                })
                .collect(),
        )
    }
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// Whether `any` (cty's `dynamic`) appears anywhere in the type.
    pub fn contains_any(&self) -> bool {
        match self {
            Type::Any => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.contains_any(),
            Type::Tuple(ts) => ts.iter().any(Type::contains_any),
            Type::Object(fs) => fs.values().any(|f| f.ty.contains_any()),
        }
    }

    /// Whether a set appears anywhere in the type.
    pub fn contains_set(&self) -> bool {
        match self {
            Type::Set(_) => true,
            Type::Any | Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Map(t) => t.contains_set(),
            Type::Tuple(ts) => ts.iter().any(Type::contains_set),
            Type::Object(fs) => fs.values().any(|f| f.ty.contains_set()),
        }
    }

    /// Terraform's friendly name: `list(string)`, `object({...})`.
    pub fn name(&self) -> String {
        match self {
            Type::Any => "any".into(),
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list({})", t.name()),
            Type::Set(t) => format!("set({})", t.name()),
            Type::Map(t) => format!("map({})", t.name()),
            Type::Tuple(ts) => format!(
                "tuple([{}])",
                ts.iter().map(Type::name).collect::<Vec<_>>().join(", ")
            ),
            Type::Object(fs) => format!(
                "object({{{}}})",
                fs.iter()
                    .map(|(k, f)| format!("{k} = {}", f.ty.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Converts `v` to this type the way Terraform does (strings ↔ numbers ↔ bools, tuples to
    /// lists, objects to maps, optional attributes filled with their defaults). Unknown and null
    /// pass through; sensitive marks are kept. The error says what was expected.
    pub fn convert(&self, v: &Value) -> Result<Value, String> {
        let (inner, sensitive) = v.unmark();
        if inner.is_null() || inner.is_unknown() {
            return Ok(v.clone());
        }
        let converted = match self {
            Type::Any => inner.clone(),
            Type::String => match inner {
                Value::String(_) => inner.clone(),
                Value::Number(n) => Value::string(format_number(*n)),
                Value::Bool(b) => Value::string(b.to_string()),
                _ => return Err(format!("string required, but have {}", inner.type_name())),
            },
            Type::Number => match inner {
                Value::Number(_) => inner.clone(),
                Value::String(s) => s
                    .trim()
                    .parse::<f64>()
                    .map(Value::Number)
                    .map_err(|_| format!("a number is required, but have string {s:?}"))?,
                _ => return Err(format!("number required, but have {}", inner.type_name())),
            },
            Type::Bool => match inner {
                Value::Bool(_) => inner.clone(),
                Value::String(s) if &**s == "true" => Value::Bool(true),
                Value::String(s) if &**s == "false" => Value::Bool(false),
                _ => return Err(format!("bool required, but have {}", inner.type_name())),
            },
            Type::List(et) | Type::Set(et) => {
                let items = match inner {
                    Value::List(l) | Value::Set(l) => l,
                    _ => {
                        return Err(format!(
                            "{} required, but have {}",
                            self.name(),
                            inner.type_name()
                        ))
                    }
                };
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| et.convert(x).map_err(|e| format!("element {i}: {e}")))
                    .collect::<Result<Vec<_>, _>>()?;
                if matches!(self, Type::Set(_)) {
                    Value::set(items)
                } else {
                    Value::list(items)
                }
            }
            Type::Tuple(ts) => {
                let items = inner
                    .as_seq()
                    .ok_or_else(|| format!("tuple required, but have {}", inner.type_name()))?;
                if items.len() != ts.len() {
                    return Err(format!("tuple of {} elements required", ts.len()));
                }
                Value::list(
                    items
                        .iter()
                        .zip(ts)
                        .map(|(x, t)| t.convert(x))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Map(et) => {
                let m = inner
                    .as_map()
                    .ok_or_else(|| format!("map required, but have {}", inner.type_name()))?;
                let mut out = Map::new();
                for (k, x) in m {
                    out.insert(
                        k.clone(),
                        et.convert(x).map_err(|e| format!("element {k:?}: {e}"))?,
                    );
                }
                Value::Map(Arc::new(out))
            }
            Type::Object(fields) => {
                let m = inner
                    .as_map()
                    .ok_or_else(|| format!("object required, but have {}", inner.type_name()))?;
                let mut out = Map::new();
                for (k, f) in fields {
                    match m.get(k) {
                        Some(x) if !x.is_null() => {
                            out.insert(
                                k.clone(),
                                f.ty.convert(x)
                                    .map_err(|e| format!("attribute {k:?}: {e}"))?,
                            );
                        }
                        _ if f.optional => {
                            let d = match &f.default {
                                Some(d) => f.ty.convert(d)?,
                                None => Value::Null,
                            };
                            out.insert(k.clone(), d);
                        }
                        _ => return Err(format!("attribute {k:?} is required")),
                    }
                }
                Value::Map(Arc::new(out))
            }
        };
        Ok(converted.mark_if(sensitive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_like_terraform() {
        assert_eq!(
            Type::String.convert(&Value::Number(3.0)).unwrap(),
            Value::string("3")
        );
        assert_eq!(
            Type::Number.convert(&Value::string("2.5")).unwrap(),
            Value::Number(2.5)
        );
        assert!(Type::Number.convert(&Value::string("x")).is_err());
        let t = Type::Object(BTreeMap::from([(
            "size".to_string(),
            ObjectField {
                ty: Type::Number,
                optional: true,
                default: Some(Value::Number(8.0)),
            },
        )]));
        let v = t.convert(&Value::empty_map()).unwrap();
        assert_eq!(v.get_attr("size"), Some(&Value::Number(8.0)));
    }
}
