//! Capacity at plan time: whether the planned VM size is offered where it is planned —
//! Resource SKUs (Microsoft.Compute/skus) list each size's zones per location and the
//! subscription's restrictions (NotAvailableForSubscription, by location or by zone), for
//! virtual machines, Azure ML compute clusters and online deployments.

use crate::config::Ctx;
use gantry_core::provider_kit::attr_str;
use gantry_core::value::Value;
use serde_json::Value as Json;

const SKUS_API: &str = "2021-07-01";

async fn skus(c: &Ctx, location: &str) -> Option<Json> {
    if let Some(hit) = c.skus.lock().await.get(location) {
        return hit.clone();
    }
    let sub = c.subscription().ok()?;
    let filter = format!("location eq '{location}'");
    let id = format!(
        "/subscriptions/{sub}/providers/Microsoft.Compute/skus?$filter={}",
        percent(&filter)
    );
    let got = c.client.get(&id, SKUS_API).await.ok();
    c.skus
        .lock()
        .await
        .insert(location.to_string(), got.clone());
    got
}

fn percent(s: &str) -> String {
    s.chars()
        .map(|ch| match ch {
            ' ' => "%20".to_string(),
            '\'' => "%27".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn strings(j: &Json) -> Vec<String> {
    j.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

/// Why `size` cannot run in `location` (and `zone`), per the SKU list; `None` when it can.
pub fn restriction(list: &Json, size: &str, location: &str, zone: Option<&str>) -> Option<String> {
    let sku = list["value"].as_array().into_iter().flatten().find(|s| {
        s["resourceType"] == "virtualMachines"
            && s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(size))
    });
    let Some(sku) = sku else {
        return Some(format!("{size} is not offered in {location}"));
    };
    let restrictions = sku["restrictions"].as_array().cloned().unwrap_or_default();
    if let Some(r) = restrictions.iter().find(|r| r["type"] == "Location") {
        return Some(format!(
            "{size} is not available in {location} for this subscription ({})",
            r["reasonCode"].as_str().unwrap_or("restricted")
        ));
    }
    let zone = zone?;
    let blocked: Vec<String> = restrictions
        .iter()
        .filter(|r| r["type"] == "Zone")
        .flat_map(|r| strings(&r["restrictionInfo"]["zones"]))
        .collect();
    let offered: Vec<String> = sku["locationInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| {
            i["location"]
                .as_str()
                .is_some_and(|l| l.eq_ignore_ascii_case(location))
        })
        .flat_map(|i| strings(&i["zones"]))
        .filter(|z| !blocked.contains(z))
        .collect();
    if offered.iter().any(|z| z == zone) {
        return None;
    }
    Some(if offered.is_empty() {
        format!("{size} is not offered in any zone of {location}")
    } else {
        format!(
            "{size} is not offered in {location} zone {zone} (offered in zones: {})",
            offered.join(", ")
        )
    })
}

pub async fn capacity(c: &Ctx, type_name: &str, v: &Value) -> Vec<String> {
    let (size, zone) = match type_name {
        "azurerm_linux_virtual_machine" => (attr_str(v, "size"), attr_str(v, "zone")),
        "azurerm_machine_learning_compute_cluster" => (attr_str(v, "vm_size"), None),
        "azurerm_machine_learning_online_deployment" => (attr_str(v, "instance_type"), None),
        _ => return Vec::new(),
    };
    let (Some(size), Some(location)) = (size, attr_str(v, "location")) else {
        return Vec::new();
    };
    let location = crate::util::location_norm(&location);
    let Some(list) = skus(c, &location).await else {
        return Vec::new();
    };
    restriction(&list, &size, &location, zone.as_deref())
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zone_and_location_restrictions_are_named() {
        let list = json!({"value": [
            {"resourceType": "virtualMachines", "name": "Standard_NC24ads_A100_v4",
             "locationInfo": [{"location": "eastus", "zones": ["1", "2", "3"]}],
             "restrictions": [{"type": "Zone", "reasonCode": "NotAvailableForSubscription",
                               "restrictionInfo": {"locations": ["eastus"], "zones": ["1"]}}]},
            {"resourceType": "virtualMachines", "name": "Standard_ND96isr_H100_v5",
             "locationInfo": [{"location": "eastus", "zones": ["1"]}],
             "restrictions": [{"type": "Location", "reasonCode": "NotAvailableForSubscription"}]}
        ]});
        assert_eq!(
            restriction(&list, "Standard_NC24ads_A100_v4", "eastus", Some("1")).unwrap(),
            "Standard_NC24ads_A100_v4 is not offered in eastus zone 1 (offered in zones: 2, 3)"
        );
        assert_eq!(
            restriction(&list, "Standard_NC24ads_A100_v4", "eastus", Some("2")),
            None
        );
        assert_eq!(
            restriction(&list, "Standard_NC24ads_A100_v4", "eastus", None),
            None
        );
        assert!(
            restriction(&list, "Standard_ND96isr_H100_v5", "eastus", None)
                .unwrap()
                .contains("not available in eastus for this subscription")
        );
        assert_eq!(
            restriction(&list, "Standard_Nope", "eastus", None).unwrap(),
            "Standard_Nope is not offered in eastus"
        );
    }
}
