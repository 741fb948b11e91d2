//! `google_compute_instance`: a Compute Engine VM — for gantry's users a GPU VM
//! (`guest_accelerator` nvidia-l4, nvidia-tesla-a100, nvidia-h100-80gb, …) booting a Deep
//! Learning VM image family (`deeplearning-platform-release/common-cu124-debian-11-py310`).
//!
//! Checked at plan, not by the API after the insert: a GPU or preemptible VM must set
//! `scheduling { on_host_maintenance = "TERMINATE" }` (GPUs cannot live-migrate), the boot
//! image (or family) must exist, and a machine type or accelerator change on a running VM
//! needs `allow_stopping_for_update = true`. Labels, metadata, tags, scheduling and deletion
//! protection change in place through their own calls (each with the fingerprint Compute
//! requires); machine type and accelerators by stop → set → start.

use crate::compute::{self, network_ref, rel, same_ref, short, Scope, Scoped};
use crate::config::Ctx;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, NestedBlock, Nesting, Op, PlanRequest, PlanResponse, ProviderError,
    ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct Instance;

const INSTANCE: Scoped = Scoped {
    scope: Scope::Zone,
    collection: "instances",
};

fn one(b: BlockSchema, force_new: bool) -> NestedBlock {
    block(Nesting::List, b, 1, force_new)
}

fn required(mut nb: NestedBlock) -> NestedBlock {
    nb.min_items = 1;
    nb
}

fn schema_block() -> BlockSchema {
    let mut b = BlockSchema::default();
    let s = Type::String;
    b.attributes
        .insert("name".into(), req(s.clone()).force_new());
    b.attributes.insert("machine_type".into(), req(s.clone()));
    for k in ["zone", "project", "hostname"] {
        b.attributes
            .insert(k.into(), optcomp(s.clone()).force_new());
    }
    b.attributes
        .insert("description".into(), opt(s.clone()).force_new());
    b.attributes
        .insert("metadata_startup_script".into(), opt(s.clone()).force_new());
    b.attributes
        .insert("metadata".into(), opt(Type::map(s.clone())));
    b.attributes
        .insert("tags".into(), opt(Type::set(s.clone())));
    b.attributes.insert(
        "allow_stopping_for_update".into(),
        opt(Type::Bool).describe("Lets gantry stop the VM to change its machine type or GPUs."),
    );
    b.attributes.insert(
        "deletion_protection".into(),
        opt(Type::Bool).with_default(Value::Bool(false)),
    );
    b.attributes.insert(
        "can_ip_forward".into(),
        opt(Type::Bool).with_default(Value::Bool(false)).force_new(),
    );
    for k in [
        "id",
        "instance_id",
        "self_link",
        "cpu_platform",
        "current_status",
        "label_fingerprint",
        "metadata_fingerprint",
        "tags_fingerprint",
    ] {
        b.attributes.insert(k.into(), comp(s.clone()));
    }
    labels::schema(&mut b);

    let mut init = BlockSchema::default();
    for k in ["image", "type"] {
        init.attributes
            .insert(k.into(), optcomp(s.clone()).force_new());
    }
    init.attributes
        .insert("size".into(), optcomp(Type::Number).force_new());
    let mut boot = BlockSchema::default();
    boot.attributes.insert(
        "auto_delete".into(),
        opt(Type::Bool).with_default(Value::Bool(true)).force_new(),
    );
    for k in ["device_name", "source"] {
        boot.attributes
            .insert(k.into(), optcomp(s.clone()).force_new());
    }
    boot.attributes.insert(
        "mode".into(),
        opt(s.clone())
            .with_default(Value::string("READ_WRITE"))
            .force_new(),
    );
    boot.blocks
        .insert("initialize_params".into(), one(init, true));
    b.blocks
        .insert("boot_disk".into(), required(one(boot, true)));

    let mut access = BlockSchema::default();
    for k in ["nat_ip", "network_tier"] {
        access.attributes.insert(k.into(), optcomp(s.clone()));
    }
    let mut nic = BlockSchema::default();
    for k in ["network", "subnetwork", "subnetwork_project", "network_ip"] {
        nic.attributes
            .insert(k.into(), optcomp(s.clone()).force_new());
    }
    nic.attributes.insert("name".into(), comp(s.clone()));
    nic.attributes
        .insert("stack_type".into(), optcomp(s.clone()));
    nic.blocks.insert(
        "access_config".into(),
        block(Nesting::List, access, 0, true),
    );
    b.blocks.insert(
        "network_interface".into(),
        required(block(Nesting::List, nic, 0, true)),
    );

    let mut accel = BlockSchema::default();
    accel.attributes.insert("type".into(), req(s.clone()));
    accel.attributes.insert("count".into(), req(Type::Number));
    b.blocks.insert(
        "guest_accelerator".into(),
        block(Nesting::List, accel, 0, false),
    );

    let mut sched = BlockSchema::default();
    sched
        .attributes
        .insert("on_host_maintenance".into(), optcomp(s.clone()));
    sched
        .attributes
        .insert("instance_termination_action".into(), opt(s.clone()));
    sched.attributes.insert(
        "automatic_restart".into(),
        opt(Type::Bool).with_default(Value::Bool(true)),
    );
    sched.attributes.insert(
        "preemptible".into(),
        opt(Type::Bool).with_default(Value::Bool(false)).force_new(),
    );
    sched
        .attributes
        .insert("provisioning_model".into(), optcomp(s.clone()).force_new());
    b.blocks.insert("scheduling".into(), one(sched, false));

    let mut sa = BlockSchema::default();
    sa.attributes.insert("email".into(), optcomp(s.clone()));
    sa.attributes
        .insert("scopes".into(), req(Type::set(s.clone())));
    b.blocks.insert("service_account".into(), one(sa, false));
    timeouts_schema(&mut b);
    b
}

#[async_trait]
impl ResourceType for Instance {
    fn name(&self) -> &'static str {
        "google_compute_instance"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 6,
            block: schema_block(),
            description: "A Compute Engine VM (GPU VMs on Deep Learning images).".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        check_scheduling(&planned)?;
        let mut notes = vec![];
        if let Some(prior) = req.prior {
            planned = keep_prior_spelling(prior, planned);
        }
        let gpus = accelerators(&planned);
        if !gpus.is_empty() {
            notes.push(
                gpus.iter()
                    .map(|(t, n)| format!("{n} × {t}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        match req.prior {
            None => {
                planned = INSTANCE.plan_identity(c, planned);
                if let Some(image) = first(&planned, "boot_disk")
                    .and_then(|b| first(b, "initialize_params"))
                    .and_then(|i| attr_str(i, "image"))
                {
                    let project = c.project(&planned)?;
                    let found = resolve_image(c, &project, &image).await?;
                    notes.push(format!("image {}", short(&found)));
                }
            }
            Some(prior) => {
                let resized = attr_str(prior, "machine_type") != attr_str(&planned, "machine_type")
                    || accelerators(prior) != gpus;
                let allowed = attr_bool(&planned, "allow_stopping_for_update") == Some(true);
                if resized
                    && !allowed
                    && attr_str(prior, "current_status").as_deref() != Some("TERMINATED")
                {
                    return Err(ProviderError::new(
                        ErrorKind::Validation,
                        "changing the machine_type or guest_accelerator of a running instance \
                         requires stopping it; set allow_stopping_for_update = true to let \
                         gantry stop and restart it",
                    ));
                }
                if resized {
                    notes.push("the VM is stopped and restarted to resize it".into());
                }
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes,
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let project = c.project(planned)?;
        let zone = c.zone(planned)?;
        let name = need_str(planned, "name")?;
        let body = insert_body(c, &project, &zone, planned).await?;
        compute::call_and_wait(
            c,
            Method::POST,
            &format!("projects/{project}/zones/{zone}/instances"),
            Some(body),
            timeout(planned, "create"),
            op.progress,
            &format!("creating instance {name} in {zone}"),
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let path = INSTANCE.name(c, prior)?;
        match c
            .client
            .get_opt(crate::client::Api::Compute, "", &path)
            .await?
        {
            None => Ok(None),
            Some(j) => {
                let disk = boot_disk_if_needed(c, prior, &j).await?;
                Ok(Some(from_json(prior, &j, disk.as_ref())))
            }
        }
    }

    /// One `aggregatedList` per project reads every instance in every zone.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut by_project: std::collections::BTreeMap<String, ProviderResult<_>> =
            Default::default();
        let mut out = Vec::with_capacity(priors.len());
        for p in priors {
            let path = match INSTANCE.name(c, p) {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let project = path.split('/').nth(1).unwrap_or_default().to_string();
            if !by_project.contains_key(&project) {
                let listed = compute::aggregated(c, &project, "instances").await;
                by_project.insert(project.clone(), listed);
            }
            out.push(match &by_project[&project] {
                Ok(all) => match all.get(&path) {
                    None => Ok(None),
                    Some(j) => match boot_disk_if_needed(c, p, j).await {
                        Ok(disk) => Ok(Some(from_json(p, j, disk.as_ref()))),
                        Err(e) => Err(e),
                    },
                },
                Err(e) => Err(e.clone()),
            });
        }
        out
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let path = INSTANCE.name(c, prior)?;
        let limit = timeout(planned, "update");
        let live = c.client.get(crate::client::Api::Compute, "", &path).await?;
        let act = |verb: &'static str, body: Json| {
            let p = format!("{path}/{verb}");
            async move {
                compute::call_and_wait(c, Method::POST, &p, Some(body), limit, op.progress, verb)
                    .await
            }
        };
        if string_map(prior, "effective_labels") != string_map(planned, "effective_labels") {
            act(
                "setLabels",
                json!({"labels": labels::to_send(planned),
                       "labelFingerprint": live["labelFingerprint"]}),
            )
            .await?;
        }
        if prior.get_attr("metadata") != planned.get_attr("metadata") {
            let mut m = metadata_json(planned);
            m["fingerprint"] = live["metadata"]["fingerprint"].clone();
            act("setMetadata", m).await?;
        }
        if prior.get_attr("tags") != planned.get_attr("tags") {
            act(
                "setTags",
                json!({"items": tags(planned), "fingerprint": live["tags"]["fingerprint"]}),
            )
            .await?;
        }
        if first(prior, "scheduling") != first(planned, "scheduling") {
            act("setScheduling", scheduling_json(planned)).await?;
        }
        if attr_bool(prior, "deletion_protection") != attr_bool(planned, "deletion_protection") {
            let on = attr_bool(planned, "deletion_protection").unwrap_or(false);
            compute::call_and_wait(
                c,
                Method::POST,
                &format!("{path}/setDeletionProtection?deletionProtection={on}"),
                None,
                limit,
                op.progress,
                "setDeletionProtection",
            )
            .await?;
        }
        let new_type = attr_str(prior, "machine_type") != attr_str(planned, "machine_type");
        let new_gpus = accelerators(prior) != accelerators(planned);
        if new_type || new_gpus {
            let zone = short(live["zone"].as_str().unwrap_or_default());
            let project = c.project(planned)?;
            let running = live["status"].as_str() != Some("TERMINATED");
            if running {
                act("stop", json!({})).await?;
            }
            if new_type {
                let mt = need_str(planned, "machine_type")?;
                act(
                    "setMachineType",
                    json!({"machineType": machine_type_ref(&project, &zone, &mt)}),
                )
                .await?;
            }
            if new_gpus {
                act(
                    "setMachineResources",
                    json!({"guestAccelerators": accelerators_json(&project, &zone, planned)}),
                )
                .await?;
            }
            if running {
                act("start", json!({})).await?;
            }
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        if attr_bool(prior, "deletion_protection") == Some(true) {
            return Err(ProviderError::new(
                ErrorKind::Conflict,
                "cannot destroy an instance with deletion_protection = true; set it to false \
                 and apply first",
            ));
        }
        let path = INSTANCE.name(c, prior)?;
        compute::delete_and_wait(
            c,
            &path,
            timeout(prior, "delete"),
            op.progress,
            &format!("deleting instance {}", short(&path)),
        )
        .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let path = INSTANCE.import_path(c, id)?;
        self.read(c, &obj(vec![("id", Value::string(path))])).await
    }
}

/// GPUs cannot live-migrate and preemptible VMs cannot restart: both must TERMINATE on host
/// maintenance. Checked here so the plan fails, not the insert.
fn check_scheduling(v: &Value) -> ProviderResult<()> {
    let sched = first(v, "scheduling");
    let ohm = sched.and_then(|s| attr_str(s, "on_host_maintenance"));
    let known = |k: &str| v.get_attr(k).is_none_or(Value::is_wholly_known);
    if !known("guest_accelerator") || !known("scheduling") {
        return Ok(());
    }
    let preemptible = sched.and_then(|s| attr_bool(s, "preemptible")) == Some(true)
        || sched
            .and_then(|s| attr_str(s, "provisioning_model"))
            .as_deref()
            == Some("SPOT");
    let built_in = attr_str(v, "machine_type").is_some_and(|m| {
        ["a2-", "a3-", "a4-", "g2-", "g4-"]
            .iter()
            .any(|f| short(&m).starts_with(f))
    });
    if (built_in || !accelerators(v).is_empty()) && ohm.as_deref() != Some("TERMINATE") {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            format!(
                "an instance with GPUs (guest_accelerator, or an a2/a3/a4/g2 machine type) must set scheduling {{ on_host_maintenance = \
                 \"TERMINATE\" }}: GPUs cannot live-migrate (on_host_maintenance is {})",
                ohm.map(|o| format!("{o:?}"))
                    .unwrap_or_else(|| "unset, which Compute takes as \"MIGRATE\"".into())
            ),
        ));
    }
    if preemptible && ohm.as_deref() == Some("MIGRATE") {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            "a preemptible or spot instance must set on_host_maintenance = \"TERMINATE\"",
        ));
    }
    Ok(())
}

fn accelerators(v: &Value) -> Vec<(String, i64)> {
    v.get_attr("guest_accelerator")
        .and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|a| Some((short(&attr_str(a, "type")?), int(a, "count")?)))
                .filter(|(_, n)| *n > 0)
                .collect()
        })
        .unwrap_or_default()
}

fn accelerators_json(project: &str, zone: &str, v: &Value) -> Json {
    accelerators(v)
        .into_iter()
        .map(|(t, n)| {
            json!({"acceleratorType": format!("projects/{project}/zones/{zone}/acceleratorTypes/{t}"),
                   "acceleratorCount": n})
        })
        .collect()
}

fn machine_type_ref(project: &str, zone: &str, mt: &str) -> String {
    if mt.contains('/') {
        rel(mt).to_string()
    } else {
        format!("projects/{project}/zones/{zone}/machineTypes/{mt}")
    }
}

/// An image reference as hashicorp/google accepts it — `projects/P/global/images/[family/]X`,
/// `P/X`, `X`, or a URL — resolved to an image path: an image of that name if there is one,
/// else the newest image of that family.
async fn resolve_image(c: &Ctx, project: &str, image: &str) -> ProviderResult<String> {
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

fn image_missing(image: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Validation,
        format!("boot_disk.initialize_params.image {image:?}: no image or image family of that name exists"),
    )
}

fn tags(v: &Value) -> Vec<String> {
    v.get_attr("tags")
        .and_then(Value::as_seq)
        .map(|t| {
            t.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn metadata_json(v: &Value) -> Json {
    let mut items: Vec<Json> = string_map(v, "metadata")
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    if let Some(s) = attr_str(v, "metadata_startup_script") {
        items.push(json!({"key": "startup-script", "value": s}));
    }
    json!({ "items": items })
}

fn scheduling_json(v: &Value) -> Json {
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

async fn insert_body(c: &Ctx, project: &str, zone: &str, v: &Value) -> ProviderResult<Json> {
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
fn scope_url(s: &str) -> String {
    if s.contains("://") {
        s.to_string()
    } else {
        format!("https://www.googleapis.com/auth/{s}")
    }
}

/// The boot disk object, read only when the state does not already know what it was made
/// from (after a create, after an import): its image, size and type live there, not on the
/// instance, and cannot change without a new disk.
async fn boot_disk_if_needed(c: &Ctx, prior: &Value, j: &Json) -> ProviderResult<Option<Json>> {
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
fn keep_prior_spelling(prior: &Value, planned: Value) -> Value {
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

fn from_json(prior: &Value, j: &Json, disk: Option<&Json>) -> Value {
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
