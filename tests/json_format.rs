//! Machine-readable output: `show -json` plans validate against the JSON schema of
//! Terraform's plan format kept in tests/schemas (and Terraform's own output validates against
//! the same schema, when terraform is on PATH); `-json` streams are JSON lines; sensitive
//! values appear nowhere.

mod common;
use common::Dir;
use serde_json::Value as Json;

const SECRET: &str = "pa55-w0rd-QUUX";

const CONFIG: &str = r#"
variable "token" {
  type      = string
  sensitive = true
}
variable "replicas" {
  default = 2
}
resource "terraform_data" "model" {
  input            = { name = "llama", token = var.token }
  triggers_replace = [var.replicas]
}
resource "terraform_data" "replica" {
  count = var.replicas
  input = "replica-${count.index}-${terraform_data.model.id}"
}
output "replicas" {
  value = terraform_data.replica[*].output
}
output "token" {
  value     = var.token
  sensitive = true
}
"#;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/terraform-plan.schema.json"
    ))
    .unwrap();
    let j: Json = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&j).expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Json, who: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{who} plan JSON does not match the schema:\n{}",
        errors.join("\n")
    );
}

fn planned_dir() -> Dir {
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let env = [("TF_VAR_token", SECRET)];
    assert_eq!(d.gantry_env(&["apply", "-auto-approve"], &env).code, 0);
    let p = d.gantry_env(&["plan", "-out=tfplan", "-var", "replicas=3"], &env);
    assert_eq!(p.code, 0, "{}", p.all());
    d
}

#[test]
fn show_json_plan_matches_terraforms_schema_and_hides_secrets() {
    let d = planned_dir();
    let r = d.gantry(&["show", "-json", "tfplan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains(SECRET), "secret leaked: {}", r.stdout);
    let doc: Json = serde_json::from_str(&r.stdout).unwrap();
    assert_valid(&schema(), &doc, "gantry");
    // The schema is not vacuous: a plan without resource changes, or with a bad action, fails.
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("resource_changes");
    assert!(!schema().is_valid(&broken));
    let mut bad_action = doc.clone();
    bad_action["resource_changes"][0]["change"]["actions"] = serde_json::json!(["replace"]);
    assert!(!schema().is_valid(&bad_action));

    assert_eq!(doc["format_version"], "1.2");
    let changes = doc["resource_changes"].as_array().unwrap();
    let find = |a: &str| {
        changes
            .iter()
            .find(|c| c["address"] == a)
            .unwrap_or_else(|| panic!("{a} missing"))
    };
    let model = find("terraform_data.model");
    assert_eq!(
        model["change"]["actions"],
        serde_json::json!(["delete", "create"])
    );
    assert_eq!(model["action_reason"], "replace_because_cannot_update");
    assert_eq!(
        model["change"]["replace_paths"],
        serde_json::json!([["triggers_replace"]])
    );
    assert_eq!(model["change"]["after_unknown"]["id"], true);
    assert_eq!(model["change"]["after"]["input"]["token"], Json::Null);
    assert_eq!(model["change"]["after_sensitive"]["input"]["token"], true);
    let new = find("terraform_data.replica[2]");
    assert_eq!(new["change"]["actions"], serde_json::json!(["create"]));
    assert_eq!(new["index"], 2);
    assert!(
        doc["configuration"]["root_module"]["resources"][1]["count_expression"]["references"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("var.replicas"))
    );
    assert_eq!(doc["output_changes"]["token"]["after_sensitive"], true);
    assert_eq!(doc["variables"]["token"]["value"], Json::Null);
    assert_eq!(doc["variables"]["replicas"]["value"], "3");
}

#[test]
fn terraforms_own_plan_json_matches_the_same_schema() {
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let tf = |args: &[&str]| -> common::Run {
        std::process::Command::new("terraform")
            .args(args)
            .current_dir(d.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_VAR_token", SECRET)
            .output()
            .expect("terraform 1.11 must be on PATH for this comparison")
            .into()
    };
    assert_eq!(tf(&["init", "-input=false"]).code, 0);
    assert_eq!(tf(&["apply", "-auto-approve", "-input=false"]).code, 0);
    assert_eq!(
        tf(&["plan", "-out=tfplan", "-input=false", "-var", "replicas=3"]).code,
        0
    );
    let show = tf(&["show", "-json", "tfplan"]);
    let doc: Json = serde_json::from_str(&show.stdout).unwrap();
    assert_valid(&schema(), &doc, "terraform");
}

#[test]
fn json_streams_are_json_lines_without_secrets() {
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let env = [("TF_VAR_token", SECRET)];
    let check = |out: &str, want: &[&str]| {
        let mut kinds = Vec::new();
        for line in out.lines() {
            let j: Json =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            for k in ["@level", "@message", "@module", "@timestamp", "type"] {
                assert!(j.get(k).is_some(), "{k} missing in {line}");
            }
            kinds.push(j["type"].as_str().unwrap().to_string());
        }
        for w in want {
            assert!(kinds.iter().any(|k| k == w), "no {w} line in {kinds:?}");
        }
        assert!(!out.contains(SECRET), "secret leaked:\n{out}");
    };
    let plan = d.gantry_env(&["plan", "-json"], &env);
    assert_eq!(plan.code, 0, "{}", plan.all());
    check(
        &plan.stdout,
        &["version", "planned_change", "change_summary"],
    );
    let apply = d.gantry_env(&["apply", "-json", "-auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.all());
    check(
        &apply.stdout,
        &[
            "version",
            "apply_start",
            "apply_complete",
            "change_summary",
            "outputs",
        ],
    );
    // Errors arrive as diagnostic lines with a range.
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = var.nope\n}\n",
    );
    let bad = d.gantry(&["plan", "-json"]);
    assert_eq!(bad.code, 1);
    let diag = bad
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|j| j["type"] == "diagnostic")
        .expect("diagnostic line");
    assert_eq!(diag["diagnostic"]["range"]["start"]["line"], 2);
    assert_eq!(diag["diagnostic"]["range"]["filename"], "main.tf");
}

#[test]
fn show_json_state_uses_terraforms_values_format() {
    let d = planned_dir();
    let r = d.gantry(&["show", "-json"]);
    assert_eq!(r.code, 0);
    assert!(!r.stdout.contains(SECRET));
    let doc: Json = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format_version"], "1.0");
    let res = doc["values"]["root_module"]["resources"]
        .as_array()
        .unwrap();
    assert_eq!(res.len(), 3);
    assert_eq!(res[0]["sensitive_values"]["input"]["token"], true);
    assert_eq!(doc["values"]["outputs"]["token"]["sensitive"], true);
}

#[test]
fn module_plans_validate_and_nest_like_terraforms() {
    let d = common::fixture("modules");
    let r = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry(&["plan", "-out=tfplan", "-var", "replicas=3"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let show = d.gantry(&["show", "-json", "tfplan"]);
    let doc: Json = serde_json::from_str(&show.stdout).unwrap();
    assert_valid(&schema(), &doc, "gantry (modules)");
    let created: Vec<&Json> = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"]["actions"] == serde_json::json!(["create"]))
        .collect();
    assert!(!created.is_empty());
    for c in created {
        assert_eq!(
            c["module_address"].as_str(),
            c["address"]
                .as_str()
                .and_then(|a| a.rsplit_once(".terraform_data").map(|(m, _)| m)),
            "{c}"
        );
    }
    let eu = &doc["planned_values"]["root_module"]["child_modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["address"] == "module.serving[\"eu\"]")
        .expect("module.serving[\"eu\"] among the child modules")
        .clone();
    assert!(eu["child_modules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["address"] == "module.serving[\"eu\"].module.replica[2]"));
}
