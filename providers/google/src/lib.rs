//! gantry's Google Cloud provider: GCS buckets and objects, Vertex AI models, endpoints and
//! deployed models, TPU VMs. Resource and attribute names follow hashicorp/google, so
//! existing configurations and state carry over; where upstream has no resource (Vertex
//! models and deployments) the names are gantry's.
//!
//! A small REST client over reqwest (client.rs) speaks to Google's JSON APIs — the same
//! discovery documents the test server in tests/google is built from — instead of the
//! `google-cloud-*` crates, whose aiplatform crate alone took 8.2 GB and ~6 min to build.
//! One file per resource type; each implements [`ResourceType`].

pub mod auth;
mod bigquery_dataset;
mod capacity;
mod client;
mod compute;
mod compute_firewall;
mod compute_instance;
mod compute_network;
mod compute_subnetwork;
mod config;
mod container;
mod container_cluster;
mod container_node_config;
mod container_node_pool;
mod data_sources;
mod labels;
mod listing;
mod located;
mod operation;
mod project_iam_member;
mod project_service;
mod service_account;
mod storage_bucket;
mod storage_bucket_object;
mod tpu_v2_vm;
mod usage;
mod util;
mod vertex_ai_deployed_model;
mod vertex_ai_endpoint;
mod vertex_ai_model;

use async_trait::async_trait;
use config::Ctx;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    ProviderResult, ProviderSchema, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

pub const NAME: &str = "google";

/// What every managed resource type implements.
#[async_trait]
pub(crate) trait ResourceType: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> ResourceSchema;

    /// Plan-time checks and notes; the default keeps the proposed object.
    async fn plan(&self, _c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse {
            planned: req.proposed.clone(),
            requires_replace: vec![],
            notes: vec![],
            private: Vec::new(),
        })
    }
    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value>;
    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>>;
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for p in priors {
            out.push(self.read(c, p).await);
        }
        out
    }
    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value>;
    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()>;
    /// Adopts an existing object by its import id (hashicorp/google's id formats).
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>>;
    /// Finds what an interrupted create made. Every type here is named by the caller
    /// (bucket name, endpoint id, node id, model id), so the planned object is read back by
    /// its name.
    async fn find_by_token(
        &self,
        c: &Ctx,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.read(c, planned).await
    }

    /// Reads the object just created or updated; gone is an error.
    async fn read_back(&self, c: &Ctx, base: &Value, when: &str) -> ProviderResult<Value> {
        match self.read(c, base).await? {
            Some(v) => Ok(v),
            None => Err(ProviderError::new(
                ErrorKind::NotFound,
                format!("{} vanished {when}", self.name()),
            )),
        }
    }
}

fn resources() -> &'static BTreeMap<&'static str, Arc<dyn ResourceType>> {
    static R: OnceLock<BTreeMap<&'static str, Arc<dyn ResourceType>>> = OnceLock::new();
    R.get_or_init(|| {
        let all: Vec<Arc<dyn ResourceType>> = vec![
            Arc::new(storage_bucket::Bucket),
            Arc::new(storage_bucket_object::Object),
            Arc::new(vertex_ai_endpoint::Endpoint),
            Arc::new(vertex_ai_model::Model),
            Arc::new(vertex_ai_deployed_model::DeployedModel),
            Arc::new(tpu_v2_vm::TpuVm),
            Arc::new(compute_instance::Instance),
            Arc::new(compute_network::Network),
            Arc::new(compute_subnetwork::Subnetwork),
            Arc::new(compute_firewall::Firewall),
            Arc::new(project_service::ProjectService),
            Arc::new(service_account::ServiceAccount),
            Arc::new(project_iam_member::ProjectIamMember),
            Arc::new(bigquery_dataset::Dataset),
            Arc::new(container_cluster::Cluster),
            Arc::new(container_node_pool::NodePool),
        ];
        all.into_iter().map(|r| (r.name(), r)).collect()
    })
}

fn schema() -> &'static ProviderSchema {
    static S: OnceLock<ProviderSchema> = OnceLock::new();
    S.get_or_init(|| ProviderSchema {
        provider: config::provider_block_schema(),
        resources: resources()
            .iter()
            .map(|(k, r)| (k.to_string(), r.schema()))
            .collect(),
        data_sources: data_sources::schemas(),
    })
}

/// Registers the Google provider.
pub fn register(registry: &mut gantry_core::provider::Registry) {
    registry.register(NAME, Arc::new(Factory));
}

pub struct Factory;

#[async_trait]
impl ProviderFactory for Factory {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }

    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Provider>> {
        Ok(Arc::new(Google {
            ctx: Ctx::from_config(config)?,
        }))
    }

    /// Resource names, arguments and state shapes follow hashicorp/google 6.x.
    fn version(&self) -> Option<&str> {
        Some("6.50.0")
    }
}

pub struct Google {
    ctx: Ctx,
}

fn resource(type_name: &str) -> ProviderResult<&'static Arc<dyn ResourceType>> {
    resources().get(type_name).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Validation,
            format!("the google provider has no resource type {type_name:?}"),
        )
    })
}

#[async_trait]
impl Provider for Google {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }

    async fn capacity(&self, type_name: &str, planned: &Value) -> Vec<String> {
        capacity::capacity(&self.ctx, type_name, planned).await
    }

    fn usage(&self, type_name: &str, value: &Value) -> Vec<gantry_core::usage::Usage> {
        usage::usage(
            self.ctx.region.as_deref(),
            self.ctx.zone.as_deref(),
            type_name,
            value,
        )
    }

    async fn read(&self, type_name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        resource(type_name)?.read(&self.ctx, prior).await
    }

    async fn read_many(
        &self,
        type_name: &str,
        priors: &[Value],
    ) -> Vec<ProviderResult<Option<Value>>> {
        match resource(type_name) {
            Ok(r) => r.read_many(&self.ctx, priors).await,
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let r = resource(req.type_name)?;
        let mut resp = r.plan(&self.ctx, &req).await?;
        // The cached schema: building one per planned instance is work on the hot path.
        let attrs = &schema().resources[req.type_name].block.attributes;
        if attrs.contains_key("effective_labels") {
            let key = if attrs.contains_key("resource_labels") {
                "resource_labels"
            } else {
                "labels"
            };
            resp.planned = labels::plan(&self.ctx, req.prior, &resp.planned, key);
        }
        Ok(resp)
    }

    async fn create(&self, type_name: &str, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        resource(type_name)?.create(&self.ctx, planned, op).await
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        resource(type_name)?
            .update(&self.ctx, prior, planned, op)
            .await
    }

    async fn delete(&self, type_name: &str, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        resource(type_name)?.delete(&self.ctx, prior, op).await
    }

    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        resource(type_name)?.import(&self.ctx, id).await
    }

    async fn find_by_token(
        &self,
        type_name: &str,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        resource(type_name)?
            .find_by_token(&self.ctx, token, planned)
            .await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        data_sources::read(&self.ctx, type_name, config).await
    }
}
