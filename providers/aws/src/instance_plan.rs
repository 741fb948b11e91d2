//! Plan-time normalization of an `aws_instance` against its prior state, as hashicorp/aws's
//! diff functions do, so an unchanged configuration plans no change:
//! - `ebs_block_device` is a set keyed (upstream's hash) by device name: a configured device
//!   takes the prior device's computed values (volume id, IOPS, KMS key…);
//! - a spot `max_price` EC2 reports as "3.500000" equals the configured "3.50";
//! - an SDKv2 null and an empty map or list are the same value;
//! - a block upstream marks computed (metadata options, volumes, CPU options…) that the
//!   configuration leaves out keeps the prior object's value, and is unknown at create.

use crate::util::*;
use gantry_core::value::Value;

/// Blocks hashicorp/aws declares Optional + Computed: EC2 fills them when not configured.
const COMPUTED_BLOCKS: &[&str] = &[
    "capacity_reservation_specification",
    "cpu_options",
    "ebs_block_device",
    "enclave_options",
    "ephemeral_block_device",
    "instance_market_options",
    "maintenance_options",
    "metadata_options",
    "network_interface",
    "private_dns_name_options",
    "root_block_device",
];

/// `proposed` with the computed blocks the configuration leaves out taken from `prior`
/// (unknown at create).
pub fn computed_blocks(prior: Option<&Value>, config: &Value, proposed: &Value) -> Value {
    keep_computed_blocks(COMPUTED_BLOCKS, prior, config, proposed)
}

/// `proposed` with what the prior object already says in the configuration's other words.
pub fn settle_against(prior: &Value, proposed: &Value) -> Value {
    let mut pairs = Vec::new();
    if let Some(devices) = proposed
        .get_attr("ebs_block_device")
        .and_then(Value::as_seq)
    {
        let prior_devices: Vec<&Value> = prior
            .get_attr("ebs_block_device")
            .and_then(Value::as_seq)
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        let settled = devices
            .iter()
            .map(|d| {
                let name = attr_str(d, "device_name");
                match prior_devices
                    .iter()
                    .find(|p| name.is_some() && attr_str(p, "device_name") == name)
                {
                    Some(p) => take_unset(p, d),
                    None => d.clone(),
                }
            })
            .collect();
        pairs.push(("ebs_block_device", Value::set(settled)));
    }
    if let Some(market) = first(proposed, "instance_market_options") {
        if let (Some(spot), Some(prior_spot)) = (
            first(market, "spot_options"),
            first(prior, "instance_market_options").and_then(|m| first(m, "spot_options")),
        ) {
            let price = |v: &Value| attr_str(v, "max_price").and_then(|p| p.parse::<f64>().ok());
            if price(spot).is_some() && price(spot) == price(prior_spot) {
                let spot = fill(
                    spot,
                    vec![(
                        "max_price",
                        prior_spot
                            .get_attr("max_price")
                            .cloned()
                            .unwrap_or(Value::Null),
                    )],
                );
                let market = fill(market, vec![("spot_options", Value::list(vec![spot]))]);
                pairs.push(("instance_market_options", Value::list(vec![market])));
            }
        }
    }
    fill(proposed, pairs)
}

/// `planned` with each unknown attribute, and each null one the prior holds as an empty
/// collection, taken from `prior`.
fn take_unset(prior: &Value, planned: &Value) -> Value {
    let Some(m) = planned.as_map() else {
        return planned.clone();
    };
    let pairs: Vec<(&str, Value)> = m
        .iter()
        .filter_map(|(k, v)| {
            let p = prior.get_attr(k)?;
            let empty = match p {
                Value::Map(x) => x.is_empty(),
                Value::List(x) | Value::Set(x) => x.is_empty(),
                _ => false,
            };
            (v.is_unknown() || (v.is_null() && empty)).then(|| (k.as_str(), p.clone()))
        })
        .collect();
    fill(planned, pairs)
}
