//! `azurerm_machine_learning_online_endpoint_traffic` (gantry's): the share of an online
//! endpoint's requests each deployment takes, as a map of deployment name to percent.
//!
//! Why a resource of its own: ARM refuses traffic to a deployment that does not exist, and a
//! deployment needs its endpoint first. With traffic here, the graph is endpoint →
//! deployments → traffic, so one apply from nothing reaches `{ blue = 100 }`; a blue/green
//! shift (100/0 → 50/50 → 0/100) is an in-place update of this resource; and on destroy
//! (or when a deployment is removed) the traffic moves first, because this resource depends
//! on the deployments — a deployment is never deleted while it takes traffic (the deployment
//! also refuses to, should something else route traffic to it). Destroying this resource sets
//! every share to 0, leaving the endpoint and deployments in place.

use crate::client::Wait;
use crate::config::Ctx;
use crate::ml_online_endpoint::{traffic_value, API};
use crate::{ids, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct Traffic;

fn endpoint(v: &Value) -> ProviderResult<String> {
    let e = attr_str(v, "id")
        .filter(|s| s.starts_with("/subscriptions/"))
        .map(Ok)
        .unwrap_or_else(|| need_str(v, "machine_learning_online_endpoint_id"))?;
    ids::check(&e, "onlineEndpoints", "machine_learning_online_endpoint_id")?;
    Ok(e)
}

fn shares(v: &Value) -> Json {
    Json::Object(
        v.get_attr("traffic")
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .map(|(k, x)| (k.clone(), json!(x.as_f64().unwrap_or(0.0) as i64)))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// PUTs the endpoint as it is, with `traffic` replaced.
async fn set(
    c: &Ctx,
    eid: &str,
    traffic: Json,
    op: &Op<'_>,
    limit: Option<std::time::Duration>,
) -> ProviderResult<Json> {
    let mut live = c.client.get(eid, API).await?;
    for k in ["id", "name", "type", "systemData"] {
        if let Some(o) = live.as_object_mut() {
            o.remove(k);
        }
    }
    if let Some(p) = live["properties"].as_object_mut() {
        for k in ["provisioningState", "scoringUri", "swaggerUri"] {
            p.remove(k);
        }
        p.insert("traffic".into(), traffic);
    }
    if let Some(i) = live["identity"].as_object_mut() {
        i.remove("principalId");
        i.remove("tenantId");
    }
    c.client
        .change(
            Method::PUT,
            eid,
            API,
            Some(&live),
            Wait {
                limit,
                progress: op.progress,
                what: "setting endpoint traffic",
            },
        )
        .await
}

#[async_trait]
impl ResourceType for Traffic {
    fn name(&self) -> &'static str {
        "azurerm_machine_learning_online_endpoint_traffic"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes.insert(
            "machine_learning_online_endpoint_id".into(),
            req(Type::String).force_new(),
        );
        b.attributes
            .insert("traffic".into(), req(Type::map(Type::Number)));
        b.attributes.insert("id".into(), comp(Type::String));
        timeouts_schema(&mut b);
        // Not SDKv2-shaped: a share of 0 and a missing deployment are different maps.
        ResourceSchema {
            version: 0,
            block: b,
            description: "An online endpoint's traffic split.".into(),
            legacy_type_system: false,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if let Some(m) = planned
            .get_attr("traffic")
            .filter(|t| t.is_wholly_known())
            .and_then(Value::as_map)
        {
            let total: f64 = m.values().filter_map(Value::as_f64).sum();
            if m.values().any(|v| {
                v.as_f64()
                    .is_some_and(|x| !(0.0..=100.0).contains(&x) || x.fract() != 0.0)
            }) {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    "traffic shares are whole percentages from 0 to 100",
                ));
            }
            if !m.is_empty() && total != 100.0 && total != 0.0 {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!("traffic shares must add up to 100 (they add up to {total})"),
                ));
            }
        }
        if req.prior.is_none() {
            if let Some(e) = attr_str(&planned, "machine_learning_online_endpoint_id") {
                planned = fill(&planned, vec![("id", Value::string(e))]);
            }
        }
        let notes = planned
            .get_attr("traffic")
            .and_then(Value::as_map)
            .map(|m| {
                vec![m
                    .iter()
                    .map(|(k, v)| format!("{k} {}%", v.as_f64().unwrap_or(0.0)))
                    .collect::<Vec<_>>()
                    .join(", ")]
            })
            .unwrap_or_default();
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes,
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let eid = endpoint(planned)?;
        let j = set(c, &eid, shares(planned), op, timeout(planned, "create")).await?;
        Ok(state(planned, &eid, &j))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let eid = endpoint(prior)?;
        Ok(c.client
            .get_opt(&eid, API)
            .await?
            .map(|j| state(prior, &eid, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let eid = endpoint(prior)?;
        let j = set(c, &eid, shares(planned), op, timeout(planned, "update")).await?;
        Ok(state(planned, &eid, &j))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let eid = endpoint(prior)?;
        if c.client.get_opt(&eid, API).await?.is_none() {
            return Ok(());
        }
        set(c, &eid, json!({}), op, timeout(prior, "delete"))
            .await
            .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        ids::check(id, "onlineEndpoints", "import id")?;
        self.read(
            c,
            &obj(vec![
                ("id", Value::string(id)),
                ("machine_learning_online_endpoint_id", Value::string(id)),
            ]),
        )
        .await
    }
}

fn state(base: &Value, eid: &str, j: &Json) -> Value {
    fill(
        base,
        vec![
            ("id", Value::string(eid)),
            ("machine_learning_online_endpoint_id", Value::string(eid)),
            ("traffic", traffic_value(j)),
        ],
    )
}
