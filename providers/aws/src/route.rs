//! `aws_route`: one route in a route table (a NAT gateway or internet gateway default route).
//!
//! Its id is upstream's: `r-` + table id + the CRC-32 of the destination. A route's table and
//! destination are its identity (a table holds one route per destination), so a create
//! retried after a lost response finds its route (`RouteAlreadyExists` with the same target)
//! instead of failing. Refresh reads each route table once for all its routes.

use crate::clients::Clients;
use crate::error::sdk;
use crate::route_table::{target_pairs, TARGETS};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ec2::types::Route as Ec2Route;
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Route;

const DESTINATIONS: [&str; 3] = [
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
];

fn destination(v: &Value) -> Option<String> {
    DESTINATIONS
        .iter()
        .find_map(|k| attr_str(v, k).filter(|s| !s.is_empty()))
}

fn route_id(table: &str, dest: &str) -> String {
    format!("r-{table}{}", crc32fast::hash(dest.as_bytes()))
}

fn route_destination(r: &Ec2Route) -> Option<&str> {
    r.destination_cidr_block()
        .or(r.destination_ipv6_cidr_block())
        .or(r.destination_prefix_list_id())
}

fn value_of(prior: &Value, table: &str, r: &Ec2Route) -> Value {
    let mut pairs: Vec<(&str, Value)> = vec![
        ("route_table_id", Value::string(table)),
        (
            "id",
            Value::string(route_id(table, route_destination(r).unwrap_or(""))),
        ),
        ("origin", opt_str(r.origin().map(|o| o.as_str()))),
        ("state", opt_str(r.state().map(|s| s.as_str()))),
        ("instance_id", Value::string(r.instance_id().unwrap_or(""))),
        (
            "instance_owner_id",
            Value::string(r.instance_owner_id().unwrap_or("")),
        ),
    ];
    for k in DESTINATIONS {
        let live = match k {
            "destination_cidr_block" => r.destination_cidr_block(),
            "destination_ipv6_cidr_block" => r.destination_ipv6_cidr_block(),
            _ => r.destination_prefix_list_id(),
        };
        pairs.push((k, opt_str(live)));
    }
    for (k, v) in target_pairs(r) {
        // An endpoint route reports the endpoint as its gateway.
        let v = if k == "vpc_endpoint_id" && attr_str(prior, k).is_some() {
            r.gateway_id().unwrap_or("").to_string()
        } else if k == "gateway_id" && attr_str(prior, "vpc_endpoint_id").is_some() {
            String::new()
        } else {
            v
        };
        pairs.push((
            k,
            if v.is_empty() {
                Value::Null
            } else {
                Value::string(v)
            },
        ));
    }
    fill(prior, pairs)
}

impl Route {
    async fn routes_of(
        &self,
        c: &Clients,
        tables: &[String],
    ) -> ProviderResult<BTreeMap<String, Vec<Ec2Route>>> {
        let mut out = BTreeMap::new();
        for chunk in tables.chunks(200) {
            let r = c
                .ec2
                .describe_route_tables()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("route-table-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .send()
                .await
                .map_err(sdk)?;
            for t in r.route_tables() {
                out.insert(
                    t.route_table_id().unwrap_or_default().to_string(),
                    t.routes().to_vec(),
                );
            }
        }
        Ok(out)
    }

    fn send_targets(&self, planned: &Value) -> BTreeMap<&'static str, String> {
        TARGETS
            .iter()
            .filter_map(|k| {
                attr_str(planned, k)
                    .filter(|s| !s.is_empty())
                    .map(|v| (*k, v))
            })
            .collect()
    }
}

#[async_trait]
impl ResourceType for Route {
    fn name(&self) -> &'static str {
        "aws_route"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_route").force_new_at(&[
            "route_table_id",
            "destination_cidr_block",
            "destination_ipv6_cidr_block",
            "destination_prefix_list_id",
        ])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "route_table_id",
            "destination_cidr_block",
            "destination_ipv6_cidr_block",
            "destination_prefix_list_id",
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
            "timeouts",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let table = need_str(planned, "route_table_id")?;
        let dest = destination(planned).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "one of destination_cidr_block, destination_ipv6_cidr_block, destination_prefix_list_id is required",
            )
        })?;
        let t = self.send_targets(planned);
        let get = |k: &str| t.get(k).cloned();
        let made = c
            .ec2
            .create_route()
            .route_table_id(&table)
            .set_destination_cidr_block(attr_str(planned, "destination_cidr_block"))
            .set_destination_ipv6_cidr_block(attr_str(planned, "destination_ipv6_cidr_block"))
            .set_destination_prefix_list_id(attr_str(planned, "destination_prefix_list_id"))
            .set_gateway_id(get("gateway_id"))
            .set_nat_gateway_id(get("nat_gateway_id"))
            .set_network_interface_id(get("network_interface_id"))
            .set_transit_gateway_id(get("transit_gateway_id"))
            .set_vpc_endpoint_id(get("vpc_endpoint_id"))
            .set_vpc_peering_connection_id(get("vpc_peering_connection_id"))
            .set_egress_only_internet_gateway_id(get("egress_only_gateway_id"))
            .set_carrier_gateway_id(get("carrier_gateway_id"))
            .set_local_gateway_id(get("local_gateway_id"))
            .set_core_network_arn(get("core_network_arn"))
            .send()
            .await
            .map_err(sdk);
        match made {
            Ok(_) => {}
            // Ours only if it routes where this one would (an earlier attempt of this create).
            Err(e) if e.code.as_deref() == Some("RouteAlreadyExists") => {
                let existing = self
                    .read(
                        c,
                        &fill(
                            planned,
                            vec![("id", Value::string(route_id(&table, &dest)))],
                        ),
                    )
                    .await?;
                let same = existing.as_ref().is_some_and(|v| {
                    t.iter()
                        .all(|(k, want)| attr_str(v, k).as_deref() == Some(want.as_str()))
                });
                if !same {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        self.read_back(
            c,
            &fill(
                planned,
                vec![("id", Value::string(route_id(&table, &dest)))],
            ),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        self.read_many(c, std::slice::from_ref(prior))
            .await
            .pop()
            .unwrap_or(Ok(None))
    }

    async fn read_many(&self, c: &Clients, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut tables: Vec<String> = priors
            .iter()
            .filter_map(|p| attr_str(p, "route_table_id"))
            .collect();
        tables.sort();
        tables.dedup();
        let routes = match self.routes_of(c, &tables).await {
            Ok(r) => r,
            Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
        };
        priors
            .iter()
            .map(|p| {
                let table = attr_str(p, "route_table_id").unwrap_or_default();
                let Some(dest) = destination(p) else {
                    return Ok(None);
                };
                Ok(routes
                    .get(&table)
                    .and_then(|rs| {
                        rs.iter()
                            .find(|r| route_destination(r) == Some(dest.as_str()))
                    })
                    .map(|r| value_of(p, &table, r)))
            })
            .collect()
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let table = need_str(prior, "route_table_id")?;
        let t = self.send_targets(planned);
        let get = |k: &str| t.get(k).cloned();
        c.ec2
            .replace_route()
            .route_table_id(&table)
            .set_destination_cidr_block(attr_str(planned, "destination_cidr_block"))
            .set_destination_ipv6_cidr_block(attr_str(planned, "destination_ipv6_cidr_block"))
            .set_destination_prefix_list_id(attr_str(planned, "destination_prefix_list_id"))
            .set_gateway_id(get("gateway_id"))
            .set_nat_gateway_id(get("nat_gateway_id"))
            .set_network_interface_id(get("network_interface_id"))
            .set_transit_gateway_id(get("transit_gateway_id"))
            .set_vpc_endpoint_id(get("vpc_endpoint_id"))
            .set_vpc_peering_connection_id(get("vpc_peering_connection_id"))
            .set_egress_only_internet_gateway_id(get("egress_only_gateway_id"))
            .set_carrier_gateway_id(get("carrier_gateway_id"))
            .set_local_gateway_id(get("local_gateway_id"))
            .set_core_network_arn(get("core_network_arn"))
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(
                planned,
                vec![("id", prior.get_attr("id").cloned().unwrap_or_default())],
            ),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.ec2
                .delete_route()
                .route_table_id(need_str(prior, "route_table_id")?)
                .set_destination_cidr_block(
                    attr_str(prior, "destination_cidr_block").filter(|s| !s.is_empty()),
                )
                .set_destination_ipv6_cidr_block(
                    attr_str(prior, "destination_ipv6_cidr_block").filter(|s| !s.is_empty()),
                )
                .set_destination_prefix_list_id(
                    attr_str(prior, "destination_prefix_list_id").filter(|s| !s.is_empty()),
                )
                .send()
                .await
                .map_err(sdk),
        )
    }

    /// `ROUTETABLEID_DESTINATION`, as upstream imports routes.
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        let Some((table, dest)) = id.split_once('_') else {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("route import id {id:?} is not ROUTETABLEID_DESTINATION"),
            ));
        };
        let key = if dest.starts_with("pl-") {
            "destination_prefix_list_id"
        } else if dest.contains(':') {
            "destination_ipv6_cidr_block"
        } else {
            "destination_cidr_block"
        };
        self.read(
            c,
            &obj(vec![
                ("route_table_id", Value::string(table)),
                (key, Value::string(dest)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        // Table + destination is the identity; a found route is ours only with our target.
        let Some(found) = self.read(c, planned).await? else {
            return Ok(None);
        };
        let t = self.send_targets(planned);
        Ok(t.iter()
            .all(|(k, want)| attr_str(&found, k).as_deref() == Some(want.as_str()))
            .then_some(found))
    }
}
