//! `google_storage_bucket`: a GCS bucket (model artifacts, datasets). Labels, versioning,
//! lifecycle rules, storage class, uniform access and public access prevention change in
//! place (PATCH); name and location force a new bucket. `force_destroy` empties the bucket
//! (every object version) before deleting it, as upstream does.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct Bucket;

fn lifecycle_schema() -> BlockSchema {
    let mut action = BlockSchema::default();
    action.attributes.insert("type".into(), req(Type::String));
    action
        .attributes
        .insert("storage_class".into(), opt(Type::String));
    let mut cond = BlockSchema::default();
    for k in [
        "age",
        "num_newer_versions",
        "days_since_noncurrent_time",
        "days_since_custom_time",
    ] {
        cond.attributes.insert(k.into(), opt(Type::Number));
    }
    for k in [
        "created_before",
        "noncurrent_time_before",
        "custom_time_before",
    ] {
        cond.attributes.insert(k.into(), opt(Type::String));
    }
    cond.attributes
        .insert("with_state".into(), optcomp(Type::String));
    for k in ["matches_storage_class", "matches_prefix", "matches_suffix"] {
        cond.attributes
            .insert(k.into(), opt(Type::list(Type::String)));
    }
    let mut rule = BlockSchema::default();
    rule.blocks.insert(
        "action".into(),
        NestedBlockExt::min1(block(Nesting::Set, action, 1, false)),
    );
    rule.blocks.insert(
        "condition".into(),
        NestedBlockExt::min1(block(Nesting::Set, cond, 1, false)),
    );
    rule
}

/// `min_items = 1` on a nested block.
trait NestedBlockExt {
    fn min1(self) -> Self;
}
impl NestedBlockExt for gantry_core::provider::NestedBlock {
    fn min1(mut self) -> Self {
        self.min_items = 1;
        self
    }
}

impl Bucket {
    fn body(&self, planned: &Value) -> Json {
        let mut body = json!({
            "storageClass": attr_str(planned, "storage_class").unwrap_or_else(|| "STANDARD".into()),
            "labels": labels::to_send(planned),
            "versioning": {"enabled": first(planned, "versioning")
                .and_then(|v| attr_bool(v, "enabled")).unwrap_or(false)},
            "lifecycle": {"rule": rules_json(planned)},
        });
        let mut iam = serde_json::Map::new();
        if let Some(u) = attr_bool(planned, "uniform_bucket_level_access") {
            iam.insert("uniformBucketLevelAccess".into(), json!({ "enabled": u }));
        }
        if let Some(p) = attr_str(planned, "public_access_prevention") {
            iam.insert("publicAccessPrevention".into(), json!(p));
        }
        if !iam.is_empty() {
            body["iamConfiguration"] = Json::Object(iam);
        }
        body
    }
}

fn rules_json(v: &Value) -> Json {
    let rules = v
        .get_attr("lifecycle_rule")
        .and_then(Value::as_seq)
        .unwrap_or_default();
    Json::Array(
        rules
            .iter()
            .map(|r| {
                let mut action = json!({});
                if let Some(a) = first(r, "action") {
                    action["type"] = json!(attr_str(a, "type"));
                    if let Some(sc) = attr_str(a, "storage_class").filter(|s| !s.is_empty()) {
                        action["storageClass"] = json!(sc);
                    }
                }
                let mut cond = serde_json::Map::new();
                if let Some(c) = first(r, "condition") {
                    for (k, j) in [
                        ("age", "age"),
                        ("num_newer_versions", "numNewerVersions"),
                        ("days_since_noncurrent_time", "daysSinceNoncurrentTime"),
                        ("days_since_custom_time", "daysSinceCustomTime"),
                    ] {
                        if let Some(x) = int(c, k) {
                            cond.insert(j.into(), json!(x));
                        }
                    }
                    for (k, j) in [
                        ("created_before", "createdBefore"),
                        ("noncurrent_time_before", "noncurrentTimeBefore"),
                        ("custom_time_before", "customTimeBefore"),
                    ] {
                        if let Some(x) = attr_str(c, k).filter(|s| !s.is_empty()) {
                            cond.insert(j.into(), json!(x));
                        }
                    }
                    match attr_str(c, "with_state").as_deref() {
                        Some("LIVE") => {
                            cond.insert("isLive".into(), json!(true));
                        }
                        Some("ARCHIVED") => {
                            cond.insert("isLive".into(), json!(false));
                        }
                        _ => {}
                    }
                    for (k, j) in [
                        ("matches_storage_class", "matchesStorageClass"),
                        ("matches_prefix", "matchesPrefix"),
                        ("matches_suffix", "matchesSuffix"),
                    ] {
                        if let Some(l) = c.get_attr(k).and_then(Value::as_seq) {
                            if !l.is_empty() {
                                cond.insert(
                                    j.into(),
                                    l.iter().map(|x| json!(x.as_str())).collect(),
                                );
                            }
                        }
                    }
                }
                json!({"action": action, "condition": cond})
            })
            .collect(),
    )
}

fn rules_value(j: &Json) -> Value {
    let rules = j["lifecycle"]["rule"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Value::list(
        rules
            .iter()
            .map(|r| {
                let a = &r["action"];
                let c = &r["condition"];
                let with_state = match c["isLive"].as_bool() {
                    Some(true) => "LIVE",
                    Some(false) => "ARCHIVED",
                    None => "ANY",
                };
                let list = |k: &str| match c.get(k) {
                    Some(l) => str_list(l),
                    None => Value::list(vec![]),
                };
                obj(vec![
                    (
                        "action",
                        Value::set(vec![obj(vec![
                            ("type", s(a, "type")),
                            (
                                "storage_class",
                                Value::string(a["storageClass"].as_str().unwrap_or("")),
                            ),
                        ])]),
                    ),
                    (
                        "condition",
                        Value::set(vec![obj(vec![
                            ("age", n(c, "age")),
                            ("num_newer_versions", n(c, "numNewerVersions")),
                            (
                                "days_since_noncurrent_time",
                                n(c, "daysSinceNoncurrentTime"),
                            ),
                            ("days_since_custom_time", n(c, "daysSinceCustomTime")),
                            (
                                "created_before",
                                Value::string(c["createdBefore"].as_str().unwrap_or("")),
                            ),
                            (
                                "noncurrent_time_before",
                                Value::string(c["noncurrentTimeBefore"].as_str().unwrap_or("")),
                            ),
                            (
                                "custom_time_before",
                                Value::string(c["customTimeBefore"].as_str().unwrap_or("")),
                            ),
                            ("with_state", Value::string(with_state)),
                            ("matches_storage_class", list("matchesStorageClass")),
                            ("matches_prefix", list("matchesPrefix")),
                            ("matches_suffix", list("matchesSuffix")),
                        ])]),
                    ),
                ])
            })
            .collect(),
    )
}

#[async_trait]
impl ResourceType for Bucket {
    fn name(&self) -> &'static str {
        "google_storage_bucket"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("name".into(), req(Type::String).force_new());
        b.attributes
            .insert("location".into(), req(Type::String).force_new());
        b.attributes
            .insert("project".into(), optcomp(Type::String).force_new());
        b.attributes.insert(
            "force_destroy".into(),
            opt(Type::Bool).with_default(Value::Bool(false)),
        );
        b.attributes.insert(
            "storage_class".into(),
            opt(Type::String).with_default(Value::string("STANDARD")),
        );
        b.attributes
            .insert("uniform_bucket_level_access".into(), optcomp(Type::Bool));
        b.attributes
            .insert("public_access_prevention".into(), optcomp(Type::String));
        for k in ["id", "self_link", "url", "time_created", "updated"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        b.attributes
            .insert("project_number".into(), comp(Type::Number));
        labels::schema(&mut b);
        let mut versioning = BlockSchema::default();
        versioning
            .attributes
            .insert("enabled".into(), req(Type::Bool));
        b.blocks.insert(
            "versioning".into(),
            block(Nesting::List, versioning, 1, false),
        );
        b.blocks.insert(
            "lifecycle_rule".into(),
            block(Nesting::List, lifecycle_schema(), 100, false),
        );
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 3,
            block: b,
            description: "A Google Cloud Storage bucket.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        // with_state is computed inside a set element, where the engine cannot carry the
        // prior value over: the API's default for an unset state is "ANY".
        if let Some(rules) = planned.get_attr("lifecycle_rule").and_then(Value::as_seq) {
            let rules: Vec<Value> = rules
                .iter()
                .map(|r| {
                    let conds: Vec<Value> = r
                        .get_attr("condition")
                        .and_then(Value::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .map(|c| match c.get_attr("with_state") {
                            Some(Value::Unknown) | None => {
                                fill(c, vec![("with_state", Value::string("ANY"))])
                            }
                            _ => c.clone(),
                        })
                        .collect();
                    fill(r, vec![("condition", Value::set(conds))])
                })
                .collect();
            planned = fill(&planned, vec![("lifecycle_rule", Value::list(rules))]);
        }
        if let Some(prior) = req.prior {
            // GCS reports locations upper-cased; upstream ignores the case difference.
            let (was, now) = (attr_str(prior, "location"), attr_str(&planned, "location"));
            if let (Some(w), Some(n)) = (was, now) {
                if w.eq_ignore_ascii_case(&n) {
                    planned = fill(&planned, vec![("location", Value::string(w))]);
                }
            }
        } else if attr_str(&planned, "project").is_none() {
            if let Some(p) = &c.project {
                planned = fill(&planned, vec![("project", Value::string(p))]);
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
        let name = need_str(planned, "name")?;
        let project = c.project(planned)?;
        let mut body = self.body(planned);
        body["name"] = json!(name);
        body["location"] = json!(need_str(planned, "location")?);
        c.client
            .post(
                Api::Storage,
                "",
                &format!("b?project={}", enc(&project)),
                body,
            )
            .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "name")
            .or_else(|| attr_str(prior, "id"))
            .unwrap_or_default();
        let Some(j) = c
            .client
            .get_opt(Api::Storage, "", &format!("b/{}", enc(&name)))
            .await?
        else {
            return Ok(None);
        };
        let iam = &j["iamConfiguration"];
        let mut pairs = vec![
            ("id", s(&j, "name")),
            ("name", s(&j, "name")),
            ("location", s(&j, "location")),
            ("storage_class", s(&j, "storageClass")),
            ("self_link", s(&j, "selfLink")),
            ("url", Value::string(format!("gs://{name}"))),
            ("time_created", s(&j, "timeCreated")),
            ("updated", s(&j, "updated")),
            ("project_number", n(&j, "projectNumber")),
            (
                "uniform_bucket_level_access",
                Value::Bool(
                    iam["uniformBucketLevelAccess"]["enabled"]
                        .as_bool()
                        .unwrap_or(false),
                ),
            ),
            (
                "public_access_prevention",
                Value::string(
                    iam["publicAccessPrevention"]
                        .as_str()
                        .unwrap_or("inherited"),
                ),
            ),
            (
                "versioning",
                match j["versioning"]["enabled"].as_bool() {
                    Some(e) if e || first(prior, "versioning").is_some() => {
                        Value::list(vec![obj(vec![("enabled", Value::Bool(e))])])
                    }
                    _ => Value::list(vec![]),
                },
            ),
            ("lifecycle_rule", rules_value(&j)),
        ];
        if attr_str(prior, "project").is_none() {
            pairs.push((
                "project",
                c.project
                    .as_deref()
                    .map(Value::string)
                    .unwrap_or(Value::Null),
            ));
        }
        if prior.get_attr("force_destroy").is_none_or(Value::is_null) {
            pairs.push(("force_destroy", Value::Bool(false)));
        }
        pairs.extend(labels::read(prior, &j["labels"]));
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "name")?;
        let mut body = self.body(planned);
        // PATCH merges labels: a key dropped from the configuration is sent as null.
        if let Json::Object(send) = &mut body["labels"] {
            for k in string_map(prior, "effective_labels").keys() {
                send.entry(k.clone()).or_insert(Json::Null);
            }
        }
        c.client
            .patch(Api::Storage, "", &format!("b/{}", enc(&name)), body)
            .await?;
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "name")?;
        if attr_bool(prior, "force_destroy") == Some(true) {
            empty_bucket(c, &name).await?;
        }
        match c.client.delete(Api::Storage, "", &format!("b/{}", enc(&name))).await {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict => Err(gantry_core::provider::ProviderError::new(
                ErrorKind::Conflict,
                format!("{e}\n  (bucket {name} is not empty; set force_destroy = true to delete its objects with it)"),
            )),
            other => other.map(|_| ()),
        }
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        // "name" or "project/name", as upstream accepts.
        let name = id.rsplit('/').next().unwrap_or(id);
        self.read(c, &obj(vec![("name", Value::string(name))]))
            .await
    }
}

/// Deletes every object version in the bucket.
async fn empty_bucket(c: &Ctx, bucket: &str) -> ProviderResult<()> {
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("b/{}/o?versions=true", enc(bucket));
        if let Some(t) = &token {
            path.push_str(&format!("&pageToken={}", enc(t)));
        }
        let page = c.client.get(Api::Storage, "", &path).await?;
        for item in page["items"].as_array().into_iter().flatten() {
            let name = item["name"].as_str().unwrap_or_default();
            let mut p = format!("b/{}/o/{}", enc(bucket), enc(name));
            if let Some(g) = item["generation"].as_str() {
                p.push_str(&format!("?generation={g}"));
            }
            match c.client.delete(Api::Storage, "", &p).await {
                Err(e) if e.kind == ErrorKind::NotFound => {}
                other => {
                    other?;
                }
            }
        }
        token = page["nextPageToken"].as_str().map(String::from);
        if token.is_none() {
            return Ok(());
        }
    }
}
