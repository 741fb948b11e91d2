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

mod body;
mod read;

use crate::compute::{self, short, Scope, Scoped};
use crate::config::Ctx;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use body::*;
use gantry_core::provider::{
    BlockSchema, ErrorKind, NestedBlock, Nesting, Op, PlanRequest, PlanResponse, ProviderError,
    ProviderResult, ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use read::*;
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
        match INSTANCE.get(c, prior).await? {
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
        let what = format!("deleting instance {}", short(&INSTANCE.name(c, prior)?));
        INSTANCE.delete(c, prior, op.progress, &what).await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &INSTANCE.import_prior(c, id)?).await
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

pub(super) fn accelerators(v: &Value) -> Vec<(String, i64)> {
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
