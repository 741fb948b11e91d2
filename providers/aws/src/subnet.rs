//! `aws_subnet`: public subnets for NAT gateways and load balancers, private ones for GPU nodes.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType as Ec2ResourceType};
use gantry_core::provider::{ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Subnet;

/// Upstream's defaults for the switches gantry records but does not change.
const OFF_BY_DEFAULT: [&str; 5] = [
    "assign_ipv6_address_on_creation",
    "enable_dns64",
    "enable_resource_name_dns_a_record_on_launch",
    "enable_resource_name_dns_aaaa_record_on_launch",
    "ipv6_native",
];

#[async_trait]
impl Ec2Kind for Subnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> ResourceSchema {
        let mut s = crate::upstream::resource("aws_subnet")
            .force_new_at(&[
                "vpc_id",
                "cidr_block",
                "availability_zone",
                "availability_zone_id",
            ])
            .default_at("map_public_ip_on_launch", Value::Bool(false));
        for k in OFF_BY_DEFAULT {
            s = s.default_at(k, Value::Bool(false));
        }
        s
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "vpc_id",
            "cidr_block",
            "availability_zone",
            "availability_zone_id",
            "map_public_ip_on_launch",
            "tags",
            "timeouts",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_subnets()
            .filters(by.filter("subnet-id"))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.subnets()
            .iter()
            .map(|s| {
                let mut attrs = vec![
                    ("vpc_id", opt_str(s.vpc_id())),
                    ("cidr_block", opt_str(s.cidr_block())),
                    ("availability_zone", opt_str(s.availability_zone())),
                    ("availability_zone_id", opt_str(s.availability_zone_id())),
                    (
                        "map_public_ip_on_launch",
                        Value::Bool(s.map_public_ip_on_launch().unwrap_or(false)),
                    ),
                    ("owner_id", opt_str(s.owner_id())),
                    ("arn", opt_str(s.subnet_arn())),
                    ("ipv6_cidr_block_association_id", Value::string("")),
                    (
                        "private_dns_hostname_type_on_launch",
                        Value::string("ip-name"),
                    ),
                ];
                for k in OFF_BY_DEFAULT {
                    attrs.push((k, Value::Bool(false)));
                }
                Live {
                    id: s.subnet_id().unwrap_or_default().to_string(),
                    tags: live_tags(s.tags()),
                    attrs,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2_once
            .create_subnet()
            .vpc_id(need_str(planned, "vpc_id")?)
            .set_cidr_block(attr_str(planned, "cidr_block"))
            .set_availability_zone(attr_str(planned, "availability_zone"))
            .set_availability_zone_id(attr_str(planned, "availability_zone_id"))
            .tag_specifications(tag_spec(Ec2ResourceType::Subnet, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.subnet()
            .and_then(|s| s.subnet_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateSubnet returned no subnet id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        let want = attr_bool(planned, "map_public_ip_on_launch").unwrap_or(false);
        let had = prior
            .and_then(|p| attr_bool(p, "map_public_ip_on_launch"))
            .unwrap_or(false);
        if want != had {
            c.ec2
                .modify_subnet_attribute()
                .subnet_id(id)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(want).build())
                .send()
                .await
                .map_err(sdk)?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        retry_dependency_violation(&format!("subnet {id}"), || async {
            c.ec2
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map_err(sdk)
        })
        .await
    }
}
