//! Capacity at plan time: whether the planned zone offers the planned accelerator — TPU
//! slice types (TPU API acceleratorTypes) and GPUs of VMs (Compute acceleratorTypes, the
//! guest accelerators and the GPUs built into A2/A3/G2 machine types). When it does not, the
//! warning lists the zones of the region that do: asking each zone `REGION-a` … `-f`.

use crate::client::Api;
use crate::config::Ctx;
use crate::usage::{built_in_gpu, region_of};
use crate::util::{first, last_segment};
use gantry_core::provider_kit::attr_str;
use gantry_core::value::Value;

/// The accelerator types one zone offers (cached per run); `None` when the zone does not
/// exist or could not be asked.
async fn offered(c: &Ctx, tpu: bool, project: &str, zone: &str) -> Option<Vec<String>> {
    let key = format!("{}:{zone}", if tpu { "tpu" } else { "gce" });
    if let Some(hit) = c.offered.lock().await.get(&key) {
        return hit.clone();
    }
    let (api, path, field) = if tpu {
        (
            Api::TpuV2,
            format!("projects/{project}/locations/{zone}/acceleratorTypes"),
            "acceleratorTypes",
        )
    } else {
        (
            Api::Compute,
            format!("projects/{project}/zones/{zone}/acceleratorTypes"),
            "items",
        )
    };
    let region = region_of(zone);
    let got = c.client.get(api, &region, &path).await.ok().map(|page| {
        page[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(|n| last_segment(n).to_string()))
            .collect::<Vec<_>>()
    });
    c.offered.lock().await.insert(key, got.clone());
    got
}

async fn check(c: &Ctx, tpu: bool, project: &str, zone: &str, t: &str) -> Option<String> {
    let here = offered(c, tpu, project, zone).await?;
    if here.iter().any(|x| x == t) {
        return None;
    }
    let region = region_of(zone);
    let mut elsewhere = Vec::new();
    for letter in ["a", "b", "c", "d", "e", "f"] {
        let z = format!("{region}-{letter}");
        if z != zone
            && offered(c, tpu, project, &z)
                .await
                .is_some_and(|o| o.iter().any(|x| x == t))
        {
            elsewhere.push(letter);
        }
    }
    Some(if elsewhere.is_empty() {
        format!("{t} is not offered in {zone} (nor in any other zone of {region})")
    } else {
        format!(
            "{t} is not offered in {zone} (offered in: {})",
            elsewhere.join(", ")
        )
    })
}

pub async fn capacity(c: &Ctx, type_name: &str, v: &Value) -> Vec<String> {
    let Ok(project) = c.project(v) else {
        return Vec::new();
    };
    // A zone computed at apply is not asked about (the provider's default is not it).
    if v.get_attr("zone").is_some_and(Value::is_unknown) {
        return Vec::new();
    }
    let Some(zone) = attr_str(v, "zone").or_else(|| c.zone.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match type_name {
        "google_tpu_v2_vm" => {
            if let Some(t) =
                attr_str(v, "accelerator_type").filter(|_| first(v, "accelerator_config").is_none())
            {
                out.extend(check(c, true, &project, &zone, &t).await);
            }
        }
        "google_compute_instance" => {
            let mut gpus: Vec<String> = v
                .get_attr("guest_accelerator")
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|g| attr_str(g, "type").map(|t| last_segment(&t).to_string()))
                .collect();
            if let Some(g) = attr_str(v, "machine_type").and_then(|m| built_in_gpu(&m)) {
                gpus.push(g.to_string());
            }
            for t in gpus {
                out.extend(check(c, false, &project, &zone, &t).await);
            }
        }
        _ => {}
    }
    out
}
