//! Batched refresh: objects of one collection are read with one `list` call per
//! project and location (paged), instead of one `get` per object.

use crate::client::Api;
use crate::config::Ctx;
use gantry_core::provider::ProviderResult;
use gantry_core::provider_kit::attr_str;
use gantry_core::value::Value;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};

/// Reads `priors` (whose `id` is their full resource name) by listing
/// `projects/P/locations/L/{collection}`; objects missing from the listing are gone.
/// `api` is Vertex AI's or TPU's; `convert` turns a listed object into the state value.
pub async fn read_by_listing<F>(
    c: &Ctx,
    api: Api,
    priors: &[Value],
    collection: &str,
    convert: F,
) -> Vec<ProviderResult<Option<Value>>>
where
    F: Fn(&Value, &Json, &str) -> Value + Send + Sync,
{
    let field = collection.to_string();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in priors.iter().enumerate() {
        let id = attr_str(p, "id").unwrap_or_default();
        let parent = id
            .find(&format!("/{collection}/"))
            .map(|at| id[..at].to_string())
            .unwrap_or_default();
        groups.entry(parent).or_default().push(i);
    }
    let mut out: Vec<Option<ProviderResult<Option<Value>>>> = priors.iter().map(|_| None).collect();
    for (parent, idx) in groups {
        let loc = parent.split('/').nth(3).unwrap_or_default().to_string();
        let listed = if parent.is_empty() {
            Err(gantry_core::provider::ProviderError::other(
                "no resource name recorded",
            ))
        } else {
            list_all(c, api, &loc, &format!("{parent}/{collection}"), &field).await
        };
        for i in idx {
            out[i] = Some(match &listed {
                Err(e) => Err(e.clone()),
                Ok(by_name) => {
                    let id = attr_str(&priors[i], "id").unwrap_or_default();
                    Ok(by_name.get(&id).map(|j| convert(&priors[i], j, &loc)))
                }
            });
        }
    }
    out.into_iter().map(|o| o.unwrap_or(Ok(None))).collect()
}

async fn list_all(
    c: &Ctx,
    api: Api,
    loc: &str,
    path: &str,
    field: &str,
) -> ProviderResult<HashMap<String, Json>> {
    let mut all = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut p = format!("{path}?pageSize=500");
        if let Some(t) = &token {
            p.push_str(&format!("&pageToken={}", crate::client::enc(t)));
        }
        let page = c.client.get(api, loc, &p).await?;
        for item in page[field].as_array().into_iter().flatten() {
            if let Some(n) = item["name"].as_str() {
                all.insert(n.to_string(), item.clone());
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
