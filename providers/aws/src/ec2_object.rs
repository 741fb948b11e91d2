//! What the tagged EC2 networking objects share (VPCs, subnets, security groups, gateways,
//! addresses, route tables, endpoints): one [`Ec2Kind`] per type says how to describe, create,
//! change and delete it; [`Ec2`] turns that into a full resource type with
//! - the `gantry:token` tag in the create's TagSpecifications (and the API's ClientToken where
//!   it has one), so an interrupted create is found by its tag, never made twice;
//! - batched refresh: one Describe call per 200 ids;
//! - tags and `tags_all` kept in sync with CreateTags / DeleteTags.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType as Ec2ResourceType, Tag, TagSpecification};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub const TOKEN_TAG: &str = "gantry:token";
/// Describe calls take at most 200 filter values.
const BATCH: usize = 200;

/// How a Describe call selects objects.
pub enum By<'a> {
    Ids(&'a [String]),
    Token(&'a str),
}

impl By<'_> {
    /// The filter selecting by this: `id_filter` (e.g. `vpc-id`) with the ids, or the token tag.
    pub fn filter(&self, id_filter: &str) -> Filter {
        match self {
            By::Ids(ids) => Filter::builder()
                .name(id_filter)
                .set_values(Some(ids.to_vec()))
                .build(),
            By::Token(t) => Filter::builder()
                .name(format!("tag:{TOKEN_TAG}"))
                .values(*t)
                .build(),
        }
    }
}

/// One live object as a kind describes it.
pub struct Live {
    pub id: String,
    /// Every tag but the token tag.
    pub tags: BTreeMap<String, String>,
    /// Attribute values read from the API (id, tags and tags_all are added by [`Ec2`]).
    pub attrs: Vec<(&'static str, Value)>,
}

/// The live tags of an SDK tag list, without the token tag.
pub fn live_tags(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|t| t.key() != Some(TOKEN_TAG))
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// The TagSpecifications of a create: the planned tags plus the token tag.
pub fn tag_spec(kind: Ec2ResourceType, planned: &Value, token: &str) -> TagSpecification {
    let mut tags: Vec<Tag> = send_tags(planned)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    tags.push(Tag::builder().key(TOKEN_TAG).value(token).build());
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags))
        .build()
}

/// Brings an object's tags from `prior`'s `tags_all` to `planned`'s.
pub async fn sync_tags(
    c: &Clients,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> ProviderResult<()> {
    let (removed, changed) = tag_changes(prior, planned);
    if !removed.is_empty() {
        let keys = removed.iter().map(|k| Tag::builder().key(k).build());
        c.ec2
            .delete_tags()
            .resources(id)
            .set_tags(Some(keys.collect()))
            .send()
            .await
            .map_err(sdk)?;
    }
    if !changed.is_empty() {
        let tags = changed
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build());
        c.ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .map_err(sdk)?;
    }
    Ok(())
}

/// The strings of a set/list attribute as an SDK argument (`None` when unset).
pub fn string_list(v: &Value, k: &str) -> Option<Vec<String>> {
    v.get_attr(k)
        .filter(|x| !x.is_null() && !x.is_unknown())
        .map(|_| strings(v, k))
}

pub fn string_set(items: impl IntoIterator<Item = impl AsRef<str>>) -> Value {
    Value::set(items.into_iter().map(Value::string).collect())
}

#[async_trait]
pub trait Ec2Kind: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> ResourceSchema;
    fn implemented(&self) -> &'static [&'static str];
    /// Objects selected by ids or by the token tag; objects being deleted are left out.
    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>>;
    /// Makes the object (the token tag in its TagSpecifications); returns its id.
    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String>;
    /// After create (also when a create is adopted): settings the create call cannot carry,
    /// waiting until usable.
    async fn configure(
        &self,
        _c: &Clients,
        _id: &str,
        _prior: Option<&Value>,
        _planned: &Value,
    ) -> ProviderResult<()> {
        Ok(())
    }
    /// Plan-time checks; the default keeps the proposed object.
    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse::of(req.proposed.clone()))
    }
    async fn delete(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<()>;
    /// The id CreateTags / DescribeTags know the object by: its `id`, except for types whose
    /// Terraform id is a name (placement groups, key pairs tag by `pg-…` / `key-…`).
    fn tag_target(&self, value: &Value) -> Option<String> {
        attr_str(value, "id")
    }
}

/// A resource type made of an [`Ec2Kind`].
pub struct Ec2<K>(pub K);

impl<K: Ec2Kind> Ec2<K> {
    fn value(&self, prior: &Value, live: Live) -> Value {
        let mut pairs = live.attrs;
        pairs.push(("id", Value::string(&live.id)));
        pairs.extend(tag_attrs(prior, &live.tags));
        fill(prior, pairs)
    }
}

#[async_trait]
impl<K: Ec2Kind> ResourceType for Ec2<K> {
    fn name(&self) -> &'static str {
        self.0.type_name()
    }
    fn schema(&self) -> ResourceSchema {
        self.0.schema()
    }
    fn implemented(&self) -> &'static [&'static str] {
        self.0.implemented()
    }

    async fn plan(&self, c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        self.0.plan(c, req).await
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let id = match self.0.create(c, planned, op.token).await {
            Ok(id) => id,
            // A name taken — by an earlier attempt of this very create whose answer was lost
            // (the SDK re-sends on a dropped connection), or by someone else: ours only if it
            // carries this operation's token.
            Err(e) if is_duplicate(&e) => {
                return match self.find_by_token(c, op.token, planned).await? {
                    Some(v) => Ok(v),
                    None => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let base = fill(planned, vec![("id", Value::string(&id))]);
        if let Err(mut e) = self.0.configure(c, &id, None, planned).await {
            // The object exists: hand it back with the error so it is recorded (tainted).
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        self.read_many(c, std::slice::from_ref(prior))
            .await
            .pop()
            .unwrap_or(Ok(None))
    }

    async fn read_many(&self, c: &Clients, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let ids: Vec<String> = priors.iter().filter_map(|p| attr_str(p, "id")).collect();
        let mut found: BTreeMap<String, Live> = BTreeMap::new();
        for chunk in ids.chunks(BATCH) {
            match self.0.describe(c, By::Ids(chunk)).await {
                Ok(list) => found.extend(list.into_iter().map(|l| (l.id.clone(), l))),
                // An id that no longer exists fails the whole call on some APIs: read one by one.
                Err(e) if e.kind == ErrorKind::NotFound && chunk.len() > 1 => {
                    for id in chunk {
                        match self.0.describe(c, By::Ids(std::slice::from_ref(id))).await {
                            Ok(list) => found.extend(list.into_iter().map(|l| (l.id.clone(), l))),
                            Err(e) if e.kind == ErrorKind::NotFound => {}
                            Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
                        }
                    }
                }
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
            }
        }
        priors
            .iter()
            .map(|p| {
                let id = attr_str(p, "id").unwrap_or_default();
                Ok(found.remove(&id).map(|l| self.value(p, l)))
            })
            .collect()
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        self.0.configure(c, &id, Some(prior), planned).await?;
        let target = self.0.tag_target(prior).unwrap_or_else(|| id.clone());
        sync_tags(c, &target, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let id = need_str(prior, "id")?;
        gone_is_ok(self.0.delete(c, &id, prior).await)
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        let Some(target) = self.0.tag_target(value) else {
            return Err(invalid("the object has no id to untag"));
        };
        c.ec2
            .delete_tags()
            .resources(&target)
            .tags(Tag::builder().key(TOKEN_TAG).build())
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // Some Describe calls ignore tag filters (moto's, for a few types): keep only what
        // really carries the token.
        let mut live = None;
        for candidate in self.0.describe(c, By::Token(token)).await? {
            let target = candidate
                .attrs
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .chain([("id", Value::string(&candidate.id))]);
            let target = self.0.tag_target(&obj(target.collect()));
            if carries_token(c, target.as_deref().unwrap_or(&candidate.id), token).await? {
                live = Some(candidate);
                break;
            }
        }
        let Some(live) = live else {
            return Ok(None);
        };
        let id = live.id.clone();
        // The create may have stopped before its follow-up settings: make them now.
        self.0.configure(c, &id, None, planned).await?;
        let base = fill(planned, vec![("id", Value::string(&id))]);
        self.read(c, &base).await
    }
}

async fn carries_token(c: &Clients, id: &str, token: &str) -> ProviderResult<bool> {
    let r = c
        .ec2
        .describe_tags()
        .filters(Filter::builder().name("resource-id").values(id).build())
        .filters(Filter::builder().name("key").values(TOKEN_TAG).build())
        .send()
        .await
        .map_err(sdk)?;
    Ok(r.tags().iter().any(|t| t.value() == Some(token)))
}

/// EC2's "that name is taken" errors (`InvalidGroup.Duplicate`,
/// `InvalidPlacementGroup.Duplicate`, `InvalidKeyPair.Duplicate`…).
fn is_duplicate(e: &ProviderError) -> bool {
    e.code.as_deref().is_some_and(|c| {
        c.ends_with(".Duplicate") || c.contains("AlreadyExists") || c == "InvalidSubnet.Conflict"
    })
}

/// An error for a planned object that lacks what the API needs.
pub fn invalid(msg: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, msg)
}

/// Deletes that EC2 refuses with `DependencyViolation` while a dependent is still being
/// released (an ENI of a deleted NAT gateway or instance, a detaching gateway) are retried for
/// up to five minutes, as hashicorp/aws does; then the refusal is the error.
pub async fn retry_dependency_violation<F, Fut, T>(what: &str, mut call: F) -> ProviderResult<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ProviderResult<T>>,
{
    let start = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(200);
    loop {
        match call().await {
            Ok(_) => return Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e)
                if matches!(
                    e.code.as_deref(),
                    Some("DependencyViolation") | Some("InvalidIPAddress.InUse")
                ) && start.elapsed() < std::time::Duration::from_secs(300) =>
            {
                tracing::info!("{what} still has dependents; retrying its delete");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(10));
            }
            Err(e) => return Err(e),
        }
    }
}
