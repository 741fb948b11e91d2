//! GKE against the discovery-built test server (tests/google/container.py): a cluster with a
//! GPU pool and a TPU slice pool — created (pools in parallel, which GKE refuses unless they
//! queue), read back, scaled and relabelled in place, replaced on a new machine shape,
//! imported and destroyed; refresh batched per project and cluster.

mod common;

use common::google::{Google, PROJECT};
use common::Dir;
use serde_json::json;

fn stack(
    gpu_machine: &str,
    gpu_nodes: u32,
    taint_effect: &str,
    channel: &str,
    team: &str,
) -> String {
    format!(
        r#"
resource "google_container_cluster" "ml" {{
  name                     = "ml"
  location                 = "us-central1"
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = false
  resource_labels          = {{ team = "{team}" }}
  release_channel {{
    channel = "{channel}"
  }}
  workload_identity_config {{
    workload_pool = "{PROJECT}.svc.id.goog"
  }}
}}

resource "google_container_node_pool" "gpu" {{
  name           = "gpu"
  cluster        = google_container_cluster.ml.id
  node_count     = {gpu_nodes}
  node_locations = ["us-central1-a", "us-central1-b"]
  node_config {{
    machine_type = "{gpu_machine}"
    labels       = {{ accelerator = "t4" }}
    taint {{
      key    = "nvidia.com/gpu"
      value  = "present"
      effect = "{taint_effect}"
    }}
    guest_accelerator {{
      type  = "nvidia-tesla-t4"
      count = 1
      gpu_driver_installation_config {{
        gpu_driver_version = "LATEST"
      }}
    }}
    oauth_scopes = ["cloud-platform"]
  }}
  management {{
    auto_repair  = true
    auto_upgrade = true
  }}
}}

resource "google_container_node_pool" "tpu" {{
  name           = "tpu-v5e"
  cluster        = google_container_cluster.ml.name
  location       = "us-central1"
  node_count     = 2
  node_locations = ["us-central1-a"]
  node_config {{
    machine_type = "ct5lp-hightpu-4t"
  }}
  placement_policy {{
    type         = "COMPACT"
    tpu_topology = "2x4"
  }}
}}
"#
    )
}

const CLUSTER: &str = "projects/gantry-test/locations/us-central1/clusters/ml";

fn objects(g: &Google) -> serde_json::Value {
    g.control("objects", json!({}))
}

fn group_sizes(g: &Google, pool: &str) -> Vec<i64> {
    let pool = g.api_get(&format!("/container/v1/{CLUSTER}/nodePools/{pool}"));
    let all = objects(g);
    pool["instanceGroupUrls"]
        .as_array()
        .unwrap_or_else(|| panic!("{pool}"))
        .iter()
        .map(|u| {
            let key = u.as_str().unwrap().split("/compute/v1/").nth(1).unwrap();
            all[format!("compute:{key}")]["targetSize"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[test]
fn a_cluster_with_gpu_and_tpu_pools_lives_and_dies() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        &stack("n1-standard-8", 2, "NO_SCHEDULE", "REGULAR", "ml"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve", "-parallelism=10"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    let cluster = g.api_get(&format!("/container/v1/{CLUSTER}"));
    assert_eq!(cluster["status"], "RUNNING", "{cluster}");
    assert_eq!(cluster["resourceLabels"], json!({"team": "ml"}));
    let pools: Vec<&str> = cluster["nodePools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(pools, vec!["gpu", "tpu-v5e"], "the default pool is removed");
    let gpu = g.api_get(&format!("/container/v1/{CLUSTER}/nodePools/gpu"));
    assert_eq!(
        gpu["config"]["accelerators"][0],
        json!({"acceleratorType": "nvidia-tesla-t4", "acceleratorCount": "1",
               "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}})
    );
    assert_eq!(gpu["config"]["taints"][0]["effect"], "NO_SCHEDULE");
    assert_eq!(group_sizes(&g, "gpu"), vec![2, 2], "two nodes in each zone");
    let tpu = g.api_get(&format!("/container/v1/{CLUSTER}/nodePools/tpu-v5e"));
    assert_eq!(tpu["placementPolicy"]["tpuTopology"], "2x4");
    let st = d.state_json();
    let pool_state = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "gpu")
        .unwrap()["instances"][0]["attributes"]
        .clone();
    assert_eq!(pool_state["node_count"], 2);
    assert_eq!(pool_state["id"], format!("{CLUSTER}/nodePools/gpu"));

    // Batched refresh: one cluster list, one cluster read for both pools, one group list.
    g.control("reset-stats", json!({}));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());
    let stats = g.control("stats", json!({}));
    assert_eq!(
        stats["container.projects.locations.clusters.list"], 1,
        "{stats}"
    );
    assert_eq!(
        stats["container.projects.locations.clusters.get"], 1,
        "{stats}"
    );
    assert_eq!(
        stats["compute.instanceGroupManagers.aggregatedList"], 1,
        "{stats}"
    );
    assert!(
        stats
            .get("container.projects.locations.clusters.nodePools.get")
            .is_none(),
        "{stats}"
    );

    // In place: 3 nodes per zone, a new taint effect, new cluster labels and channel.
    d.write(
        "main.tf",
        &stack("n1-standard-8", 3, "NO_EXECUTE", "RAPID", "research"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    assert_eq!(group_sizes(&g, "gpu"), vec![3, 3]);
    let gpu2 = g.api_get(&format!("/container/v1/{CLUSTER}/nodePools/gpu"));
    assert_eq!(gpu2["config"]["taints"][0]["effect"], "NO_EXECUTE");
    assert_eq!(
        gpu2["instanceGroupUrls"], gpu["instanceGroupUrls"],
        "the same pool"
    );
    let cluster2 = g.api_get(&format!("/container/v1/{CLUSTER}"));
    assert_eq!(cluster2["resourceLabels"], json!({"team": "research"}));
    assert_eq!(cluster2["releaseChannel"]["channel"], "RAPID");
    assert_eq!(cluster2["id"], cluster["id"]);

    // A new machine shape is a new pool.
    d.write(
        "main.tf",
        &stack("n1-standard-16", 3, "NO_EXECUTE", "RAPID", "research"),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("google_container_node_pool.gpu must be replaced"),
        "{}",
        r.stdout
    );
    let gpu3 = g.api_get(&format!("/container/v1/{CLUSTER}/nodePools/gpu"));
    assert_eq!(gpu3["config"]["machineType"], "n1-standard-16");

    // Drift: the pool scaled out of band is scaled back.
    for u in gpu3["instanceGroupUrls"].as_array().unwrap() {
        let key = u.as_str().unwrap().split("/compute/v1/").nth(1).unwrap();
        g.control(
            "mutate",
            json!({"api": "compute", "key": key, "set": {"targetSize": 5}}),
        );
    }
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout.contains("node_count") && r.stdout.contains("5 -> 3"),
        "{}",
        r.stdout
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(group_sizes(&g, "gpu"), vec![3, 3]);

    // Import: only the state-only settings plan (deletion_protection,
    // remove_default_node_pool), as with Terraform.
    let d2 = Dir::new();
    d2.write(
        "main.tf",
        &stack("n1-standard-16", 3, "NO_EXECUTE", "RAPID", "research"),
    );
    for (addr, id) in [
        ("google_container_cluster.ml", CLUSTER.to_string()),
        (
            "google_container_node_pool.gpu",
            format!("{PROJECT}/us-central1/ml/gpu"),
        ),
        (
            "google_container_node_pool.tpu",
            format!("{CLUSTER}/nodePools/tpu-v5e"),
        ),
    ] {
        let r = d2.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    let changed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && l.trim_start().starts_with(['~', '+', '-']))
        .collect();
    assert_eq!(changed.len(), 2, "{}", r.stdout);
    assert!(changed[0].contains("deletion_protection"), "{}", r.stdout);
    assert!(
        changed[1].contains("remove_default_node_pool"),
        "{}",
        r.stdout
    );

    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        g.api_get(&format!("/container/v1/{CLUSTER}"))["error"]["code"],
        404
    );
    let left: Vec<String> = objects(&g)
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.contains("instanceGroupManagers"))
        .cloned()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_gpu_pool_in_a_zone_without_that_gpu_fails_with_gkes_message() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    let cfg = stack("n1-standard-8", 1, "NO_SCHEDULE", "REGULAR", "ml").replace(
        "node_locations = [\"us-central1-a\", \"us-central1-b\"]\n",
        "",
    );
    d.write("main.tf", &cfg);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    let out = r.all();
    assert!(
        out.contains("\"nvidia-tesla-t4\" does not exist in zone us-central1-c"),
        "{out}"
    );
    assert!(out.contains("google_container_node_pool.gpu"), "{out}");
    // Everything else landed; the pool is not recorded.
    let addrs = d.addresses();
    assert!(
        addrs.contains(&"google_container_node_pool.tpu".to_string()),
        "{addrs:?}"
    );
    assert!(
        !addrs.contains(&"google_container_node_pool.gpu".to_string()),
        "{addrs:?}"
    );
}
