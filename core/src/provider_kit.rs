//! Small helpers every native provider uses: reading attributes of a value, building
//! objects, schema shorthands, `timeouts {}` blocks. Cloud-neutral.

use crate::provider::{
    AttributeSchema, BlockSchema, ErrorKind, NestedBlock, Nesting, ProviderError, ProviderResult,
};
use crate::types::Type;
use crate::value::{Map, Value};
use std::time::Duration;

pub fn attr_str(v: &Value, k: &str) -> Option<String> {
    v.get_attr(k).and_then(|x| x.as_str()).map(String::from)
}

/// A map-of-strings attribute (tags, labels) as a sorted map; absent or null is empty.
pub fn string_map(v: &Value, k: &str) -> std::collections::BTreeMap<String, String> {
    v.get_attr(k)
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The strings of a list or set attribute (empty when null or absent).
pub fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get_attr(k)
        .and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub fn attr_num(v: &Value, k: &str) -> Option<f64> {
    v.get_attr(k).and_then(Value::as_f64)
}

pub fn attr_bool(v: &Value, k: &str) -> Option<bool> {
    v.get_attr(k).and_then(Value::as_bool)
}

/// A required string attribute, or a validation error naming it.
pub fn need_str(v: &Value, k: &str) -> ProviderResult<String> {
    attr_str(v, k)
        .ok_or_else(|| ProviderError::new(ErrorKind::Validation, format!("{k} is required")))
}

/// Builds an object value from pairs.
pub fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map>(),
    )
}

/// `planned` with computed attributes filled in.
pub fn fill(planned: &Value, pairs: Vec<(&str, Value)>) -> Value {
    let mut m = planned.as_map().cloned().unwrap_or_default();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::map(m)
}

pub fn opt_str(s: Option<&str>) -> Value {
    s.map(Value::string).unwrap_or(Value::Null)
}

/// Schema shorthands.
pub fn req(t: Type) -> AttributeSchema {
    AttributeSchema::required(t)
}
pub fn opt(t: Type) -> AttributeSchema {
    AttributeSchema::optional(t)
}
pub fn comp(t: Type) -> AttributeSchema {
    AttributeSchema::computed(t)
}
pub fn optcomp(t: Type) -> AttributeSchema {
    AttributeSchema::optional_computed(t)
}
pub fn block(
    nesting: Nesting,
    block: BlockSchema,
    max_items: usize,
    force_new: bool,
) -> NestedBlock {
    NestedBlock {
        nesting,
        block,
        min_items: 0,
        max_items,
        force_new,
    }
}

/// `timeouts { create = "60m" update = "..." delete = "..." }`.
pub fn timeouts_schema(b: &mut BlockSchema) {
    let mut t = BlockSchema::default();
    for k in ["create", "update", "delete"] {
        t.attributes.insert(k.into(), opt(Type::String));
    }
    b.blocks
        .insert("timeouts".into(), block(Nesting::Single, t, 1, false));
}

/// The configured timeout for `which`, if any (`30s`, `10m`, `2h`).
pub fn timeout(v: &Value, which: &str) -> Option<Duration> {
    let s = v.get_attr("timeouts").and_then(|t| attr_str(t, which))?;
    parse_duration(&s).ok()
}

/// A Go-style duration: `30s`, `10m`, `2h`, `1h30m`, `1.5h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration (like 30s, 15m, 1h30m)");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let n: f64 = rest[..split].parse().map_err(|_| bad())?;
        rest = &rest[split..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        total += n * match &rest[..unit_end] {
            "s" | "" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        rest = &rest[unit_end..];
    }
    Ok(Duration::from_secs_f64(total))
}
