//! `azurerm_kubernetes_cluster_node_pool`: an AKS user pool, usually GPUs — NC/ND sizes,
//! `node_taints` such as `nvidia.com/gpu=present:NoSchedule`, `gpu_instance` for MIG
//! partitions on A100/H100. Count, autoscaling bounds, labels, taints and tags change in place
//! (a PUT of the pool); the VM size, zones, priority and MIG profile make a new pool.

use crate::arm_resource::{ArmType, Parent, Update};
use crate::kubernetes_cluster::{pool_attributes, pool_json, pool_state, API};
use crate::util::*;
use gantry_core::provider::{
    BlockSchema, ErrorKind, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct NodePool;

const MIG: [&str; 5] = ["MIG1g", "MIG2g", "MIG3g", "MIG4g", "MIG7g"];

impl ArmType for NodePool {
    const NAME: &'static str = "azurerm_kubernetes_cluster_node_pool";
    const PARENT: Parent = Parent::Under {
        attr: "kubernetes_cluster_id",
        collection: "agentPools",
    };
    const API: &'static str = API;
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "kubernetes_cluster_id"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        pool_attributes(&mut b);
        b.attributes.insert(
            "mode".into(),
            opt(Type::String).with_default(Value::string("User")),
        );
        b.attributes
            .insert("node_taints".into(), opt(Type::list(Type::String)));
        b.attributes
            .insert("gpu_instance".into(), opt(Type::String).force_new());
        b.attributes.insert(
            "os_type".into(),
            opt(Type::String)
                .with_default(Value::string("Linux"))
                .force_new(),
        );
        b.attributes.insert(
            "priority".into(),
            opt(Type::String)
                .with_default(Value::string("Regular"))
                .force_new(),
        );
        b.attributes
            .insert("eviction_policy".into(), opt(Type::String).force_new());
        b.attributes
            .insert("spot_max_price".into(), opt(Type::Number).force_new());
        b.attributes.insert("id".into(), comp(Type::String));
        tags_schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 1,
            block: b,
            description: "An AKS node pool.".into(),
            legacy_type_system: true,
        }
    }

    fn notes(v: &Value) -> ProviderResult<Vec<String>> {
        if let Some(g) = attr_str(v, "gpu_instance") {
            if !MIG.contains(&g.as_str()) {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!("gpu_instance {g:?} must be one of {}", MIG.join(", ")),
                ));
            }
        }
        let size = attr_str(v, "vm_size").unwrap_or_default();
        let count = int(v, "node_count")
            .or_else(|| int(v, "min_count"))
            .unwrap_or(1);
        let mut note = format!("{count} × {size}");
        if let Some(g) = attr_str(v, "gpu_instance") {
            note.push_str(&format!(" ({g} MIG)"));
        }
        Ok(vec![note])
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let mut props = pool_json(v)?;
        props["mode"] = json!(attr_str(v, "mode").unwrap_or_else(|| "User".into()));
        props["osType"] = json!(attr_str(v, "os_type").unwrap_or_else(|| "Linux".into()));
        props["scaleSetPriority"] =
            json!(attr_str(v, "priority").unwrap_or_else(|| "Regular".into()));
        let taints: Vec<String> = v
            .get_attr("node_taints")
            .and_then(Value::as_seq)
            .map(|t| {
                t.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        props["nodeTaints"] = json!(taints);
        if let Some(g) = attr_str(v, "gpu_instance") {
            props["gpuInstanceProfile"] = json!(g);
        }
        if let Some(e) = attr_str(v, "eviction_policy") {
            props["scaleSetEvictionPolicy"] = json!(e);
        }
        if let Some(p) = v.get_attr("spot_max_price").and_then(Value::as_f64) {
            props["spotMaxPrice"] = json!(p);
        }
        props["tags"] = tags_json(v);
        Ok(json!({ "properties": props }))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let rid = j["id"].as_str().unwrap_or_default();
        let mut pairs = pool_state(p);
        pairs.extend([
            ("id", Value::string(rid)),
            ("name", s(j, "name")),
            (
                "kubernetes_cluster_id",
                Value::string(crate::ids::parent(rid)),
            ),
            ("mode", s(p, "mode")),
            ("os_type", s(p, "osType")),
            ("priority", s(p, "scaleSetPriority")),
            ("eviction_policy", s(p, "scaleSetEvictionPolicy")),
            ("spot_max_price", n(p, "spotMaxPrice")),
            ("gpu_instance", s(p, "gpuInstanceProfile")),
            (
                "node_taints",
                match p["nodeTaints"].as_array() {
                    Some(t) if !t.is_empty() => Value::list(
                        t.iter()
                            .filter_map(Json::as_str)
                            .map(Value::string)
                            .collect(),
                    ),
                    _ if prior.get_attr("node_taints").is_none_or(Value::is_null) => Value::Null,
                    _ => Value::list(vec![]),
                },
            ),
            (
                "tags",
                Value::map(
                    p["tags"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.clone(), Value::string(v.as_str().unwrap_or_default()))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
            ),
        ]);
        fill(prior, pairs)
    }
}
