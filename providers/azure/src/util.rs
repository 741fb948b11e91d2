//! JSON ↔ value helpers and the pieces every ARM resource shares (tags, identity, the
//! name/resource group/location triple, plan-time ids).

use gantry_core::provider::{BlockSchema, Nesting};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub fn s(j: &Json, k: &str) -> Value {
    j.get(k)
        .and_then(Json::as_str)
        .map(Value::string)
        .unwrap_or(Value::Null)
}

pub fn n(j: &Json, k: &str) -> Value {
    match j.get(k) {
        Some(Json::Number(x)) => x.as_f64().map(Value::Number).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

pub fn b(j: &Json, k: &str, default: bool) -> Value {
    Value::Bool(j.get(k).and_then(Json::as_bool).unwrap_or(default))
}

pub fn first<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.get_attr(k)
        .and_then(Value::as_seq)
        .and_then(|s| s.first())
        .filter(|x| !x.is_null())
}

pub fn int(v: &Value, k: &str) -> Option<i64> {
    v.get_attr(k).and_then(Value::as_f64).map(|x| x as i64)
}

/// `tags` as ARM takes them.
pub fn tags_json(v: &Value) -> Json {
    Json::Object(
        string_map(v, "tags")
            .into_iter()
            .map(|(k, v)| (k, Json::String(v)))
            .collect(),
    )
}

/// Live tags as state: an empty map when the configuration had none recorded as null stays
/// null (azurerm stores `{}`, which the SDKv2 rule equates with null anyway).
pub fn tags_value(j: &Json) -> Value {
    Value::map(
        j["tags"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), Value::string(s))))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

pub fn tags_schema(b: &mut BlockSchema) {
    b.attributes
        .insert("tags".into(), opt(Type::map(Type::String)));
}

/// `identity { type, identity_ids }` with computed principal_id / tenant_id.
pub fn identity_schema(b: &mut BlockSchema, force_new: bool) {
    let mut i = BlockSchema::default();
    i.attributes.insert("type".into(), req(Type::String));
    i.attributes
        .insert("identity_ids".into(), opt(Type::set(Type::String)));
    for k in ["principal_id", "tenant_id"] {
        i.attributes.insert(k.into(), comp(Type::String));
    }
    b.blocks
        .insert("identity".into(), block(Nesting::List, i, 1, force_new));
}

pub fn identity_json(v: &Value) -> Option<Json> {
    let i = first(v, "identity")?;
    let t = attr_str(i, "type")?;
    let mut o = json!({ "type": t });
    let ids: Vec<String> = i
        .get_attr("identity_ids")
        .and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if !ids.is_empty() {
        o["userAssignedIdentities"] =
            Json::Object(ids.into_iter().map(|id| (id, json!({}))).collect());
    }
    Some(o)
}

pub fn identity_value(j: &Json) -> Value {
    match j["identity"]["type"].as_str() {
        Some(t) if t != "None" => {
            let ids: Vec<Value> = j["identity"]["userAssignedIdentities"]
                .as_object()
                .map(|m| m.keys().map(Value::string).collect())
                .unwrap_or_default();
            Value::list(vec![obj(vec![
                ("type", Value::string(t)),
                ("identity_ids", Value::set(ids)),
                ("principal_id", s(&j["identity"], "principalId")),
                ("tenant_id", s(&j["identity"], "tenantId")),
            ])])
        }
        _ => Value::list(vec![]),
    }
}

/// ARM location names are compared lower-case without spaces ("West Europe" = westeurope).
pub fn location_norm(l: &str) -> String {
    l.to_lowercase().replace(' ', "")
}
