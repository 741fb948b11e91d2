//! JSON ↔ value helpers shared by the resource types.

use gantry_core::value::Value;
use serde_json::Value as Json;

/// A JSON string field as a value (null when absent).
pub fn s(j: &Json, k: &str) -> Value {
    j.get(k)
        .and_then(Json::as_str)
        .map(Value::string)
        .unwrap_or(Value::Null)
}

/// A JSON number field, or an int64 carried as a string, as a number value.
pub fn n(j: &Json, k: &str) -> Value {
    match j.get(k) {
        Some(Json::Number(x)) => x.as_f64().map(Value::Number).unwrap_or(Value::Null),
        Some(Json::String(x)) => x.parse().map(Value::Number).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A JSON object of strings as a map value (empty map when absent).
pub fn str_map(j: &Json) -> Value {
    Value::map(
        j.as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let s = match v {
                            Json::String(s) => s.clone(),
                            Json::Null => return None,
                            other => other.to_string(),
                        };
                        Some((k.clone(), Value::string(s)))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// A list of JSON strings as a list value.
pub fn str_list(j: &Json) -> Value {
    Value::list(
        j.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(Value::string)
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// A value's string map as JSON.
pub fn json_map(v: Option<&Value>) -> Json {
    Json::Object(
        v.and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        v.unmark()
                            .0
                            .as_str()
                            .map(|s| (k.clone(), Json::String(s.into())))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The first element of a single-item block list (`versioning`, `machine_spec`, ...).
pub fn first<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.get_attr(k)
        .and_then(Value::as_seq)
        .and_then(|s| s.first())
        .filter(|x| !x.is_null())
}

/// The last path segment of a resource name or URL.
pub fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

pub fn int(v: &Value, k: &str) -> Option<i64> {
    v.get_attr(k).and_then(Value::as_f64).map(|x| x as i64)
}
