//! `aws_eip`: an Elastic IP, usually the public address of a NAT gateway.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType as Ec2ResourceType};
use gantry_core::provider::{ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Eip;

#[async_trait]
impl Ec2Kind for Eip {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_eip").force_new_at(&["domain", "vpc", "address"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["domain", "vpc", "tags", "timeouts"]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_addresses()
            .filters(by.filter("allocation-id"))
            .send()
            .await
            .map_err(sdk)?;
        let account = c.account_id().await.unwrap_or_default();
        Ok(r.addresses()
            .iter()
            .map(|a| {
                let id = a.allocation_id().unwrap_or_default().to_string();
                let public = a.public_ip().unwrap_or_default();
                let in_vpc = a.domain() == Some(&DomainType::Vpc);
                Live {
                    attrs: vec![
                        ("allocation_id", Value::string(&id)),
                        ("public_ip", Value::string(public)),
                        ("domain", opt_str(a.domain().map(|d| d.as_str()))),
                        ("vpc", Value::Bool(in_vpc)),
                        ("association_id", opt_str(a.association_id())),
                        ("instance", opt_str(a.instance_id())),
                        ("network_interface", opt_str(a.network_interface_id())),
                        ("private_ip", opt_str(a.private_ip_address())),
                        ("public_ipv4_pool", opt_str(a.public_ipv4_pool())),
                        ("network_border_group", opt_str(a.network_border_group())),
                        (
                            "public_dns",
                            Value::string(format!(
                                "ec2-{}.{}",
                                public.replace('.', "-"),
                                if c.region == "us-east-1" {
                                    "compute-1.amazonaws.com".to_string()
                                } else {
                                    format!("{}.compute.amazonaws.com", c.region)
                                }
                            )),
                        ),
                        (
                            "arn",
                            Value::string(format!(
                                "arn:aws:ec2:{}:{account}:elastic-ip/{id}",
                                c.region
                            )),
                        ),
                    ],
                    tags: live_tags(a.tags()),
                    id,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2_once
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(Ec2ResourceType::ElasticIp, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.allocation_id()
            .map(String::from)
            .ok_or_else(|| invalid("AllocateAddress returned no allocation id"))
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        // A NAT gateway being deleted keeps its address associated for a while.
        retry_dependency_violation(&format!("Elastic IP {id}"), || async {
            c.ec2
                .release_address()
                .allocation_id(id)
                .send()
                .await
                .map_err(sdk)
        })
        .await
    }
}
