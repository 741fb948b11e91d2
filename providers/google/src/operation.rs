//! Long-running operations (`google.longrunning.Operation`: Vertex AI, TPU), polled with
//! backoff from 500 ms to 10 s and no fixed limit (only the resource's `timeouts {}` bounds
//! a wait); the operation's own progress is shown live. A failed operation becomes an error;
//! capacity failures (a stockout) say so and name the zones that have capacity when Google
//! lists them.

use crate::client::{Api, Client};
use gantry_core::provider::{ErrorKind, Progress, ProviderError, ProviderResult};
use serde_json::Value as Json;
use std::time::{Duration, Instant};

/// Waits for a google.longrunning operation; returns its `response`.
pub async fn wait_lro(
    c: &Client,
    api: Api,
    region: &str,
    mut op: Json,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
) -> ProviderResult<Json> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    let name = op["name"].as_str().unwrap_or_default().to_string();
    loop {
        if op["done"].as_bool() == Some(true) {
            if op.get("error").is_some() {
                return Err(operation_error(&op["error"], what));
            }
            return Ok(op["response"].clone());
        }
        let shown = op["metadata"]["progressMessage"]
            .as_str()
            .map(String::from)
            .or_else(|| {
                op["metadata"]["genericMetadata"]["partialFailures"]
                    .as_array()
                    .map(|f| format!("{} partial failures", f.len()))
            })
            .unwrap_or_else(|| format!("{what}: running ({}s)", start.elapsed().as_secs()));
        progress.status(&shown);
        check_limit(start, limit, what)?;
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
        op = c.get(api, region, &name).await?;
    }
}

/// Deletes a resource whose delete is long-running and waits for it; already gone is done.
pub async fn delete_and_wait(
    c: &Client,
    api: Api,
    region: &str,
    name: &str,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
) -> ProviderResult<()> {
    let op = match c.delete(api, region, name).await {
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    wait_lro(c, api, region, op, limit, progress, what)
        .await
        .map(|_| ())
}

fn check_limit(start: Instant, limit: Option<Duration>, what: &str) -> ProviderResult<()> {
    match limit {
        Some(l) if start.elapsed() >= l => Err(ProviderError::new(
            ErrorKind::Other,
            format!("timed out after {}s waiting for {what}", l.as_secs()),
        )),
        _ => Ok(()),
    }
}

/// A google.rpc.Status from a finished operation. Code 8 (RESOURCE_EXHAUSTED) is a stockout
/// or a quota: reported as capacity, with the zones Google says have it.
pub fn operation_error(e: &Json, what: &str) -> ProviderError {
    let code = e["code"].as_i64().unwrap_or(2);
    let message = e["message"].as_str().unwrap_or("no message").to_string();
    let zones = zones_available(&e["details"]);
    let (kind, status) = match code {
        3 => (ErrorKind::Validation, "INVALID_ARGUMENT"),
        5 => (ErrorKind::NotFound, "NOT_FOUND"),
        6 => (ErrorKind::Conflict, "ALREADY_EXISTS"),
        7 => (ErrorKind::Auth, "PERMISSION_DENIED"),
        8 => (ErrorKind::Other, "RESOURCE_EXHAUSTED"),
        9 => (ErrorKind::Conflict, "FAILED_PRECONDITION"),
        14 => (ErrorKind::Transient, "UNAVAILABLE"),
        _ => (ErrorKind::Other, "OPERATION_FAILED"),
    };
    let mut msg = if code == 8 {
        format!("{what} failed: no capacity (RESOURCE_EXHAUSTED): {message}")
    } else {
        format!("{what} failed: {message}")
    };
    if !zones.is_empty() {
        msg.push_str(&format!("\n  zones with capacity: {}", zones.join(", ")));
    }
    ProviderError::new(kind, msg).with_code(status)
}

/// `zonesAvailable` from error details (`errorInfo.metadata.zonesAvailable` in Compute's
/// shape, `metadata.zonesAvailable` in google.rpc.ErrorInfo's), comma separated.
pub(crate) fn zones_available(details: &Json) -> Vec<String> {
    let mut out = Vec::new();
    for d in details.as_array().into_iter().flatten() {
        for meta in [&d["errorInfo"]["metadata"], &d["metadata"]] {
            if let Some(z) = meta["zonesAvailable"].as_str() {
                out.extend(
                    z.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
            }
        }
    }
    out
}
