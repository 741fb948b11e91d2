//! `aws_iam_role.inline_policy`: the role's inline policies, managed exclusively when the
//! block is configured (an empty `inline_policy {}` removes them all), read back always —
//! upstream marks the block computed, so an unconfigured one keeps what the role has.

use crate::clients::Clients;
use crate::error::sdk;
use crate::iam_role::{decode_policy, same_json};
use crate::util::*;
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;
use std::collections::BTreeMap;

/// (name, document) of each configured policy; a block without a name configures none.
fn configured(v: &Value) -> BTreeMap<String, String> {
    v.get_attr("inline_policy")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let name = attr_str(p, "name").filter(|n| !n.is_empty())?;
            Some((name, attr_str(p, "policy").unwrap_or_default()))
        })
        .collect()
}

/// Whether the configuration manages inline policies at all (the block is present).
pub fn managed(config: &Value) -> bool {
    config
        .get_attr("inline_policy")
        .and_then(Value::as_seq)
        .is_some_and(|l| !l.is_empty())
}

/// The planned inline policies: each document in upstream's legacy-normalized text, or the
/// prior text when it means the same.
pub fn plan(prior: Option<&Value>, proposed: &Value) -> Value {
    let before = prior.map(configured).unwrap_or_default();
    let Some(list) = proposed.get_attr("inline_policy").and_then(Value::as_seq) else {
        return proposed.clone();
    };
    let planned = list
        .iter()
        .map(|p| {
            let (Some(name), Some(doc)) = (attr_str(p, "name"), attr_str(p, "policy")) else {
                return p.clone();
            };
            let text = match before.get(&name) {
                Some(old) if same_json(old, &doc) => old.clone(),
                _ => crate::iam_role::legacy_normalized(&doc),
            };
            fill(p, vec![("policy", Value::string(text))])
        })
        .collect();
    fill(proposed, vec![("inline_policy", Value::set(planned))])
}

/// The role's inline policies, each document kept in `prior`'s text when it means the same.
pub async fn read(c: &Clients, role: &str, prior: &Value) -> ProviderResult<Value> {
    let before = configured(prior);
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let r = c
            .iam
            .list_role_policies()
            .role_name(role)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(sdk)?;
        names.extend(r.policy_names().iter().cloned());
        marker = r.marker().map(String::from);
        if !r.is_truncated() || marker.is_none() {
            break;
        }
    }
    let mut out = Vec::new();
    for name in names {
        let r = c
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
            .map_err(sdk)?;
        let live = decode_policy(r.policy_document());
        let doc = match before.get(&name) {
            Some(p) if same_json(p, &live) => p.clone(),
            _ => live,
        };
        out.push(obj(vec![
            ("name", Value::string(&name)),
            ("policy", Value::string(doc)),
        ]));
    }
    Ok(Value::set(out))
}

/// Puts the planned inline policies and deletes the others the role had (`prior`'s).
pub async fn sync(c: &Clients, role: &str, prior: &Value, planned: &Value) -> ProviderResult<()> {
    let (had, want) = (configured(prior), configured(planned));
    for (name, doc) in &want {
        if had.get(name).is_some_and(|d| same_json(d, doc)) {
            continue;
        }
        c.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(doc)
            .send()
            .await
            .map_err(sdk)?;
    }
    for name in had.keys().filter(|n| !want.contains_key(*n)) {
        gone_is_ok(
            c.iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .map_err(sdk),
        )?;
    }
    Ok(())
}
