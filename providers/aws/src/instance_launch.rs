//! The RunInstances request of an `aws_instance`, built from its planned value as
//! hashicorp/aws builds it: a public address (`associate_public_ip_address`) moves subnet and
//! groups onto the primary network interface; spot, metadata, CPU, capacity-reservation and
//! placement settings map one to one; block devices map to EBS volumes.

use crate::util::*;
use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, CapacityReservationPreference, CapacityReservationSpecification,
    CapacityReservationTarget, CpuOptionsRequest, EbsBlockDevice, HttpTokensState,
    IamInstanceProfileSpecification, InstanceInterruptionBehavior, InstanceMarketOptionsRequest,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceMetadataProtocolState,
    InstanceMetadataTagsState, InstanceNetworkInterfaceSpecification, MarketType, Placement,
    SpotInstanceType, SpotMarketOptions, VolumeType,
};
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;

/// A set string attribute as an SDK list, `None` when unset or empty.
fn ids(v: &Value, k: &str) -> Option<Vec<String>> {
    Some(strings(v, k)).filter(|l| !l.is_empty())
}

fn known_str(v: &Value, k: &str) -> Option<String> {
    attr_str(v, k).filter(|s| !s.is_empty())
}

/// Adds everything but image, type, count, token and tags to `run`. `root_device` is the
/// AMI's root device name: the root mapping must carry it to replace (not add to) the AMI's.
pub fn configure(
    mut run: RunInstancesFluentBuilder,
    planned: &Value,
    root_device: Option<&str>,
) -> ProviderResult<RunInstancesFluentBuilder> {
    let subnet = attr_str(planned, "subnet_id");
    let groups = ids(planned, "vpc_security_group_ids");
    match attr_bool(planned, "associate_public_ip_address") {
        // EC2 takes the public-address choice only on an interface: subnet and groups go
        // there too.
        Some(public) => {
            run = run.network_interfaces(
                InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(public)
                    .set_subnet_id(subnet)
                    .set_groups(groups)
                    .build(),
            );
        }
        None => {
            run = run.set_subnet_id(subnet).set_security_group_ids(groups);
        }
    }
    run = run.set_security_groups(ids(planned, "security_groups"));
    if let Some(k) = attr_str(planned, "key_name") {
        run = run.key_name(k);
    }
    if let Some(u) = attr_str(planned, "user_data") {
        use base64::Engine as _;
        run = run.user_data(base64::engine::general_purpose::STANDARD.encode(u.as_bytes()));
    }
    if let Some(p) = attr_str(planned, "iam_instance_profile") {
        run = run.iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
    }
    let group = known_str(planned, "placement_group");
    let zone = known_str(planned, "availability_zone");
    if group.is_some() || zone.is_some() {
        run = run.placement(
            Placement::builder()
                .set_group_name(group)
                .set_availability_zone(zone)
                .build(),
        );
    }
    if let Some(m) = first(planned, "instance_market_options") {
        run = run.instance_market_options(market_options(m)?);
    }
    if let Some(m) = first(planned, "metadata_options") {
        run = run.metadata_options(metadata_options(m));
    }
    if let Some(cpu) = first(planned, "cpu_options") {
        run = run.cpu_options(
            CpuOptionsRequest::builder()
                .set_core_count(attr_num(cpu, "core_count").map(|n| n as i32))
                .set_threads_per_core(attr_num(cpu, "threads_per_core").map(|n| n as i32))
                .build(),
        );
    }
    if let Some(cr) = first(planned, "capacity_reservation_specification") {
        let target = first(cr, "capacity_reservation_target").map(|t| {
            CapacityReservationTarget::builder()
                .set_capacity_reservation_id(attr_str(t, "capacity_reservation_id"))
                .set_capacity_reservation_resource_group_arn(attr_str(
                    t,
                    "capacity_reservation_resource_group_arn",
                ))
                .build()
        });
        run = run.capacity_reservation_specification(
            CapacityReservationSpecification::builder()
                .set_capacity_reservation_preference(
                    known_str(cr, "capacity_reservation_preference")
                        .map(|p| CapacityReservationPreference::from(p.as_str())),
                )
                .set_capacity_reservation_target(target)
                .build(),
        );
    }
    if let Some(root) = first(planned, "root_block_device") {
        let name = root_device.unwrap_or("/dev/xvda");
        run = run.block_device_mappings(mapping(name, root));
    }
    if let Some(devices) = planned.get_attr("ebs_block_device").and_then(Value::as_seq) {
        for d in devices.iter() {
            run = run.block_device_mappings(mapping(&need_str(d, "device_name")?, d));
        }
    }
    Ok(run)
}

fn mapping(device: &str, d: &Value) -> BlockDeviceMapping {
    let ebs = EbsBlockDevice::builder()
        .delete_on_termination(attr_bool(d, "delete_on_termination").unwrap_or(true))
        .set_volume_size(attr_num(d, "volume_size").map(|n| n as i32))
        .set_volume_type(known_str(d, "volume_type").map(|t| VolumeType::from(t.as_str())))
        .set_encrypted(attr_bool(d, "encrypted"))
        .set_kms_key_id(known_str(d, "kms_key_id"))
        .set_iops(attr_num(d, "iops").filter(|n| *n > 0.0).map(|n| n as i32))
        .set_throughput(
            attr_num(d, "throughput")
                .filter(|n| *n > 0.0)
                .map(|n| n as i32),
        )
        .set_snapshot_id(known_str(d, "snapshot_id"))
        .build();
    BlockDeviceMapping::builder()
        .device_name(device)
        .ebs(ebs)
        .build()
}

fn market_options(m: &Value) -> ProviderResult<InstanceMarketOptionsRequest> {
    let mut out = InstanceMarketOptionsRequest::builder()
        .set_market_type(known_str(m, "market_type").map(|t| MarketType::from(t.as_str())));
    if let Some(s) = first(m, "spot_options") {
        let valid_until = match known_str(s, "valid_until") {
            Some(t) => Some(
                aws_smithy_types::DateTime::from_str(
                    &t,
                    aws_smithy_types::date_time::Format::DateTime,
                )
                .map_err(|e| {
                    crate::ec2_object::invalid(format!(
                        "spot_options.valid_until {t:?} is not an RFC 3339 time: {e}"
                    ))
                })?,
            ),
            None => None,
        };
        out = out.spot_options(
            SpotMarketOptions::builder()
                .set_max_price(known_str(s, "max_price"))
                .set_spot_instance_type(
                    known_str(s, "spot_instance_type").map(|t| SpotInstanceType::from(t.as_str())),
                )
                .set_instance_interruption_behavior(
                    known_str(s, "instance_interruption_behavior")
                        .map(|b| InstanceInterruptionBehavior::from(b.as_str())),
                )
                .set_valid_until(valid_until)
                .build(),
        );
    }
    Ok(out.build())
}

/// The metadata options as RunInstances and ModifyInstanceMetadataOptions take them.
pub fn metadata_options(m: &Value) -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .set_http_endpoint(
            known_str(m, "http_endpoint").map(|s| InstanceMetadataEndpointState::from(s.as_str())),
        )
        .set_http_tokens(known_str(m, "http_tokens").map(|s| HttpTokensState::from(s.as_str())))
        .set_http_put_response_hop_limit(
            attr_num(m, "http_put_response_hop_limit").map(|n| n as i32),
        )
        .set_http_protocol_ipv6(
            known_str(m, "http_protocol_ipv6")
                .map(|s| InstanceMetadataProtocolState::from(s.as_str())),
        )
        .set_instance_metadata_tags(
            known_str(m, "instance_metadata_tags")
                .map(|s| InstanceMetadataTagsState::from(s.as_str())),
        )
        .build()
}
