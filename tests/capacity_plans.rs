//! Capacity at plan time, one test per cloud against its local server: a GPU or TPU type
//! planned in a zone that does not offer it is a plan warning naming the object, the type,
//! the zone and the zones that do offer it; the plan itself still succeeds, and a zone that
//! offers the type warns nothing.

mod common;
use common::azure::Arm;
use common::google::Google;
use common::moto::Moto;
use common::Dir;

fn plan(d: &Dir, env: &[(&'static str, String)]) -> common::Run {
    let r = d.gantry_with(&["plan", "-no-color"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    r
}

#[test]
fn aws_warns_when_the_zone_does_not_offer_the_instance_type() {
    let moto = Moto::start();
    let env = moto.env();
    let d = Dir::new();
    let stack = |zone: &str| {
        format!(
            r#"
provider "aws" {{
  region = "us-east-1"
}}
resource "aws_instance" "train" {{
  ami               = "ami-12c6146b"
  instance_type     = "p4d.24xlarge"
  availability_zone = "{zone}"
}}
resource "aws_ec2_capacity_reservation" "train" {{
  instance_type     = "p4d.24xlarge"
  instance_platform = "Linux/UNIX"
  availability_zone = "{zone}"
  instance_count    = 2
}}
"#
        )
    };
    d.write("main.tf", &stack("us-east-1e"));
    let r = plan(&d, &env);
    let all = r.all();
    for addr in ["aws_instance.train", "aws_ec2_capacity_reservation.train"] {
        assert!(
            all.contains(&format!(
                "{addr}: p4d.24xlarge is not offered in us-east-1e (offered in: a, b, c, d)"
            )),
            "{all}"
        );
    }
    assert!(all.contains("Capacity not offered"), "{all}");
    d.write("main.tf", &stack("us-east-1b"));
    let r = plan(&d, &env);
    assert!(!r.all().contains("not offered"), "{}", r.all());
}

#[test]
fn google_warns_for_tpu_slices_and_vm_gpus_missing_in_the_zone() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    let stack = |tpu_zone: &str, vm_zone: &str| {
        format!(
            r#"
provider "google" {{}}
resource "google_tpu_v2_vm" "train" {{
  name             = "capacity-v5p"
  zone             = "{tpu_zone}"
  runtime_version  = "v2-alpha-tpuv5"
  accelerator_type = "v5p-8"
}}
resource "google_compute_instance" "h100" {{
  name         = "capacity-h100"
  machine_type = "a3-highgpu-1g"
  zone         = "{vm_zone}"
  boot_disk {{
    initialize_params {{
      image = "debian-cloud/debian-12"
    }}
  }}
  scheduling {{
    on_host_maintenance = "TERMINATE"
  }}
  network_interface {{
    network = "default"
  }}
}}
"#
        )
    };
    d.write("main.tf", &stack("us-central1-a", "us-central1-b"));
    let r = plan(&d, &env);
    let all = r.all();
    assert!(
        all.contains(
            "google_tpu_v2_vm.train: v5p-8 is not offered in us-central1-a (offered in: b)"
        ),
        "{all}"
    );
    assert!(
        all.contains("google_compute_instance.h100: nvidia-h100-80gb is not offered in us-central1-b (offered in: a, c)"),
        "{all}"
    );
    d.write("main.tf", &stack("us-central1-b", "us-central1-c"));
    let r = plan(&d, &env);
    assert!(!r.all().contains("not offered"), "{}", r.all());
}

#[test]
fn azure_warns_for_restricted_sizes_and_zones() {
    let arm = Arm::start();
    let env = arm.env();
    let d = Dir::new();
    let stack = |zone: &str| {
        format!(
            r#"
provider "azurerm" {{
  features {{}}
}}
resource "azurerm_resource_group" "ml" {{
  name     = "rg-capacity"
  location = "eastus"
}}
resource "azurerm_linux_virtual_machine" "a100" {{
  name                  = "vm-a100"
  location              = "eastus"
  zone                  = "{zone}"
  resource_group_name   = azurerm_resource_group.ml.name
  size                  = "Standard_NC24ads_A100_v4"
  admin_username        = "azureuser"
  network_interface_ids = ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-capacity/providers/Microsoft.Network/networkInterfaces/nic"]
  admin_ssh_key {{
    username   = "azureuser"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGantryTestKeyOnlyForTheLocalServer gantry@test"
  }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
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
    };
    d.write("main.tf", &stack("1"));
    let r = plan(&d, &env);
    assert!(
        r.all().contains("azurerm_linux_virtual_machine.a100: Standard_NC24ads_A100_v4 is not offered in eastus zone 1 (offered in zones: 2, 3)"),
        "{}",
        r.all()
    );
    d.write("main.tf", &stack("2"));
    let r = plan(&d, &env);
    assert!(!r.all().contains("not offered"), "{}", r.all());
}
