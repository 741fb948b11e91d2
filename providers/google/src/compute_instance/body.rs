//! What google_compute_instance sends: the insert body, image resolution, and the JSON of
//! the parts that change through their own calls (metadata, tags, scheduling, GPUs).

use super::accelerators;
use crate::compute::{network_ref, rel, short};
use crate::config::Ctx;
use crate::labels;
use crate::util::*;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use gantry_core::provider_kit::*;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub(super) fn accelerators_json(project: &str, zone: &str, v: &Value) -> Json {
    accelerators(v)
        .into_iter()
        .map(|(t, n)| {
            json!({"acceleratorType": format!("projects/{project}/zones/{zone}/acceleratorTypes/{t}"),
                   "acceleratorCount": n})
        })
        .collect()
}

pub(super) fn machine_type_ref(project: &str, zone: &str, mt: &str) -> String {
    if mt.contains('/') {
        rel(mt).to_string()
    } else {
        format!("projects/{project}/zones/{zone}/machineTypes/{mt}")
    }
}

/// An image reference as hashicorp/google accepts it — `projects/P/global/images/[family/]X`,
/// `P/X`, `X`, or a URL — resolved to an image path: an image of that name if there is one,
/// else the newest image of that family.
pub(super) async fn resolve_image(c: &Ctx, project: &str, image: &str) -> ProviderResult<String> {
    use crate::client::Api::Compute;
    if image.contains("/global/images/") {
        let path = rel(image).to_string();
        return match c.client.get_opt(Compute, "", &path).await? {
            Some(_) => Ok(path),
            None => Err(image_missing(image)),
        };
    }
    let (p, x) = match image.split_once('/') {
        Some((p, x)) => (p.to_string(), x.to_string()),
        None => (project.to_string(), image.to_string()),
    };
    let by_name = format!("projects/{p}/global/images/{x}");
    if c.client.get_opt(Compute, "", &by_name).await?.is_some() {
        return Ok(by_name);
    }
    let family = format!("projects/{p}/global/images/family/{x}");
    match c.client.get_opt(Compute, "", &family).await? {
        Some(_) => Ok(family),
        None => Err(image_missing(image)),
    }
}

pub(super) fn image_missing(image: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Validation,
        format!("boot_disk.initialize_params.image {image:?}: no image or image family of that name exists"),
    )
}

pub(super) fn tags(v: &Value) -> Vec<String> {
    v.get_attr("tags")
        .and_then(Value::as_seq)
        .map(|t| {
            t.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn metadata_json(v: &Value) -> Json {
    let mut items: Vec<Json> = string_map(v, "metadata")
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    if let Some(s) = attr_str(v, "metadata_startup_script") {
        items.push(json!({"key": "startup-script", "value": s}));
    }
    json!({ "items": items })
}

pub(super) fn scheduling_json(v: &Value) -> Json {
    let mut o = json!({});
    if let Some(s) = first(v, "scheduling") {
        for (k, j) in [
            ("on_host_maintenance", "onHostMaintenance"),
            ("provisioning_model", "provisioningModel"),
            ("instance_termination_action", "instanceTerminationAction"),
        ] {
            if let Some(x) = attr_str(s, k) {
                o[j] = json!(x);
            }
        }
        for (k, j) in [
            ("automatic_restart", "automaticRestart"),
            ("preemptible", "preemptible"),
        ] {
            if let Some(x) = attr_bool(s, k) {
                o[j] = json!(x);
            }
        }
    }
    o
}

pub(super) async fn insert_body(
    c: &Ctx,
    project: &str,
    zone: &str,
    v: &Value,
) -> ProviderResult<Json> {
    let mut body = json!({
        "name": need_str(v, "name")?,
        "machineType": machine_type_ref(project, zone, &need_str(v, "machine_type")?),
        "labels": labels::to_send(v),
        "metadata": metadata_json(v),
        "tags": {"items": tags(v)},
        "canIpForward": attr_bool(v, "can_ip_forward").unwrap_or(false),
        "deletionProtection": attr_bool(v, "deletion_protection").unwrap_or(false),
        "guestAccelerators": accelerators_json(project, zone, v),
        "scheduling": scheduling_json(v),
    });
    for (k, j) in [("description", "description"), ("hostname", "hostname")] {
        if let Some(x) = attr_str(v, k) {
            body[j] = json!(x);
        }
    }
    if let Some(b) = first(v, "boot_disk") {
        let mut disk = json!({
            "boot": true,
            "type": "PERSISTENT",
            "autoDelete": attr_bool(b, "auto_delete").unwrap_or(true),
            "mode": attr_str(b, "mode").unwrap_or_else(|| "READ_WRITE".into()),
        });
        if let Some(d) = attr_str(b, "device_name") {
            disk["deviceName"] = json!(d);
        }
        if let Some(s) = attr_str(b, "source") {
            disk["source"] = json!(rel(&s));
        }
        if let Some(i) = first(b, "initialize_params") {
            let mut p = json!({});
            if let Some(img) = attr_str(i, "image") {
                p["sourceImage"] = json!(resolve_image(c, project, &img).await?);
            }
            if let Some(n) = int(i, "size") {
                p["diskSizeGb"] = json!(n.to_string());
            }
            if let Some(t) = attr_str(i, "type") {
                p["diskType"] = json!(format!(
                    "projects/{project}/zones/{zone}/diskTypes/{}",
                    short(&t)
                ));
            }
            disk["initializeParams"] = p;
        }
        body["disks"] = json!([disk]);
    }
    let mut nics = vec![];
    for n in v
        .get_attr("network_interface")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
    {
        let mut nic = json!({});
        if let Some(net) = attr_str(n, "network") {
            nic["network"] = json!(network_ref(project, &net));
        }
        if let Some(sub) = attr_str(n, "subnetwork") {
            nic["subnetwork"] = json!(if sub.contains('/') {
                rel(&sub).to_string()
            } else {
                let sp = attr_str(n, "subnetwork_project").unwrap_or_else(|| project.to_string());
                let region = zone.rsplit_once('-').map(|(r, _)| r).unwrap_or(zone);
                format!("projects/{sp}/regions/{region}/subnetworks/{sub}")
            });
        }
        for (k, j) in [("network_ip", "networkIP"), ("stack_type", "stackType")] {
            if let Some(x) = attr_str(n, k) {
                nic[j] = json!(x);
            }
        }
        let access: Vec<Json> = n
            .get_attr("access_config")
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .map(|a| {
                let mut o = json!({"type": "ONE_TO_ONE_NAT", "name": "External NAT"});
                if let Some(ip) = attr_str(a, "nat_ip") {
                    o["natIP"] = json!(ip);
                }
                if let Some(t) = attr_str(a, "network_tier") {
                    o["networkTier"] = json!(t);
                }
                o
            })
            .collect();
        if !access.is_empty() {
            nic["accessConfigs"] = json!(access);
        }
        nics.push(nic);
    }
    body["networkInterfaces"] = json!(nics);
    if let Some(sa) = first(v, "service_account") {
        body["serviceAccounts"] = json!([{
            "email": attr_str(sa, "email").unwrap_or_else(|| "default".into()),
            "scopes": sa.get_attr("scopes").and_then(Value::as_seq).map(|s| {
                s.iter().filter_map(|x| x.as_str().map(scope_url)).collect::<Vec<_>>()
            }).unwrap_or_default(),
        }]);
    }
    Ok(body)
}

/// hashicorp/google's scope aliases (`cloud-platform`) as the URLs Compute takes.
pub(super) fn scope_url(s: &str) -> String {
    if s.contains("://") {
        s.to_string()
    } else {
        format!("https://www.googleapis.com/auth/{s}")
    }
}
