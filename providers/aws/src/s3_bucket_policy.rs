//! `aws_s3_bucket_policy`: who may read the artifact bucket. Identified by its bucket; the
//! document is planned in upstream's normalised form, and a live document meaning the same
//! keeps the recorded text.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::{normalized_json, plan_document, same_json};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct BucketPolicy;

#[async_trait]
impl ResourceType for BucketPolicy {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_policy"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_s3_bucket_policy").force_new_at(&["bucket"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["bucket", "policy"]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(plan_document(req, "policy", normalized_json))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        self.update(c, planned, planned, op).await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let bucket = attr_str(prior, "bucket")
            .or_else(|| attr_str(prior, "id"))
            .unwrap_or_default();
        let r = match c
            .s3
            .get_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let live = r.policy().unwrap_or_default().to_string();
        let policy = match attr_str(prior, "policy") {
            Some(p) if same_json(&p, &live) => p,
            _ => normalized_json(&live),
        };
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(&bucket)),
                ("bucket", Value::string(&bucket)),
                ("policy", Value::string(policy)),
            ],
        )))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let bucket = need_str(planned, "bucket")?;
        c.s3.put_bucket_policy()
            .bucket(&bucket)
            .policy(need_str(planned, "policy")?)
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&bucket))]),
            "after put",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.s3.delete_bucket_policy()
                .bucket(need_str(prior, "bucket")?)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("bucket", Value::string(id))]))
            .await
    }

    async fn find_by_token(
        &self,
        _c: &Clients,
        _token: &str,
        _planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // PutBucketPolicy is idempotent: an interrupted one is simply sent again.
        Ok(None)
    }
}
