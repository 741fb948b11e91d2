//! `aws_s3_bucket`: a bucket for model artifacts and datasets.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Bucket;

impl Bucket {
    async fn live_tags(
        &self,
        c: &Clients,
        bucket: &str,
    ) -> ProviderResult<BTreeMap<String, String>> {
        match c
            .s3
            .get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(t) => Ok(t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()),
            Err(e)
                if e.kind == ErrorKind::NotFound || e.code.as_deref() == Some("NoSuchTagSet") =>
            {
                Ok(BTreeMap::new())
            }
            Err(e) => Err(e),
        }
    }

    async fn put_tags(
        &self,
        c: &Clients,
        bucket: &str,
        tags: BTreeMap<String, String>,
    ) -> ProviderResult<()> {
        if tags.is_empty() {
            c.s3.delete_bucket_tagging()
                .bucket(bucket)
                .send()
                .await
                .map_err(sdk)?;
            return Ok(());
        }
        let set: Vec<Tag> = tags
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let tagging = Tagging::builder()
            .set_tag_set(Some(set))
            .build()
            .map_err(|e| ProviderError::other(e.to_string()))?;
        c.s3.put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    /// Deletes every object version in the bucket (for `force_destroy`).
    async fn empty(&self, c: &Clients, bucket: &str) -> ProviderResult<()> {
        loop {
            let r =
                c.s3.list_object_versions()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(sdk)?;
            let mut ids: Vec<ObjectIdentifier> = Vec::new();
            for v in r.versions() {
                if let Some(k) = v.key() {
                    ids.extend(
                        ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(v.version_id().map(String::from))
                            .build()
                            .ok(),
                    );
                }
            }
            for m in r.delete_markers() {
                if let Some(k) = m.key() {
                    ids.extend(
                        ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(m.version_id().map(String::from))
                            .build()
                            .ok(),
                    );
                }
            }
            if ids.is_empty() {
                return Ok(());
            }
            let del = Delete::builder()
                .set_objects(Some(ids))
                .build()
                .map_err(|e| ProviderError::other(e.to_string()))?;
            c.s3.delete_objects()
                .bucket(bucket)
                .delete(del)
                .send()
                .await
                .map_err(sdk)?;
        }
    }
}

#[async_trait]
impl ResourceType for Bucket {
    fn name(&self) -> &'static str {
        "aws_s3_bucket"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_s3_bucket")
            .force_new_at(&["bucket", "bucket_prefix"])
            .default_at("force_destroy", Value::Bool(false))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["bucket", "bucket_prefix", "force_destroy", "tags"]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "bucket", "bucket_prefix", op.token);
        let mut req = c.s3.create_bucket().bucket(&name);
        if c.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(c.region.as_str()))
                    .build(),
            );
        }
        match req.send().await.map_err(sdk) {
            Ok(_) => {}
            // Our own earlier attempt succeeded but its response was lost: the bucket is ours.
            Err(e) if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(e),
        }
        let tags = send_tags(planned);
        if !tags.is_empty() {
            self.put_tags(c, &name, tags).await?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "bucket"))
            .unwrap_or_default();
        match c.s3.head_bucket().bucket(&name).send().await.map_err(sdk) {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let tags = self.live_tags(c, &name).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("bucket", Value::string(&name)),
            ("arn", Value::string(format!("arn:aws:s3:::{name}"))),
            (
                "bucket_domain_name",
                Value::string(format!("{name}.s3.amazonaws.com")),
            ),
            (
                "bucket_regional_domain_name",
                Value::string(format!("{name}.s3.{}.amazonaws.com", c.region)),
            ),
            ("region", Value::string(&c.region)),
        ];
        if prior.get_attr("force_destroy").is_none_or(Value::is_null) {
            pairs.push(("force_destroy", Value::Bool(false)));
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
        let name = need_str(prior, "id")?;
        if string_map(prior, "tags_all") != send_tags(planned) {
            self.put_tags(c, &name, send_tags(planned)).await?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "id")?;
        if attr_bool(prior, "force_destroy").unwrap_or(false) {
            self.empty(c, &name).await?;
        }
        match c.s3.delete_bucket().bucket(&name).send().await.map_err(sdk) {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) if e.code.as_deref() == Some("BucketNotEmpty") => Err(ProviderError::new(ErrorKind::Conflict, format!("bucket {name} is not empty; set force_destroy = true to delete its objects with it")).with_code("BucketNotEmpty")),
            Err(e) => Err(e),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(
            c,
            &obj(vec![
                ("id", Value::string(id)),
                ("force_destroy", Value::Bool(false)),
            ]),
        )
        .await
    }
}
