//! Bucket settings that Terraform models as their own resources:
//! `aws_s3_bucket_versioning`, `aws_s3_bucket_server_side_encryption_configuration`,
//! `aws_s3_bucket_public_access_block`. Each is identified by its bucket name.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketVersioningStatus, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

fn missing(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
}

pub struct Versioning;

#[async_trait]
impl ResourceType for Versioning {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_versioning"
    }
    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_s3_bucket_versioning").force_new_at(&["bucket"])
    }
    fn implemented(&self) -> &'static [&'static str] {
        &["bucket", "versioning_configuration.status"]
    }
    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        self.update(c, planned, planned, op).await
    }
    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let bucket = attr_str(prior, "bucket").unwrap_or_default();
        let r = match c
            .s3
            .get_bucket_versioning()
            .bucket(&bucket)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let status = r
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Suspended".into());
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(&bucket)),
                (
                    "versioning_configuration",
                    Value::list(vec![obj(vec![("status", Value::string(status))])]),
                ),
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
        let status = planned
            .get_attr("versioning_configuration")
            .and_then(|v| attr_str(v, "status"))
            .unwrap_or_else(|| "Enabled".into());
        c.s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::from(status.as_str()))
                    .build(),
            )
            .send()
            .await
            .map_err(sdk)?;
        Ok(fill(planned, vec![("id", Value::string(&bucket))]))
    }
    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        // A bucket cannot go back to "never versioned"; Terraform suspends it.
        let bucket = need_str(prior, "bucket")?;
        gone_is_ok(
            c.s3.put_bucket_versioning()
                .bucket(&bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Suspended)
                        .build(),
                )
                .send()
                .await
                .map_err(sdk),
        )
    }
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("bucket", Value::string(id))]))
            .await
    }
}

pub struct Encryption;

#[async_trait]
impl ResourceType for Encryption {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_server_side_encryption_configuration"
    }
    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_s3_bucket_server_side_encryption_configuration")
            .force_new_at(&["bucket"])
            .default_at(
                "rule.apply_server_side_encryption_by_default.kms_master_key_id",
                Value::string(""),
            )
    }
    fn implemented(&self) -> &'static [&'static str] {
        &[
            "bucket",
            "rule.bucket_key_enabled",
            "rule.apply_server_side_encryption_by_default",
        ]
    }
    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        self.update(c, planned, planned, op).await
    }
    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let bucket = attr_str(prior, "bucket").unwrap_or_default();
        let r = match c
            .s3
            .get_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e)
                if missing(&e)
                    || e.code.as_deref()
                        == Some("ServerSideEncryptionConfigurationNotFoundError") =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let rules: Vec<Value> = r
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .map(|rule| {
                let d = rule.apply_server_side_encryption_by_default();
                obj(vec![
                    // false is the default: report it as unset, like the configuration.
                    (
                        "bucket_key_enabled",
                        rule.bucket_key_enabled()
                            .filter(|b| *b)
                            .map(Value::Bool)
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "apply_server_side_encryption_by_default",
                        Value::list(
                            d.map(|d| {
                                obj(vec![
                                    ("sse_algorithm", Value::string(d.sse_algorithm().as_str())),
                                    ("kms_master_key_id", opt_str(d.kms_master_key_id())),
                                ])
                            })
                            .into_iter()
                            .collect(),
                        ),
                    ),
                ])
            })
            .collect();
        // Keep the configured shape when AWS reports the same thing.
        let live = Value::set(rules);
        let keep = prior
            .get_attr("rule")
            .is_some_and(|p| p.unmark_deep().0 == live);
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(&bucket)),
                (
                    "rule",
                    if keep {
                        prior.get_attr("rule").cloned().unwrap_or(live)
                    } else {
                        live
                    },
                ),
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
        let mut rules = Vec::new();
        for r in planned
            .get_attr("rule")
            .and_then(Value::as_seq)
            .unwrap_or_default()
        {
            let mut rule = ServerSideEncryptionRule::builder();
            if let Some(d) = r
                .get_attr("apply_server_side_encryption_by_default")
                .and_then(Value::as_seq)
                .and_then(|l| l.first())
            {
                let mut by = ServerSideEncryptionByDefault::builder().sse_algorithm(
                    ServerSideEncryption::from(need_str(d, "sse_algorithm")?.as_str()),
                );
                if let Some(k) = attr_str(d, "kms_master_key_id") {
                    by = by.kms_master_key_id(k);
                }
                rule = rule.apply_server_side_encryption_by_default(
                    by.build()
                        .map_err(|e| ProviderError::other(e.to_string()))?,
                );
            }
            if let Some(b) = attr_bool(r, "bucket_key_enabled") {
                rule = rule.bucket_key_enabled(b);
            }
            rules.push(rule.build());
        }
        let conf = ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| ProviderError::other(e.to_string()))?;
        c.s3.put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration(conf)
            .send()
            .await
            .map_err(sdk)?;
        Ok(fill(planned, vec![("id", Value::string(&bucket))]))
    }
    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let bucket = need_str(prior, "bucket")?;
        gone_is_ok(
            c.s3.delete_bucket_encryption()
                .bucket(&bucket)
                .send()
                .await
                .map_err(sdk),
        )
    }
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("bucket", Value::string(id))]))
            .await
    }
}

pub struct PublicAccessBlock;

const PAB: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

#[async_trait]
impl ResourceType for PublicAccessBlock {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_public_access_block"
    }
    fn schema(&self) -> ResourceSchema {
        let mut s = crate::upstream::resource("aws_s3_bucket_public_access_block")
            .force_new_at(&["bucket"]);
        for k in PAB {
            s = s.default_at(k, Value::Bool(false));
        }
        s
    }
    fn implemented(&self) -> &'static [&'static str] {
        &[
            "bucket",
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ]
    }
    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        self.update(c, planned, planned, op).await
    }
    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let bucket = attr_str(prior, "bucket").unwrap_or_default();
        let r = match c
            .s3
            .get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e)
                if missing(&e)
                    || e.code.as_deref() == Some("NoSuchPublicAccessBlockConfiguration") =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let conf = r.public_access_block_configuration();
        let get = |f: fn(&PublicAccessBlockConfiguration) -> Option<bool>| {
            Value::Bool(conf.and_then(f).unwrap_or(false))
        };
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(&bucket)),
                ("block_public_acls", get(|c| c.block_public_acls())),
                ("block_public_policy", get(|c| c.block_public_policy())),
                ("ignore_public_acls", get(|c| c.ignore_public_acls())),
                (
                    "restrict_public_buckets",
                    get(|c| c.restrict_public_buckets()),
                ),
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
        let b = |k: &str| attr_bool(planned, k).unwrap_or(false);
        let conf = PublicAccessBlockConfiguration::builder()
            .block_public_acls(b("block_public_acls"))
            .block_public_policy(b("block_public_policy"))
            .ignore_public_acls(b("ignore_public_acls"))
            .restrict_public_buckets(b("restrict_public_buckets"))
            .build();
        c.s3.put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration(conf)
            .send()
            .await
            .map_err(sdk)?;
        Ok(fill(planned, vec![("id", Value::string(&bucket))]))
    }
    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let bucket = need_str(prior, "bucket")?;
        gone_is_ok(
            c.s3.delete_public_access_block()
                .bucket(&bucket)
                .send()
                .await
                .map_err(sdk),
        )
    }
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("bucket", Value::string(id))]))
            .await
    }
}
