//! The pieces of an `aws_emr_cluster` both ways: configuration → RunJobFlow's instance groups,
//! EC2 attributes, bootstrap actions, steps and configurations; and EMR's answers → the
//! attribute values upstream records for them.

use crate::ec2_object::invalid;
use crate::iam_role::normalized_json;
use crate::util::*;
use aws_sdk_emr::types::{
    ActionOnFailure, Application, AutoTerminationPolicy, BootstrapActionConfig, Command,
    Configuration, EbsBlockDevice, EbsBlockDeviceConfig, EbsConfiguration, HadoopJarStepConfig,
    InstanceGroup, InstanceGroupConfig, InstanceRoleType, JobFlowInstancesConfig, KeyValue,
    MarketType, PlacementGroupConfig, PlacementGroupStrategy, ScriptBootstrapActionConfig,
    StepConfig, StepSummary,
};
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;
use serde_json::{Map as JsonMap, Value as Json};

fn positive(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).filter(|n| *n > 0.0).map(|n| n as i32)
}

/// A comma-separated security group list, as upstream splits it.
fn group_list(v: &Value, k: &str) -> Option<Vec<String>> {
    nonempty(v, k).map(|s| s.split(',').map(|g| g.trim().to_string()).collect())
}

fn instance_group(g: &Value, role: InstanceRoleType) -> InstanceGroupConfig {
    let bid = nonempty(g, "bid_price");
    let devices = blocks(g, "ebs_config")
        .iter()
        .map(|e| {
            let spec = aws_sdk_emr::types::VolumeSpecification::builder()
                .set_size_in_gb(positive(e, "size"))
                .set_volume_type(nonempty(e, "type"))
                .set_iops(positive(e, "iops"))
                .set_throughput(positive(e, "throughput"))
                .build();
            EbsBlockDeviceConfig::builder()
                .volume_specification(spec)
                .set_volumes_per_instance(positive(e, "volumes_per_instance"))
                .build()
        })
        .collect::<Vec<_>>();
    InstanceGroupConfig::builder()
        .instance_role(role)
        .set_instance_type(attr_str(g, "instance_type"))
        .instance_count(positive(g, "instance_count").unwrap_or(1))
        .market(if bid.is_some() {
            MarketType::Spot
        } else {
            MarketType::OnDemand
        })
        .set_bid_price(bid)
        // Upstream sends the name even when empty; EMR then reports it empty.
        .name(attr_str(g, "name").unwrap_or_default())
        .set_ebs_configuration((!devices.is_empty()).then(|| {
            EbsConfiguration::builder()
                .set_ebs_block_device_configs(Some(devices))
                .build()
        }))
        .build()
}

/// RunJobFlow's `Instances`: groups, networking, and the flags upstream sets at launch.
pub fn instances(p: &Value) -> JobFlowInstancesConfig {
    let mut groups = Vec::new();
    if let Some(g) = first(p, "master_instance_group") {
        groups.push(instance_group(g, InstanceRoleType::Master));
    }
    if let Some(g) = first(p, "core_instance_group") {
        groups.push(instance_group(g, InstanceRoleType::Core));
    }
    let ec2 = first(p, "ec2_attributes");
    let at = |k: &str| ec2.and_then(|e| nonempty(e, k));
    let subnets = ec2.map(|e| strings(e, "subnet_ids")).unwrap_or_default();
    JobFlowInstancesConfig::builder()
        .set_instance_groups(Some(groups))
        .keep_job_flow_alive_when_no_steps(
            attr_bool(p, "keep_job_flow_alive_when_no_steps").unwrap_or(true),
        )
        .termination_protected(attr_bool(p, "termination_protection").unwrap_or(false))
        .unhealthy_node_replacement(attr_bool(p, "unhealthy_node_replacement").unwrap_or(false))
        .set_ec2_key_name(at("key_name"))
        .set_ec2_subnet_id(at("subnet_id"))
        .set_ec2_subnet_ids((!subnets.is_empty()).then_some(subnets))
        .set_additional_master_security_groups(
            ec2.and_then(|e| group_list(e, "additional_master_security_groups")),
        )
        .set_additional_slave_security_groups(
            ec2.and_then(|e| group_list(e, "additional_slave_security_groups")),
        )
        .set_emr_managed_master_security_group(at("emr_managed_master_security_group"))
        .set_emr_managed_slave_security_group(at("emr_managed_slave_security_group"))
        .set_service_access_security_group(at("service_access_security_group"))
        .build()
}

pub fn applications(p: &Value) -> Vec<Application> {
    strings(p, "applications")
        .into_iter()
        .map(|a| Application::builder().name(a).build())
        .collect()
}

pub fn bootstrap_actions(p: &Value) -> Vec<BootstrapActionConfig> {
    blocks(p, "bootstrap_action")
        .iter()
        .map(|b| {
            BootstrapActionConfig::builder()
                .set_name(attr_str(b, "name"))
                .script_bootstrap_action(
                    ScriptBootstrapActionConfig::builder()
                        .set_path(attr_str(b, "path"))
                        .set_args(Some(strings(b, "args")))
                        .build(),
                )
                .build()
        })
        .collect()
}

pub fn steps(p: &Value) -> Vec<StepConfig> {
    blocks(p, "step")
        .iter()
        .map(|s| {
            let jar = first(s, "hadoop_jar_step");
            let properties = jar
                .map(|j| string_map(j, "properties"))
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| KeyValue::builder().key(k).value(v).build())
                .collect();
            StepConfig::builder()
                .set_name(attr_str(s, "name"))
                .set_action_on_failure(
                    attr_str(s, "action_on_failure").map(|a| ActionOnFailure::from(a.as_str())),
                )
                .hadoop_jar_step(
                    HadoopJarStepConfig::builder()
                        .set_jar(jar.and_then(|j| attr_str(j, "jar")))
                        .set_main_class(jar.and_then(|j| nonempty(j, "main_class")))
                        .set_args(jar.map(|j| strings(j, "args")))
                        .set_properties(Some(properties))
                        .build(),
                )
                .build()
        })
        .collect()
}

pub fn auto_termination(p: &Value) -> Option<AutoTerminationPolicy> {
    first(p, "auto_termination_policy").map(|a| {
        AutoTerminationPolicy::builder()
            .set_idle_timeout(attr_num(a, "idle_timeout").map(|n| n as i64))
            .build()
    })
}

pub fn placement_groups(p: &Value) -> Vec<PlacementGroupConfig> {
    blocks(p, "placement_group_config")
        .iter()
        .map(|g| {
            PlacementGroupConfig::builder()
                .set_instance_role(
                    attr_str(g, "instance_role").map(|r| InstanceRoleType::from(r.as_str())),
                )
                .set_placement_strategy(
                    nonempty(g, "placement_strategy")
                        .map(|s| PlacementGroupStrategy::from(s.as_str())),
                )
                .build()
        })
        .collect()
}

/// EMR configurations from their JSON form (`configurations_json`, or `configurations` when it
/// holds a JSON body or names a local `.json` file, as upstream reads it).
pub fn configurations(p: &Value) -> ProviderResult<Option<Vec<Configuration>>> {
    let text = match (
        nonempty(p, "configurations_json"),
        nonempty(p, "configurations"),
    ) {
        (Some(j), _) => j,
        (None, Some(c)) if c.starts_with("http") => return Err(invalid(
            "aws_emr_cluster: configurations from a URL are not fetched; use configurations_json",
        )),
        (None, Some(c)) if c.ends_with(".json") => std::fs::read_to_string(&c)
            .map_err(|e| invalid(format!("aws_emr_cluster: configurations {c}: {e}")))?,
        (None, Some(c)) => c,
        (None, None) => return Ok(None),
    };
    let doc: Json = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("aws_emr_cluster: configurations are not JSON: {e}")))?;
    let items = doc.as_array().ok_or_else(|| {
        invalid("aws_emr_cluster: configurations must be a JSON list of classifications")
    })?;
    items
        .iter()
        .map(configuration)
        .collect::<Result<_, _>>()
        .map(Some)
}

fn configuration(j: &Json) -> ProviderResult<Configuration> {
    let properties = j.get("Properties").and_then(Json::as_object).map(|m| {
        m.iter()
            .map(|(k, v)| {
                let s = v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string());
                (k.clone(), s)
            })
            .collect()
    });
    let nested = match j.get("Configurations").and_then(Json::as_array) {
        Some(l) => Some(l.iter().map(configuration).collect::<Result<Vec<_>, _>>()?),
        None => None,
    };
    Ok(Configuration::builder()
        .set_classification(
            j.get("Classification")
                .and_then(Json::as_str)
                .map(String::from),
        )
        .set_properties(properties)
        .set_configurations(nested)
        .build())
}

/// Configurations as the JSON upstream writes back (what EMR reports, empty parts left out).
pub fn configurations_json(cs: &[Configuration]) -> String {
    fn one(c: &Configuration) -> Json {
        let mut m = JsonMap::new();
        if let Some(k) = c.classification() {
            m.insert("Classification".into(), Json::String(k.into()));
        }
        if !c.configurations().is_empty() {
            m.insert(
                "Configurations".into(),
                Json::Array(c.configurations().iter().map(one).collect()),
            );
        }
        if let Some(p) = c.properties() {
            let props: JsonMap<String, Json> = p
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            m.insert("Properties".into(), Json::Object(props));
        }
        Json::Object(m)
    }
    normalized_json(&Json::Array(cs.iter().map(one).collect()).to_string())
}

/// An instance group's EBS volumes as upstream's set: identical volumes counted into
/// `volumes_per_instance`; iops and throughput null when EMR reports none.
fn ebs_config(devices: &[EbsBlockDevice]) -> Value {
    let mut items: Vec<(Value, usize)> = Vec::new();
    for d in devices {
        let Some(spec) = d.volume_specification() else {
            continue;
        };
        let n = |x: Option<i32>| x.map_or(Value::Null, |i| Value::Number(i as f64));
        let key = obj(vec![
            ("iops", n(spec.iops())),
            ("size", n(spec.size_in_gb())),
            ("throughput", n(spec.throughput())),
            ("type", opt_str(spec.volume_type())),
        ]);
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => *count += 1,
            None => items.push((key, 1)),
        }
    }
    Value::set(
        items
            .into_iter()
            .map(|(k, count)| {
                fill(
                    &k,
                    vec![("volumes_per_instance", Value::Number(count as f64))],
                )
            })
            .collect(),
    )
}

/// `master_instance_group` / `core_instance_group` from the group of that type (an empty list
/// when the cluster has none).
pub fn group_value(groups: &[InstanceGroup], kind: &str, prior: &Value, attr: &str) -> Value {
    let Some(g) = groups
        .iter()
        .find(|g| g.instance_group_type().map(|t| t.as_str()) == Some(kind))
    else {
        return Value::list(vec![]);
    };
    let mut pairs = vec![
        ("bid_price", Value::string(g.bid_price().unwrap_or(""))),
        ("ebs_config", ebs_config(g.ebs_block_devices())),
        ("id", Value::string(g.id().unwrap_or(""))),
        (
            "instance_count",
            Value::Number(g.requested_instance_count().unwrap_or(0) as f64),
        ),
        (
            "instance_type",
            Value::string(g.instance_type().unwrap_or("")),
        ),
        ("name", Value::string(g.name().unwrap_or(""))),
    ];
    if kind == "CORE" {
        // Autoscaling policies are not implemented (refused at plan): keep what was recorded.
        let was = first(prior, attr)
            .and_then(|p| p.get_attr("autoscaling_policy").cloned())
            .filter(|v| !v.is_null() && !v.is_unknown())
            .unwrap_or(Value::string(""));
        pairs.push(("autoscaling_policy", was));
    }
    Value::list(vec![obj(pairs)])
}

pub fn ec2_attributes(a: Option<&aws_sdk_emr::types::Ec2InstanceAttributes>) -> Value {
    let Some(a) = a else {
        return Value::list(vec![obj(vec![])]);
    };
    let s = |x: Option<&str>| Value::string(x.unwrap_or(""));
    let joined = |l: &[String]| Value::string(l.join(","));
    Value::list(vec![obj(vec![
        ("key_name", s(a.ec2_key_name())),
        ("subnet_id", s(a.ec2_subnet_id())),
        (
            "subnet_ids",
            Value::set(
                a.requested_ec2_subnet_ids()
                    .iter()
                    .map(Value::string)
                    .collect(),
            ),
        ),
        ("instance_profile", s(a.iam_instance_profile())),
        (
            "emr_managed_master_security_group",
            s(a.emr_managed_master_security_group()),
        ),
        (
            "emr_managed_slave_security_group",
            s(a.emr_managed_slave_security_group()),
        ),
        (
            "additional_master_security_groups",
            joined(a.additional_master_security_groups()),
        ),
        (
            "additional_slave_security_groups",
            joined(a.additional_slave_security_groups()),
        ),
        (
            "service_access_security_group",
            s(a.service_access_security_group()),
        ),
    ])])
}

pub fn bootstrap_value(actions: &[Command]) -> Value {
    Value::list(
        actions
            .iter()
            .map(|a| {
                obj(vec![
                    ("name", opt_str(a.name())),
                    ("path", opt_str(a.script_path())),
                    (
                        "args",
                        Value::list(a.args().iter().map(Value::string).collect()),
                    ),
                ])
            })
            .collect(),
    )
}

/// Steps oldest first (EMR lists the newest first).
pub fn steps_value(summaries: &[StepSummary]) -> Value {
    Value::list(
        summaries
            .iter()
            .rev()
            .map(|s| {
                let c = s.config();
                let properties = c.and_then(|c| c.properties()).map(|p| {
                    Value::map(
                        p.iter()
                            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                            .collect(),
                    )
                });
                obj(vec![
                    (
                        "action_on_failure",
                        Value::string(s.action_on_failure().map(|a| a.as_str()).unwrap_or("")),
                    ),
                    (
                        "hadoop_jar_step",
                        Value::list(vec![obj(vec![
                            (
                                "args",
                                Value::list(
                                    c.map(|c| c.args())
                                        .unwrap_or_default()
                                        .iter()
                                        .map(Value::string)
                                        .collect(),
                                ),
                            ),
                            ("jar", Value::string(c.and_then(|c| c.jar()).unwrap_or(""))),
                            (
                                "main_class",
                                Value::string(c.and_then(|c| c.main_class()).unwrap_or("")),
                            ),
                            ("properties", properties.unwrap_or(Value::Null)),
                        ])]),
                    ),
                    ("name", Value::string(s.name().unwrap_or(""))),
                ])
            })
            .collect(),
    )
}

pub fn placement_value(groups: &[PlacementGroupConfig]) -> Value {
    if groups.is_empty() {
        return Value::Null;
    }
    Value::list(
        groups
            .iter()
            .map(|g| {
                obj(vec![
                    (
                        "instance_role",
                        Value::string(g.instance_role().map(|r| r.as_str()).unwrap_or("")),
                    ),
                    (
                        "placement_strategy",
                        Value::string(g.placement_strategy().map(|s| s.as_str()).unwrap_or("")),
                    ),
                ])
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_round_trip_nested_and_normalised() {
        let doc = r#"[{"Classification":"spark-env","Configurations":[{"Classification":"export","Properties":{"PYSPARK_PYTHON":"/usr/bin/python3"}}]},{"Properties":{"spark.executor.cores":4},"Classification":"spark-defaults"}]"#;
        let p = obj(vec![("configurations_json", Value::string(doc))]);
        let cs = configurations(&p).unwrap().unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].configurations()[0].classification(), Some("export"));
        // EMR properties are strings: a number is sent as its text.
        assert_eq!(
            cs[1]
                .properties()
                .unwrap()
                .get("spark.executor.cores")
                .map(String::as_str),
            Some("4")
        );
        let back = configurations_json(&cs);
        assert!(
            back.starts_with(r#"[{"Classification":"spark-env","Configurations":[{"#),
            "{back}"
        );
        assert!(crate::iam_role::same_json(
            &back,
            r#"[{"Classification":"spark-env","Configurations":[{"Classification":"export","Properties":{"PYSPARK_PYTHON":"/usr/bin/python3"}}]},{"Classification":"spark-defaults","Properties":{"spark.executor.cores":"4"}}]"#
        ));
    }

    #[test]
    fn configurations_that_are_not_a_json_list_are_refused() {
        for bad in ["{", r#"{"Classification":"x"}"#] {
            let p = obj(vec![("configurations_json", Value::string(bad))]);
            assert!(configurations(&p).is_err(), "{bad}");
        }
    }

    #[test]
    fn identical_volumes_count_into_volumes_per_instance() {
        let vol = |size: i32| {
            EbsBlockDevice::builder()
                .volume_specification(
                    aws_sdk_emr::types::VolumeSpecification::builder()
                        .size_in_gb(size)
                        .volume_type("gp3")
                        .build(),
                )
                .build()
        };
        let v = ebs_config(&[vol(200), vol(200), vol(50)]);
        let items = v.as_seq().unwrap();
        assert_eq!(items.len(), 2);
        let per = |size: f64| {
            items
                .iter()
                .find(|i| attr_num(i, "size") == Some(size))
                .and_then(|i| attr_num(i, "volumes_per_instance"))
        };
        assert_eq!((per(200.0), per(50.0)), (Some(2.0), Some(1.0)));
        assert!(items[0].get_attr("iops").unwrap().is_null());
    }
}
