//! gantry's Azure provider: resource groups, storage accounts, Azure Machine Learning
//! workspaces, compute clusters, managed online endpoints, deployments and their traffic.
//! Names, arguments and state shapes follow hashicorp/azurerm 4.x so configurations and
//! state carry over; where azurerm has no resource (online endpoints, deployments, traffic)
//! the names are gantry's, following the ARM types.
//!
//! Plain REST over reqwest (client.rs) with ARM's long-running operations, against Azure or
//! the local ARM server in tests/azure. One file per resource type; each implements
//! [`ResourceType`].

mod application_insights;
mod arm_resource;
mod auth;
pub mod blob;
mod capacity;
mod client;
mod cognitive_account;
mod cognitive_deployment;
mod config;
mod ids;
mod key_vault;
mod kubernetes_cluster;
mod kubernetes_node_pool;
mod linux_virtual_machine;
mod ml_compute_cluster;
mod ml_compute_instance;
mod ml_online_deployment;
mod ml_online_endpoint;
mod ml_online_traffic;
mod ml_workspace;
mod network;
mod resource_group;
mod storage_account;
mod storage_blob;
mod storage_container;
mod usage;
mod user_assigned_identity;
mod util;

use async_trait::async_trait;
use config::Ctx;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    ProviderResult, ProviderSchema, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

pub const NAME: &str = "azurerm";

/// What every managed resource type implements.
#[async_trait]
pub(crate) trait ResourceType: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> ResourceSchema;
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
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>>;
    /// ARM PUTs are idempotent by resource id and every id here is known at plan, so an
    /// interrupted create resolves by a GET.
    async fn find_by_token(
        &self,
        c: &Ctx,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.read(c, planned).await
    }
}

fn resources() -> &'static BTreeMap<&'static str, Arc<dyn ResourceType>> {
    static R: OnceLock<BTreeMap<&'static str, Arc<dyn ResourceType>>> = OnceLock::new();
    R.get_or_init(|| {
        let all: Vec<Arc<dyn ResourceType>> = vec![
            Arc::new(resource_group::ResourceGroup),
            Arc::new(arm_resource::Arm::<storage_account::StorageAccount>::new()),
            Arc::new(storage_container::Container),
            Arc::new(storage_blob::Blob),
            Arc::new(arm_resource::Arm::<key_vault::KeyVault>::new()),
            Arc::new(arm_resource::Arm::<application_insights::ApplicationInsights>::new()),
            Arc::new(arm_resource::Arm::<
                user_assigned_identity::UserAssignedIdentity,
            >::new()),
            Arc::new(arm_resource::Arm::<kubernetes_cluster::KubernetesCluster>::new()),
            Arc::new(arm_resource::Arm::<kubernetes_node_pool::NodePool>::new()),
            Arc::new(arm_resource::Arm::<cognitive_account::CognitiveAccount>::new()),
            Arc::new(arm_resource::Arm::<cognitive_deployment::CognitiveDeployment>::new()),
            Arc::new(arm_resource::Arm::<network::VirtualNetwork>::new()),
            Arc::new(arm_resource::Arm::<network::Subnet>::new()),
            Arc::new(arm_resource::Arm::<network::NetworkInterface>::new()),
            Arc::new(arm_resource::Arm::<
                linux_virtual_machine::LinuxVirtualMachine,
            >::new()),
            Arc::new(arm_resource::Arm::<ml_workspace::Workspace>::new()),
            Arc::new(arm_resource::Arm::<ml_compute_cluster::ComputeCluster>::new()),
            Arc::new(arm_resource::Arm::<ml_compute_instance::ComputeInstance>::new()),
            Arc::new(ml_online_endpoint::OnlineEndpoint),
            Arc::new(ml_online_deployment::OnlineDeployment),
            Arc::new(ml_online_traffic::Traffic),
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
        data_sources: BTreeMap::new(),
    })
}

/// Registers the Azure provider.
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
        Ok(Arc::new(Azure {
            ctx: Ctx::from_config(config).await?,
        }))
    }

    /// Resource names, arguments and state shapes follow hashicorp/azurerm 4.x.
    fn version(&self) -> Option<&str> {
        Some("4.40.0")
    }
}

pub struct Azure {
    ctx: Ctx,
}

fn resource(type_name: &str) -> ProviderResult<&'static Arc<dyn ResourceType>> {
    resources().get(type_name).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Validation,
            format!("the azurerm provider has no resource type {type_name:?}"),
        )
    })
}

#[async_trait]
impl Provider for Azure {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }
    fn usage(&self, t: &str, value: &Value) -> Vec<gantry_core::usage::Usage> {
        usage::usage(t, value)
    }
    async fn capacity(&self, t: &str, planned: &Value) -> Vec<String> {
        capacity::capacity(&self.ctx, t, planned).await
    }
    async fn read(&self, t: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        resource(t)?.read(&self.ctx, prior).await
    }
    async fn read_many(&self, t: &str, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        match resource(t) {
            Ok(r) => r.read_many(&self.ctx, priors).await,
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }
    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        resource(req.type_name)?.plan(&self.ctx, &req).await
    }
    async fn create(&self, t: &str, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        resource(t)?.create(&self.ctx, planned, op).await
    }
    async fn update(
        &self,
        t: &str,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        resource(t)?.update(&self.ctx, prior, planned, op).await
    }
    async fn delete(&self, t: &str, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        resource(t)?.delete(&self.ctx, prior, op).await
    }
    async fn import(&self, t: &str, id: &str) -> ProviderResult<Option<Value>> {
        resource(t)?.import(&self.ctx, id).await
    }
    async fn find_by_token(
        &self,
        t: &str,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        resource(t)?.find_by_token(&self.ctx, token, planned).await
    }
    async fn read_data(&self, t: &str, _config: &Value) -> ProviderResult<Value> {
        Err(ProviderError::new(
            ErrorKind::Validation,
            format!("the azurerm provider has no data source {t:?} yet"),
        ))
    }
}
