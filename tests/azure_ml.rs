//! Azure Machine Learning against the local ARM server (tests/azure/arm.py, request bodies
//! checked against the azure-ai-ml 2025-12-01 models): resource group, storage account,
//! workspace, an A100 compute cluster, an online endpoint with blue and green deployments —
//! one apply from nothing to `{ blue = 100 }`, then scaled in place, traffic shifted
//! 100/0 → 50/50 → 0/100 with blue removed only once it takes none, drifted, imported,
//! destroyed.

mod common;

use common::azure::{Arm, SUBSCRIPTION};
use common::Dir;
use serde_json::json;

const API: &str = "2025-12-01";

fn stack(
    blue: Option<u32>,
    green: Option<u32>,
    blue_count: u32,
    max_nodes: u32,
    team: &str,
) -> String {
    let deployment = |name: &str, count: u32| {
        format!(
            r#"
resource "azurerm_machine_learning_online_deployment" "{name}" {{
  name                                = "{name}"
  location                            = azurerm_resource_group.ml.location
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.llm.id
  model                               = "azureml:llama-3-8b:1"
  instance_type                       = "Standard_NC24ads_A100_v4"
  instance_count                      = {count}
  environment_variables               = {{ MODEL_NAME = "llama" }}
  request_settings {{
    max_concurrent_requests_per_instance = 4
    request_timeout                      = "PT30S"
  }}
}}
"#
        )
    };
    let mut deployments = String::new();
    let mut traffic = vec![];
    if let Some(share) = blue {
        deployments.push_str(&deployment("blue", blue_count));
        traffic.push(format!(
            "(azurerm_machine_learning_online_deployment.blue.name) = {share}"
        ));
    }
    if let Some(share) = green {
        deployments.push_str(&deployment("green", 1));
        traffic.push(format!(
            "(azurerm_machine_learning_online_deployment.green.name) = {share}"
        ));
    }
    format!(
        r#"
provider "azurerm" {{
  features {{}}
}}

resource "azurerm_resource_group" "ml" {{
  name     = "rg-ml"
  location = "East US"
  tags     = {{ team = "{team}" }}
}}

resource "azurerm_storage_account" "ml" {{
  name                     = "gantrymlstore"
  resource_group_name      = azurerm_resource_group.ml.name
  location                 = azurerm_resource_group.ml.location
  account_tier             = "Standard"
  account_replication_type = "LRS"
}}

resource "azurerm_machine_learning_workspace" "ml" {{
  name                    = "ws-ml"
  location                = azurerm_resource_group.ml.location
  resource_group_name     = azurerm_resource_group.ml.name
  storage_account_id      = azurerm_storage_account.ml.id
  key_vault_id            = "${{azurerm_resource_group.ml.id}}/providers/Microsoft.KeyVault/vaults/kv-ml"
  application_insights_id = "${{azurerm_resource_group.ml.id}}/providers/Microsoft.Insights/components/ai-ml"
  identity {{
    type = "SystemAssigned"
  }}
}}

resource "azurerm_machine_learning_compute_cluster" "a100" {{
  name                          = "a100"
  location                      = azurerm_resource_group.ml.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  vm_priority                   = "Dedicated"
  vm_size                       = "Standard_NC24ads_A100_v4"
  scale_settings {{
    min_node_count                       = 0
    max_node_count                       = {max_nodes}
    scale_down_nodes_after_idle_duration = "PT300S"
  }}
}}

resource "azurerm_machine_learning_online_endpoint" "llm" {{
  name                          = "llm"
  location                      = azurerm_resource_group.ml.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  auth_mode                     = "Key"
  identity {{
    type = "SystemAssigned"
  }}
}}
{deployments}
resource "azurerm_machine_learning_online_endpoint_traffic" "llm" {{
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.llm.id
  traffic = {{ {traffic} }}
}}
"#,
        traffic = traffic.join(", ")
    )
}

fn ws() -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-ml")
}

fn endpoint(arm: &Arm) -> serde_json::Value {
    arm.get(&format!("{}/onlineEndpoints/llm", ws()), API)
}

#[test]
fn an_online_endpoint_goes_blue_to_green_without_dropping_traffic() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack(Some(100), None, 1, 4, "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let e = endpoint(&arm);
    assert_eq!(e["properties"]["traffic"], json!({"blue": 100}), "{e}");
    assert_eq!(e["properties"]["provisioningState"], "Succeeded");
    let blue = arm.get(
        &format!("{}/onlineEndpoints/llm/deployments/blue", ws()),
        API,
    );
    assert_eq!(blue["sku"]["capacity"], 1, "{blue}");
    assert_eq!(
        blue["properties"]["instanceType"],
        "Standard_NC24ads_A100_v4"
    );
    let cluster = arm.get(&format!("{}/computes/a100", ws()), API);
    assert_eq!(
        cluster["properties"]["properties"]["scaleSettings"]["maxNodeCount"], 4,
        "{cluster}"
    );

    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());

    // In place: blue to 3 instances, the cluster to 8 nodes (azurerm would recreate it).
    d.write("main.tf", &stack(Some(100), None, 3, 8, "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let blue = arm.get(
        &format!("{}/onlineEndpoints/llm/deployments/blue", ws()),
        API,
    );
    assert_eq!(blue["sku"]["capacity"], 3);
    let cluster2 = arm.get(&format!("{}/computes/a100", ws()), API);
    assert_eq!(
        cluster2["properties"]["properties"]["scaleSettings"]["maxNodeCount"],
        8
    );
    assert_eq!(
        cluster2["properties"]["createdOn"],
        cluster["properties"]["createdOn"]
    );

    // Green arrives and takes half, then everything.
    for (b, g) in [(50, 50), (0, 100)] {
        d.write("main.tf", &stack(Some(b), Some(g), 3, 8, "ml"));
        let r = d.gantry_with(&["apply", "-auto-approve"], &env);
        assert_eq!(r.code, 0, "{}", r.all());
        assert_eq!(
            endpoint(&arm)["properties"]["traffic"],
            json!({"blue": b, "green": g})
        );
    }
    // Blue goes: its traffic is already 0, and the traffic map is updated before it is deleted.
    d.write("main.tf", &stack(None, Some(100), 3, 8, "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        endpoint(&arm)["properties"]["traffic"],
        json!({"green": 100})
    );
    assert_eq!(
        arm.get(
            &format!("{}/onlineEndpoints/llm/deployments/blue", ws()),
            API
        )["error"]["code"],
        "ResourceNotFound"
    );

    // Drift: a tag changed out of band is shown and put back.
    arm.control(
        "mutate",
        json!({"id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ml"), "set": {"tags": {"team": "someone-else"}}}),
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("someone-else"), "{}", r.stdout);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    // Import into a fresh state: no change.
    let d2 = Dir::new();
    d2.write("main.tf", &stack(None, Some(100), 3, 8, "ml"));
    let rg = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ml");
    for (addr, id) in [
        ("azurerm_resource_group.ml", rg.clone()),
        (
            "azurerm_storage_account.ml",
            format!("{rg}/providers/Microsoft.Storage/storageAccounts/gantrymlstore"),
        ),
        ("azurerm_machine_learning_workspace.ml", ws()),
        (
            "azurerm_machine_learning_compute_cluster.a100",
            format!("{}/computes/a100", ws()),
        ),
        (
            "azurerm_machine_learning_online_endpoint.llm",
            format!("{}/onlineEndpoints/llm", ws()),
        ),
        (
            "azurerm_machine_learning_online_deployment.green",
            format!("{}/onlineEndpoints/llm/deployments/green", ws()),
        ),
        (
            "azurerm_machine_learning_online_endpoint_traffic.llm",
            format!("{}/onlineEndpoints/llm", ws()),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "imported stack plans no change:\n{}", r.all());

    // Destroy: traffic first, then the deployment, the endpoint, ... the group.
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        arm.get(&rg, "2022-09-01")["error"]["code"],
        "ResourceGroupNotFound"
    );
}

#[test]
fn a_deployment_that_takes_traffic_is_not_deleted() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack(Some(100), None, 1, 2, "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    // Removing blue without moving its traffic: the traffic resource still names it.
    let cfg = stack(Some(100), None, 1, 2, "ml");
    let start = cfg
        .find("resource \"azurerm_machine_learning_online_deployment\" \"blue\"")
        .unwrap();
    let end = start + cfg[start..].find("\n}\n").unwrap() + 3;
    let without_blue = format!("{}{}", &cfg[..start], &cfg[end..]).replace(
        "(azurerm_machine_learning_online_deployment.blue.name) = 100",
        "blue = 100",
    );
    d.write("main.tf", &without_blue);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all()
            .contains("deployment blue still takes 100% of the endpoint's traffic"),
        "{}",
        r.all()
    );
    let blue = arm.get(
        &format!("{}/onlineEndpoints/llm/deployments/blue", ws()),
        API,
    );
    assert_eq!(
        blue["properties"]["provisioningState"], "Succeeded",
        "blue is still there: {blue}"
    );
}

/// azure-ai-ml's bundled management client — a client gantry does not control — creates an
/// endpoint and a deployment on the same server and reads the ones gantry made; gantry then
/// imports what the SDK made and plans no change.
#[test]
fn the_azure_ml_sdk_and_gantry_read_each_others_endpoints() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack(Some(100), None, 1, 2, "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = std::process::Command::new("python3")
        .arg(format!(
            "{}/tests/azure/sdk_client.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([&arm.url(), SUBSCRIPTION, "rg-ml", "ws-ml", "llm"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        j["endpoint"]["properties"]["traffic"],
        json!({"sdk-blue": 100}),
        "{j}"
    );
    assert_eq!(j["deployment"]["sku"]["capacity"], 2);
    assert_eq!(j["other"]["properties"]["traffic"], json!({"blue": 100}));
    assert_eq!(j["other_deployments"][0]["name"], "blue");

    let d2 = Dir::new();
    d2.write(
        "main.tf",
        &format!(
            r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_machine_learning_online_endpoint" "sdk" {{
  name                          = "sdk-ep"
  location                      = "eastus"
  machine_learning_workspace_id = "{ws}"
  description                   = "made by azure-ai-ml"
  identity {{
    type = "SystemAssigned"
  }}
}}
resource "azurerm_machine_learning_online_deployment" "sdk" {{
  name                                = "sdk-blue"
  location                            = "eastus"
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.sdk.id
  model                               = "azureml:llama-3-8b:1"
  instance_type                       = "Standard_NC24ads_A100_v4"
  instance_count                      = 2
}}
"#,
            ws = ws()
        ),
    );
    for (addr, id) in [
        (
            "azurerm_machine_learning_online_endpoint.sdk",
            format!("{}/onlineEndpoints/sdk-ep", ws()),
        ),
        (
            "azurerm_machine_learning_online_deployment.sdk",
            format!("{}/onlineEndpoints/sdk-ep/deployments/sdk-blue", ws()),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "what the SDK made plans no change:\n{}", r.all());
}

/// `examples/azure-ml` as shipped: applied, scaled, shifted green, destroyed.
#[test]
fn the_azure_ml_example_applies_shifts_and_destroys() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/azure-ml/main.tf"
        ))
        .unwrap(),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    for (vars, green) in [
        (
            vec!["-var", "blue_instances=2", "-var", "cluster_max_nodes=8"],
            0,
        ),
        (
            vec!["-var", "blue_instances=2", "-var", "green_traffic=50"],
            50,
        ),
        (
            vec!["-var", "blue_instances=2", "-var", "green_traffic=100"],
            100,
        ),
    ] {
        let mut args = vec!["apply", "-auto-approve"];
        args.extend(vars.iter().copied());
        let r = d.gantry_with(&args, &env);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
        let e = arm.get(
            &format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-llama-serving/providers/Microsoft.MachineLearningServices/workspaces/mlw-llama-serving/onlineEndpoints/llama-3-8b"),
            API,
        );
        assert_eq!(e["properties"]["traffic"]["green"], green, "{e}");
    }
    let r = d.gantry_with(
        &[
            "plan",
            "-detailed-exitcode",
            "-var",
            "blue_instances=2",
            "-var",
            "green_traffic=100",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(
        &["destroy", "-auto-approve", "-var", "green_traffic=100"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
}
