//! `aws_vpc_endpoint`: keeps model traffic private — an S3 gateway endpoint for artifacts, an
//! interface endpoint for the SageMaker runtime. ClientToken carries the operation's token;
//! the endpoint is waited on until available, with its state shown.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::iam_role::same_json;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, VpcEndpointType};
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct VpcEndpoint;

fn ids(v: &Value, k: &str) -> Vec<String> {
    strings(v, k)
}

impl VpcEndpoint {
    async fn wait_state(&self, c: &Clients, id: &str, gone: bool) -> ProviderResult<()> {
        wait_until(None, &format!("VPC endpoint {id}"), || async {
            let r = c
                .ec2
                .describe_vpc_endpoints()
                .vpc_endpoint_ids(id)
                .send()
                .await
                .map_err(sdk);
            // EC2 documents the states capitalised and answers in lower case (the SDK's enum
            // then sees an unknown value): compare the text.
            let state = match r {
                Ok(r) => r
                    .vpc_endpoints()
                    .first()
                    .and_then(|e| e.state())
                    .map(|s| s.as_str().to_ascii_lowercase()),
                Err(e) if e.kind == ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            tracing::info!("VPC endpoint {id}: {}", state.as_deref().unwrap_or("gone"));
            match state.as_deref() {
                None | Some("deleted") => Ok(gone),
                Some("available") => Ok(!gone),
                Some(s @ ("failed" | "rejected" | "expired")) if !gone => Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("VPC endpoint {id} is {s}"),
                )),
                _ => Ok(false),
            }
        })
        .await
    }
}

#[async_trait]
impl Ec2Kind for VpcEndpoint {
    fn type_name(&self) -> &'static str {
        "aws_vpc_endpoint"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_vpc_endpoint")
            .force_new_at(&["vpc_id", "service_name", "vpc_endpoint_type"])
            .default_at("vpc_endpoint_type", Value::string("Gateway"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "vpc_id",
            "service_name",
            "vpc_endpoint_type",
            "route_table_ids",
            "subnet_ids",
            "security_group_ids",
            "private_dns_enabled",
            "policy",
            "tags",
            "timeouts",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let req = c.ec2.describe_vpc_endpoints();
        let req = match by {
            By::Ids(ids) => req.set_vpc_endpoint_ids(Some(ids.to_vec())),
            By::Token(_) => req.filters(by.filter("vpc-endpoint-id")),
        };
        let r = req.send().await.map_err(sdk)?;
        Ok(r.vpc_endpoints()
            .iter()
            .filter(|e| {
                !matches!(
                    e.state()
                        .map(|s| s.as_str().to_ascii_lowercase())
                        .as_deref(),
                    Some("deleted") | Some("deleting")
                )
            })
            .map(|e| {
                let id = e.vpc_endpoint_id().unwrap_or_default().to_string();
                let owner = e.owner_id().unwrap_or_default();
                Live {
                    attrs: vec![
                        ("vpc_id", opt_str(e.vpc_id())),
                        ("service_name", opt_str(e.service_name())),
                        (
                            "vpc_endpoint_type",
                            opt_str(e.vpc_endpoint_type().map(|t| t.as_str())),
                        ),
                        (
                            "state",
                            opt_str(
                                e.state()
                                    .map(|s| s.as_str().to_ascii_lowercase())
                                    .as_deref(),
                            ),
                        ),
                        ("policy", opt_str(e.policy_document())),
                        (
                            "private_dns_enabled",
                            Value::Bool(e.private_dns_enabled().unwrap_or(false)),
                        ),
                        ("route_table_ids", string_set(e.route_table_ids())),
                        ("subnet_ids", string_set(e.subnet_ids())),
                        (
                            "security_group_ids",
                            string_set(e.groups().iter().filter_map(|g| g.group_id())),
                        ),
                        (
                            "network_interface_ids",
                            string_set(e.network_interface_ids()),
                        ),
                        (
                            "requester_managed",
                            Value::Bool(e.requester_managed().unwrap_or(false)),
                        ),
                        ("owner_id", Value::string(owner)),
                        (
                            "arn",
                            Value::string(format!(
                                "arn:aws:ec2:{}:{owner}:vpc-endpoint/{id}",
                                c.region
                            )),
                        ),
                        (
                            "ip_address_type",
                            opt_str(e.ip_address_type().map(|t| t.as_str())),
                        ),
                    ],
                    tags: live_tags(e.tags()),
                    id,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2
            .create_vpc_endpoint()
            .vpc_id(need_str(planned, "vpc_id")?)
            .service_name(need_str(planned, "service_name")?)
            .set_vpc_endpoint_type(
                attr_str(planned, "vpc_endpoint_type").map(|t| VpcEndpointType::from(t.as_str())),
            )
            .set_route_table_ids(string_list(planned, "route_table_ids"))
            .set_subnet_ids(string_list(planned, "subnet_ids"))
            .set_security_group_ids(string_list(planned, "security_group_ids"))
            .set_private_dns_enabled(attr_bool(planned, "private_dns_enabled"))
            .set_policy_document(attr_str(planned, "policy"))
            .client_token(token)
            .tag_specifications(tag_spec(Ec2ResourceType::VpcEndpoint, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateVpcEndpoint returned no id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        let Some(prior) = prior else {
            return self.wait_state(c, id, false).await;
        };
        let diff = |k: &str| -> (Vec<String>, Vec<String>) {
            if planned
                .get_attr(k)
                .is_none_or(|v| v.is_null() || v.is_unknown())
            {
                return (vec![], vec![]);
            }
            let (old, new) = (ids(prior, k), ids(planned, k));
            (
                new.iter().filter(|x| !old.contains(x)).cloned().collect(),
                old.iter().filter(|x| !new.contains(x)).cloned().collect(),
            )
        };
        let (add_rt, rm_rt) = diff("route_table_ids");
        let (add_sn, rm_sn) = diff("subnet_ids");
        let (add_sg, rm_sg) = diff("security_group_ids");
        let policy = attr_str(planned, "policy")
            .filter(|p| !same_json(p, &attr_str(prior, "policy").unwrap_or_default()));
        let dns = attr_bool(planned, "private_dns_enabled")
            .filter(|d| Some(*d) != attr_bool(prior, "private_dns_enabled"));
        let nothing = [&add_rt, &rm_rt, &add_sn, &rm_sn, &add_sg, &rm_sg]
            .iter()
            .all(|l| l.is_empty())
            && policy.is_none()
            && dns.is_none();
        if nothing {
            return Ok(());
        }
        let some = |l: Vec<String>| (!l.is_empty()).then_some(l);
        c.ec2
            .modify_vpc_endpoint()
            .vpc_endpoint_id(id)
            .set_add_route_table_ids(some(add_rt))
            .set_remove_route_table_ids(some(rm_rt))
            .set_add_subnet_ids(some(add_sn))
            .set_remove_subnet_ids(some(rm_sn))
            .set_add_security_group_ids(some(add_sg))
            .set_remove_security_group_ids(some(rm_sg))
            .set_policy_document(policy)
            .set_private_dns_enabled(dns)
            .send()
            .await
            .map_err(sdk)?;
        self.wait_state(c, id, false).await
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        c.ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(sdk)?;
        self.wait_state(c, id, true).await
    }
}
