//! `backend "azurerm"`: Terraform's Azure Blob backend. The default workspace's state is the
//! block blob `key` in `container_name`; workspace W's is `<key>env:W`. Locking is
//! Terraform's: an infinite lease on the state blob (created empty if missing), the lock info
//! in the blob's `terraformlockid` metadata (base64 JSON); the lock id is the lease id, and
//! writes while locked carry it.
//!
//! Like Terraform's, this backend has no endpoint setting: it addresses
//! `https://<storage_account_name>.blob.<suffix>` (`environment`: public, usgovernment,
//! china), reached through `HTTPS_PROXY` and trusting `SSL_CERT_FILE` as Terraform does.
//! Credentials: `access_key` (or `ARM_ACCESS_KEY`), signed with Shared Key; else `sas_token`
//! (or `ARM_SAS_TOKEN`), sent as the query string of every request.

use crate::util::{check_owner, io};
use async_trait::async_trait;
use base64::Engine as _;
use gantry_core::state::remote::{
    with_default, BackendArgs, Connecting, RemoteBackend, RemoteState,
};
use gantry_core::state::{LockInfo, StateError};
use gantry_provider_azure::blob::Account;
use reqwest::Method;
use std::sync::{Arc, Mutex};

const LOCK_META: &str = "x-ms-meta-terraformlockid";

pub struct AzureBackend {
    inner: Arc<Inner>,
}

struct Inner {
    account: Account,
    container: String,
    key: String,
}

pub fn connect(args: BackendArgs) -> Connecting {
    Box::pin(async move { Ok(Arc::new(AzureBackend::new(&args)?) as Arc<dyn RemoteBackend>) })
}

impl AzureBackend {
    pub fn new(a: &BackendArgs) -> Result<AzureBackend, String> {
        let name = a.required("storage_account_name")?;
        let container = a.required("container_name")?;
        let key = a.required("key")?;
        let suffix = match a
            .str_or_env("environment", &["ARM_ENVIRONMENT"])
            .unwrap_or_else(|| "public".into())
            .to_ascii_lowercase()
            .as_str()
        {
            "public" => "core.windows.net",
            "usgovernment" => "core.usgovcloudapi.net",
            "china" => "core.chinacloudapi.cn",
            other => {
                return Err(format!(
                    "environment {other:?} is not one of public, usgovernment, china"
                ))
            }
        };
        if a.bool("use_azuread_auth").unwrap_or(false) {
            return Err("use_azuread_auth is not supported by this version of gantry's azurerm backend: use access_key or sas_token".into());
        }
        let endpoint = format!("https://{name}.blob.{suffix}/");
        let account = match (
            a.str_or_env("access_key", &["ARM_ACCESS_KEY"]),
            a.str_or_env("sas_token", &["ARM_SAS_TOKEN"]),
        ) {
            (Some(key), _) => Account::with_key(&name, &endpoint, &key)?,
            (None, Some(sas)) => Account::with_sas(&name, &endpoint, &sas),
            (None, None) => return Err("access_key (ARM_ACCESS_KEY) or sas_token (ARM_SAS_TOKEN) is required: this version of gantry's azurerm backend signs with the storage account key or sends a SAS token (Azure AD is not supported yet)".into()),
        };
        Ok(AzureBackend {
            inner: Arc::new(Inner {
                account,
                container,
                key,
            }),
        })
    }
}

/// A blob-service failure: its HTTP status when the service answered.
fn status_of(e: &gantry_core::provider::ProviderError) -> Option<u16> {
    let m = &e.message;
    m.strip_prefix("blob storage error ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|s| s.parse().ok())
}

impl Inner {
    fn path(&self, blob: &str) -> String {
        let enc: String = blob
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("{}/{enc}", self.container)
    }

    async fn call(
        &self,
        m: Method,
        blob: &str,
        query: &[(&str, &str)],
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<Result<gantry_provider_azure::blob::Response, u16>, StateError> {
        let what = format!("{m} {}", self.account.url(&self.path(blob)));
        match self
            .account
            .send(m, &self.path(blob), query, &headers, body)
            .await
        {
            Ok(r) => Ok(Ok(r)),
            Err(e) => match status_of(&e) {
                Some(s @ (404 | 409 | 412)) => Ok(Err(s)),
                _ => Err(io(what, e.message)),
            },
        }
    }

    async fn get(&self, blob: &str, lease: Option<&str>) -> Result<Option<Vec<u8>>, StateError> {
        let h = lease_header(lease);
        Ok(self
            .call(Method::GET, blob, &[], h, Vec::new())
            .await?
            .ok()
            .map(|r| r.body))
    }

    /// The blob's properties (headers), `None` when it does not exist.
    async fn head(
        &self,
        blob: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, StateError> {
        Ok(self
            .call(Method::HEAD, blob, &[], Vec::new(), Vec::new())
            .await?
            .ok()
            .map(|r| r.headers))
    }

    async fn put(
        &self,
        blob: &str,
        bytes: &[u8],
        lease: Option<&str>,
        keep: Vec<(String, String)>,
    ) -> Result<(), StateError> {
        let mut h = lease_header(lease);
        h.push(("x-ms-blob-type".into(), "BlockBlob".into()));
        h.push(("Content-Type".into(), "application/json".into()));
        h.extend(keep);
        match self.call(Method::PUT, blob, &[], h, bytes.to_vec()).await? {
            Ok(_) => Ok(()),
            Err(s) => Err(io(
                format!("writing {blob}"),
                format!("HTTP {s} (the blob is leased by another holder?)"),
            )),
        }
    }

    async fn delete(&self, blob: &str, lease: Option<&str>) -> Result<(), StateError> {
        match self
            .call(Method::DELETE, blob, &[], lease_header(lease), Vec::new())
            .await?
        {
            Ok(_) | Err(404) => Ok(()),
            Err(s) => Err(io(format!("deleting {blob}"), format!("HTTP {s}"))),
        }
    }
}

fn lease_header(lease: Option<&str>) -> Vec<(String, String)> {
    lease
        .map(|l| vec![("x-ms-lease-id".to_string(), l.to_string())])
        .unwrap_or_default()
}

/// Metadata headers to carry over a rewrite (Terraform keeps the lock info on the blob).
fn metadata(headers: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| k.starts_with("x-ms-meta-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[async_trait]
impl RemoteBackend for AzureBackend {
    fn kind(&self) -> &str {
        "azurerm"
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let i = &self.inner;
        let prefix = format!("{}env:", i.key);
        let mut names = Vec::new();
        let mut marker = String::new();
        loop {
            let mut q = vec![
                ("restype", "container"),
                ("comp", "list"),
                ("prefix", prefix.as_str()),
            ];
            if !marker.is_empty() {
                q.push(("marker", marker.as_str()));
            }
            let r = i
                .account
                .send(Method::GET, &i.container, &q, &[], Vec::new())
                .await
                .map_err(|e| io(format!("listing {}", i.container), e.message))?;
            let text = String::from_utf8_lossy(&r.body).into_owned();
            for piece in text.split("<Name>").skip(1) {
                let name = piece.split("</Name>").next().unwrap_or_default();
                let name = name.replace("&amp;", "&");
                if let Some(ws) = name.strip_prefix(&prefix) {
                    if !ws.contains('/') && !ws.ends_with(".gantry-intents") {
                        names.push(ws.to_string());
                    }
                }
            }
            marker = text
                .split("<NextMarker>")
                .nth(1)
                .and_then(|m| m.split("</NextMarker>").next())
                .unwrap_or_default()
                .to_string();
            if marker.is_empty() {
                break;
            }
        }
        Ok(with_default(names))
    }

    fn state(&self, workspace: &str) -> Box<dyn RemoteState> {
        let blob = if workspace == "default" {
            self.inner.key.clone()
        } else {
            format!("{}env:{workspace}", self.inner.key)
        };
        Box::new(AzureState {
            inner: self.inner.clone(),
            blob,
            lease: Mutex::new(None),
        })
    }
}

struct AzureState {
    inner: Arc<Inner>,
    blob: String,
    /// The lease this process holds, sent with every write.
    lease: Mutex<Option<String>>,
}

impl AzureState {
    fn lease(&self) -> Option<String> {
        self.lease.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn where_(&self) -> String {
        format!("{}/{}", self.inner.container, self.blob)
    }

    async fn holder(&self) -> Result<LockInfo, StateError> {
        let headers = self.inner.head(&self.blob).await?.unwrap_or_default();
        let info = headers
            .get(LOCK_META)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
        Ok(crate::util::holder(info.as_deref(), &self.where_()))
    }
}

#[async_trait]
impl RemoteState for AzureState {
    fn location(&self) -> String {
        self.inner.account.url(&self.inner.path(&self.blob))
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, StateError> {
        // The lock creates the blob empty, as Terraform's does: that is no state yet.
        Ok(self
            .inner
            .get(&self.blob, None)
            .await?
            .filter(|b| !b.is_empty()))
    }

    async fn put(&self, bytes: &[u8]) -> Result<(), StateError> {
        let keep = self
            .inner
            .head(&self.blob)
            .await?
            .map(|h| metadata(&h))
            .unwrap_or_default();
        self.inner
            .put(&self.blob, bytes, self.lease().as_deref(), keep)
            .await
    }

    async fn delete(&self) -> Result<(), StateError> {
        self.inner.delete(&self.blob, self.lease().as_deref()).await
    }

    async fn get_extra(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.inner
            .get(&format!("{}.gantry-{name}", self.blob), None)
            .await
    }

    async fn put_extra(&self, name: &str, bytes: Option<&[u8]>) -> Result<(), StateError> {
        let blob = format!("{}.gantry-{name}", self.blob);
        match bytes {
            Some(b) => self.inner.put(&blob, b, None, Vec::new()).await,
            None => self.inner.delete(&blob, None).await,
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<String, StateError> {
        let mut info = info.clone();
        info.path = self.where_();
        let props = self.inner.head(&self.blob).await?;
        match &props {
            None => self.inner.put(&self.blob, b"", None, Vec::new()).await?,
            Some(h) if h.get("x-ms-lease-state").map(String::as_str) == Some("leased") => {
                return Err(StateError::Locked(Box::new(self.holder().await?)));
            }
            Some(_) => {}
        }
        let h = vec![
            ("x-ms-lease-action".to_string(), "acquire".to_string()),
            ("x-ms-lease-duration".to_string(), "-1".to_string()),
            ("x-ms-proposed-lease-id".to_string(), info.id.clone()),
        ];
        let r = match self
            .inner
            .call(Method::PUT, &self.blob, &[("comp", "lease")], h, Vec::new())
            .await?
        {
            Ok(r) => r,
            Err(_) => return Err(StateError::Locked(Box::new(self.holder().await?))),
        };
        let lease = r
            .headers
            .get("x-ms-lease-id")
            .cloned()
            .unwrap_or(info.id.clone());
        info.id = lease.clone();
        *self.lease.lock().unwrap_or_else(|e| e.into_inner()) = Some(lease.clone());
        // The lock info, for whoever is refused (Terraform reads the same metadata).
        let meta = base64::engine::general_purpose::STANDARD.encode(crate::util::lock_json(&info));
        let h = vec![
            ("x-ms-lease-id".to_string(), lease.clone()),
            (LOCK_META.to_string(), meta),
        ];
        self.inner
            .call(
                Method::PUT,
                &self.blob,
                &[("comp", "metadata")],
                h,
                Vec::new(),
            )
            .await?
            .map_err(|s| {
                io(
                    format!("recording the lock on {}", self.where_()),
                    format!("HTTP {s}"),
                )
            })?;
        Ok(lease)
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let current = self.holder().await?;
        check_owner(&current, id)?;
        // Clear the lock info (keeping other metadata), then release the lease.
        let headers = self.inner.head(&self.blob).await?.unwrap_or_default();
        let mut h: Vec<(String, String)> = metadata(&headers)
            .into_iter()
            .filter(|(k, _)| k != LOCK_META)
            .collect();
        h.push(("x-ms-lease-id".into(), id.to_string()));
        let _ = self
            .inner
            .call(
                Method::PUT,
                &self.blob,
                &[("comp", "metadata")],
                h,
                Vec::new(),
            )
            .await?;
        let h = vec![
            ("x-ms-lease-action".to_string(), "release".to_string()),
            ("x-ms-lease-id".to_string(), id.to_string()),
        ];
        self.inner
            .call(Method::PUT, &self.blob, &[("comp", "lease")], h, Vec::new())
            .await?
            .map_err(|s| {
                StateError::Unlock(format!(
                    "releasing the lease on {}: HTTP {s}",
                    self.where_()
                ))
            })?;
        *self.lease.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        let headers = self.inner.head(&self.blob).await?;
        Ok(match headers {
            Some(h) if h.get("x-ms-lease-state").map(String::as_str) == Some("leased") => {
                Some(self.holder().await?)
            }
            _ => None,
        })
    }
}
