//! What a flaky network and a killed gantry do to a Google apply: nothing. Creates
//! interrupted by SIGKILL while their operations run are found again by name (or by the id
//! derived from the idempotency token) and adopted — never created twice; 429 and 503
//! answers are retried per request, honouring Retry-After, without failing the apply.

mod common;

use common::google::{Google, PROJECT};
use common::Dir;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
resource "google_tpu_v2_vm" "t" {
  count            = 6
  name             = "crash-tpu-${count.index}"
  runtime_version  = "tpu-ubuntu2204-base"
  accelerator_type = "v5litepod-4"
}

resource "google_compute_instance" "vm" {
  count        = 6
  name         = "crash-vm-${count.index}"
  machine_type = "g2-standard-8"
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

resource "google_vertex_ai_endpoint" "e" {
  count        = 4
  name         = tostring(5000 + count.index)
  display_name = "crash-${count.index}"
  location     = "us-central1"
}
"#;

fn count(stats: &serde_json::Value, m: &str) -> u64 {
    stats[m].as_u64().unwrap_or(0)
}

#[test]
fn creates_killed_mid_operation_are_adopted_not_repeated() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    // Operations stand still: every create is in flight when gantry dies.
    g.control("config", json!({"auto_advance": 0}));
    let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
    c.args(["apply", "-auto-approve", "-parallelism=20"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in &env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    loop {
        let stats = g.control("stats", json!({}));
        let sent = count(&stats, "tpu.projects.locations.nodes.create")
            + count(&stats, "compute.instances.insert")
            + count(&stats, "aiplatform.projects.locations.endpoints.create");
        if sent == 16 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "creates never all sent: {stats}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // While gantry was dead, Google finished the work.
    g.control("config", json!({"auto_advance": 30}));
    g.control("advance", json!({"seconds": 600}));

    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let stats = g.control("stats", json!({}));
    assert_eq!(
        count(&stats, "tpu.projects.locations.nodes.create"),
        6,
        "{stats}"
    );
    assert_eq!(count(&stats, "compute.instances.insert"), 6, "{stats}");
    assert_eq!(
        count(&stats, "aiplatform.projects.locations.endpoints.create"),
        4,
        "{stats}"
    );
    assert_eq!(d.addresses().len(), 16, "{:?}", d.addresses());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "converged:\n{}", r.all());
    let tpu = g.api_get(&format!(
        "/tpu/v2/projects/{PROJECT}/locations/us-central1-a/nodes/crash-tpu-3"
    ));
    assert_eq!(tpu["state"], "READY", "{tpu}");
}

#[test]
fn throttling_and_unavailability_are_retried_not_fatal() {
    let g = Google::start();
    let env = g.env();
    for (method, code, status) in [
        (
            "tpu.projects.locations.nodes.create",
            429,
            "RESOURCE_EXHAUSTED",
        ),
        ("tpu.projects.locations.operations.get", 503, "UNAVAILABLE"),
        ("compute.instances.insert", 503, "UNAVAILABLE"),
        (
            "aiplatform.projects.locations.endpoints.get",
            429,
            "RESOURCE_EXHAUSTED",
        ),
    ] {
        g.control(
            "fault",
            json!({"method": method, "times": 2,
                   "http": {"code": code, "status": status, "message": "try again"}}),
        );
    }
    let d = Dir::new();
    d.write(
        "main.tf",
        &CONFIG
            .replace("count            = 6", "count            = 1")
            .replace("count        = 6", "count        = 1")
            .replace("count        = 4", "count        = 1"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let stats = g.control("stats", json!({}));
    // Each faulted call was answered twice with an error, then went through.
    assert_eq!(
        count(&stats, "tpu.projects.locations.nodes.create"),
        3,
        "{stats}"
    );
    assert_eq!(count(&stats, "compute.instances.insert"), 3, "{stats}");
    assert_eq!(d.addresses().len(), 3);
}
