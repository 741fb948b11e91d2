//! `google_vertex_ai_endpoint`: a Vertex AI online prediction endpoint. display_name,
//! description, labels and traffic_split change in place (PATCH with an update mask); the
//! rest force a new endpoint. `name` is the endpoint's numeric id, chosen by the caller, so an
//! interrupted create is found again by it. Deployed models are read back as upstream shows
//! them; gantry's `google_vertex_ai_endpoint_deployed_model` creates them.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::located::Located;
use crate::operation::wait_lro;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct Endpoint;

const ENDPOINT: Located = Located {
    location_attr: "location",
    collection: "endpoints",
    id_attr: "name",
};

fn deployed_models_value(j: &Json) -> Value {
    let models = j["deployedModels"].as_array().cloned().unwrap_or_default();
    Value::list(
        models
            .iter()
            .map(|d| {
                let r = &d["dedicatedResources"];
                let dedicated = if r.is_object() {
                    crate::vertex_ai_deployed_model::resources_value(r)
                } else {
                    Value::list(vec![])
                };
                obj(vec![
                    ("id", s(d, "id")),
                    ("model", s(d, "model")),
                    ("model_version_id", s(d, "modelVersionId")),
                    ("display_name", s(d, "displayName")),
                    ("create_time", s(d, "createTime")),
                    ("service_account", s(d, "serviceAccount")),
                    ("dedicated_resources", dedicated),
                ])
            })
            .collect(),
    )
}

fn deployed_models_type() -> Type {
    let spec = Type::object(&[
        ("machine_type", Type::String),
        ("accelerator_type", Type::String),
        ("accelerator_count", Type::Number),
    ]);
    let metric = Type::object(&[("metric_name", Type::String), ("target", Type::Number)]);
    let dedicated = Type::object(&[
        ("machine_spec", Type::list(spec)),
        ("min_replica_count", Type::Number),
        ("max_replica_count", Type::Number),
        ("autoscaling_metric_specs", Type::list(metric)),
    ]);
    Type::list(Type::object(&[
        ("id", Type::String),
        ("model", Type::String),
        ("model_version_id", Type::String),
        ("display_name", Type::String),
        ("create_time", Type::String),
        ("service_account", Type::String),
        ("dedicated_resources", Type::list(dedicated)),
    ]))
}

/// traffic_split as JSON text with sorted keys (upstream stores the API's JSON string).
fn split_text(j: &Json) -> Value {
    match j.as_object() {
        Some(m) if !m.is_empty() => {
            let sorted: std::collections::BTreeMap<_, _> = m.iter().collect();
            Value::string(serde_json::to_string(&sorted).unwrap_or_default())
        }
        _ => Value::Null,
    }
}

fn parse_split(v: &Value) -> ProviderResult<Option<Json>> {
    match attr_str(v, "traffic_split") {
        None => Ok(None),
        Some(t) => serde_json::from_str::<Json>(&t).map(Some).map_err(|e| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("traffic_split is not valid JSON: {e}"),
            )
        }),
    }
}

#[async_trait]
impl ResourceType for Endpoint {
    fn name(&self) -> &'static str {
        "google_vertex_ai_endpoint"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes
            .insert("display_name".into(), req(Type::String));
        b.attributes.insert("description".into(), opt(Type::String));
        for k in ["region", "network"] {
            b.attributes.insert(k.into(), opt(Type::String).force_new());
        }
        b.attributes
            .insert("project".into(), optcomp(Type::String).force_new());
        b.attributes.insert(
            "dedicated_endpoint_enabled".into(),
            opt(Type::Bool).force_new(),
        );
        b.attributes
            .insert("traffic_split".into(), optcomp(Type::String));
        for k in [
            "id",
            "create_time",
            "update_time",
            "etag",
            "model_deployment_monitoring_job",
            "dedicated_endpoint_dns",
        ] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        b.attributes
            .insert("deployed_models".into(), comp(deployed_models_type()));
        labels::schema(&mut b);
        let mut enc_spec = BlockSchema::default();
        enc_spec
            .attributes
            .insert("kms_key_name".into(), req(Type::String).force_new());
        b.blocks.insert(
            "encryption_spec".into(),
            block(Nesting::List, enc_spec, 1, true),
        );
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A Vertex AI online prediction endpoint.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if let Some(name) = attr_str(&planned, "name") {
            if name.is_empty()
                || name.len() > 10
                || !name.bytes().all(|b| b.is_ascii_digit())
                || name.starts_with('0')
            {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!(
                        "name {name:?} must be numeric with no leading zeros, at most 10 digits"
                    ),
                ));
            }
        }
        parse_split(&planned)?;
        if req.prior.is_none() {
            planned = ENDPOINT.plan_identity(c, planned);
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let (name, loc) = ENDPOINT.name(c, planned)?;
        let (parent, id) = name.rsplit_once("/endpoints/").unwrap_or_default();
        let mut body = json!({
            "displayName": need_str(planned, "display_name")?,
            "labels": labels::to_send(planned),
        });
        if let Some(d) = attr_str(planned, "description") {
            body["description"] = json!(d);
        }
        if let Some(net) = attr_str(planned, "network") {
            body["network"] = json!(net);
        }
        if let Some(d) = attr_bool(planned, "dedicated_endpoint_enabled") {
            body["dedicatedEndpointEnabled"] = json!(d);
        }
        if let Some(k) = first(planned, "encryption_spec").and_then(|e| attr_str(e, "kms_key_name"))
        {
            body["encryptionSpec"] = json!({ "kmsKeyName": k });
        }
        let lro = c
            .client
            .post(
                Api::VertexAi,
                &loc,
                &format!("{parent}/endpoints?endpointId={}", enc(id)),
                body,
            )
            .await?;
        wait_lro(
            &c.client,
            Api::VertexAi,
            &loc,
            lro,
            timeout(planned, "create"),
            op.progress,
            &format!("creating endpoint {id}"),
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let (name, loc) = ENDPOINT.name(c, prior)?;
        let Some(j) = c.client.get_opt(Api::VertexAi, &loc, &name).await? else {
            return Ok(None);
        };
        Ok(Some(from_json(prior, &j, &loc)))
    }

    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        crate::listing::read_by_listing(c, Api::VertexAi, priors, "endpoints", |prior, j, loc| {
            from_json(prior, j, loc)
        })
        .await
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let (name, loc) = ENDPOINT.name(c, prior)?;
        let mut mask = vec![];
        let mut body = json!({});
        for (k, j) in [
            ("display_name", "displayName"),
            ("description", "description"),
        ] {
            if attr_str(prior, k) != attr_str(planned, k) {
                mask.push(j);
                body[j] = json!(attr_str(planned, k).unwrap_or_default());
            }
        }
        if string_map(prior, "effective_labels") != string_map(planned, "effective_labels") {
            mask.push("labels");
            body["labels"] = labels::to_send(planned);
        }
        let split = parse_split(planned)?;
        if split.is_some() && attr_str(prior, "traffic_split") != attr_str(planned, "traffic_split")
        {
            mask.push("trafficSplit");
            body["trafficSplit"] = split.unwrap_or(json!({}));
        }
        if !mask.is_empty() {
            let resp = c
                .client
                .patch(
                    Api::VertexAi,
                    &loc,
                    &format!("{name}?updateMask={}", mask.join(",")),
                    body,
                )
                .await?;
            if resp.get("done").is_some() {
                wait_lro(
                    &c.client,
                    Api::VertexAi,
                    &loc,
                    resp,
                    timeout(planned, "update"),
                    op.progress,
                    "updating endpoint",
                )
                .await?;
            }
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (name, loc) = ENDPOINT.name(c, prior)?;
        crate::operation::delete_and_wait(
            &c.client,
            Api::VertexAi,
            &loc,
            &name,
            timeout(prior, "delete"),
            op.progress,
            "deleting endpoint",
        )
        .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        // projects/P/locations/L/endpoints/N (upstream's import id).
        let parts = ENDPOINT.import_parts(id)?;
        self.read(
            c,
            &obj(vec![
                ("id", Value::string(id)),
                ("project", Value::string(parts[1])),
                ("location", Value::string(parts[3])),
                ("name", Value::string(parts[5])),
            ]),
        )
        .await
    }
}

fn from_json(prior: &Value, j: &Json, loc: &str) -> Value {
    let name = j["name"].as_str().unwrap_or_default();
    let parts: Vec<&str> = name.split('/').collect();
    let mut pairs = vec![
        ("id", Value::string(name)),
        ("name", Value::string(last_segment(name))),
        ("location", Value::string(loc)),
        (
            "project",
            Value::string(parts.get(1).copied().unwrap_or_default()),
        ),
        ("display_name", s(j, "displayName")),
        ("description", s(j, "description")),
        ("network", s(j, "network")),
        ("create_time", s(j, "createTime")),
        ("update_time", s(j, "updateTime")),
        ("etag", s(j, "etag")),
        (
            "model_deployment_monitoring_job",
            s(j, "modelDeploymentMonitoringJob"),
        ),
        ("dedicated_endpoint_dns", s(j, "dedicatedEndpointDns")),
        ("traffic_split", split_text(&j["trafficSplit"])),
        ("deployed_models", deployed_models_value(j)),
    ];
    if let Some(k) = j["encryptionSpec"]["kmsKeyName"].as_str() {
        pairs.push((
            "encryption_spec",
            Value::list(vec![obj(vec![("kms_key_name", Value::string(k))])]),
        ));
    }
    pairs.extend(labels::read(prior, &j["labels"]));
    fill(prior, pairs)
}
