//! `aws_route_table`, with upstream's inline `route` set (routes other resources add show in
//! it, as upstream; leave `route` unset to manage routes with `aws_route`).

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, Route};
use gantry_core::provider::{PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct RouteTable;

/// The targets of a route object, by attribute name.
pub const TARGETS: [&str; 10] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

/// Routes upstream leaves out of `route`: the VPC's local route, propagated ones and the
/// routes VPC gateway endpoints add.
pub fn managed(r: &Route) -> bool {
    r.gateway_id() != Some("local")
        && r.origin().map(|o| o.as_str()) != Some("EnableVgwRoutePropagation")
        && r.origin().map(|o| o.as_str()) != Some("CreateRouteTable")
        && !r.gateway_id().is_some_and(|g| g.starts_with("vpce-"))
}

/// A route's target attributes as read (every one present, "" when unset).
pub fn target_pairs(r: &Route) -> Vec<(&'static str, String)> {
    let s = |v: Option<&str>| v.unwrap_or("").to_string();
    vec![
        ("carrier_gateway_id", s(r.carrier_gateway_id())),
        ("core_network_arn", s(r.core_network_arn())),
        (
            "egress_only_gateway_id",
            s(r.egress_only_internet_gateway_id()),
        ),
        ("gateway_id", s(r.gateway_id())),
        ("local_gateway_id", s(r.local_gateway_id())),
        ("nat_gateway_id", s(r.nat_gateway_id())),
        ("network_interface_id", s(r.network_interface_id())),
        ("transit_gateway_id", s(r.transit_gateway_id())),
        ("vpc_endpoint_id", String::new()),
        (
            "vpc_peering_connection_id",
            s(r.vpc_peering_connection_id()),
        ),
    ]
}

fn route_object(r: &Route) -> Value {
    let mut pairs: Vec<(&str, Value)> = target_pairs(r)
        .into_iter()
        .map(|(k, v)| (k, Value::string(v)))
        .collect();
    pairs.push((
        "cidr_block",
        Value::string(r.destination_cidr_block().unwrap_or("")),
    ));
    pairs.push((
        "ipv6_cidr_block",
        Value::string(r.destination_ipv6_cidr_block().unwrap_or("")),
    ));
    pairs.push((
        "destination_prefix_list_id",
        Value::string(r.destination_prefix_list_id().unwrap_or("")),
    ));
    obj(pairs)
}

impl RouteTable {
    async fn add(&self, c: &Clients, table: &str, r: &Value) -> ProviderResult<()> {
        let sent = c
            .ec2
            .create_route()
            .route_table_id(table)
            .set_destination_cidr_block(nonempty(r, "cidr_block"))
            .set_destination_ipv6_cidr_block(nonempty(r, "ipv6_cidr_block"))
            .set_destination_prefix_list_id(nonempty(r, "destination_prefix_list_id"))
            .set_gateway_id(nonempty(r, "gateway_id"))
            .set_nat_gateway_id(nonempty(r, "nat_gateway_id"))
            .set_network_interface_id(nonempty(r, "network_interface_id"))
            .set_transit_gateway_id(nonempty(r, "transit_gateway_id"))
            .set_vpc_endpoint_id(nonempty(r, "vpc_endpoint_id"))
            .set_vpc_peering_connection_id(nonempty(r, "vpc_peering_connection_id"))
            .set_egress_only_internet_gateway_id(nonempty(r, "egress_only_gateway_id"))
            .set_carrier_gateway_id(nonempty(r, "carrier_gateway_id"))
            .set_local_gateway_id(nonempty(r, "local_gateway_id"))
            .set_core_network_arn(nonempty(r, "core_network_arn"))
            .send()
            .await
            .map_err(sdk);
        match sent {
            // Made by an earlier attempt whose answer was lost; the read-back shows its
            // target, so a route someone else set differently is still seen as drift.
            Err(e) if e.code.as_deref() == Some("RouteAlreadyExists") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn remove(&self, c: &Clients, table: &str, r: &Value) -> ProviderResult<()> {
        gone_is_ok(
            c.ec2
                .delete_route()
                .route_table_id(table)
                .set_destination_cidr_block(nonempty(r, "cidr_block"))
                .set_destination_ipv6_cidr_block(nonempty(r, "ipv6_cidr_block"))
                .set_destination_prefix_list_id(nonempty(r, "destination_prefix_list_id"))
                .send()
                .await
                .map_err(sdk),
        )
    }
}

/// A route object of configuration with every attribute present ("" for unset), as read.
fn normalized(r: &Value) -> Value {
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    for k in TARGETS.iter().chain(
        [
            "cidr_block",
            "ipv6_cidr_block",
            "destination_prefix_list_id",
        ]
        .iter(),
    ) {
        pairs.push((k, Value::string(attr_str(r, k).unwrap_or_default())));
    }
    obj(pairs)
}

/// A planned route object with unset strings as "" (unknown ones stay unknown).
fn nulls_as_empty(r: &Value) -> Value {
    let mut m = r.as_map().cloned().unwrap_or_default();
    for k in TARGETS.iter().chain(
        [
            "cidr_block",
            "ipv6_cidr_block",
            "destination_prefix_list_id",
        ]
        .iter(),
    ) {
        if m.get(*k).is_none_or(Value::is_null) {
            m.insert(k.to_string(), Value::string(""));
        }
    }
    Value::map(m)
}

#[async_trait]
impl Ec2Kind for RouteTable {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_route_table").force_new_at(&["vpc_id"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["vpc_id", "route", "tags", "timeouts"]
    }

    /// Upstream's SDK plans unset strings of `route` objects as "" (as it reads them back).
    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let planned = match req.proposed.get_attr("route").and_then(Value::as_seq) {
            Some(routes) => fill(
                req.proposed,
                vec![(
                    "route",
                    Value::set(routes.iter().map(nulls_as_empty).collect()),
                )],
            ),
            _ => req.proposed.clone(),
        };
        Ok(PlanResponse::of(planned))
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let r = c
            .ec2
            .describe_route_tables()
            .filters(by.filter("route-table-id"))
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.route_tables()
            .iter()
            .map(|t| {
                let id = t.route_table_id().unwrap_or_default().to_string();
                let owner = t.owner_id().unwrap_or_default();
                Live {
                    attrs: vec![
                        ("vpc_id", opt_str(t.vpc_id())),
                        ("owner_id", Value::string(owner)),
                        (
                            "arn",
                            Value::string(format!(
                                "arn:aws:ec2:{}:{owner}:route-table/{id}",
                                c.region
                            )),
                        ),
                        (
                            "route",
                            Value::set(
                                t.routes()
                                    .iter()
                                    .filter(|r| managed(r))
                                    .map(route_object)
                                    .collect(),
                            ),
                        ),
                        ("propagating_vgws", Value::set(vec![])),
                    ],
                    tags: live_tags(t.tags()),
                    id,
                }
            })
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2_once
            .create_route_table()
            .vpc_id(need_str(planned, "vpc_id")?)
            .tag_specifications(tag_spec(Ec2ResourceType::RouteTable, planned, token))
            .send()
            .await
            .map_err(sdk)?;
        r.route_table()
            .and_then(|t| t.route_table_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateRouteTable returned no id"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        let Some(want) = planned
            .get_attr("route")
            .filter(|v| !v.is_null() && !v.is_unknown())
            .and_then(Value::as_seq)
        else {
            return Ok(());
        };
        let want: Vec<Value> = want.iter().map(normalized).collect();
        let have: Vec<Value> = match prior {
            Some(p) => p
                .get_attr("route")
                .and_then(Value::as_seq)
                .map(|l| l.iter().map(normalized).collect())
                .unwrap_or_default(),
            None => self
                .describe(c, By::Ids(&[id.to_string()]))
                .await?
                .into_iter()
                .next()
                .and_then(|l| l.attrs.into_iter().find(|(k, _)| *k == "route"))
                .and_then(|(_, v)| v.as_seq().map(|l| l.iter().map(normalized).collect()))
                .unwrap_or_default(),
        };
        for r in have.iter().filter(|r| !want.contains(r)) {
            self.remove(c, id, r).await?;
        }
        for r in want.iter().filter(|r| !have.contains(r)) {
            self.add(c, id, r).await?;
        }
        Ok(())
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        retry_dependency_violation(&format!("route table {id}"), || async {
            c.ec2
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map_err(sdk)
        })
        .await
    }
}
