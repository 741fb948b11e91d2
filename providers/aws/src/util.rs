//! Small helpers shared by the resource types: reading attributes, tags, schemas, waiting.

use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
pub use gantry_core::provider_kit::*;
use gantry_core::value::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The attribute as a string, unless null, unknown or empty (SDKv2's "not set").
pub fn nonempty(v: &Value, k: &str) -> Option<String> {
    attr_str(v, k).filter(|s| !s.is_empty())
}

/// `tags` as a sorted map of strings.
pub fn tags_of(v: &Value) -> BTreeMap<String, String> {
    string_map(v, "tags")
}

/// The tags to send: `tags_all` when planned (provider default tags included), else `tags`.
pub fn send_tags(v: &Value) -> BTreeMap<String, String> {
    match v
        .get_attr("tags_all")
        .filter(|t| !t.is_null() && !t.is_unknown())
    {
        Some(_) => string_map(v, "tags_all"),
        None => tags_of(v),
    }
}

pub fn tags_value(t: &BTreeMap<String, String>) -> Value {
    Value::map(
        t.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
            .collect(),
    )
}

/// The live tags as `tags` (without keys that only provider default tags put there, so those
/// never show as drift; tags added out of band do) and `tags_all` (everything).
pub fn tag_attrs(prior: &Value, live: &BTreeMap<String, String>) -> Vec<(&'static str, Value)> {
    let configured = tags_of(prior);
    let from_defaults: Vec<String> = string_map(prior, "tags_all")
        .into_keys()
        .filter(|k| !configured.contains_key(k))
        .collect();
    let own: BTreeMap<String, String> = live
        .iter()
        .filter(|(k, _)| !from_defaults.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags = if own.is_empty() && prior.get_attr("tags").is_none_or(Value::is_null) {
        Value::Null
    } else {
        tags_value(&own)
    };
    vec![("tags", tags), ("tags_all", tags_value(live))]
}

/// Polls `check` until it says done, with backoff from 200 ms up to 10 s between polls and no
/// fixed limit unless the resource's `timeouts` sets one.
pub async fn wait_until<F, Fut>(
    limit: Option<Duration>,
    what: &str,
    mut check: F,
) -> ProviderResult<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ProviderResult<bool>>,
{
    let start = std::time::Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        if check().await? {
            return Ok(());
        }
        if let Some(l) = limit {
            if start.elapsed() >= l {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("timed out after {}s waiting for {what}", l.as_secs()),
                ));
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// A delete whose object is already gone succeeded.
pub fn gone_is_ok<T>(r: ProviderResult<T>) -> ProviderResult<()> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if crate::error::is_missing(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The name of a named object: configured, or generated as hashicorp/aws generates one
/// (`id.PrefixedUniqueId`: the prefix, `terraform-` by default, then 26 characters). gantry
/// derives the 26 from the create's idempotency token rather than the clock, so a retried
/// create regenerates the same name and adopts what the lost first attempt made.
pub fn name_or_generated(planned: &Value, attr: &str, prefix_attr: &str, token: &str) -> String {
    if let Some(n) = attr_str(planned, attr) {
        return n;
    }
    let prefix = attr_str(planned, prefix_attr).unwrap_or_else(|| "terraform-".into());
    format!("{prefix}{}", unique_suffix(token))
}

/// 26 lowercase hex characters from a seed (the shape of Terraform's unique-id suffix).
pub fn unique_suffix(seed: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..26].to_string()
}

/// The tag keys to remove and the tags to add or change, from `prior`'s `tags_all` to what
/// `planned` sends.
pub fn tag_changes(prior: &Value, planned: &Value) -> (Vec<String>, BTreeMap<String, String>) {
    let (before, after) = (string_map(prior, "tags_all"), send_tags(planned));
    let removed = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    let changed = after
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect();
    (removed, changed)
}

/// The first element of a list block (`max_items = 1`), when present (`None` for a null or
/// unknown block).
pub fn first<'a>(v: &'a Value, block: &str) -> Option<&'a Value> {
    v.get_attr(block)
        .and_then(Value::as_seq)
        .and_then(|l| l.first())
}

/// The items of a list or set block (none when null or unknown).
pub fn blocks<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    v.get_attr(name).and_then(Value::as_seq).unwrap_or_default()
}

/// `proposed` with each of `blocks` (blocks upstream declares Optional + Computed: the cloud
/// fills them when not configured) that the configuration leaves out taken from `prior`, and
/// unknown at create — as SDKv2 plans them.
pub fn keep_computed_blocks(
    blocks: &[&'static str],
    prior: Option<&Value>,
    config: &Value,
    proposed: &Value,
) -> Value {
    let pairs = blocks
        .iter()
        .filter(|b| {
            config
                .get_attr(b)
                .and_then(Value::as_seq)
                .is_none_or(|l| l.is_empty())
        })
        .map(|b| {
            let v = match prior {
                Some(p) => p.get_attr(b).cloned().unwrap_or(Value::Null),
                None => Value::Unknown,
            };
            (*b, v)
        })
        .collect();
    fill(proposed, pairs)
}

/// Whether `planned` differs from `prior` in anything but `ignored` (e.g. tags, which have
/// their own calls): for APIs whose update takes the whole definition.
/// Values compare as SDKv2 compares them: an unset attribute and its zero value ("", 0,
/// false, an empty collection) are the same.
pub fn changed_besides(prior: &Value, planned: &Value, ignored: &[&str]) -> bool {
    planned.as_map().into_iter().flatten().any(|(k, v)| {
        !ignored.contains(&k.as_str())
            && legacy_normal(prior.get_attr(k).unwrap_or(&Value::Null)) != legacy_normal(v)
    })
}

/// `v` with every zero value (and every object key holding one) made null and sets as
/// sorted lists, so two values SDKv2 treats as equal compare equal.
pub fn legacy_normal(v: &Value) -> Value {
    match v {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::Number(n) if *n == 0.0 => Value::Null,
        Value::Bool(false) => Value::Null,
        Value::List(l) | Value::Set(l) if l.is_empty() => Value::Null,
        Value::List(l) => Value::list(l.iter().map(legacy_normal).collect()),
        // State read back from JSON holds a set as a list: compare sets as sorted lists.
        Value::Set(l) => {
            let mut items: Vec<Value> = l.iter().map(legacy_normal).collect();
            items.sort_by_key(|x| x.to_json().to_string());
            Value::list(items)
        }
        Value::Map(m) => {
            let kept: gantry_core::value::Map = m
                .iter()
                .map(|(k, x)| (k.clone(), legacy_normal(x)))
                .filter(|(_, x)| !x.is_null())
                .collect();
            if kept.is_empty() {
                Value::Null
            } else {
                Value::map(kept)
            }
        }
        Value::Sensitive(x) => legacy_normal(x),
        other => other.clone(),
    }
}

/// An object of `block` as SDKv2 records it in state: what `v` leaves out takes its zero
/// value — "" / 0 / false for primitives, null for collections and single blocks, an empty
/// list (or set) for list and set blocks, whose items are filled the same way. Readers then set only what they read.
pub fn sdkv2_fill(block: &gantry_core::provider::BlockSchema, v: &Value) -> Value {
    use gantry_core::provider::Nesting;
    use gantry_core::types::Type;
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    for (name, a) in &block.attributes {
        if v.get_attr(name).is_some() {
            continue;
        }
        let zero = match a.ty {
            Type::String => Value::string(""),
            Type::Number => Value::Number(0.0),
            Type::Bool => Value::Bool(false),
            _ => Value::Null,
        };
        pairs.push((name.as_str(), zero));
    }
    for (name, nb) in &block.blocks {
        let items: Vec<Value> = v
            .get_attr(name)
            .and_then(Value::as_seq)
            .unwrap_or_default()
            .iter()
            .map(|item| sdkv2_fill(&nb.block, item))
            .collect();
        let filled = match nb.nesting {
            Nesting::Set => Value::set(items),
            Nesting::List => Value::list(items),
            // A single block (`timeouts`) is an object or null, never a list.
            Nesting::Single => match v.get_attr(name) {
                Some(x) => x.clone(),
                None => Value::Null,
            },
        };
        pairs.push((name.as_str(), filled));
    }
    fill(v, pairs)
}

/// What a wait is for: the object (for messages), the statuses that mean ready, and whether
/// the object should be gone instead.
pub struct Awaited<'a> {
    pub object: String,
    pub ready: &'a [&'a str],
    pub gone: bool,
}

/// Polls `fetch` — the object's `(status, failure reason)`, `None` once it is gone — until
/// it is `ready` (or gone), showing each status, with no fixed limit unless `limit`. A
/// status `failed` says is an error naming the object and the cloud's reason.
pub async fn wait_for_status<F, Fut>(
    limit: Option<Duration>,
    awaited: Awaited<'_>,
    progress: &dyn gantry_core::provider::Progress,
    failed: impl Fn(&str) -> bool,
    mut fetch: F,
) -> ProviderResult<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ProviderResult<Option<(String, String)>>>,
{
    let what = format!(
        "{} to be {}",
        awaited.object,
        if awaited.gone {
            "deleted".to_string()
        } else {
            awaited.ready.join(" or ")
        }
    );
    let failed = &failed;
    let awaited = &awaited;
    wait_until(limit, &what, || {
        let next = fetch();
        async move {
            let Some((status, reason)) = next.await? else {
                return Ok(awaited.gone);
            };
            progress.status(&status);
            if failed(&status) {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("{} is {status}: {reason}", awaited.object),
                ));
            }
            Ok(!awaited.gone && awaited.ready.contains(&status.as_str()))
        }
    })
    .await
}
