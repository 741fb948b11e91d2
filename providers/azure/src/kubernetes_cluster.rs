//! `azurerm_kubernetes_cluster`: an AKS cluster whose default (system) pool runs the cluster's
//! own pods; GPU pools come as `azurerm_kubernetes_cluster_node_pool`s. The Kubernetes
//! version, SKU tier, tags and the default pool's size change in place (a PUT of the whole
//! cluster, as ARM takes it); names, DNS prefix and network make a new cluster.

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, NestedBlock, Nesting, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct KubernetesCluster;

pub const API: &str = "2024-09-01";

fn required(mut b: NestedBlock) -> NestedBlock {
    b.min_items = 1;
    b
}

/// The pool attributes the default pool and separate pools share.
pub fn pool_attributes(b: &mut BlockSchema) {
    b.attributes
        .insert("vm_size".into(), req(Type::String).force_new());
    b.attributes
        .insert("node_count".into(), optcomp(Type::Number));
    b.attributes
        .insert("auto_scaling_enabled".into(), opt(Type::Bool));
    for k in ["min_count", "max_count"] {
        b.attributes.insert(k.into(), opt(Type::Number));
    }
    b.attributes
        .insert("node_labels".into(), optcomp(Type::map(Type::String)));
    b.attributes
        .insert("os_disk_size_gb".into(), optcomp(Type::Number).force_new());
    b.attributes
        .insert("vnet_subnet_id".into(), opt(Type::String).force_new());
    b.attributes
        .insert("zones".into(), opt(Type::set(Type::String)).force_new());
    b.attributes
        .insert("max_pods".into(), optcomp(Type::Number).force_new());
}

/// A pool's settings as ARM's agent pool properties.
pub fn pool_json(p: &Value) -> ProviderResult<Json> {
    let auto = attr_bool(p, "auto_scaling_enabled").unwrap_or(false);
    let mut o = json!({
        "vmSize": need_str(p, "vm_size")?,
        "type": "VirtualMachineScaleSets",
        "enableAutoScaling": auto,
    });
    match int(p, "node_count") {
        Some(n) => o["count"] = json!(n),
        None if !auto => o["count"] = json!(1),
        None => o["count"] = json!(int(p, "min_count").unwrap_or(1)),
    }
    if auto {
        for (k, j) in [("min_count", "minCount"), ("max_count", "maxCount")] {
            if let Some(n) = int(p, k) {
                o[j] = json!(n);
            }
        }
    }
    if p.get_attr("node_labels").is_some_and(|l| !l.is_null()) {
        o["nodeLabels"] = Json::Object(
            string_map(p, "node_labels")
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect(),
        );
    }
    for (k, j) in [("os_disk_size_gb", "osDiskSizeGB"), ("max_pods", "maxPods")] {
        if let Some(n) = int(p, k) {
            o[j] = json!(n);
        }
    }
    if let Some(s) = attr_str(p, "vnet_subnet_id") {
        o["vnetSubnetID"] = json!(s);
    }
    let zones: Vec<String> = p
        .get_attr("zones")
        .and_then(Value::as_seq)
        .map(|z| {
            z.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if !zones.is_empty() {
        o["availabilityZones"] = json!(zones);
    }
    Ok(o)
}

/// An agent pool's live properties as the shared attributes.
pub fn pool_state(j: &Json) -> Vec<(&'static str, Value)> {
    let auto = j["enableAutoScaling"].as_bool().unwrap_or(false);
    vec![
        ("vm_size", s(j, "vmSize")),
        ("node_count", n(j, "count")),
        ("auto_scaling_enabled", Value::Bool(auto)),
        (
            "min_count",
            if auto { n(j, "minCount") } else { Value::Null },
        ),
        (
            "max_count",
            if auto { n(j, "maxCount") } else { Value::Null },
        ),
        (
            "node_labels",
            Value::map(
                j["nodeLabels"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                (k.clone(), Value::string(v.as_str().unwrap_or_default()))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        ),
        ("os_disk_size_gb", n(j, "osDiskSizeGB")),
        ("vnet_subnet_id", s(j, "vnetSubnetID")),
        (
            "zones",
            match j["availabilityZones"].as_array() {
                Some(z) if !z.is_empty() => Value::set(
                    z.iter()
                        .filter_map(Json::as_str)
                        .map(Value::string)
                        .collect(),
                ),
                _ => Value::Null,
            },
        ),
        ("max_pods", n(j, "maxPods")),
    ]
}

impl ArmType for KubernetesCluster {
    const NAME: &'static str = "azurerm_kubernetes_cluster";
    const PARENT: Parent = Parent::Group("Microsoft.ContainerService/managedClusters");
    const API: &'static str = API;
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location", "resource_group_name", "dns_prefix"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes
            .insert("kubernetes_version".into(), optcomp(Type::String));
        b.attributes.insert(
            "sku_tier".into(),
            opt(Type::String).with_default(Value::string("Free")),
        );
        for k in ["oidc_issuer_enabled", "workload_identity_enabled"] {
            b.attributes
                .insert(k.into(), opt(Type::Bool).with_default(Value::Bool(false)));
        }
        b.attributes.insert(
            "private_cluster_enabled".into(),
            opt(Type::Bool).with_default(Value::Bool(false)).force_new(),
        );
        for k in [
            "id",
            "fqdn",
            "node_resource_group",
            "oidc_issuer_url",
            "current_kubernetes_version",
        ] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        b.attributes
            .insert("kube_config_raw".into(), comp(Type::String).sensitive());
        let mut pool = BlockSchema::default();
        pool.attributes
            .insert("name".into(), req(Type::String).force_new());
        pool.attributes
            .insert("only_critical_addons_enabled".into(), opt(Type::Bool));
        pool.attributes
            .insert("temporary_name_for_rotation".into(), opt(Type::String));
        pool_attributes(&mut pool);
        b.blocks.insert(
            "default_node_pool".into(),
            required(block(Nesting::List, pool, 1, false)),
        );
        let mut net = BlockSchema::default();
        net.attributes
            .insert("network_plugin".into(), req(Type::String).force_new());
        for k in [
            "network_policy",
            "service_cidr",
            "dns_service_ip",
            "load_balancer_sku",
            "network_plugin_mode",
            "pod_cidr",
        ] {
            net.attributes
                .insert(k.into(), optcomp(Type::String).force_new());
        }
        b.blocks
            .insert("network_profile".into(), block(Nesting::List, net, 1, true));
        tags_schema(&mut b);
        identity_schema(&mut b, false);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 2,
            block: b,
            description: "An AKS cluster.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let pool = first(v, "default_node_pool").ok_or_else(|| {
            gantry_core::provider::ProviderError::other("default_node_pool is required")
        })?;
        let mut profile = pool_json(pool)?;
        profile["name"] = json!(need_str(pool, "name")?);
        profile["mode"] = json!("System");
        if attr_bool(pool, "only_critical_addons_enabled") == Some(true) {
            profile["nodeTaints"] = json!(["CriticalAddonsOnly=true:NoSchedule"]);
        }
        let mut props = json!({
            "dnsPrefix": need_str(v, "dns_prefix")?,
            "agentPoolProfiles": [profile],
            "oidcIssuerProfile": {"enabled": attr_bool(v, "oidc_issuer_enabled").unwrap_or(false)},
            "securityProfile": {"workloadIdentity": {"enabled": attr_bool(v, "workload_identity_enabled").unwrap_or(false)}},
            "apiServerAccessProfile": {"enablePrivateCluster": attr_bool(v, "private_cluster_enabled").unwrap_or(false)},
        });
        if let Some(k) = attr_str(v, "kubernetes_version") {
            props["kubernetesVersion"] = json!(k);
        }
        if let Some(n) = first(v, "network_profile") {
            let mut o = json!({});
            for (k, j) in [
                ("network_plugin", "networkPlugin"),
                ("network_policy", "networkPolicy"),
                ("service_cidr", "serviceCidr"),
                ("dns_service_ip", "dnsServiceIP"),
                ("load_balancer_sku", "loadBalancerSku"),
                ("network_plugin_mode", "networkPluginMode"),
                ("pod_cidr", "podCidr"),
            ] {
                if let Some(x) = attr_str(n, k) {
                    o[j] = json!(x);
                }
            }
            props["networkProfile"] = o;
        }
        let mut b = json!({
            "location": need_str(v, "location")?,
            "tags": tags_json(v),
            "sku": {"name": "Base", "tier": attr_str(v, "sku_tier").unwrap_or_else(|| "Free".into())},
            "properties": props,
        });
        b["identity"] = identity_json(v).unwrap_or(json!({"type": "SystemAssigned"}));
        Ok(b)
    }

    /// The network profile is Optional+Computed upstream: left out, AKS's choice stays.
    fn settle(prior: &Value, planned: Value) -> Value {
        if first(&planned, "network_profile").is_none() && first(prior, "network_profile").is_some()
        {
            return fill(
                &planned,
                vec![(
                    "network_profile",
                    prior
                        .get_attr("network_profile")
                        .cloned()
                        .unwrap_or(Value::Null),
                )],
            );
        }
        planned
    }

    fn notes(v: &Value) -> ProviderResult<Vec<String>> {
        Ok(first(v, "default_node_pool")
            .map(|p| {
                vec![format!(
                    "system pool: {} × {}",
                    int(p, "node_count").unwrap_or(1),
                    attr_str(p, "vm_size").unwrap_or_default()
                )]
            })
            .unwrap_or_default())
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let pool = p["agentPoolProfiles"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["mode"] == "System").or(a.first()))
            .cloned()
            .unwrap_or(Json::Null);
        let prior_pool = first(prior, "default_node_pool");
        let mut pool_pairs = pool_state(&pool);
        pool_pairs.push(("name", s(&pool, "name")));
        pool_pairs.push((
            "only_critical_addons_enabled",
            Value::Bool(pool["nodeTaints"].as_array().is_some_and(|t| {
                t.iter().any(|x| {
                    x.as_str()
                        .is_some_and(|s| s.starts_with("CriticalAddonsOnly"))
                })
            })),
        ));
        pool_pairs.push((
            "temporary_name_for_rotation",
            prior_pool
                .and_then(|pp| pp.get_attr("temporary_name_for_rotation").cloned())
                .unwrap_or(Value::Null),
        ));
        let np = &p["networkProfile"];
        let mut pairs = placed(j);
        pairs.extend([
            ("dns_prefix", s(p, "dnsPrefix")),
            ("kubernetes_version", s(p, "kubernetesVersion")),
            (
                "current_kubernetes_version",
                s(p, "currentKubernetesVersion"),
            ),
            ("sku_tier", s(&j["sku"], "tier")),
            ("fqdn", s(p, "fqdn")),
            ("node_resource_group", s(p, "nodeResourceGroup")),
            (
                "oidc_issuer_enabled",
                b(&p["oidcIssuerProfile"], "enabled", false),
            ),
            ("oidc_issuer_url", s(&p["oidcIssuerProfile"], "issuerURL")),
            (
                "workload_identity_enabled",
                b(&p["securityProfile"]["workloadIdentity"], "enabled", false),
            ),
            (
                "private_cluster_enabled",
                b(&p["apiServerAccessProfile"], "enablePrivateCluster", false),
            ),
            ("default_node_pool", Value::list(vec![obj(pool_pairs)])),
            (
                "network_profile",
                Value::list(vec![obj(vec![
                    ("network_plugin", s(np, "networkPlugin")),
                    ("network_policy", s(np, "networkPolicy")),
                    ("service_cidr", s(np, "serviceCidr")),
                    ("dns_service_ip", s(np, "dnsServiceIP")),
                    ("load_balancer_sku", s(np, "loadBalancerSku")),
                    ("network_plugin_mode", s(np, "networkPluginMode")),
                    ("pod_cidr", s(np, "podCidr")),
                ])]),
            ),
            ("kube_config_raw", Value::string(kube_config(j))),
            ("identity", identity_value(j)),
        ]);
        fill(prior, pairs)
    }
}

/// A kubeconfig for the cluster's API server (what listClusterUserCredential returns),
/// built from its FQDN so reading state needs no extra call.
fn kube_config(j: &Json) -> String {
    let name = j["name"].as_str().unwrap_or_default();
    let fqdn = j["properties"]["fqdn"].as_str().unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://{fqdn}:443\n  name: {name}\ncontexts:\n- context:\n    cluster: {name}\n    user: clusterUser_{name}\n  name: {name}\ncurrent-context: {name}\nusers:\n- name: clusterUser_{name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]\n"
    )
}
