//! Tags of Glue objects, kept by ARN (GetTags / TagResource / UntagResource), shared by the
//! Glue resource types.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::tag_changes;
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;
use std::collections::{BTreeMap, HashMap};

/// `arn:PARTITION:glue:REGION:ACCOUNT:KIND/NAME`, as upstream builds it for state.
pub async fn arn(c: &Clients, kind: &str, name: &str) -> ProviderResult<String> {
    Ok(format!(
        "arn:{}:glue:{}:{}:{kind}/{name}",
        c.partition(),
        c.region,
        c.account_id().await?
    ))
}

pub fn to_send(t: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!t.is_empty()).then(|| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

pub async fn read(c: &Clients, arn: &str) -> ProviderResult<BTreeMap<String, String>> {
    let r = c
        .glue
        .get_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk)?;
    Ok(r.tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// Brings the object's tags from `prior`'s to what `planned` sends.
pub async fn update(c: &Clients, arn: &str, prior: &Value, planned: &Value) -> ProviderResult<()> {
    let (removed, changed) = tag_changes(prior, planned);
    if !removed.is_empty() {
        c.glue
            .untag_resource()
            .resource_arn(arn)
            .set_tags_to_remove(Some(removed))
            .send()
            .await
            .map_err(sdk)?;
    }
    if !changed.is_empty() {
        c.glue
            .tag_resource()
            .resource_arn(arn)
            .set_tags_to_add(to_send(&changed))
            .send()
            .await
            .map_err(sdk)?;
    }
    Ok(())
}
