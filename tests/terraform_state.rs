//! gantry as a drop-in in a directory Terraform manages (Terraform 1.11 on PATH): the same
//! `terraform.tfstate`, read and written by both without changes, and one lock for both.

mod common;
use common::{fixture, terraform, Dir};
use serde_json::Value as Json;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `show -json` of both tools, compared after removing what may legitimately differ:
/// `terraform_version`, and sensitive output values (Terraform prints them in `show -json`;
/// gantry never does — a deliberate difference listed in the README).
fn show_json_equal(d: &Dir) {
    let t = terraform(d.path(), &["show", "-json"]);
    assert_eq!(t.code, 0, "{}", t.all());
    let g = d.gantry(&["show", "-json"]);
    assert_eq!(g.code, 0, "{}", g.all());
    let norm = |text: &str| -> Json {
        let mut j: Json = serde_json::from_str(text).expect("show -json is JSON");
        j.as_object_mut().unwrap().remove("terraform_version");
        if let Some(outs) = j
            .pointer_mut("/values/outputs")
            .and_then(Json::as_object_mut)
        {
            for o in outs.values_mut() {
                if o["sensitive"] == Json::Bool(true) {
                    o["value"] = Json::Null;
                }
            }
        }
        j
    };
    assert_eq!(norm(&t.stdout), norm(&g.stdout));
}

fn state_list_equal(d: &Dir) {
    let t = terraform(d.path(), &["state", "list"]);
    assert_eq!(t.code, 0, "{}", t.all());
    let mut tl: Vec<String> = t.stdout.lines().map(String::from).collect();
    let mut gl = d.addresses();
    tl.sort();
    gl.sort();
    assert_eq!(tl, gl);
    assert!(gl.contains(&"module.child.terraform_data.inner".to_string()));
}

#[test]
fn terraform_and_gantry_share_one_state_both_ways() {
    let d = fixture("tfstate_roundtrip");
    let r = terraform(d.path(), &["init", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform(d.path(), &["apply", "-auto-approve", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());

    // Terraform applied: gantry, in the same directory, finds nothing to do.
    let r = d.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "gantry should see no changes:\n{}", r.all());
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    state_list_equal(&d);
    show_json_equal(&d);
    // Written back by gantry (taint + untaint: two writes, nothing else changed), the file
    // is Terraform's byte for byte but for the serial and the writer's version.
    let norm = |text: String| -> String {
        text.lines()
            .filter(|l| !l.contains("\"serial\"") && !l.contains("\"terraform_version\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let terraform_bytes = d.read("terraform.tfstate");
    assert_eq!(d.gantry(&["taint", "terraform_data.obj"]).code, 0);
    assert_eq!(d.gantry(&["untaint", "terraform_data.obj"]).code, 0);
    assert_eq!(norm(d.read("terraform.tfstate")), norm(terraform_bytes));
    // `show` of state reads as Terraform's, line for line.
    let t = terraform(d.path(), &["show", "-no-color"]);
    let g = d.gantry(&["show", "-no-color"]);
    assert_eq!(g.code, 0, "{}", g.all());
    assert_eq!(g.stdout, t.stdout);

    // gantry applies a change (and so rewrites the state file): Terraform reads it and, with
    // the same variables, finds nothing to do.
    let r = d.gantry(&[
        "apply",
        "-auto-approve",
        "-var",
        "size=4",
        "-var",
        "m={a=\"x\",c=\"z\"}",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let state = d.state_json();
    assert_eq!(state["version"], 4);
    assert!(!d.read("terraform.tfstate").ends_with('\n'));
    let typed = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "typed")
        .unwrap();
    assert_eq!(
        typed["instances"][0]["attributes"]["input"]["type"],
        serde_json::json!(["object", {"l": ["list", "string"], "m": ["map", "string"], "s": ["set", "string"]}])
    );
    let r = terraform(
        d.path(),
        &[
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-var",
            "size=4",
            "-var",
            "m={a=\"x\",c=\"z\"}",
        ],
    );
    assert_eq!(
        r.code,
        0,
        "Terraform should see no changes after gantry's apply:\n{}",
        r.all()
    );
    state_list_equal(&d);
    show_json_equal(&d);

    // And back: Terraform applies the next change, gantry sees none.
    let r = terraform(
        d.path(),
        &["apply", "-auto-approve", "-input=false", "-var", "size=5"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry(&["plan", "-detailed-exitcode", "-var", "size=5"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// Starts a command that stops at its approval prompt (stdin kept open), and waits until it
/// holds the lock.
fn hold_lock(d: &Dir, mut cmd: Command) -> Child {
    let child = cmd
        .current_dir(d.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let info = d.path().join(".terraform.tfstate.lock.info");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::metadata(&info).is_ok_and(|m| m.len() > 0) {
        assert!(Instant::now() < deadline, "the lock was never taken");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn release(mut child: Child) {
    // "no" at the prompt, then EOF: both tools cancel and unlock.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"no\n");
    }
    let _ = child.wait();
}

fn lock_id(d: &Dir) -> String {
    let j: Json = serde_json::from_str(&d.read(".terraform.tfstate.lock.info")).unwrap();
    j["ID"].as_str().unwrap().to_string()
}

#[test]
fn terraform_and_gantry_exclude_each_other() {
    let d = fixture("tfstate_roundtrip");
    assert_eq!(terraform(d.path(), &["init", "-input=false"]).code, 0);

    // Terraform holds the lock at its approval prompt: gantry refuses, naming it.
    let mut tf = Command::new("terraform");
    tf.args(["apply", "-input=true"])
        .env("CHECKPOINT_DISABLE", "1");
    let holder = hold_lock(&d, tf);
    let id = lock_id(&d);
    let r = d.gantry(&["plan"]);
    release(holder);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Error acquiring the state lock"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&id),
        "gantry should name Terraform's lock {id}:\n{}",
        r.stderr
    );
    assert!(r.stderr.contains("OperationTypeApply"), "{}", r.stderr);
    assert!(!d.path().join(".terraform.tfstate.lock.info").exists());

    // gantry holds it at its prompt: Terraform refuses, naming gantry's lock.
    let mut g = Command::new(env!("CARGO_BIN_EXE_gantry"));
    g.args(["apply"]).env("NO_COLOR", "1");
    let holder = hold_lock(&d, g);
    let id = lock_id(&d);
    let r = terraform(d.path(), &["plan", "-input=false", "-lock-timeout=0s"]);
    release(holder);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("Error acquiring the state lock"),
        "{}",
        r.all()
    );
    assert!(
        r.all().contains(&id),
        "Terraform should name gantry's lock {id}:\n{}",
        r.all()
    );
    // Nothing applied, nothing left behind: no state file, no lock info.
    assert!(!d.state_path().exists());
    assert!(!d.path().join(".terraform.tfstate.lock.info").exists());
}

#[test]
fn a_legacy_gantry_tfstate_is_moved_once_and_kept() {
    let d = fixture("tfstate_roundtrip");
    let r = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let before = d.addresses();
    std::fs::rename(d.state_path(), d.path().join("gantry.tfstate")).unwrap();
    let r = d.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr
            .contains("Moved gantry.tfstate to terraform.tfstate"),
        "{}",
        r.stderr
    );
    assert!(!d.path().join("gantry.tfstate").exists());
    assert_eq!(d.addresses(), before);
    let r = d.gantry(&["plan"]);
    assert!(
        !r.stderr.contains("Moved gantry.tfstate"),
        "only once:\n{}",
        r.stderr
    );
}

#[test]
fn a_cloud_block_is_refused_not_ignored() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "terraform {\n  cloud {\n    organization = \"acme\"\n    workspaces {\n      name = \"ml\"\n    }\n  }\n}\nresource \"terraform_data\" \"a\" {}\n",
    );
    let r = d.gantry(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("HCP Terraform is not supported"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:2:3"), "{}", r.stderr);
    assert!(!d.state_path().exists());
}

/// Workspaces are Terraform's: the same `.terraform/environment` and
/// `terraform.tfstate.d/NAME/` layout, `terraform.workspace` and `TF_WORKSPACE`, both ways.
#[test]
fn workspaces_are_shared_with_terraform() {
    let d = Dir::new();
    d.write(
        "main.tf",
        "resource \"terraform_data\" \"env\" {\n  input = \"stack-${terraform.workspace}\"\n}\noutput \"env\" {\n  value = terraform_data.env.output\n}\n",
    );
    assert_eq!(terraform(d.path(), &["init", "-input=false"]).code, 0);
    // Terraform makes and applies "dev": gantry is in it too, with nothing to do.
    assert_eq!(terraform(d.path(), &["workspace", "new", "dev"]).code, 0);
    let r = terraform(d.path(), &["apply", "-auto-approve", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(d.gantry(&["workspace", "show"]).stdout, "dev\n");
    let r = d.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(d.gantry(&["output", "-raw", "env"]).stdout, "stack-dev");
    // gantry makes and applies "prod": Terraform selects it and has nothing to do.
    let r = d.gantry(&["workspace", "new", "prod"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(d
        .path()
        .join("terraform.tfstate.d/prod/terraform.tfstate")
        .exists());
    let t = terraform(d.path(), &["plan", "-detailed-exitcode", "-input=false"]);
    assert_eq!(t.code, 0, "{}", t.all());
    let t = terraform(d.path(), &["workspace", "list"]);
    assert_eq!(t.stdout, d.gantry(&["workspace", "list"]).stdout);
    // The default workspace is untouched by both.
    let r = d.gantry_env(
        &["plan", "-detailed-exitcode"],
        &[("TF_WORKSPACE", "default")],
    );
    assert_eq!(r.code, 2, "default has nothing applied: {}", r.all());
    // Deleting: not the current one; not one that still tracks objects without -force.
    assert_eq!(d.gantry(&["workspace", "delete", "prod"]).code, 1);
    assert_eq!(d.gantry(&["workspace", "select", "default"]).code, 0);
    let r = d.gantry(&["workspace", "delete", "dev"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Workspace is not empty"), "{}", r.stderr);
    assert_eq!(d.gantry(&["workspace", "select", "nope"]).code, 1);
    assert_eq!(
        d.gantry(&["workspace", "select", "-or-create", "scratch"])
            .code,
        0
    );
    assert_eq!(d.gantry(&["workspace", "select", "default"]).code, 0);
    assert_eq!(d.gantry(&["workspace", "delete", "scratch"]).code, 0);
    let t = terraform(d.path(), &["workspace", "list"]);
    assert!(!t.stdout.contains("scratch"), "{}", t.stdout);
}
