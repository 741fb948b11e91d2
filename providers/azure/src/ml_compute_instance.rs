//! `azurerm_machine_learning_compute_instance`: a personal GPU workstation in an Azure ML
//! workspace. As in azurerm, every argument makes a new instance (ARM has no update for
//! them).

use crate::arm_resource::{ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct ComputeInstance;

impl ArmType for ComputeInstance {
    const NAME: &'static str = "azurerm_machine_learning_compute_instance";
    const PARENT: Parent = Parent::Under {
        attr: "machine_learning_workspace_id",
        collection: "computes",
    };
    const API: &'static str = crate::ml_workspace::API;
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "machine_learning_workspace_id",
            "virtual_machine_size",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["description", "subnet_resource_id"] {
            b.attributes.insert(k.into(), opt(Type::String).force_new());
        }
        b.attributes.insert(
            "authorization_type".into(),
            opt(Type::String)
                .with_default(Value::string("personal"))
                .force_new(),
        );
        for k in ["local_auth_enabled", "node_public_ip_enabled"] {
            b.attributes.insert(
                k.into(),
                opt(Type::Bool).with_default(Value::Bool(true)).force_new(),
            );
        }
        b.attributes
            .insert("tags".into(), opt(Type::map(Type::String)).force_new());
        b.attributes.insert("id".into(), comp(Type::String));
        let mut user = BlockSchema::default();
        for k in ["object_id", "tenant_id"] {
            user.attributes
                .insert(k.into(), req(Type::String).force_new());
        }
        b.blocks
            .insert("assign_to_user".into(), block(Nesting::List, user, 1, true));
        let mut ssh = BlockSchema::default();
        ssh.attributes
            .insert("public_key".into(), req(Type::String).force_new());
        for k in ["username", "port"] {
            ssh.attributes.insert(
                k.into(),
                comp(if k == "port" {
                    Type::Number
                } else {
                    Type::String
                }),
            );
        }
        b.blocks
            .insert("ssh".into(), block(Nesting::List, ssh, 1, true));
        identity_schema(&mut b, true);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Azure ML compute instance.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let mut inner = json!({
            "vmSize": need_str(v, "virtual_machine_size")?,
            "computeInstanceAuthorizationType": attr_str(v, "authorization_type").unwrap_or_else(|| "personal".into()),
            "enableNodePublicIp": attr_bool(v, "node_public_ip_enabled").unwrap_or(true),
        });
        if let Some(s) = attr_str(v, "subnet_resource_id") {
            inner["subnet"] = json!({ "id": s });
        }
        if let Some(u) = first(v, "assign_to_user") {
            inner["personalComputeInstanceSettings"] = json!({"assignedUser": {"objectId": attr_str(u, "object_id"), "tenantId": attr_str(u, "tenant_id")}});
        }
        if let Some(s) = first(v, "ssh") {
            inner["sshSettings"] =
                json!({"sshPublicAccess": "Enabled", "adminPublicKey": attr_str(s, "public_key")});
        }
        let mut props = json!({
            "computeType": "ComputeInstance",
            "disableLocalAuth": attr_bool(v, "local_auth_enabled") == Some(false),
            "properties": inner,
        });
        if let Some(d) = attr_str(v, "description") {
            props["description"] = json!(d);
        }
        let mut b = json!({"tags": tags_json(v), "properties": props});
        if let Some(i) = identity_json(v) {
            b["identity"] = i;
        }
        Ok(b)
    }

    fn notes(v: &Value) -> ProviderResult<Vec<String>> {
        Ok(vec![attr_str(v, "virtual_machine_size").unwrap_or_default()])
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let inner = &p["properties"];
        let rid = j["id"].as_str().unwrap_or_default();
        let user = &inner["personalComputeInstanceSettings"]["assignedUser"];
        let ssh = &inner["sshSettings"];
        fill(
            prior,
            vec![
                ("id", Value::string(rid)),
                ("name", s(j, "name")),
                (
                    "machine_learning_workspace_id",
                    Value::string(crate::ids::parent(rid)),
                ),
                ("virtual_machine_size", s(inner, "vmSize")),
                ("description", s(p, "description")),
                ("subnet_resource_id", s(&inner["subnet"], "id")),
                (
                    "authorization_type",
                    s(inner, "computeInstanceAuthorizationType"),
                ),
                (
                    "local_auth_enabled",
                    Value::Bool(!p["disableLocalAuth"].as_bool().unwrap_or(false)),
                ),
                (
                    "node_public_ip_enabled",
                    b(inner, "enableNodePublicIp", true),
                ),
                (
                    "assign_to_user",
                    if user.is_object() {
                        Value::list(vec![obj(vec![
                            ("object_id", s(user, "objectId")),
                            ("tenant_id", s(user, "tenantId")),
                        ])])
                    } else {
                        Value::list(vec![])
                    },
                ),
                (
                    "ssh",
                    if ssh["adminPublicKey"].is_string() {
                        Value::list(vec![obj(vec![
                            ("public_key", s(ssh, "adminPublicKey")),
                            ("username", s(ssh, "adminUserName")),
                            ("port", n(ssh, "sshPort")),
                        ])])
                    } else {
                        Value::list(vec![])
                    },
                ),
                ("tags", tags_value(j)),
                ("identity", identity_value(j)),
            ],
        )
    }
}
