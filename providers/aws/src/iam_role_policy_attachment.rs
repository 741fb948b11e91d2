//! `aws_iam_role_policy_attachment`: a managed policy attached to a role.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Attachment;

#[async_trait]
impl ResourceType for Attachment {
    fn name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_iam_role_policy_attachment")
            .force_new_at(&["role", "policy_arn"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["role", "policy_arn"]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let (role, arn) = (need_str(planned, "role")?, need_str(planned, "policy_arn")?);
        c.iam
            .attach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(sdk)?;
        Ok(fill(planned, vec![("id", Value::string(unique_id(&role)))]))
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let (role, arn) = (
            attr_str(prior, "role").unwrap_or_default(),
            attr_str(prior, "policy_arn").unwrap_or_default(),
        );
        let r = match c
            .iam
            .list_attached_role_policies()
            .role_name(&role)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let attached = r
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(arn.as_str()));
        // The id is opaque (upstream's is `ROLE-<timestamp><counter>`): keep what state holds.
        let id = attr_str(prior, "id").unwrap_or_else(|| unique_id(&role));
        Ok(attached.then(|| fill(prior, vec![("id", Value::string(id))])))
    }

    async fn update(
        &self,
        _c: &Clients,
        _prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        // Every argument forces replacement; nothing to update in place.
        Ok(planned.clone())
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let (role, arn) = (need_str(prior, "role")?, need_str(prior, "policy_arn")?);
        gone_is_ok(
            c.iam
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        // Terraform's import id: ROLE/POLICY_ARN.
        let Some((role, arn)) = id.split_once('/') else {
            return Ok(None);
        };
        self.read(
            c,
            &obj(vec![
                ("role", Value::string(role)),
                ("policy_arn", Value::string(arn)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.read(c, planned).await
    }
}

/// hashicorp/aws's id for an attachment: Terraform's `PrefixedUniqueId("ROLE-")` — UTC
/// timestamp to 1/10000 s, then an 8-hex-digit counter.
fn unique_id(role: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let stamp = aws_sdk_iam::primitives::DateTime::from_secs(now.as_secs() as i64)
        .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
        .replace(['-', ':', 'T', 'Z'], "");
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    format!("{role}-{stamp}{:04}{n:08x}", now.subsec_micros() / 100)
}
