//! `google_vertex_ai_model` (gantry's name: hashicorp/google has no model resource): a model
//! in the Vertex AI Model Registry, created by `models:upload` (long-running) from an artifact
//! and a serving container. display_name, description and labels change in place; the
//! artifact and container make a new model. A deployed model cannot be deleted (Vertex refuses),
//! so deployments that use it are destroyed first — they depend on it.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::located::Located;
use crate::operation::wait_lro;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Nesting, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct Model;

const MODEL: Located = Located {
    location_attr: "region",
    collection: "models",
    id_attr: "model_id",
};

fn container_json(spec: &Value) -> Json {
    let mut out = json!({ "imageUri": attr_str(spec, "image_uri") });
    for (k, j) in [("command", "command"), ("args", "args")] {
        if let Some(l) = spec.get_attr(k).and_then(Value::as_seq) {
            out[j] = l.iter().map(|x| json!(x.as_str())).collect();
        }
    }
    if let Some(env) = spec.get_attr("env").and_then(Value::as_map) {
        out["env"] = env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v.unmark().0.as_str()}))
            .collect();
    }
    if let Some(ports) = spec.get_attr("ports").and_then(Value::as_seq) {
        out["ports"] = ports
            .iter()
            .filter_map(Value::as_f64)
            .map(|p| json!({ "containerPort": p as i64 }))
            .collect();
    }
    for (k, j) in [
        ("predict_route", "predictRoute"),
        ("health_route", "healthRoute"),
    ] {
        if let Some(r) = attr_str(spec, k) {
            out[j] = json!(r);
        }
    }
    out
}

fn container_value(j: &Json) -> Value {
    if !j.is_object() {
        return Value::list(vec![]);
    }
    let env = j["env"]
        .as_array()
        .map(|a| {
            Value::map(
                a.iter()
                    .map(|e| {
                        (
                            e["name"].as_str().unwrap_or_default().to_string(),
                            Value::string(e["value"].as_str().unwrap_or_default()),
                        )
                    })
                    .collect(),
            )
        })
        .unwrap_or(Value::Null);
    let ports = j["ports"]
        .as_array()
        .map(|a| {
            Value::list(
                a.iter()
                    .filter_map(|p| p["containerPort"].as_f64().map(Value::Number))
                    .collect(),
            )
        })
        .unwrap_or(Value::Null);
    let list = |k: &str| match j.get(k) {
        Some(l) => str_list(l),
        None => Value::Null,
    };
    Value::list(vec![obj(vec![
        ("image_uri", s(j, "imageUri")),
        ("command", list("command")),
        ("args", list("args")),
        ("env", env),
        ("ports", ports),
        ("predict_route", s(j, "predictRoute")),
        ("health_route", s(j, "healthRoute")),
    ])])
}

#[async_trait]
impl ResourceType for Model {
    fn name(&self) -> &'static str {
        "google_vertex_ai_model"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("model_id".into(), req(Type::String).force_new());
        b.attributes
            .insert("display_name".into(), req(Type::String));
        b.attributes.insert("description".into(), opt(Type::String));
        b.attributes
            .insert("artifact_uri".into(), opt(Type::String).force_new());
        for k in ["region", "project"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        for k in ["id", "version_id", "create_time", "update_time", "etag"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        labels::schema(&mut b);
        let mut spec = BlockSchema::default();
        spec.attributes
            .insert("image_uri".into(), req(Type::String));
        for k in ["command", "args"] {
            spec.attributes
                .insert(k.into(), opt(Type::list(Type::String)));
        }
        spec.attributes
            .insert("env".into(), opt(Type::map(Type::String)));
        spec.attributes
            .insert("ports".into(), opt(Type::list(Type::Number)));
        for k in ["predict_route", "health_route"] {
            spec.attributes.insert(k.into(), opt(Type::String));
        }
        let mut cs = block(Nesting::List, spec, 1, true);
        cs.min_items = 1;
        b.blocks.insert("container_spec".into(), cs);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A Vertex AI model uploaded to the Model Registry.".into(),
            legacy_type_system: false,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if req.prior.is_none() {
            planned = MODEL.plan_identity(c, planned);
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let (name, loc) = MODEL.name(c, planned)?;
        let (parent, id) = name.rsplit_once("/models/").unwrap_or_default();
        let mut model = json!({
            "displayName": need_str(planned, "display_name")?,
            "labels": labels::to_send(planned),
        });
        if let Some(d) = attr_str(planned, "description") {
            model["description"] = json!(d);
        }
        if let Some(a) = attr_str(planned, "artifact_uri") {
            model["artifactUri"] = json!(a);
        }
        if let Some(spec) = first(planned, "container_spec") {
            model["containerSpec"] = container_json(spec);
        }
        let lro = c
            .client
            .post(
                Api::VertexAi,
                &loc,
                &format!("{parent}/models:upload"),
                json!({ "modelId": id, "model": model }),
            )
            .await?;
        wait_lro(
            &c.client,
            Api::VertexAi,
            &loc,
            lro,
            timeout(planned, "create"),
            op.progress,
            &format!("uploading model {id}"),
        )
        .await?;
        self.read_back(c, planned, "after upload").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let (name, loc) = MODEL.name(c, prior)?;
        let Some(j) = c.client.get_opt(Api::VertexAi, &loc, &name).await? else {
            return Ok(None);
        };
        Ok(Some(from_json(prior, &j, &loc)))
    }

    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        crate::listing::read_by_listing(c, Api::VertexAi, priors, "models", from_json).await
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let (name, loc) = MODEL.name(c, prior)?;
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
        if !mask.is_empty() {
            c.client
                .patch(
                    Api::VertexAi,
                    &loc,
                    &format!("{name}?updateMask={}", enc(&mask.join(","))),
                    body,
                )
                .await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (name, loc) = MODEL.name(c, prior)?;
        crate::operation::delete_and_wait(
            &c.client,
            Api::VertexAi,
            &loc,
            &name,
            timeout(prior, "delete"),
            op.progress,
            "deleting model",
        )
        .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        MODEL.import_parts(id)?;
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}

fn from_json(prior: &Value, j: &Json, loc: &str) -> Value {
    let name = j["name"].as_str().unwrap_or_default();
    let mut pairs = vec![
        ("id", Value::string(name)),
        ("model_id", Value::string(last_segment(name))),
        ("region", Value::string(loc)),
        (
            "project",
            Value::string(name.split('/').nth(1).unwrap_or_default()),
        ),
        ("display_name", s(j, "displayName")),
        ("description", s(j, "description")),
        ("artifact_uri", s(j, "artifactUri")),
        ("version_id", s(j, "versionId")),
        ("create_time", s(j, "createTime")),
        ("update_time", s(j, "updateTime")),
        ("etag", s(j, "etag")),
        ("container_spec", container_value(&j["containerSpec"])),
    ];
    pairs.extend(labels::read(prior, &j["labels"]));
    fill(prior, pairs)
}
