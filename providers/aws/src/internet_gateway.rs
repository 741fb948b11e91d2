//! `aws_internet_gateway`: made, then attached to its VPC (moving it detaches first).

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType as Ec2ResourceType;
use gantry_core::provider::{ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct InternetGateway;

impl InternetGateway {
    async fn detach(&self, c: &Clients, id: &str, vpc: &str) -> ProviderResult<()> {
        let r = c
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Ec2Kind for InternetGateway {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_internet_gateway")
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["vpc_id", "tags", "timeouts"]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_internet_gateways()
            .filters(by.filter("internet-gateway-id"))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.internet_gateways()
            .iter()
            .map(|g| {
                let id = g.internet_gateway_id().unwrap_or_default().to_string();
                let owner = g.owner_id().unwrap_or_default();
                Live {
                    attrs: vec![
                        (
                            "vpc_id",
                            opt_str(g.attachments().first().and_then(|a| a.vpc_id())),
                        ),
                        ("owner_id", Value::string(owner)),
                        (
                            "arn",
                            Value::string(format!(
                                "arn:aws:ec2:{}:{owner}:internet-gateway/{id}",
                                c.region
                            )),
                        ),
                    ],
                    tags: live_tags(g.tags()),
                    id,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2_once
            .create_internet_gateway()
            .tag_specifications(tag_spec(Ec2ResourceType::InternetGateway, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateInternetGateway returned no id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        let want = attr_str(planned, "vpc_id");
        let had = match prior {
            Some(p) => attr_str(p, "vpc_id"),
            // A new (or adopted) gateway: where it is attached now.
            None => self
                .describe(c, By::Ids(&[id.to_string()]))
                .await?
                .into_iter()
                .next()
                .and_then(|l| {
                    l.attrs
                        .into_iter()
                        .find(|(k, _)| *k == "vpc_id")
                        .and_then(|(_, v)| v.as_str().map(String::from))
                }),
        };
        if want == had {
            return Ok(());
        }
        if let Some(old) = had {
            self.detach(c, id, &old).await?;
        }
        if let Some(vpc) = want {
            let sent = c
                .ec2
                .attach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(&vpc)
                .send()
                .await
                .map_err(sdk);
            match sent {
                // Attached by an earlier attempt whose answer was lost: fine if to this VPC.
                Err(e) if e.code.as_deref() == Some("Resource.AlreadyAssociated") => {
                    let now = self.describe(c, By::Ids(&[id.to_string()])).await?;
                    let attached_here = now
                        .iter()
                        .flat_map(|l| &l.attrs)
                        .any(|(k, v)| *k == "vpc_id" && v.as_str() == Some(vpc.as_str()));
                    if !attached_here {
                        return Err(e);
                    }
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<()> {
        if let Some(vpc) = attr_str(prior, "vpc_id") {
            // Public addresses mapped in the VPC block the detach until released.
            retry_dependency_violation(&format!("internet gateway {id}"), || async {
                self.detach(c, id, &vpc).await
            })
            .await?;
        }
        retry_dependency_violation(&format!("internet gateway {id}"), || async {
            c.ec2
                .delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await
                .map_err(sdk)
        })
        .await
    }
}
