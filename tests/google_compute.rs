//! google_compute_* against the discovery-built test server (tests/google/compute.py): a GPU
//! VM on a Deep Learning image in its own network — created, read back, changed in place,
//! resized by stop/start, drifted, imported and destroyed; the plan-time checks a GPU VM
//! needs; a GPU stockout; refresh through aggregatedList.

mod common;

use common::google::{Google, PROJECT};
use common::Dir;
use serde_json::json;

fn stack(machine: &str, label: &str, ports: &str, cidr: &str) -> String {
    format!(
        r#"
resource "google_compute_network" "ml" {{
  name                    = "ml-net"
  auto_create_subnetworks = false
}}

resource "google_compute_subnetwork" "ml" {{
  name          = "ml-subnet"
  network       = google_compute_network.ml.id
  region        = "us-central1"
  ip_cidr_range = "{cidr}"
  secondary_ip_range {{
    range_name    = "pods"
    ip_cidr_range = "10.8.0.0/14"
  }}
}}

resource "google_compute_firewall" "ssh" {{
  name          = "ml-ssh"
  network       = google_compute_network.ml.name
  source_ranges = ["35.235.240.0/20"]
  target_tags   = ["gpu"]
  allow {{
    protocol = "tcp"
    ports    = [{ports}]
  }}
}}

resource "google_compute_instance" "gpu" {{
  name                      = "trainer"
  machine_type              = "{machine}"
  zone                      = "us-central1-a"
  tags                      = ["gpu"]
  labels                    = {{ team = "{label}" }}
  metadata                  = {{ install-nvidia-driver = "True" }}
  allow_stopping_for_update = true

  boot_disk {{
    initialize_params {{
      image = "deeplearning-platform-release/common-cu124-debian-11-py310"
      size  = 200
    }}
  }}

  guest_accelerator {{
    type  = "nvidia-tesla-t4"
    count = 1
  }}

  scheduling {{
    on_host_maintenance = "TERMINATE"
    automatic_restart   = true
  }}

  network_interface {{
    subnetwork = google_compute_subnetwork.ml.id
    access_config {{}}
  }}

  service_account {{
    scopes = ["cloud-platform"]
  }}
}}
"#
    )
}

const INSTANCE: &str =
    "/compute/compute/v1/projects/gantry-test/zones/us-central1-a/instances/trainer";

#[test]
fn a_gpu_vm_on_a_deep_learning_image_lives_and_dies() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &stack("n1-standard-8", "ml", r#""22""#, "10.2.0.0/24"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let vm = g.api_get(INSTANCE);
    assert_eq!(vm["status"], "RUNNING", "{vm}");
    assert_eq!(vm["scheduling"]["onHostMaintenance"], "TERMINATE");
    assert!(vm["guestAccelerators"][0]["acceleratorType"]
        .as_str()
        .unwrap()
        .ends_with("/acceleratorTypes/nvidia-tesla-t4"));
    assert_eq!(vm["labels"], json!({"team": "ml"}));
    assert_eq!(vm["tags"]["items"], json!(["gpu"]));
    assert!(vm["networkInterfaces"][0]["subnetwork"]
        .as_str()
        .unwrap()
        .ends_with("/regions/us-central1/subnetworks/ml-subnet"));
    assert_eq!(
        vm["serviceAccounts"][0]["scopes"],
        json!(["https://www.googleapis.com/auth/cloud-platform"])
    );
    let st = d.state_json();
    let attrs = |t: &str| {
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == t)
            .unwrap_or_else(|| panic!("{t} in state"))["instances"][0]["attributes"]
            .clone()
    };
    let a = attrs("google_compute_instance");
    assert_eq!(
        a["id"],
        format!("projects/{PROJECT}/zones/us-central1-a/instances/trainer")
    );
    assert_eq!(a["current_status"], "RUNNING");
    assert_eq!(a["guest_accelerator"][0]["type"], "nvidia-tesla-t4");
    assert_eq!(
        a["boot_disk"][0]["initialize_params"][0]["image"],
        "deeplearning-platform-release/common-cu124-debian-11-py310"
    );
    assert!(a["network_interface"][0]["access_config"][0]["nat_ip"].is_string());
    assert_eq!(
        attrs("google_compute_subnetwork")["gateway_address"],
        "10.2.0.1"
    );

    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());

    // In place: labels (setLabels), firewall ports (PATCH), a wider subnet (expand).
    d.write(
        "main.tf",
        &stack(
            "n1-standard-8",
            "research",
            r#""22", "8888""#,
            "10.2.0.0/20",
        ),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let vm2 = g.api_get(INSTANCE);
    assert_eq!(vm2["id"], vm["id"], "changed in place, not recreated");
    assert_eq!(vm2["labels"], json!({"team": "research"}));
    let fw = g.api_get("/compute/compute/v1/projects/gantry-test/global/firewalls/ml-ssh");
    assert_eq!(fw["allowed"][0]["ports"], json!(["22", "8888"]), "{fw}");
    let sub = g.api_get(
        "/compute/compute/v1/projects/gantry-test/regions/us-central1/subnetworks/ml-subnet",
    );
    assert_eq!(sub["ipCidrRange"], "10.2.0.0/20");

    // A bigger machine: stopped, resized, started again — the same VM.
    d.write(
        "main.tf",
        &stack(
            "n1-standard-16",
            "research",
            r#""22", "8888""#,
            "10.2.0.0/20",
        ),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("stopped and restarted"), "{}", r.stdout);
    let vm3 = g.api_get(INSTANCE);
    assert_eq!(vm3["id"], vm["id"]);
    assert!(vm3["machineType"]
        .as_str()
        .unwrap()
        .ends_with("/machineTypes/n1-standard-16"));
    assert_eq!(vm3["status"], "RUNNING");
    let stats = g.control("stats", json!({}));
    assert_eq!(stats["compute.instances.stop"], 1, "{stats}");
    assert_eq!(stats["compute.instances.start"], 1, "{stats}");

    // Drift: a label set out of band is shown and put back.
    g.control(
        "mutate",
        json!({"api": "compute",
               "key": format!("projects/{PROJECT}/zones/us-central1-a/instances/trainer"),
               "set": {"labels": {"team": "someone-else"}}}),
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("someone-else"), "{}", r.stdout);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(g.api_get(INSTANCE)["labels"], json!({"team": "research"}));

    // Import into a fresh state: the same configuration plans no change for the VM.
    let d2 = Dir::new();
    d2.write(
        "main.tf",
        &stack(
            "n1-standard-16",
            "research",
            r#""22", "8888""#,
            "10.2.0.0/20",
        ),
    );
    for (addr, id) in [
        (
            "google_compute_network.ml",
            format!("projects/{PROJECT}/global/networks/ml-net"),
        ),
        (
            "google_compute_subnetwork.ml",
            format!("{PROJECT}/us-central1/ml-subnet"),
        ),
        ("google_compute_firewall.ssh", "ml-ssh".to_string()),
        (
            "google_compute_instance.gpu",
            format!("projects/{PROJECT}/zones/us-central1-a/instances/trainer"),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    // As with Terraform, the state-only allow_stopping_for_update is the one update an
    // imported VM plans (applied without a call to Google).
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    let changed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && l.trim_start().starts_with(['~', '+', '-']))
        .collect();
    assert_eq!(
        changed,
        vec!["      + allow_stopping_for_update = true"],
        "{}",
        r.stdout
    );
    let r = d2.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    // Destroy: the VM, subnet and firewall go before the network (the server refuses a
    // network still in use).
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(g.api_get(INSTANCE)["error"]["code"], 404);
    assert_eq!(
        g.api_get("/compute/compute/v1/projects/gantry-test/global/networks/ml-net")["error"]
            ["code"],
        404
    );
}

#[test]
fn the_plan_rejects_what_a_gpu_vm_cannot_be() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    let vm = |sched: &str, image: &str| {
        format!(
            r#"
resource "google_compute_instance" "gpu" {{
  name         = "bad"
  machine_type = "g2-standard-8"
  boot_disk {{
    initialize_params {{
      image = "{image}"
    }}
  }}
  guest_accelerator {{
    type  = "nvidia-l4"
    count = 1
  }}
  {sched}
  network_interface {{
    network = "default"
  }}
}}
"#
        )
    };
    // GPUs cannot live-migrate: the plan says so, nothing is sent.
    d.write(
        "main.tf",
        &vm(
            "",
            "deeplearning-platform-release/common-cu124-debian-11-py310",
        ),
    );
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("on_host_maintenance = \"TERMINATE\""),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains("google_compute_instance.gpu"),
        "{}",
        r.all()
    );
    // A Deep Learning image family that does not exist is a plan error too.
    d.write(
        "main.tf",
        &vm(
            r#"scheduling { on_host_maintenance = "TERMINATE" }"#,
            "deeplearning-platform-release/no-such-family",
        ),
    );
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("no-such-family"), "{}", r.all());
    let stats = g.control("stats", json!({}));
    assert!(stats.get("compute.instances.insert").is_none(), "{stats}");

    // A running VM is not resized without allow_stopping_for_update.
    d.write(
        "main.tf",
        &vm(
            r#"scheduling { on_host_maintenance = "TERMINATE" }"#,
            "deeplearning-platform-release/common-cu124-debian-11-py310",
        ),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    d.write(
        "main.tf",
        &vm(
            r#"scheduling { on_host_maintenance = "TERMINATE" }"#,
            "deeplearning-platform-release/common-cu124-debian-11-py310",
        )
        .replace("g2-standard-8", "g2-standard-24"),
    );
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("allow_stopping_for_update"), "{}", r.all());
}

#[test]
fn a_gpu_stockout_is_reported_with_the_zones_that_have_capacity() {
    let g = Google::start();
    let env = g.env();
    g.control(
        "fault",
        json!({"method": "compute.instances.insert", "times": 1, "op_error": {
            "code": 8,
            "message": "unused",
            "errors": [{
                "code": "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
                "message": "The zone 'projects/gantry-test/zones/us-central1-a' does not have enough resources available to fulfill the request. '(resource type:compute)'.",
                "errorDetails": [{"errorInfo": {
                    "reason": "resource_availability",
                    "domain": "compute.googleapis.com",
                    "metadata": {"zone": "us-central1-a", "vmType": "a3-highgpu-8g",
                                 "zonesAvailable": "us-central1-c,us-east4-a"}}}]}]}}),
    );
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
resource "google_compute_instance" "h100" {
  name         = "h100"
  machine_type = "a3-highgpu-8g"
  boot_disk {
    initialize_params {
      image = "deeplearning-platform-release/common-cu124-debian-11-py310"
    }
  }
  scheduling {
    on_host_maintenance = "TERMINATE"
  }
  network_interface {
    network = "default"
  }
}
"#,
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    let out = r.all();
    assert!(
        out.contains("no capacity (ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS)"),
        "{out}"
    );
    assert!(
        out.contains("zones with capacity: us-central1-c, us-east4-a"),
        "{out}"
    );
    assert!(d.addresses().is_empty(), "{:?}", d.addresses());
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    // a3-highgpu-8g comes with its GPUs: they are read back, and plan no change.
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn refresh_reads_instances_in_every_zone_with_one_aggregated_list() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
resource "google_compute_instance" "w" {
  count        = 60
  name         = "worker-${count.index}"
  machine_type = "n1-standard-4"
  zone         = ["us-central1-a", "us-central1-b", "us-central1-c"][count.index % 3]
  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
    }
  }
  network_interface {
    network = "default"
  }
}
"#,
    );
    let r = d.gantry_with(&["apply", "-auto-approve", "-parallelism=30"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    g.control("reset-stats", json!({}));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let stats = g.control("stats", json!({}));
    assert_eq!(stats["compute.instances.aggregatedList"], 1, "{stats}");
    assert!(stats.get("compute.instances.get").is_none(), "{stats}");
}
