//! AKS against the local ARM server: a cluster with an A100 pool split by MIG and a T4 pool —
//! created, read back, scaled and retainted in place, replaced on a new VM size, imported,
//! destroyed; a MIG profile on a GPU without MIG is refused with AKS's message.

mod common;

use common::azure::{Arm, SUBSCRIPTION};
use common::Dir;
use serde_json::json;

const API: &str = "2024-09-01";

fn stack(a100_count: u32, taint: &str, t4_size: &str, version: &str) -> String {
    format!(
        r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_resource_group" "k" {{
  name     = "rg-aks"
  location = "eastus"
}}
resource "azurerm_kubernetes_cluster" "k" {{
  name                = "aks-ml"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.k.name
  dns_prefix          = "aksml"
  kubernetes_version  = "{version}"
  oidc_issuer_enabled = true
  default_node_pool {{
    name       = "system"
    vm_size    = "Standard_D4s_v3"
    node_count = 2
  }}
  identity {{
    type = "SystemAssigned"
  }}
  network_profile {{
    network_plugin = "azure"
  }}
}}
resource "azurerm_kubernetes_cluster_node_pool" "a100" {{
  name                  = "a100"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.k.id
  vm_size               = "Standard_NC24ads_A100_v4"
  node_count            = {a100_count}
  gpu_instance          = "MIG1g"
  node_taints           = ["nvidia.com/gpu=present:{taint}"]
  node_labels           = {{ accelerator = "a100" }}
}}
resource "azurerm_kubernetes_cluster_node_pool" "t4" {{
  name                  = "t4"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.k.id
  vm_size               = "{t4_size}"
  auto_scaling_enabled  = true
  min_count             = 0
  max_count             = 4
}}
"#
    )
}

fn cluster_id() -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-ml")
}

#[test]
fn an_aks_cluster_with_gpu_pools_lives_and_dies() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &stack(1, "NoSchedule", "Standard_NC4as_T4_v3", "1.30.6"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let c = arm.get(&cluster_id(), API);
    assert_eq!(c["properties"]["provisioningState"], "Succeeded", "{c}");
    assert!(c["properties"]["oidcIssuerProfile"]["issuerURL"].is_string());
    let a100 = arm.get(&format!("{}/agentPools/a100", cluster_id()), API);
    assert_eq!(a100["properties"]["gpuInstanceProfile"], "MIG1g", "{a100}");
    assert_eq!(
        a100["properties"]["nodeTaints"],
        json!(["nvidia.com/gpu=present:NoSchedule"])
    );
    let st = d.state_json();
    let k = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "azurerm_kubernetes_cluster")
        .unwrap();
    assert!(k["instances"][0]["attributes"]["kube_config_raw"]
        .as_str()
        .unwrap()
        .contains("aksml-"));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());
    assert!(
        !r.stdout.contains("kubelogin"),
        "the kubeconfig is sensitive"
    );

    // In place: the A100 pool to 3 nodes with a new taint effect; the cluster upgraded.
    d.write(
        "main.tf",
        &stack(3, "NoExecute", "Standard_NC4as_T4_v3", "1.31.2"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let a100 = arm.get(&format!("{}/agentPools/a100", cluster_id()), API);
    assert_eq!(a100["properties"]["count"], 3);
    assert_eq!(
        a100["properties"]["nodeTaints"],
        json!(["nvidia.com/gpu=present:NoExecute"])
    );
    assert_eq!(
        arm.get(&cluster_id(), API)["properties"]["currentKubernetesVersion"],
        "1.31.2"
    );

    // A new VM size is a new pool.
    d.write(
        "main.tf",
        &stack(3, "NoExecute", "Standard_NC8as_T4_v3", "1.31.2"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("azurerm_kubernetes_cluster_node_pool.t4 must be replaced"),
        "{}",
        r.stdout
    );

    // Drift: the A100 pool scaled out of band is shown and scaled back.
    arm.control(
        "mutate",
        json!({"id": format!("{}/agentPools/a100", cluster_id()), "set": {"properties": {"count": 5}}}),
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("5 -> 3"), "{}", r.stdout);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        arm.get(&format!("{}/agentPools/a100", cluster_id()), API)["properties"]["count"],
        3
    );

    // Import: no change.
    let d2 = Dir::new();
    d2.write(
        "main.tf",
        &stack(3, "NoExecute", "Standard_NC8as_T4_v3", "1.31.2"),
    );
    for (addr, id) in [
        (
            "azurerm_resource_group.k",
            format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-aks"),
        ),
        ("azurerm_kubernetes_cluster.k", cluster_id()),
        (
            "azurerm_kubernetes_cluster_node_pool.a100",
            format!("{}/agentPools/a100", cluster_id()),
        ),
        (
            "azurerm_kubernetes_cluster_node_pool.t4",
            format!("{}/agentPools/t4", cluster_id()),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "imported cluster plans no change:\n{}", r.all());

    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        arm.get(&cluster_id(), API)["error"]["code"],
        "ResourceGroupNotFound"
    );
}

#[test]
fn a_mig_profile_on_a_gpu_without_mig_is_refused() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &stack(1, "NoSchedule", "Standard_NC4as_T4_v3", "1.30.6").replace(
            "auto_scaling_enabled  = true",
            "gpu_instance          = \"MIG2g\"\n  auto_scaling_enabled  = true",
        ),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains(
            "GPU instance profile MIG2g is not supported for VM size Standard_NC4as_T4_v3"
        ),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains("azurerm_kubernetes_cluster_node_pool.t4"),
        "{}",
        r.all()
    );
}
