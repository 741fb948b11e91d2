//! `google_storage_bucket_object`: an object in a bucket (a model artifact), from `source` (a
//! local file) or `content`. The plan hashes the bytes: a different MD5 from the one in
//! state replaces the object, so a retrained model file is uploaded again (upstream's
//! `detect_md5hash`). `metadata` changes in place.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use base64::Engine;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::{PathStep, Value};
use md5::Digest;
use serde_json::{json, Value as Json};

pub struct Object;

/// The object's bytes, from `content` or the file named by `source`.
fn bytes(v: &Value) -> ProviderResult<Option<Vec<u8>>> {
    if let Some(c) = v.get_attr("content").map(|c| c.unmark().0) {
        if let Some(s) = c.as_str() {
            return Ok(Some(s.as_bytes().to_vec()));
        }
    }
    match attr_str(v, "source") {
        Some(path) => std::fs::read(&path).map(Some).map_err(|e| {
            ProviderError::new(ErrorKind::Validation, format!("reading source {path}: {e}"))
        }),
        None => Ok(None),
    }
}

fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

#[async_trait]
impl ResourceType for Object {
    fn name(&self) -> &'static str {
        "google_storage_bucket_object"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "bucket"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        // Not force-new themselves: the plan replaces the object when the bytes' MD5 differs
        // from the recorded one, so the same bytes named another way (a path moved, content
        // recorded after an import) change only the state.
        b.attributes.insert("source".into(), opt(Type::String));
        b.attributes
            .insert("content".into(), opt(Type::String).sensitive());
        for k in ["content_type", "storage_class"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        for k in [
            "cache_control",
            "content_disposition",
            "content_encoding",
            "content_language",
        ] {
            b.attributes.insert(k.into(), opt(Type::String).force_new());
        }
        b.attributes
            .insert("metadata".into(), opt(Type::map(Type::String)));
        b.attributes.insert(
            "detect_md5hash".into(),
            opt(Type::String).with_default(Value::string("different hash")),
        );
        for k in [
            "id",
            "md5hash",
            "crc32c",
            "self_link",
            "media_link",
            "output_name",
            "generation",
        ] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An object in a Google Cloud Storage bucket.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        let mut requires_replace = vec![];
        let mut notes = vec![];
        if req
            .proposed
            .get_attr("content")
            .is_some_and(|v| !v.is_null())
            == req
                .proposed
                .get_attr("source")
                .is_some_and(|v| !v.is_null())
            && req
                .proposed
                .get_attr("source")
                .is_some_and(Value::is_wholly_known)
        {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "exactly one of source or content must be set",
            ));
        }
        if let Some(data) = bytes(req.proposed)? {
            let hash = md5_b64(&data);
            notes.push(format!("{} bytes, md5 {hash}", data.len()));
            if let Some(prior) = req.prior {
                if attr_str(prior, "md5hash").as_deref() != Some(hash.as_str()) {
                    requires_replace.push(vec![PathStep::Key("md5hash".into())]);
                    for k in ["crc32c", "generation", "media_link", "self_link"] {
                        planned = fill(&planned, vec![(k, Value::Unknown)]);
                    }
                }
            }
            planned = fill(&planned, vec![("md5hash", Value::string(hash))]);
        }
        Ok(PlanResponse {
            planned,
            requires_replace,
            notes,
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let bucket = need_str(planned, "bucket")?;
        let name = need_str(planned, "name")?;
        let data = bytes(planned)?.ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "one of source or content must be set",
            )
        })?;
        let content_type =
            attr_str(planned, "content_type").unwrap_or_else(|| "application/octet-stream".into());
        c.client.upload(&bucket, &name, &content_type, data).await?;
        let mut meta = serde_json::Map::new();
        for (k, j) in [
            ("cache_control", "cacheControl"),
            ("content_disposition", "contentDisposition"),
            ("content_encoding", "contentEncoding"),
            ("content_language", "contentLanguage"),
        ] {
            if let Some(x) = attr_str(planned, k) {
                meta.insert(j.into(), json!(x));
            }
        }
        if planned.get_attr("metadata").is_some_and(|m| !m.is_null()) {
            meta.insert("metadata".into(), json_map(planned.get_attr("metadata")));
        }
        if !meta.is_empty() {
            c.client
                .patch(
                    Api::Storage,
                    "",
                    &object_path(&bucket, &name),
                    Json::Object(meta),
                )
                .await?;
        }
        self.read_back(c, planned, "after upload").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let bucket = need_str(prior, "bucket")?;
        let name = need_str(prior, "name")?;
        let Some(j) = c
            .client
            .get_opt(Api::Storage, "", &object_path(&bucket, &name))
            .await?
        else {
            return Ok(None);
        };
        let metadata = match j.get("metadata") {
            Some(m) => str_map(m),
            None if prior.get_attr("metadata").is_none_or(Value::is_null) => Value::Null,
            None => Value::empty_map(),
        };
        let mut pairs = vec![
            ("id", Value::string(format!("{bucket}-{name}"))),
            ("output_name", Value::string(&name)),
            ("md5hash", s(&j, "md5Hash")),
            ("crc32c", s(&j, "crc32c")),
            ("self_link", s(&j, "selfLink")),
            ("media_link", s(&j, "mediaLink")),
            ("generation", s(&j, "generation")),
            ("content_type", s(&j, "contentType")),
            ("storage_class", s(&j, "storageClass")),
            ("metadata", metadata),
        ];
        for (k, jk) in [
            ("cache_control", "cacheControl"),
            ("content_disposition", "contentDisposition"),
            ("content_encoding", "contentEncoding"),
            ("content_language", "contentLanguage"),
        ] {
            if j.get(jk).is_some() || !prior.get_attr(k).is_none_or(Value::is_null) {
                pairs.push((k, s(&j, jk)));
            }
        }
        if prior.get_attr("detect_md5hash").is_none_or(Value::is_null) {
            pairs.push(("detect_md5hash", Value::string("different hash")));
        }
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let bucket = need_str(prior, "bucket")?;
        let name = need_str(prior, "name")?;
        let mut meta = json_map(planned.get_attr("metadata"));
        if let Json::Object(m) = &mut meta {
            for k in string_map(prior, "metadata").keys() {
                m.entry(k.clone()).or_insert(Json::Null);
            }
        }
        c.client
            .patch(
                Api::Storage,
                "",
                &object_path(&bucket, &name),
                json!({ "metadata": meta }),
            )
            .await?;
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let bucket = need_str(prior, "bucket")?;
        let name = need_str(prior, "name")?;
        match c
            .client
            .delete(Api::Storage, "", &object_path(&bucket, &name))
            .await
        {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let (bucket, name) = id.split_once('/').ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("import id {id:?} must be BUCKET/OBJECT_NAME"),
            )
        })?;
        self.read(
            c,
            &obj(vec![
                ("bucket", Value::string(bucket)),
                ("name", Value::string(name)),
            ]),
        )
        .await
    }
}

fn object_path(bucket: &str, name: &str) -> String {
    format!("b/{}/o/{}", enc(bucket), enc(name))
}
