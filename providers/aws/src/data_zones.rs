//! Data sources about where things can run: `aws_availability_zones` (DescribeAvailabilityZones,
//! filtered and sorted as hashicorp/aws does) and `aws_partition` (from the region).

use crate::clients::Clients;
use crate::error::sdk;
use aws_sdk_ec2::types::Filter;
use gantry_core::provider::ProviderResult;
use gantry_core::provider_kit::*;
use gantry_core::value::Value;
use std::collections::BTreeSet;

/// `(partition, dns_suffix, reverse_dns_prefix)` of a region.
pub fn partition(region: &str) -> (&'static str, &'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com", "com.amazonaws")
    } else if region.starts_with("us-iso-") {
        ("aws-iso", "c2s.ic.gov", "gov.ic.c2s")
    } else if region.starts_with("us-isob-") {
        ("aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s")
    } else {
        ("aws", "amazonaws.com", "com.amazonaws")
    }
}

pub async fn read(c: &Clients, type_name: &str, config: &Value) -> Option<ProviderResult<Value>> {
    Some(match type_name {
        "aws_partition" => {
            let (p, dns, rev) = partition(&c.region);
            Ok(fill(
                config,
                vec![
                    ("id", Value::string(p)),
                    ("partition", Value::string(p)),
                    ("dns_suffix", Value::string(dns)),
                    ("reverse_dns_prefix", Value::string(rev)),
                ],
            ))
        }
        "aws_availability_zones" => zones(c, config).await,
        _ => return None,
    })
}

async fn zones(c: &Clients, config: &Value) -> ProviderResult<Value> {
    let mut req = c
        .ec2
        .describe_availability_zones()
        .set_all_availability_zones(attr_bool(config, "all_availability_zones"));
    if let Some(state) = attr_str(config, "state") {
        req = req.filters(Filter::builder().name("state").values(state).build());
    }
    for f in config
        .get_attr("filter")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
    {
        let mut b = Filter::builder().name(attr_str(f, "name").unwrap_or_default());
        for v in strings(f, "values") {
            b = b.values(v);
        }
        req = req.filters(b.build());
    }
    let r = req.send().await.map_err(sdk)?;
    let (skip_names, skip_ids) = (
        strings(config, "exclude_names")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        strings(config, "exclude_zone_ids")
            .into_iter()
            .collect::<BTreeSet<_>>(),
    );
    let mut found: Vec<_> = r
        .availability_zones()
        .iter()
        .filter(|z| !z.zone_name().is_some_and(|n| skip_names.contains(n)))
        .filter(|z| !z.zone_id().is_some_and(|n| skip_ids.contains(n)))
        .collect();
    // Upstream sorts by name, so `names[0]` is stable across runs.
    found.sort_by(|a, b| a.zone_name().cmp(&b.zone_name()));
    let list = |f: &dyn Fn(&aws_sdk_ec2::types::AvailabilityZone) -> Option<&str>| {
        Value::list(
            found
                .iter()
                .filter_map(|z| f(z))
                .map(Value::string)
                .collect(),
        )
    };
    // Upstream records every zone's group name, an absent one as "" (as moto answers).
    let groups: BTreeSet<&str> = found.iter().map(|z| z.group_name().unwrap_or("")).collect();
    Ok(fill(
        config,
        vec![
            ("id", Value::string(&c.region)),
            ("names", list(&|z| z.zone_name())),
            ("zone_ids", list(&|z| z.zone_id())),
            (
                "group_names",
                Value::set(groups.into_iter().map(Value::string).collect()),
            ),
        ],
    ))
}
