//! `aws_s3_object`: a model artifact (or config file) in a bucket, from `source` (a local
//! file), `content` or `content_base64`. Terraform's id is the key. A new body, content type,
//! metadata, storage class or encryption is a new PutObject (S3 objects are replaced whole);
//! tags change with PutObjectTagging. PutObject is idempotent for a key, so a retried create
//! is harmless. Unless the configuration gives `etag` (usually `filemd5(source)`), a new body
//! makes `etag` and `version_id` unknown in the plan, as upstream.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ServerSideEncryption, StorageClass, Tag, Tagging};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Object;

/// What, if changed, needs the object written again.
const BODY: &[&str] = &[
    "source",
    "content",
    "content_base64",
    "etag",
    "source_hash",
    "content_type",
    "content_encoding",
    "content_language",
    "content_disposition",
    "cache_control",
    "metadata",
    "storage_class",
    "server_side_encryption",
    "kms_key_id",
];

/// Whether `k` differs between the two, SDKv2-style: null, "" and {} are the same (Terraform
/// records unset optional strings as "").
fn differs(a: &Value, b: &Value, k: &str) -> bool {
    let norm = |v: &Value| match v.get_attr(k) {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(Value::Map(m)) if m.is_empty() => Value::Null,
        Some(other) => other.clone(),
    };
    norm(a) != norm(b)
}

fn body(planned: &Value) -> ProviderResult<Vec<u8>> {
    if let Some(path) = attr_str(planned, "source") {
        return std::fs::read(&path).map_err(|e| {
            ProviderError::new(ErrorKind::Validation, format!("source {path:?}: {e}"))
        });
    }
    if let Some(b64) = attr_str(planned, "content_base64") {
        use base64::Engine as _;
        return base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| {
                ProviderError::new(ErrorKind::Validation, format!("content_base64: {e}"))
            });
    }
    Ok(attr_str(planned, "content")
        .unwrap_or_default()
        .into_bytes())
}

fn s3_tags(planned: &Value) -> Tagging {
    let tags: Vec<Tag> = send_tags(planned)
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .expect("tag_set is set")
}

impl Object {
    async fn put(&self, c: &Clients, planned: &Value) -> ProviderResult<()> {
        let bytes = body(planned)?;
        let metadata: std::collections::HashMap<String, String> =
            string_map(planned, "metadata").into_iter().collect();
        let tagging = send_tags(planned)
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        c.s3.put_object()
            .bucket(need_str(planned, "bucket")?)
            .key(need_str(planned, "key")?)
            .body(ByteStream::from(bytes))
            .set_content_type(attr_str(planned, "content_type"))
            .set_content_encoding(attr_str(planned, "content_encoding"))
            .set_content_language(attr_str(planned, "content_language"))
            .set_content_disposition(attr_str(planned, "content_disposition"))
            .set_cache_control(attr_str(planned, "cache_control"))
            .set_metadata(Some(metadata).filter(|m| !m.is_empty()))
            .set_storage_class(
                attr_str(planned, "storage_class").map(|s| StorageClass::from(s.as_str())),
            )
            .set_server_side_encryption(
                attr_str(planned, "server_side_encryption")
                    .map(|s| ServerSideEncryption::from(s.as_str())),
            )
            .set_ssekms_key_id(attr_str(planned, "kms_key_id"))
            .set_tagging(Some(tagging).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}

#[async_trait]
impl ResourceType for Object {
    fn name(&self) -> &'static str {
        "aws_s3_object"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_s3_object")
            .force_new_at(&["bucket", "key"])
            .default_at("force_destroy", Value::Bool(false))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "bucket",
            "key",
            "source",
            "source_hash",
            "content",
            "content_base64",
            "content_type",
            "content_encoding",
            "content_language",
            "content_disposition",
            "cache_control",
            "etag",
            "metadata",
            "storage_class",
            "server_side_encryption",
            "kms_key_id",
            "force_destroy",
            "tags",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let changed = match req.prior {
            None => true,
            Some(p) => BODY.iter().any(|k| differs(p, req.proposed, k)),
        };
        let mut planned = req.proposed.clone();
        if changed && attr_str(req.config, "etag").is_none() {
            planned = fill(
                &planned,
                vec![("etag", Value::Unknown), ("version_id", Value::Unknown)],
            );
        }
        Ok(PlanResponse::of(planned))
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        self.put(c, planned).await?;
        let base = fill(
            planned,
            vec![("id", Value::string(need_str(planned, "key")?))],
        );
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let bucket = attr_str(prior, "bucket").unwrap_or_default();
        let key = attr_str(prior, "key")
            .or_else(|| attr_str(prior, "id"))
            .unwrap_or_default();
        let head = match c
            .s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(h) => h,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let tags =
            c.s3.get_object_tagging()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await
                .map_err(sdk)?;
        let tags: BTreeMap<String, String> = tags
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let etag = head
            .e_tag()
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let metadata: BTreeMap<String, String> = head
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", Value::string(&key)),
            ("key", Value::string(&key)),
            ("bucket", Value::string(&bucket)),
            ("etag", Value::string(etag)),
            ("version_id", Value::string(head.version_id().unwrap_or(""))),
            ("content_type", opt_str(head.content_type())),
            (
                "storage_class",
                Value::string(
                    head.storage_class()
                        .map(|s| s.as_str())
                        .unwrap_or("STANDARD"),
                ),
            ),
            (
                "server_side_encryption",
                opt_str(head.server_side_encryption().map(|s| s.as_str())),
            ),
            ("arn", Value::string(format!("arn:aws:s3:::{bucket}/{key}"))),
        ];
        if !metadata.is_empty() || prior.get_attr("metadata").is_some_and(|m| !m.is_null()) {
            pairs.push(("metadata", tags_value(&metadata)));
        }
        if let Some(k) = head.ssekms_key_id() {
            pairs.push(("kms_key_id", Value::string(k)));
        }
        pairs.extend(tag_attrs(prior, &tags));
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        if BODY
            .iter()
            .any(|k| prior.get_attr(k) != planned.get_attr(k))
        {
            self.put(c, planned).await?;
        } else if tag_changes(prior, planned) != (vec![], BTreeMap::new()) {
            c.s3.put_object_tagging()
                .bucket(need_str(planned, "bucket")?)
                .key(need_str(planned, "key")?)
                .tagging(s3_tags(planned))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.s3.delete_object()
                .bucket(need_str(prior, "bucket")?)
                .key(need_str(prior, "key")?)
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        // Terraform's import id: BUCKET/KEY (or s3://BUCKET/KEY).
        let id = id.trim_start_matches("s3://");
        let Some((bucket, key)) = id.split_once('/') else {
            return Ok(None);
        };
        self.read(
            c,
            &obj(vec![
                ("bucket", Value::string(bucket)),
                ("key", Value::string(key)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        _c: &Clients,
        _token: &str,
        _planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // An interrupted PutObject is simply written again: same key, same body.
        Ok(None)
    }
}
