//! `azurerm_key_vault`: the key vault an ML workspace keeps its secrets in. Everything but
//! the name, location, group and soft-delete retention changes in place (PATCH).

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::strings;
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct KeyVault;

const FLAGS: [(&str, &str); 4] = [
    ("enabled_for_deployment", "enabledForDeployment"),
    ("enabled_for_disk_encryption", "enabledForDiskEncryption"),
    (
        "enabled_for_template_deployment",
        "enabledForTemplateDeployment",
    ),
    ("enable_rbac_authorization", "enableRbacAuthorization"),
];
const PERMISSIONS: [(&str, &str); 4] = [
    ("key_permissions", "keys"),
    ("secret_permissions", "secrets"),
    ("certificate_permissions", "certificates"),
    ("storage_permissions", "storage"),
];

impl ArmType for KeyVault {
    const NAME: &'static str = "azurerm_key_vault";
    const PARENT: Parent = Parent::Group("Microsoft.KeyVault/vaults");
    const API: &'static str = "2023-07-01";
    const UPDATE: Update = Update::Patch;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location", "resource_group_name"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["tenant_id", "sku_name"] {
            b.attributes.insert(k.into(), req(Type::String));
        }
        b.attributes.insert(
            "soft_delete_retention_days".into(),
            opt(Type::Number)
                .with_default(Value::Number(90.0))
                .force_new(),
        );
        b.attributes
            .insert("purge_protection_enabled".into(), opt(Type::Bool));
        for (k, _) in FLAGS {
            b.attributes.insert(k.into(), opt(Type::Bool));
        }
        b.attributes.insert(
            "public_network_access_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(true)),
        );
        for k in ["id", "vault_uri"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        let mut ap = BlockSchema::default();
        for k in ["tenant_id", "object_id"] {
            ap.attributes.insert(k.into(), req(Type::String));
        }
        ap.attributes
            .insert("application_id".into(), opt(Type::String));
        for (k, _) in PERMISSIONS {
            ap.attributes
                .insert(k.into(), opt(Type::list(Type::String)));
        }
        b.blocks
            .insert("access_policy".into(), block(Nesting::List, ap, 0, false));
        tags_schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 2,
            block: b,
            description: "A key vault.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let mut props = json!({
            "tenantId": need_str(v, "tenant_id")?,
            "sku": {"family": "A", "name": need_str(v, "sku_name")?},
            "softDeleteRetentionInDays": int(v, "soft_delete_retention_days").unwrap_or(90),
            "publicNetworkAccess": if attr_bool(v, "public_network_access_enabled") == Some(false) { "Disabled" } else { "Enabled" },
            "accessPolicies": policies(v),
        });
        for (k, j) in FLAGS {
            props[j] = json!(attr_bool(v, k).unwrap_or(false));
        }
        if attr_bool(v, "purge_protection_enabled") == Some(true) {
            props["enablePurgeProtection"] = json!(true);
        }
        Ok(json!({"location": need_str(v, "location")?, "tags": tags_json(v), "properties": props}))
    }

    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        let mut b = Self::body(planned)?;
        if let Some(o) = b.as_object_mut() {
            o.remove("location");
        }
        if let Some(p) = b["properties"].as_object_mut() {
            p.remove("softDeleteRetentionInDays");
        }
        Ok(b)
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let aps = Value::list(
            p["accessPolicies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    let mut pairs = vec![
                        ("tenant_id", s(a, "tenantId")),
                        ("object_id", s(a, "objectId")),
                        ("application_id", s(a, "applicationId")),
                    ];
                    for (k, jk) in PERMISSIONS {
                        pairs.push((
                            k,
                            Value::list(
                                a["permissions"][jk]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(Json::as_str)
                                    .map(Value::string)
                                    .collect(),
                            ),
                        ));
                    }
                    obj(pairs)
                })
                .collect(),
        );
        let mut pairs = placed(j);
        pairs.extend([
            ("tenant_id", s(p, "tenantId")),
            ("sku_name", s(&p["sku"], "name")),
            (
                "soft_delete_retention_days",
                n(p, "softDeleteRetentionInDays"),
            ),
            (
                "purge_protection_enabled",
                b(p, "enablePurgeProtection", false),
            ),
            (
                "public_network_access_enabled",
                Value::Bool(p["publicNetworkAccess"].as_str() != Some("Disabled")),
            ),
            ("vault_uri", s(p, "vaultUri")),
            ("access_policy", aps),
        ]);
        for (k, jk) in FLAGS {
            pairs.push((k, b(p, jk, false)));
        }
        fill(prior, pairs)
    }
}

fn policies(v: &Value) -> Json {
    v.get_attr("access_policy")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
        .map(|a| {
            let mut perms = json!({});
            for (k, j) in PERMISSIONS {
                perms[j] = json!(strings(a, k));
            }
            let mut o = json!({"tenantId": attr_str(a, "tenant_id"), "objectId": attr_str(a, "object_id"), "permissions": perms});
            if let Some(app) = attr_str(a, "application_id") {
                o["applicationId"] = json!(app);
            }
            o
        })
        .collect()
}
