//! `gantry init` installs remote modules into `.terraform/modules` with Terraform's
//! `modules.json`: from a local bare git repository (`git::file://…//subdir?ref=…`, the
//! same manifest as Terraform 1.11 writes) and from a local HTTPS server speaking the module
//! registry protocol (tests/registry/server.py). Nothing leaves 127.0.0.1.

mod common;
use common::registry::Registry;
use common::Dir;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("git must be installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bare repository whose tag v1.0 has modules/net with output "rev" = "v1", and whose
/// later commit on the default branch says "v2".
fn bare_repo(root: &Path) -> String {
    let bare = root.join("repo.git");
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(root, &["init", "--quiet", "--bare", bare.to_str().unwrap()]);
    git(&work, &["init", "--quiet"]);
    std::fs::create_dir_all(work.join("modules/net")).unwrap();
    let module = |rev: &str| {
        format!("variable \"cidr\" {{\n  type = string\n}}\n\nresource \"terraform_data\" \"vpc\" {{\n  input = var.cidr\n}}\n\noutput \"rev\" {{\n  value = \"{rev}\"\n}}\n")
    };
    std::fs::write(work.join("modules/net/main.tf"), module("v1")).unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "v1"]);
    git(&work, &["tag", "v1.0"]);
    std::fs::write(work.join("modules/net/main.tf"), module("v2")).unwrap();
    git(&work, &["commit", "--quiet", "-am", "v2"]);
    git(
        &work,
        &[
            "push",
            "--quiet",
            "--tags",
            bare.to_str().unwrap(),
            "HEAD:refs/heads/main",
        ],
    );
    format!("file://{}", bare.display())
}

fn manifest(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join(".terraform/modules/modules.json")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut rows = j["Modules"].as_array().unwrap().clone();
    rows.sort_by_key(|r| r["Key"].as_str().unwrap().to_string());
    rows
}

#[test]
fn git_modules_install_like_terraform() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare_repo(tmp.path());
    let config = format!(
        "module \"net\" {{\n  source = \"git::{url}//modules/net?ref=v1.0\"\n  cidr   = \"10.0.0.0/16\"\n}}\n\noutput \"rev\" {{\n  value = module.net.rev\n}}\n"
    );
    let g = Dir::new();
    g.write("main.tf", &config);
    let r = g.gantry(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Module not installed"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:1:1"), "{}", r.stderr);

    let r = g.gantry(&["init"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("rev = \"v1\""),
        "the tagged revision: {}",
        r.stdout
    );
    assert_eq!(
        g.addresses(),
        vec!["module.net.terraform_data.vpc".to_string()]
    );

    let tf = Dir::new();
    tf.write("main.tf", &config);
    let out = Command::new("terraform")
        .args(["init", "-input=false", "-no-color"])
        .current_dir(tf.path())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform 1.11 must be on PATH for this comparison");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        manifest(g.path()),
        manifest(tf.path()),
        "modules.json as Terraform writes it"
    );
}

fn registry() -> Registry {
    Registry::start()
}

#[test]
fn registry_modules_honour_version_constraints() {
    let reg = registry();
    let ca = reg.ca().display().to_string();
    let g = Dir::new();
    let config = |constraint: &str| {
        format!(
            "module \"net\" {{\n  source  = \"127.0.0.1:{}/acme/net/aws\"\n  version = \"{constraint}\"\n  name    = \"vpc1\"\n}}\n\noutput \"version\" {{\n  value = module.net.version\n}}\n\noutput \"subnets\" {{\n  value = module.net.subnets\n}}\n",
            reg.port
        )
    };
    g.write("main.tf", &config("~> 1.0"));
    let env = [("SSL_CERT_FILE", ca.clone())];
    let r = g.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("1.2.0"), "{}", r.stdout);
    let rows = manifest(g.path());
    assert_eq!(rows[1]["Key"], "net");
    assert_eq!(rows[1]["Version"], "1.2.0");
    assert_eq!(rows[1]["Dir"], ".terraform/modules/net");
    assert_eq!(rows[2]["Key"], "net.subnets");
    assert_eq!(rows[2]["Dir"], ".terraform/modules/net/modules/subnets");

    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("version = \"1.2.0\""), "{}", r.stdout);
    assert!(r.stdout.contains("\"vpc1-a\""), "{}", r.stdout);

    // A constraint the installed version no longer meets needs init -upgrade… or any init.
    g.write("main.tf", &config(">= 2.0"));
    let r = g.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(manifest(g.path())[1]["Version"], "2.0.0");

    // No version matches: a clear error naming the module call.
    g.write("main.tf", &config("~> 3.0"));
    let r = g.gantry_with(&["init"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("no available version"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:1:1"), "{}", r.stderr);

    // Without the test CA the server is not trusted.
    g.write("main.tf", &config("~> 1.0"));
    let r = g.gantry_with(
        &["init", "-upgrade"],
        &[("SSL_CERT_FILE", "/dev/null".to_string())],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);
}
