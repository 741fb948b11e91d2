//! A team with a Terraform-managed AWS stack switches to gantry without touching a resource:
//! Terraform 1.11 with the real hashicorp/aws 5.100.0 plugin (from the machine's filesystem
//! mirror) applies examples/aws-sagemaker on moto; gantry, in that directory, plans no
//! change and reports no drift.

mod common;
use common::moto::Moto;
use common::tf_aws::{mirror_config, plugin_mirror};
use common::{copy_tree, terraform_env, Dir};

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

/// Zones, partition and the provider block's account settings, side by side: the same file
/// applied by Terraform (real hashicorp/aws 5.100.0) and by gantry on moto gives the same
/// outputs — through an assumed role — and both refuse an account not in
/// `allowed_account_ids`.
#[test]
fn zones_partition_and_assumed_role_match_terraform() {
    let mirror = plugin_mirror();
    let moto = Moto::start();
    let config = |allowed: &str| {
        format!(
            r#"terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "5.100.0" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  allowed_account_ids         = ["{allowed}"]
  assume_role {{
    role_arn     = "arn:aws:iam::123456789012:role/deployer"
    session_name = "gantry-test"
    duration     = "1h"
  }}
}}
data "aws_availability_zones" "az" {{
  state         = "available"
  exclude_names = ["us-east-1f"]
}}
data "aws_partition" "p" {{}}
data "aws_caller_identity" "me" {{}}
output "names" {{ value = data.aws_availability_zones.az.names }}
output "zone_ids" {{ value = data.aws_availability_zones.az.zone_ids }}
output "groups" {{ value = data.aws_availability_zones.az.group_names }}
output "partition" {{ value = [data.aws_partition.p.partition, data.aws_partition.p.dns_suffix, data.aws_partition.p.reverse_dns_prefix] }}
output "arn" {{ value = data.aws_caller_identity.me.arn }}
"#
        )
    };
    let outputs = |allowed: &str| -> (
        serde_json::Value,
        serde_json::Value,
        common::Run,
        common::Run,
    ) {
        let t = Dir::new();
        mirror_config(&t, &mirror);
        t.write("main.tf", &config(allowed));
        let mut env: Vec<(&str, String)> = moto.env();
        env.push((
            "TF_CLI_CONFIG_FILE",
            t.path().join(".terraformrc").display().to_string(),
        ));
        assert_eq!(
            terraform_env(t.path(), &["init", "-input=false"], &env).code,
            0
        );
        let tr = terraform_env(
            t.path(),
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            &env,
        );
        let tout = terraform_env(t.path(), &["output", "-json"], &env);
        let g = Dir::new();
        g.write("main.tf", &config(allowed));
        let gr = g.gantry_with(&["apply", "-auto-approve"], &moto.env());
        let gout = g.gantry_with(&["output", "-json"], &moto.env());
        let parse = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
        (parse(&tout.stdout), parse(&gout.stdout), tr, gr)
    };
    let (tf, ga, tr, gr) = outputs("123456789012");
    assert_eq!(tr.code, 0, "{}", tr.all());
    assert_eq!(gr.code, 0, "{}", gr.all());
    for k in ["names", "zone_ids", "groups", "partition", "arn"] {
        assert_eq!(
            ga[k]["value"], tf[k]["value"],
            "output {k}: gantry {} vs Terraform {}",
            ga[k], tf[k]
        );
    }
    let names = ga["names"]["value"].as_array().cloned().unwrap_or_default();
    assert!(
        !names.is_empty() && !names.contains(&"us-east-1f".into()),
        "{names:?}"
    );
    assert!(
        ga["arn"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("assumed-role/deployer/gantry-test"),
        "{}",
        ga["arn"]
    );
    // Another account only: both refuse before reading anything.
    let (_, _, tr, gr) = outputs("111111111111");
    assert_ne!(tr.code, 0, "Terraform refuses: {}", tr.all());
    assert_eq!(gr.code, 1, "gantry refuses: {}", gr.all());
    assert!(
        gr.stderr.contains("AWS account ID not allowed"),
        "{}",
        gr.stderr
    );
}

#[test]
fn the_sagemaker_example_plans_like_terraform() {
    let moto = Moto::start();
    let env = moto.env();
    let d = sagemaker_dir();
    let tf = common::tf_aws::Tf::new(&d, env.clone());
    // Known planned values of all 19 resources (async endpoint, autoscaling, notebook, VPC
    // included) equal Terraform's with the real plugin.
    common::tf_aws::assert_plan_parity(&d, &tf, &env, &[]);
}
