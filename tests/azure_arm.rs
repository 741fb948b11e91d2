//! ARM behaviour against the local ARM server: quota and SKU errors reported as such with
//! ARM's code and target; deployments refreshed with one list per endpoint; throttling
//! (429 + Retry-After) retried; a create killed mid-operation resolved by a GET.

mod common;

use common::azure::Arm;
use common::Dir;
use serde_json::json;

const BASE: &str = r#"
provider "azurerm" {
  features {}
}
resource "azurerm_resource_group" "ml" {
  name     = "rg-arm"
  location = "eastus"
}
resource "azurerm_storage_account" "ml" {
  name                     = "gantryarmstore"
  resource_group_name      = azurerm_resource_group.ml.name
  location                 = "eastus"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}
resource "azurerm_machine_learning_workspace" "ml" {
  name                    = "ws"
  location                = "eastus"
  resource_group_name     = azurerm_resource_group.ml.name
  storage_account_id      = azurerm_storage_account.ml.id
  key_vault_id            = "${azurerm_resource_group.ml.id}/providers/Microsoft.KeyVault/vaults/kv"
  application_insights_id = "${azurerm_resource_group.ml.id}/providers/Microsoft.Insights/components/ai"
  identity {
    type = "SystemAssigned"
  }
}
"#;

#[test]
fn quota_and_sku_errors_are_reported_as_capacity() {
    let arm = Arm::start();
    let env = arm.env();
    arm.control(
        "fault",
        json!({"match": "PUT microsoft.machinelearningservices/workspaces/computes", "times": 1,
               "op_error": {"code": "QuotaExceeded", "message": "Operation could not be completed as it results in exceeding approved Standard NCADSA100v4 Family Cores quota. Location: eastus, Current Limit: 0, Current Usage: 0, Additional Required: 24."}}),
    );
    arm.control(
        "fault",
        json!({"match": "PUT microsoft.machinelearningservices/workspaces/onlineendpoints/deployments", "times": 1,
               "http": {"status": 400, "code": "SkuNotAvailable",
                        "message": "The requested VM size Standard_ND96isr_H100_v5 is not available in eastus-2 (zonal restriction)."}}),
    );
    let d = Dir::new();
    d.write(
        "main.tf",
        &format!(
            r#"{BASE}
resource "azurerm_machine_learning_compute_cluster" "h100" {{
  name                          = "h100"
  location                      = "eastus"
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  vm_priority                   = "Dedicated"
  vm_size                       = "Standard_NC24ads_A100_v4"
  scale_settings {{
    min_node_count                       = 0
    max_node_count                       = 2
    scale_down_nodes_after_idle_duration = "PT300S"
  }}
}}
resource "azurerm_machine_learning_online_endpoint" "e" {{
  name                          = "e"
  location                      = "eastus"
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
}}
resource "azurerm_machine_learning_online_deployment" "d" {{
  name                                = "d"
  location                            = "eastus"
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.e.id
  model                               = "azureml:m:1"
  instance_type                       = "Standard_ND96isr_H100_v5"
}}
"#
        ),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    let out = r.all();
    assert!(
        out.contains("no capacity or quota (QuotaExceeded)"),
        "{out}"
    );
    assert!(out.contains("Additional Required: 24"), "{out}");
    assert!(
        out.contains("no capacity or quota (SkuNotAvailable)"),
        "{out}"
    );
    assert!(
        out.contains("azurerm_machine_learning_compute_cluster.h100"),
        "{out}"
    );
    assert!(
        out.contains("azurerm_machine_learning_online_deployment.d"),
        "{out}"
    );
    // Both can be tried again: nothing half-made is recorded.
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn deployments_are_refreshed_with_one_list_per_endpoint_and_throttling_is_retried() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &format!(
            r#"{BASE}
resource "azurerm_machine_learning_online_endpoint" "e" {{
  name                          = "e"
  location                      = "eastus"
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
}}
resource "azurerm_machine_learning_online_deployment" "d" {{
  count                               = 60
  name                                = "d${{count.index}}"
  location                            = "eastus"
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.e.id
  model                               = "azureml:m:1"
  instance_type                       = "Standard_NC4as_T4_v3"
}}
"#
        ),
    );
    arm.control(
        "fault",
        json!({"match": "PUT microsoft.machinelearningservices/workspaces/onlineendpoints/deployments", "times": 5,
               "http": {"status": 429, "code": "TooManyRequests", "message": "slow down", "retry_after": 1}}),
    );
    let r = d.gantry_with(&["apply", "-auto-approve", "-parallelism=20"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    arm.control("reset-stats", json!({}));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let stats = arm.control("stats", json!({}));
    let kind = "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments";
    assert_eq!(stats[format!("GET {kind} list")], 1, "{stats}");
    assert!(stats.get(format!("GET {kind}")).is_none(), "{stats}");
}

/// ARM PUTs are idempotent by id: creates SIGKILLed while their operations run are read back
/// on the next apply and adopted — none is sent twice.
#[test]
fn creates_killed_mid_operation_are_read_back_not_repeated() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &format!(
            r#"{BASE}
resource "azurerm_machine_learning_compute_cluster" "c" {{
  count                         = 8
  name                          = "c${{count.index}}"
  location                      = "eastus"
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  vm_priority                   = "Dedicated"
  vm_size                       = "Standard_NC24ads_A100_v4"
  scale_settings {{
    min_node_count                       = 0
    max_node_count                       = 1
    scale_down_nodes_after_idle_duration = "PT300S"
  }}
}}
"#
        ),
    );
    // The workspace and its group first; then every cluster's operation stands still.
    let r = d.gantry_with(
        &[
            "apply",
            "-auto-approve",
            "-target=azurerm_machine_learning_workspace.ml",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    arm.control("config", json!({"auto_advance": 0}));
    let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
    c.args(["apply", "-auto-approve", "-parallelism=10"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in &env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let kind = "PUT microsoft.machinelearningservices/workspaces/computes";
    let started = Instant::now();
    while arm.control("stats", json!({}))[kind].as_u64().unwrap_or(0) < 8 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "creates never all sent"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    arm.control("config", json!({"auto_advance": 30}));
    arm.control("advance", json!({"seconds": 600}));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        arm.control("stats", json!({}))[kind],
        8,
        "each cluster PUT once"
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "converged:\n{}", r.all());
}

fn prerequisites(retention: u32, team: &str) -> String {
    format!(
        r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_resource_group" "p" {{
  name     = "rg-prereq"
  location = "eastus"
}}
resource "azurerm_key_vault" "kv" {{
  name                = "kv-gantry-ml"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.p.name
  tenant_id           = "00000000-0000-0000-0000-00000000a2e0"
  sku_name            = "standard"
  tags                = {{ team = "{team}" }}
  access_policy {{
    tenant_id          = "00000000-0000-0000-0000-00000000a2e0"
    object_id          = azurerm_user_assigned_identity.ml.principal_id
    secret_permissions = ["Get", "List"]
  }}
}}
resource "azurerm_application_insights" "ai" {{
  name                = "appi-gantry-ml"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.p.name
  application_type    = "web"
  retention_in_days   = {retention}
}}
resource "azurerm_user_assigned_identity" "ml" {{
  name                = "id-gantry-ml"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.p.name
  tags                = {{ team = "{team}" }}
}}
"#
    )
}

#[test]
fn workspace_prerequisites_live_and_die() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &prerequisites(90, "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let rg = "/subscriptions/00000000-0000-0000-0000-00000000a2e1/resourceGroups/rg-prereq";
    let kv = arm.get(
        &format!("{rg}/providers/Microsoft.KeyVault/vaults/kv-gantry-ml"),
        "2023-07-01",
    );
    assert_eq!(
        kv["properties"]["vaultUri"], "https://kv-gantry-ml.vault.azure.net/",
        "{kv}"
    );
    let ident = arm.get(
        &format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-gantry-ml"),
        "2023-01-31",
    );
    assert_eq!(
        kv["properties"]["accessPolicies"][0]["objectId"],
        ident["properties"]["principalId"]
    );
    let st = d.state_json();
    let ai = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "azurerm_application_insights")
        .unwrap();
    assert!(ai["instances"][0]["attributes"]["instrumentation_key"]
        .as_str()
        .is_some_and(|k| k.len() == 36));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["plan"], &env);
    assert!(!r.stdout.contains(
        ai["instances"][0]["attributes"]["instrumentation_key"]
            .as_str()
            .unwrap()
    ));

    d.write("main.tf", &prerequisites(180, "research"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let ai_live = arm.get(
        &format!("{rg}/providers/Microsoft.Insights/components/appi-gantry-ml"),
        "2020-02-02",
    );
    assert_eq!(ai_live["properties"]["RetentionInDays"], 180);
    let kv = arm.get(
        &format!("{rg}/providers/Microsoft.KeyVault/vaults/kv-gantry-ml"),
        "2023-07-01",
    );
    assert_eq!(kv["tags"]["team"], "research");

    let d2 = Dir::new();
    d2.write("main.tf", &prerequisites(180, "research"));
    for (addr, id) in [
        ("azurerm_resource_group.p", rg.to_string()),
        (
            "azurerm_key_vault.kv",
            format!("{rg}/providers/Microsoft.KeyVault/vaults/kv-gantry-ml"),
        ),
        (
            "azurerm_application_insights.ai",
            format!("{rg}/providers/Microsoft.Insights/components/appi-gantry-ml"),
        ),
        (
            "azurerm_user_assigned_identity.ml",
            format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-gantry-ml"),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(
        r.code,
        0,
        "imported prerequisites plan no change:\n{}",
        r.all()
    );
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn a_compute_instance_is_made_read_imported_and_replaced_on_change() {
    let arm = Arm::start();
    let env = arm.env();
    let cfg = |size: &str| {
        format!(
            r#"{BASE}
resource "azurerm_machine_learning_compute_instance" "dev" {{
  name                          = "dev-a100"
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  virtual_machine_size          = "{size}"
  assign_to_user {{
    object_id = "11111111-1111-1111-1111-111111111111"
    tenant_id = "00000000-0000-0000-0000-00000000a2e0"
  }}
  ssh {{
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGantryTestKey gantry@test"
  }}
}}
"#
        )
    };
    let d = Dir::new();
    d.write("main.tf", &cfg("Standard_NC24ads_A100_v4"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let st = d.state_json();
    let ci = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "azurerm_machine_learning_compute_instance")
        .unwrap();
    assert_eq!(ci["instances"][0]["attributes"]["ssh"][0]["port"], 50000);
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    d.write("main.tf", &cfg("Standard_NC4as_T4_v3"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("azurerm_machine_learning_compute_instance.dev must be replaced"),
        "{}",
        r.stdout
    );
    let id = ci["instances"][0]["attributes"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d2 = Dir::new();
    d2.write("main.tf", &cfg("Standard_NC4as_T4_v3"));
    let r = d2.gantry_with(
        &[
            "import",
            "azurerm_machine_learning_compute_instance.dev",
            &id,
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d2.gantry_with(
        &[
            "plan",
            "-target=azurerm_machine_learning_compute_instance.dev",
            "-detailed-exitcode",
        ],
        &env,
    );
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}
