//! `azurerm_machine_learning_online_deployment` (gantry's name; azurerm has none): a managed
//! online deployment — a model served on GPU instances behind an online endpoint. The
//! instance count changes in place (PATCH of the deployment's SKU capacity); the model,
//! environment, probes, request settings and variables by a rolling PUT; the instance type
//! makes a new deployment. It is never deleted while it takes traffic: the delete checks the
//! endpoint first and says which traffic to move.

use crate::client::Wait;
use crate::config::Ctx;
use crate::resource_group::plan_location;
use crate::util::*;
use crate::{ids, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct OnlineDeployment;
const API: &str = crate::ml_workspace::API;

fn id(v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("/subscriptions/")) {
        return Ok(id);
    }
    let e = need_str(v, "machine_learning_online_endpoint_id")?;
    ids::check(&e, "onlineEndpoints", "machine_learning_online_endpoint_id")?;
    Ok(format!("{e}/deployments/{}", need_str(v, "name")?))
}

const PROBE: [(&str, &str); 5] = [
    ("initial_delay", "initialDelay"),
    ("period", "period"),
    ("timeout", "timeout"),
    ("failure_threshold", "failureThreshold"),
    ("success_threshold", "successThreshold"),
];
const REQUEST: [(&str, &str); 3] = [
    (
        "max_concurrent_requests_per_instance",
        "maxConcurrentRequestsPerInstance",
    ),
    ("request_timeout", "requestTimeout"),
    ("max_queue_wait", "maxQueueWait"),
];

fn probe_schema() -> BlockSchema {
    let mut p = BlockSchema::default();
    for (k, _) in PROBE {
        let t = if k.ends_with("threshold") {
            Type::Number
        } else {
            Type::String
        };
        p.attributes.insert(k.into(), optcomp(t));
    }
    p
}

#[async_trait]
impl ResourceType for OnlineDeployment {
    fn name(&self) -> &'static str {
        "azurerm_machine_learning_online_deployment"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "location",
            "machine_learning_online_endpoint_id",
            "instance_type",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert("model".into(), req(Type::String));
        for k in ["environment_id", "description"] {
            b.attributes.insert(k.into(), opt(Type::String));
        }
        b.attributes.insert(
            "instance_count".into(),
            opt(Type::Number).with_default(Value::Number(1.0)),
        );
        b.attributes
            .insert("environment_variables".into(), opt(Type::map(Type::String)));
        b.attributes.insert(
            "app_insights_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(false)),
        );
        b.attributes.insert(
            "egress_public_network_access_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(true)).force_new(),
        );
        b.attributes.insert("id".into(), comp(Type::String));
        let mut rs = BlockSchema::default();
        rs.attributes.insert(
            "max_concurrent_requests_per_instance".into(),
            optcomp(Type::Number),
        );
        for k in ["request_timeout", "max_queue_wait"] {
            rs.attributes.insert(k.into(), optcomp(Type::String));
        }
        b.blocks.insert(
            "request_settings".into(),
            block(Nesting::List, rs, 1, false),
        );
        for k in ["liveness_probe", "readiness_probe"] {
            b.blocks
                .insert(k.into(), block(Nesting::List, probe_schema(), 1, false));
        }
        tags_schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Azure ML managed online deployment.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = plan_location(req.prior, req.proposed.clone());
        // Optional+Computed blocks: settings the service chose stay when not configured.
        if let Some(prior) = req.prior {
            for k in ["request_settings", "liveness_probe", "readiness_probe"] {
                if first(&planned, k).is_none() && first(prior, k).is_some() {
                    planned = fill(
                        &planned,
                        vec![(k, prior.get_attr(k).cloned().unwrap_or(Value::Null))],
                    );
                }
            }
        }
        let notes = match (
            attr_str(&planned, "instance_type"),
            int(&planned, "instance_count"),
        ) {
            (Some(t), Some(n)) => vec![format!("{n} × {t}")],
            _ => vec![],
        };
        if req.prior.is_none() {
            if let Ok(i) = id(&planned) {
                planned = fill(&planned, vec![("id", Value::string(i))]);
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes,
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
                Some(&body(planned)?),
                Wait {
                    limit: timeout(planned, "create"),
                    progress: op.progress,
                    what: "creating online deployment",
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

    /// One list per endpoint reads all its deployments.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut lists: std::collections::BTreeMap<String, ProviderResult<Json>> =
            Default::default();
        let mut out = vec![];
        for p in priors {
            let rid = match id(p) {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let parent = rid
                .rsplit_once("/deployments/")
                .map(|(e, _)| e.to_string())
                .unwrap_or_default();
            if let std::collections::btree_map::Entry::Vacant(slot) =
                lists.entry(parent.to_lowercase())
            {
                slot.insert(c.client.get(&format!("{parent}/deployments"), API).await);
            }
            out.push(match &lists[&parent.to_lowercase()] {
                Ok(l) => Ok(l["value"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|d| {
                        d["id"]
                            .as_str()
                            .is_some_and(|x| x.eq_ignore_ascii_case(&rid))
                    })
                    .map(|d| from_json(p, d))),
                Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.clone()),
            });
        }
        out
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let rid = id(prior)?;
        let limit = timeout(planned, "update");
        let rolled = [
            "model",
            "environment_id",
            "description",
            "environment_variables",
            "app_insights_enabled",
            "request_settings",
            "liveness_probe",
            "readiness_probe",
        ]
        .iter()
        .any(|k| prior.get_attr(k) != planned.get_attr(k));
        if rolled {
            c.client
                .change(
                    Method::PUT,
                    &rid,
                    API,
                    Some(&body(planned)?),
                    Wait {
                        limit,
                        progress: op.progress,
                        what: "updating online deployment",
                    },
                )
                .await?;
        }
        if int(prior, "instance_count") != int(planned, "instance_count")
            || prior.get_attr("tags") != planned.get_attr("tags")
        {
            let b = json!({"sku": {"capacity": int(planned, "instance_count").unwrap_or(1)}, "tags": tags_json(planned)});
            c.client
                .change(
                    Method::PATCH,
                    &rid,
                    API,
                    Some(&b),
                    Wait {
                        limit,
                        progress: op.progress,
                        what: "scaling online deployment",
                    },
                )
                .await?;
        }
        self.read(c, planned)
            .await?
            .ok_or_else(|| ProviderError::other("online deployment vanished during update"))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let rid = id(prior)?;
        let (endpoint, name) = rid.rsplit_once("/deployments/").unwrap_or_default();
        if let Some(e) = c.client.get_opt(endpoint, API).await? {
            let share = e["properties"]["traffic"]
                .as_object()
                .and_then(|m| {
                    m.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.as_i64().unwrap_or(0))
                })
                .unwrap_or(0);
            if share > 0 {
                return Err(ProviderError::new(
                    ErrorKind::Conflict,
                    format!("deployment {name} still takes {share}% of the endpoint's traffic; move it to other deployments (the endpoint's traffic resource) before deleting it"),
                ));
            }
        }
        c.client
            .change(
                Method::DELETE,
                &rid,
                API,
                None,
                Wait {
                    limit: timeout(prior, "delete"),
                    progress: op.progress,
                    what: "deleting online deployment",
                },
            )
            .await
            .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        ids::check(id, "deployments", "import id")?;
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}

fn body(v: &Value) -> ProviderResult<Json> {
    let mut props = json!({
        "endpointComputeType": "Managed",
        "model": need_str(v, "model")?,
        "instanceType": need_str(v, "instance_type")?,
        "appInsightsEnabled": attr_bool(v, "app_insights_enabled").unwrap_or(false),
        "egressPublicNetworkAccess": if attr_bool(v, "egress_public_network_access_enabled") == Some(false) { "Disabled" } else { "Enabled" },
        "scaleSettings": {"scaleType": "Default"},
    });
    for (k, j) in [
        ("environment_id", "environmentId"),
        ("description", "description"),
    ] {
        if let Some(x) = attr_str(v, k) {
            props[j] = json!(x);
        }
    }
    if v.get_attr("environment_variables")
        .is_some_and(|m| !m.is_null())
    {
        props["environmentVariables"] = Json::Object(
            string_map(v, "environment_variables")
                .into_iter()
                .map(|(k, x)| (k, json!(x)))
                .collect(),
        );
    }
    if let Some(r) = first(v, "request_settings") {
        let mut o = json!({});
        for (k, j) in REQUEST {
            if let Some(x) = attr_str(r, k) {
                o[j] = json!(x);
            } else if let Some(n) = int(r, k) {
                o[j] = json!(n);
            }
        }
        props["requestSettings"] = o;
    }
    for (k, j) in [
        ("liveness_probe", "livenessProbe"),
        ("readiness_probe", "readinessProbe"),
    ] {
        if let Some(p) = first(v, k) {
            let mut o = json!({});
            for (pk, pj) in PROBE {
                if let Some(x) = attr_str(p, pk) {
                    o[pj] = json!(x);
                } else if let Some(n) = int(p, pk) {
                    o[pj] = json!(n);
                }
            }
            props[j] = o;
        }
    }
    Ok(json!({
        "location": need_str(v, "location")?,
        "kind": "Managed",
        "sku": {"name": "Default", "capacity": int(v, "instance_count").unwrap_or(1)},
        "tags": tags_json(v),
        "properties": props,
    }))
}

fn probe_value(_prior: &Value, _k: &str, j: &Json) -> Value {
    if j.as_object().is_none_or(|o| o.is_empty()) {
        return Value::list(vec![]);
    }
    Value::list(vec![obj(PROBE
        .iter()
        .map(|(pk, pj)| {
            (
                *pk,
                if pk.ends_with("threshold") {
                    n(j, pj)
                } else {
                    s(j, pj)
                },
            )
        })
        .collect())])
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let p = &j["properties"];
    let rid = j["id"].as_str().unwrap_or_default();
    let env = match p["environmentVariables"].as_object() {
        Some(m) if !m.is_empty() => Value::map(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.as_str().unwrap_or_default())))
                .collect(),
        ),
        _ if prior
            .get_attr("environment_variables")
            .is_none_or(Value::is_null) =>
        {
            Value::Null
        }
        _ => Value::empty_map(),
    };
    let rs = &p["requestSettings"];
    let request = if rs.as_object().is_some_and(|o| !o.is_empty()) {
        Value::list(vec![obj(vec![
            (
                "max_concurrent_requests_per_instance",
                n(rs, "maxConcurrentRequestsPerInstance"),
            ),
            ("request_timeout", s(rs, "requestTimeout")),
            ("max_queue_wait", s(rs, "maxQueueWait")),
        ])])
    } else {
        Value::list(vec![])
    };
    fill(
        prior,
        vec![
            ("id", Value::string(rid)),
            ("name", s(j, "name")),
            (
                "machine_learning_online_endpoint_id",
                Value::string(ids::parent(rid)),
            ),
            (
                "location",
                Value::string(location_norm(j["location"].as_str().unwrap_or_default())),
            ),
            ("model", s(p, "model")),
            ("environment_id", s(p, "environmentId")),
            ("description", s(p, "description")),
            ("instance_type", s(p, "instanceType")),
            ("instance_count", n(&j["sku"], "capacity")),
            ("app_insights_enabled", b(p, "appInsightsEnabled", false)),
            (
                "egress_public_network_access_enabled",
                Value::Bool(p["egressPublicNetworkAccess"].as_str() != Some("Disabled")),
            ),
            ("environment_variables", env),
            ("request_settings", request),
            (
                "liveness_probe",
                probe_value(prior, "liveness_probe", &p["livenessProbe"]),
            ),
            (
                "readiness_probe",
                probe_value(prior, "readiness_probe", &p["readinessProbe"]),
            ),
            ("tags", tags_value(j)),
        ],
    )
}
