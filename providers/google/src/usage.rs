//! What Google Cloud objects run that has an hourly price, for the plan's cost lines: GCE
//! machine types and their guest accelerators, TPU VMs (per chip), Vertex AI deployed models
//! (prediction machine type and accelerators × replicas) and GKE node pools.

use crate::util::{first, last_segment};
use gantry_core::provider_kit::{attr_bool, attr_num, attr_str};
use gantry_core::usage::Usage;
use gantry_core::value::Value;

/// The GPU built into a machine type, if any.
pub fn built_in_gpu(machine: &str) -> Option<&'static str> {
    let m = last_segment(machine);
    if m.starts_with("g2-") {
        Some("nvidia-l4")
    } else if m.starts_with("a2-ultragpu") {
        Some("nvidia-a100-80gb")
    } else if m.starts_with("a2-") {
        Some("nvidia-tesla-a100")
    } else if m.starts_with("a3-") {
        Some("nvidia-h100-80gb")
    } else {
        None
    }
}

/// `us-central1-a` → `us-central1`; a region stays as it is.
pub fn region_of(location: &str) -> String {
    let parts: Vec<&str> = location.split('-').collect();
    if parts.len() == 3 && parts[2].len() == 1 {
        format!("{}-{}", parts[0], parts[1])
    } else {
        location.to_string()
    }
}

/// TPU generation and chips: `v5litepod-8` is 8 v5e chips; `v4-32` and `v5p-8` count
/// TensorCores, two per chip; `v6e-8` counts chips.
fn tpu_chips(accelerator: &str) -> Option<(&'static str, f64)> {
    let (gen, n) = accelerator.rsplit_once('-')?;
    let n: f64 = n.parse().ok()?;
    match gen {
        "v5litepod" | "v5e" => Some(("v5e", n)),
        "v6e" => Some(("v6e", n)),
        "v4" => Some(("v4", n / 2.0)),
        "v5p" => Some(("v5p", n / 2.0)),
        "v3" => Some(("v3", n / 2.0)),
        "v2" => Some(("v2", n / 2.0)),
        _ => None,
    }
}

/// `accelerator_config { type = "V5LITE_POD", topology = "2x4" }`.
fn tpu_config(t: &str, topology: &str) -> Option<(&'static str, f64)> {
    let gen = match t {
        "V5LITE_POD" => "v5e",
        "V6E" => "v6e",
        "V4" => "v4",
        "V5P" => "v5p",
        "V3" => "v3",
        "V2" => "v2",
        _ => return None,
    };
    let chips = topology
        .split('x')
        .map(|d| d.parse::<f64>().ok())
        .product::<Option<f64>>()?;
    Some((gen, chips))
}

pub fn usage(
    default_region: Option<&str>,
    default_zone: Option<&str>,
    type_name: &str,
    v: &Value,
) -> Vec<Usage> {
    let place = |k: &str, fallback: Option<&str>| {
        attr_str(v, k)
            .or_else(|| {
                (!v.get_attr(k).is_some_and(Value::is_unknown))
                    .then(|| fallback.map(String::from))
                    .flatten()
            })
            .map(|l| region_of(&l))
            .unwrap_or_default()
    };
    match type_name {
        "google_compute_instance" => {
            let region = place("zone", default_zone);
            let spot = first(v, "scheduling").is_some_and(|s| {
                attr_bool(s, "preemptible") == Some(true)
                    || attr_str(s, "provisioning_model").as_deref() == Some("SPOT")
            });
            let machine = attr_str(v, "machine_type").map(|m| last_segment(&m).to_string());
            let mut out = vec![Usage::new(
                "google",
                "compute",
                machine.unwrap_or_default(),
                region.clone(),
                Some(1.0),
            )
            .spot(spot)];
            // A2/A3/G2 prices include their GPUs, which GCE also reports as guest accelerators.
            let built_in = attr_str(v, "machine_type").and_then(|m| built_in_gpu(&m));
            for g in v
                .get_attr("guest_accelerator")
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                let sku = attr_str(g, "type").map(|t| last_segment(&t).to_string());
                if sku.is_some() && sku.as_deref() == built_in {
                    continue;
                }
                out.push(
                    Usage::new(
                        "google",
                        "compute-gpu",
                        sku.unwrap_or_default(),
                        region.clone(),
                        attr_num(g, "count"),
                    )
                    .spot(spot),
                );
            }
            out
        }
        "google_tpu_v2_vm" => {
            let region = place("zone", default_zone);
            let chips = match first(v, "accelerator_config") {
                Some(c) => tpu_config(
                    &attr_str(c, "type").unwrap_or_default(),
                    &attr_str(c, "topology").unwrap_or_default(),
                ),
                None => attr_str(v, "accelerator_type").and_then(|a| tpu_chips(&a)),
            };
            let spot = first(v, "scheduling_config").is_some_and(|s| {
                attr_bool(s, "spot") == Some(true) || attr_bool(s, "preemptible") == Some(true)
            });
            let known = !v
                .get_attr("accelerator_type")
                .is_some_and(Value::is_unknown);
            let (gen, n) = match chips {
                Some((g, n)) => (g.to_string(), Some(n)),
                // A type gantry cannot count chips of is priced as unknown, by its name.
                None if known => (
                    attr_str(v, "accelerator_type").unwrap_or_default(),
                    Some(1.0),
                ),
                None => (String::new(), None),
            };
            vec![Usage::new("google", "tpu", gen, region, n).spot(spot)]
        }
        "google_vertex_ai_endpoint_deployed_model" => {
            // projects/P/locations/REGION/endpoints/E
            let region = match v.get_attr("endpoint") {
                Some(e) if e.is_unknown() => default_region.map(String::from).unwrap_or_default(),
                _ => attr_str(v, "endpoint")
                    .and_then(|e| {
                        let parts: Vec<&str> = e.split('/').collect();
                        parts
                            .iter()
                            .position(|p| *p == "locations")
                            .and_then(|i| parts.get(i + 1).map(|s| s.to_string()))
                    })
                    .or_else(|| default_region.map(String::from))
                    .unwrap_or_default(),
            };
            let Some(d) = first(v, "dedicated_resources") else {
                return Vec::new();
            };
            let min = attr_num(d, "min_replica_count");
            let max = attr_num(d, "max_replica_count");
            let spec = first(d, "machine_spec");
            let mut out = vec![Usage::new(
                "google",
                "vertex",
                spec.and_then(|s| attr_str(s, "machine_type"))
                    .unwrap_or_default(),
                region.clone(),
                min,
            )
            .up_to(max)];
            // A2/A3/G2 machine prices include their GPUs (the accelerator is still named).
            let machine = spec.and_then(|s| attr_str(s, "machine_type"));
            let built_in = machine.as_deref().and_then(built_in_gpu).is_some();
            if let Some(acc) = spec
                .and_then(|s| attr_str(s, "accelerator_type"))
                .filter(|_| !built_in)
            {
                let n = spec
                    .and_then(|s| attr_num(s, "accelerator_count"))
                    .unwrap_or(1.0);
                out.push(
                    Usage::new("google", "vertex-gpu", acc, region, min.map(|m| m * n))
                        .up_to(max.map(|m| m * n)),
                );
            }
            out
        }
        "google_container_node_pool" => {
            let region = place("location", default_region);
            let nc = first(v, "node_config");
            let zones = v
                .get_attr("node_locations")
                .and_then(Value::as_seq)
                .map(|l| l.len().max(1) as f64)
                .unwrap_or(1.0);
            let auto = first(v, "autoscaling");
            let per_zone = attr_num(v, "node_count")
                .or_else(|| attr_num(v, "initial_node_count"))
                .or_else(|| auto.and_then(|a| attr_num(a, "min_node_count")));
            let max = auto.and_then(|a| attr_num(a, "max_node_count"));
            let nodes = per_zone.map(|n| n * zones);
            let spot = nc.is_some_and(|c| {
                attr_bool(c, "spot") == Some(true) || attr_bool(c, "preemptible") == Some(true)
            });
            let mut out = vec![Usage::new(
                "google",
                "compute",
                nc.and_then(|c| attr_str(c, "machine_type"))
                    .unwrap_or_default(),
                region.clone(),
                nodes,
            )
            .up_to(max.map(|m| m * zones))
            .spot(spot)];
            for g in nc
                .and_then(|c| c.get_attr("guest_accelerator"))
                .and_then(Value::as_seq)
                .unwrap_or_default()
            {
                let per = attr_num(g, "count").unwrap_or(1.0);
                out.push(
                    Usage::new(
                        "google",
                        "compute-gpu",
                        attr_str(g, "type").unwrap_or_default(),
                        region.clone(),
                        nodes.map(|n| n * per),
                    )
                    .up_to(max.map(|m| m * zones * per))
                    .spot(spot),
                );
            }
            out
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::provider_kit::obj;

    #[test]
    fn tpu_slices_count_chips_by_generation() {
        assert_eq!(tpu_chips("v5litepod-8"), Some(("v5e", 8.0)));
        assert_eq!(tpu_chips("v4-32"), Some(("v4", 16.0)));
        assert_eq!(tpu_config("V5LITE_POD", "2x4"), Some(("v5e", 8.0)));
        let vm = obj(vec![
            ("zone", Value::string("us-central1-a")),
            ("accelerator_type", Value::string("v5litepod-8")),
            (
                "scheduling_config",
                Value::list(vec![obj(vec![("spot", Value::Bool(true))])]),
            ),
        ]);
        let u = usage(None, None, "google_tpu_v2_vm", &vm);
        assert_eq!(
            (
                u[0].sku.as_str(),
                u[0].region.as_str(),
                u[0].quantity,
                u[0].spot
            ),
            ("v5e", "us-central1", Some(8.0), true)
        );
    }

    #[test]
    fn a_deployed_model_prices_machine_and_accelerators_per_replica() {
        let spec = obj(vec![
            ("machine_type", Value::string("n1-standard-8")),
            ("accelerator_type", Value::string("NVIDIA_TESLA_T4")),
            ("accelerator_count", Value::Number(2.0)),
        ]);
        let m = obj(vec![
            (
                "endpoint",
                Value::string("projects/p/locations/europe-west4/endpoints/1"),
            ),
            (
                "dedicated_resources",
                Value::list(vec![obj(vec![
                    ("machine_spec", Value::list(vec![spec])),
                    ("min_replica_count", Value::Number(2.0)),
                    ("max_replica_count", Value::Number(4.0)),
                ])]),
            ),
        ]);
        let u = usage(
            Some("us-central1"),
            None,
            "google_vertex_ai_endpoint_deployed_model",
            &m,
        );
        assert_eq!(u.len(), 2);
        assert_eq!(
            (u[0].region.as_str(), u[0].quantity, u[0].max_quantity),
            ("europe-west4", Some(2.0), Some(4.0))
        );
        assert_eq!(
            (u[1].sku.as_str(), u[1].quantity, u[1].max_quantity),
            ("NVIDIA_TESLA_T4", Some(4.0), Some(8.0))
        );
    }

    #[test]
    fn a_vm_in_the_provider_zone_prices_its_guest_accelerators() {
        let vm = obj(vec![
            ("machine_type", Value::string("n1-standard-8")),
            (
                "guest_accelerator",
                Value::list(vec![obj(vec![
                    ("type", Value::string("nvidia-tesla-t4")),
                    ("count", Value::Number(2.0)),
                ])]),
            ),
        ]);
        let u = usage(None, Some("us-central1-b"), "google_compute_instance", &vm);
        assert_eq!(u[0].region, "us-central1");
        assert_eq!((u[1].service, u[1].quantity), ("compute-gpu", Some(2.0)));
    }
}
