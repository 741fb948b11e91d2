//! GKE's NodeConfig as hashicorp/google's `node_config` block (node pools and a cluster's
//! default pool): its schema, the JSON sent, the state read back — with OAuth scope aliases
//! (`cloud-platform`) kept as configured when they name the recorded scopes.

use crate::util::*;
use gantry_core::provider::{BlockSchema, Nesting};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

fn one(b: BlockSchema, force_new: bool) -> gantry_core::provider::NestedBlock {
    block(Nesting::List, b, 1, force_new)
}

pub fn schema() -> BlockSchema {
    let s = Type::String;
    let mut nc = BlockSchema::default();
    for k in ["machine_type", "service_account", "disk_type", "image_type"] {
        nc.attributes
            .insert(k.into(), optcomp(s.clone()).force_new());
    }
    nc.attributes
        .insert("disk_size_gb".into(), optcomp(Type::Number).force_new());
    nc.attributes.insert(
        "oauth_scopes".into(),
        optcomp(Type::set(s.clone())).force_new(),
    );
    for k in ["spot", "preemptible"] {
        nc.attributes.insert(k.into(), opt(Type::Bool).force_new());
    }
    nc.attributes
        .insert("labels".into(), optcomp(Type::map(s.clone())));
    nc.attributes
        .insert("resource_labels".into(), opt(Type::map(s.clone())));
    let mut taint = BlockSchema::default();
    for k in ["key", "value", "effect"] {
        taint.attributes.insert(k.into(), req(s.clone()));
    }
    nc.blocks
        .insert("taint".into(), block(Nesting::List, taint, 0, false));
    let mut driver = BlockSchema::default();
    driver
        .attributes
        .insert("gpu_driver_version".into(), req(s.clone()).force_new());
    let mut accel = BlockSchema::default();
    accel
        .attributes
        .insert("type".into(), req(s.clone()).force_new());
    accel
        .attributes
        .insert("count".into(), req(Type::Number).force_new());
    accel
        .attributes
        .insert("gpu_partition_size".into(), opt(s.clone()).force_new());
    accel
        .blocks
        .insert("gpu_driver_installation_config".into(), one(driver, true));
    nc.blocks.insert(
        "guest_accelerator".into(),
        block(Nesting::List, accel, 0, true),
    );
    nc
}

/// A `node_config` block as GKE's NodeConfig (shared with the cluster's default pool).
pub fn to_json(nc: &Value) -> Json {
    let mut o = json!({});
    for (k, j) in [
        ("machine_type", "machineType"),
        ("service_account", "serviceAccount"),
        ("disk_type", "diskType"),
        ("image_type", "imageType"),
    ] {
        if let Some(x) = attr_str(nc, k) {
            o[j] = json!(x);
        }
    }
    if let Some(n) = int(nc, "disk_size_gb") {
        o["diskSizeGb"] = json!(n);
    }
    if let Some(sc) = nc.get_attr("oauth_scopes").and_then(Value::as_seq) {
        o["oauthScopes"] = sc
            .iter()
            .filter_map(|x| x.as_str())
            .map(scope_url)
            .collect();
    }
    for k in ["spot", "preemptible"] {
        if let Some(x) = attr_bool(nc, k) {
            o[k] = json!(x);
        }
    }
    if nc.get_attr("labels").is_some_and(|l| !l.is_null()) {
        o["labels"] = json_map(nc.get_attr("labels"));
    }
    if nc.get_attr("resource_labels").is_some_and(|l| !l.is_null()) {
        o["resourceLabels"] = json_map(nc.get_attr("resource_labels"));
    }
    let taints = taints_json(nc);
    if taints.as_array().is_some_and(|t| !t.is_empty()) {
        o["taints"] = taints;
    }
    let accels: Vec<Json> = nc
        .get_attr("guest_accelerator")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
        .map(|a| {
            let mut x = json!({
                "acceleratorType": attr_str(a, "type"),
                "acceleratorCount": int(a, "count").unwrap_or(1).to_string(),
            });
            if let Some(p) = attr_str(a, "gpu_partition_size") {
                x["gpuPartitionSize"] = json!(p);
            }
            if let Some(d) = first(a, "gpu_driver_installation_config") {
                x["gpuDriverInstallationConfig"] =
                    json!({"gpuDriverVersion": attr_str(d, "gpu_driver_version")});
            }
            x
        })
        .collect();
    if !accels.is_empty() {
        o["accelerators"] = json!(accels);
    }
    o
}

/// OAuth scopes as sorted URLs (`cloud-platform` → its URL); None when unset or unknown.
pub fn scope_urls(v: Option<&Value>) -> Option<Vec<String>> {
    let v = v.filter(|v| v.is_wholly_known())?;
    let mut out: Vec<String> = v
        .as_seq()?
        .iter()
        .filter_map(|x| x.as_str())
        .map(scope_url)
        .collect();
    out.sort();
    Some(out)
}

fn scope_url(x: &str) -> String {
    if x.contains("://") {
        x.to_string()
    } else {
        format!("https://www.googleapis.com/auth/{x}")
    }
}

pub fn taints_json(nc: &Value) -> Json {
    nc.get_attr("taint")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
        .map(|t| {
            json!({"key": attr_str(t, "key"), "value": attr_str(t, "value"),
                   "effect": attr_str(t, "effect")})
        })
        .collect()
}

/// The live NodeConfig as the block's state (`prior` is the block as recorded or planned).
pub fn from_json(cfg: &Json, prior_nc: Option<&Value>) -> Value {
    let accels = Value::list(
        cfg["accelerators"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let driver = match a["gpuDriverInstallationConfig"]["gpuDriverVersion"].as_str() {
                    Some(v) => {
                        Value::list(vec![obj(vec![("gpu_driver_version", Value::string(v))])])
                    }
                    None => Value::list(vec![]),
                };
                obj(vec![
                    ("type", s(a, "acceleratorType")),
                    ("count", n(a, "acceleratorCount")),
                    ("gpu_partition_size", s(a, "gpuPartitionSize")),
                    ("gpu_driver_installation_config", driver),
                ])
            })
            .collect(),
    );
    let taints = Value::list(
        cfg["taints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                obj(vec![
                    ("key", s(t, "key")),
                    ("value", s(t, "value")),
                    ("effect", s(t, "effect")),
                ])
            })
            .collect(),
    );
    // Scope aliases in the configuration stay aliases when they name the same scopes.
    let live_scopes: Vec<String> = cfg["oauthScopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(String::from)
        .collect();
    let mut sorted_live: Vec<String> = live_scopes.clone();
    sorted_live.sort();
    let scopes = match prior_nc.and_then(|p| p.get_attr("oauth_scopes")) {
        Some(p) if scope_urls(Some(p)).as_ref() == Some(&sorted_live) => p.clone(),
        _ => Value::set(live_scopes.iter().map(Value::string).collect()),
    };
    let opt_bool = |k: &str| match cfg.get(k).and_then(Json::as_bool) {
        Some(b) => Value::Bool(b),
        None if prior_nc.and_then(|p| attr_bool(p, k)).is_some() => Value::Bool(false),
        None => Value::Null,
    };
    let labels_of = |k: &str, prior_key: &str| match cfg.get(k) {
        Some(m) if m.as_object().is_some_and(|o| !o.is_empty()) => str_map(m),
        _ if prior_nc
            .and_then(|p| p.get_attr(prior_key))
            .is_none_or(Value::is_null) =>
        {
            if prior_key == "labels" {
                Value::empty_map()
            } else {
                Value::Null
            }
        }
        _ => Value::empty_map(),
    };
    obj(vec![
        ("machine_type", s(cfg, "machineType")),
        ("service_account", s(cfg, "serviceAccount")),
        ("disk_type", s(cfg, "diskType")),
        ("image_type", s(cfg, "imageType")),
        ("disk_size_gb", n(cfg, "diskSizeGb")),
        ("oauth_scopes", scopes),
        ("spot", opt_bool("spot")),
        ("preemptible", opt_bool("preemptible")),
        ("labels", labels_of("labels", "labels")),
        (
            "resource_labels",
            labels_of("resourceLabels", "resource_labels"),
        ),
        ("taint", taints),
        ("guest_accelerator", accels),
    ])
}
