//! `backend "http"`: state over REST as Terraform defines it — GET/POST (`update_method`)
//! /DELETE on `address`, LOCK/UNLOCK (`lock_method`, `unlock_method`) on `lock_address` /
//! `unlock_address` with the lock info as the body; a held lock answers 423 (or 409) with
//! the holder's info. Updates carry `?ID=<lock id>` and `Content-MD5`. Arguments fall back
//! to Terraform's `TF_HTTP_*` variables. One workspace only, as in Terraform.
//!
//! gantry's intents object (see `gantry_core::state::remote`) lives at the address with
//! `.gantry-intents` appended to its path.

use crate::util::{holder, io, lock_json};
use async_trait::async_trait;
use base64::Engine as _;
use gantry_core::state::remote::{BackendArgs, Connecting, RemoteBackend, RemoteState};
use gantry_core::state::{LockInfo, StateError};
use md5::Digest;
use reqwest::{Method, StatusCode, Url};
use std::sync::{Arc, Mutex};

pub struct HttpBackend {
    state: Arc<HttpState>,
}

pub struct HttpState {
    client: reqwest::Client,
    address: Url,
    update_method: Method,
    lock: Option<(Url, Method)>,
    unlock: Option<(Url, Method)>,
    auth: Option<(String, String)>,
    /// The lock info sent with LOCK, sent again with UNLOCK and its id on updates.
    held: Mutex<Option<LockInfo>>,
}

pub fn connect(args: BackendArgs) -> Connecting {
    Box::pin(async move { Ok(Arc::new(HttpBackend::new(&args)?) as Arc<dyn RemoteBackend>) })
}

fn method(s: Option<String>, default: &str) -> Result<Method, String> {
    let s = s.unwrap_or_else(|| default.to_string());
    Method::from_bytes(s.as_bytes()).map_err(|_| format!("{s:?} is not an HTTP method"))
}

fn url(s: &str, arg: &str) -> Result<Url, String> {
    Url::parse(s).map_err(|e| format!("{arg}: {s:?} is not a valid URL: {e}"))
}

impl HttpBackend {
    pub fn new(a: &BackendArgs) -> Result<HttpBackend, String> {
        let address = a
            .str_or_env("address", &["TF_HTTP_ADDRESS"])
            .ok_or("The argument \"address\" is required, but was not set.")?;
        let address = url(&address, "address")?;
        let lock_method = method(
            a.str_or_env("lock_method", &["TF_HTTP_LOCK_METHOD"]),
            "LOCK",
        )?;
        let unlock_method = method(
            a.str_or_env("unlock_method", &["TF_HTTP_UNLOCK_METHOD"]),
            "UNLOCK",
        )?;
        let lock = a
            .str_or_env("lock_address", &["TF_HTTP_LOCK_ADDRESS"])
            .map(|u| url(&u, "lock_address").map(|u| (u, lock_method)))
            .transpose()?;
        let unlock = a
            .str_or_env("unlock_address", &["TF_HTTP_UNLOCK_ADDRESS"])
            .map(|u| url(&u, "unlock_address").map(|u| (u, unlock_method)))
            .transpose()?;
        let auth = a.str_or_env("username", &["TF_HTTP_USERNAME"]).map(|u| {
            (
                u,
                a.str_or_env("password", &["TF_HTTP_PASSWORD"])
                    .unwrap_or_default(),
            )
        });
        let insecure = a.bool("skip_cert_verification").unwrap_or(false);
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(insecure)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpBackend {
            state: Arc::new(HttpState {
                client,
                address,
                update_method: method(
                    a.str_or_env("update_method", &["TF_HTTP_UPDATE_METHOD"]),
                    "POST",
                )?,
                lock,
                unlock,
                auth,
                held: Mutex::new(None),
            }),
        })
    }
}

#[async_trait]
impl RemoteBackend for HttpBackend {
    fn kind(&self) -> &str {
        "http"
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        Ok(vec!["default".into()])
    }

    fn state(&self, workspace: &str) -> Box<dyn RemoteState> {
        if workspace != "default" {
            return Box::new(NoWorkspaces);
        }
        Box::new(Shared(self.state.clone()))
    }
}

/// What a non-default workspace of the http backend answers: Terraform's refusal.
struct NoWorkspaces;

fn unsupported() -> StateError {
    StateError::Io(
        "workspaces not supported: the \"http\" backend holds only the default workspace".into(),
    )
}

#[async_trait]
impl RemoteState for NoWorkspaces {
    fn location(&self) -> String {
        "http (workspaces not supported)".into()
    }
    async fn get(&self) -> Result<Option<Vec<u8>>, StateError> {
        Err(unsupported())
    }
    async fn put(&self, _: &[u8]) -> Result<(), StateError> {
        Err(unsupported())
    }
    async fn delete(&self) -> Result<(), StateError> {
        Err(unsupported())
    }
    async fn get_extra(&self, _: &str) -> Result<Option<Vec<u8>>, StateError> {
        Err(unsupported())
    }
    async fn put_extra(&self, _: &str, _: Option<&[u8]>) -> Result<(), StateError> {
        Err(unsupported())
    }
    async fn lock(&self, _: &LockInfo) -> Result<String, StateError> {
        Err(unsupported())
    }
    async fn unlock(&self, _: &str) -> Result<(), StateError> {
        Err(unsupported())
    }
    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Err(unsupported())
    }
}

struct Shared(Arc<HttpState>);

impl HttpState {
    fn request(&self, m: Method, u: Url) -> reqwest::RequestBuilder {
        let r = self.client.request(m, u);
        match &self.auth {
            Some((user, pass)) => r.basic_auth(user, Some(pass)),
            None => r,
        }
    }

    fn extra_url(&self, name: &str) -> Url {
        let mut u = self.address.clone();
        let path = format!("{}.gantry-{name}", u.path().trim_end_matches('/'));
        u.set_path(&path);
        u
    }

    async fn get_at(&self, u: Url) -> Result<Option<Vec<u8>>, StateError> {
        let r = self
            .request(Method::GET, u.clone())
            .send()
            .await
            .map_err(|e| io(format!("GET {u}"), e))?;
        match r.status() {
            StatusCode::OK => Ok(Some(
                r.bytes()
                    .await
                    .map_err(|e| io(format!("GET {u}"), e))?
                    .to_vec(),
            )),
            StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(None),
            s => Err(io(
                format!("GET {u}"),
                format!("HTTP {s}: {}", r.text().await.unwrap_or_default()),
            )),
        }
    }

    async fn put_at(&self, mut u: Url, bytes: &[u8]) -> Result<(), StateError> {
        if let Some(id) = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|h| h.id.clone())
        {
            u.query_pairs_mut().append_pair("ID", &id);
        }
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes));
        let r = self
            .request(self.update_method.clone(), u.clone())
            .header("Content-Type", "application/json")
            .header("Content-MD5", md5)
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(|e| io(format!("{} {u}", self.update_method), e))?;
        match r.status() {
            StatusCode::OK | StatusCode::CREATED | StatusCode::NO_CONTENT => Ok(()),
            s => Err(io(
                format!("{} {u}", self.update_method),
                format!("HTTP {s}: {}", r.text().await.unwrap_or_default()),
            )),
        }
    }

    async fn delete_at(&self, u: Url) -> Result<(), StateError> {
        let r = self
            .request(Method::DELETE, u.clone())
            .send()
            .await
            .map_err(|e| io(format!("DELETE {u}"), e))?;
        match r.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(io(format!("DELETE {u}"), format!("HTTP {s}"))),
        }
    }
}

#[async_trait]
impl RemoteState for Shared {
    fn location(&self) -> String {
        self.0.address.to_string()
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, StateError> {
        self.0.get_at(self.0.address.clone()).await
    }

    async fn put(&self, bytes: &[u8]) -> Result<(), StateError> {
        self.0.put_at(self.0.address.clone(), bytes).await
    }

    async fn delete(&self) -> Result<(), StateError> {
        self.0.delete_at(self.0.address.clone()).await
    }

    async fn get_extra(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.0.get_at(self.0.extra_url(name)).await
    }

    async fn put_extra(&self, name: &str, bytes: Option<&[u8]>) -> Result<(), StateError> {
        match bytes {
            Some(b) => self.0.put_at(self.0.extra_url(name), b).await,
            None => self.0.delete_at(self.0.extra_url(name)).await,
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<String, StateError> {
        let Some((u, m)) = &self.0.lock else {
            // Terraform: without lock_address the backend does not lock.
            return Ok(info.id.clone());
        };
        let mut info = info.clone();
        info.path = self.0.address.to_string();
        let r = self
            .0
            .request(m.clone(), u.clone())
            .header("Content-Type", "application/json")
            .body(lock_json(&info))
            .send()
            .await
            .map_err(|e| io(format!("{m} {u}"), e))?;
        match r.status() {
            StatusCode::OK => {
                *self.0.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.clone());
                Ok(info.id)
            }
            StatusCode::LOCKED | StatusCode::CONFLICT => {
                let body = r.bytes().await.ok();
                Err(StateError::Locked(Box::new(holder(
                    body.as_deref(),
                    u.as_str(),
                ))))
            }
            s => Err(io(format!("{m} {u}"), format!("HTTP {s}"))),
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let Some((u, m)) = &self.0.unlock else {
            return Ok(());
        };
        let held = self.0.held.lock().unwrap_or_else(|e| e.into_inner()).take();
        // Force-unlock (another process's lock): the id is all there is to send.
        let body = match held {
            Some(h) if h.id == id => lock_json(&h),
            _ => serde_json::to_vec(&serde_json::json!({"ID": id})).unwrap_or_default(),
        };
        let r = self
            .0
            .request(m.clone(), u.clone())
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| io(format!("{m} {u}"), e))?;
        match r.status() {
            s if s.is_success() => Ok(()),
            s => Err(StateError::Unlock(format!(
                "{m} {u}: HTTP {s}: {}",
                r.text().await.unwrap_or_default()
            ))),
        }
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(None)
    }
}
