//! What Compute Engine resources share: names scoped to a project and a zone, a region or
//! `global` (`projects/P/zones/Z/instances/N`), Compute's own operations (zonal, regional,
//! global: `status` PENDING → RUNNING → DONE with `progress` and `error.errors[]`) polled with
//! backoff and no fixed limit, and its operation errors classified — a stockout
//! (`ZONE_RESOURCE_POOL_EXHAUSTED`) names the zones that have capacity.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::operation::zones_available;
use gantry_core::provider::{ErrorKind, Progress, ProviderError, ProviderResult};
use gantry_core::provider_kit::*;
use gantry_core::value::Value;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Region,
    Zone,
}

/// One Compute collection (`instances` in zones, `subnetworks` in regions, `networks`).
pub struct Scoped {
    pub scope: Scope,
    pub collection: &'static str,
}

impl Scoped {
    fn location(&self, c: &Ctx, v: &Value) -> ProviderResult<Option<String>> {
        Ok(match self.scope {
            Scope::Global => None,
            Scope::Region => Some(c.region(v, "region")?),
            Scope::Zone => Some(c.zone(v)?),
        })
    }

    fn path(&self, project: &str, loc: Option<&str>, name: &str) -> String {
        match (self.scope, loc) {
            (Scope::Zone, Some(z)) => {
                format!("projects/{project}/zones/{z}/{}/{name}", self.collection)
            }
            (Scope::Region, Some(r)) => {
                format!("projects/{project}/regions/{r}/{}/{name}", self.collection)
            }
            _ => format!("projects/{project}/global/{}/{name}", self.collection),
        }
    }

    /// The object's path (the recorded `id` when there is one, hashicorp/google's id format).
    pub fn name(&self, c: &Ctx, v: &Value) -> ProviderResult<String> {
        if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("projects/")) {
            return Ok(id);
        }
        let loc = self.location(c, v)?;
        Ok(self.path(&c.project(v)?, loc.as_deref(), &need_str(v, "name")?))
    }

    /// The collection's path (where `insert` posts) for an object.
    pub fn parent(&self, c: &Ctx, v: &Value) -> ProviderResult<String> {
        let name = self.name(c, v)?;
        Ok(name
            .rsplit_once('/')
            .map(|(p, _)| p.to_string())
            .unwrap_or(name))
    }

    /// Fills project, location and `id` into a create's planned object.
    pub fn plan_identity(&self, c: &Ctx, mut planned: Value) -> Value {
        let loc_attr = match self.scope {
            Scope::Global => None,
            Scope::Region => Some(("region", &c.region)),
            Scope::Zone => Some(("zone", &c.zone)),
        };
        for (k, d) in [("project", &c.project)].into_iter().chain(loc_attr) {
            if attr_str(&planned, k).is_none() {
                if let Some(d) = d {
                    planned = fill(&planned, vec![(k, Value::string(d))]);
                }
            }
        }
        if let Ok(id) = self.name(c, &planned) {
            planned = fill(&planned, vec![("id", Value::string(id))]);
        }
        planned
    }

    /// The live object, or None when it is gone.
    pub async fn get(&self, c: &Ctx, v: &Value) -> ProviderResult<Option<Json>> {
        c.client.get_opt(Api::Compute, "", &self.name(c, v)?).await
    }

    /// Deletes the object and waits for it (already gone is done), within `timeouts.delete`.
    pub async fn delete(
        &self,
        c: &Ctx,
        v: &Value,
        progress: &dyn Progress,
        what: &str,
    ) -> ProviderResult<()> {
        delete_and_wait(c, &self.name(c, v)?, timeout(v, "delete"), progress, what).await
    }

    /// What to read for an import id: an object holding only the path as its `id`.
    pub fn import_prior(&self, c: &Ctx, id: &str) -> ProviderResult<Value> {
        Ok(obj(vec![("id", Value::string(self.import_path(c, id)?))]))
    }

    /// An import id in any of hashicorp/google's forms (`projects/P/zones/Z/instances/N`,
    /// `P/Z/N`, `Z/N` or `N` with the provider's defaults) as the object's path.
    pub fn import_path(&self, c: &Ctx, id: &str) -> ProviderResult<String> {
        let id = id.trim_start_matches('/');
        let parts: Vec<&str> = id.split('/').collect();
        let full_len = if self.scope == Scope::Global { 5 } else { 6 };
        if parts.len() == full_len && parts[0] == "projects" {
            return Ok(id.to_string());
        }
        let with_loc = self.scope != Scope::Global;
        let (project, loc, name) = match (parts.as_slice(), with_loc) {
            ([p, l, n], true) => (p.to_string(), Some(l.to_string()), *n),
            ([l, n], true) => (c.project(&Value::Null)?, Some(l.to_string()), *n),
            ([p, n], false) => (p.to_string(), None, *n),
            ([n], _) => (
                c.project(&Value::Null)?,
                self.location(c, &Value::Null)?,
                *n,
            ),
            _ => {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!(
                        "import id {id:?} must look like {}",
                        self.path("PROJECT", Some("LOCATION"), "NAME")
                    ),
                ))
            }
        };
        Ok(self.path(&project, loc.as_deref(), name))
    }
}

/// The `projects/...` path of a Compute URL (selfLink, zone, network), or the string itself.
pub fn rel(url: &str) -> &str {
    match url.find("/projects/") {
        Some(i) if url.contains("://") => &url[i + 1..],
        _ => url,
    }
}

/// The last segment of a Compute URL or path (`zones/us-central1-a` → `us-central1-a`).
pub fn short(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

/// Keeps the configuration's spelling of a reference (`default`, `nvidia-l4`) when the live
/// URL names the same object, so a short name in the configuration is not a change.
pub fn same_ref(prior: Option<String>, live: &str) -> Value {
    match prior {
        Some(p) if short(&p) == short(live) => Value::string(p),
        _ if live.is_empty() => Value::Null,
        _ => Value::string(live),
    }
}

/// Whether two references name the same object: equal paths (URL or not), or equal names
/// when one side is a bare name — hashicorp/google's compareSelfLinkOrResourceName.
pub fn same_object(a: &str, b: &str) -> bool {
    rel(a) == rel(b) || ((!a.contains('/') || !b.contains('/')) && short(a) == short(b))
}

/// The planned value of reference attribute `k` with the prior's spelling kept when both
/// name the same object, so `default` against a recorded self link is not a change.
pub fn keep_prior_ref(prior: &Value, planned: Value, k: &str) -> Value {
    match (attr_str(prior, k), attr_str(&planned, k)) {
        (Some(p), Some(n)) if p != n && same_object(&p, &n) => {
            fill(&planned, vec![(k, Value::string(p))])
        }
        _ => planned,
    }
}

/// A network reference as Compute takes it: a bare name is the project's global network.
pub fn network_ref(project: &str, n: &str) -> String {
    if n.contains('/') {
        rel(n).to_string()
    } else {
        format!("projects/{project}/global/networks/{n}")
    }
}

/// Sends a Compute call that answers with an operation and waits for it.
pub async fn call_and_wait(
    c: &Ctx,
    method: reqwest::Method,
    path: &str,
    body: Option<Json>,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
) -> ProviderResult<()> {
    let op = match method {
        reqwest::Method::DELETE => c.client.delete(Api::Compute, "", path).await?,
        reqwest::Method::PATCH => {
            c.client
                .patch(Api::Compute, "", path, body.unwrap_or(Json::Null))
                .await?
        }
        _ => {
            c.client
                .post(Api::Compute, "", path, body.unwrap_or(Json::Null))
                .await?
        }
    };
    wait(c, op, limit, progress, what).await
}

/// Deletes a Compute object and waits; already gone is done.
pub async fn delete_and_wait(
    c: &Ctx,
    path: &str,
    limit: Option<Duration>,
    progress: &dyn Progress,
    what: &str,
) -> ProviderResult<()> {
    match call_and_wait(
        c,
        reqwest::Method::DELETE,
        path,
        None,
        limit,
        progress,
        what,
    )
    .await
    {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Waits for a Compute operation (backoff 500 ms → 10 s, bounded only by `limit`).
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
            if let Some(errors) = op["error"]["errors"].as_array() {
                return Err(operation_error(errors, what));
            }
            return Ok(());
        }
        progress.status(&format!(
            "{what}: {} {}% ({}s)",
            op["status"].as_str().unwrap_or("PENDING"),
            op["progress"].as_i64().unwrap_or(0),
            start.elapsed().as_secs()
        ));
        if let Some(l) = limit.filter(|l| start.elapsed() >= *l) {
            return Err(ProviderError::new(
                ErrorKind::Other,
                format!("timed out after {}s waiting for {what}", l.as_secs()),
            ));
        }
        if path.is_empty() {
            return Err(ProviderError::other(format!(
                "{what}: Compute answered with an operation without a selfLink"
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
        op = c.client.get(Api::Compute, "", &path).await?;
    }
}

/// Compute's operation errors (`[{code, message, errorDetails}]`) as one classified error.
fn operation_error(errors: &[Json], what: &str) -> ProviderError {
    let code = errors
        .first()
        .and_then(|e| e["code"].as_str())
        .unwrap_or("OPERATION_FAILED")
        .to_string();
    let messages: Vec<&str> = errors
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    let mut zones = vec![];
    for e in errors {
        zones.extend(zones_available(&e["errorDetails"]));
    }
    let stockout = code.starts_with("ZONE_RESOURCE_POOL_EXHAUSTED");
    let kind = match code.as_str() {
        "RESOURCE_NOT_FOUND" => ErrorKind::NotFound,
        "ALREADY_EXISTS" | "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE" => ErrorKind::Conflict,
        "INVALID_FIELD_VALUE" | "BAD_REQUEST" => ErrorKind::Validation,
        _ => ErrorKind::Other,
    };
    let mut msg = if stockout {
        format!(
            "{what} failed: no capacity ({code}): {}",
            messages.join("; ")
        )
    } else {
        format!("{what} failed ({code}): {}", messages.join("; "))
    };
    if !zones.is_empty() {
        msg.push_str(&format!("\n  zones with capacity: {}", zones.join(", ")));
    }
    ProviderError::new(kind, msg).with_code(code)
}

/// Every object of a zonal collection in a project, by path, through `aggregatedList`
/// (paged): one call for all zones instead of one `get` per object.
pub async fn aggregated(
    c: &Ctx,
    project: &str,
    collection: &str,
) -> ProviderResult<HashMap<String, Json>> {
    let mut all = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut p = format!("projects/{project}/aggregated/{collection}?maxResults=500");
        if let Some(t) = &token {
            p.push_str(&format!("&pageToken={}", enc(t)));
        }
        let page = c.client.get(Api::Compute, "", &p).await?;
        for scoped in page["items"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for item in scoped[collection].as_array().into_iter().flatten() {
                if let Some(link) = item["selfLink"].as_str() {
                    all.insert(rel(link).to_string(), item.clone());
                }
            }
        }
        token = page["nextPageToken"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(String::from);
        if token.is_none() {
            return Ok(all);
        }
    }
}
