//! End-to-end tests of the engine backbone through the `gantry` binary, with the builtin
//! `terraform_data` provider (no emulator needed).

mod common;
use common::Dir;

/// 30 counted + 20 for_each + 3 single resources, with variables, locals, outputs and
/// references between them.
const FIFTY: &str = r#"
variable "prefix" {
  type    = string
  default = "gpu"
}
variable "replicas" {
  type    = number
  default = 30
}
variable "zones" {
  type    = list(string)
  default = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"]
}
variable "model_version" {
  type    = string
  default = "v1"
}
locals {
  zone_map = { for z in var.zones : z => upper(z) }
  tag      = "${var.prefix}-${length(var.zones)}"
}
resource "terraform_data" "node" {
  count = var.replicas
  input = format("%s-%03d", var.prefix, count.index)
}
resource "terraform_data" "zone" {
  for_each = local.zone_map
  input    = { zone = each.key, label = each.value, tag = local.tag, first = terraform_data.node[0].output }
}
resource "terraform_data" "model" {
  input            = var.model_version
  triggers_replace = [var.model_version]
}
resource "terraform_data" "endpoint" {
  input = "serving ${terraform_data.model.output}"
}
resource "terraform_data" "bucket" {
  input = local.tag
}
output "node_names" {
  value = terraform_data.node[*].output
}
output "zone_labels" {
  value = { for k, z in terraform_data.zone : k => z.output.label }
}
output "endpoint" {
  value = terraform_data.endpoint.output
}
"#;

fn applied_fifty() -> Dir {
    let d = Dir::new();
    d.write("main.tf", FIFTY);
    let r = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 53 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    d
}

#[test]
fn fifty_resources_apply_then_the_second_plan_has_no_changes() {
    let d = applied_fifty();
    let addrs = d.addresses();
    assert_eq!(addrs.len(), 53, "{addrs:?}");
    assert!(addrs.contains(&"terraform_data.node[29]".to_string()));
    assert!(addrs.contains(&"terraform_data.zone[\"t\"]".to_string()));

    let out = d.gantry(&["output", "-json"]);
    let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(j["node_names"]["value"][7], "gpu-007");
    assert_eq!(j["zone_labels"]["value"]["c"], "C");
    assert_eq!(j["endpoint"]["value"], "serving v1");

    let again = d.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again
            .stdout
            .contains("No changes. Your infrastructure matches the configuration."),
        "{}",
        again.stdout
    );
}

#[test]
fn changing_one_variable_touches_exactly_the_dependents() {
    let d = applied_fifty();
    // model_version feeds model (input + triggers_replace) and, through it, endpoint.
    let r = d.gantry(&["plan", "-detailed-exitcode", "-var", "model_version=v2"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout.contains("# terraform_data.model must be replaced"),
        "{}",
        r.stdout
    );
    // As Terraform's renderer: no "# forces replacement" on a dynamically-typed attribute.
    assert!(!r.stdout.contains("# forces replacement"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("# terraform_data.endpoint will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 1 to add, 1 to change, 1 to destroy."),
        "{}",
        r.stdout
    );
    let touched = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("# terraform_data."))
        .count();
    assert_eq!(touched, 2, "only model and endpoint change:\n{}", r.stdout);

    let before = d.state_json();
    let a = d.gantry(&["apply", "-auto-approve", "-var", "model_version=v2"]);
    assert_eq!(a.code, 0, "{}", a.all());
    assert!(
        a.stdout
            .contains("Resources: 1 added, 1 changed, 1 destroyed."),
        "{}",
        a.stdout
    );
    let after = d.state_json();
    // Untouched objects keep their ids; the replaced one gets a new id.
    let id_of = |s: &serde_json::Value, name: &str| -> Vec<String> {
        s["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["name"] == name)
            .flat_map(|r| {
                r["instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["attributes"]["id"].as_str().unwrap().to_string())
            })
            .collect()
    };
    assert_eq!(id_of(&before, "node"), id_of(&after, "node"));
    assert_eq!(id_of(&before, "endpoint"), id_of(&after, "endpoint"));
    assert_ne!(id_of(&before, "model"), id_of(&after, "model"));
    let out = d.gantry(&["output", "-raw", "endpoint"]);
    assert_eq!(out.stdout, "serving v2");
}

#[test]
fn count_and_for_each_shrink_deletes_only_the_extra_instances() {
    let d = applied_fifty();
    let r = d.gantry(&["plan", "-var", "replicas=28", "-var", "zones=[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\",\"r\",\"s\",\"t\"]"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("# terraform_data.node[29] will be destroyed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("(because index [29] is out of range for count)")
            || r.stdout.contains("out of range for count"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 2 to destroy."),
        "{}",
        r.stdout
    );
}

#[test]
fn destroy_empties_the_state() {
    let d = applied_fifty();
    let r = d.gantry(&["destroy", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Destroy complete! Resources: 53 destroyed."),
        "{}",
        r.stdout
    );
    assert!(d.addresses().is_empty());
    let st = d.state_json();
    assert_eq!(st["resources"].as_array().unwrap().len(), 0);
    assert!(st["outputs"].as_object().unwrap().is_empty());
}

#[test]
fn prevent_destroy_stops_a_destroy_and_changes_nothing() {
    let d = Dir::new();
    d.write("main.tf", "resource \"terraform_data\" \"keep\" {\n  input = \"weights\"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n");
    assert_eq!(d.gantry(&["apply", "-auto-approve"]).code, 0);
    let before = d.state_bytes();
    let r = d.gantry(&["destroy", "-auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Instance cannot be destroyed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:1:1"), "{}", r.stderr);
    assert_eq!(d.state_bytes(), before, "state must be untouched");
    assert_eq!(d.addresses(), vec!["terraform_data.keep"]);
}

/// Each broken configuration must fail with exit 1, name file:line:col, and leave the state
/// exactly as it was.
#[test]
fn bad_configurations_fail_with_a_location_and_no_state_change() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"ok\" {\n  input = 1\n}\n",
    );
    assert_eq!(d.gantry(&["apply", "-auto-approve"]).code, 0);
    let before = d.state_bytes();
    let cases: &[(&str, &str, &str)] = &[
        (
            "cycle",
            "resource \"terraform_data\" \"ok\" {\n  input = 1\n}\nresource \"terraform_data\" \"a\" {\n  input = terraform_data.b.output\n}\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.output\n}\n",
            "Cycle in configuration",
        ),
        ("syntax", "resource \"terraform_data\" \"ok\" {\n  input = [1, 2\n}\n", "Invalid syntax"),
        ("unknown type", "resource \"terraform_data\" \"ok\" {\n  input = 1\n}\nresource \"terraform_nope\" \"x\" {\n}\n", "does not support resource type \"terraform_nope\""),
        ("undeclared", "resource \"terraform_data\" \"ok\" {\n  input = var.missing\n}\n", "Reference to undeclared input variable"),
        (
            "validation",
            "variable \"gpus\" {\n  type    = number\n  default = 3\n  validation {\n    condition     = contains([1, 2, 4, 8], var.gpus)\n    error_message = \"gpus must be 1, 2, 4 or 8.\"\n  }\n}\nresource \"terraform_data\" \"ok\" {\n  input = var.gpus\n}\n",
            "gpus must be 1, 2, 4 or 8.",
        ),
    ];
    for (name, src, expect) in cases {
        d.write("main.tf", src);
        for cmd in [&["plan"][..], &["apply", "-auto-approve"][..]] {
            let r = d.gantry(cmd);
            assert_eq!(r.code, 1, "{name}: {}", r.all());
            assert!(r.stderr.contains(expect), "{name}: {}", r.stderr);
            let located = regex_lite_find(&r.stderr);
            assert!(located, "{name}: no main.tf:LINE:COL in\n{}", r.stderr);
            assert_eq!(d.state_bytes(), before, "{name}: state changed");
        }
    }
    // The cycle names both members with their lines.
    d.write("main.tf", cases[0].1);
    let r = d.gantry(&["plan"]);
    assert!(
        r.stderr.contains("terraform_data.a (main.tf:4:1)")
            && r.stderr.contains("terraform_data.b (main.tf:7:1)"),
        "{}",
        r.stderr
    );
}

/// True when the text holds `main.tf:<line>:<col>`.
fn regex_lite_find(text: &str) -> bool {
    text.match_indices("main.tf:").any(|(i, _)| {
        let rest = &text[i + 8..];
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().unwrap_or("");
        let col: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) && !col.is_empty()
    })
}

#[test]
fn a_missing_required_variable_is_an_error_without_a_prompt() {
    let d = Dir::new();
    d.write("main.tf", "variable \"region\" {\n  type = string\n}\nresource \"terraform_data\" \"x\" {\n  input = var.region\n}\n");
    let r = d.gantry(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("No value for required variable") && r.stderr.contains("main.tf:1:1"),
        "{}",
        r.stderr
    );
    let ok = d.gantry_env(&["plan"], &[("TF_VAR_region", "eu-west-1")]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains("\"eu-west-1\""), "{}", ok.stdout);
}

#[test]
fn interactive_apply_needs_yes() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = 1\n}\n",
    );
    let run = |answer: &str| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"));
        c.arg("apply").current_dir(d.path()).env("NO_COLOR", "1");
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        common::Run::from(child.wait_with_output().unwrap())
    };
    let no = run("no\n");
    assert_eq!(no.code, 1, "{}", no.all());
    assert!(no.stdout.contains("Enter a value:"), "{}", no.stdout);
    assert!(no.stderr.contains("Apply cancelled"), "{}", no.stderr);
    assert!(d.addresses().is_empty());
    let yes = run("yes\n");
    assert_eq!(yes.code, 0, "{}", yes.all());
    assert_eq!(d.addresses(), vec!["terraform_data.x"]);
}

#[test]
fn a_second_writer_fails_at_once_naming_the_holder() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = 1\n}\n",
    );
    let backend = gantry::core::state::LocalBackend::new(d.state_path(), "test");
    let guard = backend
        .lock("OperationTypeApply", std::time::Duration::ZERO)
        .unwrap();
    let started = std::time::Instant::now();
    let r = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    // Without -lock-timeout there is no waiting at all; a regression would wait forever, so
    // a wide bound still catches it on a loaded machine.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "must fail at once"
    );
    assert!(
        r.stderr.contains(&guard.info.id)
            && r.stderr.contains("OperationTypeApply")
            && r.stderr.contains(&guard.info.who),
        "{}",
        r.stderr
    );
    // force-unlock needs the right id.
    let wrong = d.gantry(&["force-unlock", "-force", "not-the-id"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    // With -lock-timeout the second run waits for the lock and then succeeds.
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        drop(guard);
    });
    let waited = d.gantry(&["apply", "-auto-approve", "-lock-timeout=20s"]);
    holder.join().unwrap();
    assert_eq!(waited.code, 0, "{}", waited.all());
    assert_eq!(d.addresses(), vec!["terraform_data.x"]);
}

#[test]
fn saved_plans_apply_exactly_and_stale_ones_are_refused() {
    let d = Dir::new();
    d.write("main.tf", "variable \"v\" {\n  default = \"one\"\n}\nresource \"terraform_data\" \"x\" {\n  input = var.v\n}\n");
    let p = d.gantry(&["plan", "-out=tfplan", "-var", "v=two"]);
    assert_eq!(p.code, 0, "{}", p.all());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.path().join("tfplan"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    // A second plan file made now, applied after the first: the state has moved on.
    assert_eq!(d.gantry(&["plan", "-out=stale"]).code, 0);
    let a = d.gantry(&["apply", "tfplan"]);
    assert_eq!(a.code, 0, "{}", a.all());
    assert_eq!(d.gantry(&["output"]).code, 0);
    let st = d.state_json();
    assert_eq!(
        st["resources"][0]["instances"][0]["attributes"]["output"]["value"], "two",
        "the plan's variable value was used"
    );
    let before = d.state_bytes();
    let s = d.gantry(&["apply", "stale"]);
    assert_eq!(s.code, 1, "{}", s.all());
    assert!(s.stderr.contains("Saved plan is stale"), "{}", s.stderr);
    assert_eq!(d.state_bytes(), before);
    // A corrupt plan file is refused too.
    d.write("corrupt", "{\"format\": \"gantry-plan\", \"format_vers");
    let c = d.gantry(&["apply", "corrupt"]);
    assert_eq!(c.code, 1);
    assert!(c.stderr.contains("corrupt"), "{}", c.stderr);
    assert_eq!(d.state_bytes(), before);
}

#[test]
fn sensitive_variables_never_reach_output() {
    let d = Dir::new();
    d.write("main.tf", "variable \"token\" {\n  sensitive = true\n}\nresource \"terraform_data\" \"x\" {\n  input = \"t=${var.token}\"\n}\noutput \"o\" {\n  value     = terraform_data.x.output\n  sensitive = true\n}\n");
    let secret = "s3cr3t-XYZZY";
    let env = [("TF_VAR_token", secret)];
    for args in [
        &["plan", "-out=p"][..],
        &["apply", "-auto-approve"][..],
        &["show"][..],
        &["show", "-json"][..],
        &["show", "-json", "p"][..],
        &["state", "show", "terraform_data.x"][..],
        &["output"][..],
    ] {
        let r = d.gantry_env(args, &env);
        assert_eq!(r.code, 0, "{args:?}: {}", r.all());
        assert!(
            !r.all().contains(secret) && !r.all().contains("XYZZY"),
            "{args:?} leaked:\n{}",
            r.all()
        );
    }
    // Trace-level logging (the engine's and every crate's) and error output leak nothing.
    let traced = d.gantry_env(
        &["apply", "-auto-approve", "-var", "token=rotated-XYZZY"],
        &[("GANTRY_LOG", "trace")],
    );
    assert_eq!(traced.code, 0, "{}", traced.all());
    assert!(
        !traced.all().contains("XYZZY"),
        "trace log leaked:\n{}",
        traced.all()
    );
    d.write(
        "broken.tf",
        "resource \"terraform_data\" \"y\" {\n  input = var.token + 1\n}\n",
    );
    let failed = d.gantry_env(&["plan"], &env);
    assert_eq!(failed.code, 1, "{}", failed.all());
    assert!(
        !failed.all().contains(secret) && !failed.all().contains("XYZZY"),
        "error output leaked:\n{}",
        failed.all()
    );
    d.remove("broken.tf");
    let p = d.gantry_env(&["plan", "-var", "token=other"], &env);
    assert!(p.stdout.contains("(sensitive value)"), "{}", p.stdout);
    // The state keeps the value (it must, to diff) and marks it sensitive.
    let st = d.state_json();
    assert_eq!(
        st["resources"][0]["instances"][0]["sensitive_attributes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn state_rm_mv_and_show() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  count = 2\n  input = count.index\n}\n",
    );
    assert_eq!(d.gantry(&["apply", "-auto-approve"]).code, 0);
    let show = d.gantry(&["state", "show", "terraform_data.a[1]"]);
    assert!(show.stdout.contains("input  = 1"), "{}", show.stdout);
    let mv = d.gantry(&["state", "mv", "terraform_data.a", "terraform_data.b"]);
    assert_eq!(mv.code, 0, "{}", mv.all());
    assert_eq!(
        d.addresses(),
        vec!["terraform_data.b[0]", "terraform_data.b[1]"]
    );
    let rm = d.gantry(&["state", "rm", "terraform_data.b[0]"]);
    assert_eq!(rm.code, 0, "{}", rm.all());
    assert_eq!(d.addresses(), vec!["terraform_data.b[1]"]);
    // The plan now creates a[0], a[1] and deletes the orphaned b[1].
    let p = d.gantry(&["plan"]);
    assert!(
        p.stdout
            .contains("Plan: 2 to add, 0 to change, 1 to destroy."),
        "{}",
        p.stdout
    );
    assert!(
        p.stdout
            .contains("because terraform_data.b[1] is not in configuration"),
        "{}",
        p.stdout
    );
}

#[test]
fn validate_fmt_and_graph() {
    let d = Dir::new();
    d.write("main.tf", "resource \"terraform_data\" \"a\" {\ninput=1\n}\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.output\n}\n");
    let v = d.gantry(&["validate"]);
    assert_eq!(v.code, 0, "{}", v.all());
    assert!(v.stdout.contains("Success! The configuration is valid."));
    let check = d.gantry(&["fmt", "-check"]);
    assert_eq!(check.code, 3, "{}", check.all());
    let diff = d.gantry(&["fmt", "-check", "-diff"]);
    assert!(diff.stdout.contains("+  input = 1"), "{}", diff.stdout);
    assert_eq!(d.gantry(&["fmt"]).code, 0);
    assert!(d.read("main.tf").contains("\n  input = 1\n"));
    assert_eq!(d.gantry(&["fmt", "-check"]).code, 0);
    let g = d.gantry(&["graph"]);
    assert!(
        g.stdout
            .contains("\"[root] terraform_data.b\" -> \"[root] terraform_data.a\""),
        "{}",
        g.stdout
    );
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  nope = 1\n}\n",
    );
    let bad = d.gantry(&["validate"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("Unsupported argument") && bad.stderr.contains("main.tf:2:3"),
        "{}",
        bad.stderr
    );
}

#[test]
fn chdir_and_terraform_style_flags() {
    let d = Dir::new();
    std::fs::create_dir(d.path().join("stack")).unwrap();
    d.write(
        "stack/main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = 1\n}\n",
    );
    let r = d.gantry(&["-chdir=stack", "apply", "-auto-approve", "-parallelism=2"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(d.path().join("stack/terraform.tfstate").exists());
    let r = d.gantry(&[
        "--chdir",
        "stack",
        "plan",
        "--detailed-exitcode",
        "-refresh=false",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn bad_state_and_var_files_are_clear_errors_and_change_nothing() {
    let d = Dir::new();
    d.write("main.tf", "variable \"n\" {\n  type = number\n}\nresource \"terraform_data\" \"x\" {\n  input = var.n\n}\n");
    assert_eq!(d.gantry(&["apply", "-auto-approve", "-var", "n=1"]).code, 0);
    assert_eq!(d.gantry(&["apply", "-auto-approve", "-var", "n=2"]).code, 0);
    // A truncated state file is refused, never overwritten, and the message points at the backup.
    let good = d.state_bytes();
    let truncated = &good[..good.len() / 2];
    std::fs::write(d.state_path(), truncated).unwrap();
    for args in [
        &["plan", "-var", "n=3"][..],
        &["apply", "-auto-approve", "-var", "n=3"][..],
    ] {
        let r = d.gantry(args);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains("terraform.tfstate") && r.stderr.contains("terraform.tfstate.backup"),
            "{}",
            r.stderr
        );
        assert_eq!(
            d.state_bytes(),
            truncated,
            "a corrupt state is never overwritten"
        );
    }
    let backup = std::fs::read(d.path().join("terraform.tfstate.backup")).unwrap();
    assert!(
        serde_json::from_slice::<serde_json::Value>(&backup).is_ok(),
        "the backup is the previous good snapshot"
    );
    std::fs::write(d.state_path(), &good).unwrap();
    // A missing var file and a var file with a wrong type: located errors, no state change.
    let missing = d.gantry(&["plan", "-var-file=nope.tfvars"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("nope.tfvars"), "{}", missing.stderr);
    d.write("bad.tfvars", "n = \"many\"\n");
    let wrong = d.gantry(&["apply", "-auto-approve", "-var-file=bad.tfvars"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert!(wrong.stderr.contains("bad.tfvars:1:5"), "{}", wrong.stderr);
    assert_eq!(d.state_bytes(), good);
}
