//! `aws_ec2_capacity_reservation`: GPU capacity held in one availability zone (the scarce
//! thing for p4d/p5 training). CreateCapacityReservation takes a ClientToken, so a repeated
//! create returns the same reservation; the token tag finds an interrupted one. The count and
//! end date change in place (ModifyCapacityReservation); everything else forces a new one.
//! Delete cancels it.

use crate::clients::Clients;
use crate::ec2_object::*;
use crate::error::sdk;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    CapacityReservation as Ec2Reservation, CapacityReservationInstancePlatform,
    CapacityReservationTenancy, EndDateType, Filter, InstanceMatchCriteria,
    ResourceType as Ec2ResourceType,
};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct CapacityReservation;

fn rfc3339(d: Option<&DateTime>) -> Value {
    Value::string(
        d.and_then(|d| d.fmt(Format::DateTime).ok())
            .unwrap_or_default(),
    )
}

fn end_date(planned: &Value) -> ProviderResult<Option<DateTime>> {
    attr_str(planned, "end_date")
        .filter(|s| !s.is_empty())
        .map(|s| {
            DateTime::from_str(&s, Format::DateTime)
                .map_err(|e| invalid(format!("end_date {s:?} is not an RFC 3339 time: {e}")))
        })
        .transpose()
}

impl CapacityReservation {
    fn live(&self, r: &Ec2Reservation) -> Live {
        Live {
            id: r.capacity_reservation_id().unwrap_or_default().to_string(),
            tags: live_tags(r.tags()),
            attrs: vec![
                ("arn", opt_str(r.capacity_reservation_arn())),
                ("availability_zone", opt_str(r.availability_zone())),
                (
                    "ebs_optimized",
                    Value::Bool(r.ebs_optimized().unwrap_or(false)),
                ),
                ("end_date", rfc3339(r.end_date())),
                (
                    "end_date_type",
                    opt_str(r.end_date_type().map(|t| t.as_str())),
                ),
                (
                    "ephemeral_storage",
                    Value::Bool(r.ephemeral_storage().unwrap_or(false)),
                ),
                (
                    "instance_count",
                    Value::Number(r.total_instance_count().unwrap_or(0) as f64),
                ),
                (
                    "instance_match_criteria",
                    opt_str(r.instance_match_criteria().map(|t| t.as_str())),
                ),
                (
                    "instance_platform",
                    opt_str(r.instance_platform().map(|t| t.as_str())),
                ),
                ("instance_type", opt_str(r.instance_type())),
                ("outpost_arn", Value::string(r.outpost_arn().unwrap_or(""))),
                ("owner_id", opt_str(r.owner_id())),
                (
                    "placement_group_arn",
                    Value::string(r.placement_group_arn().unwrap_or("")),
                ),
                ("tenancy", opt_str(r.tenancy().map(|t| t.as_str()))),
            ],
        }
    }
}

#[async_trait]
impl Ec2Kind for CapacityReservation {
    fn type_name(&self) -> &'static str {
        "aws_ec2_capacity_reservation"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_ec2_capacity_reservation")
            .force_new_at(&[
                "availability_zone",
                "ebs_optimized",
                "ephemeral_storage",
                "instance_match_criteria",
                "instance_platform",
                "instance_type",
                "outpost_arn",
                "placement_group_arn",
                "tenancy",
            ])
            .default_at("ebs_optimized", Value::Bool(false))
            .default_at("ephemeral_storage", Value::Bool(false))
            .default_at("end_date_type", Value::string("unlimited"))
            .default_at("instance_match_criteria", Value::string("open"))
            .default_at("tenancy", Value::string("default"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "availability_zone",
            "ebs_optimized",
            "end_date",
            "end_date_type",
            "ephemeral_storage",
            "instance_count",
            "instance_match_criteria",
            "instance_platform",
            "instance_type",
            "placement_group_arn",
            "tenancy",
            "tags",
            "timeouts",
        ]
    }

    async fn describe(&self, c: &Clients, by: By<'_>) -> ProviderResult<Vec<Live>> {
        let req = c.ec2.describe_capacity_reservations();
        let req = match by {
            By::Ids(ids) => req.set_capacity_reservation_ids(Some(ids.to_vec())),
            By::Token(t) => req.filters(
                Filter::builder()
                    .name(format!("tag:{TOKEN_TAG}"))
                    .values(t)
                    .build(),
            ),
        };
        let r = req.send().await.map_err(sdk)?;
        Ok(r.capacity_reservations()
            .iter()
            // Cancelled and expired reservations are gone for good.
            .filter(|r| {
                !matches!(
                    r.state().map(|s| s.as_str()),
                    Some("cancelled" | "expired" | "failed")
                )
            })
            .map(|r| self.live(r))
            .collect())
    }

    async fn create(&self, c: &Clients, planned: &Value, token: &str) -> ProviderResult<String> {
        let r = c
            .ec2
            .create_capacity_reservation()
            .client_token(token)
            .availability_zone(need_str(planned, "availability_zone")?)
            .instance_type(need_str(planned, "instance_type")?)
            .instance_platform(CapacityReservationInstancePlatform::from(
                need_str(planned, "instance_platform")?.as_str(),
            ))
            .instance_count(attr_num(planned, "instance_count").unwrap_or(0.0) as i32)
            .set_ebs_optimized(attr_bool(planned, "ebs_optimized"))
            .set_ephemeral_storage(attr_bool(planned, "ephemeral_storage"))
            .set_end_date(end_date(planned)?)
            .set_end_date_type(
                attr_str(planned, "end_date_type").map(|t| EndDateType::from(t.as_str())),
            )
            .set_instance_match_criteria(
                attr_str(planned, "instance_match_criteria")
                    .map(|t| InstanceMatchCriteria::from(t.as_str())),
            )
            .set_tenancy(
                attr_str(planned, "tenancy").map(|t| CapacityReservationTenancy::from(t.as_str())),
            )
            .set_placement_group_arn(
                attr_str(planned, "placement_group_arn").filter(|s| !s.is_empty()),
            )
            .tag_specifications(tag_spec(
                Ec2ResourceType::CapacityReservation,
                planned,
                token,
            ))
            .send()
            .await
            .map_err(sdk)?;
        r.capacity_reservation()
            .and_then(|r| r.capacity_reservation_id())
            .map(String::from)
            .ok_or_else(|| invalid("CreateCapacityReservation returned no reservation"))
    }

    async fn configure(
        &self,
        c: &Clients,
        id: &str,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ProviderResult<()> {
        if let Some(prior) = prior {
            let changed = |k: &str| prior.get_attr(k) != planned.get_attr(k);
            if changed("instance_count") || changed("end_date") || changed("end_date_type") {
                c.ec2
                    .modify_capacity_reservation()
                    .capacity_reservation_id(id)
                    .set_instance_count(attr_num(planned, "instance_count").map(|n| n as i32))
                    .set_end_date(end_date(planned)?)
                    .set_end_date_type(
                        attr_str(planned, "end_date_type").map(|t| EndDateType::from(t.as_str())),
                    )
                    .send()
                    .await
                    .map_err(sdk)?;
            }
        }
        // Usable once active; a reservation EC2 cannot fill fails with the zone's capacity.
        wait_until(None, &format!("capacity reservation {id} to be active"), || async {
            let r = c
                .ec2
                .describe_capacity_reservations()
                .capacity_reservation_ids(id)
                .send()
                .await
                .map_err(sdk)?;
            let state = r
                .capacity_reservations()
                .first()
                .and_then(|r| r.state())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            if state == "failed" {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("capacity reservation {id} failed: EC2 has no capacity for it in the zone"),
                ));
            }
            Ok(state == "active")
        })
        .await
    }

    async fn delete(&self, c: &Clients, id: &str, _prior: &Value) -> ProviderResult<()> {
        gone_is_ok(
            c.ec2
                .cancel_capacity_reservation()
                .capacity_reservation_id(id)
                .send()
                .await
                .map_err(sdk),
        )
    }
}
