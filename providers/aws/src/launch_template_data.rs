//! The launch data of an `aws_launch_template` version, between gantry values and the EC2
//! API: the image, type, volumes, profile, metadata options, placement, network interfaces
//! (EFA for multi-node GPU training), spot and capacity-reservation settings a GPU node
//! group or training fleet launches with.

use crate::ec2_object::invalid;
use crate::util::*;
use aws_sdk_ec2::types::*;
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;

/// The template-data arguments this type implements (narrowed blocks list their fields).
pub const IMPLEMENTED: &[&str] = &[
    "image_id",
    "instance_type",
    "key_name",
    "user_data",
    "vpc_security_group_ids",
    "ebs_optimized",
    "disable_api_termination",
    "disable_api_stop",
    "instance_initiated_shutdown_behavior",
    "block_device_mappings.device_name",
    "block_device_mappings.no_device",
    "block_device_mappings.virtual_name",
    "block_device_mappings.ebs",
    "iam_instance_profile",
    "metadata_options",
    "monitoring",
    "placement.availability_zone",
    "placement.group_name",
    "placement.tenancy",
    "placement.partition_number",
    "tag_specifications",
    "network_interfaces.associate_public_ip_address",
    "network_interfaces.delete_on_termination",
    "network_interfaces.description",
    "network_interfaces.device_index",
    "network_interfaces.interface_type",
    "network_interfaces.network_card_index",
    "network_interfaces.security_groups",
    "network_interfaces.subnet_id",
    "instance_market_options.market_type",
    "instance_market_options.spot_options",
    "capacity_reservation_specification",
];

fn s(v: &Value, k: &str) -> Option<String> {
    attr_str(v, k).filter(|x| !x.is_empty())
}

fn n(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).filter(|x| *x != 0.0).map(|x| x as i32)
}

/// Upstream's tri-state booleans ("true" / "false" / "" unset) in string attributes.
fn tri(v: &Value, k: &str) -> ProviderResult<Option<bool>> {
    match attr_str(v, k).as_deref() {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(invalid(format!(
            "{k}: expected \"true\" or \"false\", got {other:?}"
        ))),
    }
}

pub fn to_api(p: &Value) -> ProviderResult<RequestLaunchTemplateData> {
    let mut d = RequestLaunchTemplateData::builder()
        .set_image_id(s(p, "image_id"))
        .set_instance_type(s(p, "instance_type").map(|t| InstanceType::from(t.as_str())))
        .set_key_name(s(p, "key_name"))
        .set_user_data(s(p, "user_data"))
        .set_security_group_ids(
            Some(strings(p, "vpc_security_group_ids")).filter(|g| !g.is_empty()),
        )
        .set_ebs_optimized(tri(p, "ebs_optimized")?)
        .set_disable_api_termination(attr_bool(p, "disable_api_termination"))
        .set_disable_api_stop(attr_bool(p, "disable_api_stop"))
        .set_instance_initiated_shutdown_behavior(
            s(p, "instance_initiated_shutdown_behavior")
                .map(|b| ShutdownBehavior::from(b.as_str())),
        );
    for m in blocks(p, "block_device_mappings") {
        let ebs = match first(m, "ebs") {
            Some(e) => Some(
                LaunchTemplateEbsBlockDeviceRequest::builder()
                    .set_delete_on_termination(tri(e, "delete_on_termination")?)
                    .set_encrypted(tri(e, "encrypted")?)
                    .set_iops(n(e, "iops"))
                    .set_kms_key_id(s(e, "kms_key_id"))
                    .set_snapshot_id(s(e, "snapshot_id"))
                    .set_throughput(n(e, "throughput"))
                    .set_volume_size(n(e, "volume_size"))
                    .set_volume_type(s(e, "volume_type").map(|t| VolumeType::from(t.as_str())))
                    .build(),
            ),
            None => None,
        };
        d = d.block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(s(m, "device_name"))
                .set_no_device(s(m, "no_device"))
                .set_virtual_name(s(m, "virtual_name"))
                .set_ebs(ebs)
                .build(),
        );
    }
    if let Some(i) = first(p, "iam_instance_profile") {
        d = d.iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_arn(s(i, "arn"))
                .set_name(s(i, "name"))
                .build(),
        );
    }
    if let Some(m) = first(p, "metadata_options") {
        d = d.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_endpoint(
                    s(m, "http_endpoint")
                        .map(|x| LaunchTemplateInstanceMetadataEndpointState::from(x.as_str())),
                )
                .set_http_protocol_ipv6(
                    s(m, "http_protocol_ipv6")
                        .map(|x| LaunchTemplateInstanceMetadataProtocolIpv6::from(x.as_str())),
                )
                .set_http_put_response_hop_limit(n(m, "http_put_response_hop_limit"))
                .set_http_tokens(
                    s(m, "http_tokens").map(|x| LaunchTemplateHttpTokensState::from(x.as_str())),
                )
                .set_instance_metadata_tags(
                    s(m, "instance_metadata_tags")
                        .map(|x| LaunchTemplateInstanceMetadataTagsState::from(x.as_str())),
                )
                .build(),
        );
    }
    if let Some(m) = first(p, "monitoring") {
        d = d.monitoring(
            LaunchTemplatesMonitoringRequest::builder()
                .set_enabled(attr_bool(m, "enabled"))
                .build(),
        );
    }
    if let Some(pl) = first(p, "placement") {
        d = d.placement(
            LaunchTemplatePlacementRequest::builder()
                .set_availability_zone(s(pl, "availability_zone"))
                .set_group_name(s(pl, "group_name"))
                .set_tenancy(s(pl, "tenancy").map(|t| Tenancy::from(t.as_str())))
                .set_partition_number(n(pl, "partition_number"))
                .build(),
        );
    }
    for t in blocks(p, "tag_specifications") {
        let tags: Vec<Tag> = string_map(t, "tags")
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        d = d.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(s(t, "resource_type").map(|r| ResourceType::from(r.as_str())))
                .set_tags((!tags.is_empty()).then_some(tags))
                .build(),
        );
    }
    for ni in blocks(p, "network_interfaces") {
        let groups = strings(ni, "security_groups");
        d = d.network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .set_associate_public_ip_address(tri(ni, "associate_public_ip_address")?)
                .set_delete_on_termination(tri(ni, "delete_on_termination")?)
                .set_description(s(ni, "description"))
                .device_index(attr_num(ni, "device_index").unwrap_or(0.0) as i32)
                .set_interface_type(s(ni, "interface_type"))
                .set_network_card_index(n(ni, "network_card_index"))
                .set_groups((!groups.is_empty()).then_some(groups))
                .set_subnet_id(s(ni, "subnet_id"))
                .build(),
        );
    }
    if let Some(m) = first(p, "instance_market_options") {
        let spot = first(m, "spot_options").map(|o| {
            LaunchTemplateSpotMarketOptionsRequest::builder()
                .set_max_price(s(o, "max_price"))
                .set_spot_instance_type(
                    s(o, "spot_instance_type").map(|t| SpotInstanceType::from(t.as_str())),
                )
                .set_instance_interruption_behavior(
                    s(o, "instance_interruption_behavior")
                        .map(|b| InstanceInterruptionBehavior::from(b.as_str())),
                )
                .set_block_duration_minutes(n(o, "block_duration_minutes"))
                .build()
        });
        d = d.instance_market_options(
            LaunchTemplateInstanceMarketOptionsRequest::builder()
                .set_market_type(s(m, "market_type").map(|t| MarketType::from(t.as_str())))
                .set_spot_options(spot)
                .build(),
        );
    }
    if let Some(c) = first(p, "capacity_reservation_specification") {
        let target = first(c, "capacity_reservation_target").map(|t| {
            CapacityReservationTarget::builder()
                .set_capacity_reservation_id(s(t, "capacity_reservation_id"))
                .set_capacity_reservation_resource_group_arn(s(
                    t,
                    "capacity_reservation_resource_group_arn",
                ))
                .build()
        });
        d = d.capacity_reservation_specification(
            LaunchTemplateCapacityReservationSpecificationRequest::builder()
                .set_capacity_reservation_preference(
                    s(c, "capacity_reservation_preference")
                        .map(|x| CapacityReservationPreference::from(x.as_str())),
                )
                .set_capacity_reservation_target(target)
                .build(),
        );
    }
    Ok(d.build())
}

fn tri_value(b: Option<bool>) -> Value {
    Value::string(b.map(|b| b.to_string()).unwrap_or_default())
}

fn num(x: Option<i32>) -> Value {
    Value::Number(x.unwrap_or(0) as f64)
}

fn str_or_empty(x: Option<&str>) -> Value {
    Value::string(x.unwrap_or(""))
}

fn one(v: Option<Value>) -> Value {
    Value::list(v.into_iter().collect())
}

/// The version's data as state records it (the caller fills the rest with `sdkv2_fill`).
pub fn to_value(d: &ResponseLaunchTemplateData) -> Vec<(&'static str, Value)> {
    let groups = d.security_group_ids();
    let mappings = d
        .block_device_mappings()
        .iter()
        .map(|m| {
            let ebs = m.ebs().map(|e| {
                obj(vec![
                    (
                        "delete_on_termination",
                        tri_value(e.delete_on_termination()),
                    ),
                    ("encrypted", tri_value(e.encrypted())),
                    ("iops", num(e.iops())),
                    ("kms_key_id", str_or_empty(e.kms_key_id())),
                    ("snapshot_id", str_or_empty(e.snapshot_id())),
                    ("throughput", num(e.throughput())),
                    ("volume_size", num(e.volume_size())),
                    (
                        "volume_type",
                        str_or_empty(e.volume_type().map(|t| t.as_str())),
                    ),
                ])
            });
            obj(vec![
                ("device_name", str_or_empty(m.device_name())),
                ("no_device", str_or_empty(m.no_device())),
                ("virtual_name", str_or_empty(m.virtual_name())),
                ("ebs", one(ebs)),
            ])
        })
        .collect();
    let profile = d.iam_instance_profile().map(|i| {
        obj(vec![
            ("arn", str_or_empty(i.arn())),
            ("name", str_or_empty(i.name())),
        ])
    });
    let metadata = d.metadata_options().map(|m| {
        obj(vec![
            (
                "http_endpoint",
                str_or_empty(m.http_endpoint().map(|x| x.as_str())),
            ),
            (
                "http_protocol_ipv6",
                str_or_empty(m.http_protocol_ipv6().map(|x| x.as_str())),
            ),
            (
                "http_put_response_hop_limit",
                num(m.http_put_response_hop_limit()),
            ),
            (
                "http_tokens",
                str_or_empty(m.http_tokens().map(|x| x.as_str())),
            ),
            (
                "instance_metadata_tags",
                str_or_empty(m.instance_metadata_tags().map(|x| x.as_str())),
            ),
        ])
    });
    let monitoring = d
        .monitoring()
        .map(|m| obj(vec![("enabled", Value::Bool(m.enabled().unwrap_or(false)))]));
    let placement = d.placement().map(|p| {
        obj(vec![
            ("availability_zone", str_or_empty(p.availability_zone())),
            ("group_name", str_or_empty(p.group_name())),
            ("tenancy", str_or_empty(p.tenancy().map(|t| t.as_str()))),
            ("partition_number", num(p.partition_number())),
        ])
    });
    let tag_specs = d
        .tag_specifications()
        .iter()
        .map(|t| {
            let tags: std::collections::BTreeMap<String, String> = t
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            obj(vec![
                (
                    "resource_type",
                    str_or_empty(t.resource_type().map(|r| r.as_str())),
                ),
                ("tags", tags_value(&tags)),
            ])
        })
        .collect();
    let interfaces = d
        .network_interfaces()
        .iter()
        .map(|ni| {
            obj(vec![
                (
                    "associate_public_ip_address",
                    tri_value(ni.associate_public_ip_address()),
                ),
                (
                    "delete_on_termination",
                    tri_value(ni.delete_on_termination()),
                ),
                ("description", str_or_empty(ni.description())),
                ("device_index", num(ni.device_index())),
                ("interface_type", str_or_empty(ni.interface_type())),
                ("network_card_index", num(ni.network_card_index())),
                (
                    "security_groups",
                    Value::set(ni.groups().iter().map(Value::string).collect()),
                ),
                ("subnet_id", str_or_empty(ni.subnet_id())),
            ])
        })
        .collect();
    let market = d.instance_market_options().map(|m| {
        let spot = m.spot_options().map(|o| {
            obj(vec![
                ("max_price", str_or_empty(o.max_price())),
                (
                    "spot_instance_type",
                    str_or_empty(o.spot_instance_type().map(|t| t.as_str())),
                ),
                (
                    "instance_interruption_behavior",
                    str_or_empty(o.instance_interruption_behavior().map(|b| b.as_str())),
                ),
                ("block_duration_minutes", num(o.block_duration_minutes())),
            ])
        });
        obj(vec![
            (
                "market_type",
                str_or_empty(m.market_type().map(|t| t.as_str())),
            ),
            ("spot_options", one(spot)),
        ])
    });
    let capacity = d.capacity_reservation_specification().map(|c| {
        let target = c.capacity_reservation_target().map(|t| {
            obj(vec![
                (
                    "capacity_reservation_id",
                    str_or_empty(t.capacity_reservation_id()),
                ),
                (
                    "capacity_reservation_resource_group_arn",
                    str_or_empty(t.capacity_reservation_resource_group_arn()),
                ),
            ])
        });
        obj(vec![
            (
                "capacity_reservation_preference",
                str_or_empty(c.capacity_reservation_preference().map(|p| p.as_str())),
            ),
            ("capacity_reservation_target", one(target)),
        ])
    });
    vec![
        ("image_id", str_or_empty(d.image_id())),
        (
            "instance_type",
            str_or_empty(d.instance_type().map(|t| t.as_str())),
        ),
        ("key_name", str_or_empty(d.key_name())),
        ("user_data", str_or_empty(d.user_data())),
        (
            "vpc_security_group_ids",
            if groups.is_empty() {
                Value::Null
            } else {
                Value::set(groups.iter().map(Value::string).collect())
            },
        ),
        ("ebs_optimized", tri_value(d.ebs_optimized())),
        (
            "disable_api_termination",
            Value::Bool(d.disable_api_termination().unwrap_or(false)),
        ),
        (
            "disable_api_stop",
            Value::Bool(d.disable_api_stop().unwrap_or(false)),
        ),
        (
            "instance_initiated_shutdown_behavior",
            str_or_empty(d.instance_initiated_shutdown_behavior().map(|b| b.as_str())),
        ),
        ("block_device_mappings", Value::list(mappings)),
        ("iam_instance_profile", one(profile)),
        ("metadata_options", one(metadata)),
        ("monitoring", one(monitoring)),
        ("placement", one(placement)),
        ("tag_specifications", Value::list(tag_specs)),
        ("network_interfaces", Value::list(interfaces)),
        ("instance_market_options", one(market)),
        ("capacity_reservation_specification", one(capacity)),
    ]
}
