//! The REST client: one reqwest client for every Google API, with per-API base URLs (the
//! provider block's `*_custom_endpoint` settings, their `GOOGLE_*_CUSTOM_ENDPOINT`
//! variables, `STORAGE_EMULATOR_HOST`), Google's JSON errors classified, and 429/503 retried
//! per request (honouring `Retry-After`) so a long operation never restarts because one poll
//! was throttled.

use crate::auth::Auth;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use reqwest::Method;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::time::Duration;

/// The Google APIs the provider calls, with hashicorp/google's endpoint setting names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    Storage,
    VertexAi,
    TpuV2,
    Compute,
    ServiceUsage,
    Iam,
    ResourceManager,
    BigQuery,
    Container,
}

impl Api {
    pub const ALL: [Api; 9] = [
        Api::Storage,
        Api::VertexAi,
        Api::TpuV2,
        Api::Compute,
        Api::ServiceUsage,
        Api::Iam,
        Api::ResourceManager,
        Api::BigQuery,
        Api::Container,
    ];

    /// The provider block argument (`vertex_ai_custom_endpoint`, ...).
    pub fn setting(self) -> &'static str {
        match self {
            Api::Storage => "storage_custom_endpoint",
            Api::VertexAi => "vertex_ai_custom_endpoint",
            Api::TpuV2 => "tpu_v2_custom_endpoint",
            Api::Compute => "compute_custom_endpoint",
            Api::ServiceUsage => "service_usage_custom_endpoint",
            Api::Iam => "iam_custom_endpoint",
            Api::ResourceManager => "resource_manager_custom_endpoint",
            Api::BigQuery => "big_query_custom_endpoint",
            Api::Container => "container_custom_endpoint",
        }
    }

    /// The environment variable hashicorp/google reads for the same setting.
    pub fn env(self) -> String {
        format!("GOOGLE_{}", self.setting().to_ascii_uppercase())
    }

    /// Google's own base URL; `{region}` is filled per request (Vertex is regional).
    fn default_base(self) -> &'static str {
        match self {
            Api::Storage => "https://storage.googleapis.com/storage/v1/",
            Api::VertexAi => "https://{region}-aiplatform.googleapis.com/v1/",
            Api::TpuV2 => "https://tpu.googleapis.com/v2/",
            Api::Compute => "https://compute.googleapis.com/compute/v1/",
            Api::ServiceUsage => "https://serviceusage.googleapis.com/v1/",
            Api::Iam => "https://iam.googleapis.com/v1/",
            Api::ResourceManager => "https://cloudresourcemanager.googleapis.com/v1/",
            Api::BigQuery => "https://bigquery.googleapis.com/bigquery/v2/",
            Api::Container => "https://container.googleapis.com/v1/",
        }
    }
}

pub struct Client {
    http: reqwest::Client,
    auth: Auth,
    bases: BTreeMap<Api, String>,
    /// Media uploads (`upload/storage/v1/`), derived from the storage base.
    upload_base: String,
}

impl Client {
    pub fn new(auth: Auth, overrides: BTreeMap<Api, String>) -> ProviderResult<Client> {
        let mut bases = BTreeMap::new();
        for api in Api::ALL {
            let base = overrides
                .get(&api)
                .cloned()
                .unwrap_or_else(|| api.default_base().to_string());
            bases.insert(api, with_slash(base));
        }
        let storage = bases[&Api::Storage].clone();
        let upload_base = match storage.find("/storage/v1/") {
            Some(i) => format!("{}/upload/storage/v1/", &storage[..i]),
            None => storage.clone(),
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("gantry/", env!("CARGO_PKG_VERSION"), " (google)"))
            .build()
            .map_err(|e| ProviderError::other(format!("building the HTTP client: {e}")))?;
        Ok(Client {
            http,
            auth,
            bases,
            upload_base,
        })
    }

    /// The full URL of `path` under `api` (`region` fills Vertex's regional host).
    pub fn url(&self, api: Api, region: &str, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            return path.to_string();
        }
        format!("{}{}", self.bases[&api].replace("{region}", region), path)
    }

    pub async fn get(&self, api: Api, region: &str, path: &str) -> ProviderResult<Json> {
        self.call(Method::GET, &self.url(api, region, path), None)
            .await
    }

    pub async fn post(
        &self,
        api: Api,
        region: &str,
        path: &str,
        body: Json,
    ) -> ProviderResult<Json> {
        self.call(Method::POST, &self.url(api, region, path), Some(body))
            .await
    }

    pub async fn patch(
        &self,
        api: Api,
        region: &str,
        path: &str,
        body: Json,
    ) -> ProviderResult<Json> {
        self.call(Method::PATCH, &self.url(api, region, path), Some(body))
            .await
    }

    pub async fn put(
        &self,
        api: Api,
        region: &str,
        path: &str,
        body: Json,
    ) -> ProviderResult<Json> {
        self.call(Method::PUT, &self.url(api, region, path), Some(body))
            .await
    }

    pub async fn delete(&self, api: Api, region: &str, path: &str) -> ProviderResult<Json> {
        self.call(Method::DELETE, &self.url(api, region, path), None)
            .await
    }

    /// A GET whose 404 means "gone": `Ok(None)`.
    pub async fn get_opt(
        &self,
        api: Api,
        region: &str,
        path: &str,
    ) -> ProviderResult<Option<Json>> {
        match self.get(api, region, path).await {
            Ok(j) => Ok(Some(j)),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Uploads an object's bytes (GCS media upload) with optional metadata.
    pub async fn upload(
        &self,
        bucket: &str,
        name: &str,
        content_type: &str,
        data: Vec<u8>,
    ) -> ProviderResult<Json> {
        let url = format!(
            "{}b/{}/o?uploadType=media&name={}",
            self.upload_base,
            enc(bucket),
            enc(name)
        );
        let mut attempt = 0;
        loop {
            let req = self
                .http
                .post(&url)
                .header("Content-Type", content_type)
                .body(data.clone());
            let req = self.auth.apply(req).await?;
            match finish(req.send().await).await {
                Err(e) if e.is_retryable() && attempt < RETRIES => {
                    backoff(attempt, None).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One request with retries of throttling (429) and unavailability (5xx): those were not
    /// processed, so sending again cannot make anything twice.
    pub async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<Json>,
    ) -> ProviderResult<Json> {
        let mut attempt = 0;
        loop {
            let mut req = self.http.request(method.clone(), url);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let req = self.auth.apply(req).await?;
            tracing::debug!(%method, url, "google request");
            let resp = req.send().await;
            let retry_after = resp
                .as_ref()
                .ok()
                .and_then(|r| r.headers().get("retry-after"))
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.parse::<u64>().ok());
            match finish(resp).await {
                Err(e) if e.is_retryable() && attempt < RETRIES => {
                    tracing::debug!(url, error = %e, attempt, "retrying Google request");
                    backoff(attempt, retry_after).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

const RETRIES: u32 = 8;

async fn backoff(attempt: u32, retry_after: Option<u64>) {
    let base = Duration::from_millis(200).saturating_mul(1 << attempt.min(7));
    let wait = match retry_after {
        Some(s) => Duration::from_secs(s.min(60)),
        None => base.min(Duration::from_secs(15)),
    };
    tokio::time::sleep(wait).await;
}

async fn finish(resp: reqwest::Result<reqwest::Response>) -> ProviderResult<Json> {
    let resp = resp.map_err(|e| {
        ProviderError::new(
            ErrorKind::Transient,
            format!("request to Google failed: {e}"),
        )
    })?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| {
        ProviderError::new(
            ErrorKind::Transient,
            format!("reading Google's answer: {e}"),
        )
    })?;
    if status.is_success() {
        if text.trim().is_empty() {
            return Ok(Json::Object(Default::default()));
        }
        return serde_json::from_str(&text).map_err(|e| {
            ProviderError::other(format!(
                "Google answered with invalid JSON ({e}): {text:.200}"
            ))
        });
    }
    Err(google_error(status.as_u16(), &text))
}

/// Google's error JSON (`{"error": {"code", "message", "status", "details", "errors"}}`) as
/// a classified error: "Error 409: ... (ALREADY_EXISTS)".
pub fn google_error(http: u16, text: &str) -> ProviderError {
    let j: Json = serde_json::from_str(text).unwrap_or(Json::Null);
    let e = &j["error"];
    let message = e["message"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| text.chars().take(300).collect());
    let status = e["status"].as_str().unwrap_or("").to_string();
    let reason = e["errors"][0]["reason"].as_str().unwrap_or("").to_string();
    let kind = match http {
        404 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::Throttling,
        403 if reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" => {
            ErrorKind::Throttling
        }
        401 | 403 => ErrorKind::Auth,
        400 if status == "FAILED_PRECONDITION" => ErrorKind::Conflict,
        400 => ErrorKind::Validation,
        500 | 502 | 503 | 504 => ErrorKind::Transient,
        _ => ErrorKind::Other,
    };
    let mut msg = format!("googleapi: Error {http}: {message}");
    if let Some(details) = detail_lines(e) {
        msg.push_str(&details);
    }
    let code = if status.is_empty() { reason } else { status };
    let err = ProviderError::new(kind, msg);
    if code.is_empty() {
        err
    } else {
        err.with_code(code)
    }
}

/// Field violations and error-info reasons, one per line, as Google's own tools print them.
fn detail_lines(e: &Json) -> Option<String> {
    let mut out = String::new();
    for d in e["details"].as_array()? {
        for v in d["fieldViolations"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "\n  field {}: {}",
                v["field"].as_str().unwrap_or(""),
                v["description"].as_str().unwrap_or("")
            ));
        }
        if let Some(r) = d["reason"].as_str() {
            out.push_str(&format!("\n  reason: {r}"));
        }
    }
    (!out.is_empty()).then_some(out)
}

fn with_slash(mut s: String) -> String {
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// Percent-encodes one path segment or query value (object names contain `/`).
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
