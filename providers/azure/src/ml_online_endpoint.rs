//! `azurerm_machine_learning_online_endpoint` (gantry's name; azurerm has none): a managed
//! online endpoint of an Azure ML workspace. Its `traffic` is read-only here: traffic is set
//! by `azurerm_machine_learning_online_endpoint_traffic`, which depends on the deployments —
//! ARM refuses traffic to deployments that do not exist yet, so one apply from nothing works
//! only when traffic comes after them (see ml_online_traffic.rs). Description, public
//! network access and tags change in place; every PUT carries the live traffic, so an update
//! never moves traffic.

use crate::client::Wait;
use crate::config::Ctx;
use crate::resource_group::plan_location;
use crate::util::*;
use crate::{ids, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct OnlineEndpoint;
pub const API: &str = crate::ml_workspace::API;

fn id(v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("/subscriptions/")) {
        return Ok(id);
    }
    let ws = need_str(v, "machine_learning_workspace_id")?;
    ids::check(&ws, "workspaces", "machine_learning_workspace_id")?;
    Ok(format!("{ws}/onlineEndpoints/{}", need_str(v, "name")?))
}

/// The endpoint's PUT body from its settings, with `traffic` as given.
pub fn body(v: &Value, traffic: Json) -> ProviderResult<Json> {
    let mut props = json!({
        "authMode": attr_str(v, "auth_mode").unwrap_or_else(|| "Key".into()),
        "publicNetworkAccess": if attr_bool(v, "public_network_access_enabled") == Some(false) { "Disabled" } else { "Enabled" },
        "traffic": traffic,
    });
    if let Some(d) = attr_str(v, "description") {
        props["description"] = json!(d);
    }
    let mut b = json!({"location": need_str(v, "location")?, "kind": "Managed", "tags": tags_json(v), "properties": props});
    if let Some(i) = identity_json(v) {
        b["identity"] = i;
    }
    Ok(b)
}

#[async_trait]
impl ResourceType for OnlineEndpoint {
    fn name(&self) -> &'static str {
        "azurerm_machine_learning_online_endpoint"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location", "machine_learning_workspace_id"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert(
            "auth_mode".into(),
            opt(Type::String)
                .with_default(Value::string("Key"))
                .force_new(),
        );
        b.attributes.insert("description".into(), opt(Type::String));
        b.attributes.insert(
            "public_network_access_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(true)),
        );
        for k in ["id", "scoring_uri", "swagger_uri"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        b.attributes
            .insert("traffic".into(), comp(Type::map(Type::Number)));
        tags_schema(&mut b);
        identity_schema(&mut b, true);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Azure ML managed online endpoint.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = plan_location(req.prior, req.proposed.clone());
        if req.prior.is_none() {
            if let Ok(i) = id(&planned) {
                planned = fill(
                    &planned,
                    vec![("id", Value::string(i)), ("traffic", Value::empty_map())],
                );
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let j = c
            .client
            .change(
                Method::PUT,
                &id(planned)?,
                API,
                Some(&body(planned, json!({}))?),
                Wait {
                    limit: timeout(planned, "create"),
                    progress: op.progress,
                    what: "creating online endpoint",
                },
            )
            .await?;
        Ok(from_json(planned, &j))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(c.client
            .get_opt(&id(prior)?, API)
            .await?
            .map(|j| from_json(prior, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let rid = id(prior)?;
        let live = c.client.get(&rid, API).await?;
        let b = body(planned, live["properties"]["traffic"].clone())?;
        let j = c
            .client
            .change(
                Method::PUT,
                &rid,
                API,
                Some(&b),
                Wait {
                    limit: timeout(planned, "update"),
                    progress: op.progress,
                    what: "updating online endpoint",
                },
            )
            .await?;
        Ok(from_json(planned, &j))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        c.client
            .change(
                Method::DELETE,
                &id(prior)?,
                API,
                None,
                Wait {
                    limit: timeout(prior, "delete"),
                    progress: op.progress,
                    what: "deleting online endpoint",
                },
            )
            .await
            .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        ids::check(id, "onlineEndpoints", "import id")?;
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}

pub fn traffic_value(j: &Json) -> Value {
    Value::map(
        j["properties"]["traffic"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::Number(v.as_f64().unwrap_or(0.0))))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let p = &j["properties"];
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
            ("auth_mode", s(p, "authMode")),
            ("description", s(p, "description")),
            (
                "public_network_access_enabled",
                Value::Bool(p["publicNetworkAccess"].as_str() != Some("Disabled")),
            ),
            ("scoring_uri", s(p, "scoringUri")),
            ("swagger_uri", s(p, "swaggerUri")),
            ("traffic", traffic_value(j)),
            ("tags", tags_value(j)),
            ("identity", identity_value(j)),
        ],
    )
}
