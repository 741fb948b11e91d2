//! `aws_eks_cluster`: the control plane GPU node groups join. Creates carry the idempotency
//! token as EKS `clientRequestToken` (a retried create returns the first cluster) and are
//! waited on until ACTIVE with the live status shown, with no fixed limit unless
//! `timeouts.create` is set (clusters take 10–20 minutes). Endpoint access, public CIDRs,
//! logging and the Kubernetes version change in place, each waited on.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_eks::types::{
    AuthenticationMode, Cluster, CreateAccessConfigRequest, KubernetesNetworkConfigRequest,
    LogSetup, LogType, Logging, VpcConfigRequest,
};
use gantry_core::provider::{
    ErrorKind, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct EksCluster;

/// Blocks EKS fills when the configuration leaves them out (upstream: computed).
const COMPUTED_BLOCKS: &[&str] = &[
    "access_config",
    "kubernetes_network_config",
    "upgrade_policy",
];

const ALL_LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

fn log_types(v: &Value) -> Vec<String> {
    strings(v, "enabled_cluster_log_types")
}

fn logging(enabled: &[String]) -> Logging {
    let on: Vec<LogType> = enabled.iter().map(|t| LogType::from(t.as_str())).collect();
    let off: Vec<LogType> = ALL_LOG_TYPES
        .iter()
        .filter(|t| !enabled.iter().any(|e| e == *t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut setups = vec![LogSetup::builder()
        .enabled(true)
        .set_types(Some(on))
        .build()];
    if !off.is_empty() {
        setups.push(
            LogSetup::builder()
                .enabled(false)
                .set_types(Some(off))
                .build(),
        );
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

fn vpc_request(v: &Value) -> VpcConfigRequest {
    let vpc = first(v, "vpc_config");
    let get = |k| vpc.map(|b| strings(b, k)).filter(|l| !l.is_empty());
    VpcConfigRequest::builder()
        .set_subnet_ids(get("subnet_ids"))
        .set_security_group_ids(get("security_group_ids"))
        .set_public_access_cidrs(get("public_access_cidrs"))
        .set_endpoint_private_access(vpc.and_then(|b| attr_bool(b, "endpoint_private_access")))
        .set_endpoint_public_access(vpc.and_then(|b| attr_bool(b, "endpoint_public_access")))
        .build()
}

impl EksCluster {
    async fn describe(&self, c: &Clients, name: &str) -> ProviderResult<Option<Cluster>> {
        match c
            .eks
            .describe_cluster()
            .name(name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(r.cluster().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits until the cluster is ACTIVE (or gone, for `want_gone`), showing its status.
    async fn wait(
        &self,
        c: &Clients,
        name: &str,
        want_gone: bool,
        limit: Option<std::time::Duration>,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let what = format!(
            "EKS cluster {name} to be {}",
            if want_gone { "deleted" } else { "ACTIVE" }
        );
        wait_until(limit, &what, || async {
            let Some(cl) = self.describe(c, name).await? else {
                return Ok(want_gone);
            };
            let status = cl.status().map(|s| s.as_str()).unwrap_or("");
            op.progress.status(status);
            if status == "FAILED" {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("EKS cluster {name} failed"),
                ));
            }
            Ok(!want_gone && status == "ACTIVE")
        })
        .await
    }

    fn to_value(&self, prior: &Value, cl: &Cluster) -> Value {
        let name = cl.name().unwrap_or_default();
        let tags: BTreeMap<String, String> = cl
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let vpc = cl.resources_vpc_config().map(|v| {
            obj(vec![
                (
                    "cluster_security_group_id",
                    Value::string(v.cluster_security_group_id().unwrap_or("")),
                ),
                (
                    "endpoint_private_access",
                    Value::Bool(v.endpoint_private_access()),
                ),
                (
                    "endpoint_public_access",
                    Value::Bool(v.endpoint_public_access()),
                ),
                (
                    "public_access_cidrs",
                    crate::ec2_object::string_set(v.public_access_cidrs()),
                ),
                (
                    "security_group_ids",
                    crate::ec2_object::string_set(v.security_group_ids()),
                ),
                ("subnet_ids", crate::ec2_object::string_set(v.subnet_ids())),
                ("vpc_id", Value::string(v.vpc_id().unwrap_or(""))),
            ])
        });
        let enabled_logs: Vec<String> = cl
            .logging()
            .map(|l| {
                l.cluster_logging()
                    .iter()
                    .filter(|s| s.enabled() == Some(true))
                    .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let network = cl.kubernetes_network_config().map(|n| {
            obj(vec![
                ("ip_family", opt_str(n.ip_family().map(|f| f.as_str()))),
                ("service_ipv4_cidr", opt_str(n.service_ipv4_cidr())),
                (
                    "service_ipv6_cidr",
                    Value::string(n.service_ipv6_cidr().unwrap_or("")),
                ),
                (
                    "elastic_load_balancing",
                    Value::list(
                        n.elastic_load_balancing()
                            .map(|e| vec![obj(vec![("enabled", opt_bool(e.enabled()))])])
                            .unwrap_or_default(),
                    ),
                ),
            ])
        });
        let access = cl.access_config().map(|a| {
            obj(vec![
                (
                    "authentication_mode",
                    opt_str(a.authentication_mode().map(|m| m.as_str())),
                ),
                (
                    "bootstrap_cluster_creator_admin_permissions",
                    opt_bool(a.bootstrap_cluster_creator_admin_permissions()),
                ),
            ])
        });
        let created = cl
            .created_at()
            .map(crate::iam_role::rfc3339_seconds)
            .unwrap_or_default();
        let mut pairs = vec![
            ("id", Value::string(name)),
            ("name", Value::string(name)),
            ("arn", opt_str(cl.arn())),
            ("role_arn", opt_str(cl.role_arn())),
            ("version", opt_str(cl.version())),
            ("platform_version", opt_str(cl.platform_version())),
            ("endpoint", opt_str(cl.endpoint())),
            ("status", opt_str(cl.status().map(|s| s.as_str()))),
            ("created_at", Value::string(created)),
            (
                "certificate_authority",
                Value::list(vec![obj(vec![(
                    "data",
                    opt_str(cl.certificate_authority().and_then(|a| a.data())),
                )])]),
            ),
            (
                "identity",
                Value::list(vec![obj(vec![(
                    "oidc",
                    Value::list(vec![obj(vec![(
                        "issuer",
                        opt_str(
                            cl.identity()
                                .and_then(|i| i.oidc())
                                .and_then(|o| o.issuer()),
                        ),
                    )])]),
                )])]),
            ),
            ("vpc_config", Value::list(vpc.into_iter().collect())),
            (
                "enabled_cluster_log_types",
                crate::ec2_object::string_set(enabled_logs),
            ),
            (
                "kubernetes_network_config",
                Value::list(network.into_iter().collect()),
            ),
            ("access_config", Value::list(access.into_iter().collect())),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        fill(prior, pairs)
    }
}

/// Brings an EKS object's tags (cluster, node group, add-on: all by ARN) from `prior`'s
/// `tags_all` to `planned`'s.
pub async fn sync_tags(
    c: &Clients,
    arn: &str,
    prior: &Value,
    planned: &Value,
) -> ProviderResult<()> {
    let (removed, changed) = tag_changes(prior, planned);
    if !removed.is_empty() {
        c.eks
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(sdk)?;
    }
    if !changed.is_empty() {
        c.eks
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(changed.into_iter().collect()))
            .send()
            .await
            .map_err(sdk)?;
    }
    Ok(())
}

/// Terraform's `CLUSTER:NAME` id of an object inside a cluster (node group, add-on).
pub fn split_id(what: &str, id: &str) -> ProviderResult<(String, String)> {
    id.split_once(':')
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "{what} id {id:?} is not CLUSTER:{}",
                    what.to_uppercase().replace([' ', '-'], "")
                ),
            )
        })
}

fn opt_bool(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

#[async_trait]
impl ResourceType for EksCluster {
    fn name(&self) -> &'static str {
        "aws_eks_cluster"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_eks_cluster")
            .force_new_at(&[
                "name",
                "role_arn",
                "bootstrap_self_managed_addons",
                "vpc_config.subnet_ids",
                "vpc_config.security_group_ids",
                "kubernetes_network_config",
                "encryption_config",
            ])
            .default_at("bootstrap_self_managed_addons", Value::Bool(true))
            .default_at("vpc_config.endpoint_private_access", Value::Bool(false))
            .default_at("vpc_config.endpoint_public_access", Value::Bool(true))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "role_arn",
            "version",
            "bootstrap_self_managed_addons",
            "enabled_cluster_log_types",
            "vpc_config",
            "kubernetes_network_config.service_ipv4_cidr",
            "kubernetes_network_config.ip_family",
            "access_config",
            "tags",
            "timeouts",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let pairs = COMPUTED_BLOCKS
            .iter()
            .filter(|b| first(req.config, b).is_none())
            .map(|b| {
                let v = match req.prior {
                    Some(p) => p.get_attr(b).cloned().unwrap_or(Value::Null),
                    None => Value::Unknown,
                };
                (*b, v)
            })
            .collect();
        Ok(PlanResponse::of(fill(req.proposed, pairs)))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = need_str(planned, "name")?;
        let mut req = c
            .eks
            .create_cluster()
            .name(&name)
            .role_arn(need_str(planned, "role_arn")?)
            .resources_vpc_config(vpc_request(planned))
            .client_request_token(op.token)
            .set_version(attr_str(planned, "version"))
            .set_tags(Some(send_tags(planned).into_iter().collect()))
            .set_bootstrap_self_managed_addons(attr_bool(planned, "bootstrap_self_managed_addons"));
        let logs = log_types(planned);
        if !logs.is_empty() {
            req = req.logging(logging(&logs));
        }
        if let Some(n) = first(planned, "kubernetes_network_config") {
            req = req.kubernetes_network_config(
                KubernetesNetworkConfigRequest::builder()
                    .set_service_ipv4_cidr(attr_str(n, "service_ipv4_cidr"))
                    .set_ip_family(attr_str(n, "ip_family").map(|f| f.as_str().into()))
                    .build(),
            );
        }
        if let Some(a) = first(planned, "access_config") {
            req = req.access_config(
                CreateAccessConfigRequest::builder()
                    .set_authentication_mode(
                        attr_str(a, "authentication_mode")
                            .map(|m| AuthenticationMode::from(m.as_str())),
                    )
                    .set_bootstrap_cluster_creator_admin_permissions(attr_bool(
                        a,
                        "bootstrap_cluster_creator_admin_permissions",
                    ))
                    .build(),
            );
        }
        req.send().await.map_err(sdk)?;
        let base = fill(planned, vec![("id", Value::string(&name))]);
        if let Err(mut e) = self
            .wait(c, &name, false, timeout(planned, "create"), op)
            .await
        {
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "name"))
            .unwrap_or_default();
        Ok(self
            .describe(c, &name)
            .await?
            .filter(|cl| cl.status().map(|s| s.as_str()) != Some("DELETING"))
            .map(|cl| self.to_value(prior, &cl)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let name = need_str(prior, "id")?;
        let limit = timeout(planned, "update");
        if attr_str(prior, "version") != attr_str(planned, "version") {
            if let Some(v) = attr_str(planned, "version") {
                c.eks
                    .update_cluster_version()
                    .name(&name)
                    .version(v)
                    .client_request_token(format!("{}-version", op.token))
                    .send()
                    .await
                    .map_err(sdk)?;
                self.wait(c, &name, false, limit, op).await?;
            }
        }
        let access = |v: &Value| {
            first(v, "vpc_config").map(|b| {
                (
                    attr_bool(b, "endpoint_private_access"),
                    attr_bool(b, "endpoint_public_access"),
                    strings(b, "public_access_cidrs"),
                )
            })
        };
        let logs_changed = log_types(prior) != log_types(planned);
        if access(prior) != access(planned) || logs_changed {
            let mut vpc = vpc_request(planned);
            // Subnets and groups cannot change in place (they force a new cluster).
            vpc.subnet_ids = None;
            vpc.security_group_ids = None;
            let mut req = c
                .eks
                .update_cluster_config()
                .name(&name)
                .client_request_token(format!("{}-config", op.token));
            if access(prior) != access(planned) {
                req = req.resources_vpc_config(vpc);
            }
            if logs_changed {
                req = req.logging(logging(&log_types(planned)));
            }
            req.send().await.map_err(sdk)?;
            self.wait(c, &name, false, limit, op).await?;
        }
        crate::eks_cluster::sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "id")?;
        match c.eks.delete_cluster().name(&name).send().await.map_err(sdk) {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wait(c, &name, true, timeout(prior, "delete"), op)
            .await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
