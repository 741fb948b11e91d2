//! How google_compute_instance reads back: the instance JSON (and, when the state does not
//! know it yet, the boot disk) as hashicorp/google's state, and the diff suppression that
//! keeps another spelling of the same image, network or scope from planning a change.

use super::body::scope_url;
use crate::compute::{self, rel, same_ref, short};
use crate::config::Ctx;
use crate::labels;
use crate::util::*;
use gantry_core::provider::ProviderResult;
use gantry_core::provider_kit::*;
use gantry_core::value::Value;
use serde_json::Value as Json;

/// The boot disk object, read only when the state does not already know what it was made
/// from (after a create, after an import): its image, size and type live there, not on the
/// instance, and cannot change without a new disk.
pub(super) async fn boot_disk_if_needed(
    c: &Ctx,
    prior: &Value,
    j: &Json,
) -> ProviderResult<Option<Json>> {
    let known = first(prior, "boot_disk")
        .and_then(|b| first(b, "initialize_params"))
        .is_some_and(|i| i.is_wholly_known() && attr_str(i, "image").is_some());
    if known {
        return Ok(None);
    }
    let Some(source) = j["disks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["boot"].as_bool() == Some(true))
        .and_then(|d| d["source"].as_str())
    else {
        return Ok(None);
    };
    c.client
        .get_opt(crate::client::Api::Compute, "", rel(source))
        .await
}

/// hashicorp/google's diff suppression for references: a configuration naming the same
/// image (by family), network or subnetwork as the state in another spelling plans no change.
pub(super) fn keep_prior_spelling(prior: &Value, planned: Value) -> Value {
    let mut m = planned.as_map().cloned().unwrap_or_default();
    if let (Some(pb), Some(Value::List(boots))) = (first(prior, "boot_disk"), m.get("boot_disk")) {
        let prior_image = first(pb, "initialize_params").and_then(|i| attr_str(i, "image"));
        if let (Some(pi), Some(boot)) = (prior_image, boots.first()) {
            if let Some(Value::List(inits)) = boot.get_attr("initialize_params") {
                if let Some(init) = inits.first() {
                    if attr_str(init, "image").is_some_and(|ni| ni != pi && same_image(&ni, &pi)) {
                        let init = fill(init, vec![("image", Value::string(&pi))]);
                        let boot = fill(boot, vec![("initialize_params", Value::list(vec![init]))]);
                        m.insert("boot_disk".into(), Value::list(vec![boot]));
                    }
                }
            }
        }
    }
    let prior_nics: Vec<Value> = prior
        .get_attr("network_interface")
        .and_then(Value::as_seq)
        .map(|s| s.to_vec())
        .unwrap_or_default();
    if let Some(Value::List(nics)) = m.get("network_interface") {
        let nics = nics
            .iter()
            .zip(prior_nics.iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(n, p)| match p {
                Some(p) => ["network", "subnetwork"]
                    .iter()
                    .fold(n.clone(), |n, k| compute::keep_prior_ref(p, n, k)),
                None => n.clone(),
            })
            .collect();
        m.insert("network_interface".into(), Value::list(nics));
    }
    // Optional+Computed blocks upstream: left out of the configuration, what the API chose
    // (default scheduling, the GPUs an a3/g2 machine type comes with) is not a change.
    for k in ["scheduling", "guest_accelerator"] {
        let empty = m
            .get(k)
            .is_none_or(|v| v.is_null() || v.as_seq().is_some_and(|s| s.is_empty()));
        if empty {
            if let Some(p) = prior.get_attr(k) {
                m.insert(k.into(), p.clone());
            }
        }
    }
    // Scope aliases (`cloud-platform`) against the recorded URLs.
    let scopes = |v: &Value| -> Option<Vec<String>> {
        let mut x: Vec<String> = first(v, "service_account")?
            .get_attr("scopes")?
            .as_seq()?
            .iter()
            .filter_map(|s| s.as_str().map(scope_url))
            .collect();
        x.sort();
        Some(x)
    };
    let planned_now = Value::map(m.clone());
    if let (Some(a), Some(b)) = (scopes(prior), scopes(&planned_now)) {
        if a == b {
            if let (Some(psa), Some(nsa)) = (
                first(prior, "service_account"),
                first(&planned_now, "service_account"),
            ) {
                let sa = fill(
                    nsa,
                    vec![(
                        "scopes",
                        psa.get_attr("scopes").cloned().unwrap_or(Value::Null),
                    )],
                );
                m.insert("service_account".into(), Value::list(vec![sa]));
            }
        }
    }
    let planned = Value::map(m);
    compute::keep_prior_ref(prior, planned, "machine_type")
}

/// Whether configured image `a` (`P/F`, `projects/P/global/images/family/F`, an image)
/// names recorded image `b`: the same image, or an image of family `a` in the same project.
fn same_image(a: &str, b: &str) -> bool {
    let split = |x: &str| -> (Option<String>, String) {
        let r = rel(x);
        let parts: Vec<&str> = r.split('/').collect();
        match parts.as_slice() {
            ["projects", p, "global", "images", rest @ ..] => (
                Some(p.to_string()),
                rest.last().copied().unwrap_or_default().to_string(),
            ),
            [p, n] => (Some(p.to_string()), n.to_string()),
            _ => (None, short(r)),
        }
    };
    let ((pa, na), (pb, nb)) = (split(a), split(b));
    let same_project = pa.is_none() || pb.is_none() || pa == pb;
    same_project && (na == nb || nb.starts_with(&format!("{na}-")))
}

pub(super) fn from_json(prior: &Value, j: &Json, disk: Option<&Json>) -> Value {
    let path = rel(j["selfLink"].as_str().unwrap_or_default()).to_string();
    let startup_managed = attr_str(prior, "metadata_startup_script").is_some();
    let mut metadata = std::collections::BTreeMap::new();
    let mut startup = None;
    for item in j["metadata"]["items"].as_array().into_iter().flatten() {
        let (k, v) = (
            item["key"].as_str().unwrap_or_default(),
            item["value"].as_str().unwrap_or_default(),
        );
        if k == "startup-script" && startup_managed {
            startup = Some(v.to_string());
        } else {
            metadata.insert(k.to_string(), Value::string(v));
        }
    }
    let metadata = if metadata.is_empty() && prior.get_attr("metadata").is_none_or(Value::is_null) {
        Value::Null
    } else {
        Value::map(metadata)
    };
    let live_tags = str_list(&j["tags"]["items"]);
    let tags = match live_tags.as_seq() {
        Some(t) if t.is_empty() && prior.get_attr("tags").is_none_or(Value::is_null) => Value::Null,
        _ => Value::set(live_tags.as_seq().map(|s| s.to_vec()).unwrap_or_default()),
    };
    let prior_boot = first(prior, "boot_disk");
    let boot = j["disks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["boot"].as_bool() == Some(true))
        .map(|d| {
            let mut pairs = vec![
                (
                    "auto_delete",
                    Value::Bool(d["autoDelete"].as_bool().unwrap_or(true)),
                ),
                ("device_name", s(d, "deviceName")),
                (
                    "mode",
                    Value::string(d["mode"].as_str().unwrap_or("READ_WRITE")),
                ),
                ("source", s(d, "source")),
            ];
            // The image and type live on the disk, not the instance: what was asked is kept
            // (it cannot change without a new boot disk).
            let pi = prior_boot.and_then(|b| first(b, "initialize_params"));
            let known = |k: &str| {
                pi.and_then(|i| i.get_attr(k))
                    .filter(|v| v.is_wholly_known() && !v.is_null())
                    .cloned()
            };
            let init = Value::list(vec![obj(vec![
                (
                    "image",
                    known("image").unwrap_or_else(|| {
                        disk.map(|x| s(x, "sourceImage")).unwrap_or(Value::Null)
                    }),
                ),
                (
                    "type",
                    known("type").unwrap_or_else(|| {
                        disk.and_then(|x| x["type"].as_str())
                            .map(|t| Value::string(short(t)))
                            .unwrap_or(Value::Null)
                    }),
                ),
                (
                    "size",
                    known("size").unwrap_or_else(|| match disk {
                        Some(x) => n(x, "sizeGb"),
                        None => n(d, "diskSizeGb"),
                    }),
                ),
            ])]);
            pairs.push(("initialize_params", init));
            Value::list(vec![obj(pairs)])
        })
        .unwrap_or_else(|| Value::list(vec![]));
    let prior_nics: Vec<Value> = prior
        .get_attr("network_interface")
        .and_then(Value::as_seq)
        .map(|s| s.to_vec())
        .unwrap_or_default();
    let nics = Value::list(
        j["networkInterfaces"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, nic)| {
                let pn = prior_nics.get(i);
                let pa = |k: &str| pn.and_then(|p| attr_str(p, k));
                let access = Value::list(
                    nic["accessConfigs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| {
                            obj(vec![
                                ("nat_ip", s(a, "natIP")),
                                ("network_tier", s(a, "networkTier")),
                            ])
                        })
                        .collect(),
                );
                let sub = nic["subnetwork"].as_str().unwrap_or_default();
                obj(vec![
                    (
                        "network",
                        same_ref(pa("network"), nic["network"].as_str().unwrap_or_default()),
                    ),
                    ("subnetwork", same_ref(pa("subnetwork"), sub)),
                    (
                        "subnetwork_project",
                        if sub.is_empty() {
                            opt_str(pa("subnetwork_project").as_deref())
                        } else {
                            Value::string(rel(sub).split('/').nth(1).unwrap_or_default())
                        },
                    ),
                    ("network_ip", s(nic, "networkIP")),
                    ("name", s(nic, "name")),
                    ("stack_type", s(nic, "stackType")),
                    ("access_config", access),
                ])
            })
            .collect(),
    );
    let prior_accels: Vec<Value> = prior
        .get_attr("guest_accelerator")
        .and_then(Value::as_seq)
        .map(|s| s.to_vec())
        .unwrap_or_default();
    let accels = Value::list(
        j["guestAccelerators"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, a)| {
                let t = a["acceleratorType"].as_str().unwrap_or_default();
                let pt = prior_accels.get(i).and_then(|p| attr_str(p, "type"));
                let t = match same_ref(pt, t) {
                    Value::Null => Value::Null,
                    v if v.as_str() == Some(t) => Value::string(short(t)),
                    v => v,
                };
                obj(vec![("type", t), ("count", n(a, "acceleratorCount"))])
            })
            .collect(),
    );
    let sc = &j["scheduling"];
    let scheduling = Value::list(vec![obj(vec![
        ("on_host_maintenance", s(sc, "onHostMaintenance")),
        (
            "automatic_restart",
            Value::Bool(sc["automaticRestart"].as_bool().unwrap_or(true)),
        ),
        (
            "preemptible",
            Value::Bool(sc["preemptible"].as_bool().unwrap_or(false)),
        ),
        ("provisioning_model", s(sc, "provisioningModel")),
        (
            "instance_termination_action",
            s(sc, "instanceTerminationAction"),
        ),
    ])]);
    let prior_scopes =
        first(prior, "service_account").and_then(|sa| sa.get_attr("scopes").cloned());
    let service_account = Value::list(
        j["serviceAccounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|sa| {
                let live: Vec<String> = sa["scopes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .map(String::from)
                    .collect();
                // Aliases in the configuration stay aliases when they name the same scopes.
                let scopes = match &prior_scopes {
                    Some(p)
                        if {
                            let mut a: Vec<String> = p
                                .as_seq()
                                .into_iter()
                                .flatten()
                                .filter_map(|x| x.as_str().map(scope_url))
                                .collect();
                            let mut b = live.clone();
                            a.sort();
                            b.sort();
                            a == b
                        } =>
                    {
                        p.clone()
                    }
                    _ => Value::set(live.iter().map(Value::string).collect()),
                };
                obj(vec![("email", s(sa, "email")), ("scopes", scopes)])
            })
            .collect(),
    );
    let zone = short(j["zone"].as_str().unwrap_or_default());
    let mut pairs = vec![
        ("id", Value::string(&path)),
        ("name", s(j, "name")),
        (
            "project",
            Value::string(path.split('/').nth(1).unwrap_or_default()),
        ),
        ("zone", Value::string(&zone)),
        (
            "machine_type",
            Value::string(short(j["machineType"].as_str().unwrap_or_default())),
        ),
        ("description", s(j, "description")),
        ("hostname", s(j, "hostname")),
        ("instance_id", s(j, "id")),
        ("self_link", s(j, "selfLink")),
        ("cpu_platform", s(j, "cpuPlatform")),
        ("current_status", s(j, "status")),
        ("label_fingerprint", s(j, "labelFingerprint")),
        ("metadata_fingerprint", s(&j["metadata"], "fingerprint")),
        ("tags_fingerprint", s(&j["tags"], "fingerprint")),
        ("metadata", metadata),
        ("metadata_startup_script", opt_str(startup.as_deref())),
        ("tags", tags),
        (
            "can_ip_forward",
            Value::Bool(j["canIpForward"].as_bool().unwrap_or(false)),
        ),
        (
            "deletion_protection",
            Value::Bool(j["deletionProtection"].as_bool().unwrap_or(false)),
        ),
        ("boot_disk", boot),
        ("network_interface", nics),
        ("guest_accelerator", accels),
        ("scheduling", scheduling),
        ("service_account", service_account),
    ];
    pairs.extend(labels::read(prior, &j["labels"]));
    fill(prior, pairs)
}
