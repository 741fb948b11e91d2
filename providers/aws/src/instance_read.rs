//! An `aws_instance` as hashicorp/aws records it, from DescribeInstances plus the two batched
//! lookups it needs: the instances' EBS volumes (one DescribeVolumes per batch, filtered by
//! attachment) and their spot requests (one DescribeSpotInstanceRequests per batch).

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use aws_sdk_ec2::types::{Filter, Instance as Ec2Instance, SpotInstanceRequest, Volume};
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;
use std::collections::BTreeMap;

const TOKEN_TAG: &str = crate::ec2_object::TOKEN_TAG;

/// What the per-instance lookups found, keyed by volume id and spot request id.
#[derive(Default)]
pub struct Extras {
    pub volumes: BTreeMap<String, Volume>,
    pub spot: BTreeMap<String, SpotInstanceRequest>,
}

impl Extras {
    /// Volumes attached to `instances` and their spot requests (≤ 200 instances per call).
    pub async fn of(c: &Clients, instances: &[&Ec2Instance]) -> ProviderResult<Extras> {
        let mut out = Extras::default();
        let ids: Vec<String> = instances
            .iter()
            .filter_map(|i| i.instance_id().map(String::from))
            .collect();
        if !ids.is_empty() {
            let mut next: Option<String> = None;
            loop {
                let r = c
                    .ec2
                    .describe_volumes()
                    .filters(
                        Filter::builder()
                            .name("attachment.instance-id")
                            .set_values(Some(ids.clone()))
                            .build(),
                    )
                    .set_next_token(next.clone())
                    .send()
                    .await
                    .map_err(sdk)?;
                for v in r.volumes() {
                    if let Some(id) = v.volume_id() {
                        out.volumes.insert(id.to_string(), v.clone());
                    }
                }
                next = r.next_token().map(String::from);
                if next.is_none() {
                    break;
                }
            }
        }
        let spot: Vec<String> = instances
            .iter()
            .filter_map(|i| i.spot_instance_request_id().map(String::from))
            .collect();
        if !spot.is_empty() {
            let r = c
                .ec2
                .describe_spot_instance_requests()
                .filters(
                    Filter::builder()
                        .name("spot-instance-request-id")
                        .set_values(Some(spot))
                        .build(),
                )
                .send()
                .await
                .map_err(sdk)?;
            for s in r.spot_instance_requests() {
                if let Some(id) = s.spot_instance_request_id() {
                    out.spot.insert(id.to_string(), s.clone());
                }
            }
        }
        Ok(out)
    }
}

fn num(n: Option<i32>) -> Value {
    Value::Number(n.unwrap_or(0) as f64)
}

/// One block device as upstream records it (root or EBS).
fn device(prior: Option<&Value>, name: &str, delete: Option<bool>, v: Option<&Volume>) -> Value {
    let live_tags = v
        .map(|v| crate::ec2_object::live_tags(v.tags()))
        .unwrap_or_default();
    let mut pairs = vec![
        ("device_name", Value::string(name)),
        (
            "delete_on_termination",
            Value::Bool(delete.unwrap_or(false)),
        ),
        (
            "encrypted",
            Value::Bool(v.and_then(|v| v.encrypted()).unwrap_or(false)),
        ),
        ("iops", num(v.and_then(|v| v.iops()))),
        (
            "kms_key_id",
            Value::string(v.and_then(|v| v.kms_key_id()).unwrap_or("")),
        ),
        ("throughput", num(v.and_then(|v| v.throughput()))),
        ("volume_id", opt_str(v.and_then(|v| v.volume_id()))),
        ("volume_size", num(v.and_then(|v| v.size()))),
        (
            "volume_type",
            Value::string(
                v.and_then(|v| v.volume_type())
                    .map(|t| t.as_str())
                    .unwrap_or(""),
            ),
        ),
        ("tags_all", tags_value(&live_tags)),
    ];
    // Volume tags are only the configuration's business when it set them.
    let configured = prior
        .and_then(|p| p.get_attr("tags"))
        .cloned()
        .unwrap_or(Value::Null);
    pairs.push(("tags", configured));
    obj(pairs)
}

/// The block devices: the root (by the instance's root device name) and the other EBS ones.
fn devices(prior: &Value, i: &Ec2Instance, x: &Extras) -> (Vec<Value>, Vec<Value>) {
    let root_name = i.root_device_name().unwrap_or_default();
    let prior_ebs: Vec<&Value> = prior
        .get_attr("ebs_block_device")
        .and_then(Value::as_seq)
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    let (mut root, mut ebs) = (Vec::new(), Vec::new());
    for m in i.block_device_mappings() {
        let name = m.device_name().unwrap_or_default();
        let ebs_m = m.ebs();
        let vol = ebs_m
            .and_then(|e| e.volume_id())
            .and_then(|id| x.volumes.get(id));
        let delete = ebs_m.and_then(|e| e.delete_on_termination());
        if name == root_name {
            let p = first(prior, "root_block_device");
            root.push(device(p, name, delete, vol));
        } else {
            let p = prior_ebs
                .iter()
                .find(|p| attr_str(p, "device_name").as_deref() == Some(name))
                .copied();
            let mut d = device(p, name, delete, vol);
            d = fill(
                &d,
                vec![(
                    "snapshot_id",
                    Value::string(vol.and_then(|v| v.snapshot_id()).unwrap_or("")),
                )],
            );
            ebs.push(d);
        }
    }
    (root, ebs)
}

fn market_options(i: &Ec2Instance, x: &Extras) -> Value {
    let Some(req) = i
        .spot_instance_request_id()
        .and_then(|id| x.spot.get(id))
        .filter(|_| i.instance_lifecycle().map(|l| l.as_str()) == Some("spot"))
    else {
        return Value::list(vec![]);
    };
    let valid_until = req
        .valid_until()
        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .unwrap_or_default();
    let spot = obj(vec![
        (
            "instance_interruption_behavior",
            opt_str(req.instance_interruption_behavior().map(|b| b.as_str())),
        ),
        ("max_price", opt_str(req.spot_price())),
        (
            "spot_instance_type",
            opt_str(req.r#type().map(|t| t.as_str())),
        ),
        ("valid_until", Value::string(valid_until)),
    ]);
    Value::list(vec![obj(vec![
        ("market_type", Value::string("spot")),
        ("spot_options", Value::list(vec![spot])),
    ])])
}

fn metadata_options(i: &Ec2Instance) -> Value {
    let Some(m) = i.metadata_options() else {
        return Value::list(vec![]);
    };
    Value::list(vec![obj(vec![
        (
            "http_endpoint",
            opt_str(m.http_endpoint().map(|s| s.as_str())),
        ),
        (
            "http_protocol_ipv6",
            opt_str(m.http_protocol_ipv6().map(|s| s.as_str())),
        ),
        (
            "http_put_response_hop_limit",
            num(m.http_put_response_hop_limit()),
        ),
        ("http_tokens", opt_str(m.http_tokens().map(|s| s.as_str()))),
        (
            "instance_metadata_tags",
            opt_str(m.instance_metadata_tags().map(|s| s.as_str())),
        ),
    ])])
}

fn cpu_options(i: &Ec2Instance) -> Vec<(&'static str, Value)> {
    let Some(cpu) = i.cpu_options() else {
        return vec![("cpu_options", Value::list(vec![]))];
    };
    vec![
        ("cpu_core_count", num(cpu.core_count())),
        ("cpu_threads_per_core", num(cpu.threads_per_core())),
        (
            "cpu_options",
            Value::list(vec![obj(vec![
                (
                    "amd_sev_snp",
                    Value::string(cpu.amd_sev_snp().map(|s| s.as_str()).unwrap_or("")),
                ),
                ("core_count", num(cpu.core_count())),
                ("threads_per_core", num(cpu.threads_per_core())),
            ])]),
        ),
    ]
}

fn capacity_reservation(i: &Ec2Instance) -> Value {
    let Some(cr) = i.capacity_reservation_specification() else {
        return Value::list(vec![]);
    };
    let target = cr
        .capacity_reservation_target()
        .map(|t| {
            vec![obj(vec![
                (
                    "capacity_reservation_id",
                    opt_str(t.capacity_reservation_id()),
                ),
                (
                    "capacity_reservation_resource_group_arn",
                    opt_str(t.capacity_reservation_resource_group_arn()),
                ),
            ])]
        })
        .unwrap_or_default();
    Value::list(vec![obj(vec![
        (
            "capacity_reservation_preference",
            opt_str(cr.capacity_reservation_preference().map(|p| p.as_str())),
        ),
        ("capacity_reservation_target", Value::list(target)),
    ])])
}

/// Security groups as upstream records them: by id for an instance in a subnet (unless the
/// configuration names them), by name otherwise.
fn security_groups(prior: &Value, i: &Ec2Instance) -> Vec<(&'static str, Value)> {
    let by_name = strings(prior, "security_groups");
    let live = i.security_groups();
    let use_ids = i.subnet_id().is_some_and(|s| !s.is_empty())
        && (by_name.is_empty()
            || live
                .iter()
                .any(|g| by_name.iter().any(|n| Some(n.as_str()) == g.group_id())));
    let ids = crate::ec2_object::string_set(live.iter().filter_map(|g| g.group_id()));
    if use_ids {
        vec![
            ("vpc_security_group_ids", ids),
            ("security_groups", Value::set(vec![])),
        ]
    } else {
        vec![
            ("vpc_security_group_ids", ids),
            (
                "security_groups",
                crate::ec2_object::string_set(live.iter().filter_map(|g| g.group_name())),
            ),
        ]
    }
}

/// The instance's value; write-only inputs (user data, profile name as given) keep `prior`'s.
pub fn to_value(c: &Clients, account: &str, prior: &Value, i: &Ec2Instance, x: &Extras) -> Value {
    let id = i.instance_id().unwrap_or_default();
    let tags: BTreeMap<String, String> = i
        .tags()
        .iter()
        .filter(|t| t.key() != Some(TOKEN_TAG))
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let placement = i.placement();
    let primary = i
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
    let (root, ebs) = devices(prior, i, x);
    let mut pairs = vec![
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(format!("arn:aws:ec2:{}:{account}:instance/{id}", c.region)),
        ),
        ("ami", opt_str(i.image_id())),
        (
            "instance_type",
            opt_str(i.instance_type().map(|t| t.as_str())),
        ),
        ("subnet_id", opt_str(i.subnet_id())),
        ("key_name", opt_str(i.key_name())),
        ("private_ip", opt_str(i.private_ip_address())),
        (
            "public_ip",
            Value::string(i.public_ip_address().unwrap_or("")),
        ),
        (
            "private_dns",
            Value::string(i.private_dns_name().unwrap_or("")),
        ),
        (
            "public_dns",
            Value::string(i.public_dns_name().unwrap_or("")),
        ),
        (
            "instance_state",
            opt_str(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
        ),
        (
            "availability_zone",
            opt_str(placement.and_then(|p| p.availability_zone())),
        ),
        (
            "placement_group",
            Value::string(placement.and_then(|p| p.group_name()).unwrap_or("")),
        ),
        (
            "placement_partition_number",
            num(placement.and_then(|p| p.partition_number())),
        ),
        (
            "tenancy",
            opt_str(placement.and_then(|p| p.tenancy()).map(|t| t.as_str())),
        ),
        (
            "host_id",
            Value::string(placement.and_then(|p| p.host_id()).unwrap_or("")),
        ),
        (
            "ebs_optimized",
            Value::Bool(i.ebs_optimized().unwrap_or(false)),
        ),
        (
            "monitoring",
            Value::Bool(matches!(
                i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()),
                Some("enabled") | Some("pending")
            )),
        ),
        (
            "instance_lifecycle",
            Value::string(i.instance_lifecycle().map(|l| l.as_str()).unwrap_or("")),
        ),
        (
            "spot_instance_request_id",
            Value::string(i.spot_instance_request_id().unwrap_or("")),
        ),
        (
            "primary_network_interface_id",
            opt_str(primary.and_then(|n| n.network_interface_id())),
        ),
        (
            "associate_public_ip_address",
            Value::Bool(primary.is_some_and(|n| n.association().is_some())),
        ),
        ("instance_market_options", market_options(i, x)),
        ("metadata_options", metadata_options(i)),
        (
            "capacity_reservation_specification",
            capacity_reservation(i),
        ),
        ("root_block_device", Value::list(root)),
        ("ebs_block_device", Value::set(ebs)),
    ];
    pairs.extend(cpu_options(i));
    pairs.extend(security_groups(prior, i));
    pairs.extend(tag_attrs(prior, &tags));
    fill(prior, pairs)
}
