//! Reading an `aws_emr_cluster` back: DescribeCluster plus the instance groups, bootstrap
//! actions, steps and auto-termination policy, shaped as upstream records them.

use crate::clients::Clients;
use crate::ec2_object::TOKEN_TAG;
use crate::emr_cluster_parts as parts;
use crate::error::sdk;
use crate::iam_role::same_json;
use crate::util::*;
use aws_sdk_emr::types::{Cluster, ClusterState, InstanceGroup, StepState};
use gantry_core::provider::{ErrorKind, ProviderResult};
use gantry_core::value::Value;
use std::collections::BTreeMap;

/// Terminated clusters stay listed for months; they are gone.
pub(crate) fn terminal(c: &Cluster) -> bool {
    matches!(
        c.status().and_then(|s| s.state()),
        Some(ClusterState::Terminated | ClusterState::TerminatedWithErrors)
    )
}

/// What the read-back needs besides DescribeCluster.
pub(crate) struct Details {
    pub groups: Vec<InstanceGroup>,
    pub bootstrap: Vec<aws_sdk_emr::types::Command>,
    pub steps: Vec<aws_sdk_emr::types::StepSummary>,
    pub auto_termination: Option<i64>,
}

/// The cluster, `None` once it is gone (EMR keeps terminated clusters listed for months).
pub(crate) async fn describe(c: &Clients, id: &str) -> ProviderResult<Option<Cluster>> {
    match c
        .emr
        .describe_cluster()
        .cluster_id(id)
        .send()
        .await
        .map_err(sdk)
    {
        Ok(r) => Ok(r.cluster().cloned()),
        Err(e)
            if e.kind == ErrorKind::NotFound
                || (e.code.as_deref() == Some("InvalidRequestException")
                    && e.message.contains("is not valid")) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Every instance group of the cluster (ListInstanceGroups, all pages).
pub(crate) async fn instance_groups(c: &Clients, id: &str) -> ProviderResult<Vec<InstanceGroup>> {
    c.emr
        .list_instance_groups()
        .cluster_id(id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(sdk)
}

pub(crate) async fn details(c: &Clients, id: &str, prior: &Value) -> ProviderResult<Details> {
    let groups = instance_groups(c, id).await?;
    let bootstrap = c
        .emr
        .list_bootstrap_actions()
        .cluster_id(id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(sdk)?;
    let states: Vec<StepState> = strings(prior, "list_steps_states")
        .iter()
        .map(|s| StepState::from(s.as_str()))
        .collect();
    let steps = c
        .emr
        .list_steps()
        .cluster_id(id)
        .set_step_states((!states.is_empty()).then_some(states))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(sdk)?;
    let auto_termination = match c
        .emr
        .get_auto_termination_policy()
        .cluster_id(id)
        .send()
        .await
        .map_err(sdk)
    {
        Ok(r) => r.auto_termination_policy().and_then(|p| p.idle_timeout()),
        // Releases and accounts without auto-termination answer a validation error.
        Err(e) if e.kind == ErrorKind::NotFound || e.kind == ErrorKind::Validation => None,
        Err(e) => return Err(e),
    };
    Ok(Details {
        groups,
        bootstrap,
        steps,
        auto_termination,
    })
}

pub(crate) fn to_value(prior: &Value, cl: &Cluster, d: &Details) -> Value {
    let s = |x: Option<&str>| Value::string(x.unwrap_or(""));
    let tags: BTreeMap<String, String> = cl
        .tags()
        .iter()
        .filter(|t| t.key() != Some(TOKEN_TAG))
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect();
    // Equivalent JSON is no change (upstream's DiffSuppressOnRefresh): keep what was recorded.
    let configurations_json = match nonempty(prior, "configurations_json") {
        Some(was) => {
            let now = parts::configurations_json(cl.configurations());
            Value::string(if same_json(&was, &now) { was } else { now })
        }
        None => prior
            .get_attr("configurations_json")
            .filter(|v| !v.is_unknown())
            .cloned()
            .unwrap_or(Value::Null),
    };
    // EMRFS maps s3n:// and s3:// to the same place.
    let log_uri = match (nonempty(prior, "log_uri"), cl.log_uri()) {
        (Some(was), Some(now)) if was.replace("s3n://", "s3://") == now => Value::string(was),
        (_, now) => s(now),
    };
    let auto_termination = d
        .auto_termination
        .map(|t| vec![obj(vec![("idle_timeout", Value::Number(t as f64))])])
        .unwrap_or_default();
    let keep_alive = match prior.get_attr("keep_job_flow_alive_when_no_steps") {
        Some(Value::Bool(b)) => Value::Bool(*b),
        // Imported: only the cluster's auto-terminate flag says.
        _ => Value::Bool(!cl.auto_terminate().unwrap_or(false)),
    };
    let mut pairs = vec![
        ("id", opt_str(cl.id())),
        ("arn", opt_str(cl.cluster_arn())),
        ("name", opt_str(cl.name())),
        (
            "cluster_state",
            s(cl.status().and_then(|x| x.state()).map(|x| x.as_str())),
        ),
        ("release_label", s(cl.release_label())),
        ("service_role", s(cl.service_role())),
        ("security_configuration", s(cl.security_configuration())),
        ("autoscaling_role", s(cl.auto_scaling_role())),
        (
            "log_encryption_kms_key_id",
            s(cl.log_encryption_kms_key_id()),
        ),
        ("log_uri", log_uri),
        ("master_public_dns", s(cl.master_public_dns_name())),
        (
            "visible_to_all_users",
            Value::Bool(cl.visible_to_all_users().unwrap_or(false)),
        ),
        (
            "ebs_root_volume_size",
            Value::Number(cl.ebs_root_volume_size().unwrap_or(0) as f64),
        ),
        (
            "scale_down_behavior",
            s(cl.scale_down_behavior().map(|b| b.as_str())),
        ),
        (
            "termination_protection",
            Value::Bool(cl.termination_protected().unwrap_or(false)),
        ),
        (
            "unhealthy_node_replacement",
            Value::Bool(cl.unhealthy_node_replacement().unwrap_or(false)),
        ),
        (
            "step_concurrency_level",
            Value::Number(cl.step_concurrency_level().unwrap_or(0) as f64),
        ),
        ("custom_ami_id", s(cl.custom_ami_id())),
        ("keep_job_flow_alive_when_no_steps", keep_alive),
        (
            "applications",
            Value::set(
                cl.applications()
                    .iter()
                    .filter_map(|a| a.name())
                    .map(Value::string)
                    .collect(),
            ),
        ),
        ("configurations_json", configurations_json),
        (
            "ec2_attributes",
            parts::ec2_attributes(cl.ec2_instance_attributes()),
        ),
        (
            "master_instance_group",
            parts::group_value(&d.groups, "MASTER", prior, "master_instance_group"),
        ),
        (
            "core_instance_group",
            parts::group_value(&d.groups, "CORE", prior, "core_instance_group"),
        ),
        // Instance fleets are not implemented (refused at plan).
        ("master_instance_fleet", Value::list(vec![])),
        ("core_instance_fleet", Value::list(vec![])),
        ("kerberos_attributes", Value::list(vec![])),
        ("bootstrap_action", parts::bootstrap_value(&d.bootstrap)),
        ("step", parts::steps_value(&d.steps)),
        ("auto_termination_policy", Value::list(auto_termination)),
        (
            "placement_group_config",
            parts::placement_value(cl.placement_groups()),
        ),
    ];
    // Not reported by EMR: what was configured stays.
    for k in ["additional_info", "configurations", "list_steps_states"] {
        let v = prior
            .get_attr(k)
            .filter(|v| !v.is_unknown())
            .cloned()
            .unwrap_or(Value::Null);
        pairs.push((k, v));
    }
    pairs.extend(tag_attrs(prior, &tags));
    let schema = crate::resource_schema("aws_emr_cluster");
    sdkv2_fill(&schema.block, &fill(prior, pairs))
}

pub(crate) async fn read_id(c: &Clients, id: &str, prior: &Value) -> ProviderResult<Option<Value>> {
    let Some(cl) = describe(c, id).await?.filter(|cl| !terminal(cl)) else {
        return Ok(None);
    };
    let d = details(c, id, prior).await?;
    Ok(Some(to_value(prior, &cl, &d)))
}
