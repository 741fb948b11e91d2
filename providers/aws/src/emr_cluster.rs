//! `aws_emr_cluster`: the Spark/Hadoop cluster data preparation runs on, with GPU core groups.
//! RunJobFlow takes no idempotency token, so the create carries a `gantry:token` tag and an
//! interrupted create is found among the live clusters of the planned name by that tag.
//! Creation waits (live status, no fixed limit) until the cluster runs or waits for steps;
//! deletion until it is terminated. Core group size, auto-termination, termination
//! protection, visibility, unhealthy-node replacement, step concurrency and tags change in
//! place; everything else replaces, as upstream.

use crate::clients::Clients;
use crate::ec2_object::TOKEN_TAG;
use crate::emr_cluster_parts as parts;
use crate::emr_cluster_read::{self as read, terminal};
use crate::error::sdk;
use crate::iam_role::{normalized_json, same_json};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_emr::types::{ClusterState, InstanceGroupModifyConfig, ScaleDownBehavior, Tag};
use gantry_core::provider::{Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct EmrCluster;

/// Blocks upstream declares Optional + Computed.
const COMPUTED_BLOCKS: &[&str] = &[
    "master_instance_group",
    "core_instance_group",
    "master_instance_fleet",
    "core_instance_fleet",
];

/// States in which a cluster still exists (the rest are terminal).
const LIVE: &[ClusterState] = &[
    ClusterState::Starting,
    ClusterState::Bootstrapping,
    ClusterState::Running,
    ClusterState::Waiting,
    ClusterState::Terminating,
];

impl EmrCluster {
    async fn wait_ready(&self, c: &Clients, id: &str, op: &Op<'_>) -> ProviderResult<()> {
        let awaited = Awaited {
            object: format!("EMR cluster {id}"),
            ready: &["RUNNING", "WAITING"],
            gone: false,
        };
        // A cluster that ends during its creation failed (bootstrap errors, capacity).
        let failed = |s: &str| s.starts_with("TERMINAT");
        wait_for_status(
            timeout(op.config, "create"),
            awaited,
            op.progress,
            failed,
            || async {
                Ok(read::describe(c, id).await?.map(|cl| {
                    let status = cl.status();
                    let reason = status
                        .and_then(|s| s.state_change_reason())
                        .map(|r| {
                            format!(
                                "{} {}",
                                r.code().map(|c| c.as_str()).unwrap_or(""),
                                r.message().unwrap_or("")
                            )
                        })
                        .unwrap_or_default();
                    let state = status.and_then(|s| s.state()).map(|s| s.as_str());
                    (state.unwrap_or("").to_string(), reason.trim().to_string())
                }))
            },
        )
        .await
    }

    /// Resizing runs until the group is RUNNING again; ARRESTED means it could not grow
    /// (capacity, bootstrap failures on the new nodes).
    async fn wait_group(
        &self,
        c: &Clients,
        id: &str,
        group: &str,
        op: &Op<'_>,
    ) -> ProviderResult<()> {
        let awaited = Awaited {
            object: format!("EMR instance group {group} of {id}"),
            ready: &["RUNNING"],
            gone: false,
        };
        let failed = |s: &str| s == "ARRESTED" || s.starts_with("TERMINAT");
        wait_for_status(
            timeout(op.config, "update"),
            awaited,
            op.progress,
            failed,
            || async {
                let groups = read::instance_groups(c, id).await?;
                Ok(groups.iter().find(|g| g.id() == Some(group)).map(|g| {
                    let status = g.status();
                    let state = status.and_then(|s| s.state()).map(|s| s.as_str());
                    let reason = status
                        .and_then(|s| s.state_change_reason())
                        .and_then(|r| r.message())
                        .unwrap_or("");
                    (state.unwrap_or("").to_string(), reason.to_string())
                }))
            },
        )
        .await
    }

    async fn wait_terminated(&self, c: &Clients, id: &str, op: &Op<'_>) -> ProviderResult<()> {
        let awaited = Awaited {
            object: format!("EMR cluster {id}"),
            ready: &[],
            gone: true,
        };
        wait_for_status(
            timeout(op.config, "delete"),
            awaited,
            op.progress,
            |_| false,
            || async {
                Ok(read::describe(c, id)
                    .await?
                    .filter(|cl| !terminal(cl))
                    .map(|cl| {
                        let state = cl.status().and_then(|s| s.state()).map(|s| s.as_str());
                        (state.unwrap_or("").to_string(), String::new())
                    }))
            },
        )
        .await
    }

    async fn set_termination_protection(
        &self,
        c: &Clients,
        id: &str,
        on: bool,
    ) -> ProviderResult<()> {
        c.emr
            .set_termination_protection()
            .job_flow_ids(id)
            .termination_protected(on)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}

#[async_trait]
impl ResourceType for EmrCluster {
    fn name(&self) -> &'static str {
        "aws_emr_cluster"
    }

    fn schema(&self) -> ResourceSchema {
        let mut s = crate::upstream::resource("aws_emr_cluster").force_new_at(&[
            "additional_info",
            "applications",
            "autoscaling_role",
            "bootstrap_action",
            "configurations",
            "configurations_json",
            "custom_ami_id",
            "ebs_root_volume_size",
            "ec2_attributes",
            "keep_job_flow_alive_when_no_steps",
            "log_encryption_kms_key_id",
            "log_uri",
            "name",
            "placement_group_config",
            "release_label",
            "scale_down_behavior",
            "security_configuration",
            "service_role",
            "step",
            "master_instance_group",
            "core_instance_group.bid_price",
            "core_instance_group.ebs_config",
            "core_instance_group.instance_type",
            "core_instance_group.name",
        ]);
        for g in ["master_instance_group", "core_instance_group"] {
            s = s
                .default_at(&format!("{g}.instance_count"), Value::Number(1.0))
                .default_at(
                    &format!("{g}.ebs_config.volumes_per_instance"),
                    Value::Number(1.0),
                );
        }
        s.default_at("step_concurrency_level", Value::Number(1.0))
            .default_at("unhealthy_node_replacement", Value::Bool(false))
            .default_at("visible_to_all_users", Value::Bool(true))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "release_label",
            "service_role",
            "applications",
            "additional_info",
            "autoscaling_role",
            "configurations",
            "configurations_json",
            "custom_ami_id",
            "ebs_root_volume_size",
            "keep_job_flow_alive_when_no_steps",
            "list_steps_states",
            "log_encryption_kms_key_id",
            "log_uri",
            "placement_group_config",
            "scale_down_behavior",
            "security_configuration",
            "step",
            "step_concurrency_level",
            "termination_protection",
            "unhealthy_node_replacement",
            "visible_to_all_users",
            "tags",
            "ec2_attributes",
            "master_instance_group",
            "core_instance_group.bid_price",
            "core_instance_group.ebs_config",
            "core_instance_group.instance_count",
            "core_instance_group.instance_type",
            "core_instance_group.name",
            "bootstrap_action",
            "auto_termination_policy",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut pairs: Vec<(&str, Value)> = Vec::new();
        for k in ["configurations_json", "additional_info"] {
            if let Some(doc) = nonempty(req.proposed, k) {
                if serde_json::from_str::<serde_json::Value>(&doc).is_err() {
                    return Err(crate::ec2_object::invalid(format!(
                        "aws_emr_cluster: {k} contains an invalid JSON: {doc:?}"
                    )));
                }
                // Kept normalised in state (upstream's StateFunc); equivalent JSON is no change.
                let was = req.prior.and_then(|p| nonempty(p, k));
                let now = match was {
                    Some(w) if same_json(&w, &doc) => w,
                    _ => normalized_json(&doc),
                };
                pairs.push((k, Value::string(now)));
            }
        }
        if let (Some(prior), Some(now)) = (req.prior, nonempty(req.proposed, "log_uri")) {
            if nonempty(prior, "log_uri").is_some_and(|w| w.replace("s3n://", "s3://") == now) {
                pairs.push(("log_uri", prior.get_attr("log_uri").cloned().unwrap()));
            }
        }
        // `ebs_config` is Optional + Computed inside each group: left out, EMR picks the
        // volumes (unknown at create, the recorded ones after).
        for g in ["master_instance_group", "core_instance_group"] {
            let configured =
                first(req.config, g).is_some_and(|c| !blocks(c, "ebs_config").is_empty());
            let Some(group) = first(req.proposed, g).filter(|_| !configured) else {
                continue;
            };
            let was = req
                .prior
                .and_then(|p| first(p, g))
                .and_then(|p| p.get_attr("ebs_config").cloned())
                .unwrap_or(Value::Unknown);
            pairs.push((g, Value::list(vec![fill(group, vec![("ebs_config", was)])])));
        }
        let proposed = fill(req.proposed, pairs);
        Ok(PlanResponse::of(keep_computed_blocks(
            COMPUTED_BLOCKS,
            req.prior,
            req.config,
            &proposed,
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let mut tags: Vec<Tag> = send_tags(planned)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        tags.push(Tag::builder().key(TOKEN_TAG).value(op.token).build());
        let steps = parts::steps(planned);
        let bootstrap = parts::bootstrap_actions(planned);
        let placement = parts::placement_groups(planned);
        let protect = attr_bool(planned, "termination_protection").unwrap_or(false);
        let r = c
            .emr_once
            .run_job_flow()
            .name(need_str(planned, "name")?)
            .release_label(need_str(planned, "release_label")?)
            .service_role(need_str(planned, "service_role")?)
            .instances(parts::instances(planned))
            .set_applications(Some(parts::applications(planned)))
            .visible_to_all_users(attr_bool(planned, "visible_to_all_users").unwrap_or(true))
            .set_additional_info(nonempty(planned, "additional_info"))
            .set_log_encryption_kms_key_id(nonempty(planned, "log_encryption_kms_key_id"))
            .set_log_uri(nonempty(planned, "log_uri"))
            .set_auto_scaling_role(nonempty(planned, "autoscaling_role"))
            .set_scale_down_behavior(
                nonempty(planned, "scale_down_behavior")
                    .map(|b| ScaleDownBehavior::from(b.as_str())),
            )
            .set_security_configuration(nonempty(planned, "security_configuration"))
            .set_ebs_root_volume_size(
                attr_num(planned, "ebs_root_volume_size")
                    .filter(|n| *n > 0.0)
                    .map(|n| n as i32),
            )
            .set_custom_ami_id(nonempty(planned, "custom_ami_id"))
            .set_step_concurrency_level(
                attr_num(planned, "step_concurrency_level").map(|n| n as i32),
            )
            .set_job_flow_role(
                first(planned, "ec2_attributes").and_then(|e| nonempty(e, "instance_profile")),
            )
            .set_bootstrap_actions((!bootstrap.is_empty()).then_some(bootstrap))
            .set_steps((!steps.is_empty()).then_some(steps))
            .set_configurations(parts::configurations(planned)?)
            .set_auto_termination_policy(parts::auto_termination(planned))
            .set_placement_group_configs((!placement.is_empty()).then_some(placement))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk)?;
        let id = r.job_flow_id().unwrap_or_default().to_string();
        let base = fill(planned, vec![("id", Value::string(&id))]);
        if let Err(mut e) = self.wait_ready(c, &id, op).await {
            // The cluster exists (or did): hand it back with the error so it is recorded.
            e.partial = self.read(c, &base).await.ok().flatten().map(Box::new);
            return Err(e);
        }
        // EMR turns protection on for clusters with three masters whatever was asked.
        let live = read::describe(c, &id).await?;
        if live.and_then(|cl| cl.termination_protected()) != Some(protect) {
            self.set_termination_protection(c, &id, protect).await?;
        }
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = need_str(prior, "id")?;
        read::read_id(c, &id, prior).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let id = need_str(prior, "id")?;
        let changed = |k: &str| {
            legacy_normal(prior.get_attr(k).unwrap_or(&Value::Null))
                != legacy_normal(planned.get_attr(k).unwrap_or(&Value::Null))
        };
        if changed("visible_to_all_users") {
            c.emr
                .set_visible_to_all_users()
                .job_flow_ids(&id)
                .visible_to_all_users(attr_bool(planned, "visible_to_all_users").unwrap_or(true))
                .send()
                .await
                .map_err(sdk)?;
        }
        if changed("auto_termination_policy") {
            match parts::auto_termination(planned) {
                Some(p) => {
                    c.emr
                        .put_auto_termination_policy()
                        .cluster_id(&id)
                        .auto_termination_policy(p)
                        .send()
                        .await
                        .map_err(sdk)?;
                }
                None => {
                    c.emr
                        .remove_auto_termination_policy()
                        .cluster_id(&id)
                        .send()
                        .await
                        .map_err(sdk)?;
                }
            }
        }
        if changed("termination_protection") {
            let on = attr_bool(planned, "termination_protection").unwrap_or(false);
            self.set_termination_protection(c, &id, on).await?;
        }
        if changed("unhealthy_node_replacement") {
            c.emr
                .set_unhealthy_node_replacement()
                .job_flow_ids(&id)
                .unhealthy_node_replacement(
                    attr_bool(planned, "unhealthy_node_replacement").unwrap_or(false),
                )
                .send()
                .await
                .map_err(sdk)?;
        }
        let count =
            |v: &Value| first(v, "core_instance_group").and_then(|g| attr_num(g, "instance_count"));
        if let (Some(was), Some(now)) = (count(prior), count(planned)) {
            if was != now {
                let group = first(prior, "core_instance_group")
                    .and_then(|g| nonempty(g, "id"))
                    .unwrap_or_default();
                c.emr
                    .modify_instance_groups()
                    .cluster_id(&id)
                    .instance_groups(
                        InstanceGroupModifyConfig::builder()
                            .instance_group_id(&group)
                            .instance_count(now as i32)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(sdk)?;
                self.wait_group(c, &id, &group, op).await?;
            }
        }
        if changed("step_concurrency_level") {
            c.emr
                .modify_cluster()
                .cluster_id(&id)
                .set_step_concurrency_level(
                    attr_num(planned, "step_concurrency_level").map(|n| n as i32),
                )
                .send()
                .await
                .map_err(sdk)?;
        }
        let (removed, added) = tag_changes(prior, planned);
        if !removed.is_empty() {
            c.emr
                .remove_tags()
                .resource_id(&id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        if !added.is_empty() {
            c.emr
                .add_tags()
                .resource_id(&id)
                .set_tags(Some(
                    added
                        .into_iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .send()
                .await
                .map_err(sdk)?;
        }
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let id = need_str(prior, "id")?;
        if read::describe(c, &id).await?.is_none_or(|cl| terminal(&cl)) {
            return Ok(());
        }
        c.emr
            .terminate_job_flows()
            .job_flow_ids(&id)
            .send()
            .await
            .map_err(sdk)?;
        self.wait_terminated(c, &id, op).await
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        read::read_id(c, id, &obj(vec![("id", Value::string(id))])).await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let name = attr_str(planned, "name");
        let live = c
            .emr
            .list_clusters()
            .set_cluster_states(Some(LIVE.to_vec()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(sdk)?;
        for summary in live.iter().filter(|s| s.name().map(String::from) == name) {
            let Some(id) = summary.id() else { continue };
            let Some(cl) = read::describe(c, id).await? else {
                continue;
            };
            let ours = cl
                .tags()
                .iter()
                .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token));
            if ours {
                let base = fill(planned, vec![("id", Value::string(id))]);
                let d = read::details(c, id, &base).await?;
                return Ok(Some(read::to_value(&base, &cl, &d)));
            }
        }
        Ok(None)
    }

    async fn settle(&self, c: &Clients, value: &Value) -> ProviderResult<()> {
        // Recorded: the token tag has done its work.
        if let Some(id) = attr_str(value, "id") {
            gone_is_ok(
                c.emr
                    .remove_tags()
                    .resource_id(id)
                    .tag_keys(TOKEN_TAG)
                    .send()
                    .await
                    .map_err(sdk),
            )?;
        }
        Ok(())
    }
}
