//! `google_compute_network`: a VPC network. The routing mode changes in place (PATCH);
//! everything else makes a new network.

use crate::compute::{self, rel, Scope, Scoped};
use crate::config::Ctx;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct Network;

pub const NETWORK: Scoped = Scoped {
    scope: Scope::Global,
    collection: "networks",
};

#[async_trait]
impl ResourceType for Network {
    fn name(&self) -> &'static str {
        "google_compute_network"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("name".into(), req(Type::String).force_new());
        b.attributes
            .insert("description".into(), opt(Type::String).force_new());
        b.attributes
            .insert("project".into(), optcomp(Type::String).force_new());
        b.attributes.insert(
            "auto_create_subnetworks".into(),
            opt(Type::Bool).with_default(Value::Bool(true)).force_new(),
        );
        b.attributes.insert(
            "delete_default_routes_on_create".into(),
            opt(Type::Bool).with_default(Value::Bool(false)),
        );
        b.attributes
            .insert("routing_mode".into(), optcomp(Type::String));
        b.attributes
            .insert("mtu".into(), optcomp(Type::Number).force_new());
        for k in ["id", "self_link", "gateway_ipv4", "numeric_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A VPC network.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        if req.prior.is_none() {
            planned = NETWORK.plan_identity(c, planned);
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
        let mut body = json!({
            "name": name,
            "autoCreateSubnetworks": attr_bool(planned, "auto_create_subnetworks").unwrap_or(true),
        });
        if let Some(d) = attr_str(planned, "description") {
            body["description"] = json!(d);
        }
        if let Some(m) = attr_str(planned, "routing_mode") {
            body["routingConfig"] = json!({ "routingMode": m });
        }
        if let Some(m) = int(planned, "mtu") {
            body["mtu"] = json!(m);
        }
        compute::call_and_wait(
            c,
            Method::POST,
            &NETWORK.parent(c, planned)?,
            Some(body),
            timeout(planned, "create"),
            op.progress,
            &format!("creating network {name}"),
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(NETWORK.get(c, prior).await?.map(|j| from_json(prior, &j)))
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        if attr_str(prior, "routing_mode") != attr_str(planned, "routing_mode") {
            compute::call_and_wait(
                c,
                Method::PATCH,
                &NETWORK.name(c, prior)?,
                Some(json!({"routingConfig": {"routingMode": attr_str(planned, "routing_mode")}})),
                timeout(planned, "update"),
                op.progress,
                "updating the network's routing mode",
            )
            .await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        NETWORK
            .delete(c, prior, op.progress, "deleting network")
            .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &NETWORK.import_prior(c, id)?).await
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let path = rel(j["selfLink"].as_str().unwrap_or_default()).to_string();
    fill(
        prior,
        vec![
            ("id", Value::string(&path)),
            ("name", s(j, "name")),
            (
                "project",
                Value::string(path.split('/').nth(1).unwrap_or_default()),
            ),
            ("description", s(j, "description")),
            (
                "auto_create_subnetworks",
                Value::Bool(j["autoCreateSubnetworks"].as_bool().unwrap_or(false)),
            ),
            ("routing_mode", s(&j["routingConfig"], "routingMode")),
            ("mtu", n(j, "mtu")),
            ("self_link", s(j, "selfLink")),
            ("gateway_ipv4", s(j, "gatewayIPv4")),
            ("numeric_id", s(j, "id")),
        ],
    )
}
