//! The Blob data plane, as azurerm reaches it: the account's blob endpoint and key come from
//! ARM (`primaryEndpoints.blob`, `listKeys`), and requests are signed with Shared Key (plain
//! REST: the `azure_storage_blob` crate has no Shared Key support and forces https).
//! Path-style endpoints (Azurite's `http://host/ACCOUNT/`) canonicalise the account twice,
//! as the storage service defines for them.

use crate::config::Ctx;
use base64::Engine;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::json;
use sha2::Sha256;
use std::collections::BTreeMap;

const VERSION: &str = "2023-11-03";

/// One storage account's data plane.
pub struct Account {
    pub name: String,
    /// The blob endpoint, with a trailing slash.
    pub endpoint: String,
    key: Vec<u8>,
    /// A SAS token (query string) used instead of the key, when given.
    sas: Option<String>,
    http: reqwest::Client,
}

pub struct Response {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Account {
    /// The account named `name` (found by listing the subscription's accounts, as azurerm
    /// does for `storage_account_name`) or given by ARM id.
    pub async fn open(c: &Ctx, name_or_id: &str) -> ProviderResult<Account> {
        let api = crate::storage_account::API;
        let id = if name_or_id.starts_with("/subscriptions/") {
            name_or_id.to_string()
        } else {
            let list = c
                .client
                .get(
                    &format!(
                        "/subscriptions/{}/providers/Microsoft.Storage/storageAccounts",
                        c.subscription()?
                    ),
                    api,
                )
                .await?;
            list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["name"].as_str() == Some(name_or_id))
                .and_then(|a| a["id"].as_str())
                .map(String::from)
                .ok_or_else(|| {
                    ProviderError::new(
                        ErrorKind::NotFound,
                        format!("storage account {name_or_id} was not found in the subscription"),
                    )
                })?
        };
        let acct = c.client.get(&id, api).await?;
        let keys = c
            .client
            .post(&format!("{id}/listKeys"), api, &json!({}))
            .await?;
        let key = keys["keys"][0]["value"].as_str().unwrap_or_default();
        let mut endpoint = acct["properties"]["primaryEndpoints"]["blob"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !endpoint.ends_with('/') {
            endpoint.push('/');
        }
        Ok(Account {
            name: acct["name"].as_str().unwrap_or_default().to_string(),
            endpoint,
            key: base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|e| {
                    ProviderError::other(format!("the storage account key is not base64: {e}"))
                })?,
            sas: None,
            http: reqwest::Client::new(),
        })
    }

    /// An account reached with its key directly (the azurerm state backend's `access_key`):
    /// `endpoint` is the blob endpoint, `key` the base64 account key.
    pub fn with_key(name: &str, endpoint: &str, key: &str) -> Result<Account, String> {
        let mut endpoint = endpoint.to_string();
        if !endpoint.ends_with('/') {
            endpoint.push('/');
        }
        Ok(Account {
            name: name.to_string(),
            endpoint,
            key: base64::engine::general_purpose::STANDARD
                .decode(key.trim())
                .map_err(|e| format!("the storage account key is not base64: {e}"))?,
            sas: None,
            http: reqwest::Client::new(),
        })
    }

    /// An account reached with a SAS token (the azurerm state backend's `sas_token`): the
    /// token's query string goes on every request instead of a Shared Key signature.
    pub fn with_sas(name: &str, endpoint: &str, sas: &str) -> Account {
        let mut endpoint = endpoint.to_string();
        if !endpoint.ends_with('/') {
            endpoint.push('/');
        }
        Account {
            name: name.to_string(),
            endpoint,
            key: Vec::new(),
            sas: Some(sas.trim_start_matches('?').to_string()),
            http: reqwest::Client::new(),
        }
    }

    /// The account name the service sees in a path-style endpoint (`http://host/devstoreaccount1/`).
    fn path_account(&self) -> Option<String> {
        let after_host = self.endpoint.split("://").nth(1)?.split_once('/')?.1;
        let first = after_host.split('/').next().filter(|s| !s.is_empty())?;
        Some(first.to_string())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// A signed request; `path` is relative to the endpoint (`container/blob`), `query` the
    /// parameters (`restype=container`), `headers` the x-ms-* and content headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> ProviderResult<Response> {
        let method_needs_length = matches!(method, Method::PUT | Method::POST);
        let date = httpdate();
        let mut all: Vec<(String, String)> = headers.to_vec();
        all.push(("x-ms-date".into(), date));
        all.push(("x-ms-version".into(), VERSION.into()));
        let get = |k: &str| {
            all.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let length = if body.is_empty() {
            String::new()
        } else {
            body.len().to_string()
        };
        let mut canon_headers: Vec<(String, String)> = all
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase().starts_with("x-ms-"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        canon_headers.sort();
        let mut resource = format!("/{}/", self.name);
        if let Some(acct) = self.path_account() {
            resource.push_str(&acct);
            resource.push('/');
        }
        resource.push_str(path);
        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        q.sort();
        for (k, v) in &q {
            resource.push_str(&format!("\n{k}:{v}"));
        }
        let to_sign = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n\n{}\n{}\n{}\n{}\n{}\n{}{}",
            method.as_str(),
            get("Content-Encoding"),
            get("Content-Language"),
            length,
            get("Content-MD5"),
            get("Content-Type"),
            get("If-Modified-Since"),
            get("If-Match"),
            get("If-None-Match"),
            get("If-Unmodified-Since"),
            get("Range"),
            canon_headers
                .iter()
                .map(|(k, v)| format!("{k}:{v}\n"))
                .collect::<String>(),
            resource
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .map_err(|e| ProviderError::other(e.to_string()))?;
        mac.update(to_sign.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let mut url = self.url(path);
        let mut params: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        params.extend(self.sas.clone());
        if !params.is_empty() {
            url.push('?');
            url.push_str(&params.join("&"));
        }
        let mut req = self.http.request(method, &url);
        if self.sas.is_none() {
            req = req.header("Authorization", format!("SharedKey {}:{sig}", self.name));
        }
        for (k, v) in &all {
            req = req.header(k.as_str(), v.as_str());
        }
        if body.is_empty() && method_needs_length {
            // An empty PUT still states its length; the service refuses it otherwise.
            req = req.header("Content-Length", "0");
        }
        let resp = req.body(body).send().await.map_err(|e| {
            ProviderError::new(
                ErrorKind::Transient,
                format!("request to blob storage failed: {e}"),
            )
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        if status >= 400 {
            let text = String::from_utf8_lossy(&body);
            let code = between(&text, "<Code>", "</Code>").unwrap_or_default();
            let msg = between(&text, "<Message>", "</Message>").unwrap_or_default();
            let kind = match status {
                404 => ErrorKind::NotFound,
                409 | 412 => ErrorKind::Conflict,
                403 | 401 => ErrorKind::Auth,
                429 | 500 | 503 => ErrorKind::Transient,
                _ => ErrorKind::Validation,
            };
            return Err(ProviderError::new(
                kind,
                format!(
                    "blob storage error {status} {code}: {}",
                    msg.lines().next().unwrap_or_default()
                ),
            )
            .with_code(code));
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

/// RFC 1123 date for x-ms-date.
fn httpdate() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}
