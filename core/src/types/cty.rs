//! cty type JSON (`"string"`, `["list","string"]`, `["object",{"a":"number"}]`): how Terraform
//! writes the type of dynamically-typed values in state and plan files, and how a value's type
//! is worked out when the configuration says more than the value does (a `map(string)`
//! variable and an object literal hold the same value but are different types to Terraform).

use super::{ObjectField, Type};
use crate::value::Value;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

impl Type {
    /// This type in cty's JSON notation (`Any` is cty's `"dynamic"`).
    pub fn to_cty_json(&self) -> Json {
        match self {
            Type::Any => json!("dynamic"),
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::List(t) => json!(["list", t.to_cty_json()]),
            Type::Set(t) => json!(["set", t.to_cty_json()]),
            Type::Map(t) => json!(["map", t.to_cty_json()]),
            Type::Tuple(ts) => json!([
                "tuple",
                ts.iter().map(Type::to_cty_json).collect::<Vec<_>>()
            ]),
            Type::Object(fs) => json!([
                "object",
                fs.iter()
                    .map(|(k, f)| (k.clone(), f.ty.to_cty_json()))
                    .collect::<serde_json::Map<_, _>>()
            ]),
        }
    }

    /// Reads cty's JSON type notation, given as a gantry value (state attributes are read into
    /// values before their types are known).
    pub fn from_cty_value(v: &Value) -> Result<Type, String> {
        // The common cases read directly; anything else through JSON.
        match v {
            Value::String(s) => match &**s {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Any),
                _ => Type::from_cty_json(&v.to_json()),
            },
            _ => Type::from_cty_json(&v.to_json()),
        }
    }

    /// Reads cty's JSON type notation.
    pub fn from_cty_json(j: &Json) -> Result<Type, String> {
        let bad = || format!("not a cty type: {j}");
        match j {
            Json::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Any),
                _ => Err(bad()),
            },
            Json::Array(a) => {
                let kind = a.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = a.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_cty_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_cty_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_cty_json(arg)?)),
                    "tuple" => Ok(Type::Tuple(
                        arg.as_array()
                            .ok_or_else(bad)?
                            .iter()
                            .map(Type::from_cty_json)
                            .collect::<Result<_, _>>()?,
                    )),
                    "object" => {
                        let optional: Vec<&str> = a
                            .get(2)
                            .and_then(Json::as_array)
                            .map(|o| o.iter().filter_map(Json::as_str).collect())
                            .unwrap_or_default();
                        let mut fields = BTreeMap::new();
                        for (k, t) in arg.as_object().ok_or_else(bad)? {
                            fields.insert(
                                k.clone(),
                                ObjectField {
                                    ty: Type::from_cty_json(t)?,
                                    optional: optional.contains(&k.as_str()),
                                    default: None,
                                },
                            );
                        }
                        Ok(Type::Object(fields))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// The concrete type of `v` when the configuration describes it as `self`: the hint wins
    /// where the value conforms to it (a list stays a list, a map a map), and where it says
    /// nothing (`any`) or the value does not fit, the type is read off the value as Terraform
    /// types literals (brackets make tuples, braces objects).
    pub fn of_value(&self, v: &Value) -> Type {
        let v = v.unmark().0;
        if v.is_null() || v.is_unknown() {
            return self.clone();
        }
        let elements = |items: &[Value], t: &Type| -> Type {
            items
                .first()
                .map(|first| t.of_value(first))
                .unwrap_or_else(|| t.clone())
        };
        match (self, v) {
            (Type::String, Value::String(_))
            | (Type::Number, Value::Number(_))
            | (Type::Bool, Value::Bool(_)) => self.clone(),
            (Type::List(t), Value::List(l)) => Type::list(elements(l, t)),
            (Type::Set(t), Value::Set(l)) => Type::set(elements(l, t)),
            (Type::Map(t), Value::Map(m)) => {
                let items: Vec<Value> = m.values().take(1).cloned().collect();
                Type::map(elements(&items, t))
            }
            (Type::Tuple(ts), Value::List(l)) if ts.len() == l.len() => Type::Tuple(
                ts.iter()
                    .zip(l.iter())
                    .map(|(t, x)| t.of_value(x))
                    .collect(),
            ),
            (Type::Object(fs), Value::Map(m)) => Type::Object(
                m.iter()
                    .map(|(k, x)| {
                        let ty = match fs.get(k) {
                            Some(f) => f.ty.of_value(x),
                            None => Type::inferred(x),
                        };
                        (k.clone(), field(ty))
                    })
                    .collect(),
            ),
            _ => Type::inferred(v),
        }
    }

    /// `v` (read from JSON, where sets are arrays) shaped by this type: arrays where the type
    /// says set become sets, at any depth.
    pub fn shape(&self, v: Value) -> Value {
        match (self, &v) {
            (Type::Set(t), Value::List(l)) => {
                Value::set(l.iter().map(|x| t.shape(x.clone())).collect())
            }
            (Type::List(t), Value::List(l)) => {
                Value::list(l.iter().map(|x| t.shape(x.clone())).collect())
            }
            (Type::Tuple(ts), Value::List(l)) if ts.len() == l.len() => Value::list(
                ts.iter()
                    .zip(l.iter())
                    .map(|(t, x)| t.shape(x.clone()))
                    .collect(),
            ),
            (Type::Map(t), Value::Map(m)) => Value::map(
                m.iter()
                    .map(|(k, x)| (k.clone(), t.shape(x.clone())))
                    .collect(),
            ),
            (Type::Object(fs), Value::Map(m)) => Value::map(
                m.iter()
                    .map(|(k, x)| {
                        let x = match fs.get(k) {
                            Some(f) => f.ty.shape(x.clone()),
                            None => x.clone(),
                        };
                        (k.clone(), x)
                    })
                    .collect(),
            ),
            _ => v,
        }
    }

    /// The type of a value with no other information, as Terraform types literals.
    pub fn inferred(v: &Value) -> Type {
        match v.unmark().0 {
            Value::Null | Value::Unknown | Value::Sensitive(_) => Type::Any,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(l) => Type::Tuple(l.iter().map(Type::inferred).collect()),
            Value::Set(l) => Type::set(l.first().map(Type::inferred).unwrap_or(Type::Any)),
            Value::Map(m) => Type::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), field(Type::inferred(x))))
                    .collect(),
            ),
        }
    }
}

fn field(ty: Type) -> ObjectField {
    ObjectField {
        ty,
        optional: false,
        default: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    #[test]
    fn cty_json_round_trips() {
        for j in [
            json!("string"),
            json!(["list", "number"]),
            json!(["map", ["set", "bool"]]),
            json!(["tuple", ["string", "dynamic"]]),
            json!(["object", {"a": "string", "b": ["list", "string"]}]),
        ] {
            assert_eq!(Type::from_cty_json(&j).unwrap().to_cty_json(), j);
        }
        assert!(Type::from_cty_json(&json!("strin")).is_err());
    }

    #[test]
    fn hints_decide_between_list_and_tuple_map_and_object() {
        let list = Value::list(vec![Value::string("a"), Value::string("b")]);
        assert_eq!(
            Type::Any.of_value(&list).to_cty_json(),
            json!(["tuple", ["string", "string"]])
        );
        assert_eq!(
            Type::list(Type::Any).of_value(&list).to_cty_json(),
            json!(["list", "string"])
        );
        let mut m = Map::new();
        m.insert("k".into(), Value::string("v"));
        let m = Value::map(m);
        assert_eq!(
            Type::map(Type::String).of_value(&m).to_cty_json(),
            json!(["map", "string"])
        );
        assert_eq!(
            Type::Any.of_value(&m).to_cty_json(),
            json!(["object", {"k": "string"}])
        );
        // A hint the value does not fit is ignored.
        assert_eq!(Type::Number.of_value(&m), Type::inferred(&m));
    }
}
