//! `aws_eks_node_group`: managed GPU nodes (ami_type AL2023_x86_64_NVIDIA /
//! BOTTLEROCKET_x86_64_NVIDIA). Terraform's id is `CLUSTER:NODEGROUP`. Scaling, labels,
//! taints and update settings change in place (UpdateNodegroupConfig), waited on by the
//! node group's status (EKS's DescribeUpdate adds nothing the status does not say); the
//! rest forces a new group. Creates carry the idempotency token as `clientRequestToken`.

use crate::clients::Clients;
use crate::eks_cluster::split_id;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, Nodegroup, NodegroupScalingConfig, NodegroupUpdateConfig,
    RemoteAccessConfig, Taint, TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload,
};
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct NodeGroup;

fn scaling(v: &Value) -> Option<NodegroupScalingConfig> {
    first(v, "scaling_config").map(|s| {
        NodegroupScalingConfig::builder()
            .set_desired_size(attr_num(s, "desired_size").map(|n| n as i32))
            .set_min_size(attr_num(s, "min_size").map(|n| n as i32))
            .set_max_size(attr_num(s, "max_size").map(|n| n as i32))
            .build()
    })
}

fn update_config(v: &Value) -> Option<NodegroupUpdateConfig> {
    first(v, "update_config").map(|u| {
        NodegroupUpdateConfig::builder()
            .set_max_unavailable(
                attr_num(u, "max_unavailable")
                    .filter(|n| *n > 0.0)
                    .map(|n| n as i32),
            )
            .set_max_unavailable_percentage(
                attr_num(u, "max_unavailable_percentage")
                    .filter(|n| *n > 0.0)
                    .map(|n| n as i32),
            )
            .build()
    })
}

/// (key, effect) → value of each configured taint.
fn taints(v: &Value) -> BTreeMap<(String, String), Option<String>> {
    v.get_attr("taint")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                (
                    attr_str(t, "key").unwrap_or_default(),
                    attr_str(t, "effect").unwrap_or_default(),
                ),
                attr_str(t, "value"),
            )
        })
        .collect()
}

fn sdk_taint(key: &str, effect: &str, value: Option<&String>) -> Taint {
    Taint::builder()
        .key(key)
        .effect(TaintEffect::from(effect))
        .set_value(value.cloned())
        .build()
}

impl NodeGroup {
    async fn describe(
        &self,
        c: &Clients,
        cluster: &str,
        name: &str,
    ) -> ProviderResult<Option<Nodegroup>> {
        match c
            .eks
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => Ok(r.nodegroup().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn wait(
        &self,
        c: &Clients,
        cluster: &str,
        name: &str,
        want_gone: bool,
        limit: Option<std::time::Duration>,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let what = format!(
            "EKS node group {cluster}:{name} to be {}",
            if want_gone { "deleted" } else { "ACTIVE" }
        );
        wait_until(limit, &what, || async {
            let Some(ng) = self.describe(c, cluster, name).await? else {
                return Ok(want_gone);
            };
            let status = ng.status().map(|s| s.as_str()).unwrap_or("");
            op.progress.status(status);
            if matches!(status, "CREATE_FAILED" | "DEGRADED" | "DELETE_FAILED") {
                let issues: Vec<String> = ng
                    .health()
                    .map(|h| {
                        h.issues()
                            .iter()
                            .map(|i| i.message().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!(
                        "EKS node group {cluster}:{name} is {status}: {}",
                        issues.join("; ")
                    ),
                ));
            }
            Ok(!want_gone && status == "ACTIVE")
        })
        .await
    }

    fn to_value(&self, prior: &Value, ng: &Nodegroup) -> Value {
        let cluster = ng.cluster_name().unwrap_or_default();
        let name = ng.nodegroup_name().unwrap_or_default();
        let tags: BTreeMap<String, String> = ng
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let labels: BTreeMap<String, String> = ng
            .labels()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let num = |n: Option<i32>| n.map(|n| Value::Number(n as f64)).unwrap_or(Value::Null);
        let scaling = ng.scaling_config().map(|s| {
            obj(vec![
                ("desired_size", num(s.desired_size())),
                ("min_size", num(s.min_size())),
                ("max_size", num(s.max_size())),
            ])
        });
        let update = ng.update_config().map(|u| {
            obj(vec![
                (
                    "max_unavailable",
                    Value::Number(u.max_unavailable().unwrap_or(0) as f64),
                ),
                (
                    "max_unavailable_percentage",
                    Value::Number(u.max_unavailable_percentage().unwrap_or(0) as f64),
                ),
            ])
        });
        let taint: Vec<Value> = ng
            .taints()
            .iter()
            .map(|t| {
                obj(vec![
                    ("key", opt_str(t.key())),
                    ("value", opt_str(t.value())),
                    ("effect", opt_str(t.effect().map(|e| e.as_str()))),
                ])
            })
            .collect();
        let remote = ng.remote_access().map(|r| {
            obj(vec![
                ("ec2_ssh_key", Value::string(r.ec2_ssh_key().unwrap_or(""))),
                (
                    "source_security_group_ids",
                    crate::ec2_object::string_set(r.source_security_groups()),
                ),
            ])
        });
        let resources = ng.resources().map(|r| {
            obj(vec![
                (
                    "autoscaling_groups",
                    Value::list(
                        r.auto_scaling_groups()
                            .iter()
                            .map(|g| obj(vec![("name", opt_str(g.name()))]))
                            .collect(),
                    ),
                ),
                (
                    "remote_access_security_group_id",
                    Value::string(r.remote_access_security_group().unwrap_or("")),
                ),
            ])
        });
        let labels_value =
            if labels.is_empty() && prior.get_attr("labels").is_none_or(Value::is_null) {
                Value::Null
            } else {
                tags_value(&labels)
            };
        let mut pairs = vec![
            ("id", Value::string(format!("{cluster}:{name}"))),
            ("cluster_name", Value::string(cluster)),
            ("node_group_name", Value::string(name)),
            ("arn", opt_str(ng.nodegroup_arn())),
            ("node_role_arn", opt_str(ng.node_role())),
            ("subnet_ids", crate::ec2_object::string_set(ng.subnets())),
            ("ami_type", opt_str(ng.ami_type().map(|a| a.as_str()))),
            (
                "capacity_type",
                opt_str(ng.capacity_type().map(|a| a.as_str())),
            ),
            ("disk_size", num(ng.disk_size())),
            (
                "instance_types",
                Value::list(ng.instance_types().iter().map(Value::string).collect()),
            ),
            ("release_version", opt_str(ng.release_version())),
            ("version", opt_str(ng.version())),
            ("status", opt_str(ng.status().map(|s| s.as_str()))),
            ("labels", labels_value),
            ("scaling_config", Value::list(scaling.into_iter().collect())),
            ("update_config", Value::list(update.into_iter().collect())),
            ("taint", Value::set(taint)),
            ("remote_access", Value::list(remote.into_iter().collect())),
            ("resources", Value::list(resources.into_iter().collect())),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        fill(prior, pairs)
    }
}

#[async_trait]
impl ResourceType for NodeGroup {
    fn name(&self) -> &'static str {
        "aws_eks_node_group"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_eks_node_group").force_new_at(&[
            "cluster_name",
            "node_group_name",
            "node_group_name_prefix",
            "node_role_arn",
            "subnet_ids",
            "ami_type",
            "capacity_type",
            "disk_size",
            "instance_types",
            "remote_access",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "cluster_name",
            "node_group_name",
            "node_group_name_prefix",
            "node_role_arn",
            "subnet_ids",
            "ami_type",
            "capacity_type",
            "disk_size",
            "instance_types",
            "labels",
            "taint",
            "scaling_config",
            "update_config",
            "remote_access",
            "version",
            "release_version",
            "tags",
            "timeouts",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let cluster = need_str(planned, "cluster_name")?;
        let name = name_or_generated(
            planned,
            "node_group_name",
            "node_group_name_prefix",
            op.token,
        );
        let remote = first(planned, "remote_access").map(|r| {
            RemoteAccessConfig::builder()
                .set_ec2_ssh_key(attr_str(r, "ec2_ssh_key"))
                .set_source_security_groups(
                    Some(strings(r, "source_security_group_ids")).filter(|l| !l.is_empty()),
                )
                .build()
        });
        let labels: BTreeMap<String, String> = string_map(planned, "labels");
        let req = c
            .eks
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .node_role(need_str(planned, "node_role_arn")?)
            .set_subnets(Some(strings(planned, "subnet_ids")))
            .set_ami_type(attr_str(planned, "ami_type").map(|a| AmiTypes::from(a.as_str())))
            .set_capacity_type(
                attr_str(planned, "capacity_type").map(|a| CapacityTypes::from(a.as_str())),
            )
            .set_disk_size(attr_num(planned, "disk_size").map(|n| n as i32))
            .set_instance_types(Some(strings(planned, "instance_types")).filter(|l| !l.is_empty()))
            .set_scaling_config(scaling(planned))
            .set_update_config(update_config(planned))
            .set_remote_access(remote)
            .set_version(attr_str(planned, "version"))
            .set_release_version(attr_str(planned, "release_version"))
            .set_labels(
                Some(labels.into_iter().collect())
                    .filter(|m: &std::collections::HashMap<_, _>| !m.is_empty()),
            )
            .set_taints(
                Some(
                    taints(planned)
                        .iter()
                        .map(|((k, e), v)| sdk_taint(k, e, v.as_ref()))
                        .collect::<Vec<_>>(),
                )
                .filter(|l| !l.is_empty()),
            )
            .set_tags(Some(send_tags(planned).into_iter().collect()))
            .client_request_token(op.token);
        req.send().await.map_err(sdk)?;
        let base = fill(
            planned,
            vec![("id", Value::string(format!("{cluster}:{name}")))],
        );
        if let Err(mut e) = self
            .wait(c, &cluster, &name, false, timeout(planned, "create"), op)
            .await
        {
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let (cluster, name) = split_id("node group", &need_str(prior, "id")?)?;
        Ok(self
            .describe(c, &cluster, &name)
            .await?
            .filter(|ng| ng.status().map(|s| s.as_str()) != Some("DELETING"))
            .map(|ng| self.to_value(prior, &ng)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let (cluster, name) = split_id("node group", &id)?;
        let (old_labels, new_labels) = (string_map(prior, "labels"), string_map(planned, "labels"));
        let (old_taints, new_taints) = (taints(prior), taints(planned));
        let scaling_changed = first(prior, "scaling_config") != first(planned, "scaling_config");
        let update_changed = first(prior, "update_config") != first(planned, "update_config");
        if old_labels != new_labels || old_taints != new_taints || scaling_changed || update_changed
        {
            let mut req = c
                .eks
                .update_nodegroup_config()
                .cluster_name(&cluster)
                .nodegroup_name(&name)
                .client_request_token(format!("{}-config", op.token));
            if scaling_changed {
                req = req.set_scaling_config(scaling(planned));
            }
            if update_changed {
                req = req.set_update_config(update_config(planned));
            }
            if old_labels != new_labels {
                let add: std::collections::HashMap<String, String> = new_labels
                    .iter()
                    .filter(|(k, v)| old_labels.get(*k) != Some(v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let remove: Vec<String> = old_labels
                    .keys()
                    .filter(|k| !new_labels.contains_key(*k))
                    .cloned()
                    .collect();
                req = req.labels(
                    UpdateLabelsPayload::builder()
                        .set_add_or_update_labels(Some(add).filter(|m| !m.is_empty()))
                        .set_remove_labels(Some(remove).filter(|l| !l.is_empty()))
                        .build(),
                );
            }
            if old_taints != new_taints {
                let add: Vec<Taint> = new_taints
                    .iter()
                    .filter(|(k, v)| old_taints.get(*k) != Some(v))
                    .map(|((k, e), v)| sdk_taint(k, e, v.as_ref()))
                    .collect();
                let remove: Vec<Taint> = old_taints
                    .iter()
                    .filter(|(k, _)| !new_taints.contains_key(*k))
                    .map(|((k, e), v)| sdk_taint(k, e, v.as_ref()))
                    .collect();
                req = req.taints(
                    UpdateTaintsPayload::builder()
                        .set_add_or_update_taints(Some(add).filter(|l| !l.is_empty()))
                        .set_remove_taints(Some(remove).filter(|l| !l.is_empty()))
                        .build(),
                );
            }
            req.send().await.map_err(sdk)?;
            self.wait(c, &cluster, &name, false, timeout(planned, "update"), op)
                .await?;
        }
        crate::eks_cluster::sync_tags(c, &need_str(prior, "arn")?, prior, planned).await?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (cluster, name) = split_id("node group", &need_str(prior, "id")?)?;
        match c
            .eks
            .delete_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wait(c, &cluster, &name, true, timeout(prior, "delete"), op)
            .await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let cluster = need_str(planned, "cluster_name")?;
        let name = name_or_generated(planned, "node_group_name", "node_group_name_prefix", token);
        let base = fill(
            planned,
            vec![("id", Value::string(format!("{cluster}:{name}")))],
        );
        self.read(c, &base).await
    }
}
