//! Network data sources: `aws_vpc` (exactly one VPC, by id, default flag, CIDR, tags or
//! filters) and `aws_subnets` (the ids of every subnet matching filters and tags).

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use aws_sdk_ec2::types::Filter;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use gantry_core::value::Value;

/// `filter {}` blocks and `tags` as EC2 filters.
fn filters(config: &Value) -> Vec<Filter> {
    let mut out: Vec<Filter> = config
        .get_attr("filter")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
        .map(|f| {
            Filter::builder()
                .name(attr_str(f, "name").unwrap_or_default())
                .set_values(Some(strings(f, "values")))
                .build()
        })
        .collect();
    for (k, v) in string_map(config, "tags") {
        out.push(Filter::builder().name(format!("tag:{k}")).values(v).build());
    }
    out
}

pub async fn read(c: &Clients, type_name: &str, config: &Value) -> Option<ProviderResult<Value>> {
    Some(match type_name {
        "aws_vpc" => vpc(c, config).await,
        "aws_subnets" => subnets(c, config).await,
        _ => return None,
    })
}

async fn vpc(c: &Clients, config: &Value) -> ProviderResult<Value> {
    let mut f = filters(config);
    let mut add = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            f.push(Filter::builder().name(name).values(v).build());
        }
    };
    add("cidr", attr_str(config, "cidr_block"));
    add("state", attr_str(config, "state"));
    add("dhcp-options-id", attr_str(config, "dhcp_options_id"));
    add(
        "is-default",
        attr_bool(config, "default").map(|b| b.to_string()),
    );
    let r = c
        .ec2
        .describe_vpcs()
        .set_vpc_ids(attr_str(config, "id").map(|i| vec![i]))
        .set_filters((!f.is_empty()).then_some(f))
        .send()
        .await
        .map_err(sdk)?;
    let found = r.vpcs();
    let v = match found {
        [one] => one,
        [] => {
            return Err(ProviderError::new(ErrorKind::NotFound, "no matching EC2 VPC found"))
        }
        _ => {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("multiple EC2 VPCs matched ({}); use additional constraints to reduce matches to a single EC2 VPC", found.len()),
            ))
        }
    };
    let id = v.vpc_id().unwrap_or_default();
    let owner = v.owner_id().unwrap_or_default();
    let attr = |which: aws_sdk_ec2::types::VpcAttributeName| {
        let ec2 = c.ec2.clone();
        let id = id.to_string();
        async move {
            let r = ec2
                .describe_vpc_attribute()
                .vpc_id(id)
                .attribute(which)
                .send()
                .await
                .map_err(sdk)?;
            Ok::<bool, ProviderError>(
                r.enable_dns_support()
                    .or(r.enable_dns_hostnames())
                    .and_then(|b| b.value())
                    .unwrap_or(false),
            )
        }
    };
    let main = c
        .ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(id).build())
        .filters(
            Filter::builder()
                .name("association.main")
                .values("true")
                .build(),
        )
        .send()
        .await
        .map_err(sdk)?;
    let associations: Vec<Value> = v
        .cidr_block_association_set()
        .iter()
        .map(|a| {
            obj(vec![
                ("association_id", opt_str(a.association_id())),
                ("cidr_block", opt_str(a.cidr_block())),
                (
                    "state",
                    opt_str(
                        a.cidr_block_state()
                            .and_then(|s| s.state())
                            .map(|s| s.as_str()),
                    ),
                ),
            ])
        })
        .collect();
    let tags: std::collections::BTreeMap<String, String> = v
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect();
    Ok(fill(
        config,
        vec![
            ("id", Value::string(id)),
            (
                "arn",
                Value::string(format!("arn:aws:ec2:{}:{owner}:vpc/{id}", c.region)),
            ),
            ("cidr_block", opt_str(v.cidr_block())),
            ("cidr_block_associations", Value::list(associations)),
            ("default", Value::Bool(v.is_default().unwrap_or(false))),
            ("dhcp_options_id", opt_str(v.dhcp_options_id())),
            (
                "enable_dns_support",
                Value::Bool(attr(aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport).await?),
            ),
            (
                "enable_dns_hostnames",
                Value::Bool(attr(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames).await?),
            ),
            ("enable_network_address_usage_metrics", Value::Bool(false)),
            (
                "instance_tenancy",
                opt_str(v.instance_tenancy().map(|t| t.as_str())),
            ),
            ("ipv6_association_id", Value::string("")),
            ("ipv6_cidr_block", Value::string("")),
            (
                "main_route_table_id",
                opt_str(main.route_tables().first().and_then(|t| t.route_table_id())),
            ),
            ("owner_id", Value::string(owner)),
            ("state", opt_str(v.state().map(|s| s.as_str()))),
            ("tags", tags_value(&tags)),
        ],
    ))
}

async fn subnets(c: &Clients, config: &Value) -> ProviderResult<Value> {
    let f = filters(config);
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let r = c
            .ec2
            .describe_subnets()
            .set_filters((!f.is_empty()).then(|| f.clone()))
            .set_next_token(next.take())
            .send()
            .await
            .map_err(sdk)?;
        ids.extend(
            r.subnets()
                .iter()
                .filter_map(|s| s.subnet_id().map(String::from)),
        );
        match r.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(fill(
        config,
        vec![
            ("id", Value::string(c.region.clone())),
            ("ids", Value::list(ids.iter().map(Value::string).collect())),
        ],
    ))
}
