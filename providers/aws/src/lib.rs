//! gantry's AWS provider: GPU instances (EC2), S3 buckets, IAM roles and SageMaker endpoints,
//! through the official AWS SDK for Rust. Resource and attribute names follow the Terraform
//! AWS provider, so existing configurations run unchanged.
//!
//! Credentials, region and endpoints come from aws-config's standard chain (environment,
//! profile, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), overridable in the `provider`
//! block. One file per resource type; each implements [`ResourceType`].

mod appautoscaling_policy;
mod appautoscaling_target;
mod capacity;
mod capacity_reservation;
mod clients;
mod data_iam;
mod data_network;
mod data_sources;
mod data_zones;
mod ec2_object;
mod ecr_repository;
mod efs_file_system;
mod efs_mount_target;
mod eip;
mod eks_addon;
mod eks_cluster;
mod eks_node_group;
mod emr_cluster;
mod emr_cluster_parts;
mod emr_cluster_read;
mod error;
mod fsx_lustre;
mod glue_catalog_database;
mod glue_crawler;
mod glue_job;
mod glue_tags;
mod iam_instance_profile;
mod iam_policy;
mod iam_policy_attachment;
mod iam_role;
mod iam_role_inline;
mod iam_role_policy;
mod iam_role_policy_attachment;
mod instance;
mod instance_launch;
mod instance_plan;
mod instance_read;
mod internet_gateway;
mod key_pair;
mod kms_alias;
mod kms_key;
mod launch_template;
mod launch_template_data;
mod nat_gateway;
mod placement_group;
mod route;
mod route_table;
mod route_table_association;
mod s3_bucket;
mod s3_bucket_lifecycle;
mod s3_bucket_policy;
mod s3_bucket_settings;
mod s3_object;
mod sagemaker_code_repository;
mod sagemaker_config_parts;
mod sagemaker_domain;
mod sagemaker_endpoint;
mod sagemaker_endpoint_configuration;
mod sagemaker_model;
mod sagemaker_notebook_instance;
mod sagemaker_user_profile;
mod sagemaker_user_settings;
mod security_group;
mod security_group_rule;
mod subnet;
mod upstream;
mod usage;
mod util;
mod vpc;
mod vpc_endpoint;

use async_trait::async_trait;
use clients::Clients;
use ec2_object::Ec2;
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    ProviderResult, ProviderSchema, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

pub const NAME: &str = "aws";

/// What every managed resource type implements.
#[async_trait]
pub(crate) trait ResourceType: Send + Sync {
    fn name(&self) -> &'static str;
    /// Upstream's schema plus what its JSON form lacks (ForceNew, defaults).
    fn schema(&self) -> ResourceSchema;
    /// The arguments this type implements (see `upstream::unimplemented`).
    fn implemented(&self) -> &'static [&'static str];

    /// Plan-time checks and notes; the default keeps the proposed object.
    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse::of(req.proposed.clone()))
    }
    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value>;
    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>>;
    /// Reads the object just created or updated (`base` carries its id); gone is an error.
    async fn read_back(&self, c: &Clients, base: &Value, when: &str) -> ProviderResult<Value> {
        match self.read(c, base).await? {
            Some(v) => Ok(v),
            None => Err(ProviderError::new(
                ErrorKind::NotFound,
                format!(
                    "{} {} vanished {when}",
                    self.name(),
                    util::attr_str(base, "id").unwrap_or_default()
                ),
            )),
        }
    }
    async fn read_many(&self, c: &Clients, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for p in priors {
            out.push(self.read(c, p).await);
        }
        out
    }
    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value>;
    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()>;
    /// Adopt an existing object by its id.
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>>;
    /// After the create is recorded: drop the idempotency tag (see `Provider::settle`).
    async fn settle(&self, _c: &Clients, _value: &Value) -> ProviderResult<()> {
        Ok(())
    }
    /// Find what an interrupted create made. The default serves named objects (buckets,
    /// roles, SageMaker objects), whose unique name is their identity: read by that name.
    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // Configured, or the name the create generated from this token.
        let name = if planned.get_attr("bucket").is_some() {
            Some(util::name_or_generated(
                planned,
                "bucket",
                "bucket_prefix",
                token,
            ))
        } else if planned.get_attr("name").is_some() {
            Some(util::name_or_generated(
                planned,
                "name",
                "name_prefix",
                token,
            ))
        } else {
            None
        };
        match name {
            Some(n) => {
                self.read(c, &util::fill(planned, vec![("id", Value::string(n))]))
                    .await
            }
            None => Ok(None),
        }
    }
}

fn resources() -> &'static BTreeMap<&'static str, Arc<dyn ResourceType>> {
    static R: OnceLock<BTreeMap<&'static str, Arc<dyn ResourceType>>> = OnceLock::new();
    R.get_or_init(|| {
        let all: Vec<Arc<dyn ResourceType>> = vec![
            Arc::new(instance::Instance),
            Arc::new(s3_bucket::Bucket),
            Arc::new(s3_bucket_settings::Versioning),
            Arc::new(s3_bucket_settings::Encryption),
            Arc::new(s3_bucket_settings::PublicAccessBlock),
            Arc::new(s3_bucket_policy::BucketPolicy),
            Arc::new(s3_bucket_lifecycle::Lifecycle),
            Arc::new(s3_object::Object),
            Arc::new(kms_key::KmsKey),
            Arc::new(kms_alias::KmsAlias),
            Arc::new(iam_role::Role),
            Arc::new(iam_role_policy_attachment::Attachment),
            Arc::new(iam_policy::Policy),
            Arc::new(iam_policy_attachment::PolicyAttachment),
            Arc::new(iam_role_policy::RolePolicy),
            Arc::new(iam_instance_profile::InstanceProfile),
            Arc::new(sagemaker_model::Model),
            Arc::new(sagemaker_endpoint_configuration::EndpointConfiguration),
            Arc::new(sagemaker_endpoint::Endpoint),
            Arc::new(sagemaker_notebook_instance::NotebookInstance),
            Arc::new(sagemaker_code_repository::CodeRepository),
            Arc::new(sagemaker_domain::Domain),
            Arc::new(sagemaker_user_profile::UserProfile),
            Arc::new(Ec2(vpc::Vpc)),
            Arc::new(Ec2(subnet::Subnet)),
            Arc::new(Ec2(security_group::SecurityGroup)),
            Arc::new(Ec2(security_group_rule::Rule { egress: false })),
            Arc::new(Ec2(security_group_rule::Rule { egress: true })),
            Arc::new(Ec2(internet_gateway::InternetGateway)),
            Arc::new(Ec2(eip::Eip)),
            Arc::new(Ec2(nat_gateway::NatGateway)),
            Arc::new(Ec2(route_table::RouteTable)),
            Arc::new(route::Route),
            Arc::new(route_table_association::Association),
            Arc::new(Ec2(vpc_endpoint::VpcEndpoint)),
            Arc::new(Ec2(placement_group::PlacementGroup)),
            Arc::new(Ec2(key_pair::KeyPair)),
            Arc::new(Ec2(capacity_reservation::CapacityReservation)),
            Arc::new(launch_template::LaunchTemplate),
            Arc::new(ecr_repository::Repository),
            Arc::new(efs_file_system::FileSystem),
            Arc::new(efs_mount_target::MountTarget),
            Arc::new(fsx_lustre::LustreFileSystem),
            Arc::new(glue_catalog_database::CatalogDatabase),
            Arc::new(glue_crawler::GlueCrawler),
            Arc::new(glue_job::GlueJob),
            Arc::new(emr_cluster::EmrCluster),
            Arc::new(eks_cluster::EksCluster),
            Arc::new(eks_node_group::NodeGroup),
            Arc::new(eks_addon::EksAddon),
            Arc::new(appautoscaling_target::ScalingTarget),
            Arc::new(appautoscaling_policy::ScalingPolicyResource),
        ];
        all.into_iter().map(|r| (r.name(), r)).collect()
    })
}

fn schema() -> &'static ProviderSchema {
    static S: OnceLock<ProviderSchema> = OnceLock::new();
    S.get_or_init(|| ProviderSchema {
        provider: clients::provider_block_schema(),
        resources: resources()
            .iter()
            .map(|(k, r)| (k.to_string(), r.schema()))
            .collect(),
        data_sources: data_sources::schemas(),
    })
}

/// The provider's schema of a native resource type, built once: for reads that shape their
/// values by it (SDKv2 zero values), so no read clones a schema.
pub(crate) fn resource_schema(type_name: &str) -> &'static ResourceSchema {
    &schema().resources[type_name]
}

/// Registers the AWS provider.
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
        upstream::refuse_unimplemented(
            "provider \"aws\" block",
            &ResourceSchema {
                block: schema().provider.clone(),
                ..ResourceSchema::default()
            },
            &config.unmark_deep().0,
            clients::PROVIDER_IMPLEMENTED,
        )?;
        let clients = Clients::from_config(config).await?;
        clients.check_account(config).await?;
        Ok(Arc::new(Aws { clients }))
    }

    /// Resource names, arguments and state shapes follow hashicorp/aws 5.100.0.
    fn version(&self) -> Option<&str> {
        Some("5.100.0")
    }
}

pub struct Aws {
    clients: Clients,
}

fn resource(type_name: &str) -> ProviderResult<&'static Arc<dyn ResourceType>> {
    resources().get(type_name).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Validation,
            format!("the aws provider has no resource type {type_name:?}"),
        )
    })
}

#[async_trait]
impl Provider for Aws {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }

    fn usage(&self, type_name: &str, value: &Value) -> Vec<gantry_core::usage::Usage> {
        usage::usage(&self.clients.region, type_name, value)
    }

    async fn capacity(&self, type_name: &str, planned: &Value) -> Vec<String> {
        capacity::capacity(&self.clients, type_name, planned).await
    }

    async fn read(&self, type_name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        resource(type_name)?.read(&self.clients, prior).await
    }

    async fn read_many(
        &self,
        type_name: &str,
        priors: &[Value],
    ) -> Vec<ProviderResult<Option<Value>>> {
        match resource(type_name) {
            Ok(r) => r.read_many(&self.clients, priors).await,
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let r = resource(req.type_name)?;
        // The cached schema: building one per planned instance is work on the hot path.
        let rs = &schema().resources[req.type_name];
        upstream::refuse_unimplemented(req.type_name, rs, req.config, r.implemented())?;
        let mut resp = r.plan(&self.clients, &req).await?;
        if let Some(prior) = req.prior {
            resp.planned =
                upstream::keep_unimplemented(&rs.block, prior, resp.planned, r.implemented());
        }
        resp.planned = self.clients.with_tags_all(rs, resp.planned);
        resp.planned = upstream::unknown_sets(&rs.block, resp.planned);
        Ok(resp)
    }

    async fn create(&self, type_name: &str, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        resource(type_name)?
            .create(&self.clients, planned, op)
            .await
            .map(upstream::unknowns_to_null)
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        resource(type_name)?
            .update(&self.clients, prior, planned, op)
            .await
            .map(upstream::unknowns_to_null)
    }

    async fn delete(&self, type_name: &str, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        resource(type_name)?.delete(&self.clients, prior, op).await
    }

    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        resource(type_name)?.import(&self.clients, id).await
    }

    async fn find_by_token(
        &self,
        type_name: &str,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // What was found stands for a create's result: no unknowns left, as from create.
        Ok(resource(type_name)?
            .find_by_token(&self.clients, token, planned)
            .await?
            .map(upstream::unknowns_to_null))
    }

    async fn settle(&self, type_name: &str, value: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        resource(type_name)?.settle(&self.clients, value).await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        if let Some(s) = schema().data_sources.get(type_name) {
            data_sources::check_implemented(type_name, s, config)?;
        }
        data_sources::read(&self.clients, type_name, config).await
    }
}
