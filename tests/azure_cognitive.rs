//! Azure AI services against the local ARM server: an OpenAI account with a gpt-4o
//! deployment and a Computer Vision account — created, keys read (never shown), capacity
//! raised in place, a new model replacing the deployment, imported, destroyed; a capacity
//! beyond quota is reported as such.

mod common;

use common::azure::{Arm, SUBSCRIPTION};
use common::Dir;

fn stack(capacity: u32, model: &str, version: &str) -> String {
    format!(
        r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_resource_group" "ai" {{
  name     = "rg-ai"
  location = "eastus"
}}
resource "azurerm_cognitive_account" "openai" {{
  name                  = "oai-gantry"
  location              = "eastus"
  resource_group_name   = azurerm_resource_group.ai.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = "oai-gantry"
}}
resource "azurerm_cognitive_account" "vision" {{
  name                = "cv-gantry"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.ai.name
  kind                = "ComputerVision"
  sku_name            = "S1"
}}
resource "azurerm_cognitive_deployment" "chat" {{
  name                 = "chat"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  model {{
    format  = "OpenAI"
    name    = "{model}"
    version = "{version}"
  }}
  sku {{
    name     = "GlobalStandard"
    capacity = {capacity}
  }}
}}
"#
    )
}

#[test]
fn openai_and_vision_accounts_live_and_die() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack(10, "gpt-4o", "2024-08-06"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let st = d.state_json();
    let oai = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "openai")
        .unwrap()["instances"][0]["attributes"]
        .clone();
    assert_eq!(oai["endpoint"], "https://oai-gantry.openai.azure.com/");
    let key = oai["primary_access_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 32);
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.all().contains(&key), "keys never reach output");

    d.write("main.tf", &stack(50, "gpt-4o", "2024-11-20"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let dep = arm.get(
        &format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-gantry/deployments/chat"),
        "2024-10-01",
    );
    assert_eq!(dep["sku"]["capacity"], 50, "{dep}");
    assert_eq!(dep["properties"]["model"]["version"], "2024-11-20");

    d.write("main.tf", &stack(50, "gpt-4o-mini", "2024-07-18"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("azurerm_cognitive_deployment.chat must be replaced"),
        "{}",
        r.stdout
    );

    d.write("main.tf", &stack(5000, "gpt-4o-mini", "2024-07-18"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("no capacity or quota (InsufficientQuota)"),
        "{}",
        r.all()
    );

    let d2 = Dir::new();
    d2.write("main.tf", &stack(50, "gpt-4o-mini", "2024-07-18"));
    let rg = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ai");
    for (addr, id) in [
        ("azurerm_resource_group.ai", rg.clone()),
        (
            "azurerm_cognitive_account.openai",
            format!("{rg}/providers/Microsoft.CognitiveServices/accounts/oai-gantry"),
        ),
        (
            "azurerm_cognitive_account.vision",
            format!("{rg}/providers/Microsoft.CognitiveServices/accounts/cv-gantry"),
        ),
        (
            "azurerm_cognitive_deployment.chat",
            format!(
                "{rg}/providers/Microsoft.CognitiveServices/accounts/oai-gantry/deployments/chat"
            ),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "imported accounts plan no change:\n{}", r.all());

    d.write("main.tf", &stack(50, "gpt-4o-mini", "2024-07-18"));
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}
