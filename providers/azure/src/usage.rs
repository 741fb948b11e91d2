//! What Azure objects run that has an hourly price, for the plan's cost lines: VM sizes
//! (virtual machines, Azure ML compute clusters and online deployments, AKS node pools).
//! Azure ML bills its compute at the VM size's price.

use crate::util::{first, location_norm};
use gantry_core::provider_kit::{attr_bool, attr_num, attr_str};
use gantry_core::usage::Usage;
use gantry_core::value::Value;

/// `East US` → `eastus`, as the price list names regions.
fn region(v: &Value) -> String {
    attr_str(v, "location")
        .map(|l| location_norm(&l))
        .unwrap_or_default()
}

fn vm(size: Option<String>, region: String, n: Option<f64>) -> Usage {
    Usage::new("azure", "vm", size.unwrap_or_default(), region, n)
}

/// An AKS pool's node count: fixed, or the autoscaler's minimum with its maximum as the
/// ceiling.
fn pool(p: &Value, region: String) -> Usage {
    let auto = attr_bool(p, "auto_scaling_enabled").unwrap_or(false)
        || attr_bool(p, "enable_auto_scaling").unwrap_or(false);
    let n = attr_num(p, "node_count").or_else(|| attr_num(p, "min_count"));
    let spot = attr_str(p, "priority").is_some_and(|x| x == "Spot");
    vm(attr_str(p, "vm_size"), region, n)
        .up_to(auto.then(|| attr_num(p, "max_count")).flatten())
        .spot(spot)
}

pub fn usage(type_name: &str, v: &Value) -> Vec<Usage> {
    match type_name {
        "azurerm_linux_virtual_machine" => {
            let spot = attr_str(v, "priority").is_some_and(|p| p == "Spot");
            vec![vm(attr_str(v, "size"), region(v), Some(1.0)).spot(spot)]
        }
        "azurerm_machine_learning_compute_cluster" => {
            let s = first(v, "scale_settings");
            let low = attr_str(v, "vm_priority").is_some_and(|p| p == "LowPriority");
            vec![vm(
                attr_str(v, "vm_size"),
                region(v),
                s.and_then(|s| attr_num(s, "min_node_count")),
            )
            .up_to(s.and_then(|s| attr_num(s, "max_node_count")))
            .spot(low)]
        }
        "azurerm_machine_learning_online_deployment" => vec![vm(
            attr_str(v, "instance_type"),
            region(v),
            attr_num(v, "instance_count"),
        )],
        "azurerm_kubernetes_cluster" => first(v, "default_node_pool")
            .map(|p| vec![pool(p, region(v))])
            .unwrap_or_default(),
        // A node pool does not record its region: it is its cluster's.
        "azurerm_kubernetes_cluster_node_pool" => {
            vec![pool(v, String::new()).region_of(attr_str(v, "kubernetes_cluster_id"))]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::provider_kit::obj;

    #[test]
    fn compute_clusters_price_their_minimum_with_the_maximum_as_ceiling() {
        let c = obj(vec![
            ("location", Value::string("East US")),
            ("vm_size", Value::string("Standard_NC24ads_A100_v4")),
            ("vm_priority", Value::string("Dedicated")),
            (
                "scale_settings",
                Value::list(vec![obj(vec![
                    ("min_node_count", Value::Number(0.0)),
                    ("max_node_count", Value::Number(4.0)),
                ])]),
            ),
        ]);
        let u = usage("azurerm_machine_learning_compute_cluster", &c);
        assert_eq!(
            (
                u[0].region.as_str(),
                u[0].quantity,
                u[0].max_quantity,
                u[0].spot
            ),
            ("eastus", Some(0.0), Some(4.0), false)
        );
        let d = obj(vec![
            ("location", Value::string("eastus")),
            ("instance_type", Value::string("Standard_NC24ads_A100_v4")),
            ("instance_count", Value::Number(3.0)),
        ]);
        let u = usage("azurerm_machine_learning_online_deployment", &d);
        assert_eq!(u[0].quantity, Some(3.0));
    }
}
