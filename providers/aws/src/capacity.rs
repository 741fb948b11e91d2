//! Capacity at plan time: whether EC2 offers the planned instance type in the planned
//! availability zone (DescribeInstanceTypeOfferings), for instances and capacity
//! reservations. GPU types are offered in few zones; a plan that says so beats a create that
//! fails with InsufficientInstanceCapacity or Unsupported after everything before it ran.

use crate::clients::Clients;
use crate::util::attr_str;
use aws_sdk_ec2::types::{Filter, LocationType};
use gantry_core::value::Value;

/// The zones of the region offering `instance_type` (cached per provider), `None` when EC2
/// could not be asked.
async fn offered_in(c: &Clients, instance_type: &str) -> Option<Vec<String>> {
    if let Some(hit) = c.offerings.lock().await.get(instance_type) {
        return Some(hit.clone());
    }
    let mut zones = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let r = c
            .ec2
            .describe_instance_type_offerings()
            .location_type(LocationType::AvailabilityZone)
            .filters(
                Filter::builder()
                    .name("instance-type")
                    .values(instance_type)
                    .build(),
            )
            .set_next_token(token.clone())
            .send()
            .await
            .ok()?;
        zones.extend(
            r.instance_type_offerings()
                .iter()
                .filter_map(|o| o.location().map(String::from)),
        );
        token = r.next_token().map(String::from).filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    zones.sort();
    c.offerings
        .lock()
        .await
        .insert(instance_type.to_string(), zones.clone());
    Some(zones)
}

pub async fn capacity(c: &Clients, type_name: &str, v: &Value) -> Vec<String> {
    if !matches!(type_name, "aws_instance" | "aws_ec2_capacity_reservation") {
        return Vec::new();
    }
    let (Some(t), Some(zone)) = (
        attr_str(v, "instance_type"),
        attr_str(v, "availability_zone"),
    ) else {
        return Vec::new();
    };
    let Some(zones) = offered_in(c, &t).await else {
        return Vec::new();
    };
    if zones.contains(&zone) {
        return Vec::new();
    }
    if zones.is_empty() {
        return vec![format!("{t} is not offered in any zone of {}", c.region)];
    }
    // Zones by their letter, as the console lists them: "a, b, d".
    let letters: Vec<&str> = zones
        .iter()
        .map(|z| z.strip_prefix(c.region.as_str()).unwrap_or(z))
        .collect();
    vec![format!(
        "{t} is not offered in {zone} (offered in: {})",
        letters.join(", ")
    )]
}
