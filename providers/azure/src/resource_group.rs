//! `azurerm_resource_group`: tags change in place (PATCH); name and location make a new one.

use crate::client::Wait;
use crate::config::Ctx;
use crate::util::*;
use crate::{ids, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct ResourceGroup;
const API: &str = "2022-09-01";

fn id(c: &Ctx, v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("/subscriptions/")) {
        return Ok(id);
    }
    Ok(ids::group(&c.subscription()?, &need_str(v, "name")?))
}

#[async_trait]
impl ResourceType for ResourceGroup {
    fn name(&self) -> &'static str {
        "azurerm_resource_group"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes.insert("managed_by".into(), opt(Type::String));
        b.attributes.insert("id".into(), comp(Type::String));
        tags_schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A resource group.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let planned = plan_location(req.prior, req.proposed.clone());
        let planned = if req.prior.is_none() {
            match id(c, &planned) {
                Ok(i) => fill(&planned, vec![("id", Value::string(i))]),
                Err(_) => planned,
            }
        } else {
            planned
        };
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let rid = id(c, planned)?;
        let mut body =
            json!({"location": need_str(planned, "location")?, "tags": tags_json(planned)});
        if let Some(m) = attr_str(planned, "managed_by") {
            body["managedBy"] = json!(m);
        }
        let j = c
            .client
            .change(
                Method::PUT,
                &rid,
                API,
                Some(&body),
                Wait {
                    limit: timeout(planned, "create"),
                    progress: op.progress,
                    what: "creating resource group",
                },
            )
            .await?;
        Ok(from_json(planned, &j))
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(c.client
            .get_opt(&id(c, prior)?, API)
            .await?
            .map(|j| from_json(prior, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let body =
            json!({"tags": tags_json(planned), "managedBy": attr_str(planned, "managed_by")});
        let j = c
            .client
            .change(
                Method::PATCH,
                &id(c, prior)?,
                API,
                Some(&body),
                Wait {
                    limit: timeout(planned, "update"),
                    progress: op.progress,
                    what: "updating resource group",
                },
            )
            .await?;
        Ok(from_json(planned, &j))
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        c.client
            .change(
                Method::DELETE,
                &id(c, prior)?,
                API,
                None,
                Wait {
                    limit: timeout(prior, "delete"),
                    progress: op.progress,
                    what: "deleting resource group",
                },
            )
            .await
            .map(|_| ())
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        ids::check(id, "resourceGroups", "import id")?;
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}

/// azurerm stores locations normalised (`West Europe` → `westeurope`).
pub fn plan_location(prior: Option<&Value>, planned: Value) -> Value {
    match attr_str(&planned, "location") {
        Some(l) => {
            let norm = location_norm(&l);
            let keep = prior
                .and_then(|p| attr_str(p, "location"))
                .filter(|p| location_norm(p) == norm);
            fill(
                &planned,
                vec![("location", Value::string(keep.unwrap_or(norm)))],
            )
        }
        None => planned,
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    fill(
        prior,
        vec![
            ("id", s(j, "id")),
            ("name", s(j, "name")),
            (
                "location",
                Value::string(location_norm(j["location"].as_str().unwrap_or_default())),
            ),
            ("managed_by", s(j, "managedBy")),
            ("tags", tags_value(j)),
        ],
    )
}
