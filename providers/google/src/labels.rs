//! hashicorp/google's three label attributes: `labels` (what the configuration manages),
//! `terraform_labels` (those plus the provider's `default_labels`) and `effective_labels`
//! (everything on the object, including labels set outside gantry). Only the keys a
//! configuration manages show as drift in `labels`. An imported object starts with all its
//! labels managed (upstream leaves `labels` empty and plans adding them back).

use crate::config::Ctx;
use gantry_core::provider::BlockSchema;
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::Value as Json;
use std::collections::BTreeMap;

pub const ATTRIBUTION: (&str, &str) = ("goog-terraform-provisioned", "true");

pub fn schema(b: &mut BlockSchema) {
    schema_for(b, "labels")
}

/// The three attributes with the configured one named `key` (GKE's `resource_labels`).
pub fn schema_for(b: &mut BlockSchema, key: &str) {
    b.attributes
        .insert(key.into(), opt(Type::map(Type::String)));
    for k in ["terraform_labels", "effective_labels"] {
        b.attributes.insert(k.into(), comp(Type::map(Type::String)));
    }
}

pub fn value_of(m: &BTreeMap<String, String>) -> Value {
    Value::map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect(),
    )
}

/// Plans `terraform_labels` and `effective_labels` from `labels` (unknown labels: both unknown).
pub fn plan(ctx: &Ctx, prior: Option<&Value>, proposed: &Value, key: &str) -> Value {
    if proposed.get_attr(key).is_some_and(|l| !l.is_wholly_known()) {
        return fill(
            proposed,
            vec![
                ("terraform_labels", Value::Unknown),
                ("effective_labels", Value::Unknown),
            ],
        );
    }
    let mut managed = ctx.default_labels.clone();
    managed.extend(string_map(proposed, key));
    let mut effective = match prior {
        // Labels nobody manages stay; labels dropped from the configuration go.
        Some(p) => {
            let before = string_map(p, "terraform_labels");
            string_map(p, "effective_labels")
                .into_iter()
                .filter(|(k, _)| !before.contains_key(k))
                .collect()
        }
        None if ctx.attribution_label => {
            BTreeMap::from([(ATTRIBUTION.0.to_string(), ATTRIBUTION.1.to_string())])
        }
        None => BTreeMap::new(),
    };
    effective.extend(managed.clone());
    fill(
        proposed,
        vec![
            ("terraform_labels", value_of(&managed)),
            ("effective_labels", value_of(&effective)),
        ],
    )
}

/// The labels to send: the planned `effective_labels`.
pub fn to_send(planned: &Value) -> Json {
    let m = string_map(planned, "effective_labels");
    let m = if m.is_empty() {
        string_map(planned, "labels")
    } else {
        m
    };
    Json::Object(m.into_iter().map(|(k, v)| (k, Json::String(v))).collect())
}

/// `labels`, `terraform_labels`, `effective_labels` from the live labels.
pub fn read(prior: &Value, live: &Json) -> Vec<(&'static str, Value)> {
    read_for(prior, live, "labels")
}

/// [`read`] with the configured attribute named `key`.
pub fn read_for(prior: &Value, live: &Json, key: &'static str) -> Vec<(&'static str, Value)> {
    let live: BTreeMap<String, String> = live
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if prior.get_attr(key).is_none() {
        // Imported: nothing says which labels are managed yet; all of them are, so a
        // configuration that lists them plans no change.
        let configured = if live.is_empty() {
            Value::Null
        } else {
            value_of(&live)
        };
        return vec![
            (key, configured),
            ("terraform_labels", value_of(&live)),
            ("effective_labels", value_of(&live)),
        ];
    }
    let configured = string_map(prior, key);
    let managed = string_map(prior, "terraform_labels");
    let pick = |keys: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        live.iter()
            .filter(|(k, _)| keys.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let labels = if prior.get_attr(key).is_none_or(Value::is_null) && configured.is_empty() {
        Value::Null
    } else {
        value_of(&pick(&configured))
    };
    vec![
        (key, labels),
        ("terraform_labels", value_of(&pick(&managed))),
        ("effective_labels", value_of(&live)),
    ]
}
