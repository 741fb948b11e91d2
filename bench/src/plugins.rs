//! `gantry-bench plugins`: provider plugins hosted by gantry and by Terraform, same run.
//!
//! - **test plugin**: N `gantrytest_model` resources of the tfplugin6 test provider
//!   (tests/plugins/terraform-provider-gantrytest, PyPI `tf`) from a filesystem mirror,
//!   gantry vs Terraform.
//! - **aws**: G GPU `aws_instance`s + B `aws_s3_bucket`s on moto (tests/moto/gantry_moto.py),
//!   through the real hashicorp/aws plugin (`--aws-mirror`, default /opt/tf-plugins): gantry
//!   hosting it (`GANTRY_PLUGIN_PROVIDERS=hashicorp/aws`) vs Terraform hosting it vs gantry's
//!   native provider. Each tool gets a fresh moto.
//!
//! Steps: init, apply, plan (no-op, with refresh), destroy; one process each, wall time and
//! peak RSS as in the engine benchmark.

use crate::{fmt_rss, fmt_time, run, Measure};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const STEPS: [(&str, &[&str]); 4] = [
    ("init", &["init", "-input=false"]),
    ("apply", &["apply", "-auto-approve", "-input=false"]),
    (
        "plan (no-op)",
        &["plan", "-input=false", "-detailed-exitcode"],
    ),
    ("destroy", &["destroy", "-auto-approve", "-input=false"]),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the repository")
        .to_path_buf()
}

/// One tool's run of every step in `dir`, with `env`; a failed step ends the run.
pub(crate) fn run_steps(
    exe: &Path,
    dir: &Path,
    env: &[(String, String)],
    timeout: Duration,
) -> Vec<Option<Measure>> {
    let mut out = Vec::new();
    let mut failed = false;
    for (i, (_, args)) in STEPS.iter().enumerate() {
        if failed {
            out.push(None);
            continue;
        }
        let mut c = Command::new(exe);
        c.args(*args)
            .current_dir(dir)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("NO_COLOR", "1");
        for (k, v) in env {
            c.env(k, v);
        }
        let m = run(&mut c, timeout, i == 2);
        if !m.ok {
            eprintln!("{} {:?} failed in {}", exe.display(), args, dir.display());
        }
        failed = !m.ok;
        out.push(Some(m));
    }
    out
}

fn cli_config(dir: &Path, mirror: &Path, include: &str) -> (String, String) {
    let path = dir.join("cli.tfrc");
    std::fs::write(
        &path,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{include}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write the CLI configuration");
    ("TF_CLI_CONFIG_FILE".into(), path.display().to_string())
}

fn test_plugin_config(n: usize, store: &Path) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    gantrytest = {{ source = \"gantry/gantrytest\" }}\n  }}\n}}\n\nprovider \"gantrytest\" {{\n  store = \"{}\"\n}}\n\nresource \"gantrytest_model\" \"m\" {{\n  count    = {n}\n  name     = \"model-${{count.index}}\"\n  replicas = 1\n  labels   = {{ team = \"ml\" }}\n  container {{\n    image = \"serve:1\"\n    port  = 8080\n  }}\n}}\n",
        store.display()
    )
}

fn aws_config(gpus: usize, buckets: usize) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 5.0" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
}}

resource "aws_instance" "gpu" {{
  count         = {gpus}
  ami           = "ami-760aaa0f"
  instance_type = "p4d.24xlarge"
  tags = {{
    Name = "gpu-${{count.index}}"
  }}
}}

resource "aws_s3_bucket" "models" {{
  count  = {buckets}
  bucket = "gantry-bench-models-${{count.index}}"
}}
"#
    )
}

pub(crate) struct Moto(Child, pub(crate) u16);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn moto() -> Moto {
    let script = repo().join("tests/moto/gantry_moto.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with moto (scripts/setup installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("moto's ready line");
    let port = line
        .strip_prefix("ready ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("moto did not start: {line:?}"));
    Moto(child, port)
}

pub(crate) fn moto_env(m: &Moto) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", m.1)),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub(crate) fn table(title: &str, columns: &[(&str, Vec<Option<Measure>>)], timeout: Duration) {
    println!("\n### {title}\n");
    let mut head = String::from("| step |");
    let mut rule = String::from("| --- |");
    for (name, _) in columns {
        head.push_str(&format!(" {name} | RSS |"));
        rule.push_str(" --- | --- |");
    }
    if columns.len() > 1 {
        head.push_str(&format!(" {} ÷ {} |", columns[1].0, columns[0].0));
        rule.push_str(" --- |");
    }
    println!("{head}\n{rule}");
    for (i, (step, _)) in STEPS.iter().enumerate() {
        let mut row = format!("| {step} |");
        for (_, ms) in columns {
            let m = ms.get(i).cloned().flatten();
            row.push_str(&format!(" {} | {} |", fmt_time(&m, timeout), fmt_rss(&m)));
        }
        if columns.len() > 1 {
            let a = columns[0].1.get(i).cloned().flatten();
            let b = columns[1].1.get(i).cloned().flatten();
            let ratio = match (a, b) {
                (Some(a), Some(b)) if a.ok && b.ok && a.wall.as_secs_f64() > 0.0 => {
                    format!("{:.1}×", b.wall.as_secs_f64() / a.wall.as_secs_f64())
                }
                _ => "—".into(),
            };
            row.push_str(&format!(" {ratio} |"));
        }
        println!("{row}");
    }
}

pub struct Options {
    pub gantry: PathBuf,
    pub models: usize,
    pub gpus: usize,
    pub buckets: usize,
    pub aws_mirror: PathBuf,
    pub timeout: Duration,
}

pub fn main(o: &Options) {
    // The test plugin: gantry vs Terraform.
    let mut columns = Vec::new();
    for (name, exe) in [
        ("gantry", o.gantry.clone()),
        ("Terraform 1.11.4", PathBuf::from("terraform")),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let pkg = dir
            .path()
            .join("mirror/registry.terraform.io/gantry/gantrytest/1.0.0/linux_amd64");
        std::fs::create_dir_all(&pkg).expect("mirror");
        std::fs::copy(
            repo().join("tests/plugins/terraform-provider-gantrytest"),
            pkg.join("terraform-provider-gantrytest_v1.0.0"),
        )
        .expect("the test provider");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).expect("work dir");
        let store = dir.path().join("cloud.json");
        std::fs::write(work.join("main.tf"), test_plugin_config(o.models, &store)).expect("config");
        let env = vec![cli_config(
            dir.path(),
            &dir.path().join("mirror"),
            "registry.terraform.io/gantry/*",
        )];
        eprintln!("test plugin, {} resources: {name}", o.models);
        columns.push((name, run_steps(&exe, &work, &env, o.timeout)));
    }
    table(
        &format!(
            "{} resources of a tfplugin6 test-plugin type (PyPI `tf`), same plugin",
            o.models
        ),
        &columns,
        o.timeout,
    );

    // The real aws plugin on moto: gantry hosting it, Terraform hosting it, gantry native.
    let mut columns = Vec::new();
    for (name, exe, plugin) in [
        ("gantry + plugin", o.gantry.clone(), true),
        (
            "Terraform 1.11.4 + plugin",
            PathBuf::from("terraform"),
            true,
        ),
        ("gantry native", o.gantry.clone(), false),
    ] {
        let m = moto();
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.tf"), aws_config(o.gpus, o.buckets)).expect("config");
        let mut env = moto_env(&m);
        if plugin {
            env.push(cli_config(
                dir.path(),
                &o.aws_mirror,
                "registry.terraform.io/hashicorp/aws",
            ));
            env.push(("GANTRY_PLUGIN_PROVIDERS".into(), "hashicorp/aws".into()));
        }
        eprintln!(
            "aws, {} GPU instances + {} buckets: {name}",
            o.gpus, o.buckets
        );
        columns.push((name, run_steps(&exe, dir.path(), &env, o.timeout)));
    }
    table(
        &format!(
            "{} p4d.24xlarge instances + {} S3 buckets on moto, hashicorp/aws 5.100.0",
            o.gpus, o.buckets
        ),
        &columns,
        o.timeout,
    );
}
