//! The shape most azurerm resources share — a resource in a group (or under a parent),
//! created by PUT, read by GET, changed by PATCH (or PUT), deleted by DELETE, imported by id —
//! written once: a type describes its ARM kind, api-version, schema, bodies and state, and
//! [`Arm`] makes it a [`ResourceType`].

use crate::client::Wait;
use crate::config::Ctx;
use crate::resource_group::plan_location;
use crate::{ids, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::Value as Json;

pub enum Parent {
    /// `provider/type` in a resource group named by `resource_group_name`.
    Group(&'static str),
    /// A child collection under the id in attribute `attr` (`agentPools` under a cluster).
    Under {
        attr: &'static str,
        collection: &'static str,
    },
    /// A child collection under a resource in a group named by attribute `parent_attr`
    /// (`subnets` under the virtual network `virtual_network_name`).
    GroupChild {
        kind: &'static str,
        parent_attr: &'static str,
        collection: &'static str,
    },
}

pub enum Update {
    Patch,
    Put,
}

pub trait ArmType: Send + Sync + 'static {
    const NAME: &'static str;
    const PARENT: Parent;
    const API: &'static str;
    const UPDATE: Update;
    fn schema() -> ResourceSchema;
    /// The create (and PUT-update) body.
    fn body(v: &Value) -> ProviderResult<Json>;
    /// The PATCH body for an update (default: the PUT body).
    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        Self::body(planned)
    }
    /// State from the live JSON.
    fn state(prior: &Value, j: &Json) -> Value;
    /// A query the delete carries (`underlyingResourceAction=Delete`).
    const DELETE_QUERY: Option<&'static str> = None;
    /// A POST action whose answer the state needs too (`listKeys`): its JSON is passed to
    /// [`ArmType::state`] as the live JSON's `_action` member.
    const ACTION: Option<&'static str> = None;
    /// An update's planned value adjusted against the prior (Optional+Computed blocks the
    /// configuration leaves out keep what the service chose).
    fn settle(_prior: &Value, planned: Value) -> Value {
        planned
    }
    /// Plan-time checks and notes.
    fn notes(_planned: &Value) -> ProviderResult<Vec<String>> {
        Ok(vec![])
    }
}

pub struct Arm<T>(pub std::marker::PhantomData<T>);

impl<T> Arm<T> {
    pub fn new() -> Self {
        Arm(std::marker::PhantomData)
    }
}

/// The live JSON, with the type's action answer attached when it has one.
async fn live<T: ArmType>(c: &Ctx, id: &str, mut j: Json) -> ProviderResult<Json> {
    if let Some(action) = T::ACTION {
        let extra = c
            .client
            .post(&format!("{id}/{action}"), T::API, &serde_json::json!({}))
            .await?;
        j["_action"] = extra;
    }
    Ok(j)
}

/// Every resource of a collection, following `nextLink`.
async fn list_all<T: ArmType>(c: &Ctx, collection: &str) -> ProviderResult<Vec<Json>> {
    let mut all = vec![];
    let mut page = c.client.get(collection, T::API).await?;
    loop {
        all.extend(page["value"].as_array().cloned().unwrap_or_default());
        match page["nextLink"].as_str().filter(|s| !s.is_empty()) {
            Some(next) => page = c.client.get(next, T::API).await?,
            None => return Ok(all),
        }
    }
}

pub fn id_of<T: ArmType>(c: &Ctx, v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("/subscriptions/")) {
        return Ok(id);
    }
    let name = need_str(v, "name")?;
    Ok(match T::PARENT {
        Parent::Group(kind) => format!(
            "{}/providers/{kind}/{name}",
            ids::group(&c.subscription()?, &need_str(v, "resource_group_name")?)
        ),
        Parent::Under { attr, collection } => format!("{}/{collection}/{name}", need_str(v, attr)?),
        Parent::GroupChild {
            kind,
            parent_attr,
            collection,
        } => format!(
            "{}/providers/{kind}/{}/{collection}/{name}",
            ids::group(&c.subscription()?, &need_str(v, "resource_group_name")?),
            need_str(v, parent_attr)?
        ),
    })
}

fn last_collection<T: ArmType>() -> &'static str {
    match T::PARENT {
        Parent::Group(kind) => kind.rsplit('/').next().unwrap_or(kind),
        Parent::Under { collection, .. } | Parent::GroupChild { collection, .. } => collection,
    }
}

#[async_trait]
impl<T: ArmType> ResourceType for Arm<T> {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn schema(&self) -> ResourceSchema {
        T::schema()
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = plan_location(req.prior, req.proposed.clone());
        match req.prior {
            None => {
                if let Ok(i) = id_of::<T>(c, &planned) {
                    planned = fill(&planned, vec![("id", Value::string(i))]);
                }
            }
            Some(prior) => planned = T::settle(prior, planned),
        }
        let notes = if planned.is_wholly_known() {
            T::notes(&planned)?
        } else {
            vec![]
        };
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes,
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let what = format!("creating {}", T::NAME);
        let w = Wait {
            limit: timeout(planned, "create"),
            progress: op.progress,
            what: &what,
        };
        let id = id_of::<T>(c, planned)?;
        let body = T::body(planned)?;
        let j = c
            .client
            .change(Method::PUT, &id, T::API, Some(&body), w)
            .await?;
        Ok(T::state(planned, &live::<T>(c, &id, j).await?))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = id_of::<T>(c, prior)?;
        match c.client.get_opt(&id, T::API).await? {
            Some(j) => Ok(Some(T::state(prior, &live::<T>(c, &id, j).await?))),
            None => Ok(None),
        }
    }

    /// One list per parent collection (resources of a type per group, pools per cluster),
    /// paged by `nextLink`, instead of one GET per object.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut lists: std::collections::BTreeMap<String, ProviderResult<Vec<Json>>> =
            Default::default();
        let mut out = Vec::with_capacity(priors.len());
        for p in priors {
            let id = match id_of::<T>(c, p) {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let collection = id
                .rsplit_once('/')
                .map(|(c, _)| c.to_string())
                .unwrap_or_default();
            if let std::collections::btree_map::Entry::Vacant(slot) =
                lists.entry(collection.to_lowercase())
            {
                slot.insert(list_all::<T>(c, &collection).await);
            }
            let found = match &lists[&collection.to_lowercase()] {
                Ok(items) => items
                    .iter()
                    .find(|j| {
                        j["id"]
                            .as_str()
                            .is_some_and(|x| x.eq_ignore_ascii_case(&id))
                    })
                    .cloned(),
                Err(e) if e.kind == gantry_core::provider::ErrorKind::NotFound => None,
                Err(e) => {
                    out.push(Err(e.clone()));
                    continue;
                }
            };
            out.push(match found {
                None => Ok(None),
                Some(j) => live::<T>(c, &id, j).await.map(|j| Some(T::state(p, &j))),
            });
        }
        out
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let what = format!("updating {}", T::NAME);
        let w = Wait {
            limit: timeout(planned, "update"),
            progress: op.progress,
            what: &what,
        };
        let (method, body) = match T::UPDATE {
            Update::Patch => (Method::PATCH, T::patch(prior, planned)?),
            Update::Put => (Method::PUT, T::body(planned)?),
        };
        let id = id_of::<T>(c, prior)?;
        let j = c.client.change(method, &id, T::API, Some(&body), w).await?;
        Ok(T::state(planned, &live::<T>(c, &id, j).await?))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let what = format!("deleting {}", T::NAME);
        let w = Wait {
            limit: timeout(prior, "delete"),
            progress: op.progress,
            what: &what,
        };
        let mut id = id_of::<T>(c, prior)?;
        if let Some(q) = T::DELETE_QUERY {
            id = format!("{id}?{q}");
        }
        c.client
            .change(Method::DELETE, &id, T::API, None, w)
            .await
            .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        ids::check(id, last_collection::<T>(), "import id")?;
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}

/// The name / resource group / location triple of a resource in a group, from its JSON.
pub fn placed(j: &Json) -> Vec<(&'static str, Value)> {
    let rid = j["id"].as_str().unwrap_or_default();
    vec![
        ("id", Value::string(rid)),
        ("name", crate::util::s(j, "name")),
        (
            "resource_group_name",
            Value::string(ids::group_of(rid).unwrap_or_default()),
        ),
        (
            "location",
            Value::string(crate::util::location_norm(
                j["location"].as_str().unwrap_or_default(),
            )),
        ),
        ("tags", crate::util::tags_value(j)),
    ]
}
