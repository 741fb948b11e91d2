//! `google_project_service`: an API enabled on a project (aiplatform, tpu, compute, vision,
//! translate, dialogflow, ...). Enabling and disabling are long-running Service Usage
//! operations; refresh reads every enabled service of a project with one paged list.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::operation::wait_lro;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub struct ProjectService;

fn parts(c: &Ctx, v: &Value) -> ProviderResult<(String, String)> {
    if let Some((p, s)) = attr_str(v, "id").and_then(|id| {
        id.split_once('/')
            .map(|(p, s)| (p.to_string(), s.to_string()))
    }) {
        return Ok((p, s));
    }
    Ok((c.project(v)?, need_str(v, "service")?))
}

#[async_trait]
impl ResourceType for ProjectService {
    fn name(&self) -> &'static str {
        "google_project_service"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("service".into(), req(Type::String).force_new());
        b.attributes
            .insert("project".into(), optcomp(Type::String).force_new());
        b.attributes.insert(
            "disable_on_destroy".into(),
            opt(Type::Bool).with_default(Value::Bool(true)),
        );
        for k in [
            "disable_dependent_services",
            "check_if_service_has_usage_on_destroy",
        ] {
            b.attributes.insert(k.into(), opt(Type::Bool));
        }
        b.attributes.insert("id".into(), comp(Type::String));
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An API enabled on a project.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if req.prior.is_none() {
            if let (Ok(p), Some(s)) = (c.project(&planned), attr_str(&planned, "service")) {
                planned = fill(
                    &planned,
                    vec![
                        ("project", Value::string(&p)),
                        ("id", Value::string(format!("{p}/{s}"))),
                    ],
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
        let (project, service) = parts(c, planned)?;
        let lro = c
            .client
            .post(
                Api::ServiceUsage,
                "",
                &format!("projects/{project}/services/{}:enable", enc(&service)),
                json!({}),
            )
            .await?;
        wait_lro(
            &c.client,
            Api::ServiceUsage,
            "",
            lro,
            timeout(planned, "create"),
            op.progress,
            &format!("enabling {service}"),
        )
        .await?;
        self.read_back(c, planned, "after enabling").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let (project, service) = parts(c, prior)?;
        let j = c
            .client
            .get(
                Api::ServiceUsage,
                "",
                &format!("projects/{project}/services/{}", enc(&service)),
            )
            .await?;
        Ok((j["state"].as_str() == Some("ENABLED")).then(|| state(prior, &project, &service)))
    }

    /// One paged `services.list?filter=state:ENABLED` per project.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut enabled: BTreeMap<String, ProviderResult<BTreeSet<String>>> = BTreeMap::new();
        let mut out = vec![];
        for p in priors {
            let (project, service) = match parts(c, p) {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            if !enabled.contains_key(&project) {
                enabled.insert(project.clone(), list_enabled(c, &project).await);
            }
            out.push(match &enabled[&project] {
                Ok(set) => Ok(set.contains(&service).then(|| state(p, &project, &service))),
                Err(e) => Err(e.clone()),
            });
        }
        out
    }

    async fn update(
        &self,
        _c: &Ctx,
        _prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        // Only gantry-side settings (disable_on_destroy, ...) change in place.
        Ok(planned.clone())
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        if attr_bool(prior, "disable_on_destroy") == Some(false) {
            return Ok(());
        }
        let (project, service) = parts(c, prior)?;
        let mut body = json!({});
        if let Some(d) = attr_bool(prior, "disable_dependent_services") {
            body["disableDependentServices"] = json!(d);
        }
        if attr_bool(prior, "check_if_service_has_usage_on_destroy") == Some(true) {
            body["checkIfServiceHasUsage"] = json!("CHECK");
        }
        let lro = c
            .client
            .post(
                Api::ServiceUsage,
                "",
                &format!("projects/{project}/services/{}:disable", enc(&service)),
                body,
            )
            .await?;
        wait_lro(
            &c.client,
            Api::ServiceUsage,
            "",
            lro,
            timeout(prior, "delete"),
            op.progress,
            &format!("disabling {service}"),
        )
        .await
        .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        if !id.contains('/') {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("import id {id:?} must be PROJECT/SERVICE"),
            ));
        }
        let v = obj(vec![
            ("id", Value::string(id)),
            ("disable_on_destroy", Value::Bool(true)),
        ]);
        self.read(c, &v).await
    }
}

fn state(prior: &Value, project: &str, service: &str) -> Value {
    fill(
        prior,
        vec![
            ("id", Value::string(format!("{project}/{service}"))),
            ("project", Value::string(project)),
            ("service", Value::string(service)),
        ],
    )
}

async fn list_enabled(c: &Ctx, project: &str) -> ProviderResult<BTreeSet<String>> {
    let mut all = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut p = format!("projects/{project}/services?filter=state:ENABLED&pageSize=200");
        if let Some(t) = &token {
            p.push_str(&format!("&pageToken={}", enc(t)));
        }
        let page = c.client.get(Api::ServiceUsage, "", &p).await?;
        for s in page["services"].as_array().into_iter().flatten() {
            if let Some(n) = s["name"].as_str() {
                all.insert(n.rsplit('/').next().unwrap_or(n).to_string());
            }
        }
        token = page["nextPageToken"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(String::from);
        if token.is_none() {
            return Ok(all);
        }
    }
}
