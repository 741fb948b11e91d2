//! Terraform's CLI habits, as a seasoned user types them: exit codes, environment variables,
//! and the everyday commands around plan and apply.

mod common;
use common::{terraform, Dir};

const CONFIG: &str = r#"
variable "n" {
  default = 1
}
resource "terraform_data" "a" {
  input = "a-${var.n}"
}
resource "terraform_data" "b" {
  input = terraform_data.a.output
}
resource "terraform_data" "c" {
  input = "c"
}
output "a" {
  value = terraform_data.a.output
}
"#;

fn applied() -> Dir {
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let r = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    d
}

#[test]
fn usage_errors_exit_1_and_version_reports_the_language() {
    let d = Dir::new();
    let r = d.gantry(&["plan", "-no-such-flag"]);
    assert_eq!(
        r.code,
        1,
        "usage errors exit 1 (2 means changes): {}",
        r.all()
    );
    let r = d.gantry(&["version", "-json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["terraform_version"], "1.11.4");
    assert!(j["platform"].as_str().unwrap().contains('_'));
    let r = d.gantry(&["version"]);
    assert!(r.stdout.starts_with("gantry v"), "{}", r.stdout);
}

#[test]
fn tf_cli_args_and_tf_log_path_are_honoured() {
    let d = applied();
    // TF_CLI_ARGS_plan adds flags after the command name.
    let r = d.gantry_env(
        &["plan", "-detailed-exitcode"],
        &[("TF_CLI_ARGS_plan", "-var='n=2'")],
    );
    assert_eq!(
        r.code,
        2,
        "the variable from TF_CLI_ARGS_plan changes a: {}",
        r.all()
    );
    let r = d.gantry_env(
        &["plan", "-detailed-exitcode"],
        &[("TF_CLI_ARGS", "-var=n=1")],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_env(&["plan"], &[("TF_CLI_ARGS", "-var='unterminated")]);
    assert_eq!(r.code, 1, "{}", r.all());
    let log = d.path().join("gantry.log");
    let r = d.gantry_env(
        &["plan"],
        &[("TF_LOG", "DEBUG"), ("TF_LOG_PATH", log.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 0),
        "TF_LOG_PATH written"
    );
    // TF_WORKSPACE picks a workspace (a new one: everything to create, nothing touched).
    let r = d.gantry_env(
        &["plan", "-detailed-exitcode"],
        &[("TF_WORKSPACE", "staging")],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout.contains("terraform_data.a will be created"),
        "{}",
        r.stdout
    );
    let r = d.gantry_env(&["plan"], &[("TF_WORKSPACE", "bad/name")]);
    assert_eq!(r.code, 1, "{}", r.all());
}

#[test]
fn validate_json_is_terraforms_document() {
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let r = d.gantry(&["validate", "-json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["format_version"], "1.0");
    assert_eq!(j["valid"], true);
    assert_eq!(j["error_count"], 0);
    d.write(
        "bad.tf",
        "resource \"terraform_data\" \"x\" {\n  input = var.nope\n}\n",
    );
    let r = d.gantry(&["validate", "-json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["valid"], false);
    assert!(j["error_count"].as_u64().unwrap() >= 1);
    let d0 = &j["diagnostics"][0];
    assert_eq!(d0["severity"], "error");
    assert_eq!(d0["range"]["filename"], "bad.tf");
    assert_eq!(d0["range"]["start"]["line"], 2);
}

#[test]
fn taint_replaces_at_the_next_plan_and_terraform_agrees() {
    let d = applied();
    let r = d.gantry(&["taint", "terraform_data.c"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let st = d.state_json();
    let c = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "c")
        .unwrap();
    assert_eq!(c["instances"][0]["status"], "tainted");
    let r = d.gantry(&["plan"]);
    assert!(
        r.stdout
            .contains("# terraform_data.c is tainted, so must be replaced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        r.stdout
    );
    // Terraform reads the same mark the same way.
    assert_eq!(terraform(d.path(), &["init"]).code, 0);
    let t = terraform(d.path(), &["plan", "-no-color"]);
    assert!(
        t.stdout
            .contains("terraform_data.c is tainted, so must be replaced"),
        "{}",
        t.all()
    );
    let r = d.gantry(&["untaint", "terraform_data.c"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(d.gantry(&["plan", "-detailed-exitcode"]).code, 0);
    assert_eq!(d.gantry(&["untaint", "terraform_data.c"]).code, 1);
    assert_eq!(d.gantry(&["taint", "terraform_data.zzz"]).code, 1);
    assert_eq!(
        d.gantry(&["taint", "-allow-missing", "terraform_data.zzz"])
            .code,
        0
    );
    // Applying the replacement clears the mark.
    d.gantry(&["taint", "terraform_data.c"]);
    assert_eq!(d.gantry(&["apply", "-auto-approve"]).code, 0);
    assert_eq!(d.gantry(&["plan", "-detailed-exitcode"]).code, 0);
}

#[test]
fn state_pull_push_and_dry_runs() {
    let d = applied();
    let pulled = d.gantry(&["state", "pull"]);
    assert_eq!(pulled.code, 0, "{}", pulled.all());
    let j: serde_json::Value = serde_json::from_str(&pulled.stdout).unwrap();
    assert_eq!(j["lineage"], d.state_json()["lineage"]);
    let before = d.state_bytes();
    let r = d.gantry(&["state", "rm", "-dry-run", "terraform_data.c"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("Would remove terraform_data.c"),
        "{}",
        r.stdout
    );
    let r = d.gantry(&[
        "state",
        "mv",
        "-dry-run",
        "terraform_data.c",
        "terraform_data.d",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(d.state_bytes(), before, "dry runs change nothing");
    // A state of another lineage is refused without -force.
    let other = Dir::new();
    other.write("main.tf", "resource \"terraform_data\" \"z\" {}\n");
    assert_eq!(other.gantry(&["apply", "-auto-approve"]).code, 0);
    let foreign = other.state_path();
    let r = d.gantry(&["state", "push", foreign.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("lineage"), "{}", r.stderr);
    assert_eq!(d.state_bytes(), before);
    // The pulled state pushes back (same lineage, same serial).
    d.write("pulled.tfstate", &pulled.stdout);
    let r = d.gantry(&["state", "push", "pulled.tfstate"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry(&["state", "push", "-force", foreign.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(d.addresses(), vec!["terraform_data.z".to_string()]);
}

#[test]
fn exclude_skips_objects_and_their_dependents_with_the_targeting_warning() {
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let r = d.gantry(&["plan", "-exclude=terraform_data.a"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("terraform_data.c will be created"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("terraform_data.a will"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("terraform_data.b will"),
        "b depends on a: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains("Resource targeting is in effect"),
        "{}",
        r.stderr
    );
    let r = d.gantry(&["plan", "-target=terraform_data.c", "-compact-warnings"]);
    assert!(
        r.stderr.contains("- Resource targeting is in effect"),
        "{}",
        r.stderr
    );
}

#[test]
fn console_providers_graph_and_init_flags() {
    let d = applied();
    let r = d.gantry_stdin(
        &["console"],
        "terraform_data.a.output\nupper(var.n == 1 ? \"yes\" : \"no\")\n",
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.stdout, "\"a-1\"\n\"YES\"\n");
    let r = d.gantry_stdin(&["console"], "nope(\n");
    assert_eq!(r.code, 1, "{}", r.all());
    let r = d.gantry(&["providers"]);
    assert!(
        r.stdout
            .contains("provider[terraform.io/builtin/terraform]"),
        "{}",
        r.stdout
    );
    assert_eq!(d.gantry(&["graph", "-type=plan-destroy"]).code, 0);
    assert_eq!(d.gantry(&["graph", "-type=bogus"]).code, 1);
    assert_eq!(
        d.gantry(&["init", "-reconfigure", "-migrate-state", "-backend=false"])
            .code,
        0
    );
    let r = d.gantry(&["init", "-backend-config=path=x.tfstate"]);
    assert_eq!(r.code, 1, "{}", r.all());
}
