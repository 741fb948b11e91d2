//! `aws_s3_bucket_lifecycle_configuration`: what happens to old checkpoints and datasets
//! (tiering to Infrequent Access / Glacier, expiry, noncurrent versions, abandoned multipart
//! uploads). Identified by its bucket; every change rewrites the whole configuration.
//!
//! Upstream is a Plugin Framework resource, not SDKv2: its plan is exact. Unset attributes
//! inside `rule` plan as null (not unknown), `prefix` and `expired_object_delete_marker`
//! take their defaults ("", false), and the planned object must be what is then read back —
//! so the read records absent numbers as null, not 0.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, Tag, Transition,
    TransitionDefaultMinimumObjectSize, TransitionStorageClass,
    TransitionStorageClass as NoncurrentStorageClass,
};
use aws_smithy_types::date_time::Format;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;

pub struct Lifecycle;

fn int(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).map(|n| n as i32)
}

fn long(v: &Value, k: &str) -> Option<i64> {
    attr_num(v, k).map(|n| n as i64)
}

fn date(v: &Value, k: &str) -> ProviderResult<Option<DateTime>> {
    nonempty(v, k)
        .map(|s| {
            DateTime::from_str(&s, Format::DateTime).map_err(|e| {
                crate::ec2_object::invalid(format!("{k} {s:?} is not an RFC 3339 date: {e}"))
            })
        })
        .transpose()
}

fn num_or_null(n: Option<impl Into<f64>>) -> Value {
    n.map(|n| Value::Number(n.into())).unwrap_or(Value::Null)
}

fn date_value(d: Option<&DateTime>) -> Value {
    d.and_then(|d| d.fmt(Format::DateTime).ok())
        .map(Value::string)
        .unwrap_or(Value::Null)
}

/// Nothing inside a rule is computed by S3 at plan time: what the configuration leaves
/// unset (and the schema gives no default) is null.
fn unknowns_to_null(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(l) => Value::list(l.iter().map(unknowns_to_null).collect()),
        Value::Set(l) => Value::set(l.iter().map(unknowns_to_null).collect()),
        Value::Map(m) => Value::map(
            m.iter()
                .map(|(k, x)| (k.clone(), unknowns_to_null(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn filter_to_api(f: &Value) -> LifecycleRuleFilter {
    let mut b = LifecycleRuleFilter::builder()
        .set_object_size_greater_than(long(f, "object_size_greater_than"))
        .set_object_size_less_than(long(f, "object_size_less_than"));
    if let Some(Ok(tag)) = blocks(f, "tag").first().map(|t| {
        Tag::builder()
            .key(attr_str(t, "key").unwrap_or_default())
            .value(attr_str(t, "value").unwrap_or_default())
            .build()
    }) {
        b = b.tag(tag);
    }
    if let Some(a) = blocks(f, "and").first() {
        let tags = string_map(a, "tags")
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        b = b.and(
            LifecycleRuleAndOperator::builder()
                .set_prefix(attr_str(a, "prefix"))
                .set_object_size_greater_than(long(a, "object_size_greater_than"))
                .set_object_size_less_than(long(a, "object_size_less_than"))
                .set_tags(Some(tags))
                .build(),
        );
    } else {
        b = b.set_prefix(attr_str(f, "prefix"));
    }
    b.build()
}

fn rule_to_api(r: &Value) -> ProviderResult<LifecycleRule> {
    let mut b = LifecycleRule::builder()
        .id(need_str(r, "id")?)
        .status(ExpirationStatus::from(need_str(r, "status")?.as_str()));
    match blocks(r, "filter").first() {
        Some(f) => b = b.filter(filter_to_api(f)),
        // The rule-level prefix is the legacy way to scope a rule.
        None => {
            #[allow(deprecated)]
            {
                b = b.prefix(attr_str(r, "prefix").unwrap_or_default());
            }
        }
    }
    if let Some(a) = blocks(r, "abort_incomplete_multipart_upload").first() {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .set_days_after_initiation(int(a, "days_after_initiation"))
                .build(),
        );
    }
    if let Some(e) = blocks(r, "expiration").first() {
        b = b.expiration(
            LifecycleExpiration::builder()
                .set_date(date(e, "date")?)
                .set_days(int(e, "days").filter(|d| *d > 0))
                .set_expired_object_delete_marker(
                    attr_bool(e, "expired_object_delete_marker").filter(|m| *m),
                )
                .build(),
        );
    }
    if let Some(e) = blocks(r, "noncurrent_version_expiration").first() {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .set_noncurrent_days(int(e, "noncurrent_days"))
                .set_newer_noncurrent_versions(int(e, "newer_noncurrent_versions"))
                .build(),
        );
    }
    for t in blocks(r, "noncurrent_version_transition") {
        b = b.noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(int(t, "noncurrent_days"))
                .set_newer_noncurrent_versions(int(t, "newer_noncurrent_versions"))
                .set_storage_class(
                    attr_str(t, "storage_class").map(|s| NoncurrentStorageClass::from(s.as_str())),
                )
                .build(),
        );
    }
    for t in blocks(r, "transition") {
        b = b.transitions(
            Transition::builder()
                .set_date(date(t, "date")?)
                .set_days(int(t, "days"))
                .set_storage_class(
                    attr_str(t, "storage_class").map(|s| TransitionStorageClass::from(s.as_str())),
                )
                .build(),
        );
    }
    b.build()
        .map_err(|e| crate::ec2_object::invalid(e.to_string()))
}

fn filter_value(f: &LifecycleRuleFilter) -> Value {
    let and = f
        .and()
        .map(|a| {
            let tags: std::collections::BTreeMap<String, String> = a
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            vec![obj(vec![
                (
                    "object_size_greater_than",
                    num_or_null(a.object_size_greater_than().map(|n| n as f64)),
                ),
                (
                    "object_size_less_than",
                    num_or_null(a.object_size_less_than().map(|n| n as f64)),
                ),
                ("prefix", Value::string(a.prefix().unwrap_or(""))),
                (
                    "tags",
                    if tags.is_empty() {
                        Value::Null
                    } else {
                        tags_value(&tags)
                    },
                ),
            ])]
        })
        .unwrap_or_default();
    let tag = f
        .tag()
        .map(|t| {
            vec![obj(vec![
                ("key", Value::string(t.key())),
                ("value", Value::string(t.value())),
            ])]
        })
        .unwrap_or_default();
    obj(vec![
        ("and", Value::list(and)),
        (
            "object_size_greater_than",
            num_or_null(f.object_size_greater_than().map(|n| n as f64)),
        ),
        (
            "object_size_less_than",
            num_or_null(f.object_size_less_than().map(|n| n as f64)),
        ),
        ("prefix", Value::string(f.prefix().unwrap_or(""))),
        ("tag", Value::list(tag)),
    ])
}

fn rule_value(r: &LifecycleRule) -> Value {
    #[allow(deprecated)]
    let prefix = r.prefix().unwrap_or("");
    let abort = r
        .abort_incomplete_multipart_upload()
        .map(|a| {
            vec![obj(vec![(
                "days_after_initiation",
                num_or_null(a.days_after_initiation()),
            )])]
        })
        .unwrap_or_default();
    let expiration = r
        .expiration()
        .map(|e| {
            vec![obj(vec![
                ("date", date_value(e.date())),
                ("days", num_or_null(e.days().filter(|d| *d > 0))),
                (
                    "expired_object_delete_marker",
                    Value::Bool(e.expired_object_delete_marker().unwrap_or(false)),
                ),
            ])]
        })
        .unwrap_or_default();
    let noncurrent_expiration = r
        .noncurrent_version_expiration()
        .map(|e| {
            vec![obj(vec![
                (
                    "newer_noncurrent_versions",
                    num_or_null(e.newer_noncurrent_versions()),
                ),
                ("noncurrent_days", num_or_null(e.noncurrent_days())),
            ])]
        })
        .unwrap_or_default();
    let noncurrent_transitions = r
        .noncurrent_version_transitions()
        .iter()
        .map(|t| {
            obj(vec![
                (
                    "newer_noncurrent_versions",
                    num_or_null(t.newer_noncurrent_versions()),
                ),
                ("noncurrent_days", num_or_null(t.noncurrent_days())),
                (
                    "storage_class",
                    opt_str(t.storage_class().map(|s| s.as_str())),
                ),
            ])
        })
        .collect();
    let transitions = r
        .transitions()
        .iter()
        .map(|t| {
            obj(vec![
                ("date", date_value(t.date())),
                ("days", num_or_null(t.days())),
                (
                    "storage_class",
                    opt_str(t.storage_class().map(|s| s.as_str())),
                ),
            ])
        })
        .collect();
    obj(vec![
        ("id", opt_str(r.id())),
        ("status", Value::string(r.status().as_str())),
        ("prefix", Value::string(prefix)),
        ("abort_incomplete_multipart_upload", Value::list(abort)),
        ("expiration", Value::list(expiration)),
        (
            "filter",
            Value::list(r.filter().map(filter_value).into_iter().collect()),
        ),
        (
            "noncurrent_version_expiration",
            Value::list(noncurrent_expiration),
        ),
        (
            "noncurrent_version_transition",
            Value::set(noncurrent_transitions),
        ),
        ("transition", Value::set(transitions)),
    ])
}

#[async_trait]
impl ResourceType for Lifecycle {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_lifecycle_configuration"
    }

    fn schema(&self) -> ResourceSchema {
        let mut s = crate::upstream::resource("aws_s3_bucket_lifecycle_configuration")
            .force_new_at(&["bucket", "expected_bucket_owner"])
            .default_at(
                "transition_default_minimum_object_size",
                Value::string("all_storage_classes_128K"),
            )
            .default_at("rule.prefix", Value::string(""))
            .default_at("rule.filter.prefix", Value::string(""))
            .default_at(
                "rule.expiration.expired_object_delete_marker",
                Value::Bool(false),
            );
        // A Plugin Framework resource: null and "" are different values.
        s.legacy_type_system = false;
        s
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "bucket",
            "expected_bucket_owner",
            "transition_default_minimum_object_size",
            "rule",
            "timeouts",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let rules = req
            .proposed
            .get_attr("rule")
            .map(unknowns_to_null)
            .unwrap_or(Value::Null);
        Ok(PlanResponse::of(fill(req.proposed, vec![("rule", rules)])))
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
            .get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .set_expected_bucket_owner(nonempty(prior, "expected_bucket_owner"))
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e)
                if e.kind == ErrorKind::NotFound
                    || e.code.as_deref() == Some("NoSuchLifecycleConfiguration") =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let min_size = r
            .transition_default_minimum_object_size()
            .map(|m| m.as_str().to_string())
            .or_else(|| attr_str(prior, "transition_default_minimum_object_size"))
            .unwrap_or_else(|| "all_storage_classes_128K".into());
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(&bucket)),
                ("bucket", Value::string(&bucket)),
                (
                    "expected_bucket_owner",
                    Value::string(attr_str(prior, "expected_bucket_owner").unwrap_or_default()),
                ),
                (
                    "transition_default_minimum_object_size",
                    Value::string(min_size),
                ),
                (
                    "rule",
                    Value::list(r.rules().iter().map(rule_value).collect()),
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
        let rules = blocks(planned, "rule")
            .iter()
            .map(rule_to_api)
            .collect::<ProviderResult<Vec<_>>>()?;
        c.s3.put_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .set_expected_bucket_owner(nonempty(planned, "expected_bucket_owner"))
            .set_transition_default_minimum_object_size(
                nonempty(planned, "transition_default_minimum_object_size")
                    .map(|m| TransitionDefaultMinimumObjectSize::from(m.as_str())),
            )
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .map_err(|e| crate::ec2_object::invalid(e.to_string()))?,
            )
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&bucket))]),
            "after the write",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.s3.delete_bucket_lifecycle()
                .bucket(need_str(prior, "bucket")?)
                .set_expected_bucket_owner(nonempty(prior, "expected_bucket_owner"))
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("bucket", Value::string(id))]))
            .await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // The bucket is the identity; a configuration written by a lost attempt is rewritten
        // by the retry, which is idempotent.
        self.read(c, planned).await
    }
}
