//! What GKE clusters and node pools share: GKE's own operations (status PENDING → RUNNING →
//! DONE, `error` a google.rpc.Status) polled with backoff and no fixed limit, and GKE's rule
//! of one operation at a time per cluster. gantry serialises its own calls per cluster (node
//! pools planned in parallel queue instead of failing) and, when something else is running
//! an operation on the cluster ("Cluster is running incompatible operation"), waits and
//! retries rather than failing the apply.

use crate::client::Api;
use crate::compute::rel;
use crate::config::Ctx;
use crate::operation::operation_error;
use gantry_core::provider::{ErrorKind, Progress, ProviderError, ProviderResult};
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The cluster's path (`projects/P/locations/L/clusters/C`) of a cluster or pool path.
pub fn cluster_of(path: &str) -> String {
    path.split('/').take(6).collect::<Vec<_>>().join("/")
}

/// gantry's own lock on one cluster, held across a call and its operation.
pub async fn lock(c: &Ctx, cluster: &str) -> tokio::sync::OwnedMutexGuard<()> {
    let m = {
        let mut locks = c.cluster_locks.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(locks.entry(cluster.to_string()).or_default())
    };
    m.lock_owned().await
}

fn is_busy(e: &ProviderError) -> bool {
    e.kind == ErrorKind::Conflict && e.message.contains("incompatible operation")
}

/// A call GKE answers with an operation.
pub struct Call<'a> {
    pub method: reqwest::Method,
    pub path: &'a str,
    pub body: Option<Json>,
}

impl Call<'_> {
    async fn send(&self, c: &Ctx) -> ProviderResult<Json> {
        let body = self.body.clone().unwrap_or(Json::Null);
        match self.method {
            reqwest::Method::DELETE => c.client.delete(Api::Container, "", self.path).await,
            reqwest::Method::PUT => c.client.put(Api::Container, "", self.path, body).await,
            _ => c.client.post(Api::Container, "", self.path, body).await,
        }
    }
}

/// Sends one mutating call on a cluster (or one of its pools) and waits for its operation,
/// serialised with gantry's other calls on that cluster and retried while another client's
/// operation runs.
pub async fn mutate(
    c: &Ctx,
    cluster: &str,
    call: Call<'_>,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
) -> ProviderResult<()> {
    let _held = lock(c, cluster).await;
    let start = Instant::now();
    let mut delay = Duration::from_secs(1);
    let op = loop {
        match call.send(c).await {
            Err(e) if is_busy(&e) && limit.is_none_or(|l| start.elapsed() < l) => {
                progress.status(&format!(
                    "{what}: waiting for another operation on the cluster"
                ));
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            other => break other?,
        }
    };
    wait(
        c,
        op,
        limit.map(|l| l.saturating_sub(start.elapsed())),
        progress,
        what,
    )
    .await
}

/// Waits for a GKE operation.
pub async fn wait(
    c: &Ctx,
    mut op: Json,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
) -> ProviderResult<()> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    let path = rel(op["selfLink"].as_str().unwrap_or_default()).to_string();
    loop {
        if op["status"].as_str() == Some("DONE") {
            return match op.get("error").filter(|e| !e.is_null()) {
                Some(e) => Err(operation_error(e, what)),
                None => Ok(()),
            };
        }
        let detail = op["detail"]
            .as_str()
            .or(op["statusMessage"].as_str())
            .unwrap_or("");
        progress.status(&format!(
            "{what}: {} {detail} ({}s)",
            op["status"].as_str().unwrap_or("PENDING"),
            start.elapsed().as_secs()
        ));
        if let Some(l) = limit.filter(|l| start.elapsed() >= *l) {
            return Err(ProviderError::new(
                ErrorKind::Other,
                format!("timed out after {}s waiting for {what}", l.as_secs()),
            ));
        }
        if !path.starts_with("projects/") {
            return Err(ProviderError::other(format!(
                "{what}: GKE answered with an operation without a selfLink"
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
        op = c.client.get(Api::Container, "", &path).await?;
    }
}
