//! `google_service_account`: the identity a model server or a training VM runs as. Display
//! name and description change in place (PATCH with an update mask), `disabled` through
//! enable/disable; the account id makes a new account. The email, member and id are known
//! at plan (they follow from the account id and project), so IAM bindings on a new account
//! plan with their real member.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct ServiceAccount;

fn path(c: &Ctx, v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("projects/")) {
        return Ok(id);
    }
    let project = c.project(v)?;
    let email = attr_str(v, "email")
        .unwrap_or_else(|| email_of(&attr_str(v, "account_id").unwrap_or_default(), &project));
    Ok(format!("projects/{project}/serviceAccounts/{email}"))
}

fn email_of(account_id: &str, project: &str) -> String {
    format!("{account_id}@{project}.iam.gserviceaccount.com")
}

#[async_trait]
impl ResourceType for ServiceAccount {
    fn name(&self) -> &'static str {
        "google_service_account"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("account_id".into(), req(Type::String).force_new());
        b.attributes
            .insert("project".into(), optcomp(Type::String).force_new());
        for k in ["display_name", "description"] {
            b.attributes.insert(k.into(), opt(Type::String));
        }
        b.attributes.insert(
            "disabled".into(),
            opt(Type::Bool).with_default(Value::Bool(false)),
        );
        b.attributes
            .insert("create_ignore_already_exists".into(), opt(Type::Bool));
        for k in ["id", "email", "name", "unique_id", "member"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An IAM service account.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if req.prior.is_none() {
            if let (Ok(p), Some(a)) = (c.project(&planned), attr_str(&planned, "account_id")) {
                let email = email_of(&a, &p);
                let name = format!("projects/{p}/serviceAccounts/{email}");
                planned = fill(
                    &planned,
                    vec![
                        ("project", Value::string(&p)),
                        ("id", Value::string(&name)),
                        ("name", Value::string(&name)),
                        ("member", Value::string(format!("serviceAccount:{email}"))),
                        ("email", Value::string(email)),
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

    async fn create(&self, c: &Ctx, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let project = c.project(planned)?;
        let mut sa = json!({});
        for (k, j) in [
            ("display_name", "displayName"),
            ("description", "description"),
        ] {
            if let Some(x) = attr_str(planned, k) {
                sa[j] = json!(x);
            }
        }
        let made = c
            .client
            .post(
                Api::Iam,
                "",
                &format!("projects/{project}/serviceAccounts"),
                json!({"accountId": need_str(planned, "account_id")?, "serviceAccount": sa}),
            )
            .await;
        match made {
            Ok(_) => {}
            // Adopting an existing account is what create_ignore_already_exists asks for.
            Err(e)
                if e.kind == gantry_core::provider::ErrorKind::Conflict
                    && attr_bool(planned, "create_ignore_already_exists") == Some(true) => {}
            Err(e) => return Err(e),
        }
        if attr_bool(planned, "disabled") == Some(true) {
            let p = path(c, planned)?;
            c.client
                .post(Api::Iam, "", &format!("{p}:disable"), json!({}))
                .await?;
        }
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let p = path(c, prior)?;
        Ok(c.client
            .get_opt(Api::Iam, "", &p)
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
        let p = path(c, prior)?;
        let mut mask = vec![];
        let mut sa = json!({});
        for (k, j) in [
            ("display_name", "displayName"),
            ("description", "description"),
        ] {
            if attr_str(prior, k) != attr_str(planned, k) {
                mask.push(j);
                sa[j] = json!(attr_str(planned, k).unwrap_or_default());
            }
        }
        if !mask.is_empty() {
            c.client
                .patch(
                    Api::Iam,
                    "",
                    &p,
                    json!({"serviceAccount": sa, "updateMask": mask.join(",")}),
                )
                .await?;
        }
        if attr_bool(prior, "disabled") != attr_bool(planned, "disabled") {
            let verb = if attr_bool(planned, "disabled") == Some(true) {
                "disable"
            } else {
                "enable"
            };
            c.client
                .post(Api::Iam, "", &format!("{p}:{verb}"), json!({}))
                .await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        match c.client.delete(Api::Iam, "", &path(c, prior)?).await {
            Err(e) if e.kind == gantry_core::provider::ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// `projects/P/serviceAccounts/EMAIL`, `P/EMAIL` or `EMAIL`.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let full = if id.starts_with("projects/") {
            id.to_string()
        } else if let Some((p, e)) = id.split_once('/') {
            format!("projects/{p}/serviceAccounts/{e}")
        } else {
            let project = id
                .split('@')
                .nth(1)
                .and_then(|d| d.split('.').next())
                .map(String::from)
                .map(Ok)
                .unwrap_or_else(|| c.project(&Value::Null))?;
            format!("projects/{project}/serviceAccounts/{}", enc(id))
        };
        self.read(c, &obj(vec![("id", Value::string(full))])).await
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let email = j["email"].as_str().unwrap_or_default();
    fill(
        prior,
        vec![
            ("id", s(j, "name")),
            ("name", s(j, "name")),
            ("email", Value::string(email)),
            ("member", Value::string(format!("serviceAccount:{email}"))),
            ("unique_id", s(j, "uniqueId")),
            ("project", s(j, "projectId")),
            (
                "account_id",
                Value::string(email.split('@').next().unwrap_or_default()),
            ),
            ("display_name", s(j, "displayName")),
            ("description", s(j, "description")),
            (
                "disabled",
                Value::Bool(j["disabled"].as_bool().unwrap_or(false)),
            ),
        ],
    )
}
