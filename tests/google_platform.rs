//! The project plumbing an AI stack needs on Google, against the discovery-built test server
//! (tests/google/platform_apis.py): APIs enabled, a serving identity with its roles, a
//! BigQuery dataset — created, read back, changed in place, drifted, imported, destroyed;
//! IAM policy edits that race (409 ABORTED) retried; refresh batched per project.

mod common;

use common::google::{Google, PROJECT};
use common::Dir;
use serde_json::json;

fn stack(display: &str, label: &str, roles: &[&str]) -> String {
    let members: String = roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                r#"
resource "google_project_iam_member" "serving_{i}" {{
  project = "{PROJECT}"
  role    = "{r}"
  member  = google_service_account.serving.member
}}
"#
            )
        })
        .collect();
    format!(
        r#"
resource "google_project_service" "apis" {{
  for_each = toset(["aiplatform.googleapis.com", "tpu.googleapis.com", "compute.googleapis.com",
                    "vision.googleapis.com", "translate.googleapis.com", "dialogflow.googleapis.com"])
  service  = each.key
}}

resource "google_service_account" "serving" {{
  account_id   = "model-serving"
  display_name = "{display}"
  depends_on   = [google_project_service.apis]
}}
{members}
resource "google_bigquery_dataset" "predictions" {{
  dataset_id                 = "predictions"
  location                   = "US"
  description                = "served predictions"
  default_table_expiration_ms = 86400000
  labels                     = {{ team = "{label}" }}
  delete_contents_on_destroy = true
}}
"#
    )
}

const SA: &str =
    "projects/gantry-test/serviceAccounts/model-serving@gantry-test.iam.gserviceaccount.com";
const MEMBER: &str = "serviceAccount:model-serving@gantry-test.iam.gserviceaccount.com";

fn policy(g: &Google) -> serde_json::Value {
    let objects = g.control("objects", json!({}));
    objects[format!("cloudresourcemanager:projects/{PROJECT}:policy")].clone()
}

fn roles_of(g: &Google, member: &str) -> Vec<String> {
    let mut out: Vec<String> = policy(g)["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["members"].as_array().unwrap().iter().any(|m| m == member))
        .map(|b| b["role"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn apis_identity_roles_and_a_dataset_live_and_die() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    let roles = [
        "roles/aiplatform.user",
        "roles/storage.objectViewer",
        "roles/bigquery.dataEditor",
    ];
    d.write("main.tf", &stack("Model serving", "ml", &roles));
    // Another administrator's edit lands between gantry's read and write once: retried.
    g.control(
        "fault",
        json!({"method": "cloudresourcemanager.projects.setIamPolicy", "times": 1,
               "http": {"code": 409, "status": "ABORTED",
                        "message": "There were concurrent policy changes."}}),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    let objects = g.control("objects", json!({}));
    for s in [
        "aiplatform",
        "tpu",
        "compute",
        "vision",
        "translate",
        "dialogflow",
    ] {
        let o = &objects[format!("serviceusage:projects/{PROJECT}/services/{s}.googleapis.com")];
        assert_eq!(o["state"], "ENABLED", "{s}: {o}");
    }
    let sa = g.api_get(&format!("/iam/v1/{SA}"));
    assert_eq!(sa["displayName"], "Model serving", "{sa}");
    let mut want: Vec<String> = roles.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(roles_of(&g, MEMBER), want);
    assert_eq!(
        roles_of(&g, "user:owner@example.com"),
        vec!["roles/owner".to_string()],
        "other bindings are left alone"
    );
    let ds = g.api_get(&format!(
        "/bigquery/bigquery/v2/projects/{PROJECT}/datasets/predictions"
    ));
    assert_eq!(ds["labels"], json!({"team": "ml"}), "{ds}");
    assert_eq!(ds["defaultTableExpirationMs"], "86400000");
    let st = d.state_json();
    let iam = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "serving_0")
        .unwrap();
    assert_eq!(
        iam["instances"][0]["attributes"]["id"],
        format!("{PROJECT}/roles/aiplatform.user/{MEMBER}")
    );

    // Batched refresh: one services list and one policy read for the whole project.
    g.control("reset-stats", json!({}));
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "a fresh apply plans no changes:\n{}", r.all());
    let stats = g.control("stats", json!({}));
    assert_eq!(stats["serviceusage.services.list"], 1, "{stats}");
    assert!(stats.get("serviceusage.services.get").is_none(), "{stats}");
    assert_eq!(
        stats["cloudresourcemanager.projects.getIamPolicy"], 1,
        "{stats}"
    );

    // In place: display name (PATCH with a mask), dataset labels; one role dropped.
    d.write(
        "main.tf",
        &stack("Serving identity", "research", &roles[..2]),
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
    let sa2 = g.api_get(&format!("/iam/v1/{SA}"));
    assert_eq!(sa2["displayName"], "Serving identity");
    assert_eq!(sa2["uniqueId"], sa["uniqueId"], "the same account");
    assert_eq!(
        roles_of(&g, MEMBER),
        vec![
            "roles/aiplatform.user".to_string(),
            "roles/storage.objectViewer".to_string()
        ]
    );
    let ds2 = g.api_get(&format!(
        "/bigquery/bigquery/v2/projects/{PROJECT}/datasets/predictions"
    ));
    assert_eq!(ds2["labels"], json!({"team": "research"}));

    // Drift: a role removed out of band is granted again.
    let mut pol = policy(&g);
    for b in pol["bindings"].as_array_mut().unwrap() {
        if b["role"] == "roles/aiplatform.user" {
            b["members"] = json!([]);
        }
    }
    pol["bindings"]
        .as_array_mut()
        .unwrap()
        .retain(|b| !b["members"].as_array().unwrap().is_empty());
    g.control(
        "seed",
        json!({"api": "cloudresourcemanager", "key": format!("projects/{PROJECT}:policy"), "object": pol}),
    );
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout
            .contains("google_project_iam_member.serving_0 will be created"),
        "{}",
        r.stdout
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(roles_of(&g, MEMBER).contains(&"roles/aiplatform.user".to_string()));

    // Import into a fresh state: no change planned.
    let d2 = Dir::new();
    d2.write(
        "main.tf",
        &stack("Serving identity", "research", &roles[..2]),
    );
    let mut imports: Vec<(String, String)> = vec![
        ("google_service_account.serving".into(), SA.into()),
        (
            "google_bigquery_dataset.predictions".into(),
            format!("{PROJECT}/predictions"),
        ),
        (
            "google_project_iam_member.serving_0".into(),
            format!("{PROJECT} roles/aiplatform.user {MEMBER}"),
        ),
        (
            "google_project_iam_member.serving_1".into(),
            format!("{PROJECT}/roles/storage.objectViewer/{MEMBER}"),
        ),
    ];
    for s in [
        "aiplatform",
        "tpu",
        "compute",
        "vision",
        "translate",
        "dialogflow",
    ] {
        imports.push((
            format!("google_project_service.apis[\"{s}.googleapis.com\"]"),
            format!("{PROJECT}/{s}.googleapis.com"),
        ));
    }
    for (addr, id) in &imports {
        let r = d2.gantry_with(&["import", addr, id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    // As with Terraform, the state-only delete_contents_on_destroy is the one update an
    // imported dataset plans.
    let r = d2.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    let changed: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && l.trim_start().starts_with(['~', '+', '-']))
        .collect();
    assert_eq!(changed.len(), 1, "{}", r.stdout);
    assert!(
        changed[0].contains("delete_contents_on_destroy") && changed[0].contains("false -> true")
    );

    // Destroy: roles revoked (the owner's binding stays), account and dataset deleted,
    // APIs disabled.
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(roles_of(&g, MEMBER).is_empty());
    assert_eq!(
        roles_of(&g, "user:owner@example.com"),
        vec!["roles/owner".to_string()]
    );
    assert_eq!(g.api_get(&format!("/iam/v1/{SA}"))["error"]["code"], 404);
    assert_eq!(
        g.api_get(&format!(
            "/bigquery/bigquery/v2/projects/{PROJECT}/datasets/predictions"
        ))["error"]["code"],
        404
    );
    let objects = g.control("objects", json!({}));
    assert_eq!(
        objects[format!("serviceusage:projects/{PROJECT}/services/aiplatform.googleapis.com")]
            ["state"],
        "DISABLED"
    );
}

#[test]
fn an_unknown_api_fails_with_googles_message() {
    let g = Google::start();
    let env = g.env();
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
resource "google_project_service" "typo" {
  service = "aiplatfrom.googleapis"
}
"#,
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all()
            .contains("Not found or permission denied for service(s): aiplatfrom.googleapis"),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains("google_project_service.typo"),
        "{}",
        r.all()
    );
    assert!(d.addresses().is_empty());
}
