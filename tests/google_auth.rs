//! Credentials against the test server's token endpoints (tests/google/tokens.py), with the
//! API refusing anything but the tokens it issued: a service-account key (an RS256 JWT
//! signed by gantry and verified by the server), gcloud's authorized-user ADC file, the
//! metadata server; a wrong key and missing credentials fail plainly.

mod common;

use common::google::Google;
use common::Dir;
use serde_json::json;

const CONFIG: &str = r#"
resource "google_vertex_ai_endpoint" "e" {
  name         = "31337"
  display_name = "authenticated"
  location     = "us-central1"
}
"#;

/// A fresh RSA key pair: (PKCS#8 private PEM, public PEM).
fn key_pair(d: &Dir, name: &str) -> (String, String) {
    let key = d.path().join(format!("{name}.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "openssl genpkey");
    let public = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(public.status.success());
    (
        std::fs::read_to_string(&key).unwrap(),
        String::from_utf8(public.stdout).unwrap(),
    )
}

/// The emulator environment without its placeholder token, plus `extra`.
fn env_with(g: &Google, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = g
        .env()
        .into_iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .map(|(k, v)| {
            if k == "GOOGLE_OAUTH_ACCESS_TOKEN" {
                (k, String::new())
            } else {
                (k, v)
            }
        })
        .collect();
    env.extend(extra.iter().cloned());
    env
}

#[test]
fn a_service_account_key_signs_its_own_token_request() {
    let g = Google::start();
    let d = Dir::new();
    let (private, public) = key_pair(&d, "sa");
    let email = "deployer@gantry-test.iam.gserviceaccount.com";
    g.control(
        "auth",
        json!({"require_auth": true, "service_accounts": {email: public}}),
    );
    let key_file = d.path().join("key.json");
    std::fs::write(
        &key_file,
        json!({"type": "service_account", "project_id": "gantry-test",
               "private_key_id": "k1", "private_key": private, "client_email": email,
               "token_uri": format!("{}/oauth2/token", g.api_url())})
        .to_string(),
    )
    .unwrap();
    d.write("main.tf", CONFIG);

    // Without credentials the API refuses, and gantry says so.
    let r = d.gantry_with(&["apply", "-auto-approve"], &env_with(&g, &[]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("Error 401"), "{}", r.all());

    let env = env_with(
        &g,
        &[(
            "GOOGLE_APPLICATION_CREDENTIALS",
            key_file.to_string_lossy().into_owned(),
        )],
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let log = g.control("auth", json!({}))["log"].clone();
    assert_eq!(
        log,
        json!([{"grant": "jwt-bearer", "subject": email}]),
        "one token, cached"
    );

    // The same key through the provider block's `credentials` (its JSON as content).
    let d2 = Dir::new();
    d2.write(
        "main.tf",
        &format!(
            "provider \"google\" {{\n  credentials = file(\"{}\")\n}}\n{}",
            key_file.display(),
            CONFIG.replace("31337", "31338")
        ),
    );
    let r = d2.gantry_with(&["apply", "-auto-approve"], &env_with(&g, &[]));
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn a_key_google_does_not_know_is_refused_plainly() {
    let g = Google::start();
    let d = Dir::new();
    let (_, registered) = key_pair(&d, "registered");
    let (other, _) = key_pair(&d, "other");
    let email = "deployer@gantry-test.iam.gserviceaccount.com";
    g.control(
        "auth",
        json!({"require_auth": true, "service_accounts": {email: registered}}),
    );
    let key_file = d.path().join("key.json");
    std::fs::write(
        &key_file,
        json!({"type": "service_account", "private_key_id": "k2", "private_key": other,
               "client_email": email, "token_uri": format!("{}/oauth2/token", g.api_url())})
        .to_string(),
    )
    .unwrap();
    d.write("main.tf", CONFIG);
    let env = env_with(
        &g,
        &[(
            "GOOGLE_APPLICATION_CREDENTIALS",
            key_file.to_string_lossy().into_owned(),
        )],
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all()
            .contains("Google refused the credentials (400 Bad Request): Invalid JWT Signature."),
        "{}",
        r.all()
    );
    assert!(
        !r.all().contains("BEGIN PRIVATE KEY"),
        "the key never reaches output"
    );
    assert!(d.addresses().is_empty());
}

#[test]
fn gclouds_adc_file_and_the_metadata_server_are_used_when_nothing_else_is() {
    let g = Google::start();
    g.control(
        "auth",
        json!({"require_auth": true, "refresh_tokens": {"1//refresh-me": "client-1.apps.googleusercontent.com"}}),
    );
    // gcloud auth application-default login leaves an authorized_user file.
    let gcloud = Dir::new();
    std::fs::write(
        gcloud.path().join("application_default_credentials.json"),
        json!({"type": "authorized_user", "client_id": "client-1.apps.googleusercontent.com",
               "client_secret": "s3cret", "refresh_token": "1//refresh-me",
               "token_uri": format!("{}/oauth2/token", g.api_url())})
        .to_string(),
    )
    .unwrap();
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let env = env_with(
        &g,
        &[(
            "CLOUDSDK_CONFIG",
            gcloud.path().to_string_lossy().into_owned(),
        )],
    );
    let r = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    // On a VM: the metadata server.
    let d2 = Dir::new();
    d2.write("main.tf", &CONFIG.replace("31337", "31339"));
    let host = g.api_url().trim_start_matches("http://").to_string();
    let r = d2.gantry_with(
        &["apply", "-auto-approve"],
        &env_with(&g, &[("GCE_METADATA_HOST", host)]),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let log = g.control("auth", json!({}))["log"].clone();
    assert_eq!(
        log,
        json!([{"grant": "refresh_token", "subject": "client-1.apps.googleusercontent.com"},
               {"grant": "metadata", "subject": "default"}])
    );
}
