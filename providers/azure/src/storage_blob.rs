//! `azurerm_storage_blob`: a block blob (model weights, configs) from `source` (a local
//! file), `source_content` or `source_uri`. A different MD5 of the bytes replaces the blob;
//! content type and metadata change in place (Set Blob Properties / Metadata).

use crate::blob::Account;
use crate::config::Ctx;
use crate::storage_container::{meta_headers, meta_value};
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
use md5::{Digest, Md5};
use reqwest::Method;

pub struct Blob;

fn bytes(v: &Value) -> ProviderResult<Option<Vec<u8>>> {
    if let Some(c) = v
        .get_attr("source_content")
        .map(|c| c.unmark().0)
        .and_then(|c| c.as_str().map(String::from))
    {
        return Ok(Some(c.into_bytes()));
    }
    match attr_str(v, "source") {
        Some(p) => std::fs::read(&p).map(Some).map_err(|e| {
            ProviderError::new(ErrorKind::Validation, format!("reading source {p}: {e}"))
        }),
        None => Ok(None),
    }
}

fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

fn path(v: &Value) -> ProviderResult<String> {
    Ok(format!(
        "{}/{}",
        need_str(v, "storage_container_name")?,
        need_str(v, "name")?
    ))
}

#[async_trait]
impl ResourceType for Blob {
    fn name(&self) -> &'static str {
        "azurerm_storage_blob"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "storage_account_name",
            "storage_container_name",
            "type",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["source", "source_uri"] {
            b.attributes.insert(k.into(), opt(Type::String));
        }
        b.attributes
            .insert("source_content".into(), opt(Type::String));
        b.attributes.insert(
            "content_type".into(),
            opt(Type::String).with_default(Value::string("application/octet-stream")),
        );
        b.attributes
            .insert("content_md5".into(), optcomp(Type::String));
        b.attributes
            .insert("access_tier".into(), optcomp(Type::String));
        b.attributes
            .insert("metadata".into(), optcomp(Type::map(Type::String)));
        for k in ["id", "url"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A blob.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        let mut requires_replace = vec![];
        let mut notes = vec![];
        if let Some(data) = bytes(req.proposed)? {
            let hash = md5_b64(&data);
            notes.push(format!("{} bytes, md5 {hash}", data.len()));
            if let Some(prior) = req.prior {
                if attr_str(prior, "content_md5").as_deref() != Some(hash.as_str()) {
                    requires_replace.push(vec![PathStep::Key("content_md5".into())]);
                }
            }
            planned = fill(&planned, vec![("content_md5", Value::string(hash))]);
        }
        Ok(PlanResponse {
            planned,
            requires_replace,
            notes,
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let acct = Account::open(c, &need_str(planned, "storage_account_name")?).await?;
        let p = path(planned)?;
        let ct =
            attr_str(planned, "content_type").unwrap_or_else(|| "application/octet-stream".into());
        let mut headers = meta_headers(planned);
        headers.push(("Content-Type".into(), ct.clone()));
        if let Some(uri) = attr_str(planned, "source_uri") {
            headers.push(("x-ms-copy-source".into(), uri));
            acct.send(Method::PUT, &p, &[], &headers, vec![]).await?;
        } else {
            let data = bytes(planned)?.unwrap_or_default();
            headers.push(("x-ms-blob-type".into(), "BlockBlob".into()));
            headers.push(("Content-MD5".into(), md5_b64(&data)));
            acct.send(Method::PUT, &p, &[], &headers, data).await?;
        }
        if let Some(t) = attr_str(planned, "access_tier") {
            acct.send(
                Method::PUT,
                &p,
                &[("comp", "tier")],
                &[("x-ms-access-tier".into(), t)],
                vec![],
            )
            .await?;
        }
        self.read(c, planned)
            .await?
            .ok_or_else(|| ProviderError::other("blob vanished after create"))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let acct = Account::open(c, &need_str(prior, "storage_account_name")?).await?;
        let p = path(prior)?;
        let r = match acct.send(Method::HEAD, &p, &[], &[], vec![]).await {
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let h = |k: &str| r.headers.get(k).map(Value::string).unwrap_or(Value::Null);
        let tier = r.headers.get("x-ms-access-tier").cloned();
        Ok(Some(fill(
            prior,
            vec![
                ("id", Value::string(acct.url(&p))),
                ("url", Value::string(acct.url(&p))),
                ("content_type", h("content-type")),
                ("content_md5", h("content-md5")),
                (
                    "type",
                    Value::string(
                        r.headers
                            .get("x-ms-blob-type")
                            .map(|t| t.trim_end_matches("Blob"))
                            .unwrap_or("Block"),
                    ),
                ),
                ("access_tier", opt_str(tier.as_deref())),
                ("metadata", meta_value(prior, &r.headers)),
            ],
        )))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let acct = Account::open(c, &need_str(prior, "storage_account_name")?).await?;
        let p = path(prior)?;
        if attr_str(prior, "content_type") != attr_str(planned, "content_type") {
            let ct = attr_str(planned, "content_type").unwrap_or_default();
            let mut headers = vec![("x-ms-blob-content-type".to_string(), ct)];
            if let Some(md5) = attr_str(prior, "content_md5") {
                headers.push(("x-ms-blob-content-md5".into(), md5));
            }
            acct.send(Method::PUT, &p, &[("comp", "properties")], &headers, vec![])
                .await?;
        }
        if prior.get_attr("metadata") != planned.get_attr("metadata") {
            acct.send(
                Method::PUT,
                &p,
                &[("comp", "metadata")],
                &meta_headers(planned),
                vec![],
            )
            .await?;
        }
        if attr_str(prior, "access_tier") != attr_str(planned, "access_tier") {
            if let Some(t) = attr_str(planned, "access_tier") {
                acct.send(
                    Method::PUT,
                    &p,
                    &[("comp", "tier")],
                    &[("x-ms-access-tier".into(), t)],
                    vec![],
                )
                .await?;
            }
        }
        self.read(c, planned)
            .await?
            .ok_or_else(|| ProviderError::other("blob vanished during update"))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let acct = match Account::open(c, &need_str(prior, "storage_account_name")?).await {
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        match acct
            .send(Method::DELETE, &path(prior)?, &[], &[], vec![])
            .await
        {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The blob's URL.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let account = crate::storage_container::account_of_url(id);
        let rest = id.split("://").nth(1).unwrap_or(id);
        let mut segs: Vec<&str> = rest.split('/').skip(1).collect();
        if segs.first() == Some(&account.as_str()) {
            segs.remove(0);
        }
        if segs.len() < 2 {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("import id {id:?} must be the blob's URL"),
            ));
        }
        self.read(
            c,
            &obj(vec![
                ("storage_account_name", Value::string(&account)),
                ("storage_container_name", Value::string(segs[0])),
                ("name", Value::string(segs[1..].join("/"))),
            ]),
        )
        .await
    }
}
