//! `google_container_cluster`: a GKE cluster, usually with its default pool removed
//! (`remove_default_node_pool = true`, `initial_node_count = 1`) and its GPU and TPU pools
//! declared as `google_container_node_pool`s. Resource labels (setResourceLabels with the
//! fingerprint), the release channel, the master version and workload identity change in
//! place (one update per call, as GKE requires); the rest makes a new cluster.
//! `deletion_protection` defaults to true, as in hashicorp/google 5+.

use crate::client::{enc, Api};
use crate::compute::keep_prior_ref;
use crate::config::Ctx;
use crate::container::{mutate, Call};
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
use reqwest::Method;
use serde_json::{json, Value as Json};

pub struct Cluster;

/// The cluster's path and location (the resource's `location`, else the provider's zone,
/// else its region).
pub fn path(c: &Ctx, v: &Value) -> ProviderResult<String> {
    if let Some(id) = attr_str(v, "id").filter(|s| s.starts_with("projects/")) {
        return Ok(id);
    }
    Ok(format!(
        "projects/{}/locations/{}/clusters/{}",
        c.project(v)?,
        location(c, v)?,
        need_str(v, "name")?
    ))
}

pub fn location(c: &Ctx, v: &Value) -> ProviderResult<String> {
    attr_str(v, "location")
        .or_else(|| c.zone.clone())
        .or_else(|| c.region.clone())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "location is not set on the resource, nor zone or region on the provider",
            )
        })
}

fn one(b: BlockSchema, force_new: bool) -> gantry_core::provider::NestedBlock {
    block(Nesting::List, b, 1, force_new)
}

#[async_trait]
impl ResourceType for Cluster {
    fn name(&self) -> &'static str {
        "google_container_cluster"
    }

    fn schema(&self) -> ResourceSchema {
        let mut b = BlockSchema::default();
        let s = Type::String;
        b.attributes
            .insert("name".into(), req(s.clone()).force_new());
        for k in [
            "location",
            "project",
            "network",
            "subnetwork",
            "networking_mode",
        ] {
            b.attributes
                .insert(k.into(), optcomp(s.clone()).force_new());
        }
        b.attributes
            .insert("description".into(), opt(s.clone()).force_new());
        b.attributes.insert(
            "node_locations".into(),
            optcomp(Type::set(s.clone())).force_new(),
        );
        b.attributes
            .insert("initial_node_count".into(), opt(Type::Number).force_new());
        b.attributes
            .insert("remove_default_node_pool".into(), opt(Type::Bool));
        b.attributes.insert(
            "deletion_protection".into(),
            opt(Type::Bool).with_default(Value::Bool(true)),
        );
        b.attributes
            .insert("min_master_version".into(), opt(s.clone()));
        for k in [
            "id",
            "endpoint",
            "master_version",
            "self_link",
            "services_ipv4_cidr",
            "cluster_ipv4_cidr",
            "label_fingerprint",
            "operation",
        ] {
            b.attributes.insert(k.into(), comp(s.clone()));
        }
        labels::schema_for(&mut b, "resource_labels");
        let mut rc = BlockSchema::default();
        rc.attributes.insert("channel".into(), req(s.clone()));
        b.blocks.insert("release_channel".into(), one(rc, false));
        let mut ip = BlockSchema::default();
        for k in [
            "cluster_secondary_range_name",
            "services_secondary_range_name",
            "cluster_ipv4_cidr_block",
            "services_ipv4_cidr_block",
        ] {
            ip.attributes
                .insert(k.into(), optcomp(s.clone()).force_new());
        }
        b.blocks
            .insert("ip_allocation_policy".into(), one(ip, true));
        let mut wi = BlockSchema::default();
        wi.attributes.insert("workload_pool".into(), opt(s.clone()));
        b.blocks
            .insert("workload_identity_config".into(), one(wi, false));
        let mut nc = BlockSchema::default();
        for k in ["machine_type", "service_account", "disk_type", "image_type"] {
            nc.attributes
                .insert(k.into(), optcomp(s.clone()).force_new());
        }
        nc.attributes
            .insert("disk_size_gb".into(), optcomp(Type::Number).force_new());
        nc.attributes.insert(
            "oauth_scopes".into(),
            optcomp(Type::set(s.clone())).force_new(),
        );
        b.blocks.insert("node_config".into(), one(nc, true));
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 2,
            block: b,
            description: "A GKE cluster.".into(),
            legacy_type_system: true,
        }
    }

    async fn plan(&self, c: &Ctx, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut planned = req.proposed.clone();
        match req.prior {
            None => {
                if let (Ok(p), Ok(l)) = (c.project(&planned), location(c, &planned)) {
                    planned = fill(
                        &planned,
                        vec![
                            ("project", Value::string(&p)),
                            ("location", Value::string(&l)),
                        ],
                    );
                    if let Ok(id) = path(c, &planned) {
                        planned = fill(&planned, vec![("id", Value::string(id))]);
                    }
                }
                if int(&planned, "initial_node_count").unwrap_or(0) < 1
                    && planned
                        .get_attr("initial_node_count")
                        .is_some_and(Value::is_wholly_known)
                {
                    return Err(ProviderError::new(
                        ErrorKind::Validation,
                        "initial_node_count must be at least 1 (with remove_default_node_pool = \
                         true, the default pool is removed once the cluster exists)",
                    ));
                }
            }
            Some(prior) => {
                planned = keep_prior_ref(prior, planned, "network");
                planned = keep_prior_ref(prior, planned, "subnetwork");
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: vec![],
        })
    }

    async fn create(&self, c: &Ctx, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let cpath = path(c, planned)?;
        let parent = cpath
            .rsplit_once("/clusters/")
            .map(|(p, _)| p)
            .unwrap_or_default();
        let mut cluster = json!({
            "name": need_str(planned, "name")?,
            "initialNodeCount": int(planned, "initial_node_count").unwrap_or(1),
            "resourceLabels": json_map(Some(&labels::value_of(&string_map(planned, "effective_labels")))),
        });
        for (k, j) in [
            ("description", "description"),
            ("network", "network"),
            ("subnetwork", "subnetwork"),
            ("min_master_version", "initialClusterVersion"),
        ] {
            if let Some(x) = attr_str(planned, k) {
                cluster[j] = json!(x);
            }
        }
        if let Some(l) = planned.get_attr("node_locations").and_then(Value::as_seq) {
            if !l.is_empty() {
                cluster["locations"] = l.iter().filter_map(|x| x.as_str()).collect();
            }
        }
        if let Some(rc) = first(planned, "release_channel") {
            cluster["releaseChannel"] = json!({"channel": attr_str(rc, "channel")});
        }
        if let Some(ip) = first(planned, "ip_allocation_policy") {
            let mut o = json!({"useIpAliases": true});
            for (k, j) in [
                ("cluster_secondary_range_name", "clusterSecondaryRangeName"),
                (
                    "services_secondary_range_name",
                    "servicesSecondaryRangeName",
                ),
                ("cluster_ipv4_cidr_block", "clusterIpv4CidrBlock"),
                ("services_ipv4_cidr_block", "servicesIpv4CidrBlock"),
            ] {
                if let Some(x) = attr_str(ip, k) {
                    o[j] = json!(x);
                }
            }
            cluster["ipAllocationPolicy"] = o;
        }
        if let Some(wi) = first(planned, "workload_identity_config") {
            cluster["workloadIdentityConfig"] =
                json!({"workloadPool": attr_str(wi, "workload_pool")});
        }
        if let Some(nc) = first(planned, "node_config") {
            cluster["nodeConfig"] = crate::container_node_config::to_json(nc);
        }
        let limit = timeout(planned, "create");
        let body = json!({ "cluster": cluster });
        let clusters = format!("{parent}/clusters");
        let call = Call {
            method: Method::POST,
            path: &clusters,
            body: Some(body),
        };
        mutate(c, &cpath, call, limit, op.progress, "creating cluster").await?;
        if attr_bool(planned, "remove_default_node_pool") == Some(true) {
            let pool = format!("{cpath}/nodePools/default-pool");
            let call = Call {
                method: Method::DELETE,
                path: &pool,
                body: None,
            };
            mutate(
                c,
                &cpath,
                call,
                limit,
                op.progress,
                "removing the default node pool",
            )
            .await?;
        }
        self.read_back(c, planned, "after create").await
    }

    async fn read(&self, c: &Ctx, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(c.client
            .get_opt(Api::Container, "", &path(c, prior)?)
            .await?
            .map(|j| from_json(prior, &j)))
    }

    /// One `locations/-/clusters` list per project reads every cluster.
    async fn read_many(&self, c: &Ctx, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        let mut lists: std::collections::BTreeMap<String, ProviderResult<Json>> =
            Default::default();
        let mut out = vec![];
        for p in priors {
            let cpath = match path(c, p) {
                Ok(x) => x,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let project = cpath.split('/').nth(1).unwrap_or_default().to_string();
            if !lists.contains_key(&project) {
                let l = c
                    .client
                    .get(
                        Api::Container,
                        "",
                        &format!("projects/{}/locations/-/clusters", enc(&project)),
                    )
                    .await;
                lists.insert(project.clone(), l);
            }
            out.push(match &lists[&project] {
                Ok(l) => Ok(l["clusters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|j| {
                        j["location"].as_str() == cpath.split('/').nth(3)
                            && j["name"].as_str() == cpath.split('/').nth(5)
                    })
                    .map(|j| from_json(p, j))),
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
        let cpath = path(c, prior)?;
        let limit = timeout(planned, "update");
        if string_map(prior, "effective_labels") != string_map(planned, "effective_labels") {
            let live = c.client.get(Api::Container, "", &cpath).await?;
            let body = json!({
                "resourceLabels": json_map(Some(&labels::value_of(&string_map(planned, "effective_labels")))),
                "labelFingerprint": live["labelFingerprint"],
            });
            let url = format!("{cpath}:setResourceLabels");
            let call = Call {
                method: Method::POST,
                path: &url,
                body: Some(body),
            };
            mutate(
                c,
                &cpath,
                call,
                limit,
                op.progress,
                "setting cluster labels",
            )
            .await?;
        }
        let mut updates = vec![];
        if first(prior, "release_channel") != first(planned, "release_channel") {
            let ch = first(planned, "release_channel")
                .and_then(|r| attr_str(r, "channel"))
                .unwrap_or_else(|| "UNSPECIFIED".into());
            updates.push(json!({"desiredReleaseChannel": {"channel": ch}}));
        }
        if attr_str(prior, "min_master_version") != attr_str(planned, "min_master_version") {
            if let Some(v) = attr_str(planned, "min_master_version") {
                updates.push(json!({"desiredMasterVersion": v}));
            }
        }
        if first(prior, "workload_identity_config") != first(planned, "workload_identity_config") {
            let pool = first(planned, "workload_identity_config")
                .and_then(|w| attr_str(w, "workload_pool"));
            updates.push(json!({"desiredWorkloadIdentityConfig": {"workloadPool": pool.unwrap_or_default()}}));
        }
        // GKE takes one update per call.
        for u in updates {
            let body = json!({ "update": u });
            let call = Call {
                method: Method::PUT,
                path: &cpath,
                body: Some(body),
            };
            mutate(c, &cpath, call, limit, op.progress, "updating cluster").await?;
        }
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Ctx, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        if attr_bool(prior, "deletion_protection") != Some(false) {
            return Err(ProviderError::new(
                ErrorKind::Conflict,
                "cannot destroy a cluster with deletion_protection = true (the default); set it \
                 to false and apply first",
            ));
        }
        let cpath = path(c, prior)?;
        let call = Call {
            method: Method::DELETE,
            path: &cpath,
            body: None,
        };
        let r = mutate(
            c,
            &cpath,
            call,
            timeout(prior, "delete"),
            op.progress,
            "deleting cluster",
        )
        .await;
        match r {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// `projects/P/locations/L/clusters/C`, `P/L/C` or `L/C`.
    async fn import(&self, c: &Ctx, id: &str) -> ProviderResult<Option<Value>> {
        let parts: Vec<&str> = id.split('/').collect();
        let full = match parts.as_slice() {
            ["projects", p, "locations", l, "clusters", n] => {
                format!("projects/{p}/locations/{l}/clusters/{n}")
            }
            [p, l, n] => format!("projects/{p}/locations/{l}/clusters/{n}"),
            [l, n] => format!(
                "projects/{}/locations/{l}/clusters/{n}",
                c.project(&Value::Null)?
            ),
            _ => {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!(
                    "import id {id:?} must be projects/PROJECT/locations/LOCATION/clusters/NAME"
                ),
                ))
            }
        };
        let v = obj(vec![
            ("id", Value::string(full)),
            ("deletion_protection", Value::Bool(true)),
        ]);
        self.read(c, &v).await
    }
}

fn from_json(prior: &Value, j: &Json) -> Value {
    let location = j["location"].as_str().unwrap_or_default();
    let self_link = j["selfLink"].as_str().unwrap_or_default();
    let project = crate::compute::rel(self_link)
        .split('/')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let name = j["name"].as_str().unwrap_or_default();
    let mut pairs = vec![
        (
            "id",
            Value::string(format!(
                "projects/{project}/locations/{location}/clusters/{name}"
            )),
        ),
        ("name", Value::string(name)),
        ("project", Value::string(&project)),
        ("location", Value::string(location)),
        ("description", s(j, "description")),
        (
            "network",
            crate::compute::same_ref(
                attr_str(prior, "network"),
                j["network"].as_str().unwrap_or_default(),
            ),
        ),
        (
            "subnetwork",
            crate::compute::same_ref(
                attr_str(prior, "subnetwork"),
                j["subnetwork"].as_str().unwrap_or_default(),
            ),
        ),
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
        ("initial_node_count", n(j, "initialNodeCount")),
        ("endpoint", s(j, "endpoint")),
        ("master_version", s(j, "currentMasterVersion")),
        ("self_link", s(j, "selfLink")),
        ("services_ipv4_cidr", s(j, "servicesIpv4Cidr")),
        ("cluster_ipv4_cidr", s(j, "clusterIpv4Cidr")),
        ("label_fingerprint", s(j, "labelFingerprint")),
        // The last operation: upstream records it only while one is pending.
        ("operation", Value::Null),
        (
            "networking_mode",
            Value::string(
                if j["ipAllocationPolicy"]["useIpAliases"].as_bool() == Some(true) {
                    "VPC_NATIVE"
                } else {
                    "ROUTES"
                },
            ),
        ),
        (
            "release_channel",
            match j["releaseChannel"]["channel"].as_str() {
                Some(ch) => Value::list(vec![obj(vec![("channel", Value::string(ch))])]),
                None => Value::list(vec![]),
            },
        ),
    ];
    let wi = j["workloadIdentityConfig"]["workloadPool"].as_str();
    pairs.push((
        "workload_identity_config",
        match wi {
            Some(p) if !p.is_empty() => {
                Value::list(vec![obj(vec![("workload_pool", Value::string(p))])])
            }
            _ => Value::list(vec![]),
        },
    ));
    if let Some(ip) = j["ipAllocationPolicy"].as_object() {
        let g = |k: &str| {
            ip.get(k)
                .and_then(Json::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null)
        };
        pairs.push((
            "ip_allocation_policy",
            Value::list(vec![obj(vec![
                (
                    "cluster_secondary_range_name",
                    g("clusterSecondaryRangeName"),
                ),
                (
                    "services_secondary_range_name",
                    g("servicesSecondaryRangeName"),
                ),
                ("cluster_ipv4_cidr_block", g("clusterIpv4CidrBlock")),
                ("services_ipv4_cidr_block", g("servicesIpv4CidrBlock")),
            ])]),
        ));
    }
    // The default pool's settings: kept as configured (the pool may be gone by design).
    if prior.get_attr("node_config").is_none() {
        pairs.push(("node_config", Value::list(vec![])));
    }
    pairs.extend(labels::read_for(
        prior,
        &j["resourceLabels"],
        "resource_labels",
    ));
    fill(prior, pairs)
}
