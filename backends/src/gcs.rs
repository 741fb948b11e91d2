//! `backend "gcs"`: Terraform's GCS backend. Workspace W's state is the object
//! `<prefix>/W.tfstate` in `bucket`; its lock is `<prefix>/W.tflock`, created only if absent
//! (`ifGenerationMatch=0` on a multipart upload, as Terraform's client writes it); the lock
//! id is that object's generation, and unlocking deletes it only at that generation.
//!
//! Arguments: `bucket`, `prefix`, `credentials`, `access_token`, `storage_custom_endpoint`
//! (env `GOOGLE_BACKEND_STORAGE_CUSTOM_ENDPOINT`, `GOOGLE_STORAGE_CUSTOM_ENDPOINT`; or
//! `STORAGE_EMULATOR_HOST`), `encryption_key` (customer-supplied AES-256 key, base64).
//! Credentials resolve as the google provider's do (token, key file, ADC, metadata server).

use crate::util::{check_owner, holder, io, lock_json};
use async_trait::async_trait;
use base64::Engine as _;
use gantry_core::state::remote::{
    with_default, BackendArgs, Connecting, RemoteBackend, RemoteState,
};
use gantry_core::state::{LockInfo, StateError};
use gantry_provider_google::auth::Auth;
use reqwest::StatusCode;
use serde_json::Value as Json;
use std::sync::Arc;

pub struct GcsBackend {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    auth: Auth,
    bucket: String,
    /// `""` or ending in `/`.
    prefix: String,
    /// JSON API base, ending in `/storage/v1/`.
    api: String,
    /// Upload base, ending in `/upload/storage/v1/`.
    upload: String,
    /// Customer-supplied encryption key (base64) and its SHA-256 (base64).
    csek: Option<(String, String)>,
}

pub fn connect(args: BackendArgs) -> Connecting {
    Box::pin(async move { Ok(Arc::new(GcsBackend::new(&args)?) as Arc<dyn RemoteBackend>) })
}

impl GcsBackend {
    pub fn new(a: &BackendArgs) -> Result<GcsBackend, String> {
        let bucket = a.required("bucket")?;
        let mut prefix = a
            .str("prefix")
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let api = a
            .str_or_env(
                "storage_custom_endpoint",
                &[
                    "GOOGLE_BACKEND_STORAGE_CUSTOM_ENDPOINT",
                    "GOOGLE_STORAGE_CUSTOM_ENDPOINT",
                ],
            )
            .or_else(|| {
                std::env::var("STORAGE_EMULATOR_HOST")
                    .ok()
                    .filter(|h| !h.is_empty())
                    .map(|h| {
                        let h = if h.contains("://") {
                            h
                        } else {
                            format!("http://{h}")
                        };
                        format!("{}/storage/v1/", h.trim_end_matches('/'))
                    })
            })
            .unwrap_or_else(|| "https://storage.googleapis.com/storage/v1/".into());
        let api = if api.ends_with('/') {
            api
        } else {
            format!("{api}/")
        };
        let upload = match api.find("/storage/v1/") {
            Some(i) => format!("{}/upload/storage/v1/", &api[..i]),
            None => {
                return Err(format!(
                    "storage_custom_endpoint {api:?} must end in /storage/v1/"
                ))
            }
        };
        if a.str("kms_encryption_key").is_some() {
            return Err("kms_encryption_key is not supported by this version of gantry; use encryption_key or the bucket's default key".into());
        }
        let csek = a
            .str_or_env("encryption_key", &["GOOGLE_ENCRYPTION_KEY"])
            .map(|k| -> Result<(String, String), String> {
                use sha2_lite::digest;
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(k.trim())
                    .map_err(|e| format!("encryption_key is not base64: {e}"))?;
                if raw.len() != 32 {
                    return Err(
                        "encryption_key must be a 32-byte AES-256 key, base64-encoded".into(),
                    );
                }
                Ok((
                    k.trim().to_string(),
                    base64::engine::general_purpose::STANDARD.encode(digest(&raw)),
                ))
            })
            .transpose()?;
        let provider_like = gantry_core::value::Value::from_json(&Json::Object(a.config.clone()));
        let auth = Auth::from_config(&provider_like).map_err(|e| e.message)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "gantry/",
                env!("CARGO_PKG_VERSION"),
                " (gcs backend)"
            ))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(GcsBackend {
            inner: Arc::new(Inner {
                http,
                auth,
                bucket,
                prefix,
                api,
                upload,
                csek,
            }),
        })
    }
}

/// SHA-256 for the customer-supplied key's hash header (reqwest's rustls already builds
/// aws-lc-rs, whose digest this is).
mod sha2_lite {
    pub fn digest(b: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b)
            .as_ref()
            .to_vec()
    }
}

fn enc(s: &str) -> String {
    // Object names in a URL path: every byte but unreserved ones percent-encoded.
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Inner {
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, StateError> {
        let mut req = self
            .auth
            .apply(req)
            .await
            .map_err(|e| io(what, e.message))?;
        if let Some((key, sha)) = &self.csek {
            req = req
                .header("x-goog-encryption-algorithm", "AES256")
                .header("x-goog-encryption-key", key)
                .header("x-goog-encryption-key-sha256", sha);
        }
        req.send().await.map_err(|e| io(what, e))
    }

    fn object_url(&self, name: &str) -> String {
        format!("{}b/{}/o/{}", self.api, enc(&self.bucket), enc(name))
    }

    async fn get(&self, name: &str) -> Result<Option<(Vec<u8>, i64)>, StateError> {
        let what = format!("reading gs://{}/{name}", self.bucket);
        let r = self
            .send(
                self.http
                    .get(format!("{}?alt=media", self.object_url(name))),
                &what,
            )
            .await?;
        match r.status() {
            StatusCode::OK => {
                let generation = r
                    .headers()
                    .get("x-goog-generation")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let b = r.bytes().await.map_err(|e| io(&what, e))?;
                Ok(Some((b.to_vec(), generation)))
            }
            StatusCode::NOT_FOUND => Ok(None),
            s => Err(io(
                what,
                format!("HTTP {s}: {}", r.text().await.unwrap_or_default()),
            )),
        }
    }

    /// A multipart upload; `if_generation` makes it conditional. Returns the new object's
    /// generation, or `None` when the condition failed (412).
    async fn put(
        &self,
        name: &str,
        bytes: &[u8],
        if_generation: Option<i64>,
    ) -> Result<Option<i64>, StateError> {
        let what = format!("writing gs://{}/{name}", self.bucket);
        let boundary = format!("gantry-{}", uuid::Uuid::new_v4().simple());
        let meta = serde_json::json!({"name": name, "contentType": "application/json"});
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n--{boundary}\r\nContent-Type: application/json\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut url = format!(
            "{}b/{}/o?uploadType=multipart",
            self.upload,
            enc(&self.bucket)
        );
        if let Some(g) = if_generation {
            url.push_str(&format!("&ifGenerationMatch={g}"));
        }
        let r = self
            .send(
                self.http
                    .post(url)
                    .header(
                        "Content-Type",
                        format!("multipart/related; boundary={boundary}"),
                    )
                    .body(body),
                &what,
            )
            .await?;
        match r.status() {
            s if s.is_success() => {
                let j: Json = r.json().await.map_err(|e| io(&what, e))?;
                Ok(Some(generation_of(&j)))
            }
            StatusCode::PRECONDITION_FAILED => Ok(None),
            s => Err(io(
                what,
                format!("HTTP {s}: {}", r.text().await.unwrap_or_default()),
            )),
        }
    }

    async fn delete(&self, name: &str, if_generation: Option<i64>) -> Result<bool, StateError> {
        let what = format!("deleting gs://{}/{name}", self.bucket);
        let mut url = self.object_url(name);
        if let Some(g) = if_generation {
            url.push_str(&format!("?ifGenerationMatch={g}"));
        }
        let r = self.send(self.http.delete(url), &what).await?;
        match r.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(true),
            StatusCode::PRECONDITION_FAILED => Ok(false),
            s => Err(io(
                what,
                format!("HTTP {s}: {}", r.text().await.unwrap_or_default()),
            )),
        }
    }
}

fn generation_of(j: &Json) -> i64 {
    match j.get("generation") {
        Some(Json::String(s)) => s.parse().unwrap_or(0),
        Some(Json::Number(n)) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

#[async_trait]
impl RemoteBackend for GcsBackend {
    fn kind(&self) -> &str {
        "gcs"
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let i = &self.inner;
        let what = format!("listing gs://{}/{}", i.bucket, i.prefix);
        let mut names = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut url = format!(
                "{}b/{}/o?prefix={}&delimiter=%2F",
                i.api,
                enc(&i.bucket),
                enc(&i.prefix)
            );
            if let Some(p) = &page {
                url.push_str(&format!("&pageToken={}", enc(p)));
            }
            let r = i.send(i.http.get(url), &what).await?;
            if !r.status().is_success() {
                return Err(io(what, format!("HTTP {}", r.status())));
            }
            let j: Json = r.json().await.map_err(|e| io(&what, e))?;
            for o in j
                .get("items")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let name = o.get("name").and_then(Json::as_str).unwrap_or_default();
                let base = name.rsplit('/').next().unwrap_or(name);
                if let Some(ws) = base.strip_suffix(".tfstate") {
                    names.push(ws.to_string());
                }
            }
            match j.get("nextPageToken").and_then(Json::as_str) {
                Some(t) => page = Some(t.to_string()),
                None => break,
            }
        }
        Ok(with_default(names))
    }

    fn state(&self, workspace: &str) -> Box<dyn RemoteState> {
        Box::new(GcsState {
            inner: self.inner.clone(),
            name: format!("{}{workspace}.tfstate", self.inner.prefix),
            lock: format!("{}{workspace}.tflock", self.inner.prefix),
        })
    }
}

struct GcsState {
    inner: Arc<Inner>,
    name: String,
    lock: String,
}

impl GcsState {
    fn lock_url(&self) -> String {
        format!("gs://{}/{}", self.inner.bucket, self.lock)
    }
}

#[async_trait]
impl RemoteState for GcsState {
    fn location(&self) -> String {
        format!("gs://{}/{}", self.inner.bucket, self.name)
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.inner.get(&self.name).await?.map(|(b, _)| b))
    }

    async fn put(&self, bytes: &[u8]) -> Result<(), StateError> {
        self.inner.put(&self.name, bytes, None).await.map(|_| ())
    }

    async fn delete(&self) -> Result<(), StateError> {
        self.inner.delete(&self.name, None).await.map(|_| ())
    }

    async fn get_extra(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .inner
            .get(&format!("{}.gantry-{name}", self.name))
            .await?
            .map(|(b, _)| b))
    }

    async fn put_extra(&self, name: &str, bytes: Option<&[u8]>) -> Result<(), StateError> {
        let obj = format!("{}.gantry-{name}", self.name);
        match bytes {
            Some(b) => self.inner.put(&obj, b, None).await.map(|_| ()),
            None => self.inner.delete(&obj, None).await.map(|_| ()),
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<String, StateError> {
        let mut info = info.clone();
        info.path = self.lock_url();
        match self
            .inner
            .put(&self.lock, &lock_json(&info), Some(0))
            .await?
        {
            // Terraform's lock id for GCS is the lock object's generation.
            Some(generation) => Ok(generation.to_string()),
            None => Err(StateError::Locked(Box::new(self.holder().await?))),
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let generation: i64 = id.parse().map_err(|_| {
            StateError::Unlock(format!(
                "lock id {id:?} is not a GCS lock id (the lock object's generation, a number)"
            ))
        })?;
        if self.inner.delete(&self.lock, Some(generation)).await? {
            return Ok(());
        }
        let current = self.holder().await?;
        check_owner(&current, id)?;
        Err(StateError::Unlock(format!(
            "{} changed while unlocking",
            self.lock_url()
        )))
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(match self.inner.get(&self.lock).await? {
            Some(_) => Some(self.holder().await?),
            None => None,
        })
    }
}

impl GcsState {
    /// The holder as Terraform reports it: the lock object's JSON, with its generation as id.
    async fn holder(&self) -> Result<LockInfo, StateError> {
        let got = self.inner.get(&self.lock).await?;
        let mut info = holder(got.as_ref().map(|(b, _)| b.as_slice()), &self.lock_url());
        if let Some((_, generation)) = got {
            info.id = generation.to_string();
        }
        Ok(info)
    }
}
