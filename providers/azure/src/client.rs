//! The ARM client: one reqwest client, the Resource Manager base URL (Azure's, or the one a
//! `metadata_host` names), an api-version on every call, ARM's error JSON classified, 429 and
//! 5xx retried per request honouring `Retry-After`, and ARM's long-running operations:
//! 201/202 with `Azure-AsyncOperation` (poll its `status`) or else `Location` (202 while
//! running), no fixed limit but the resource's `timeouts {}`, progress shown live. `azure_core`
//! has no ARM poller, so this is it.

use crate::auth::Auth;
use gantry_core::provider::{ErrorKind, Progress, ProviderError, ProviderResult};
use reqwest::Method;
use serde_json::Value as Json;
use std::time::{Duration, Instant};

pub struct Client {
    http: reqwest::Client,
    auth: Auth,
    /// `https://management.azure.com` or the test server; no trailing slash.
    pub base: String,
}

/// How to wait for a change: its `timeouts {}` limit, where progress goes, what to call it.
pub struct Wait<'a> {
    pub limit: Option<Duration>,
    pub progress: &'a dyn Progress,
    pub what: &'a str,
}

/// What a call answered: status, body, and the headers an operation is followed by.
pub struct Answer {
    pub status: u16,
    pub body: Json,
    async_op: Option<String>,
    location: Option<String>,
}

const RETRIES: u32 = 8;

impl Client {
    pub fn new(auth: Auth, base: String) -> ProviderResult<Client> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("gantry/", env!("CARGO_PKG_VERSION"), " (azurerm)"))
            .build()
            .map_err(|e| ProviderError::other(format!("building the HTTP client: {e}")))?;
        Ok(Client {
            http,
            auth,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    fn url(&self, id: &str, api_version: &str) -> String {
        if id.starts_with("http://") || id.starts_with("https://") {
            return id.to_string();
        }
        let sep = if id.contains('?') { '&' } else { '?' };
        format!("{}{id}{sep}api-version={api_version}", self.base)
    }

    /// One call, retried while ARM throttles or fails transiently.
    pub async fn call(
        &self,
        method: Method,
        id: &str,
        api_version: &str,
        body: Option<&Json>,
    ) -> ProviderResult<Answer> {
        let url = self.url(id, api_version);
        let mut attempt = 0;
        loop {
            let mut req = self.http.request(method.clone(), &url);
            if let Some(b) = body {
                req = req.json(b);
            }
            let req = self.auth.apply(req).await?;
            tracing::debug!(%method, url, "ARM request");
            let resp = req.send().await.map_err(|e| {
                ProviderError::new(ErrorKind::Transient, format!("request to ARM failed: {e}"))
            });
            let resp = match resp {
                Ok(r) => r,
                Err(e) if attempt < RETRIES => {
                    tracing::debug!(error = %e, "retrying");
                    backoff(attempt, None).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = resp.status().as_u16();
            let header = |k: &str| {
                resp.headers()
                    .get(k)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            };
            let retry_after = header("retry-after").and_then(|s| s.parse::<u64>().ok());
            let async_op = header("azure-asyncoperation");
            let location = header("location");
            let text = resp.text().await.unwrap_or_default();
            if (status == 429 || status >= 500) && attempt < RETRIES {
                backoff(attempt, retry_after).await;
                attempt += 1;
                continue;
            }
            if status >= 400 {
                return Err(arm_error(status, &text));
            }
            let body = if text.trim().is_empty() {
                Json::Null
            } else {
                serde_json::from_str(&text).map_err(|e| {
                    ProviderError::other(format!(
                        "ARM answered with invalid JSON ({e}): {text:.200}"
                    ))
                })?
            };
            return Ok(Answer {
                status,
                body,
                async_op,
                location,
            });
        }
    }

    pub async fn get(&self, id: &str, api: &str) -> ProviderResult<Json> {
        Ok(self.call(Method::GET, id, api, None).await?.body)
    }

    /// A GET whose 404 means "gone".
    pub async fn get_opt(&self, id: &str, api: &str) -> ProviderResult<Option<Json>> {
        match self.get(id, api).await {
            Ok(j) => Ok(Some(j)),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn post(&self, id: &str, api: &str, body: &Json) -> ProviderResult<Json> {
        Ok(self.call(Method::POST, id, api, Some(body)).await?.body)
    }

    /// A PUT, PATCH or DELETE followed to its end. Returns the resource's final JSON (a GET
    /// after the operation; null after a delete).
    pub async fn change(
        &self,
        method: Method,
        id: &str,
        api: &str,
        body: Option<&Json>,
        wait_for: Wait<'_>,
    ) -> ProviderResult<Json> {
        let Wait {
            limit,
            progress,
            what,
        } = wait_for;
        let deleting = method == Method::DELETE;
        let first = match self.call(method, id, api, body).await {
            Err(e) if deleting && e.kind == ErrorKind::NotFound => return Ok(Json::Null),
            other => other?,
        };
        let start = Instant::now();
        let mut delay = Duration::from_millis(500);
        if let Some(op) = &first.async_op {
            loop {
                let st = self.get(op, api).await?;
                let status = st["status"].as_str().unwrap_or("InProgress").to_string();
                match status.as_str() {
                    "Succeeded" => break,
                    "Failed" | "Canceled" => {
                        return Err(operation_failed(&st["error"], what, &status));
                    }
                    _ => {}
                }
                wait(&start, &mut delay, limit, progress, what, &status).await?;
            }
        } else if first.status == 202 || first.status == 201 {
            if let Some(loc) = &first.location {
                loop {
                    let a = self.call(Method::GET, loc, api, None).await?;
                    if a.status != 202 {
                        break;
                    }
                    wait(&start, &mut delay, limit, progress, what, "InProgress").await?;
                }
            }
        }
        if deleting {
            return Ok(Json::Null);
        }
        // Follow the resource's own provisioningState to a terminal one.
        loop {
            let j = self.get(id, api).await?;
            let state = j["properties"]["provisioningState"]
                .as_str()
                .unwrap_or("Succeeded")
                .to_string();
            match state.as_str() {
                "Succeeded" => return Ok(j),
                "Failed" | "Canceled" => {
                    return Err(ProviderError::new(
                        ErrorKind::Other,
                        format!("{what}: provisioningState is {state}"),
                    ))
                }
                _ => wait(&start, &mut delay, limit, progress, what, &state).await?,
            }
        }
    }
}

async fn wait(
    start: &Instant,
    delay: &mut Duration,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
    state: &str,
) -> ProviderResult<()> {
    progress.status(&format!("{what}: {state} ({}s)", start.elapsed().as_secs()));
    if let Some(l) = limit.filter(|l| start.elapsed() >= *l) {
        return Err(ProviderError::new(
            ErrorKind::Other,
            format!("timed out after {}s waiting for {what}", l.as_secs()),
        ));
    }
    tokio::time::sleep(*delay).await;
    *delay = (*delay * 2).min(Duration::from_secs(10));
    Ok(())
}

async fn backoff(attempt: u32, retry_after: Option<u64>) {
    let wait = match retry_after {
        Some(s) => Duration::from_secs(s.min(60)),
        None => Duration::from_millis(200)
            .saturating_mul(1 << attempt.min(6))
            .min(Duration::from_secs(15)),
    };
    tokio::time::sleep(wait).await;
}

/// Capacity and quota codes ARM uses: reported as such.
fn capacity(code: &str) -> bool {
    matches!(
        code,
        "SkuNotAvailable"
            | "QuotaExceeded"
            | "OperationNotAllowed"
            | "ZonalAllocationFailed"
            | "AllocationFailed"
            | "InsufficientQuota"
    )
}

/// ARM's error JSON (`{"error": {"code", "message", "target", "details"}}`) classified.
pub fn arm_error(status: u16, text: &str) -> ProviderError {
    let j: Json = serde_json::from_str(text).unwrap_or(Json::Null);
    let e = if j["error"].is_object() {
        &j["error"]
    } else {
        &j
    };
    let code = e["code"].as_str().unwrap_or("").to_string();
    let message = e["message"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| text.chars().take(300).collect());
    let kind = match status {
        404 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::Throttling,
        401 | 403 => ErrorKind::Auth,
        400 => ErrorKind::Validation,
        500 | 502 | 503 | 504 => ErrorKind::Transient,
        _ => ErrorKind::Other,
    };
    let mut msg = if capacity(&code) {
        format!("no capacity or quota ({code}): {message}")
    } else {
        format!("ARM error {status} {code}: {message}")
    };
    if let Some(t) = e["target"].as_str() {
        msg.push_str(&format!("\n  target: {t}"));
    }
    for d in e["details"].as_array().into_iter().flatten() {
        if let Some(m) = d["message"].as_str() {
            msg.push_str(&format!(
                "\n  {}: {m}",
                d["code"].as_str().unwrap_or("detail")
            ));
        }
    }
    let err = ProviderError::new(kind, msg);
    if code.is_empty() {
        err
    } else {
        err.with_code(code)
    }
}

fn operation_failed(e: &Json, what: &str, status: &str) -> ProviderError {
    let code = e["code"].as_str().unwrap_or(status);
    let message = e["message"].as_str().unwrap_or("no message");
    let msg = if capacity(code) {
        format!("{what} failed: no capacity or quota ({code}): {message}")
    } else {
        format!("{what} failed ({code}): {message}")
    };
    ProviderError::new(ErrorKind::Other, msg).with_code(code.to_string())
}
