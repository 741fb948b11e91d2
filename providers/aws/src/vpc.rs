//! `aws_vpc`: the network every GPU instance, EKS cluster and private SageMaker endpoint sits
//! in. DNS support and hostnames are VPC attributes set after the create (one call each).

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, ResourceType as Ec2ResourceType, Tenancy, VpcAttributeName,
};
use gantry_core::provider::{ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Vpc;

impl Vpc {
    async fn attribute(
        &self,
        c: &Clients,
        id: &str,
        which: VpcAttributeName,
    ) -> ProviderResult<bool> {
        let r = c
            .ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(which.clone())
            .send()
            .await
            .map_err(sdk)?;
        let v = match which {
            VpcAttributeName::EnableDnsSupport => r.enable_dns_support(),
            VpcAttributeName::EnableDnsHostnames => r.enable_dns_hostnames(),
            _ => r.enable_network_address_usage_metrics(),
        };
        Ok(v.and_then(|b| b.value()).unwrap_or(false))
    }

    async fn set_attribute(
        &self,
        c: &Clients,
        id: &str,
        which: &str,
        on: bool,
    ) -> ProviderResult<()> {
        let v = AttributeBooleanValue::builder().value(on).build();
        let req = c.ec2.modify_vpc_attribute().vpc_id(id);
        let req = match which {
            "enable_dns_support" => req.enable_dns_support(v),
            "enable_dns_hostnames" => req.enable_dns_hostnames(v),
            _ => req.enable_network_address_usage_metrics(v),
        };
        req.send().await.map_err(sdk)?;
        Ok(())
    }

    /// The ids of the objects EC2 makes with every VPC (main route table, default network ACL
    /// and security group).
    async fn defaults(&self, c: &Clients, id: &str) -> ProviderResult<[Value; 3]> {
        let vpc_filter = || {
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(id)
                .build()
        };
        let main = c
            .ec2
            .describe_route_tables()
            .filters(vpc_filter())
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("association.main")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .map_err(sdk)?;
        let acl = c
            .ec2
            .describe_network_acls()
            .filters(vpc_filter())
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("default")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .map_err(sdk)?;
        let sg = c
            .ec2
            .describe_security_groups()
            .filters(vpc_filter())
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .send()
            .await
            .map_err(sdk)?;
        Ok([
            opt_str(main.route_tables().first().and_then(|t| t.route_table_id())),
            opt_str(acl.network_acls().first().and_then(|a| a.network_acl_id())),
            opt_str(sg.security_groups().first().and_then(|g| g.group_id())),
        ])
    }
}

#[async_trait]
impl Ec2Kind for Vpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_vpc")
            .force_new_at(&["cidr_block", "instance_tenancy"])
            .default_at("enable_dns_support", Value::Bool(true))
            .default_at("instance_tenancy", Value::string("default"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "cidr_block",
            "instance_tenancy",
            "enable_dns_support",
            "enable_dns_hostnames",
            "tags",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_vpcs()
            .filters(by.filter("vpc-id"))
            .send()
            .await
            .map_err(sdk)?;
        let mut out = Vec::new();
        for v in r.vpcs() {
            let id = v.vpc_id().unwrap_or_default().to_string();
            let owner = v.owner_id().unwrap_or_default();
            let [main, acl, sg] = self.defaults(c, &id).await?;
            out.push(Live {
                attrs: vec![
                    ("cidr_block", opt_str(v.cidr_block())),
                    (
                        "instance_tenancy",
                        opt_str(v.instance_tenancy().map(|t| t.as_str())),
                    ),
                    ("dhcp_options_id", opt_str(v.dhcp_options_id())),
                    ("owner_id", Value::string(owner)),
                    (
                        "arn",
                        Value::string(format!("arn:aws:ec2:{}:{owner}:vpc/{id}", c.region)),
                    ),
                    ("main_route_table_id", main.clone()),
                    ("default_route_table_id", main),
                    ("default_network_acl_id", acl),
                    ("default_security_group_id", sg),
                    (
                        "enable_dns_support",
                        Value::Bool(
                            self.attribute(c, &id, VpcAttributeName::EnableDnsSupport)
                                .await?,
                        ),
                    ),
                    (
                        "enable_dns_hostnames",
                        Value::Bool(
                            self.attribute(c, &id, VpcAttributeName::EnableDnsHostnames)
                                .await?,
                        ),
                    ),
                    ("ipv6_association_id", Value::string("")),
                    ("ipv6_cidr_block", Value::string("")),
                    ("ipv6_cidr_block_network_border_group", Value::string("")),
                    ("enable_network_address_usage_metrics", Value::Bool(false)),
                ],
                tags: live_tags(v.tags()),
                id,
            });
        }
        Ok(out)
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2_once
            .create_vpc()
            .set_cidr_block(attr_str(planned, "cidr_block"))
            .set_instance_tenancy(
                attr_str(planned, "instance_tenancy").map(|t| Tenancy::from(t.as_str())),
            )
            .tag_specifications(tag_spec(Ec2ResourceType::Vpc, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.vpc()
            .and_then(|v| v.vpc_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateVpc returned no VPC id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        // EC2's own defaults: DNS support on, hostnames off.
        for (k, default) in [
            ("enable_dns_support", true),
            ("enable_dns_hostnames", false),
        ] {
            let want = attr_bool(planned, k);
            let had = prior.map(|p| attr_bool(p, k)).unwrap_or(Some(default));
            if let Some(w) = want.filter(|w| Some(*w) != had) {
                self.set_attribute(c, id, k, w).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        retry_dependency_violation(&format!("VPC {id}"), || async {
            c.ec2.delete_vpc().vpc_id(id).send().await.map_err(sdk)
        })
        .await
    }
}
