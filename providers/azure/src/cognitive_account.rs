//! `azurerm_cognitive_account`: Azure AI services — OpenAI, Computer Vision, Translator,
//! Speech. SKU, network access, local auth and tags change in place (PATCH); the kind and
//! subdomain make a new account. Keys come from `listKeys`.

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct CognitiveAccount;

impl ArmType for CognitiveAccount {
    const NAME: &'static str = "azurerm_cognitive_account";
    const PARENT: Parent = Parent::Group("Microsoft.CognitiveServices/accounts");
    const API: &'static str = "2024-10-01";
    const UPDATE: Update = Update::Patch;
    const ACTION: Option<&'static str> = Some("listKeys");

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location", "resource_group_name", "kind"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert("sku_name".into(), req(Type::String));
        b.attributes.insert(
            "custom_subdomain_name".into(),
            opt(Type::String).force_new(),
        );
        for k in ["public_network_access_enabled", "local_auth_enabled"] {
            b.attributes
                .insert(k.into(), opt(Type::Bool).with_default(Value::Bool(true)));
        }
        for k in ["id", "endpoint"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        for k in ["primary_access_key", "secondary_access_key"] {
            b.attributes
                .insert(k.into(), comp(Type::String).sensitive());
        }
        tags_schema(&mut b);
        identity_schema(&mut b, false);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Azure AI services account.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let mut props = json!({
            "publicNetworkAccess": if attr_bool(v, "public_network_access_enabled") == Some(false) { "Disabled" } else { "Enabled" },
            "disableLocalAuth": attr_bool(v, "local_auth_enabled") == Some(false),
        });
        if let Some(d) = attr_str(v, "custom_subdomain_name") {
            props["customSubDomainName"] = json!(d);
        }
        let mut b = json!({
            "location": need_str(v, "location")?,
            "kind": need_str(v, "kind")?,
            "sku": {"name": need_str(v, "sku_name")?},
            "tags": tags_json(v),
            "properties": props,
        });
        if let Some(i) = identity_json(v) {
            b["identity"] = i;
        }
        Ok(b)
    }

    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        let mut b = Self::body(planned)?;
        if let Some(o) = b.as_object_mut() {
            o.remove("location");
            o.remove("kind");
        }
        if let Some(p) = b["properties"].as_object_mut() {
            p.remove("customSubDomainName");
        }
        Ok(b)
    }

    fn notes(v: &Value) -> ProviderResult<Vec<String>> {
        Ok(vec![format!(
            "{} ({})",
            attr_str(v, "kind").unwrap_or_default(),
            attr_str(v, "sku_name").unwrap_or_default()
        )])
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let mut pairs = placed(j);
        pairs.extend([
            ("kind", s(j, "kind")),
            ("sku_name", s(&j["sku"], "name")),
            ("custom_subdomain_name", s(p, "customSubDomainName")),
            (
                "public_network_access_enabled",
                Value::Bool(p["publicNetworkAccess"].as_str() != Some("Disabled")),
            ),
            (
                "local_auth_enabled",
                Value::Bool(!p["disableLocalAuth"].as_bool().unwrap_or(false)),
            ),
            ("endpoint", s(p, "endpoint")),
            ("primary_access_key", s(&j["_action"], "key1")),
            ("secondary_access_key", s(&j["_action"], "key2")),
            ("identity", identity_value(j)),
        ]);
        fill(prior, pairs)
    }
}
