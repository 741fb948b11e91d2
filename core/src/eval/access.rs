//! Reading into values: attribute access, indexing, iteration pairs and string conversion,
//! shared by the evaluator and the engine.

use super::err;
use crate::diag::{Diagnostic, SourceSpan};
use crate::value::{format_number, Value};

/// Key / value pairs of a collection, as `for` expressions and `dynamic` blocks iterate it.
pub fn iter_pairs(
    coll: &Value,
    span: Option<SourceSpan>,
) -> Result<Vec<(Value, Value)>, Diagnostic> {
    match coll {
        Value::List(l) => Ok(l
            .iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v.clone()))
            .collect()),
        Value::Set(l) => Ok(l.iter().map(|v| (v.clone(), v.clone())).collect()),
        Value::Map(m) => Ok(m
            .iter()
            .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
            .collect()),
        Value::Null => Err(err(
            "Iteration over null value",
            "A null value cannot be used as the collection in a 'for' expression.",
            span,
        )),
        other => Err(err(
            "Iteration over non-iterable value",
            format!(
                "A value of type {} cannot be used as the collection in a 'for' expression.",
                other.type_name()
            ),
            span,
        )),
    }
}

/// Template/key string conversion of a primitive value.
pub fn to_string(v: &Value) -> Result<String, String> {
    match v.unmark().0 {
        Value::String(s) => Ok(s.to_string()),
        Value::Number(n) => Ok(format_number(*n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("The value is null; a string is required.".into()),
        other => Err(format!(
            "Cannot include a {} value in a string.",
            other.type_name()
        )),
    }
}

pub fn get_attr(v: &Value, name: &str, span: Option<SourceSpan>) -> Result<Value, Diagnostic> {
    let (inner, s) = v.unmark();
    match inner {
        Value::Unknown => Ok(Value::Unknown.mark_if(s)),
        Value::Map(m) => match m.get(name) {
            Some(x) => Ok(x.clone().mark_if(s)),
            None => Err(err(
                "Unsupported attribute",
                format!("This object does not have an attribute named {name:?}."),
                span,
            )),
        },
        Value::Null => Err(err(
            "Attempt to get attribute from null value",
            "This value is null, so it does not have any attributes.",
            span,
        )),
        Value::List(_) | Value::Set(_) => Err(err(
            "Unsupported attribute",
            format!("Can't access attributes on a list of objects. Did you mean to access attribute {name:?} for a specific element of the list, or across all elements of the list?"),
            span,
        )),
        other => Err(err(
            "Unsupported attribute",
            format!("Can't access attributes on a primitive-typed value ({}).", other.type_name()),
            span,
        )),
    }
}

pub fn index(v: &Value, key: &Value, span: Option<SourceSpan>) -> Result<Value, Diagnostic> {
    let sensitive_key = key.contains_sensitive();
    index_inner(v, key, span).map_err(|d| {
        if sensitive_key {
            Diagnostic { detail: "The given key does not identify an element in this collection value (the key is sensitive, so it is not shown).".into(), ..d }
        } else {
            d
        }
    })
}

fn index_inner(v: &Value, key: &Value, span: Option<SourceSpan>) -> Result<Value, Diagnostic> {
    let (inner, s1) = v.unmark();
    let (key, s2) = key.unmark();
    let s = s1 || s2;
    if inner.is_unknown() || key.is_unknown() {
        return Ok(Value::Unknown.mark_if(s));
    }
    match inner {
        Value::List(l) => {
            let i = match key {
                Value::Number(n) => *n,
                Value::String(x) => x.parse().unwrap_or(f64::NAN),
                _ => f64::NAN,
            };
            if i.fract() != 0.0 || i < 0.0 || i as usize >= l.len() {
                return Err(err(
                    "Invalid index",
                    format!(
                        "The given key does not identify an element in this collection value: {} is out of range for a list of {} elements.",
                        key, l.len()
                    ),
                    span,
                ));
            }
            Ok(l[i as usize].clone().mark_if(s))
        }
        Value::Map(m) => {
            let k = to_string(key).map_err(|d| err("Invalid index", d, span.clone()))?;
            match m.get(&k) {
                Some(x) => Ok(x.clone().mark_if(s)),
                None => Err(err(
                    "Invalid index",
                    format!("The given key does not identify an element in this collection value: no key {k:?}."),
                    span,
                )),
            }
        }
        Value::Null => Err(err(
            "Attempt to index null value",
            "This value is null, so it does not have any indices.",
            span,
        )),
        Value::Set(_) => Err(err(
            "Invalid index",
            "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
            span,
        )),
        other => Err(err(
            "Invalid index",
            format!("This value does not have any indices ({}).", other.type_name()),
            span,
        )),
    }
}
