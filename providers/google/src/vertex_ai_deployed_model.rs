//! `google_vertex_ai_endpoint_deployed_model` (gantry's: hashicorp/google has none, users
//! run `gcloud ai endpoints deploy-model` from a null_resource — terraform-provider-google
//! #15303): a model deployed to an endpoint on dedicated machines. Replica counts and
//! autoscaling change in place (mutateDeployedModel); the machine spec redeploys.
//!
//! The first model deployed to an endpoint takes all its traffic (`{"0": 100}`); later ones
//! start at 0% until the endpoint's `traffic_split` moves traffic. Undeploying a model that
//! still takes traffic hands its share to the models that remain, so destroy never fails
//! on Vertex's "still has traffic" rule; and since a deployment depends on its endpoint, it
//! is always undeployed before the endpoint is deleted.
//!
//! The DeployedModel id is the caller's `deployed_model_id` or one derived from the create's
//! idempotency token, so an interrupted deploy is found again by id.

use crate::client::Api;
use crate::config::Ctx;
use crate::operation::wait_lro;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct DeployedModel;

/// A 10-digit DeployedModel id (no leading zero) derived from the idempotency token.
fn id_from_token(token: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in token.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{}", 1_000_000_000 + h % 8_999_999_999)
}

fn endpoint_and_location(v: &Value) -> ProviderResult<(String, String)> {
    let e = need_str(v, "endpoint")?;
    let parts: Vec<&str> = e.split('/').collect();
    if parts.len() != 6 || parts[0] != "projects" || parts[4] != "endpoints" {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            format!("endpoint {e:?} must be projects/PROJECT/locations/LOCATION/endpoints/ID (the endpoint's id)"),
        ));
    }
    Ok((e.clone(), parts[3].to_string()))
}

fn resources_json(v: &Value) -> Json {
    let r = first(v, "dedicated_resources")
        .cloned()
        .unwrap_or(Value::Null);
    let ms = first(&r, "machine_spec").cloned().unwrap_or(Value::Null);
    let mut spec = json!({ "machineType": attr_str(&ms, "machine_type") });
    if let Some(t) = attr_str(&ms, "accelerator_type") {
        spec["acceleratorType"] = json!(t);
        spec["acceleratorCount"] = json!(int(&ms, "accelerator_count").unwrap_or(1));
    }
    let min = int(&r, "min_replica_count").unwrap_or(1);
    let mut out = json!({
        "machineSpec": spec,
        "minReplicaCount": min,
        "maxReplicaCount": int(&r, "max_replica_count").unwrap_or(min),
    });
    if let Some(specs) = r
        .get_attr("autoscaling_metric_specs")
        .and_then(Value::as_seq)
    {
        out["autoscalingMetricSpecs"] = specs
            .iter()
            .map(|m| {
                let mut o = json!({ "metricName": attr_str(m, "metric_name") });
                if let Some(t) = int(m, "target") {
                    o["target"] = json!(t);
                }
                o
            })
            .collect();
    }
    out
}

/// `dedicated_resources` as state holds it (also inside the endpoint's `deployed_models`).
pub fn resources_value(r: &Json) -> Value {
    let ms = &r["machineSpec"];
    let specs = r["autoscalingMetricSpecs"]
        .as_array()
        .map(|a| {
            Value::list(
                a.iter()
                    .map(|m| {
                        obj(vec![
                            ("metric_name", s(m, "metricName")),
                            ("target", n(m, "target")),
                        ])
                    })
                    .collect(),
            )
        })
        .unwrap_or(Value::list(vec![]));
    Value::list(vec![obj(vec![
        (
            "machine_spec",
            Value::list(vec![obj(vec![
                ("machine_type", s(ms, "machineType")),
                ("accelerator_type", s(ms, "acceleratorType")),
                ("accelerator_count", n(ms, "acceleratorCount")),
            ])]),
        ),
        ("min_replica_count", n(r, "minReplicaCount")),
        ("max_replica_count", n(r, "maxReplicaCount")),
        ("autoscaling_metric_specs", specs),
    ])])
}

/// The traffic split after `gone` leaves: its share goes to the others in proportion to
/// theirs (all to the first when none has any), percentages still adding up to 100.
pub fn split_without(
    split: &serde_json::Map<String, Json>,
    remaining: &[String],
    gone: &str,
) -> Json {
    let share = split.get(gone).and_then(Json::as_i64).unwrap_or(0);
    let mut out: Vec<(String, i64)> = remaining
        .iter()
        .map(|id| {
            (
                id.clone(),
                split.get(id).and_then(Json::as_i64).unwrap_or(0),
            )
        })
        .collect();
    let total: i64 = out.iter().map(|(_, p)| p).sum();
    if out.is_empty() {
        return json!({});
    }
    if total == 0 {
        out[0].1 = 100;
    } else {
        let mut given = 0;
        for (_, p) in out.iter_mut() {
            let add = share * *p / total;
            *p += add;
            given += add;
        }
        out[0].1 += share - given;
    }
    Json::Object(out.into_iter().map(|(k, v)| (k, json!(v))).collect())
}

#[async_trait]
impl ResourceType for DeployedModel {
    fn name(&self) -> &'static str {
        "google_vertex_ai_endpoint_deployed_model"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["endpoint", "model"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["display_name", "deployed_model_id"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        b.attributes
            .insert("service_account".into(), opt(Type::String).force_new());
        for k in ["id", "create_time", "model_version_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        let mut spec = BlockSchema::default();
        spec.attributes
            .insert("machine_type".into(), req(Type::String).force_new());
        spec.attributes
            .insert("accelerator_type".into(), opt(Type::String).force_new());
        spec.attributes.insert(
            "accelerator_count".into(),
            optcomp(Type::Number).force_new(),
        );
        let mut metric = BlockSchema::default();
        metric
            .attributes
            .insert("metric_name".into(), req(Type::String));
        metric.attributes.insert("target".into(), opt(Type::Number));
        let mut res = BlockSchema::default();
        let mut ms = block(Nesting::List, spec, 1, true);
        ms.min_items = 1;
        res.blocks.insert("machine_spec".into(), ms);
        res.attributes
            .insert("min_replica_count".into(), req(Type::Number));
        res.attributes
            .insert("max_replica_count".into(), optcomp(Type::Number));
        res.blocks.insert(
            "autoscaling_metric_specs".into(),
            block(Nesting::List, metric, 0, false),
        );
        let mut dr = block(Nesting::List, res, 1, false);
        dr.min_items = 1;
        b.blocks.insert("dedicated_resources".into(), dr);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A model deployed to a Vertex AI endpoint on dedicated machines.".into(),
            legacy_type_system: false,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut notes = vec![];
        let r = first(req.proposed, "dedicated_resources")
            .cloned()
            .unwrap_or(Value::Null);
        let ms = first(&r, "machine_spec").cloned().unwrap_or(Value::Null);
        let (min, max) = (int(&r, "min_replica_count"), int(&r, "max_replica_count"));
        if let (Some(min), Some(max)) = (min, max) {
            if max < min {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!("max_replica_count ({max}) is below min_replica_count ({min})"),
                ));
            }
        }
        if let Some(min) = min {
            if min < 1 {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    "min_replica_count must be at least 1",
                ));
            }
        }
        if let (Some(t), Some(m)) = (
            attr_str(&ms, "accelerator_type"),
            attr_str(&ms, "machine_type"),
        ) {
            notes.push(format!(
                "{m} with {} × {t}, {}–{} replicas",
                int(&ms, "accelerator_count").unwrap_or(1),
                min.unwrap_or(1),
                max.or(min).unwrap_or(1)
            ));
        }
        let mut planned = req.proposed.clone();
        if let Some(r) = first(&planned, "dedicated_resources") {
            if r.get_attr("max_replica_count").is_some_and(Value::is_null) {
                let r2 = fill(
                    r,
                    vec![(
                        "max_replica_count",
                        min.map(|m| Value::Number(m as f64))
                            .unwrap_or(Value::Unknown),
                    )],
                );
                planned = fill(
                    &planned,
                    vec![("dedicated_resources", Value::list(vec![r2]))],
                );
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
        let (endpoint, loc) = endpoint_and_location(planned)?;
        let dm_id =
            attr_str(planned, "deployed_model_id").unwrap_or_else(|| id_from_token(op.token));
        let mut dm = json!({
            "id": dm_id,
            "model": need_str(planned, "model")?,
            "dedicatedResources": resources_json(planned),
        });
        if let Some(d) = attr_str(planned, "display_name") {
            dm["displayName"] = json!(d);
        }
        if let Some(sa) = attr_str(planned, "service_account") {
            dm["serviceAccount"] = json!(sa);
        }
        let current = c.client.get(Api::VertexAi, &loc, &endpoint).await?;
        let has_traffic = current["trafficSplit"]
            .as_object()
            .is_some_and(|m| m.values().any(|v| v.as_i64().unwrap_or(0) > 0));
        let mut body = json!({ "deployedModel": dm });
        if !has_traffic {
            body["trafficSplit"] = json!({"0": 100});
        }
        let lro = c
            .client
            .post(
                Api::VertexAi,
                &loc,
                &format!("{endpoint}:deployModel"),
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
            &format!("deploying model to endpoint {}", last_segment(&endpoint)),
        )
        .await?;
        self.read_back(
            c,
            &fill(planned, vec![("deployed_model_id", Value::string(&dm_id))]),
            "after deploy",
        )
        .await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let (endpoint, loc) = endpoint_and_location(prior)?;
        let Some(dm_id) = attr_str(prior, "deployed_model_id") else {
            return Ok(None);
        };
        let Some(e) = c.client.get_opt(Api::VertexAi, &loc, &endpoint).await? else {
            return Ok(None);
        };
        let Some(d) = e["deployedModels"]
            .as_array()
            .and_then(|a| a.iter().find(|d| d["id"].as_str() == Some(dm_id.as_str())))
        else {
            return Ok(None);
        };
        Ok(Some(fill(
            prior,
            vec![
                (
                    "id",
                    Value::string(format!("{endpoint}/deployedModels/{dm_id}")),
                ),
                ("deployed_model_id", Value::string(&dm_id)),
                ("model", s(d, "model")),
                ("display_name", s(d, "displayName")),
                ("create_time", s(d, "createTime")),
                ("model_version_id", s(d, "modelVersionId")),
                ("service_account", s(d, "serviceAccount")),
                (
                    "dedicated_resources",
                    resources_value(&d["dedicatedResources"]),
                ),
            ],
        )))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let (endpoint, loc) = endpoint_and_location(prior)?;
        let dm_id = need_str(prior, "deployed_model_id")?;
        // The request's update mask is a FieldMask in the body (JSON: camelCase paths).
        let body = json!({
            "deployedModel": { "id": dm_id, "dedicatedResources": resources_json(planned) },
            "updateMask": "dedicatedResources.minReplicaCount,dedicatedResources.maxReplicaCount,dedicatedResources.autoscalingMetricSpecs",
        });
        let lro = c
            .client
            .post(
                Api::VertexAi,
                &loc,
                &format!("{endpoint}:mutateDeployedModel"),
                body,
            )
            .await?;
        wait_lro(
            &c.client,
            Api::VertexAi,
            &loc,
            lro,
            timeout(planned, "update"),
            op.progress,
            "scaling deployed model",
        )
        .await?;
        self.read_back(c, prior, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (endpoint, loc) = endpoint_and_location(prior)?;
        let dm_id = need_str(prior, "deployed_model_id")?;
        let Some(e) = c.client.get_opt(Api::VertexAi, &loc, &endpoint).await? else {
            return Ok(());
        };
        let models: Vec<String> = e["deployedModels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["id"].as_str().map(String::from))
            .collect();
        if !models.contains(&dm_id) {
            return Ok(());
        }
        let remaining: Vec<String> = models.into_iter().filter(|m| *m != dm_id).collect();
        let mut body = json!({ "deployedModelId": dm_id });
        if let Some(split) = e["trafficSplit"].as_object() {
            if !remaining.is_empty() && split.get(&dm_id).and_then(Json::as_i64).unwrap_or(0) > 0 {
                body["trafficSplit"] = split_without(split, &remaining, &dm_id);
            }
        }
        let lro = c
            .client
            .post(
                Api::VertexAi,
                &loc,
                &format!("{endpoint}:undeployModel"),
                body,
            )
            .await?;
        wait_lro(
            &c.client,
            Api::VertexAi,
            &loc,
            lro,
            timeout(prior, "delete"),
            op.progress,
            "undeploying model",
        )
        .await
        .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        // ENDPOINT/deployedModels/ID
        let Some((endpoint, dm)) = id.split_once("/deployedModels/") else {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "import id {id:?} must be projects/P/locations/L/endpoints/E/deployedModels/ID"
                ),
            ));
        };
        self.read(
            c,
            &obj(vec![
                ("endpoint", Value::string(endpoint)),
                ("deployed_model_id", Value::string(dm)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        c: &Ctx,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let id = attr_str(planned, "deployed_model_id").unwrap_or_else(|| id_from_token(token));
        self.read(
            c,
            &fill(planned, vec![("deployed_model_id", Value::string(id))]),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_share_goes_to_the_rest_in_proportion() {
        let split = json!({"1": 50, "2": 30, "3": 20});
        let out = split_without(split.as_object().unwrap(), &["2".into(), "3".into()], "1");
        assert_eq!(out, json!({"2": 60, "3": 40}));
        let split = json!({"1": 100, "2": 0});
        let out = split_without(split.as_object().unwrap(), &["2".into()], "1");
        assert_eq!(out, json!({"2": 100}));
    }

    #[test]
    fn token_ids_are_ten_digits() {
        let id = id_from_token("abc");
        assert_eq!(id.len(), 10);
        assert!(!id.starts_with('0'));
        assert_eq!(id, id_from_token("abc"));
    }
}
