//! `google_compute_firewall`: a VPC firewall rule (SSH to a GPU VM, health checks to a
//! serving port). Everything but the name, network and direction changes in place (PATCH).

use crate::compute::{self, network_ref, rel, same_ref, Scope, Scoped};
use crate::config::Ctx;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Nesting, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::strings;
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct Firewall;

const FIREWALL: Scoped = Scoped {
    scope: Scope::Global,
    collection: "firewalls",
};

const LISTS: [(&str, &str); 6] = [
    ("source_ranges", "sourceRanges"),
    ("destination_ranges", "destinationRanges"),
    ("source_tags", "sourceTags"),
    ("target_tags", "targetTags"),
    ("source_service_accounts", "sourceServiceAccounts"),
    ("target_service_accounts", "targetServiceAccounts"),
];

fn rule_schema() -> BlockSchema {
    let mut r = BlockSchema::default();
    r.attributes.insert("protocol".into(), req(Type::String));
    r.attributes
        .insert("ports".into(), opt(Type::list(Type::String)));
    r
}

#[async_trait]
impl ResourceType for Firewall {
    fn name(&self) -> &'static str {
        "google_compute_firewall"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "network"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["project", "direction"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        b.attributes.insert("description".into(), opt(Type::String));
        b.attributes.insert(
            "priority".into(),
            opt(Type::Number).with_default(Value::Number(1000.0)),
        );
        b.attributes.insert("disabled".into(), opt(Type::Bool));
        for (k, _) in LISTS {
            let a = if k == "source_ranges" || k == "destination_ranges" {
                optcomp(Type::set(Type::String))
            } else {
                opt(Type::set(Type::String))
            };
            b.attributes.insert(k.into(), a);
        }
        for k in ["id", "self_link", "creation_timestamp"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        for k in ["allow", "deny"] {
            b.blocks
                .insert(k.into(), block(Nesting::Set, rule_schema(), 0, false));
        }
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 1,
            block: b,
            description: "A VPC firewall rule.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        match req.prior {
            None => planned = FIREWALL.plan_identity(c, planned),
            Some(prior) => planned = compute::keep_prior_ref(prior, planned, "network"),
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let mut body = body(c, planned)?;
        body["name"] = json!(name);
        body["network"] = json!(network_ref(
            &c.project(planned)?,
            &need_str(planned, "network")?
        ));
        if let Some(d) = attr_str(planned, "direction") {
            body["direction"] = json!(d);
        }
        compute::call_and_wait(
            c,
            Method::POST,
            &FIREWALL.parent(c, planned)?,
            Some(body),
            timeout(planned, "create"),
            op.progress,
            &format!("creating firewall {name}"),
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(FIREWALL.get(c, prior).await?.map(|j| from_json(prior, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        compute::call_and_wait(
            c,
            Method::PATCH,
            &FIREWALL.name(c, prior)?,
            Some(body(c, planned)?),
            timeout(planned, "update"),
            op.progress,
            "updating firewall",
        )
        .await?;
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        FIREWALL
            .delete(c, prior, op.progress, "deleting firewall")
            .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &FIREWALL.import_prior(c, id)?).await
    }
}

/// The mutable part of a firewall, complete (a PATCH of every field: lists left out of the
/// configuration are cleared).
fn body(_c: &Ctx, v: &Value) -> ProviderResult<Json> {
    let mut o = json!({
        "priority": int(v, "priority").unwrap_or(1000),
        "disabled": attr_bool(v, "disabled").unwrap_or(false),
        "description": attr_str(v, "description").unwrap_or_default(),
    });
    for (k, j) in LISTS {
        let items = strings(v, k);
        if !items.is_empty() {
            o[j] = json!(items);
        }
    }
    for (k, j) in [("allow", "allowed"), ("deny", "denied")] {
        let rules: Vec<Json> = v
            .get_attr(k)
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .map(|r| {
                let mut x = json!({"IPProtocol": attr_str(r, "protocol")});
                let ports = strings(r, "ports");
                if !ports.is_empty() {
                    x["ports"] = json!(ports);
                }
                x
            })
            .collect();
        if !rules.is_empty() {
            o[j] = json!(rules);
        }
    }
    Ok(o)
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let path = rel(j["selfLink"].as_str().unwrap_or_default()).to_string();
    let rules = |k: &str| {
        Value::set(
            j[k].as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    obj(vec![
                        ("protocol", s(r, "IPProtocol")),
                        (
                            "ports",
                            match r.get("ports") {
                                Some(p) => str_list(p),
                                None => Value::list(vec![]),
                            },
                        ),
                    ])
                })
                .collect(),
        )
    };
    let mut pairs = vec![
        ("id", Value::string(&path)),
        ("name", s(j, "name")),
        (
            "project",
            Value::string(path.split('/').nth(1).unwrap_or_default()),
        ),
        (
            "network",
            same_ref(
                attr_str(prior, "network"),
                j["network"].as_str().unwrap_or_default(),
            ),
        ),
        ("direction", s(j, "direction")),
        ("description", s(j, "description").or_null_if_empty()),
        ("priority", n(j, "priority")),
        (
            "disabled",
            Value::Bool(j["disabled"].as_bool().unwrap_or(false)),
        ),
        ("self_link", s(j, "selfLink")),
        ("creation_timestamp", s(j, "creationTimestamp")),
        ("allow", rules("allowed")),
        ("deny", rules("denied")),
    ];
    for (k, jk) in LISTS {
        let live = str_list(&j[jk]);
        let empty = live.as_seq().is_none_or(|s| s.is_empty());
        pairs.push((
            k,
            if empty && prior.get_attr(k).is_none_or(Value::is_null) {
                Value::Null
            } else {
                Value::set(live.as_seq().map(|s| s.to_vec()).unwrap_or_default())
            },
        ));
    }
    fill(prior, pairs)
}

trait NullIfEmpty {
    fn or_null_if_empty(self) -> Value;
}

impl NullIfEmpty for Value {
    fn or_null_if_empty(self) -> Value {
        if self.as_str() == Some("") {
            Value::Null
        } else {
            self
        }
    }
}
