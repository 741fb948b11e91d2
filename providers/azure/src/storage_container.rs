//! `azurerm_storage_container`: a blob container (model artifacts). Access type and metadata
//! change in place (Set Container ACL / Metadata); the name and account make a new one.
//! Reached through the account's blob endpoint with its key from ARM (blob.rs); the account
//! is named by `storage_account_name` (found in the subscription, as azurerm does) or by
//! `storage_account_id` (azurerm 4.x).

use crate::blob::Account;
use crate::config::Ctx;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;

pub struct Container;

fn account_ref(v: &Value) -> ProviderResult<String> {
    attr_str(v, "storage_account_id")
        .or_else(|| attr_str(v, "storage_account_name"))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "one of storage_account_name or storage_account_id must be set",
            )
        })
}

/// Metadata as x-ms-meta-* headers.
pub fn meta_headers(v: &Value) -> Vec<(String, String)> {
    string_map(v, "metadata")
        .into_iter()
        .map(|(k, x)| (format!("x-ms-meta-{k}"), x))
        .collect()
}

/// x-ms-meta-* response headers as a map (null when none and none were configured).
pub fn meta_value(prior: &Value, headers: &std::collections::BTreeMap<String, String>) -> Value {
    let m: std::collections::BTreeMap<String, Value> = headers
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("x-ms-meta-")
                .map(|n| (n.to_string(), Value::string(v)))
        })
        .collect();
    if m.is_empty() && prior.get_attr("metadata").is_none_or(Value::is_null) {
        Value::empty_map()
    } else {
        Value::map(m)
    }
}

#[async_trait]
impl ResourceType for Container {
    fn name(&self) -> &'static str {
        "azurerm_storage_container"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("name".into(), req(Type::String).force_new());
        for k in ["storage_account_name", "storage_account_id"] {
            b.attributes.insert(k.into(), opt(Type::String).force_new());
        }
        b.attributes.insert(
            "container_access_type".into(),
            opt(Type::String).with_default(Value::string("private")),
        );
        b.attributes
            .insert("metadata".into(), optcomp(Type::map(Type::String)));
        for k in ["id", "resource_manager_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        for k in ["has_immutability_policy", "has_legal_hold"] {
            b.attributes.insert(k.into(), comp(Type::Bool));
        }
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 1,
            block: b,
            description: "A blob container.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        account_ref(req.proposed).or_else(|e| {
            if req.proposed.is_wholly_known() {
                Err(e)
            } else {
                Ok(String::new())
            }
        })?;
        Ok(PlanResponse {
            planned: req.proposed.clone(),
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let acct = Account::open(c, &account_ref(planned)?).await?;
        let name = need_str(planned, "name")?;
        let mut headers = meta_headers(planned);
        if let Some(a) = access_header(planned) {
            headers.push(("x-ms-blob-public-access".into(), a));
        }
        acct.send(
            Method::PUT,
            &name,
            &[("restype", "container")],
            &headers,
            vec![],
        )
        .await?;
        self.read(c, planned)
            .await?
            .ok_or_else(|| ProviderError::other("container vanished after create"))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let acct = Account::open(c, &account_ref(prior)?).await?;
        let name = need_str(prior, "name")?;
        let r = match acct
            .send(Method::GET, &name, &[("restype", "container")], &[], vec![])
            .await
        {
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let access = match r.headers.get("x-ms-blob-public-access").map(String::as_str) {
            Some("blob") => "blob",
            Some("container") => "container",
            _ => "private",
        };
        let flag = |k: &str| Value::Bool(r.headers.get(k).is_some_and(|v| v == "true"));
        let rm_id = attr_str(prior, "storage_account_id")
            .map(|a| format!("{a}/blobServices/default/containers/{name}"));
        Ok(Some(fill(
            prior,
            vec![
                (
                    "id",
                    Value::string(if let Some(rm) = &rm_id {
                        rm.clone()
                    } else {
                        acct.url(&name)
                    }),
                ),
                ("resource_manager_id", opt_str(rm_id.as_deref())),
                ("container_access_type", Value::string(access)),
                ("metadata", meta_value(prior, &r.headers)),
                (
                    "has_immutability_policy",
                    flag("x-ms-has-immutability-policy"),
                ),
                ("has_legal_hold", flag("x-ms-has-legal-hold")),
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
        let acct = Account::open(c, &account_ref(prior)?).await?;
        let name = need_str(prior, "name")?;
        if attr_str(prior, "container_access_type") != attr_str(planned, "container_access_type") {
            let headers: Vec<(String, String)> = access_header(planned)
                .map(|a| vec![("x-ms-blob-public-access".to_string(), a)])
                .unwrap_or_default();
            acct.send(
                Method::PUT,
                &name,
                &[("comp", "acl"), ("restype", "container")],
                &headers,
                vec![],
            )
            .await?;
        }
        if prior.get_attr("metadata") != planned.get_attr("metadata") {
            acct.send(
                Method::PUT,
                &name,
                &[("comp", "metadata"), ("restype", "container")],
                &meta_headers(planned),
                vec![],
            )
            .await?;
        }
        self.read(c, planned)
            .await?
            .ok_or_else(|| ProviderError::other("container vanished during update"))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let acct = match Account::open(c, &account_ref(prior)?).await {
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        match acct
            .send(
                Method::DELETE,
                &need_str(prior, "name")?,
                &[("restype", "container")],
                &[],
                vec![],
            )
            .await
        {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// `https://ACCOUNT.blob.core.windows.net/NAME` (or the endpoint's URL) as azurerm imports it.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let (base, name) = id.trim_end_matches('/').rsplit_once('/').ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("import id {id:?} must be the container's URL"),
            )
        })?;
        let account = account_of_url(base);
        self.read(
            c,
            &obj(vec![
                ("name", Value::string(name)),
                ("storage_account_name", Value::string(account)),
            ]),
        )
        .await
    }
}

/// The account a blob URL names: the host's first label, or — path-style, as Azurite
/// serves — the first path segment.
pub fn account_of_url(base: &str) -> String {
    let rest = base.split("://").nth(1).unwrap_or(base);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path_style = host.contains(':') || host.chars().next().is_some_and(|c| c.is_ascii_digit());
    if path_style {
        path.split('/').next().unwrap_or_default().to_string()
    } else {
        host.split('.').next().unwrap_or_default().to_string()
    }
}

fn access_header(v: &Value) -> Option<String> {
    match attr_str(v, "container_access_type").as_deref() {
        Some("blob") => Some("blob".into()),
        Some("container") => Some("container".into()),
        _ => None,
    }
}
