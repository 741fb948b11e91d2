//! `aws_iam_role_policy`: an inline policy of a role. Its id is upstream's `ROLE:NAME`; a
//! put is idempotent (same role, same name), so a retried create simply writes it again.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::{decode_policy, same_json};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct RolePolicy;

fn split_id(id: &str) -> ProviderResult<(String, String)> {
    id.split_once(':')
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("role policy id {id:?} is not ROLE_NAME:POLICY_NAME"),
            )
        })
}

#[async_trait]
impl ResourceType for RolePolicy {
    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(crate::iam_role::plan_document(
            req,
            "policy",
            crate::iam_role::legacy_normalized,
        ))
    }

    fn name(&self) -> &'static str {
        "aws_iam_role_policy"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_iam_role_policy").force_new_at(&[
            "name",
            "name_prefix",
            "role",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["name", "name_prefix", "role", "policy"]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        let role = need_str(planned, "role")?;
        c.iam
            .put_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .policy_document(need_str(planned, "policy")?)
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(
                planned,
                vec![("id", Value::string(format!("{role}:{name}")))],
            ),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let (role, name) = split_id(&need_str(prior, "id")?)?;
        let r = match c
            .iam
            .get_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let doc = decode_policy(r.policy_document());
        let policy = match attr_str(prior, "policy") {
            Some(mine) if same_json(&mine, &doc) => mine,
            _ => doc,
        };
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(format!("{role}:{name}"))),
                ("role", Value::string(&role)),
                ("name", Value::string(&name)),
                ("policy", Value::string(policy)),
            ],
        )))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let (role, name) = split_id(&need_str(prior, "id")?)?;
        c.iam
            .put_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .policy_document(need_str(planned, "policy")?)
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(
                planned,
                vec![("id", Value::string(format!("{role}:{name}")))],
            ),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let (role, name) = split_id(&need_str(prior, "id")?)?;
        gone_is_ok(
            c.iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let name = name_or_generated(planned, "name", "name_prefix", token);
        let role = need_str(planned, "role")?;
        self.read(
            c,
            &fill(
                planned,
                vec![("id", Value::string(format!("{role}:{name}")))],
            ),
        )
        .await
    }
}
