//! `google_container_node_pool`: a GKE node pool — GPU nodes (`guest_accelerator` with
//! `gpu_driver_installation_config`, MIG `gpu_partition_size`) or a TPU slice (`ct5lp-*` /
//! `ct5p-*` machine types with `placement_policy { tpu_topology }`). The node count (setSize),
//! autoscaling, management, node labels, taints and resource labels and the node version
//! change in place; machine shape and accelerators make a new pool. Calls are serialised per
//! cluster (container.rs): pools planned in parallel queue instead of failing.
//!
//! The node count is what the pool's instance groups hold (their targetSize), as upstream
//! reads it; refresh reads every pool of a cluster with one cluster GET and every group of a
//! project with one Compute aggregatedList.

use crate::client::Api;
use crate::compute::{self, rel};
use crate::config::Ctx;
use crate::container::{cluster_of, mutate, Call};
use crate::util::*;
use crate::ResourceType;
use crate::{container_cluster, container_node_config};
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, ProviderError, ProviderResult,
    ResourceSchema,
};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use reqwest::Method;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap};

pub struct NodePool;

fn one(b: BlockSchema, force_new: bool) -> gantry_core::provider::NestedBlock {
    block(Nesting::List, b, 1, force_new)
}

/// The pool's path; the cluster may be given by name or by id.
fn path(c: &Ctx, v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("projects/")) {
        return Ok(id);
    }
    let cluster = need_str(v, "cluster")?;
    let cpath = if cluster.starts_with("projects/") {
        cluster
    } else {
        format!(
            "projects/{}/locations/{}/clusters/{cluster}",
            c.project(v)?,
            container_cluster::location(c, v)?
        )
    };
    Ok(format!("{cpath}/nodePools/{}", need_str(v, "name")?))
}

/// A name for a pool the configuration leaves unnamed, from the create's idempotency token
/// (so an interrupted create is found again by the same name).
fn generated_name(token: &str) -> String {
    let tail: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(12)
        .collect();
    format!("gantry-{tail}")
}

fn with_name(v: &Value, token: &str) -> Value {
    if attr_str(v, "name").is_some() {
        v.clone()
    } else {
        fill(v, vec![("name", Value::string(generated_name(token)))])
    }
}

#[async_trait]
impl ResourceType for NodePool {
    fn name(&self) -> &'static str {
        "google_container_node_pool"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        let s = Type::String;
        b.attributes
            .insert("name".into(), optcomp(s.clone()).force_new());
        b.attributes
            .insert("cluster".into(), req(s.clone()).force_new());
        for k in ["location", "project"] {
            b.attributes
                .insert(k.into(), optcomp(s.clone()).force_new());
        }
        b.attributes
            .insert("node_count".into(), optcomp(Type::Number));
        b.attributes.insert(
            "initial_node_count".into(),
            optcomp(Type::Number).force_new(),
        );
        b.attributes.insert(
            "node_locations".into(),
            optcomp(Type::set(s.clone())).force_new(),
        );
        b.attributes.insert("version".into(), optcomp(s.clone()));
        for k in ["id", "operation"] {
            b.attributes.insert(k.into(), comp(s.clone()));
        }
        for k in ["instance_group_urls", "managed_instance_group_urls"] {
            b.attributes.insert(k.into(), comp(Type::list(s.clone())));
        }
        let mut auto = BlockSchema::default();
        for k in [
            "min_node_count",
            "max_node_count",
            "total_min_node_count",
            "total_max_node_count",
        ] {
            auto.attributes.insert(k.into(), opt(Type::Number));
        }
        auto.attributes
            .insert("location_policy".into(), optcomp(s.clone()));
        b.blocks.insert("autoscaling".into(), one(auto, false));
        let mut mgmt = BlockSchema::default();
        for k in ["auto_repair", "auto_upgrade"] {
            mgmt.attributes
                .insert(k.into(), opt(Type::Bool).with_default(Value::Bool(true)));
        }
        b.blocks.insert("management".into(), one(mgmt, false));
        b.blocks.insert(
            "node_config".into(),
            one(container_node_config::schema(), false),
        );
        let mut pp = BlockSchema::default();
        pp.attributes
            .insert("type".into(), req(s.clone()).force_new());
        for k in ["tpu_topology", "policy_name"] {
            pp.attributes.insert(k.into(), opt(s.clone()).force_new());
        }
        b.blocks.insert("placement_policy".into(), one(pp, true));
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 1,
            block: b,
            description: "A GKE node pool (GPU or TPU nodes).".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        let mut notes = vec![];
        if let Some(nc) = first(&planned, "node_config") {
            let mt = attr_str(nc, "machine_type").unwrap_or_default();
            for a in nc
                .get_attr("guest_accelerator")
                .and_then(Value::as_seq)
                .into_iter()
                .flatten()
            {
                notes.push(format!(
                    "{} × {} per node",
                    int(a, "count").unwrap_or(0),
                    attr_str(a, "type").unwrap_or_default()
                ));
            }
            let topology =
                first(&planned, "placement_policy").and_then(|p| attr_str(p, "tpu_topology"));
            if let Some(t) = &topology {
                if !mt.is_empty() && !mt.starts_with("ct") {
                    return Err(ProviderError::new(
                        ErrorKind::Validation,
                        format!(
                            "placement_policy.tpu_topology {t:?} needs a TPU machine type \
                             (ct5lp-hightpu-4t, ct5p-hightpu-4t, ...), not {mt:?}"
                        ),
                    ));
                }
                notes.push(format!("TPU slice {mt} {t}"));
            }
        }
        match req.prior {
            None => {
                if let (Ok(p), Some(cl)) = (c.project(&planned), attr_str(&planned, "cluster")) {
                    let loc = if cl.starts_with("projects/") {
                        cl.split('/').nth(3).map(String::from)
                    } else {
                        container_cluster::location(c, &planned).ok()
                    };
                    if let Some(l) = loc {
                        planned = fill(
                            &planned,
                            vec![
                                ("project", Value::string(&p)),
                                ("location", Value::string(l)),
                            ],
                        );
                    }
                    if attr_str(&planned, "name").is_some() {
                        if let Ok(id) = path(c, &planned) {
                            planned = fill(&planned, vec![("id", Value::string(id))]);
                        }
                    }
                }
            }
            Some(prior) => {
                // Optional+Computed upstream: settings GKE chose stay when not configured.
                let mut m = planned.as_map().cloned().unwrap_or_default();
                for k in ["node_config", "management"] {
                    if m.get(k)
                        .is_none_or(|v| v.is_null() || v.as_seq().is_some_and(|s| s.is_empty()))
                    {
                        if let Some(p) = prior.get_attr(k) {
                            m.insert(k.into(), p.clone());
                        }
                    }
                }
                // Scope aliases against the recorded URLs.
                if let (Some(pn), Some(nn)) = (
                    first(prior, "node_config"),
                    m.get("node_config")
                        .and_then(|v| v.as_seq())
                        .and_then(|s| s.first()),
                ) {
                    if container_node_config::scope_urls(pn.get_attr("oauth_scopes"))
                        == container_node_config::scope_urls(nn.get_attr("oauth_scopes"))
                        && pn.get_attr("oauth_scopes") != nn.get_attr("oauth_scopes")
                    {
                        let nn = fill(
                            nn,
                            vec![(
                                "oauth_scopes",
                                pn.get_attr("oauth_scopes").cloned().unwrap_or(Value::Null),
                            )],
                        );
                        m.insert("node_config".into(), Value::list(vec![nn]));
                    }
                }
                planned = Value::map(m);
                // A cluster named by id in one place and by name in the other is the same.
                planned = compute::keep_prior_ref(prior, planned, "cluster");
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
        let planned = &with_name(planned, op.token);
        let ppath = path(c, planned)?;
        let cpath = cluster_of(&ppath);
        let mut pool = json!({
            "name": need_str(planned, "name")?,
            "initialNodeCount": int(planned, "initial_node_count")
                .or_else(|| int(planned, "node_count"))
                .unwrap_or(1),
        });
        if let Some(nc) = first(planned, "node_config") {
            pool["config"] = container_node_config::to_json(nc);
        }
        if let Some(l) = planned.get_attr("node_locations").and_then(Value::as_seq) {
            if !l.is_empty() {
                pool["locations"] = l.iter().filter_map(|x| x.as_str()).collect();
            }
        }
        if let Some(v) = attr_str(planned, "version") {
            pool["version"] = json!(v);
        }
        if first(planned, "autoscaling").is_some() {
            pool["autoscaling"] = autoscaling_json(planned);
        }
        if let Some(m) = first(planned, "management") {
            pool["management"] = management_json(m);
        }
        if let Some(pp) = first(planned, "placement_policy") {
            let mut o = json!({"type": attr_str(pp, "type")});
            for (k, j) in [
                ("tpu_topology", "tpuTopology"),
                ("policy_name", "policyName"),
            ] {
                if let Some(x) = attr_str(pp, k) {
                    o[j] = json!(x);
                }
            }
            pool["placementPolicy"] = o;
        }
        let body = json!({ "nodePool": pool });
        let pools = format!("{cpath}/nodePools");
        let call = Call {
            method: Method::POST,
            path: &pools,
            body: Some(body),
        };
        let what = format!("creating node pool {}", need_str(planned, "name")?);
        mutate(
            c,
            &cpath,
            call,
            timeout(planned, "create"),
            op.progress,
            &what,
        )
        .await?;
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(j) = c
            .client
            .get_opt(Api::Container, "", &path(c, prior)?)
            .await?
        else {
            return Ok(None);
        };
        let mut sizes = HashMap::new();
        for u in j["instanceGroupUrls"].as_array().into_iter().flatten() {
            let p = rel(u.as_str().unwrap_or_default()).to_string();
            if let Some(m) = c.client.get_opt(Api::Compute, "", &p).await? {
                sizes.insert(p, m["targetSize"].as_i64().unwrap_or(0));
            }
        }
        Ok(Some(from_json(prior, &j, &sizes)))
    }

    /// One cluster GET per cluster (it carries its pools) and one aggregatedList of instance
    /// group managers per project.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut clusters: BTreeMap<String, ProviderResult<Option<Json>>> = BTreeMap::new();
        let mut groups: BTreeMap<String, ProviderResult<HashMap<String, i64>>> = BTreeMap::new();
        let mut out = vec![];
        for p in priors {
            let ppath = match path(c, p) {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let cpath = cluster_of(&ppath);
            let project = ppath.split('/').nth(1).unwrap_or_default().to_string();
            if !clusters.contains_key(&cpath) {
                let got = c.client.get_opt(Api::Container, "", &cpath).await;
                clusters.insert(cpath.clone(), got);
            }
            if !groups.contains_key(&project) {
                let got = compute::aggregated(c, &project, "instanceGroupManagers")
                    .await
                    .map(|all| {
                        all.into_iter()
                            .map(|(k, v)| (k, v["targetSize"].as_i64().unwrap_or(0)))
                            .collect()
                    });
                groups.insert(project.clone(), got);
            }
            let name = ppath.rsplit('/').next().unwrap_or_default();
            out.push(match (&clusters[&cpath], &groups[&project]) {
                (Err(e), _) | (_, Err(e)) => Err(e.clone()),
                (Ok(None), _) => Ok(None),
                (Ok(Some(cl)), Ok(sizes)) => Ok(cl["nodePools"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|np| np["name"].as_str() == Some(name))
                    .map(|np| from_json(p, np, sizes))),
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
        let ppath = path(c, prior)?;
        let cpath = cluster_of(&ppath);
        let limit = timeout(planned, "update");
        let call = |verb: &'static str, body: Json| {
            let (ppath, cpath) = (ppath.clone(), cpath.clone());
            async move {
                let (method, url) = if verb == "update" {
                    (Method::PUT, ppath)
                } else {
                    (Method::POST, format!("{ppath}:{verb}"))
                };
                let call = Call {
                    method,
                    path: &url,
                    body: Some(body),
                };
                mutate(c, &cpath, call, limit, op.progress, verb).await
            }
        };
        if first(prior, "autoscaling") != first(planned, "autoscaling") {
            call(
                "setAutoscaling",
                json!({"autoscaling": autoscaling_json(planned)}),
            )
            .await?;
        }
        if first(prior, "management") != first(planned, "management") {
            let m = first(planned, "management")
                .map(management_json)
                .unwrap_or(json!({}));
            call("setManagement", json!({"management": m})).await?;
        }
        let (pn, nn) = (first(prior, "node_config"), first(planned, "node_config"));
        let get = |v: Option<&Value>, k: &str| v.and_then(|x| x.get_attr(k)).cloned();
        let mut upd = json!({});
        if get(pn, "labels") != get(nn, "labels") {
            upd["labels"] = json!({"labels": json_map(nn.and_then(|n| n.get_attr("labels")))});
        }
        if get(pn, "resource_labels") != get(nn, "resource_labels") {
            upd["resourceLabels"] =
                json!({"labels": json_map(nn.and_then(|n| n.get_attr("resource_labels")))});
        }
        if get(pn, "taint") != get(nn, "taint") {
            upd["taints"] =
                json!({"taints": nn.map(container_node_config::taints_json).unwrap_or(json!([]))});
        }
        if attr_str(prior, "version") != attr_str(planned, "version") {
            if let Some(v) = attr_str(planned, "version") {
                upd["nodeVersion"] = json!(v);
            }
        }
        if upd.as_object().is_some_and(|o| !o.is_empty()) {
            call("update", upd).await?;
        }
        let (pc, nc) = (int(prior, "node_count"), int(planned, "node_count"));
        if nc.is_some() && pc != nc && first(planned, "autoscaling").is_none() {
            call("setSize", json!({"nodeCount": nc})).await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let ppath = path(c, prior)?;
        let call = Call {
            method: Method::DELETE,
            path: &ppath,
            body: None,
        };
        let r = mutate(
            c,
            &cluster_of(&ppath),
            call,
            timeout(prior, "delete"),
            op.progress,
            "deleting node pool",
        )
        .await;
        match r {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn find_by_token(
        &self,
        c: &Ctx,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.read(c, &with_name(planned, token)).await
    }

    /// `projects/P/locations/L/clusters/C/nodePools/N`, `P/L/C/N` or `L/C/N`.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let parts: Vec<&str> = id.split('/').collect();
        let full = match parts.as_slice() {
            ["projects", p, "locations", l, "clusters", cl, "nodePools", n] => {
                format!("projects/{p}/locations/{l}/clusters/{cl}/nodePools/{n}")
            }
            [p, l, cl, n] => format!("projects/{p}/locations/{l}/clusters/{cl}/nodePools/{n}"),
            [l, cl, n] => format!(
                "projects/{}/locations/{l}/clusters/{cl}/nodePools/{n}",
                c.project(&Value::Null)?
            ),
            _ => {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!("import id {id:?} must be PROJECT/LOCATION/CLUSTER/POOL"),
                ))
            }
        };
        self.read(c, &obj(vec![("id", Value::string(full))])).await
    }
}

fn autoscaling_json(v: &Value) -> Json {
    let Some(a) = first(v, "autoscaling") else {
        return json!({"enabled": false});
    };
    let mut o = json!({"enabled": true});
    for (k, j) in [
        ("min_node_count", "minNodeCount"),
        ("max_node_count", "maxNodeCount"),
        ("total_min_node_count", "totalMinNodeCount"),
        ("total_max_node_count", "totalMaxNodeCount"),
    ] {
        if let Some(n) = int(a, k) {
            o[j] = json!(n);
        }
    }
    if let Some(p) = attr_str(a, "location_policy") {
        o["locationPolicy"] = json!(p);
    }
    o
}

fn management_json(m: &Value) -> Json {
    json!({"autoRepair": attr_bool(m, "auto_repair").unwrap_or(true),
           "autoUpgrade": attr_bool(m, "auto_upgrade").unwrap_or(true)})
}

fn from_json(prior: &Value, j: &Json, sizes: &HashMap<String, i64>) -> Value {
    let self_link = rel(j["selfLink"].as_str().unwrap_or_default()).to_string();
    let urls: Vec<String> = j["instanceGroupUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(String::from)
        .collect();
    let counts: Vec<i64> = urls
        .iter()
        .filter_map(|u| sizes.get(rel(u)).copied())
        .collect();
    // node_count is per zone: GKE keeps every zone's group the same size.
    let node_count = counts.first().copied().map(|n| Value::Number(n as f64));
    let node_config = container_node_config::from_json(&j["config"], first(prior, "node_config"));
    let auto = &j["autoscaling"];
    let autoscaling = if auto["enabled"].as_bool() == Some(true) {
        Value::list(vec![obj(vec![
            ("min_node_count", n(auto, "minNodeCount")),
            ("max_node_count", n(auto, "maxNodeCount")),
            ("total_min_node_count", n(auto, "totalMinNodeCount")),
            ("total_max_node_count", n(auto, "totalMaxNodeCount")),
            ("location_policy", s(auto, "locationPolicy")),
        ])])
    } else {
        Value::list(vec![])
    };
    let m = &j["management"];
    let placement = match j["placementPolicy"].as_object() {
        Some(pp) if !pp.is_empty() => Value::list(vec![obj(vec![
            ("type", s(&j["placementPolicy"], "type")),
            ("tpu_topology", s(&j["placementPolicy"], "tpuTopology")),
            ("policy_name", s(&j["placementPolicy"], "policyName")),
        ])]),
        _ => Value::list(vec![]),
    };
    let parts: Vec<&str> = self_link.split('/').collect();
    let cluster = match attr_str(prior, "cluster") {
        Some(c) if compute::same_object(&c, &cluster_of(&self_link)) => Value::string(c),
        _ => Value::string(parts.get(5).copied().unwrap_or_default()),
    };
    let mut pairs = vec![
        ("id", Value::string(&self_link)),
        ("name", s(j, "name")),
        ("cluster", cluster),
        (
            "project",
            Value::string(parts.get(1).copied().unwrap_or_default()),
        ),
        (
            "location",
            Value::string(parts.get(3).copied().unwrap_or_default()),
        ),
        ("initial_node_count", n(j, "initialNodeCount")),
        // The last operation: upstream records it only while one is pending.
        ("operation", Value::Null),
        ("version", s(j, "version")),
        (
            "node_locations",
            Value::set(
                j["locations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .map(Value::string)
                    .collect(),
            ),
        ),
        (
            "instance_group_urls",
            Value::list(urls.iter().map(Value::string).collect()),
        ),
        (
            "managed_instance_group_urls",
            Value::list(urls.iter().map(Value::string).collect()),
        ),
        ("node_config", Value::list(vec![node_config])),
        ("autoscaling", autoscaling),
        (
            "management",
            Value::list(vec![obj(vec![
                (
                    "auto_repair",
                    Value::Bool(m["autoRepair"].as_bool().unwrap_or(false)),
                ),
                (
                    "auto_upgrade",
                    Value::Bool(m["autoUpgrade"].as_bool().unwrap_or(false)),
                ),
            ])]),
        ),
        ("placement_policy", placement),
    ];
    if let Some(nc) = node_count {
        pairs.push(("node_count", nc));
    }
    fill(prior, pairs)
}
