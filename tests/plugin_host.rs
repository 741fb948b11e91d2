//! gantry hosting unmodified Terraform provider plugins, side by side with Terraform 1.11.4:
//! a protocol-6 test provider written with the PyPI `tf` framework
//! (tests/plugins/terraform-provider-gantrytest, AutoMTLS with an RSA certificate), and the
//! real hashicorp/aws 5.100.0 plugin (protocol 5, ECDSA P-521) beside gantry's native AWS
//! provider on moto. Both tools install from the same filesystem mirror, share one lock file
//! and state, and each plans "No changes" under the other.

mod common;
use common::moto::Moto;
use common::{terraform_env, Dir};
use std::path::{Path, PathBuf};

/// A filesystem mirror in `d/mirror` holding the test provider, unpacked.
fn test_mirror(d: &Dir) -> PathBuf {
    let mirror = d.path().join("mirror");
    let pkg = mirror.join("registry.terraform.io/gantry/gantrytest/1.0.0/linux_amd64");
    std::fs::create_dir_all(&pkg).unwrap();
    let exe = pkg.join("terraform-provider-gantrytest_v1.0.0");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/plugins/terraform-provider-gantrytest"
        ),
        &exe,
    )
    .unwrap();
    mirror
}

fn cli_config(d: &Dir, mirror: &Path, include: &str) -> (&'static str, String) {
    let path = d.path().join("cli.tfrc");
    std::fs::write(
        &path,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{include}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    ("TF_CLI_CONFIG_FILE", path.display().to_string())
}

fn model_config(store: &Path, replicas: u32) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    gantrytest = {{ source = "gantry/gantrytest", version = ">= 1.0" }}
  }}
}}
provider "gantrytest" {{
  store = "{}"
}}
resource "gantrytest_model" "m" {{
  name     = "llama"
  replicas = {replicas}
  labels   = {{ team = "ml" }}
  api_key  = "s3cret"
  container {{
    image = "serve:1"
    port  = 8080
  }}
}}
data "gantrytest_catalog" "c" {{
  prefix     = "ll"
  depends_on = [gantrytest_model.m]
}}
output "names" {{
  value = data.gantrytest_catalog.c.names
}}
output "slug" {{
  value = provider::gantrytest::slug("Llama 3: Serve!")
}}
output "id_slug" {{
  value = provider::gantrytest::slug(gantrytest_model.m.id)
}}
"#,
        store.display()
    )
}

/// A directory initialised for the test provider (its mirror, a CLI configuration selecting
/// it, `main.tf` with `replicas`): the directory, the environment, and the provider's store.
fn initialised(replicas: u32) -> (Dir, Vec<(&'static str, String)>, PathBuf) {
    let d = Dir::new();
    let mirror = test_mirror(&d);
    let env = vec![cli_config(&d, &mirror, "registry.terraform.io/gantry/*")];
    let store = d.path().join("cloud.json");
    d.write("main.tf", &model_config(&store, replicas));
    let r = d.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    (d, env, store)
}

fn cloud(store: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(store).unwrap_or_else(|_| b"{}".to_vec())).unwrap()
}

#[test]
fn a_tfplugin6_provider_applies_updates_imports_and_destroys_beside_terraform() {
    let d = Dir::new();
    let mirror = test_mirror(&d);
    let env = vec![cli_config(&d, &mirror, "registry.terraform.io/gantry/*")];
    let store = d.path().join("cloud.json");
    d.write("main.tf", &model_config(&store, 2));

    let r = d.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("- Installed gantry/gantrytest v1.0.0 (unauthenticated, plugin)"),
        "init names the provider, its version and that it is a plugin:\n{}",
        r.stdout
    );
    // Terraform's own init, elsewhere, records the same hash for the same package.
    let t = Dir::new();
    t.write("main.tf", &model_config(&store, 2));
    let r = terraform_env(t.path(), &["init", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        d.read(".terraform.lock.hcl"),
        t.read(".terraform.lock.hcl"),
        "the lock files of both tools are byte-identical"
    );

    // A provider-defined function: known arguments are called at plan time, an argument
    // known only after apply makes the result unknown until then.
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("+ slug    = \"llama-3-serve\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+ id_slug = (known after apply)"),
        "{}",
        r.stdout
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("names = [\"llama\"]"), "{}", r.stdout);
    assert!(
        r.stdout.contains("slug = \"llama-3-serve\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("s3cret"), "sensitive values stay hidden");
    let objects = cloud(&store);
    assert_eq!(objects.as_object().unwrap().len(), 1);
    let id = objects.as_object().unwrap().keys().next().unwrap().clone();
    let st = d.state_json();
    let res = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "managed")
        .unwrap();
    let inst = &res["instances"][0];
    assert_eq!(
        res["provider"],
        "provider[\"registry.terraform.io/gantry/gantrytest\"]"
    );
    assert_eq!(inst["schema_version"], 1);
    assert_eq!(inst["attributes"]["id"], id.as_str());
    assert_eq!(inst["attributes"]["container"][0]["port"], 8080);

    // Terraform, in the directory gantry initialised, sees nothing to do.
    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(
        r.code,
        0,
        "Terraform plans no change on gantry's state:\n{}",
        r.all()
    );

    // Terraform changes it; gantry then sees nothing to do either.
    d.write("main.tf", &model_config(&store, 3));
    let r = terraform_env(d.path(), &["apply", "-auto-approve", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(cloud(&store)[&id]["replicas"], 3);
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(
        r.code,
        0,
        "gantry plans no change on Terraform's state:\n{}",
        r.all()
    );

    // gantry updates in place (same object), then adopts it again by import.
    d.write("main.tf", &model_config(&store, 4));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    assert_eq!(cloud(&store)[&id]["replicas"], 4);
    let r = d.gantry_with(&["state", "rm", "gantrytest_model.m"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["import", "gantrytest_model.m", &id], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(
        r.code,
        0,
        "an imported object plans no change:\n{}",
        r.all()
    );

    // State written under the type's schema version 0 (`replica_count`) is upgraded by the
    // plugin (UpgradeResourceState) before it is read: no change, no drift, and the next
    // write records version 1 — as Terraform, given the same old state, also sees it.
    let mut st = d.state_json();
    for res in st["resources"].as_array_mut().unwrap() {
        if res["type"] == "gantrytest_model" {
            let inst = &mut res["instances"][0];
            inst["schema_version"] = 0.into();
            let attrs = inst["attributes"].as_object_mut().unwrap();
            let n = attrs.remove("replicas").unwrap();
            attrs.insert("replica_count".into(), n);
        }
    }
    d.write(
        "terraform.tfstate",
        &serde_json::to_string_pretty(&st).unwrap(),
    );
    let old_state = d.read("terraform.tfstate");
    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(
        r.code,
        0,
        "Terraform upgrades the old state too:\n{}",
        r.all()
    );
    d.write("terraform.tfstate", &old_state);
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(
        r.code,
        0,
        "an upgraded object plans no change:\n{}",
        r.all()
    );
    let r = d.gantry_with(&["apply", "-refresh-only", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let st = d.state_json();
    let inst = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "gantrytest_model")
        .map(|r| r["instances"][0].clone())
        .unwrap();
    assert_eq!(inst["schema_version"], 1, "{inst}");
    assert_eq!(inst["attributes"]["replicas"], 4, "{inst}");
    assert!(inst["attributes"].get("replica_count").is_none(), "{inst}");

    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(cloud(&store), serde_json::json!({}));
}

#[test]
fn a_tampered_package_a_crash_and_a_silent_plugin_are_clear_errors() {
    let (d, env, store) = initialised(1);

    // The plugin dies after making the object, before answering.
    let mut crash = env.clone();
    crash.push(("GANTRYTEST_CRASH_ON", "create".into()));
    let r = d.gantry_with(&["apply", "-auto-approve"], &crash);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("exited unexpectedly"),
        "the crash is named:\n{}",
        r.stderr
    );
    let st = d.state_json();
    assert_eq!(st["version"], 4, "the state file is whole");

    // The package on disk no longer matches the lock file.
    let lock = d.read(".terraform.lock.hcl");
    let start = lock.find("h1:").unwrap();
    let end = start + lock[start..].find('"').unwrap();
    d.write(
        ".terraform.lock.hcl",
        &lock.replace(
            &lock[start..end],
            "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
    );
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("registry.terraform.io/gantry/gantrytest")
            && r.stderr.contains("checksums"),
        "the mismatch names the provider:\n{}",
        r.stderr
    );

    // A plugin that never completes its handshake, and one speaking protocol 4.
    for (script, want) in [
        ("#!/bin/sh\nsleep 30\n", "did not complete its handshake"),
        (
            "#!/bin/sh\necho '1|4|unix|/tmp/none.sock|grpc|'\nsleep 30\n",
            "speaks plugin protocol 4",
        ),
    ] {
        let p = Dir::new();
        let mirror = p.path().join("m");
        let pkg = mirror.join("registry.terraform.io/gantry/gantrytest/1.0.0/linux_amd64");
        std::fs::create_dir_all(&pkg).unwrap();
        let exe = pkg.join("terraform-provider-gantrytest_v1.0.0");
        std::fs::write(&exe, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut env = vec![cli_config(&p, &mirror, "registry.terraform.io/gantry/*")];
        env.push(("GANTRY_PLUGIN_START_TIMEOUT", "2".into()));
        p.write("main.tf", &model_config(&store, 1));
        let r = p.gantry_with(&["init"], &env);
        assert_eq!(r.code, 0, "{}", r.all());
        let r = p.gantry_with(&["plan"], &env);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains(want), "{want}:\n{}", r.stderr);
    }
}

/// The real hashicorp/aws 5.100.0 plugin (`GANTRY_TF_PLUGIN_MIRROR`, else /opt/tf-plugins).
fn aws_mirror() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("GANTRY_TF_PLUGIN_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into()),
    );
    assert!(
        dir.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64")
            .is_dir(),
        "the hashicorp/aws 5.100.0 plugin must be in a filesystem mirror at {}",
        dir.display()
    );
    dir
}

const NETWORK: &str = r#"terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  default_tags {
    tags = { stack = "gpu" }
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "gpu" }
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_security_group" "inference" {
  name   = "inference"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}
resource "aws_s3_bucket" "models" {
  bucket = "gantry-plugin-models"
}
resource "aws_cloudwatch_log_group" "serving" {
  name = "/gpu/serving"
}
resource "aws_instance" "gpu" {
  ami           = "ami-760aaa0f"
  instance_type = "p4d.24xlarge"
  subnet_id     = aws_subnet.a.id
  tags          = { Name = "gpu" }
}
"#;

#[test]
fn the_real_aws_plugin_serves_what_the_native_provider_lacks_under_one_provider_block() {
    let mirror = aws_mirror();
    let moto = Moto::start();
    let d = Dir::new();
    d.write("main.tf", NETWORK);
    let mut env = moto.env();
    env.push(cli_config(
        &d,
        &mirror,
        "registry.terraform.io/hashicorp/aws",
    ));

    let r = d.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("- Installed hashicorp/aws v5.100.0 (unauthenticated, plugin; beside the built-in provider, for aws_cloudwatch_log_group)"),
        "{}",
        r.stdout
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("6 added"), "{}", r.stdout);
    let st = d.state_json();
    for res in st["resources"].as_array().unwrap() {
        assert_eq!(
            res["provider"], "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "one provider address whichever served {}",
            res["type"]
        );
        if res["type"] == "aws_cloudwatch_log_group" {
            let inst = &res["instances"][0];
            assert!(
                inst["private"].is_string(),
                "the plugin's private data is kept in state: {inst}"
            );
            assert_eq!(inst["attributes"]["tags_all"]["stack"], "gpu");
        }
    }
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(
        r.code,
        0,
        "Terraform with the same plugin plans no change on gantry's state:\n{}",
        r.all()
    );
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("6 destroyed"), "{}", r.stdout);

    // The plugin chosen for the whole source: the S3 bucket too goes through it (an SDKv2
    // resource whose plan keeps "new extra" values in private data: the proposed state
    // must be Terraform's, computed attributes null on create).
    env.push(("GANTRY_PLUGIN_PROVIDERS", "hashicorp/aws".into()));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("6 added"), "{}", r.stdout);
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    // Import through the plugin: the GPU instance and the VPC adopted again by id.
    let st = d.state_json();
    let id_of = |ty: &str| -> String {
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == ty)
            .map(|r| {
                r["instances"][0]["attributes"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap()
    };
    for (addr, id) in [
        ("aws_instance.gpu", id_of("aws_instance")),
        ("aws_vpc.main", id_of("aws_vpc")),
    ] {
        assert_eq!(d.gantry_with(&["state", "rm", addr], &env).code, 0);
        let r = d.gantry_with(&["import", addr, &id], &env);
        assert_eq!(r.code, 0, "{addr}: {}", r.all());
    }
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(
        r.code,
        0,
        "imported through the plugin, nothing to change:\n{}",
        r.all()
    );
    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn an_interrupt_asks_plugins_to_stop_and_nothing_is_lost() {
    let (d, mut env, store) = initialised(1);
    let markers = d.path().join("markers");
    std::fs::create_dir_all(&markers).unwrap();

    env.push(("GANTRYTEST_MARKERS", markers.display().to_string()));
    env.push(("GANTRYTEST_SLOW_CREATE", "600".into()));
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"));
    c.args(["apply", "-auto-approve"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in &env {
        c.env(k, v);
    }
    let child = c.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !markers.join("creating").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the create never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    // The plugin's 600 s wait ends only because gantry sent StopProvider.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        markers.join("stopped").exists(),
        "StopProvider reached the plugin:\n{stderr}"
    );
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    let st = d.state_json();
    let inst = &st["resources"][0]["instances"][0];
    assert_eq!(
        inst["status"], "tainted",
        "the half-made object is recorded, tainted as Terraform does: {st}"
    );

    // The object the plugin made is known: the next apply does not make a second one.
    env.retain(|(k, _)| *k != "GANTRYTEST_SLOW_CREATE");
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("is tainted, so must be replaced"),
        "{}",
        r.stdout
    );
    assert_eq!(
        cloud(&store).as_object().unwrap().len(),
        1,
        "one model, not two:\n{}",
        r.all()
    );
}

#[test]
fn a_tfplugin5_provider_applies_and_destroys_beside_terraform() {
    // The same test provider, served as protocol 5 (`GANTRYTEST_PROTOCOL=5`).
    let (d, mut env, store) = initialised(2);
    env.push(("GANTRYTEST_PROTOCOL", "5".into()));

    let mut logged = env.clone();
    logged.push(("GANTRY_LOG", "gantry::plugin=debug".into()));
    let r = d.gantry_with(&["apply", "-auto-approve"], &logged);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("plugin protocol 5"),
        "the plugin chose protocol 5:\n{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("slug = \"llama-3-serve\""),
        "{}",
        r.stdout
    );
    let id = cloud(&store)
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(cloud(&store)[&id]["replicas"], 2);

    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(
        r.code,
        0,
        "Terraform over protocol 5 plans no change:\n{}",
        r.all()
    );
    d.write("main.tf", &model_config(&store, 5));
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(cloud(&store)[&id]["replicas"], 5, "updated in place");
    let r = d.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(cloud(&store), serde_json::json!({}));
}

#[test]
fn a_moved_block_across_resource_types_moves_state_through_the_plugin() {
    let (d, env, store) = initialised(2);
    let before = model_config(&store, 2);
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let old_state = d.read("terraform.tfstate");
    let id = cloud(&store)
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();

    // gantrytest_model is renamed gantrytest_deployment; the provider moves the object.
    let after = before
        .replace(
            "resource \"gantrytest_model\"",
            "resource \"gantrytest_deployment\"",
        )
        .replace("gantrytest_model.m", "gantrytest_deployment.m")
        + "moved {\n  from = gantrytest_model.m\n  to   = gantrytest_deployment.m\n}\n";
    d.write("main.tf", &after);
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("# gantrytest_model.m has moved to gantrytest_deployment.m"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "nothing is recreated:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "gantrytest_deployment.m: Refreshing state... [id={id}]"
        )),
        "refreshed under its new address, as Terraform says it:\n{}",
        r.stdout
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(cloud(&store).as_object().unwrap().len(), 1);
    let ours = d.state_json();
    let res = ours["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "managed")
        .unwrap()
        .clone();
    assert_eq!(res["type"], "gantrytest_deployment");
    assert_eq!(res["instances"][0]["attributes"]["id"], id.as_str());
    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(
        r.code,
        0,
        "Terraform plans no change after gantry's move:\n{}",
        r.all()
    );

    // Terraform, given the state from before the move, records the same object.
    let t = Dir::new();
    t.write("main.tf", &after);
    t.write("terraform.tfstate", &old_state);
    assert_eq!(
        terraform_env(t.path(), &["init", "-input=false"], &env).code,
        0
    );
    let r = terraform_env(t.path(), &["apply", "-auto-approve", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let theirs = t.state_json();
    let tres = theirs["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "managed")
        .unwrap();
    assert_eq!(tres["type"], res["type"]);
    assert_eq!(
        tres["instances"][0]["attributes"],
        res["instances"][0]["attributes"]
    );
    assert_eq!(
        tres["instances"][0]["schema_version"],
        res["instances"][0]["schema_version"]
    );
}

#[test]
fn an_invalid_plan_from_a_plugin_is_refused_as_terraform_refuses_it() {
    let (d, mut env, store) = initialised(1);
    assert_eq!(d.gantry_with(&["apply", "-auto-approve"], &env).code, 0);
    // The framework calls the provider's plan hook for updates.
    d.write("main.tf", &model_config(&store, 2));
    env.push(("GANTRYTEST_BAD_PLAN", "1".into()));
    let r = d.gantry_with(&["plan"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Provider produced invalid plan")
            && r.stderr.contains("gantrytest_model.name"),
        "{}",
        r.stderr
    );
    let r = terraform_env(d.path(), &["plan", "-input=false", "-no-color"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Provider produced invalid plan"),
        "{}",
        r.stderr
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    let objects = cloud(&store);
    let obj = objects.as_object().unwrap().values().next().unwrap();
    assert_eq!(
        (obj["name"].as_str(), obj["replicas"].as_f64()),
        (Some("llama"), Some(1.0)),
        "the invalid plan was not applied"
    );
}
