//! `google_project_iam_member`: one member granted one role on a project, leaving every
//! other binding alone. The project's policy is edited read-modify-write with its etag;
//! gantry serialises its own edits (one provider-wide lock, so parallel members never race
//! each other) and retries when someone else changed the policy in between (409 ABORTED).
//! Refresh reads each project's policy once, however many members it holds.

use crate::client::Api;
use crate::config::Ctx;
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
use std::collections::BTreeMap;

pub struct ProjectIamMember;

/// How many times a read-modify-write is retried after a concurrent change.
const ATTEMPTS: u32 = 6;

struct Grant {
    project: String,
    role: String,
    member: String,
    condition: Option<Json>,
}

impl Grant {
    fn of(c: &Ctx, v: &Value) -> ProviderResult<Grant> {
        let condition = first(v, "condition").map(|x| {
            let mut o =
                json!({"title": attr_str(x, "title"), "expression": attr_str(x, "expression")});
            if let Some(d) = attr_str(x, "description") {
                o["description"] = json!(d);
            }
            o
        });
        Ok(Grant {
            project: c.project(v)?,
            role: need_str(v, "role")?,
            member: need_str(v, "member")?,
            condition,
        })
    }

    fn id(&self) -> String {
        let mut id = format!("{}/{}/{}", self.project, self.role, self.member);
        if let Some(t) = self.condition.as_ref().and_then(|c| c["title"].as_str()) {
            id.push('/');
            id.push_str(t);
        }
        id
    }

    fn binding_matches(&self, b: &Json) -> bool {
        let cond = b.get("condition").filter(|c| !c.is_null());
        b["role"].as_str() == Some(&self.role)
            && match (&self.condition, cond) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    a["expression"] == b["expression"] && a["title"] == b["title"]
                }
                _ => false,
            }
    }

    fn present_in(&self, policy: &Json) -> bool {
        policy["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| self.binding_matches(b))
            .any(|b| {
                b["members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m.as_str().is_some_and(|m| same_member(m, &self.member)))
            })
    }
}

/// Member types are case-insensitive in IAM (`serviceAccount:` / `serviceaccount:`).
fn same_member(a: &str, b: &str) -> bool {
    match (a.split_once(':'), b.split_once(':')) {
        (Some((ta, va)), Some((tb, vb))) => ta.eq_ignore_ascii_case(tb) && va == vb,
        _ => a == b,
    }
}

async fn get_policy(c: &Ctx, project: &str) -> ProviderResult<Json> {
    c.client
        .post(
            Api::ResourceManager,
            "",
            &format!("projects/{project}:getIamPolicy"),
            json!({"options": {"requestedPolicyVersion": 3}}),
        )
        .await
}

/// Applies `edit` to the project's policy and writes it back, retrying on a stale etag.
async fn modify(c: &Ctx, project: &str, edit: impl Fn(&mut Json)) -> ProviderResult<Json> {
    let _serialised = c.policy_lock.lock().await;
    let mut attempt = 0;
    loop {
        let mut policy = get_policy(c, project).await?;
        edit(&mut policy);
        let conditional = policy["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|b| b.get("condition").is_some_and(|x| !x.is_null()));
        if conditional {
            policy["version"] = json!(3);
        }
        match c
            .client
            .post(
                Api::ResourceManager,
                "",
                &format!("projects/{project}:setIamPolicy"),
                json!({"policy": policy}),
            )
            .await
        {
            Err(e) if e.kind == ErrorKind::Conflict && attempt + 1 < ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
            }
            other => return other,
        }
    }
}

#[async_trait]
impl ResourceType for ProjectIamMember {
    fn name(&self) -> &'static str {
        "google_project_iam_member"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["project", "role", "member"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["id", "etag"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        let mut cond = BlockSchema::default();
        for k in ["title", "expression"] {
            cond.attributes
                .insert(k.into(), req(Type::String).force_new());
        }
        cond.attributes
            .insert("description".into(), opt(Type::String).force_new());
        b.blocks
            .insert("condition".into(), block(Nesting::List, cond, 1, true));
        ResourceSchema {
            version: 0,
            block: b,
            description: "One member granted one role on a project.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if req.prior.is_none() && planned.is_wholly_known() {
            planned = fill(
                &planned,
                vec![("id", Value::string(Grant::of(c, &planned)?.id()))],
            );
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let g = Grant::of(c, planned)?;
        let policy = modify(c, &g.project, |p| add(p, &g)).await?;
        Ok(state(planned, &g, &policy))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let g = Grant::of(c, prior)?;
        let policy = get_policy(c, &g.project).await?;
        Ok(g.present_in(&policy).then(|| state(prior, &g, &policy)))
    }

    /// One getIamPolicy per project.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut policies: BTreeMap<String, ProviderResult<Json>> = BTreeMap::new();
        let mut out = vec![];
        for p in priors {
            let g = match Grant::of(c, p) {
                Ok(g) => g,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            if !policies.contains_key(&g.project) {
                policies.insert(g.project.clone(), get_policy(c, &g.project).await);
            }
            out.push(match &policies[&g.project] {
                Ok(pol) => Ok(g.present_in(pol).then(|| state(p, &g, pol))),
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
        Ok(planned.clone())
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let g = Grant::of(c, prior)?;
        modify(c, &g.project, |p| remove(p, &g)).await.map(|_| ())
    }

    /// `PROJECT ROLE MEMBER` (space separated, as upstream) or `PROJECT/ROLE/MEMBER`.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let parts: Vec<&str> = if id.contains(' ') {
            id.split(' ').collect()
        } else {
            let (project, rest) = id.split_once('/').unwrap_or((id, ""));
            let (role, member) = match rest.strip_prefix("roles/") {
                Some(r) => {
                    let (name, m) = r.split_once('/').unwrap_or((r, ""));
                    (format!("roles/{name}"), m)
                }
                None => {
                    // projects/P/roles/CUSTOM
                    let mut it = rest.splitn(5, '/');
                    let role: Vec<&str> = it.by_ref().take(4).collect();
                    (role.join("/"), it.next().unwrap_or(""))
                }
            };
            return self.import_parts(c, project, &role, member).await;
        };
        if parts.len() < 3 {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("import id {id:?} must be \"PROJECT ROLE MEMBER\""),
            ));
        }
        self.import_parts(c, parts[0], parts[1], parts[2]).await
    }
}

impl ProjectIamMember {
    async fn import_parts(
        &self,
        c: &Ctx,
        project: &str,
        role: &str,
        member: &str,
    ) -> ProviderResult<Option<Value>> {
        let v = obj(vec![
            ("project", Value::string(project)),
            ("role", Value::string(role)),
            ("member", Value::string(member)),
            ("condition", Value::list(vec![])),
        ]);
        self.read(c, &v).await
    }
}

fn add(policy: &mut Json, g: &Grant) {
    if g.present_in(policy) {
        return;
    }
    let bindings = policy["bindings"].as_array_mut();
    let bindings = match bindings {
        Some(b) => b,
        None => {
            policy["bindings"] = json!([]);
            policy["bindings"].as_array_mut().expect("just set")
        }
    };
    if let Some(b) = bindings.iter_mut().find(|b| g.binding_matches(b)) {
        if let Some(m) = b["members"].as_array_mut() {
            m.push(json!(g.member));
            return;
        }
    }
    let mut b = json!({"role": g.role, "members": [g.member]});
    if let Some(cond) = &g.condition {
        b["condition"] = cond.clone();
    }
    bindings.push(b);
}

fn remove(policy: &mut Json, g: &Grant) {
    if let Some(bindings) = policy["bindings"].as_array_mut() {
        for b in bindings.iter_mut().filter(|b| g.binding_matches(b)) {
            if let Some(m) = b["members"].as_array_mut() {
                m.retain(|x| !x.as_str().is_some_and(|x| same_member(x, &g.member)));
            }
        }
        bindings.retain(|b| b["members"].as_array().is_some_and(|m| !m.is_empty()));
    }
}

fn state(base: &Value, g: &Grant, policy: &Json) -> Value {
    fill(
        base,
        vec![
            ("id", Value::string(g.id())),
            ("project", Value::string(&g.project)),
            ("etag", s(policy, "etag")),
        ],
    )
}
