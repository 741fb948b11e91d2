//! Data sources: `aws_caller_identity`, `aws_region`, `aws_ami`, `aws_ec2_instance_type`
//! (zones and partition: `data_zones.rs`).

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use aws_sdk_ec2::types::{Filter, InstanceType};
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::types::{ObjectField, Type};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub fn schemas() -> BTreeMap<String, ResourceSchema> {
    let mut out = BTreeMap::new();
    let mut ci = BlockSchema::default();
    for k in ["id", "account_id", "arn", "user_id"] {
        ci.attributes.insert(k.into(), comp(Type::String));
    }
    out.insert(
        "aws_caller_identity".into(),
        ResourceSchema {
            legacy_type_system: true,
            version: 0,
            block: ci,
            description: "Who gantry is calling AWS as.".into(),
        },
    );

    let mut region = BlockSchema::default();
    region
        .attributes
        .insert("name".into(), optcomp(Type::String));
    region.attributes.insert("id".into(), comp(Type::String));
    region
        .attributes
        .insert("endpoint".into(), comp(Type::String));
    out.insert(
        "aws_region".into(),
        ResourceSchema {
            legacy_type_system: true,
            version: 0,
            block: region,
            description: "The provider's region.".into(),
        },
    );

    let mut ami = BlockSchema::default();
    ami.attributes
        .insert("owners".into(), opt(Type::list(Type::String)));
    ami.attributes.insert(
        "most_recent".into(),
        opt(Type::Bool).with_default(Value::Bool(false)),
    );
    ami.attributes
        .insert("name_regex".into(), opt(Type::String));
    for k in [
        "id",
        "image_id",
        "name",
        "architecture",
        "root_device_name",
        "creation_date",
        "owner_id",
        "description",
    ] {
        ami.attributes.insert(k.into(), comp(Type::String));
    }
    let mut filter = BlockSchema::default();
    filter.attributes.insert("name".into(), req(Type::String));
    filter
        .attributes
        .insert("values".into(), req(Type::list(Type::String)));
    ami.blocks
        .insert("filter".into(), block(Nesting::List, filter, 0, false));
    out.insert(
        "aws_ami".into(),
        ResourceSchema {
            legacy_type_system: true,
            version: 0,
            block: ami,
            description: "An AMI found by owners and filters.".into(),
        },
    );

    let mut it = BlockSchema::default();
    it.attributes
        .insert("instance_type".into(), req(Type::String));
    it.attributes.insert("id".into(), comp(Type::String));
    for k in ["default_vcpus", "memory_size", "total_gpu_memory"] {
        it.attributes.insert(k.into(), comp(Type::Number));
    }
    let gpu = Type::Object(
        ["count", "memory_size"]
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    ObjectField {
                        ty: Type::Number,
                        optional: false,
                        default: None,
                    },
                )
            })
            .chain(["manufacturer", "name"].iter().map(|k| {
                (
                    k.to_string(),
                    ObjectField {
                        ty: Type::String,
                        optional: false,
                        default: None,
                    },
                )
            }))
            .collect(),
    );
    it.attributes.insert("gpus".into(), comp(Type::list(gpu)));
    out.insert(
        "aws_ec2_instance_type".into(),
        ResourceSchema {
            legacy_type_system: true,
            version: 0,
            block: it,
            description: "Facts about an EC2 instance type, GPUs included.".into(),
        },
    );
    crate::data_zones::schemas(&mut out);
    out
}

pub async fn read(c: &Clients, type_name: &str, config: &Value) -> ProviderResult<Value> {
    if let Some(r) = crate::data_zones::read(c, type_name, config).await {
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
