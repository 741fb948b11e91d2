//! Azure credentials through `azure_identity`: with nothing configured, azurerm's default —
//! the Azure CLI's signed-in account — is asked for a token (here a stand-in `az` on PATH
//! that answers as `az account get-access-token -o json` does), and the ARM server accepts
//! only that token; without it, a 401 names ARM's code.

mod common;

use common::azure::Arm;
use common::Dir;
use serde_json::json;

const CONFIG: &str = r#"
provider "azurerm" {
  features {}
}
resource "azurerm_resource_group" "a" {
  name     = "rg-auth"
  location = "eastus"
}
"#;

#[test]
fn the_azure_cli_account_is_used_by_default() {
    let arm = Arm::start();
    arm.control("auth", json!({"require_token": "cli-token-123"}));
    let d = Dir::new();
    d.write("main.tf", CONFIG);

    // gantry's anonymous mode (use_cli = false): ARM refuses.
    let r = d.gantry_with(&["apply", "-auto-approve"], &arm.env());
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("AuthenticationFailed"), "{}", r.all());

    // The Azure CLI: a stand-in `az` that logs its arguments and prints a token.
    let bin = Dir::new();
    let log = bin.path().join("az.log");
    let az = bin.path().join("az");
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\necho '{{\"accessToken\": \"cli-token-123\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", \"expires_on\": 4070908800, \"subscription\": \"x\", \"tenant\": \"y\", \"tokenType\": \"Bearer\"}}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut env: Vec<(&'static str, String)> = arm
        .env()
        .into_iter()
        .filter(|(k, _)| *k != "ARM_USE_CLI")
        .collect();
    env.push(("ARM_USE_CLI", String::new()));
    env.push(("PATH", path));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let asked = std::fs::read_to_string(&log).unwrap();
    assert!(asked.contains("account get-access-token"), "{asked}");
    assert!(
        asked.contains(&format!("--scope {}/.default", arm.url())),
        "{asked}"
    );
    assert_eq!(
        asked.lines().count(),
        1,
        "one token for the whole run: {asked}"
    );
}
