//! Storage as against Azure: the ARM server's storage account answers listKeys and reports a
//! blob endpoint on Azurite, so containers and blobs go ARM → keys → Shared Key-signed data
//! plane. Created, read back, changed in place, replaced on new content, imported, destroyed.

mod common;

use common::azure::Arm;
use common::Dir;

fn stack(access: &str, content: &str, team: &str) -> String {
    format!(
        r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_resource_group" "s" {{
  name     = "rg-storage"
  location = "eastus"
}}
resource "azurerm_storage_account" "s" {{
  name                     = "devstoreaccount1"
  resource_group_name      = azurerm_resource_group.s.name
  location                 = "eastus"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}}
resource "azurerm_storage_container" "models" {{
  name                  = "models"
  storage_account_name  = azurerm_storage_account.s.name
  container_access_type = "{access}"
  metadata              = {{ team = "{team}" }}
}}
resource "azurerm_storage_blob" "weights" {{
  name                   = "llama/model.safetensors"
  storage_account_name   = azurerm_storage_account.s.name
  storage_container_name = azurerm_storage_container.models.name
  type                   = "Block"
  source_content         = "{content}"
  content_type           = "application/octet-stream"
  metadata               = {{ team = "{team}" }}
}}
"#
    )
}

#[test]
fn containers_and_blobs_go_through_arm_keys_to_azurite() {
    let arm = Arm::start_with_storage();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack("private", "weights-v1", "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let blob_url = format!("{}/models/llama/model.safetensors", arm.blob_url());
    let st = d.state_json();
    let blob = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "azurerm_storage_blob")
        .unwrap();
    assert_eq!(blob["instances"][0]["attributes"]["url"], blob_url.as_str());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());

    // Public read access: an anonymous GET on Azurite now answers with the bytes.
    d.write("main.tf", &stack("blob", "weights-v1", "research"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let got = std::process::Command::new("curl")
        .args(["-s", &blob_url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), "weights-v1");

    // New content: a new blob.
    d.write("main.tf", &stack("blob", "weights-v2", "research"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("azurerm_storage_blob.weights must be replaced"),
        "{}",
        r.stdout
    );
    let got = std::process::Command::new("curl")
        .args(["-s", &blob_url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), "weights-v2");

    // Import the container and blob by URL: only the state-only source_content plans.
    let d2 = Dir::new();
    d2.write("main.tf", &stack("blob", "weights-v2", "research"));
    let rg = "/subscriptions/00000000-0000-0000-0000-00000000a2e1/resourceGroups/rg-storage";
    for (addr, id) in [
        ("azurerm_resource_group.s", rg.to_string()),
        (
            "azurerm_storage_account.s",
            format!("{rg}/providers/Microsoft.Storage/storageAccounts/devstoreaccount1"),
        ),
        (
            "azurerm_storage_container.models",
            format!("{}/models", arm.blob_url()),
        ),
        ("azurerm_storage_blob.weights", blob_url.clone()),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let changed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && l.trim_start().starts_with(['~', '+', '-']))
        .collect();
    assert!(
        changed.iter().all(|l| l.contains("source_content")),
        "{}",
        r.stdout
    );

    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let gone = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &blob_url])
        .output()
        .unwrap();
    // Azurite answers an anonymous read of a missing container with 403 or 404; either way
    // the bytes that were public a moment ago are gone.
    let code = String::from_utf8_lossy(&gone.stdout).to_string();
    assert!(code == "404" || code == "403", "{code}");
}
