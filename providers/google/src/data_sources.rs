//! Data sources: `google_tpu_v2_runtime_versions` and `google_tpu_v2_accelerator_types`
//! (what a zone offers, read before a TPU is planned), as hashicorp/google shapes them.

use crate::client::Api;
use crate::config::Ctx;
use crate::util::last_segment;
use gantry_core::provider::{
    BlockSchema, ErrorKind, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub fn schemas() -> BTreeMap<String, ResourceSchema> {
    let mut out = BTreeMap::new();
    for (name, list) in [
        ("google_tpu_v2_runtime_versions", "versions"),
        ("google_tpu_v2_accelerator_types", "types"),
    ] {
        let mut b = BlockSchema::default();
        for k in ["project", "zone"] {
            b.attributes.insert(k.into(), optcomp(Type::String));
        }
        b.attributes.insert("id".into(), comp(Type::String));
        b.attributes
            .insert(list.into(), comp(Type::list(Type::String)));
        out.insert(
            name.to_string(),
            ResourceSchema {
                version: 0,
                block: b,
                description: String::new(),
                legacy_type_system: true,
            },
        );
    }
    out
}

pub async fn read(c: &Ctx, type_name: &str, config: &Value) -> ProviderResult<Value> {
    let (collection, field, out) = match type_name {
        "google_tpu_v2_runtime_versions" => ("runtimeVersions", "runtimeVersions", "versions"),
        "google_tpu_v2_accelerator_types" => ("acceleratorTypes", "acceleratorTypes", "types"),
        other => {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("the google provider has no data source {other:?}"),
            ))
        }
    };
    let project = c.project(config)?;
    let zone = c.zone(config)?;
    let parent = format!("projects/{project}/locations/{zone}");
    let mut names = vec![];
    let mut token: Option<String> = None;
    loop {
        let mut p = format!("{parent}/{collection}");
        if let Some(t) = &token {
            p.push_str(&format!("?pageToken={}", crate::client::enc(t)));
        }
        let page = c.client.get(Api::TpuV2, &zone, &p).await?;
        for item in page[field].as_array().into_iter().flatten() {
            if let Some(n) = item["name"].as_str() {
                names.push(Value::string(last_segment(n)));
            }
        }
        token = page["nextPageToken"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(String::from);
        if token.is_none() {
            break;
        }
    }
    names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    Ok(fill(
        config,
        vec![
            ("id", Value::string(&parent)),
            ("project", Value::string(&project)),
            ("zone", Value::string(&zone)),
            (out, Value::list(names)),
        ],
    ))
}
