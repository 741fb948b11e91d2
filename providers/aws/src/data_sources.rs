//! Data sources: `aws_caller_identity`, `aws_region`, `aws_ami`, `aws_ec2_instance_type`
//! (zones and partition: `data_zones.rs`; networks: `data_network.rs`; IAM: `data_iam.rs`).

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use aws_sdk_ec2::types::{Filter, InstanceType};
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

/// Every data source gantry implements natively, with the arguments it honours.
const DATA_SOURCES: &[(&str, &[&str])] = &[
    ("aws_caller_identity", &["id"]),
    ("aws_region", &["id", "name", "endpoint"]),
    (
        "aws_ami",
        &[
            "id",
            "owners",
            "most_recent",
            "name_regex",
            "filter",
            "timeouts",
        ],
    ),
    (
        "aws_ec2_instance_type",
        &["id", "instance_type", "timeouts"],
    ),
    (
        "aws_availability_zones",
        &[
            "id",
            "all_availability_zones",
            "exclude_names",
            "exclude_zone_ids",
            "state",
            "filter",
            "timeouts",
        ],
    ),
    ("aws_partition", &["id"]),
    (
        "aws_vpc",
        &[
            "id",
            "cidr_block",
            "default",
            "dhcp_options_id",
            "state",
            "tags",
            "filter",
            "timeouts",
        ],
    ),
    ("aws_subnets", &["id", "tags", "filter", "timeouts"]),
    (
        "aws_iam_policy_document",
        &[
            "id",
            "version",
            "policy_id",
            "source_json",
            "source_policy_documents",
            "override_json",
            "override_policy_documents",
            "statement",
        ],
    ),
    (
        "aws_iam_policy",
        &["id", "arn", "name", "path_prefix", "tags"],
    ),
];

pub fn schemas() -> BTreeMap<String, ResourceSchema> {
    let mut out: BTreeMap<String, ResourceSchema> = DATA_SOURCES
        .iter()
        .map(|(name, _)| (name.to_string(), crate::upstream::data_source(name)))
        .collect();
    let ami = out.remove("aws_ami").expect("aws_ami is listed");
    out.insert(
        "aws_ami".into(),
        ami.default_at("most_recent", Value::Bool(false)),
    );
    out
}

/// Refuses arguments a data source does not implement (as resources do at plan).
pub fn check_implemented(
    type_name: &str,
    schema: &ResourceSchema,
    config: &Value,
) -> ProviderResult<()> {
    let implemented = DATA_SOURCES
        .iter()
        .find(|(n, _)| *n == type_name)
        .map(|(_, i)| *i)
        .unwrap_or(&[]);
    crate::upstream::refuse_unimplemented(&format!("data {type_name}"), schema, config, implemented)
}

pub async fn read(c: &Clients, type_name: &str, config: &Value) -> ProviderResult<Value> {
    if let Some(r) = crate::data_zones::read(c, type_name, config).await {
        return r;
    }
    if let Some(r) = crate::data_network::read(c, type_name, config).await {
        return r;
    }
    if let Some(r) = crate::data_iam::read(c, type_name, config).await {
        return r;
    }
    match type_name {
        "aws_caller_identity" => {
            let r = c.sts.get_caller_identity().send().await.map_err(sdk)?;
            let account = r.account().unwrap_or_default();
            Ok(fill(
                config,
                vec![
                    ("id", Value::string(account)),
                    ("account_id", Value::string(account)),
                    ("arn", opt_str(r.arn())),
                    ("user_id", opt_str(r.user_id())),
                ],
            ))
        }
        "aws_region" => {
            let name = attr_str(config, "name").unwrap_or_else(|| c.region.clone());
            Ok(fill(
                config,
                vec![
                    ("id", Value::string(&name)),
                    ("name", Value::string(&name)),
                    (
                        "endpoint",
                        Value::string(format!("ec2.{name}.amazonaws.com")),
                    ),
                ],
            ))
        }
        "aws_ami" => {
            let mut req = c.ec2.describe_images();
            if let Some(owners) = config.get_attr("owners").and_then(Value::as_seq) {
                req = req.set_owners(Some(
                    owners
                        .iter()
                        .filter_map(|o| o.as_str().map(String::from))
                        .collect(),
                ));
            }
            for f in config
                .get_attr("filter")
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                let values = f.get_attr("values").and_then(Value::as_seq).map(|l| {
                    l.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                });
                req = req.filters(
                    Filter::builder()
                        .name(need_str(f, "name")?)
                        .set_values(values)
                        .build(),
                );
            }
            let r = req.send().await.map_err(sdk)?;
            let mut images: Vec<_> = r.images().to_vec();
            if let Some(re) = attr_str(config, "name_regex") {
                let re = regex::Regex::new(&re).map_err(|e| {
                    ProviderError::new(ErrorKind::Validation, format!("name_regex: {e}"))
                })?;
                images.retain(|i| i.name().is_some_and(|n| re.is_match(n)));
            }
            images.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
            if images.len() > 1 && !attr_bool(config, "most_recent").unwrap_or(false) {
                return Err(ProviderError::new(ErrorKind::Validation, format!("your query returned {} AMIs; use a more specific search criteria, or set most_recent = true", images.len())));
            }
            let img = images.first().ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::NotFound,
                    "your query returned no results; change your search criteria and try again",
                )
            })?;
            let id = img.image_id().unwrap_or_default();
            Ok(fill(
                config,
                vec![
                    ("id", Value::string(id)),
                    ("image_id", Value::string(id)),
                    ("name", opt_str(img.name())),
                    (
                        "architecture",
                        opt_str(img.architecture().map(|a| a.as_str())),
                    ),
                    ("root_device_name", opt_str(img.root_device_name())),
                    ("creation_date", opt_str(img.creation_date())),
                    ("owner_id", opt_str(img.owner_id())),
                    ("description", opt_str(img.description())),
                ],
            ))
        }
        "aws_ec2_instance_type" => {
            let t = need_str(config, "instance_type")?;
            let r = c
                .ec2
                .describe_instance_types()
                .instance_types(InstanceType::from(t.as_str()))
                .send()
                .await
                .map_err(sdk)?;
            let info = r.instance_types().first().ok_or_else(|| {
                ProviderError::new(ErrorKind::NotFound, format!("instance type {t} not found"))
            })?;
            let gpus: Vec<Value> = info
                .gpu_info()
                .map(|g| g.gpus())
                .unwrap_or_default()
                .iter()
                .map(|g| {
                    obj(vec![
                        ("count", Value::Number(g.count().unwrap_or(0) as f64)),
                        ("manufacturer", opt_str(g.manufacturer())),
                        ("name", opt_str(g.name())),
                        (
                            "memory_size",
                            Value::Number(
                                g.memory_info().and_then(|m| m.size_in_mib()).unwrap_or(0) as f64,
                            ),
                        ),
                    ])
                })
                .collect();
            Ok(fill(
                config,
                vec![
                    ("id", Value::string(&t)),
                    (
                        "default_vcpus",
                        Value::Number(
                            info.v_cpu_info()
                                .and_then(|v| v.default_v_cpus())
                                .unwrap_or(0) as f64,
                        ),
                    ),
                    (
                        "memory_size",
                        Value::Number(
                            info.memory_info()
                                .and_then(|m| m.size_in_mib())
                                .unwrap_or(0) as f64,
                        ),
                    ),
                    (
                        "total_gpu_memory",
                        Value::Number(
                            info.gpu_info()
                                .and_then(|g| g.total_gpu_memory_in_mib())
                                .unwrap_or(0) as f64,
                        ),
                    ),
                    ("gpus", Value::list(gpus)),
                ],
            ))
        }
        other => Err(ProviderError::new(
            ErrorKind::Validation,
            format!("the aws provider has no data source {other:?}"),
        )),
    }
}
