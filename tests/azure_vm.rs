//! A GPU VM on a Data Science VM image with its network, against the local ARM server:
//! created, read back, resized in place, drifted, imported and destroyed in order (the
//! server refuses a NIC still attached and a subnet still used); an unavailable GPU size is
//! reported as capacity.

mod common;

use common::azure::{Arm, SUBSCRIPTION};
use common::Dir;
use serde_json::json;

const API: &str = "2024-07-01";

fn stack(size: &str, team: &str) -> String {
    format!(
        r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_resource_group" "vm" {{
  name     = "rg-gpu-vm"
  location = "eastus"
}}
resource "azurerm_virtual_network" "vm" {{
  name                = "vnet-gpu"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.vm.name
  address_space       = ["10.0.0.0/16"]
}}
resource "azurerm_subnet" "vm" {{
  name                 = "snet-gpu"
  resource_group_name  = azurerm_resource_group.vm.name
  virtual_network_name = azurerm_virtual_network.vm.name
  address_prefixes     = ["10.0.1.0/24"]
}}
resource "azurerm_network_interface" "vm" {{
  name                = "nic-gpu"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.vm.name
  ip_configuration {{
    name                          = "internal"
    subnet_id                     = azurerm_subnet.vm.id
    private_ip_address_allocation = "Dynamic"
  }}
}}
resource "azurerm_linux_virtual_machine" "vm" {{
  name                  = "vm-gpu"
  location              = "eastus"
  resource_group_name   = azurerm_resource_group.vm.name
  size                  = "{size}"
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.vm.id]
  tags                  = {{ team = "{team}" }}
  admin_ssh_key {{
    username   = "azureuser"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGantryTestKeyOnlyForTheLocalServer gantry@test"
  }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
    disk_size_gb         = 256
  }}
  source_image_reference {{
    publisher = "microsoft-dsvm"
    offer     = "ubuntu-hpc"
    sku       = "2204"
    version   = "latest"
  }}
}}
"#
    )
}

fn vm_id() -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-gpu-vm/providers/Microsoft.Compute/virtualMachines/vm-gpu")
}

#[test]
fn a_gpu_vm_on_a_dsvm_image_lives_and_dies() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack("Standard_NC24ads_A100_v4", "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let vm = arm.get(&vm_id(), API);
    assert_eq!(
        vm["properties"]["hardwareProfile"]["vmSize"], "Standard_NC24ads_A100_v4",
        "{vm}"
    );
    assert_eq!(
        vm["properties"]["storageProfile"]["imageReference"]["offer"],
        "ubuntu-hpc"
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());

    d.write("main.tf", &stack("Standard_ND96isr_H100_v5", "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let vm2 = arm.get(&vm_id(), API);
    assert_eq!(
        vm2["properties"]["hardwareProfile"]["vmSize"],
        "Standard_ND96isr_H100_v5"
    );
    assert_eq!(
        vm2["properties"]["vmId"], vm["properties"]["vmId"],
        "resized, not recreated"
    );

    arm.control(
        "mutate",
        json!({"id": vm_id(), "set": {"tags": {"team": "someone-else"}}}),
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("someone-else"), "{}", r.stdout);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    let d2 = Dir::new();
    d2.write("main.tf", &stack("Standard_ND96isr_H100_v5", "ml"));
    let rg = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-gpu-vm");
    for (addr, id) in [
        ("azurerm_resource_group.vm", rg.clone()),
        (
            "azurerm_virtual_network.vm",
            format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet-gpu"),
        ),
        (
            "azurerm_subnet.vm",
            format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet-gpu/subnets/snet-gpu"),
        ),
        (
            "azurerm_network_interface.vm",
            format!("{rg}/providers/Microsoft.Network/networkInterfaces/nic-gpu"),
        ),
        ("azurerm_linux_virtual_machine.vm", vm_id()),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "imported VM plans no change:\n{}", r.all());

    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        arm.get(&vm_id(), API)["error"]["code"],
        "ResourceGroupNotFound"
    );
}

#[test]
fn an_unavailable_gpu_size_is_reported_as_capacity() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    d.write("main.tf", &stack("Standard_ND96amsr_A100_v4", "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("no capacity or quota (SkuNotAvailable)"),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains("azurerm_linux_virtual_machine.vm"),
        "{}",
        r.all()
    );
}

#[test]
fn resources_of_a_type_are_refreshed_with_one_list_per_group() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    let cfg = stack("Standard_NC24ads_A100_v4", "ml");
    let start = cfg
        .find("resource \"azurerm_linux_virtual_machine\"")
        .unwrap();
    let nics = cfg[..start].replace(
        "resource \"azurerm_network_interface\" \"vm\" {\n  name                = \"nic-gpu\"",
        "resource \"azurerm_network_interface\" \"vm\" {\n  count               = 60\n  name                = \"nic-gpu-${count.index}\"",
    );
    d.write("main.tf", &nics);
    let r = d.gantry_with(&["apply", "-auto-approve", "-parallelism=20"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    arm.control("reset-stats", json!({}));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let stats = arm.control("stats", json!({}));
    assert_eq!(
        stats["GET microsoft.network/networkinterfaces list"], 1,
        "{stats}"
    );
    assert!(
        stats
            .get("GET microsoft.network/networkinterfaces")
            .is_none(),
        "{stats}"
    );
}
