//! `aws_route_table_association`: which route table a subnet (or gateway) uses.
//!
//! A subnet has one association, so the subnet is the identity: a create retried after a lost
//! response finds the association it made (`Resource.AlreadyAssociated` with the same table)
//! and adopts it. Moving to another table is an in-place ReplaceRouteTableAssociation.

use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use gantry_core::provider::{ErrorKind, Op, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct Association;

impl Association {
    /// (association id, table id, subnet id, gateway id) matching a filter.
    async fn find(&self, c: &Clients, filter: Filter) -> ProviderResult<Vec<[String; 4]>> {
        let r = c
            .ec2
            .describe_route_tables()
            .filters(filter)
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| a.main() != Some(true))
            .map(|a| {
                [
                    a.route_table_association_id().unwrap_or("").to_string(),
                    a.route_table_id().unwrap_or("").to_string(),
                    a.subnet_id().unwrap_or("").to_string(),
                    a.gateway_id().unwrap_or("").to_string(),
                ]
            })
            .collect())
    }

    fn value(&self, prior: &Value, a: &[String; 4]) -> Value {
        let opt = |s: &String| {
            if s.is_empty() {
                Value::Null
            } else {
                Value::string(s)
            }
        };
        fill(
            prior,
            vec![
                ("id", Value::string(&a[0])),
                ("route_table_id", Value::string(&a[1])),
                ("subnet_id", opt(&a[2])),
                ("gateway_id", opt(&a[3])),
            ],
        )
    }

    /// The association of this subnet / gateway, if any.
    async fn of_target(&self, c: &Clients, planned: &Value) -> ProviderResult<Option<[String; 4]>> {
        let (subnet, gateway) = (
            attr_str(planned, "subnet_id"),
            attr_str(planned, "gateway_id"),
        );
        let filter = match (&subnet, &gateway) {
            (Some(s), _) => Filter::builder()
                .name("association.subnet-id")
                .values(s)
                .build(),
            (None, Some(g)) => Filter::builder()
                .name("association.gateway-id")
                .values(g)
                .build(),
            (None, None) => return Ok(None),
        };
        Ok(self.find(c, filter).await?.into_iter().find(|a| {
            subnet.as_deref().is_some_and(|s| a[2] == s)
                || gateway.as_deref().is_some_and(|g| a[3] == g)
        }))
    }
}

#[async_trait]
impl ResourceType for Association {
    fn name(&self) -> &'static str {
        "aws_route_table_association"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_route_table_association")
            .force_new_at(&["subnet_id", "gateway_id"])
    }

    fn implemented(&self) -> &'static [&'static str] {
        &["route_table_id", "subnet_id", "gateway_id", "timeouts"]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        let table = need_str(planned, "route_table_id")?;
        let made = c
            .ec2
            .associate_route_table()
            .route_table_id(&table)
            .set_subnet_id(attr_str(planned, "subnet_id"))
            .set_gateway_id(attr_str(planned, "gateway_id"))
            .send()
            .await
            .map_err(sdk);
        let id = match made {
            Ok(r) => r.association_id().unwrap_or_default().to_string(),
            Err(e) if e.code.as_deref() == Some("Resource.AlreadyAssociated") => {
                match self.of_target(c, planned).await? {
                    Some(a) if a[1] == table => a[0].clone(),
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(id))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let id = attr_str(prior, "id").unwrap_or_default();
        let found = self
            .find(
                c,
                Filter::builder()
                    .name("association.route-table-association-id")
                    .values(&id)
                    .build(),
            )
            .await?;
        Ok(found
            .iter()
            .find(|a| a[0] == id)
            .map(|a| self.value(prior, a)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let r = c
            .ec2
            .replace_route_table_association()
            .association_id(need_str(prior, "id")?)
            .route_table_id(need_str(planned, "route_table_id")?)
            .send()
            .await
            .map_err(sdk)?;
        // The replacement has a new association id.
        let id = r.new_association_id().unwrap_or_default().to_string();
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(id))]),
            "during update",
        )
        .await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        gone_is_ok(
            c.ec2
                .disassociate_route_table()
                .association_id(need_str(prior, "id")?)
                .send()
                .await
                .map_err(sdk),
        )
    }

    /// `SUBNETID/ROUTETABLEID` (or `GATEWAYID/ROUTETABLEID`), as upstream imports.
    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        let Some((target, table)) = id.split_once('/') else {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("route table association import id {id:?} is not SUBNETID/ROUTETABLEID"),
            ));
        };
        let key = if target.starts_with("subnet-") {
            "subnet_id"
        } else {
            "gateway_id"
        };
        let probe = obj(vec![(key, Value::string(target))]);
        Ok(self
            .of_target(c, &probe)
            .await?
            .filter(|a| a[1] == table)
            .map(|a| self.value(&probe, &a)))
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let table = attr_str(planned, "route_table_id");
        Ok(self
            .of_target(c, planned)
            .await?
            .filter(|a| Some(&a[1]) == table.as_ref())
            .map(|a| self.value(planned, &a)))
    }
}
