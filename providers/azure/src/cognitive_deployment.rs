//! `azurerm_cognitive_deployment`: a model deployed in an Azure OpenAI account (gpt-4o,
//! text-embedding-3-large, ...). Capacity, model version, version upgrade option and RAI
//! policy change in place (PUT); the model's format and name make a new deployment.

use crate::arm_resource::{ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct CognitiveDeployment;

impl ArmType for CognitiveDeployment {
    const NAME: &'static str = "azurerm_cognitive_deployment";
    const PARENT: Parent = Parent::Under {
        attr: "cognitive_account_id",
        collection: "deployments",
    };
    const API: &'static str = "2024-10-01";
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "cognitive_account_id"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes
            .insert("rai_policy_name".into(), optcomp(Type::String));
        b.attributes.insert(
            "version_upgrade_option".into(),
            opt(Type::String).with_default(Value::string("OnceNewDefaultVersionAvailable")),
        );
        b.attributes.insert("id".into(), comp(Type::String));
        let mut model = BlockSchema::default();
        for k in ["format", "name"] {
            model
                .attributes
                .insert(k.into(), req(Type::String).force_new());
        }
        model
            .attributes
            .insert("version".into(), optcomp(Type::String));
        let mut mb = block(Nesting::List, model, 1, false);
        mb.min_items = 1;
        b.blocks.insert("model".into(), mb);
        let mut sku = BlockSchema::default();
        sku.attributes
            .insert("name".into(), req(Type::String).force_new());
        sku.attributes.insert(
            "capacity".into(),
            opt(Type::Number).with_default(Value::Number(1.0)),
        );
        let mut sb = block(Nesting::List, sku, 1, false);
        sb.min_items = 1;
        b.blocks.insert("sku".into(), sb);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A model deployment in an Azure AI services account.".into(),
            legacy_type_system: true,
        }
    }

    fn notes(v: &Value) -> ProviderResult<Vec<String>> {
        let m = first(v, "model");
        let s = first(v, "sku");
        Ok(vec![format!(
            "{} {} × {} ({})",
            m.and_then(|m| attr_str(m, "name")).unwrap_or_default(),
            m.and_then(|m| attr_str(m, "version")).unwrap_or_default(),
            s.and_then(|s| int(s, "capacity")).unwrap_or(1),
            s.and_then(|s| attr_str(s, "name")).unwrap_or_default()
        )])
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let m = first(v, "model");
        let s = first(v, "sku");
        let mut model = json!({
            "format": m.and_then(|m| attr_str(m, "format")),
            "name": m.and_then(|m| attr_str(m, "name")),
        });
        if let Some(ver) = m.and_then(|m| attr_str(m, "version")) {
            model["version"] = json!(ver);
        }
        let mut props = json!({
            "model": model,
            "versionUpgradeOption": attr_str(v, "version_upgrade_option").unwrap_or_else(|| "OnceNewDefaultVersionAvailable".into()),
        });
        if let Some(r) = attr_str(v, "rai_policy_name") {
            props["raiPolicyName"] = json!(r);
        }
        Ok(json!({
            "sku": {"name": s.and_then(|s| attr_str(s, "name")), "capacity": s.and_then(|s| int(s, "capacity")).unwrap_or(1)},
            "properties": props,
        }))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let rid = j["id"].as_str().unwrap_or_default();
        fill(
            prior,
            vec![
                ("id", Value::string(rid)),
                ("name", s(j, "name")),
                (
                    "cognitive_account_id",
                    Value::string(crate::ids::parent(rid)),
                ),
                ("rai_policy_name", s(p, "raiPolicyName")),
                ("version_upgrade_option", s(p, "versionUpgradeOption")),
                (
                    "model",
                    Value::list(vec![obj(vec![
                        ("format", s(&p["model"], "format")),
                        ("name", s(&p["model"], "name")),
                        ("version", s(&p["model"], "version")),
                    ])]),
                ),
                (
                    "sku",
                    Value::list(vec![obj(vec![
                        ("name", s(&j["sku"], "name")),
                        ("capacity", n(&j["sku"], "capacity")),
                    ])]),
                ),
            ],
        )
    }
}
