//! `aws_vpc_security_group_ingress_rule` / `aws_vpc_security_group_egress_rule`: one rule each,
//! with its own id (`sgr-…`) and tags.
//!
//! A rule's content is its identity: EC2 refuses a second identical rule in a group
//! (`InvalidPermission.Duplicate`), so a create retried after a lost response adopts the rule
//! the first attempt made instead of failing or duplicating it.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::security_group::protocol;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2ResourceType,
    SecurityGroupRule, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
};
use gantry_core::provider::{ErrorKind, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Rule {
    pub egress: bool,
}

fn ports(planned: &Value) -> (Option<i32>, Option<i32>) {
    (
        attr_num(planned, "from_port").map(|n| n as i32),
        attr_num(planned, "to_port").map(|n| n as i32),
    )
}

fn permission(planned: &Value) -> IpPermission {
    let (from, to) = ports(planned);
    let d = attr_str(planned, "description");
    let mut p = IpPermission::builder()
        .ip_protocol(attr_str(planned, "ip_protocol").unwrap_or_default())
        .set_from_port(from)
        .set_to_port(to);
    if let Some(c) = attr_str(planned, "cidr_ipv4") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(c) = attr_str(planned, "cidr_ipv6") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(id) = attr_str(planned, "prefix_list_id") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(g) = attr_str(planned, "referenced_security_group_id") {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(d)
                .build(),
        );
    }
    p.build()
}

/// Does this live rule say what `planned` asks for (description and tags aside)?
fn same_rule(r: &SecurityGroupRule, planned: &Value) -> bool {
    let all = protocol(&attr_str(planned, "ip_protocol").unwrap_or_default()) == "-1";
    let (from, to) = ports(planned);
    protocol(r.ip_protocol().unwrap_or(""))
        == protocol(&attr_str(planned, "ip_protocol").unwrap_or_default())
        && (all || (r.from_port() == from && r.to_port() == to))
        && r.cidr_ipv4() == attr_str(planned, "cidr_ipv4").as_deref()
        && r.cidr_ipv6() == attr_str(planned, "cidr_ipv6").as_deref()
        && r.prefix_list_id() == attr_str(planned, "prefix_list_id").as_deref()
        && r.referenced_group_info().and_then(|g| g.group_id())
            == attr_str(planned, "referenced_security_group_id").as_deref()
}

impl Rule {
    async fn rules_of_group(
        &self,
        c: &Clients,
        group: &str,
    ) -> ProviderResult<Vec<SecurityGroupRule>> {
        let r = c
            .ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group).build())
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.security_group_rules()
            .iter()
            .filter(|x| x.is_egress() == Some(self.egress))
            .cloned()
            .collect())
    }

    fn live(&self, c: &Clients, account: &str, r: &SecurityGroupRule) -> Live {
        let id = r.security_group_rule_id().unwrap_or_default().to_string();
        let all = protocol(r.ip_protocol().unwrap_or("")) == "-1";
        // EC2 reports -1 for the ports of an all-protocols rule; upstream records null.
        let port = |p: Option<i32>| match p {
            Some(n) if !all => Value::Number(n as f64),
            _ => Value::Null,
        };
        Live {
            attrs: vec![
                ("security_group_id", opt_str(r.group_id())),
                ("security_group_rule_id", Value::string(&id)),
                (
                    "ip_protocol",
                    Value::string(protocol(r.ip_protocol().unwrap_or(""))),
                ),
                ("from_port", port(r.from_port())),
                ("to_port", port(r.to_port())),
                ("cidr_ipv4", opt_str(r.cidr_ipv4())),
                ("cidr_ipv6", opt_str(r.cidr_ipv6())),
                ("prefix_list_id", opt_str(r.prefix_list_id())),
                (
                    "referenced_security_group_id",
                    opt_str(r.referenced_group_info().and_then(|g| g.group_id())),
                ),
                (
                    "description",
                    opt_str(r.description().filter(|d| !d.is_empty())),
                ),
                (
                    "arn",
                    Value::string(format!(
                        "arn:aws:ec2:{}:{}:security-group-rule/{id}",
                        c.region,
                        r.group_owner_id()
                            .filter(|o| !o.is_empty())
                            .unwrap_or(account)
                    )),
                ),
            ],
            tags: live_tags(r.tags()),
            id,
        }
    }
}

#[async_trait]
impl Ec2Kind for Rule {
    fn type_name(&self) -> &'static str {
        if self.egress {
            "aws_vpc_security_group_egress_rule"
        } else {
            "aws_vpc_security_group_ingress_rule"
        }
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource(self.type_name()).force_new_at(&["security_group_id"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "security_group_id",
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
            "description",
            "tags",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let By::Ids(ids) = by else {
            // Found by content at create (see the module note), not by tag.
            return Ok(vec![]);
        };
        let account = c.account_id().await?;
        let r = c
            .ec2
            .describe_security_group_rules()
            .set_security_group_rule_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.security_group_rules()
            .iter()
            .filter(|x| x.is_egress() == Some(self.egress))
            .map(|x| self.live(c, &account, x))
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let group = need_str(planned, "security_group_id")?;
        let tags = tag_spec(Ec2ResourceType::SecurityGroupRule, planned, token);
        let made = if self.egress {
            c.ec2
                .authorize_security_group_egress()
                .group_id(&group)
                .ip_permissions(permission(planned))
                .tag_specifications(tags)
                .send()
                .await
                .map_err(sdk)
                .map(|r| r.security_group_rules().to_vec())
        } else {
            c.ec2
                .authorize_security_group_ingress()
                .group_id(&group)
                .ip_permissions(permission(planned))
                .tag_specifications(tags)
                .send()
                .await
                .map_err(sdk)
                .map(|r| r.security_group_rules().to_vec())
        };
        let rules = match made {
            Ok(r) => r,
            Err(e) if e.code.as_deref() == Some("InvalidPermission.Duplicate") => {
                self.rules_of_group(c, &group).await?
            }
            Err(e) => return Err(e),
        };
        rules
            .iter()
            .find(|r| same_rule(r, planned))
            .and_then(|r| r.security_group_rule_id())
            .map(String::from)
            .ok_or_else(|| {
                gantry_core::provider::ProviderError::new(
                    ErrorKind::Other,
                    format!("the rule made in {group} was not found among its rules"),
                )
            })
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        let Some(prior) = prior else { return Ok(()) };
        let keys = [
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
            "description",
        ];
        if keys
            .iter()
            .all(|k| prior.get_attr(k) == planned.get_attr(k))
        {
            return Ok(());
        }
        let (from, to) = ports(planned);
        let update = SecurityGroupRuleUpdate::builder()
            .security_group_rule_id(id)
            .security_group_rule(
                SecurityGroupRuleRequest::builder()
                    .ip_protocol(attr_str(planned, "ip_protocol").unwrap_or_default())
                    .set_from_port(from)
                    .set_to_port(to)
                    .set_cidr_ipv4(attr_str(planned, "cidr_ipv4"))
                    .set_cidr_ipv6(attr_str(planned, "cidr_ipv6"))
                    .set_prefix_list_id(attr_str(planned, "prefix_list_id"))
                    .set_referenced_group_id(attr_str(planned, "referenced_security_group_id"))
                    .set_description(attr_str(planned, "description"))
                    .build(),
            )
            .build();
        c.ec2
            .modify_security_group_rules()
            .group_id(need_str(planned, "security_group_id")?)
            .security_group_rules(update)
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn delete(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<()> {
        let group = need_str(prior, "security_group_id")?;
        if self.egress {
            c.ec2
                .revoke_security_group_egress()
                .group_id(group)
                .security_group_rule_ids(id)
                .send()
                .await
                .map_err(sdk)?;
        } else {
            c.ec2
                .revoke_security_group_ingress()
                .group_id(group)
                .security_group_rule_ids(id)
                .send()
                .await
                .map_err(sdk)?;
        }
        Ok(())
    }
}
