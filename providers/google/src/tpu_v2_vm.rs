//! `google_tpu_v2_vm`: a Cloud TPU VM (v4, v5e, v5p, v6e slices). Created by a long-running
//! operation that can end in a stockout — reported as such, with the zones that have
//! capacity when Google names them. description, labels, metadata and tags change in place
//! (PATCH with an update mask); everything else makes a new TPU.

use crate::client::{enc, Api};
use crate::config::Ctx;
use crate::located::Located;
use crate::operation::wait_lro;
use crate::util::*;
use crate::{labels, ResourceType};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct TpuVm;

const NODE: Located = Located {
    location_attr: "zone",
    collection: "nodes",
    id_attr: "name",
};

fn single(b: BlockSchema, force_new: bool) -> gantry_core::provider::NestedBlock {
    block(Nesting::List, b, 1, force_new)
}

#[async_trait]
impl ResourceType for TpuVm {
    fn name(&self) -> &'static str {
        "google_tpu_v2_vm"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        b.attributes
            .insert("name".into(), req(Type::String).force_new());
        b.attributes
            .insert("runtime_version".into(), req(Type::String).force_new());
        for k in ["zone", "project", "accelerator_type", "cidr_block"] {
            b.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        b.attributes.insert("description".into(), opt(Type::String));
        b.attributes
            .insert("metadata".into(), opt(Type::map(Type::String)));
        b.attributes
            .insert("tags".into(), opt(Type::list(Type::String)));
        for k in [
            "id",
            "state",
            "health",
            "health_description",
            "api_version",
            "queued_resource",
        ] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        b.attributes
            .insert("multislice_node".into(), comp(Type::Bool));
        b.attributes.insert(
            "network_endpoints".into(),
            comp(Type::list(Type::object(&[
                ("ip_address", Type::String),
                ("port", Type::Number),
            ]))),
        );
        labels::schema(&mut b);
        let mut acc = BlockSchema::default();
        for k in ["type", "topology"] {
            acc.attributes
                .insert(k.into(), req(Type::String).force_new());
        }
        b.blocks
            .insert("accelerator_config".into(), single(acc, true));
        let mut net = BlockSchema::default();
        for k in ["network", "subnetwork"] {
            net.attributes.insert(k.into(), optcomp(Type::String));
        }
        for k in ["enable_external_ips", "can_ip_forward"] {
            net.attributes.insert(k.into(), optcomp(Type::Bool));
        }
        b.blocks.insert("network_config".into(), single(net, true));
        let mut sched = BlockSchema::default();
        for k in ["preemptible", "reserved", "spot"] {
            sched
                .attributes
                .insert(k.into(), opt(Type::Bool).force_new());
        }
        b.blocks
            .insert("scheduling_config".into(), single(sched, true));
        let mut disk = BlockSchema::default();
        disk.attributes
            .insert("source_disk".into(), req(Type::String).force_new());
        disk.attributes
            .insert("mode".into(), optcomp(Type::String).force_new());
        b.blocks
            .insert("data_disks".into(), block(Nesting::List, disk, 0, true));
        let mut sa = BlockSchema::default();
        sa.attributes.insert("email".into(), optcomp(Type::String));
        sa.attributes
            .insert("scope".into(), optcomp(Type::list(Type::String)));
        b.blocks.insert("service_account".into(), single(sa, true));
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "A Cloud TPU VM.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        let has_type = attr_str(&planned, "accelerator_type").is_some();
        let has_config = first(&planned, "accelerator_config").is_some();
        if req.prior.is_none() && has_type && has_config {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "accelerator_type and accelerator_config are mutually exclusive",
            ));
        }
        let mut notes = vec![];
        if let Some(t) = attr_str(&planned, "accelerator_type") {
            notes.push(format!("TPU {t}"));
        } else if let Some(a) = first(&planned, "accelerator_config") {
            notes.push(format!(
                "TPU {} {}",
                attr_str(a, "type").unwrap_or_default(),
                attr_str(a, "topology").unwrap_or_default()
            ));
        }
        if req.prior.is_none() {
            if !has_type && !has_config {
                planned = fill(&planned, vec![("accelerator_type", Value::string("v2-8"))]);
            }
            planned = NODE.plan_identity(c, planned);
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes,
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let (name, zone) = NODE.name(c, planned)?;
        let (parent, id) = name.rsplit_once("/nodes/").unwrap_or_default();
        let mut body = json!({
            "runtimeVersion": need_str(planned, "runtime_version")?,
            "labels": labels::to_send(planned),
        });
        if let Some(t) = attr_str(planned, "accelerator_type") {
            body["acceleratorType"] = json!(t);
        }
        if let Some(a) = first(planned, "accelerator_config") {
            body["acceleratorConfig"] =
                json!({"type": attr_str(a, "type"), "topology": attr_str(a, "topology")});
        }
        for (k, j) in [("description", "description"), ("cidr_block", "cidrBlock")] {
            if let Some(x) = attr_str(planned, k) {
                body[j] = json!(x);
            }
        }
        if planned.get_attr("metadata").is_some_and(|m| !m.is_null()) {
            body["metadata"] = json_map(planned.get_attr("metadata"));
        }
        if let Some(tags) = planned.get_attr("tags").and_then(Value::as_seq) {
            body["tags"] = tags.iter().map(|t| json!(t.as_str())).collect();
        }
        if let Some(n) = first(planned, "network_config") {
            let mut nc = json!({});
            for (k, j) in [("network", "network"), ("subnetwork", "subnetwork")] {
                if let Some(x) = attr_str(n, k) {
                    nc[j] = json!(x);
                }
            }
            for (k, j) in [
                ("enable_external_ips", "enableExternalIps"),
                ("can_ip_forward", "canIpForward"),
            ] {
                if let Some(x) = attr_bool(n, k) {
                    nc[j] = json!(x);
                }
            }
            body["networkConfig"] = nc;
        }
        if let Some(sc) = first(planned, "scheduling_config") {
            let mut o = json!({});
            for k in ["preemptible", "reserved", "spot"] {
                if let Some(x) = attr_bool(sc, k) {
                    o[k] = json!(x);
                }
            }
            body["schedulingConfig"] = o;
        }
        if let Some(disks) = planned.get_attr("data_disks").and_then(Value::as_seq) {
            body["dataDisks"] = disks
                .iter()
                .map(|d| {
                    let mut o = json!({"sourceDisk": attr_str(d, "source_disk")});
                    if let Some(m) = attr_str(d, "mode") {
                        o["mode"] = json!(m);
                    }
                    o
                })
                .collect();
        }
        if let Some(sa) = first(planned, "service_account") {
            let mut o = json!({});
            if let Some(e) = attr_str(sa, "email") {
                o["email"] = json!(e);
            }
            if let Some(sc) = sa.get_attr("scope").and_then(Value::as_seq) {
                o["scope"] = sc.iter().map(|x| json!(x.as_str())).collect();
            }
            body["serviceAccount"] = o;
        }
        let lro = c
            .client
            .post(
                Api::TpuV2,
                &zone,
                &format!("{parent}/nodes?nodeId={}", enc(id)),
                body,
            )
            .await?;
        wait_lro(
            &c.client,
            Api::TpuV2,
            &zone,
            lro,
            timeout(planned, "create"),
            op.progress,
            &format!("creating TPU {id} in {zone}"),
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let (name, zone) = NODE.name(c, prior)?;
        let Some(j) = c.client.get_opt(Api::TpuV2, &zone, &name).await? else {
            return Ok(None);
        };
        Ok(Some(from_json(prior, &j, &zone)))
    }

    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        crate::listing::read_by_listing(c, Api::TpuV2, priors, "nodes", from_json).await
    }

    async fn update(
        &self,
        c: &Ctx,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let (name, zone) = NODE.name(c, prior)?;
        let mut mask = vec![];
        let mut body = json!({});
        if attr_str(prior, "description") != attr_str(planned, "description") {
            mask.push("description");
            body["description"] = json!(attr_str(planned, "description").unwrap_or_default());
        }
        if string_map(prior, "effective_labels") != string_map(planned, "effective_labels") {
            mask.push("labels");
            body["labels"] = labels::to_send(planned);
        }
        if prior.get_attr("metadata") != planned.get_attr("metadata") {
            mask.push("metadata");
            body["metadata"] = json_map(planned.get_attr("metadata"));
        }
        if prior.get_attr("tags") != planned.get_attr("tags") {
            mask.push("tags");
            body["tags"] = planned
                .get_attr("tags")
                .and_then(Value::as_seq)
                .map(|t| t.iter().map(|x| json!(x.as_str())).collect())
                .unwrap_or(json!([]));
        }
        if !mask.is_empty() {
            let lro = c
                .client
                .patch(
                    Api::TpuV2,
                    &zone,
                    &format!("{name}?updateMask={}", enc(&mask.join(","))),
                    body,
                )
                .await?;
            wait_lro(
                &c.client,
                Api::TpuV2,
                &zone,
                lro,
                timeout(planned, "update"),
                op.progress,
                "updating TPU",
            )
            .await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let (name, zone) = NODE.name(c, prior)?;
        crate::operation::delete_and_wait(
            &c.client,
            Api::TpuV2,
            &zone,
            &name,
            timeout(prior, "delete"),
            op.progress,
            "deleting TPU",
        )
        .await
    }

    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        NODE.import_parts(id)?;
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}

fn from_json(prior: &Value, j: &Json, zone: &str) -> Value {
    let name = j["name"].as_str().unwrap_or_default();
    let nc = &j["networkConfig"];
    let sc = &j["schedulingConfig"];
    let endpoints = Value::list(
        j["networkEndpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                obj(vec![
                    ("ip_address", s(e, "ipAddress")),
                    ("port", n(e, "port")),
                ])
            })
            .collect(),
    );
    let mut pairs = vec![
        ("id", Value::string(name)),
        ("name", Value::string(last_segment(name))),
        ("zone", Value::string(zone)),
        (
            "project",
            Value::string(name.split('/').nth(1).unwrap_or_default()),
        ),
        ("runtime_version", s(j, "runtimeVersion")),
        ("accelerator_type", s(j, "acceleratorType")),
        ("description", s(j, "description")),
        ("cidr_block", s(j, "cidrBlock")),
        ("state", s(j, "state")),
        ("health", s(j, "health")),
        ("health_description", s(j, "healthDescription")),
        ("api_version", s(j, "apiVersion")),
        ("queued_resource", s(j, "queuedResource")),
        (
            "multislice_node",
            Value::Bool(j["multisliceNode"].as_bool().unwrap_or(false)),
        ),
        ("network_endpoints", endpoints),
        (
            "metadata",
            match j.get("metadata") {
                Some(m) => str_map(m),
                None if prior.get_attr("metadata").is_none_or(Value::is_null) => Value::Null,
                None => Value::empty_map(),
            },
        ),
        (
            "tags",
            match j.get("tags") {
                Some(t) => str_list(t),
                None if prior.get_attr("tags").is_none_or(Value::is_null) => Value::Null,
                None => Value::list(vec![]),
            },
        ),
    ];
    // The API fills a default network; it is shown when the configuration has the block
    // (an unset Optional+Computed block is not a change to plan).
    if first(prior, "network_config").is_some() {
        pairs.push((
            "network_config",
            Value::list(vec![obj(vec![
                ("network", s(nc, "network")),
                ("subnetwork", s(nc, "subnetwork")),
                (
                    "enable_external_ips",
                    Value::Bool(nc["enableExternalIps"].as_bool().unwrap_or(false)),
                ),
                (
                    "can_ip_forward",
                    Value::Bool(nc["canIpForward"].as_bool().unwrap_or(false)),
                ),
            ])]),
        ));
    }
    if let Some(a) = j["acceleratorConfig"].as_object() {
        pairs.push((
            "accelerator_config",
            Value::list(vec![obj(vec![
                (
                    "type",
                    Value::string(a.get("type").and_then(Json::as_str).unwrap_or_default()),
                ),
                (
                    "topology",
                    Value::string(a.get("topology").and_then(Json::as_str).unwrap_or_default()),
                ),
            ])]),
        ));
    }
    if sc.as_object().is_some_and(|m| !m.is_empty()) || first(prior, "scheduling_config").is_some()
    {
        pairs.push((
            "scheduling_config",
            Value::list(vec![obj(vec![
                (
                    "preemptible",
                    Value::Bool(sc["preemptible"].as_bool().unwrap_or(false)),
                ),
                (
                    "reserved",
                    Value::Bool(sc["reserved"].as_bool().unwrap_or(false)),
                ),
                ("spot", Value::Bool(sc["spot"].as_bool().unwrap_or(false))),
            ])]),
        ));
    }
    pairs.extend(labels::read(prior, &j["labels"]));
    fill(prior, pairs)
}
