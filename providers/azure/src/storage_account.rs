//! `azurerm_storage_account`: where model artifacts live. Tier, kind, replication and name
//! make a new account; access tier, TLS, public access and tags change in place (PATCH).
//! Keys and endpoints come from ARM (`listKeys`, `primaryEndpoints`), so containers and blobs
//! reach the data plane exactly as in production.

use crate::arm_resource::{ArmType, Parent, Update};
use crate::ids;
use crate::util::*;
use gantry_core::provider::{BlockSchema, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct StorageAccount;
pub const API: &str = "2023-05-01";

const IN_PLACE: [(&str, &str); 4] = [
    ("access_tier", "accessTier"),
    ("min_tls_version", "minimumTlsVersion"),
    ("https_traffic_only_enabled", "supportsHttpsTrafficOnly"),
    ("allow_nested_items_to_be_public", "allowBlobPublicAccess"),
];

impl ArmType for StorageAccount {
    const NAME: &'static str = "azurerm_storage_account";
    const PARENT: Parent = Parent::Group("Microsoft.Storage/storageAccounts");
    const API: &'static str = API;
    const UPDATE: Update = Update::Patch;
    /// The keys and connection strings come from listKeys.
    const ACTION: Option<&'static str> = Some("listKeys");

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "resource_group_name",
            "location",
            "account_tier",
            "account_replication_type",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert(
            "account_kind".into(),
            opt(Type::String)
                .with_default(Value::string("StorageV2"))
                .force_new(),
        );
        b.attributes
            .insert("access_tier".into(), optcomp(Type::String));
        b.attributes.insert(
            "min_tls_version".into(),
            opt(Type::String).with_default(Value::string("TLS1_2")),
        );
        for (k, d) in [
            ("https_traffic_only_enabled", true),
            ("allow_nested_items_to_be_public", true),
            ("public_network_access_enabled", true),
            ("shared_access_key_enabled", true),
        ] {
            b.attributes
                .insert(k.into(), opt(Type::Bool).with_default(Value::Bool(d)));
        }
        b.attributes.insert(
            "is_hns_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(false)).force_new(),
        );
        for k in [
            "id",
            "primary_location",
            "primary_blob_endpoint",
            "primary_blob_host",
        ] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        for k in [
            "primary_access_key",
            "secondary_access_key",
            "primary_connection_string",
            "primary_blob_connection_string",
        ] {
            b.attributes
                .insert(k.into(), comp(Type::String).sensitive());
        }
        tags_schema(&mut b);
        identity_schema(&mut b, false);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 4,
            block: b,
            description: "A storage account.".into(),
            legacy_type_system: true,
        }
    }

    fn body(planned: &Value) -> ProviderResult<Json> {
        let mut props = json!({
            "isHnsEnabled": attr_bool(planned, "is_hns_enabled").unwrap_or(false),
            "publicNetworkAccess": if attr_bool(planned, "public_network_access_enabled") == Some(false) { "Disabled" } else { "Enabled" },
            "allowSharedKeyAccess": attr_bool(planned, "shared_access_key_enabled").unwrap_or(true),
        });
        mutable(planned, &mut props);
        let mut body = json!({
            "location": need_str(planned, "location")?,
            "kind": attr_str(planned, "account_kind").unwrap_or_else(|| "StorageV2".into()),
            "sku": {"name": format!("{}_{}", need_str(planned, "account_tier")?, need_str(planned, "account_replication_type")?)},
            "tags": tags_json(planned),
            "properties": props,
        });
        if let Some(i) = identity_json(planned) {
            body["identity"] = i;
        }
        Ok(body)
    }

    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        let mut props = json!({
            "publicNetworkAccess": if attr_bool(planned, "public_network_access_enabled") == Some(false) { "Disabled" } else { "Enabled" },
            "allowSharedKeyAccess": attr_bool(planned, "shared_access_key_enabled").unwrap_or(true),
        });
        mutable(planned, &mut props);
        let mut body = json!({"tags": tags_json(planned), "properties": props});
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
    for (k, j) in IN_PLACE {
        if let Some(x) = attr_str(v, k) {
            props[j] = json!(x);
        } else if let Some(x) = attr_bool(v, k) {
            props[j] = json!(x);
        }
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let keys = &j["_action"];
    let p = &j["properties"];
    let name = j["name"].as_str().unwrap_or_default();
    let sku = j["sku"]["name"].as_str().unwrap_or_default();
    let (tier, repl) = sku.split_once('_').unwrap_or((sku, ""));
    let blob = p["primaryEndpoints"]["blob"].as_str().unwrap_or_default();
    let key = |i: usize| {
        keys["keys"][i]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let suffix = "core.windows.net";
    let conn = format!(
        "DefaultEndpointsProtocol=https;AccountName={name};AccountKey={};EndpointSuffix={suffix}",
        key(0)
    );
    let host = blob
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    fill(
        prior,
        vec![
            ("id", s(j, "id")),
            ("name", Value::string(name)),
            (
                "resource_group_name",
                Value::string(
                    ids::group_of(j["id"].as_str().unwrap_or_default()).unwrap_or_default(),
                ),
            ),
            (
                "location",
                Value::string(location_norm(j["location"].as_str().unwrap_or_default())),
            ),
            ("account_tier", Value::string(tier)),
            ("account_replication_type", Value::string(repl)),
            ("account_kind", s(j, "kind")),
            ("access_tier", s(p, "accessTier")),
            ("min_tls_version", s(p, "minimumTlsVersion")),
            (
                "https_traffic_only_enabled",
                b(p, "supportsHttpsTrafficOnly", true),
            ),
            (
                "allow_nested_items_to_be_public",
                b(p, "allowBlobPublicAccess", false),
            ),
            (
                "public_network_access_enabled",
                Value::Bool(p["publicNetworkAccess"].as_str() != Some("Disabled")),
            ),
            (
                "shared_access_key_enabled",
                b(p, "allowSharedKeyAccess", true),
            ),
            ("is_hns_enabled", b(p, "isHnsEnabled", false)),
            ("primary_location", s(p, "primaryLocation")),
            ("primary_blob_endpoint", Value::string(blob)),
            ("primary_blob_host", Value::string(host)),
            ("primary_access_key", Value::string(key(0))),
            ("secondary_access_key", Value::string(key(1))),
            ("primary_connection_string", Value::string(&conn)),
            (
                "primary_blob_connection_string",
                Value::string(format!("{conn};BlobEndpoint={blob}")),
            ),
            ("tags", tags_value(j)),
            ("identity", identity_value(j)),
        ],
    )
}
