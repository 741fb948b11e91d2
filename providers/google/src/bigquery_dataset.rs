//! `google_bigquery_dataset`: where features, predictions and evaluation results land.
//! Names, descriptions, expirations and labels change in place (PATCH; a label dropped
//! from the configuration is sent as null, which is how BigQuery removes one); the dataset
//! id and location make a new dataset. `delete_contents_on_destroy` deletes its tables too.

use crate::client::Api;
use crate::config::Ctx;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct Dataset;

fn path(c: &Ctx, v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("projects/")) {
        return Ok(id);
    }
    Ok(format!(
        "projects/{}/datasets/{}",
        c.project(v)?,
        need_str(v, "dataset_id")?
    ))
}

const EXPIRATIONS: [(&str, &str); 2] = [
    ("default_table_expiration_ms", "defaultTableExpirationMs"),
    (
        "default_partition_expiration_ms",
        "defaultPartitionExpirationMs",
    ),
];

#[async_trait]
impl ResourceType for Dataset {
    fn name(&self) -> &'static str {
        "google_bigquery_dataset"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("dataset_id".into(), req(Type::String).force_new());
        b.attributes
            .insert("project".into(), optcomp(Type::String).force_new());
        b.attributes.insert(
            "location".into(),
            opt(Type::String)
                .with_default(Value::string("US"))
                .force_new(),
        );
        for k in ["friendly_name", "description"] {
            b.attributes.insert(k.into(), opt(Type::String));
        }
        for (k, _) in EXPIRATIONS {
            b.attributes.insert(k.into(), opt(Type::Number));
        }
        b.attributes
            .insert("max_time_travel_hours".into(), optcomp(Type::String));
        b.attributes.insert(
            "delete_contents_on_destroy".into(),
            opt(Type::Bool).with_default(Value::Bool(false)),
        );
        for k in ["id", "self_link", "etag"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        for k in ["creation_time", "last_modified_time"] {
            b.attributes.insert(k.into(), comp(Type::Number));
        }
        labels::schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A BigQuery dataset.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if req.prior.is_none() {
            if let Ok(p) = c.project(&planned) {
                planned = fill(&planned, vec![("project", Value::string(&p))]);
                if let Ok(id) = path(c, &planned) {
                    planned = fill(&planned, vec![("id", Value::string(id))]);
                }
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let project = c.project(planned)?;
        let mut body = json!({
            "datasetReference": {"projectId": project, "datasetId": need_str(planned, "dataset_id")?},
            "location": attr_str(planned, "location").unwrap_or_else(|| "US".into()),
            "labels": labels::to_send(planned),
        });
        fields(planned, &mut body, false);
        c.client
            .post(
                Api::BigQuery,
                "",
                &format!("projects/{project}/datasets"),
                body,
            )
            .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(c.client
            .get_opt(Api::BigQuery, "", &path(c, prior)?)
            .await?
            .map(|j| from_json(prior, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let mut body = json!({});
        fields(planned, &mut body, true);
        let mut l = serde_json::Map::new();
        let now = string_map(planned, "effective_labels");
        for k in string_map(prior, "effective_labels").keys() {
            if !now.contains_key(k) {
                l.insert(k.clone(), Json::Null);
            }
        }
        for (k, v) in now {
            l.insert(k, json!(v));
        }
        body["labels"] = Json::Object(l);
        c.client
            .patch(Api::BigQuery, "", &path(c, prior)?, body)
            .await?;
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let contents = attr_bool(prior, "delete_contents_on_destroy") == Some(true);
        let p = format!("{}?deleteContents={contents}", path(c, prior)?);
        match c.client.delete(Api::BigQuery, "", &p).await {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// `projects/P/datasets/D`, `P/D` or `D`.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let parts: Vec<&str> = id.split('/').collect();
        let full = match parts.as_slice() {
            ["projects", p, "datasets", d] => format!("projects/{p}/datasets/{d}"),
            [p, d] => format!("projects/{p}/datasets/{d}"),
            [d] => format!("projects/{}/datasets/{d}", c.project(&Value::Null)?),
            _ => {
                return Err(gantry_core::provider::ProviderError::new(
                    ErrorKind::Validation,
                    format!("import id {id:?} must be projects/PROJECT/datasets/DATASET"),
                ))
            }
        };
        let v = obj(vec![
            ("id", Value::string(full)),
            ("delete_contents_on_destroy", Value::Bool(false)),
        ]);
        self.read(c, &v).await
    }
}

/// The mutable fields; with `clearing`, unset ones are sent as null (PATCH removes them).
fn fields(v: &Value, body: &mut Json, clearing: bool) {
    for (k, j) in [
        ("friendly_name", "friendlyName"),
        ("description", "description"),
    ] {
        match attr_str(v, k) {
            Some(x) => body[j] = json!(x),
            None if clearing => body[j] = Json::Null,
            None => {}
        }
    }
    for (k, j) in EXPIRATIONS {
        match int(v, k) {
            Some(x) => body[j] = json!(x.to_string()),
            None if clearing => body[j] = Json::Null,
            None => {}
        }
    }
    if let Some(h) = attr_str(v, "max_time_travel_hours") {
        body["maxTimeTravelHours"] = json!(h);
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let r = &j["datasetReference"];
    let project = r["projectId"].as_str().unwrap_or_default();
    let dataset = r["datasetId"].as_str().unwrap_or_default();
    let mut pairs = vec![
        (
            "id",
            Value::string(format!("projects/{project}/datasets/{dataset}")),
        ),
        ("project", Value::string(project)),
        ("dataset_id", Value::string(dataset)),
        ("location", s(j, "location")),
        ("friendly_name", s(j, "friendlyName")),
        ("description", s(j, "description")),
        ("max_time_travel_hours", s(j, "maxTimeTravelHours")),
        ("self_link", s(j, "selfLink")),
        ("etag", s(j, "etag")),
        ("creation_time", n(j, "creationTime")),
        ("last_modified_time", n(j, "lastModifiedTime")),
    ];
    for (k, jk) in EXPIRATIONS {
        pairs.push((k, n(j, jk)));
    }
    pairs.extend(labels::read(prior, &j["labels"]));
    fill(prior, pairs)
}
