//! `azurerm_machine_learning_compute_cluster`: an AmlCompute GPU cluster (Standard_NC24ads_A100_v4,
//! Standard_ND96isr_H100_v5, ...). Its `scale_settings` change in place — a PATCH of the
//! cluster's scale settings, which ARM supports — where azurerm recreates the cluster
//! (terraform-provider-azurerm #29859, #30543); the rest makes a new cluster, as in azurerm.

use crate::arm_resource::{ArmType, Parent, Update};
use crate::ids;
use crate::util::*;
use gantry_core::provider::{BlockSchema, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct ComputeCluster;

impl ArmType for ComputeCluster {
    const NAME: &'static str = "azurerm_machine_learning_compute_cluster";
    const PARENT: Parent = Parent::Under {
        attr: "machine_learning_workspace_id",
        collection: "computes",
    };
    const API: &'static str = crate::ml_workspace::API;
    const UPDATE: Update = Update::Patch;
    /// The cluster's VMs go with it.
    const DELETE_QUERY: Option<&'static str> = Some("underlyingResourceAction=Delete");

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "location",
            "machine_learning_workspace_id",
            "vm_priority",
            "vm_size",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["description", "subnet_resource_id"] {
            b.attributes.insert(k.into(), opt(Type::String).force_new());
        }
        for (k, d) in [
            ("local_auth_enabled", true),
            ("node_public_ip_enabled", true),
            ("ssh_public_access_enabled", false),
        ] {
            b.attributes.insert(
                k.into(),
                opt(Type::Bool).with_default(Value::Bool(d)).force_new(),
            );
        }
        b.attributes.insert("id".into(), comp(Type::String));
        let mut scale = BlockSchema::default();
        for k in ["max_node_count", "min_node_count"] {
            scale.attributes.insert(k.into(), req(Type::Number));
        }
        scale.attributes.insert(
            "scale_down_nodes_after_idle_duration".into(),
            req(Type::String),
        );
        let mut sb = block(Nesting::List, scale, 1, false);
        sb.min_items = 1;
        b.blocks.insert("scale_settings".into(), sb);
        b.attributes
            .insert("tags".into(), opt(Type::map(Type::String)).force_new());
        identity_schema(&mut b, true);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Azure ML compute cluster.".into(),
            legacy_type_system: true,
        }
    }

    fn notes(planned: &Value) -> ProviderResult<Vec<String>> {
        Ok(
            match (
                attr_str(planned, "vm_size"),
                first(planned, "scale_settings"),
            ) {
                (Some(size), Some(sc)) => vec![format!(
                    "{size}, {}–{} nodes",
                    int(sc, "min_node_count").unwrap_or(0),
                    int(sc, "max_node_count").unwrap_or(0)
                )],
                _ => vec![],
            },
        )
    }

    fn body(planned: &Value) -> ProviderResult<Json> {
        let mut inner = json!({
            "vmSize": need_str(planned, "vm_size")?,
            "vmPriority": need_str(planned, "vm_priority")?,
            "scaleSettings": scale_json(planned),
            "enableNodePublicIp": attr_bool(planned, "node_public_ip_enabled").unwrap_or(true),
            "remoteLoginPortPublicAccess": if attr_bool(planned, "ssh_public_access_enabled") == Some(true) { "Enabled" } else { "Disabled" },
        });
        if let Some(s) = attr_str(planned, "subnet_resource_id") {
            inner["subnet"] = json!({ "id": s });
        }
        let mut props = json!({
            "computeType": "AmlCompute",
            "disableLocalAuth": !attr_bool(planned, "local_auth_enabled").unwrap_or(true),
            "properties": inner,
        });
        if let Some(d) = attr_str(planned, "description") {
            props["description"] = json!(d);
        }
        let mut body = json!({"location": need_str(planned, "location")?, "tags": tags_json(planned), "properties": props});
        if let Some(i) = identity_json(planned) {
            body["identity"] = i;
        }
        Ok(body)
    }

    /// Only the scale settings change in place: a PATCH of them.
    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        Ok(json!({"properties": {"properties": {"scaleSettings": scale_json(planned)}}}))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        from_json(prior, j)
    }
}

fn scale_json(v: &Value) -> Json {
    let sc = first(v, "scale_settings");
    json!({
        "maxNodeCount": sc.and_then(|s| int(s, "max_node_count")).unwrap_or(1),
        "minNodeCount": sc.and_then(|s| int(s, "min_node_count")).unwrap_or(0),
        "nodeIdleTimeBeforeScaleDown": sc.and_then(|s| attr_str(s, "scale_down_nodes_after_idle_duration")).unwrap_or_else(|| "PT120S".into()),
    })
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let p = &j["properties"];
    let inner = &p["properties"];
    let sc = &inner["scaleSettings"];
    let rid = j["id"].as_str().unwrap_or_default();
    fill(
        prior,
        vec![
            ("id", Value::string(rid)),
            ("name", s(j, "name")),
            (
                "machine_learning_workspace_id",
                Value::string(ids::parent(rid)),
            ),
            (
                "location",
                Value::string(location_norm(j["location"].as_str().unwrap_or_default())),
            ),
            ("vm_size", s(inner, "vmSize")),
            ("vm_priority", s(inner, "vmPriority")),
            ("description", s(p, "description")),
            ("subnet_resource_id", s(&inner["subnet"], "id")),
            (
                "local_auth_enabled",
                Value::Bool(!p["disableLocalAuth"].as_bool().unwrap_or(false)),
            ),
            (
                "node_public_ip_enabled",
                b(inner, "enableNodePublicIp", true),
            ),
            (
                "ssh_public_access_enabled",
                Value::Bool(inner["remoteLoginPortPublicAccess"].as_str() == Some("Enabled")),
            ),
            (
                "scale_settings",
                Value::list(vec![obj(vec![
                    ("max_node_count", n(sc, "maxNodeCount")),
                    ("min_node_count", n(sc, "minNodeCount")),
                    (
                        "scale_down_nodes_after_idle_duration",
                        s(sc, "nodeIdleTimeBeforeScaleDown"),
                    ),
                ])]),
            ),
            ("tags", tags_value(j)),
            ("identity", identity_value(j)),
        ],
    )
}
