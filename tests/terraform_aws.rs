//! A team with a Terraform-managed AWS stack switches to gantry without touching a resource:
//! Terraform 1.11 with the real hashicorp/aws 5.100.0 plugin (from the machine's filesystem
//! mirror) applies examples/aws-sagemaker on moto; gantry, in that directory, plans no
//! change and reports no drift.

mod common;
use common::moto::Moto;
use common::{copy_tree, terraform_env, Dir};
use std::path::PathBuf;

/// The filesystem mirror holding hashicorp/aws (`GANTRY_TF_PLUGIN_MIRROR`, else where this
/// project's machines carry it). Missing is a failure, never a skip.
fn plugin_mirror() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("GANTRY_TF_PLUGIN_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into()),
    );
    let plugin = dir.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
    assert!(
        plugin.is_dir(),
        "the hashicorp/aws 5.100.0 plugin must be in a filesystem mirror at {} (set GANTRY_TF_PLUGIN_MIRROR)",
        dir.display()
    );
    dir
}

/// A temporary copy of examples/aws-sagemaker.
fn sagemaker_dir() -> Dir {
    let d = Dir::new();
    copy_tree(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/aws-sagemaker"
        )),
        d.path(),
    );
    d
}

/// A Terraform CLI configuration in `d` that installs hashicorp/aws from `mirror`.
fn mirror_config(d: &Dir, mirror: &std::path::Path) {
    d.write(
        ".terraformrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display()
        ),
    );
}

#[test]
fn a_stack_terraform_applied_plans_no_changes_under_gantry() {
    let mirror = plugin_mirror();
    let moto = Moto::start();
    let d = sagemaker_dir();
    mirror_config(&d, &mirror);
    let mut env: Vec<(&str, String)> = moto.env();
    env.push((
        "TF_CLI_CONFIG_FILE",
        d.path().join(".terraformrc").display().to_string(),
    ));
    let r = terraform_env(d.path(), &["init", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform_env(d.path(), &["apply", "-auto-approve", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let tf_list = terraform_env(d.path(), &["state", "list"], &env);

    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &moto.env());
    assert_eq!(r.code, 0, "gantry must plan no change:\n{}", r.all());
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert!(
        !r.stdout.contains("changed outside"),
        "no drift either:\n{}",
        r.stdout
    );
    let mut a: Vec<&str> = tf_list.stdout.lines().collect();
    let gantry_list = d.gantry_with(&["state", "list"], &moto.env());
    let mut b: Vec<&str> = gantry_list.stdout.lines().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(b.contains(&"aws_instance.training"));

    // The reverse: a stack gantry applied reads under Terraform exactly as one Terraform
    // applied itself. (On moto, hashicorp/aws plans two replacements even on its own stack —
    // moto answers with empty DataCaptureConfig / VpcConfig structures — so the comparison
    // is with Terraform's plan of its own stack, not with "no changes".)
    let baseline = planned_changes(&terraform_env(
        d.path(),
        &["plan", "-input=false", "-no-color"],
        &env,
    ));
    let g = sagemaker_dir();
    let r = g.gantry_with(
        &["apply", "-auto-approve", "-var", "project=by-gantry"],
        &moto.env(),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        terraform_env(g.path(), &["init", "-input=false"], &env).code,
        0
    );
    let t = terraform_env(
        g.path(),
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-var",
            "project=by-gantry",
        ],
        &env,
    );
    assert_eq!(
        planned_changes(&t),
        baseline,
        "Terraform must see gantry's stack as it sees its own:\n{}",
        t.all()
    );
}

/// The `# ADDRESS will be …` headers of a Terraform plan.
fn planned_changes(r: &common::Run) -> Vec<String> {
    assert_ne!(r.code, 1, "{}", r.all());
    let mut out: Vec<String> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("  # "))
        .map(String::from)
        .collect();
    out.sort();
    out
}

/// One `.terraform.lock.hcl` for both tools: gantry records its native provider's version,
/// Terraform adds the package hashes, and gantry leaves Terraform's entry as it is.
#[test]
fn one_dependency_lock_file_for_both_tools() {
    let mirror = plugin_mirror();
    let d = sagemaker_dir();
    let r = d.gantry(&["init"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let lock = d.read(".terraform.lock.hcl");
    assert!(
        lock.contains(
            "provider \"registry.terraform.io/hashicorp/aws\" {\n  version = \"5.100.0\"\n}"
        ),
        "{lock}"
    );
    mirror_config(&d, &mirror);
    let env = [(
        "TF_CLI_CONFIG_FILE",
        d.path().join(".terraformrc").display().to_string(),
    )];
    let r = terraform_env(d.path(), &["init", "-input=false"], &env);
    assert_eq!(
        r.code,
        0,
        "Terraform accepts gantry's lock entry: {}",
        r.all()
    );
    let with_hashes = d.read(".terraform.lock.hcl");
    assert!(with_hashes.contains("hashes = ["), "{with_hashes}");
    let r = d.gantry(&["init"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        d.read(".terraform.lock.hcl"),
        with_hashes,
        "kept as Terraform wrote it"
    );
}
