//! `gantry init` installing provider plugins from a registry (Terraform's provider registry
//! protocol: SHA256SUMS and its OpenPGP signature checked) and from a network mirror, side by
//! side with Terraform 1.11.4 against the same local server (tests/registry): the same
//! packages, byte-identical lock files with `h1:` and `zh:` hashes, and clear errors for a bad
//! signature, a bad checksum and a lock file the package does not match.

mod common;
use common::registry::Registry;
use common::{terraform_env, Dir};

fn config(source: &str, version: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    gantrytest = {{\n      source  = \"{source}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n\nprovider \"gantrytest\" {{\n  store = \"${{path.module}}/cloud.json\"\n}}\n\nresource \"gantrytest_model\" \"m\" {{\n  name     = \"from-the-registry\"\n  replicas = 1\n}}\n"
    )
}

/// A CLI configuration in `d` and the environment that selects it and trusts the test CA.
fn env(d: &Dir, reg: &Registry, installation: &str) -> Vec<(&'static str, String)> {
    let path = d.path().join("cli.tfrc");
    std::fs::write(&path, installation).unwrap();
    vec![
        ("TF_CLI_CONFIG_FILE", path.display().to_string()),
        ("SSL_CERT_FILE", reg.ca().display().to_string()),
    ]
}

/// Runs `terraform init` on the same files in a fresh directory; returns its lock file.
fn terraform_lock(main_tf: &str, env: &[(&'static str, String)]) -> String {
    let t = Dir::new();
    t.write("main.tf", main_tf);
    let r = terraform_env(t.path(), &["init", "-input=false", "-no-color"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    t.read(".terraform.lock.hcl")
}

#[test]
fn providers_install_from_a_registry_with_signatures_checked_as_terraform_does() {
    let reg = Registry::start();
    let d = Dir::new();
    let env = env(&d, &reg, "provider_installation { direct {} }\n");
    let main_tf = config(&format!("{}/gantry/gantrytest", reg.host()), "~> 1.0");
    d.write("main.tf", &main_tf);

    let r = d.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let short = format!("{}/gantry/gantrytest", reg.host());
    assert!(
        r.stdout
            .contains(&format!("- Installed {short} v1.1.0 (self-signed, key ID ")),
        "the newest matching version, with who signed it:\n{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("Partner and community providers are signed by their developers."));
    let lock = d.read(".terraform.lock.hcl");
    assert_eq!(
        lock.matches("\"zh:").count(),
        2,
        "every platform's archive from the signed SHA256SUMS is recorded:\n{lock}"
    );
    assert_eq!(
        lock,
        terraform_lock(&main_tf, &env),
        "Terraform writes the same lock file"
    );

    // The installed plugin runs; Terraform, in the same directory, sees nothing to do.
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform_env(
        d.path(),
        &["plan", "-detailed-exitcode", "-input=false"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());

    // A lock file the package does not match is an error naming the provider.
    let tampered = lock
        .lines()
        .map(|l| match l.trim_start().get(..4) {
            Some("\"h1:") => "    \"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",".to_string(),
            Some("\"zh:") => format!("    \"zh:{}\",", "0".repeat(64)),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let fresh = Dir::new();
    fresh.write("main.tf", &main_tf);
    fresh.write(".terraform.lock.hcl", &tampered);
    let r = fresh.gantry_with(&["init"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains(&short), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "doesn't match any of the checksums previously recorded in the dependency lock file"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        fresh.read(".terraform.lock.hcl"),
        tampered,
        "the lock file is left as it was"
    );

    // A signature by a key the registry does not name, and an archive that does not match
    // its checksum: both refused, nothing recorded.
    for (ptype, message) in [
        ("badsig", "authentication signature from unknown issuer"),
        ("badsum", "archive has incorrect checksum"),
    ] {
        let bad = Dir::new();
        let text = main_tf.replace("gantry/gantrytest", &format!("gantry/{ptype}"));
        bad.write("main.tf", &text);
        let r = bad.gantry_with(&["init"], &env);
        assert_eq!(r.code, 1, "{ptype}: {}", r.all());
        assert!(r.stderr.contains(message), "{ptype}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("gantry/{ptype}")),
            "{}",
            r.stderr
        );
        assert!(!bad.path().join(".terraform.lock.hcl").exists());
    }
}

#[test]
fn providers_install_from_a_network_mirror_and_a_plugin_cache() {
    let reg = Registry::start();
    let d = Dir::new();
    let cache = d.path().join("plugin-cache");
    std::fs::create_dir_all(&cache).unwrap();
    let installation = format!(
        "plugin_cache_dir = \"{}\"\nprovider_installation {{\n  network_mirror {{\n    url = \"https://{}/mirror/\"\n  }}\n}}\n",
        cache.display(),
        reg.host()
    );
    let env = env(&d, &reg, &installation);
    let main_tf = config("gantry/gantrytest", "1.0.0");
    d.write("main.tf", &main_tf);

    let r = d.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("- Installed gantry/gantrytest v1.0.0 (verified checksum, plugin)"),
        "{}",
        r.stdout
    );
    // Terraform (without the cache) records the same.
    let plain = env_without_cache(&d, &reg, &installation);
    assert_eq!(
        d.read(".terraform.lock.hcl"),
        terraform_lock(&main_tf, &plain)
    );

    // The package went into the cache and is linked from it, as Terraform does.
    let pkg = d
        .path()
        .join(".terraform/providers/registry.terraform.io/gantry/gantrytest/1.0.0")
        .join(gantry::plugin::install::platform());
    let cached = cache
        .join("registry.terraform.io/gantry/gantrytest/1.0.0")
        .join(gantry::plugin::install::platform());
    assert!(pkg.is_symlink(), "{} is a link", pkg.display());
    assert_eq!(
        std::fs::canonicalize(&pkg).unwrap(),
        std::fs::canonicalize(&cached).unwrap()
    );

    // A second directory with the same lock file takes the package from the cache.
    let second = Dir::new();
    second.write("main.tf", &main_tf);
    second.write(".terraform.lock.hcl", &d.read(".terraform.lock.hcl"));
    let r = second.gantry_with(&["init"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let linked = second
        .path()
        .join(".terraform/providers/registry.terraform.io/gantry/gantrytest/1.0.0")
        .join(gantry::plugin::install::platform());
    assert_eq!(
        std::fs::canonicalize(&linked).unwrap(),
        std::fs::canonicalize(&cached).unwrap()
    );
    let r = second.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
}

/// The same installation without `plugin_cache_dir`, in a file of its own.
fn env_without_cache(d: &Dir, reg: &Registry, installation: &str) -> Vec<(&'static str, String)> {
    let text: String = installation
        .lines()
        .filter(|l| !l.starts_with("plugin_cache_dir"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = d.path().join("cli-without-cache.tfrc");
    std::fs::write(&path, text).unwrap();
    vec![
        ("TF_CLI_CONFIG_FILE", path.display().to_string()),
        ("SSL_CERT_FILE", reg.ca().display().to_string()),
    ]
}
