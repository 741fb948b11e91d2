//! `azurerm_machine_learning_workspace`: an Azure ML workspace over its storage account, key
//! vault and Application Insights. Description, friendly name, public network access, image
//! build compute, SKU and tags change in place (PATCH); the associated resources make a new
//! workspace, as in azurerm.

use crate::arm_resource::{ArmType, Parent, Update};
use crate::ids;
use crate::util::*;
use gantry_core::provider::{BlockSchema, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct Workspace;
pub const API: &str = "2025-12-01";

const REFS: [(&str, &str); 4] = [
    ("storage_account_id", "storageAccount"),
    ("key_vault_id", "keyVault"),
    ("application_insights_id", "applicationInsights"),
    ("container_registry_id", "containerRegistry"),
];
const MUTABLE: [(&str, &str); 3] = [
    ("description", "description"),
    ("friendly_name", "friendlyName"),
    ("image_build_compute_name", "imageBuildCompute"),
];

impl ArmType for Workspace {
    const NAME: &'static str = "azurerm_machine_learning_workspace";
    const PARENT: Parent = Parent::Group("Microsoft.MachineLearningServices/workspaces");
    const API: &'static str = API;
    const UPDATE: Update = Update::Patch;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "location",
            "resource_group_name",
            "storage_account_id",
            "key_vault_id",
            "application_insights_id",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert(
            "container_registry_id".into(),
            opt(Type::String).force_new(),
        );
        for (k, _) in MUTABLE {
            b.attributes.insert(k.into(), opt(Type::String));
        }
        b.attributes.insert(
            "sku_name".into(),
            opt(Type::String).with_default(Value::string("Basic")),
        );
        b.attributes.insert(
            "kind".into(),
            opt(Type::String)
                .with_default(Value::string("Default"))
                .force_new(),
        );
        b.attributes.insert(
            "public_network_access_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(true)),
        );
        b.attributes.insert(
            "high_business_impact".into(),
            optcomp(Type::Bool).force_new(),
        );
        b.attributes.insert(
            "v1_legacy_mode_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(false)),
        );
        b.attributes
            .insert("primary_user_assigned_identity".into(), opt(Type::String));
        for k in ["id", "discovery_url", "workspace_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        tags_schema(&mut b);
        identity_schema(&mut b, false);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Azure Machine Learning workspace.".into(),
            legacy_type_system: true,
        }
    }

    fn body(planned: &Value) -> ProviderResult<Json> {
        let mut props = json!({});
        for (k, j) in REFS {
            if let Some(x) = attr_str(planned, k) {
                props[j] = json!(x);
            }
        }
        if let Some(h) = attr_bool(planned, "high_business_impact") {
            props["hbiWorkspace"] = json!(h);
        }
        mutable(planned, &mut props);
        let mut body = json!({
            "location": need_str(planned, "location")?,
            "kind": attr_str(planned, "kind").unwrap_or_else(|| "Default".into()),
            "sku": {"name": attr_str(planned, "sku_name").unwrap_or_else(|| "Basic".into())},
            "tags": tags_json(planned),
            "properties": props,
        });
        if let Some(i) = identity_json(planned) {
            body["identity"] = i;
        }
        Ok(body)
    }

    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        let mut props = json!({});
        mutable(planned, &mut props);
        let mut body = json!({
            "tags": tags_json(planned),
            "sku": {"name": attr_str(planned, "sku_name").unwrap_or_else(|| "Basic".into())},
            "properties": props,
        });
        if let Some(i) = identity_json(planned) {
            body["identity"] = i;
        }
        Ok(body)
    }

    fn state(prior: &Value, j: &Json) -> Value {
        from_json(prior, j)
    }
}

fn mutable(v: &Value, props: &mut Json) {
    for (k, j) in MUTABLE {
        if let Some(x) = attr_str(v, k) {
            props[j] = json!(x);
        }
    }
    props["publicNetworkAccess"] = json!(if attr_bool(v, "public_network_access_enabled")
        == Some(false)
    {
        "Disabled"
    } else {
        "Enabled"
    });
    props["v1LegacyMode"] = json!(attr_bool(v, "v1_legacy_mode_enabled").unwrap_or(false));
    if let Some(p) = attr_str(v, "primary_user_assigned_identity") {
        props["primaryUserAssignedIdentity"] = json!(p);
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let p = &j["properties"];
    let rid = j["id"].as_str().unwrap_or_default();
    let mut pairs = vec![
        ("id", Value::string(rid)),
        ("name", s(j, "name")),
        (
            "resource_group_name",
            Value::string(ids::group_of(rid).unwrap_or_default()),
        ),
        (
            "location",
            Value::string(location_norm(j["location"].as_str().unwrap_or_default())),
        ),
        ("kind", s(j, "kind")),
        ("sku_name", s(&j["sku"], "name")),
        (
            "public_network_access_enabled",
            Value::Bool(p["publicNetworkAccess"].as_str() != Some("Disabled")),
        ),
        ("high_business_impact", b(p, "hbiWorkspace", false)),
        ("v1_legacy_mode_enabled", b(p, "v1LegacyMode", false)),
        (
            "primary_user_assigned_identity",
            s(p, "primaryUserAssignedIdentity"),
        ),
        ("discovery_url", s(p, "discoveryUrl")),
        ("workspace_id", s(p, "workspaceId")),
        ("tags", tags_value(j)),
        ("identity", identity_value(j)),
    ];
    for (k, jk) in REFS.iter().chain(MUTABLE.iter()) {
        pairs.push((k, s(p, jk)));
    }
    fill(prior, pairs)
}
