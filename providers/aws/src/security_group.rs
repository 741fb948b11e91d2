//! `aws_security_group`: who may reach a GPU node or an endpoint's network interfaces.
//!
//! As upstream: the "allow all" egress rule EC2 adds to every new group is revoked, so a
//! group allows exactly the `ingress` / `egress` it is given (inline here, or as
//! `aws_vpc_security_group_*_rule` resources); a generated name is `name_prefix` (or
//! `terraform-`) plus 26 characters.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2ResourceType,
    UserIdGroupPair,
};
use gantry_core::provider::{PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct SecurityGroup;

/// One rule object of `ingress` / `egress` as one IpPermission (upstream's expansion).
fn permission(rule: &Value, own_id: &str) -> IpPermission {
    let mut p = IpPermission::builder()
        .ip_protocol(protocol(&attr_str(rule, "protocol").unwrap_or_default()))
        .set_from_port(attr_num(rule, "from_port").map(|n| n as i32))
        .set_to_port(attr_num(rule, "to_port").map(|n| n as i32));
    let description = attr_str(rule, "description").filter(|d| !d.is_empty());
    for c in strings(rule, "cidr_blocks") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(description.clone())
                .build(),
        );
    }
    for c in strings(rule, "ipv6_cidr_blocks") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(description.clone())
                .build(),
        );
    }
    for id in strings(rule, "prefix_list_ids") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(description.clone())
                .build(),
        );
    }
    let mut groups = strings(rule, "security_groups");
    if attr_bool(rule, "self") == Some(true) {
        groups.push(own_id.to_string());
    }
    for g in groups {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(description.clone())
                .build(),
        );
    }
    p.build()
}

/// Upstream records protocols by name where one exists (`6` → `tcp`, `all` → `-1`).
pub fn protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "all" | "-1" => "-1".into(),
        other => other.to_string(),
    }
}

/// IpPermissions as upstream's rule objects: one per permission and description.
fn rules(perms: &[IpPermission], own_id: &str) -> Value {
    let mut out = Vec::new();
    for p in perms {
        // description → (cidrs, ipv6, prefix lists, groups, self)
        let mut by_desc: BTreeMap<String, [Vec<String>; 4]> = BTreeMap::new();
        let mut own: BTreeMap<String, bool> = BTreeMap::new();
        for r in p.ip_ranges() {
            let d = r.description().unwrap_or("").to_string();
            by_desc.entry(d).or_default()[0].push(r.cidr_ip().unwrap_or("").into());
        }
        for r in p.ipv6_ranges() {
            let d = r.description().unwrap_or("").to_string();
            by_desc.entry(d).or_default()[1].push(r.cidr_ipv6().unwrap_or("").into());
        }
        for r in p.prefix_list_ids() {
            let d = r.description().unwrap_or("").to_string();
            by_desc.entry(d).or_default()[2].push(r.prefix_list_id().unwrap_or("").into());
        }
        for g in p.user_id_group_pairs() {
            let d = g.description().unwrap_or("").to_string();
            let id = g.group_id().unwrap_or("");
            if id == own_id {
                own.insert(d.clone(), true);
                by_desc.entry(d).or_default();
            } else {
                by_desc.entry(d).or_default()[3].push(id.into());
            }
        }
        let proto = protocol(p.ip_protocol().unwrap_or("-1"));
        let all = proto == "-1";
        for (d, [cidrs, v6, pls, groups]) in by_desc {
            out.push(obj(vec![
                ("protocol", Value::string(&proto)),
                (
                    "from_port",
                    Value::Number(if all {
                        0.0
                    } else {
                        p.from_port().unwrap_or(0) as f64
                    }),
                ),
                (
                    "to_port",
                    Value::Number(if all {
                        0.0
                    } else {
                        p.to_port().unwrap_or(0) as f64
                    }),
                ),
                ("description", Value::string(&d)),
                (
                    "cidr_blocks",
                    Value::list(cidrs.iter().map(Value::string).collect()),
                ),
                (
                    "ipv6_cidr_blocks",
                    Value::list(v6.iter().map(Value::string).collect()),
                ),
                (
                    "prefix_list_ids",
                    Value::list(pls.iter().map(Value::string).collect()),
                ),
                ("security_groups", string_set(&groups)),
                ("self", Value::Bool(own.get(&d).copied().unwrap_or(false))),
            ]));
        }
    }
    Value::set(out)
}

/// A configured rule object as upstream's SDK plans and reads it: unset strings "", unset
/// lists empty, `self` false, the protocol by name.
fn normalized_rule(r: &Value) -> Value {
    let mut m = r.as_map().cloned().unwrap_or_default();
    for k in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"] {
        if m.get(k).is_none_or(Value::is_null) {
            m.insert(k.into(), Value::list(vec![]));
        }
    }
    if m.get("security_groups").is_none_or(Value::is_null) {
        m.insert("security_groups".into(), Value::set(vec![]));
    }
    if m.get("description").is_none_or(Value::is_null) {
        m.insert("description".into(), Value::string(""));
    }
    if m.get("self").is_none_or(Value::is_null) {
        m.insert("self".into(), Value::Bool(false));
    }
    if let Some(p) = m.get("protocol").and_then(Value::as_str) {
        let p = protocol(p);
        m.insert("protocol".into(), Value::string(p));
    }
    Value::map(m)
}

fn rule_set(v: &Value, k: &str) -> Vec<Value> {
    v.get_attr(k)
        .and_then(Value::as_seq)
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

impl SecurityGroup {
    /// Authorizes what `planned` has and `prior` lacks, revokes the reverse, per direction.
    async fn sync_rules(
        &self,
        c: &Clients,
        id: &str,
        prior: &[Value; 2],
        planned: &Value,
    ) -> ProviderResult<()> {
        for (i, dir) in ["ingress", "egress"].into_iter().enumerate() {
            let Some(want) = planned
                .get_attr(dir)
                .filter(|v| !v.is_null() && !v.is_unknown())
            else {
                continue;
            };
            let want = want.as_seq().map(<[Value]>::to_vec).unwrap_or_default();
            let have = prior[i].as_seq().map(<[Value]>::to_vec).unwrap_or_default();
            let revoke: Vec<IpPermission> = have
                .iter()
                .filter(|r| !want.contains(r))
                .map(|r| permission(r, id))
                .collect();
            let grant: Vec<IpPermission> = want
                .iter()
                .filter(|r| !have.contains(r))
                .map(|r| permission(r, id))
                .collect();
            if !revoke.is_empty() {
                change_rules(c, id, dir, false, revoke).await?;
            }
            if !grant.is_empty() {
                change_rules(c, id, dir, true, grant).await?;
            }
        }
        Ok(())
    }
}

/// Authorizes (`grant`) or revokes rules of one direction. EC2 applies a batch all or nothing
/// and refuses one that is already in effect (a retry after a lost answer): then each rule is
/// applied alone, those already in effect skipped.
async fn change_rules(
    c: &Clients,
    id: &str,
    dir: &str,
    grant: bool,
    rules: Vec<IpPermission>,
) -> ProviderResult<()> {
    let already = if grant {
        "InvalidPermission.Duplicate"
    } else {
        "InvalidPermission.NotFound"
    };
    let call = |rules: Vec<IpPermission>| async move {
        let r = match (dir == "ingress", grant) {
            (true, true) => c
                .ec2
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            (false, true) => c
                .ec2
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            (true, false) => c
                .ec2
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
            (false, false) => c
                .ec2
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(rules))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk),
        };
        r
    };
    match call(rules.clone()).await {
        Err(e) if e.code.as_deref() == Some(already) => {
            for rule in rules {
                match call(vec![rule]).await {
                    Err(e) if e.code.as_deref() == Some(already) => {}
                    other => other?,
                }
            }
            Ok(())
        }
        other => other,
    }
}

#[async_trait]
impl Ec2Kind for SecurityGroup {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_security_group")
            .force_new_at(&["name", "name_prefix", "description", "vpc_id"])
            .default_at("description", Value::string("Managed by Terraform"))
            .default_at("revoke_rules_on_delete", Value::Bool(false))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "name_prefix",
            "description",
            "vpc_id",
            "ingress",
            "egress",
            "revoke_rules_on_delete",
            "tags",
            "timeouts",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        for dir in ["ingress", "egress"] {
            if let Some(rules) = planned.get_attr(dir).and_then(Value::as_seq) {
                let n = Value::set(rules.iter().map(normalized_rule).collect());
                planned = fill(&planned, vec![(dir, n)]);
            }
        }
        Ok(PlanResponse::of(planned))
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_security_groups()
            .filters(by.filter("group-id"))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.security_groups()
            .iter()
            .map(|g| {
                let id = g.group_id().unwrap_or_default().to_string();
                let owner = g.owner_id().unwrap_or_default();
                Live {
                    attrs: vec![
                        ("name", opt_str(g.group_name())),
                        ("description", opt_str(g.description())),
                        ("vpc_id", opt_str(g.vpc_id())),
                        ("owner_id", Value::string(owner)),
                        (
                            "arn",
                            Value::string(format!(
                                "arn:aws:ec2:{}:{owner}:security-group/{id}",
                                c.region
                            )),
                        ),
                        ("ingress", rules(g.ip_permissions(), &id)),
                        ("egress", rules(g.ip_permissions_egress(), &id)),
                    ],
                    tags: live_tags(g.tags()),
                    id,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let name = name_or_generated(planned, "name", "name_prefix", token);
        let r = c
            .ec2_once
            .create_security_group()
            .group_name(&name)
            .description(
                attr_str(planned, "description").unwrap_or_else(|| "Managed by Terraform".into()),
            )
            .set_vpc_id(attr_str(planned, "vpc_id"))
            .tag_specifications(tag_spec(Ec2ResourceType::SecurityGroup, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.group_id()
            .map(String::from)
            .ok_or_else(|| invalid("CreateSecurityGroup returned no group id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        let before = match prior {
            Some(p) => [
                Value::set(rule_set(p, "ingress")),
                Value::set(rule_set(p, "egress")),
            ],
            // A new group: what EC2 gave it. Its default egress rule goes unless configured.
            None => {
                let live = self.describe(c, By::Ids(&[id.to_string()])).await?;
                let attrs = live.into_iter().next().map(|l| l.attrs).unwrap_or_default();
                let get = |k: &str| {
                    attrs
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Value::set(vec![]))
                };
                [get("ingress"), get("egress")]
            }
        };
        let mut planned = planned.clone();
        if prior.is_none()
            && planned
                .get_attr("egress")
                .is_none_or(|e| e.is_null() || e.is_unknown())
        {
            planned = fill(&planned, vec![("egress", Value::set(vec![]))]);
        }
        self.sync_rules(c, id, &before, &planned).await
    }

    async fn delete(&self, c: &Clients, id: &str, prior: &Value) -> ProviderResult<()> {
        if attr_bool(prior, "revoke_rules_on_delete") == Some(true) {
            let none = fill(
                prior,
                vec![
                    ("ingress", Value::set(vec![])),
                    ("egress", Value::set(vec![])),
                ],
            );
            let before = [
                Value::set(rule_set(prior, "ingress")),
                Value::set(rule_set(prior, "egress")),
            ];
            self.sync_rules(c, id, &before, &none).await?;
        }
        retry_dependency_violation(&format!("security group {id}"), || async {
            c.ec2
                .delete_security_group()
                .group_id(id)
                .send()
                .await
                .map_err(sdk)
        })
        .await
    }
}
