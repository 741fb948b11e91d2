//! `aws_nat_gateway`: how GPU nodes in private subnets reach image registries and model hubs.
//! The create carries the operation's token as ClientToken; it is waited on until available
//! (and its delete until deleted), with the state shown while waiting.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ConnectivityType, NatGateway as Nat, NatGatewayState, ResourceType as Ec2ResourceType,
};
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct NatGateway;

impl NatGateway {
    async fn state(&self, c: &Clients, id: &str) -> ProviderResult<Option<Nat>> {
        let r = c
            .ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(r) => Ok(r.nat_gateways().first().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn wait_for(&self, c: &Clients, id: &str, want: NatGatewayState) -> ProviderResult<()> {
        wait_until(
            None,
            &format!("NAT gateway {id} to be {}", want.as_str()),
            || async {
                let now = self.state(c, id).await?;
                let state = now.as_ref().and_then(|n| n.state()).cloned();
                tracing::info!(
                    "NAT gateway {id}: {}",
                    state.as_ref().map(|s| s.as_str()).unwrap_or("gone")
                );
                match state {
                    None if want == NatGatewayState::Deleted => Ok(true),
                    Some(s) if s == want => Ok(true),
                    Some(NatGatewayState::Failed) if want != NatGatewayState::Deleted => {
                        Err(ProviderError::new(
                            ErrorKind::Other,
                            format!(
                                "NAT gateway {id} failed: {}",
                                now.as_ref()
                                    .and_then(|n| n.failure_message())
                                    .unwrap_or("no reason given")
                            ),
                        ))
                    }
                    _ => Ok(false),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl Ec2Kind for NatGateway {
    fn type_name(&self) -> &'static str {
        "aws_nat_gateway"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_nat_gateway")
            .force_new_at(&[
                "allocation_id",
                "subnet_id",
                "connectivity_type",
                "private_ip",
            ])
            .default_at("connectivity_type", Value::string("public"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "allocation_id",
            "subnet_id",
            "connectivity_type",
            "private_ip",
            "tags",
            "timeouts",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_nat_gateways()
            .filter(by.filter("nat-gateway-id"))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.nat_gateways()
            .iter()
            .filter(|n| {
                !matches!(
                    n.state(),
                    Some(NatGatewayState::Deleted) | Some(NatGatewayState::Deleting)
                )
            })
            .map(|n| {
                let addr = n.nat_gateway_addresses().first();
                Live {
                    id: n.nat_gateway_id().unwrap_or_default().to_string(),
                    tags: live_tags(n.tags()),
                    attrs: vec![
                        ("subnet_id", opt_str(n.subnet_id())),
                        (
                            "connectivity_type",
                            opt_str(n.connectivity_type().map(|t| t.as_str())),
                        ),
                        (
                            "allocation_id",
                            opt_str(addr.and_then(|a| a.allocation_id())),
                        ),
                        (
                            "association_id",
                            opt_str(addr.and_then(|a| a.association_id())),
                        ),
                        (
                            "network_interface_id",
                            opt_str(addr.and_then(|a| a.network_interface_id())),
                        ),
                        ("private_ip", opt_str(addr.and_then(|a| a.private_ip()))),
                        ("public_ip", opt_str(addr.and_then(|a| a.public_ip()))),
                        ("secondary_private_ip_address_count", Value::Number(0.0)),
                        ("secondary_private_ip_addresses", Value::list(vec![])),
                    ],
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2
            .create_nat_gateway()
            .subnet_id(need_str(planned, "subnet_id")?)
            .set_allocation_id(attr_str(planned, "allocation_id"))
            .set_connectivity_type(
                attr_str(planned, "connectivity_type").map(|t| ConnectivityType::from(t.as_str())),
            )
            .set_private_ip_address(attr_str(planned, "private_ip"))
            .client_token(token)
            .tag_specifications(tag_spec(Ec2ResourceType::Natgateway, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateNatGateway returned no id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        _planned: &Value,
    ) -> ProviderResult<()> {
        if prior.is_none() {
            self.wait_for(c, id, NatGatewayState::Available).await?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        c.ec2
            .delete_nat_gateway()
            .nat_gateway_id(id)
            .send()
            .await
            .map_err(sdk)?;
        self.wait_for(c, id, NatGatewayState::Deleted).await
    }
}
