//! The google provider against local servers: GCS on fake-gcs-server, Vertex AI and TPU on
//! the discovery-built control plane (tests/google). Create, read back, update in place,
//! replace, drift, import, destroy; a TPU stockout; batched refresh.

mod common;

use common::google::{Google, PROJECT};
use common::Dir;
use serde_json::json;

fn stack(max_replicas: u32, machine: &str, label: &str) -> String {
    format!(
        r#"
provider "google" {{}}

resource "google_storage_bucket" "models" {{
  name          = "gantry-models"
  location      = "us-central1"
  force_destroy = true
  labels        = {{ team = "{label}" }}
  versioning {{
    enabled = true
  }}
  lifecycle_rule {{
    action {{
      type = "Delete"
    }}
    condition {{
      age = 30
    }}
  }}
}}

resource "google_storage_bucket_object" "weights" {{
  bucket       = google_storage_bucket.models.name
  name         = "llama/model.safetensors"
  content      = "weights-v1"
  content_type = "application/octet-stream"
}}

resource "google_vertex_ai_model" "llama" {{
  model_id     = "llama"
  display_name = "llama"
  artifact_uri = "gs://${{google_storage_bucket.models.name}}/llama/"
  container_spec {{
    image_uri     = "us-docker.pkg.dev/vertex-ai/prediction/pytorch-gpu.2-4:latest"
    predict_route = "/predict"
    health_route  = "/health"
    ports         = [8080]
    env           = {{ MODEL = "llama" }}
  }}
  depends_on = [google_storage_bucket_object.weights]
}}

resource "google_vertex_ai_endpoint" "serve" {{
  name         = "1234567890"
  display_name = "llama-serving"
  location     = "us-central1"
  labels       = {{ team = "{label}" }}
}}

resource "google_vertex_ai_endpoint_deployed_model" "llama" {{
  endpoint     = google_vertex_ai_endpoint.serve.id
  model        = google_vertex_ai_model.llama.id
  display_name = "llama-l4"
  dedicated_resources {{
    machine_spec {{
      machine_type      = "{machine}"
      accelerator_type  = "NVIDIA_L4"
      accelerator_count = 1
    }}
    min_replica_count = 1
    max_replica_count = {max_replicas}
  }}
}}

resource "google_tpu_v2_vm" "train" {{
  name             = "train-v5e"
  zone             = "us-central1-a"
  runtime_version  = "v2-alpha-tpuv5-lite"
  accelerator_type = "v5litepod-4"
  labels           = {{ team = "{label}" }}
  scheduling_config {{
    spot = true
  }}
}}
"#
    )
}

fn endpoint(g: &Google) -> serde_json::Value {
    g.api_get(&format!(
        "/aiplatform/v1/projects/{PROJECT}/locations/us-central1/endpoints/1234567890"
    ))
}

#[test]
fn vertex_tpu_and_gcs_stack_lives_and_dies() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write("main.tf", &stack(2, "g2-standard-8", "ml"));

    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let e = endpoint(&g);
    let dms = e["deployedModels"].as_array().expect("one deployed model");
    assert_eq!(dms.len(), 1, "{e}");
    let dm_id = dms[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        e["trafficSplit"],
        json!({ dm_id.clone(): 100 }),
        "first model takes all traffic"
    );
    assert_eq!(
        dms[0]["dedicatedResources"]["machineSpec"]["acceleratorType"],
        "NVIDIA_L4"
    );
    assert_eq!(e["labels"], json!({"team": "ml"}));
    let tpu = g.api_get(&format!(
        "/tpu/v2/projects/{PROJECT}/locations/us-central1-a/nodes/train-v5e"
    ));
    assert_eq!(tpu["state"], "READY", "{tpu}");
    assert_eq!(tpu["schedulingConfig"]["spot"], true);
    let bucket = g.gcs_get("/storage/v1/b/gantry-models");
    assert_eq!(bucket["labels"], json!({"team": "ml"}), "{bucket}");
    assert_eq!(bucket["versioning"]["enabled"], true);
    let obj = g.gcs_get("/storage/v1/b/gantry-models/o/llama%2Fmodel.safetensors");
    assert_eq!(obj["size"], "10", "{obj}");

    // State carries what was planned and what Google computed.
    let st = d.state_json();
    let find = |t: &str| {
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == t)
            .unwrap_or_else(|| panic!("{t} in state"))["instances"][0]["attributes"]
            .clone()
    };
    assert_eq!(
        find("google_vertex_ai_endpoint_deployed_model")["deployed_model_id"],
        dm_id.as_str()
    );
    assert_eq!(find("google_tpu_v2_vm")["state"], "READY");
    assert_eq!(find("google_storage_bucket")["location"], "US-CENTRAL1");
    assert_eq!(
        find("google_storage_bucket_object")["md5hash"],
        obj["md5Hash"]
    );
    assert_eq!(
        find("google_storage_bucket")["labels"],
        json!({"team": "ml"})
    );

    // Nothing to do on a second plan.
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());

    // Scale in place: replicas through mutateDeployedModel, labels through PATCH.
    d.write("main.tf", &stack(4, "g2-standard-8", "ml-serving"));
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("google_vertex_ai_endpoint_deployed_model.llama will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let e = endpoint(&g);
    assert_eq!(
        e["deployedModels"][0]["id"],
        dm_id.as_str(),
        "scaled in place, not redeployed"
    );
    assert_eq!(
        e["deployedModels"][0]["dedicatedResources"]["maxReplicaCount"],
        4
    );
    assert_eq!(e["labels"], json!({"team": "ml-serving"}));
    let tpu = g.api_get(&format!(
        "/tpu/v2/projects/{PROJECT}/locations/us-central1-a/nodes/train-v5e"
    ));
    assert_eq!(tpu["labels"], json!({"team": "ml-serving"}));
    assert_eq!(
        g.gcs_get("/storage/v1/b/gantry-models")["labels"],
        json!({"team": "ml-serving"})
    );

    // A new machine type redeploys: the deployed model is replaced, the endpoint stays.
    d.write("main.tf", &stack(4, "a2-highgpu-1g", "ml-serving"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("must be replaced") || r.stdout.contains("replaced"),
        "{}",
        r.stdout
    );
    let e = endpoint(&g);
    let dms = e["deployedModels"].as_array().unwrap();
    assert_eq!(dms.len(), 1, "{e}");
    assert_ne!(dms[0]["id"], dm_id.as_str());
    assert_eq!(
        dms[0]["dedicatedResources"]["machineSpec"]["machineType"],
        "a2-highgpu-1g"
    );
    assert_eq!(
        e["trafficSplit"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap(),
        100
    );

    // Drift: a label changed out of band shows in the plan and is put back.
    g.control(
        "mutate",
        json!({"api": "aiplatform",
               "key": format!("projects/{PROJECT}/locations/us-central1/endpoints/1234567890"),
               "set": {"labels": {"team": "someone-else"}}}),
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("someone-else"), "{}", r.stdout);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(endpoint(&g)["labels"], json!({"team": "ml-serving"}));

    // Destroy: the deployment is undeployed before the endpoint is deleted.
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(endpoint(&g)["error"]["code"], 404);
    assert_eq!(
        g.gcs_get("/storage/v1/b/gantry-models")["error"]["code"],
        404
    );
    let tpu = g.api_get(&format!(
        "/tpu/v2/projects/{PROJECT}/locations/us-central1-a/nodes/train-v5e"
    ));
    assert_eq!(tpu["error"]["code"], 404);
}

#[test]
fn a_tpu_stockout_is_reported_with_the_zones_that_have_capacity() {
    let g = Google::start();
    let env = g.env();
    g.control(
        "fault",
        json!({"method": "tpu.projects.locations.nodes.create", "times": 1, "op_error": {
            "code": 8,
            "message": "There is no more capacity in the zone \"us-central1-a\"; you can try in another zone where Cloud TPU Nodes are offered",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "RESOURCE_POOL_EXHAUSTED",
                         "metadata": {"zonesAvailable": "us-central1-b,europe-west4-a"}}]}}),
    );
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
resource "google_tpu_v2_vm" "train" {
  name             = "big-slice"
  runtime_version  = "v2-alpha-tpuv5-lite"
  accelerator_type = "v5litepod-16"
}
"#,
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    let out = r.all();
    assert!(out.contains("no capacity (RESOURCE_EXHAUSTED)"), "{out}");
    assert!(
        out.contains("zones with capacity: us-central1-b, europe-west4-a"),
        "{out}"
    );
    assert!(out.contains("google_tpu_v2_vm.train"), "{out}");
    // The failed node is gone and nothing is recorded: the next apply tries again.
    assert!(!d
        .addresses()
        .contains(&"google_tpu_v2_vm.train".to_string()));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(d.addresses(), vec!["google_tpu_v2_vm.train".to_string()]);
}

#[test]
fn refresh_lists_endpoints_and_tpus_instead_of_getting_each() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
resource "google_vertex_ai_endpoint" "e" {
  count        = 60
  name         = tostring(1000 + count.index)
  display_name = "endpoint-${count.index}"
  location     = "us-central1"
}
resource "google_tpu_v2_vm" "t" {
  count            = 60
  name             = "tpu-${count.index}"
  runtime_version  = "tpu-ubuntu2204-base"
  accelerator_type = "v5litepod-1"
}
"#,
    );
    let r = d.gantry_with(&["apply", "-auto-approve", "-parallelism=30"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    g.control("reset-stats", json!({}));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let stats = g.control("stats", json!({}));
    let count = |m: &str| stats[m].as_u64().unwrap_or(0);
    // 120 objects: one list call per collection and location, at most 120/50 = 2 calls.
    let calls = count("aiplatform.projects.locations.endpoints.list")
        + count("aiplatform.projects.locations.endpoints.get")
        + count("tpu.projects.locations.nodes.list")
        + count("tpu.projects.locations.nodes.get");
    assert!(calls <= 2, "refresh made {calls} calls: {stats}");
    assert_eq!(
        count("aiplatform.projects.locations.endpoints.list"),
        1,
        "{stats}"
    );
}

#[test]
fn endpoints_models_and_buckets_made_elsewhere_are_imported() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    // Made by another tool: one endpoint through the API.
    let api = g.api_url();
    let made = std::process::Command::new("curl")
        .args([
            "-s",
            "-XPOST",
            &format!("{api}/aiplatform/v1/projects/{PROJECT}/locations/us-central1/endpoints?endpointId=42"),
            "-d",
            r#"{"displayName": "made-elsewhere", "labels": {"owner": "data"}}"#,
        ])
        .output()
        .unwrap();
    assert!(made.status.success());
    d.write(
        "main.tf",
        r#"
resource "google_vertex_ai_endpoint" "old" {
  name         = "42"
  display_name = "made-elsewhere"
  location     = "us-central1"
  labels       = { owner = "data" }
}
"#,
    );
    // The create operation finishes on the server's clock when polled: poll it once.
    let ops = g.api_get(&format!(
        "/aiplatform/v1/projects/{PROJECT}/locations/us-central1/endpoints/42"
    ));
    assert!(ops["error"].is_object() || ops["name"].is_string());
    let op: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    for _ in 0..3 {
        g.api_get(&format!("/aiplatform/v1/{}", op["name"].as_str().unwrap()));
    }
    let r = d.gantry_with(
        &[
            "import",
            "google_vertex_ai_endpoint.old",
            &format!("projects/{PROJECT}/locations/us-central1/endpoints/42"),
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "imported endpoint plans no change:\n{}", r.all());
}

/// gcloud, a client gantry does not control, reads what gantry made through the same test
/// server: the server speaks Google's protocol, not only gantry's dialect.
#[test]
fn gcloud_reads_what_gantry_made() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
resource "google_vertex_ai_endpoint" "e" {
  name         = "777"
  display_name = "seen-by-gcloud"
  location     = "us-central1"
}
resource "google_tpu_v2_vm" "t" {
  name             = "seen-tpu"
  runtime_version  = "tpu-ubuntu2204-base"
  accelerator_type = "v5litepod-4"
}
resource "google_compute_instance" "vm" {
  name         = "seen-vm"
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
resource "google_container_cluster" "k" {
  name                = "seen-cluster"
  location            = "us-central1-a"
  initial_node_count  = 1
  deletion_protection = false
}
"#,
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let config = Dir::new();
    let gcloud = |args: &[&str]| {
        let out = std::process::Command::new("gcloud")
            .args(args)
            .args(["--format=json", "--quiet"])
            .env("CLOUDSDK_CONFIG", config.path())
            .env("CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "true")
            .env("CLOUDSDK_CORE_PROJECT", PROJECT)
            .env("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true")
            .env("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true")
            .env(
                "CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM",
                format!("{}/aiplatform/", g.api_url()),
            )
            .env(
                "CLOUDSDK_API_ENDPOINT_OVERRIDES_TPU",
                format!("{}/tpu/", g.api_url()),
            )
            .env(
                "CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE",
                format!("{}/compute/compute/v1/", g.api_url()),
            )
            .env(
                "CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER",
                format!("{}/container/", g.api_url()),
            )
            .output()
            .expect("gcloud is part of this machine image");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let endpoints = gcloud(&["ai", "endpoints", "list", "--region=us-central1"]);
    assert_eq!(endpoints[0]["displayName"], "seen-by-gcloud", "{endpoints}");
    let tpus = gcloud(&["compute", "tpus", "tpu-vm", "list", "--zone=us-central1-a"]);
    assert_eq!(tpus[0]["state"], "READY", "{tpus}");
    assert_eq!(tpus[0]["acceleratorType"], "v5litepod-4");
    let vms = gcloud(&["compute", "instances", "list"]);
    assert_eq!(vms[0]["name"], "seen-vm", "{vms}");
    assert_eq!(vms[0]["status"], "RUNNING");
    let clusters = gcloud(&["container", "clusters", "list", "--location=us-central1-a"]);
    assert_eq!(clusters[0]["name"], "seen-cluster", "{clusters}");
    assert_eq!(clusters[0]["status"], "RUNNING");
}

/// Everything the stack made, imported into a fresh state by hashicorp/google's id formats,
/// plans no change but for settings only the state holds; a new TPU runtime replaces the TPU.
#[test]
fn the_whole_stack_is_imported_and_a_new_runtime_replaces_the_tpu() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write("main.tf", &stack(2, "g2-standard-8", "ml"));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let dm = endpoint(&g)["deployedModels"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ep = format!("projects/{PROJECT}/locations/us-central1/endpoints/1234567890");
    let d2 = Dir::new();
    d2.write("main.tf", &stack(2, "g2-standard-8", "ml"));
    for (addr, id) in [
        ("google_storage_bucket.models", "gantry-models".to_string()),
        (
            "google_storage_bucket_object.weights",
            "gantry-models/llama/model.safetensors".to_string(),
        ),
        (
            "google_vertex_ai_model.llama",
            format!("projects/{PROJECT}/locations/us-central1/models/llama"),
        ),
        ("google_vertex_ai_endpoint.serve", ep.clone()),
        (
            "google_vertex_ai_endpoint_deployed_model.llama",
            format!("{ep}/deployedModels/{dm}"),
        ),
        (
            "google_tpu_v2_vm.train",
            format!("projects/{PROJECT}/locations/us-central1-a/nodes/train-v5e"),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    assert!(!r.stdout.contains("will be created"), "{}", r.stdout);
    let changed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && l.trim_start().starts_with(['~', '+', '-']))
        .collect();
    for line in &changed {
        assert!(
            line.contains("force_destroy") || line.contains("content "),
            "only state-only settings may differ after import: {line}\n{}",
            r.stdout
        );
    }

    // A TPU's runtime cannot change in place: a new TPU.
    d.write(
        "main.tf",
        &stack(2, "g2-standard-8", "ml").replace("v2-alpha-tpuv5-lite", "tpu-ubuntu2204-base"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("google_tpu_v2_vm.train must be replaced"),
        "{}",
        r.stdout
    );
    let tpu = g.api_get(&format!(
        "/tpu/v2/projects/{PROJECT}/locations/us-central1-a/nodes/train-v5e"
    ));
    assert_eq!(tpu["runtimeVersion"], "tpu-ubuntu2204-base");
}

/// `examples/gcp-vertex-tpu` as shipped: applied, no-change plan, scaled, destroyed.
#[test]
fn the_gcp_example_applies_scales_and_destroys() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/gcp-vertex-tpu/main.tf"
        ))
        .unwrap(),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(
        &["apply", "-auto-approve", "-var", "serving_replicas=3"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("updated in-place"), "{}", r.stdout);
    let r = d.gantry_with(
        &["destroy", "-auto-approve", "-var", "serving_replicas=3"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
}
