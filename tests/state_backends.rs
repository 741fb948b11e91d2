//! Remote state backends (S3, GCS, Azure Blob, PostgreSQL, HTTP) against real local stores:
//! locking between concurrent runs, recovery after kill -9, workspaces in each backend's
//! layout, migration between all of them, and sharing state and locks with Terraform 1.11.

mod common;
use common::stores::{http, Stores, KINDS, S3_DYNAMODB};
use common::{terraform_env, Dir, Run};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn config(stores: &Stores, kind: &str, key: &str, body: &str) -> String {
    format!("terraform {{\n{}}}\n{body}", stores.block(kind, key))
}

fn run(d: &Dir, stores: &Stores, args: &[&str]) -> Run {
    let env = stores.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    d.gantry_env(args, &env)
}

fn init(d: &Dir, stores: &Stores) {
    let r = run(d, stores, &["init", "-input=false"]);
    assert_eq!(r.code, 0, "init: {}", r.all());
}

/// A gantry run in the background, its output collected as it comes.
struct Background {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Background {
    fn start(d: &Dir, stores: &Stores, args: &[&str], extra: &[(&str, &str)]) -> Background {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(args)
            .current_dir(d.path())
            .env("NO_COLOR", "1")
            .envs(stores.env())
            .envs(extra.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    out.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        Background { child, out }
    }

    fn text(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Waits until the output holds `needle` `times` times.
    fn wait_for(&self, needle: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.text().matches(needle).count() < times {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?} in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn answer(&mut self, line: &str) {
        let mut stdin = self.child.stdin.take().unwrap();
        writeln!(stdin, "{line}").unwrap();
    }

    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        // Let the reader threads drain.
        std::thread::sleep(Duration::from_millis(200));
        (status.code().unwrap_or(-1), self.text())
    }
}

/// The lock id a refused run printed (`ID:        …`).
fn lock_id(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("ID:").map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("no lock id in:\n{text}"))
}

#[test]
fn a_second_apply_is_refused_naming_the_holder_or_waits_for_it() {
    let stores = Stores::start();
    for kind in KINDS {
        let d = Dir::new();
        d.write(
            "main.tf",
            &config(
                &stores,
                kind,
                &format!("lock-{kind}"),
                "resource \"terraform_data\" \"a\" {\n  count = 2\n  input = count.index\n}\n",
            ),
        );
        init(&d, &stores);
        let mut first = Background::start(&d, &stores, &["apply", "-input=true"], &[]);
        first.wait_for("Enter a value", 1);
        let second = run(&d, &stores, &["apply", "-auto-approve"]);
        assert_eq!(
            second.code,
            1,
            "{kind}: the second apply must be refused: {}",
            second.all()
        );
        assert!(
            second.stderr.contains("Error acquiring the state lock"),
            "{kind}: {}",
            second.all()
        );
        assert!(
            second.stderr.contains("OperationTypeApply"),
            "{kind}: the refusal names the holder's operation: {}",
            second.stderr
        );
        assert!(
            second.stderr.contains(&format!("Who:       {}", whoami())),
            "{kind}: the refusal names who holds it: {}",
            second.stderr
        );
        // With -lock-timeout the third waits for the first, then runs.
        let third = Background::start(
            &d,
            &stores,
            &["apply", "-auto-approve", "-lock-timeout=300s"],
            &[],
        );
        std::thread::sleep(Duration::from_millis(1500));
        first.answer("yes");
        let (code, out) = first.finish();
        assert_eq!(code, 0, "{kind}: {out}");
        assert!(
            out.contains("Apply complete! Resources: 2 added"),
            "{kind}: {out}"
        );
        let (code, out) = third.finish();
        assert_eq!(
            code, 0,
            "{kind}: the waiting apply runs once the lock is free: {out}"
        );
        assert!(
            out.contains("No changes"),
            "{kind}: it sees the first apply's state: {out}"
        );
        assert_eq!(
            run(&d, &stores, &["state", "list"]).stdout.lines().count(),
            2,
            "{kind}"
        );
    }
}

fn whoami() -> String {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
                .trim()
                .to_string()
        });
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// `show -json` ids by address.
fn ids(d: &Dir, stores: &Stores) -> std::collections::BTreeMap<String, String> {
    let r = run(d, stores, &["show", "-json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    j["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["values"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn kill_9_mid_apply_loses_and_repeats_nothing() {
    const N: usize = 500;
    let stores = Stores::start();
    for kind in KINDS {
        let d = Dir::new();
        d.write(
            "main.tf",
            &config(&stores, kind, &format!("crash-{kind}"), &format!("resource \"terraform_data\" \"n\" {{\n  count = {N}\n  input = \"n-${{count.index}}\"\n}}\n")),
        );
        init(&d, &stores);
        // Pushes every 100 ms, so the store also holds part of the run when it dies.
        let mut apply = Background::start(
            &d,
            &stores,
            &["apply", "-auto-approve", "-parallelism=2"],
            &[("GANTRY_STATE_PUSH_SECONDS", "0.1")],
        );
        apply.wait_for(": Creation complete", 150);
        apply.child.kill().unwrap();
        let (_, out) = apply.finish();
        let completed: Vec<String> = out
            .lines()
            .filter_map(|l| {
                l.split(": Creation complete")
                    .next()
                    .filter(|_| l.contains(": Creation complete"))
            })
            .map(String::from)
            .collect();
        assert!(
            completed.len() >= 150 && completed.len() < N,
            "{kind}: killed mid-apply after {}",
            completed.len()
        );
        // The dead run's lock stays in the store (PostgreSQL drops it with the session).
        let plan = run(&d, &stores, &["plan"]);
        if kind == "pg" {
            assert_eq!(plan.code, 0, "{kind}: {}", plan.all());
        } else {
            assert_eq!(
                plan.code,
                1,
                "{kind}: the dead holder's lock is still there: {}",
                plan.all()
            );
            let id = lock_id(&plan.stderr);
            let r = run(&d, &stores, &["force-unlock", "-force", &id]);
            assert_eq!(r.code, 0, "{kind}: force-unlock {id}: {}", r.all());
        }
        let before = ids(&d, &stores);
        for a in &completed {
            assert!(
                before.contains_key(a),
                "{kind}: {a} was reported complete but is not in state"
            );
        }
        let r = run(&d, &stores, &["apply", "-auto-approve"]);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        assert!(
            r.all().contains(&format!(
                "Apply complete! Resources: {} added",
                N - before.len()
            )),
            "{kind}: only what is missing is created: {}",
            r.all()
        );
        let after = ids(&d, &stores);
        assert_eq!(after.len(), N, "{kind}");
        for (a, id) in &before {
            assert_eq!(
                after.get(a),
                Some(id),
                "{kind}: {a} was kept, not created again"
            );
        }
        // Everything reached the store: a fresh checkout (no local journal) sees it all.
        let other = Dir::new();
        other.write("main.tf", &d.read("main.tf"));
        init(&other, &stores);
        assert_eq!(
            ids(&other, &stores),
            after,
            "{kind}: the store holds the final state"
        );
    }
}

/// The state's resources (as JSON), lineage and serial, via `state pull`.
fn pulled(d: &Dir, stores: &Stores, workspace: &str) -> (serde_json::Value, String, u64) {
    let env = stores.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("TF_WORKSPACE", workspace));
    let r = d.gantry_env(&["state", "pull"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    (
        j["resources"].clone(),
        j["lineage"].as_str().unwrap().to_string(),
        j["serial"].as_u64().unwrap(),
    )
}

#[test]
fn state_migrates_local_s3_gcs_azurerm_pg_local_with_workspaces() {
    let stores = Stores::start();
    let body = "resource \"terraform_data\" \"a\" {\n  count = 3\n  input = \"${terraform.workspace}-${count.index}\"\n}\noutput \"ws\" { value = terraform.workspace }\n";
    let d = Dir::new();
    d.write("main.tf", body);
    init(&d, &stores);
    assert_eq!(run(&d, &stores, &["apply", "-auto-approve"]).code, 0);
    assert_eq!(run(&d, &stores, &["workspace", "new", "dev"]).code, 0);
    let r = run(&d, &stores, &["apply", "-auto-approve"]);
    assert!(r.stdout.contains("ws = \"dev\""), "{}", r.all());
    assert_eq!(
        run(&d, &stores, &["workspace", "select", "default"]).code,
        0
    );
    let mut last = [pulled(&d, &stores, "default"), pulled(&d, &stores, "dev")];
    for kind in ["s3", "gcs", "azurerm", "pg", "local"] {
        d.write("main.tf", &config(&stores, kind, "migrate", body));
        let plan = run(&d, &stores, &["plan"]);
        assert_eq!(
            plan.code,
            1,
            "{kind}: a changed backend needs init first: {}",
            plan.all()
        );
        assert!(
            plan.stderr.contains("Backend initialization required"),
            "{}",
            plan.stderr
        );
        let r = run(
            &d,
            &stores,
            &["init", "-migrate-state", "-force-copy", "-input=false"],
        );
        assert_eq!(r.code, 0, "migrating to {kind}: {}", r.all());
        let names = run(&d, &stores, &["workspace", "list"]).stdout;
        assert!(
            names.contains("default") && names.contains("dev"),
            "{kind}: {names}"
        );
        for (i, ws) in ["default", "dev"].into_iter().enumerate() {
            let now = pulled(&d, &stores, ws);
            assert_eq!(now.0, last[i].0, "{kind}/{ws}: same objects");
            assert_eq!(now.1, last[i].1, "{kind}/{ws}: lineage kept");
            assert!(
                now.2 > last[i].2,
                "{kind}/{ws}: serial {} must exceed {}",
                now.2,
                last[i].2
            );
            last[i] = now;
        }
        let r = run(&d, &stores, &["plan", "-detailed-exitcode"]);
        assert_eq!(
            r.code,
            0,
            "{kind}: nothing to change after migration: {}",
            r.all()
        );
    }
    // state pull / push against a remote store: the same state goes back (serial kept
    // rising); another lineage is refused without -force.
    d.write("main.tf", &config(&stores, "s3", "migrate", body));
    let r = run(
        &d,
        &stores,
        &["init", "-migrate-state", "-force-copy", "-input=false"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let pulled_text = run(&d, &stores, &["state", "pull"]).stdout;
    d.write("pulled.tfstate", &pulled_text);
    let r = run(&d, &stores, &["state", "push", "pulled.tfstate"]);
    assert_eq!(r.code, 0, "pushing the pulled state back: {}", r.all());
    let other: serde_json::Value = serde_json::from_str(&pulled_text).unwrap();
    let mut other = other;
    other["lineage"] = "00000000-0000-0000-0000-000000000000".into();
    d.write("other.tfstate", &other.to_string());
    let r = run(&d, &stores, &["state", "push", "other.tfstate"]);
    assert_eq!(r.code, 1, "another lineage is refused: {}", r.all());
    assert!(r.stderr.contains("lineage"), "{}", r.stderr);
    let now = pulled(&d, &stores, "default");
    assert_eq!(now.1, last[0].1, "the refused push changed nothing");
}

#[test]
fn workspaces_live_where_terraform_puts_them() {
    let stores = Stores::start();
    for kind in ["s3", "gcs", "azurerm", "pg"] {
        let d = Dir::new();
        d.write(
            "main.tf",
            &config(
                &stores,
                kind,
                &format!("ws-{kind}"),
                "output \"ws\" { value = terraform.workspace }\n",
            ),
        );
        init(&d, &stores);
        assert_eq!(run(&d, &stores, &["apply", "-auto-approve"]).code, 0);
        let r = run(&d, &stores, &["workspace", "new", "staging"]);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        let r = run(&d, &stores, &["apply", "-auto-approve"]);
        assert!(r.stdout.contains("ws = \"staging\""), "{kind}: {}", r.all());
        // The objects are where Terraform puts them.
        let (expected, listing) = match kind {
            "s3" => (
                "env:/staging/ws-s3/terraform.tfstate".to_string(),
                String::from_utf8_lossy(
                    &http(stores.moto.port, "GET", "/tfstate?list-type=2", b"").1,
                )
                .into_owned(),
            ),
            "gcs" => (
                "ws-gcs/staging.tfstate".to_string(),
                String::from_utf8_lossy(
                    &http(stores.gcs_port, "GET", "/storage/v1/b/tfstate/o", b"").1,
                )
                .into_owned(),
            ),
            "azurerm" => (
                "ws-azurerm.tfstateenv:staging".to_string(),
                stores.azure.list("tfstate").join("\n"),
            ),
            _ => (
                "staging".to_string(),
                stores.pg.query("select name from ws_pg.states"),
            ),
        };
        assert!(
            listing.contains(&expected),
            "{kind}: {expected} not in {listing}"
        );
        // Terraform, from its own working directory, lists the same workspaces.
        let t = Dir::new();
        t.write("main.tf", &d.read("main.tf"));
        let env = stores.env();
        let r = terraform_env(t.path(), &["init", "-input=false", "-no-color"], &env);
        assert_eq!(r.code, 0, "{kind}: terraform init: {}", r.all());
        let r = terraform_env(t.path(), &["workspace", "list", "-no-color"], &env);
        let listed: Vec<&str> = r.stdout.split_whitespace().filter(|w| *w != "*").collect();
        assert_eq!(listed, ["default", "staging"], "{kind}: {}", r.all());
        let mut tenv = env.clone();
        tenv.push(("TF_WORKSPACE", "staging".into()));
        let r = terraform_env(t.path(), &["output", "-raw", "ws"], &tenv);
        assert_eq!(r.stdout.trim(), "staging", "{kind}: {}", r.all());
        // Deleting a workspace removes it from the store.
        assert_eq!(
            run(&d, &stores, &["workspace", "select", "default"]).code,
            0
        );
        let r = run(&d, &stores, &["workspace", "delete", "staging"]);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        let r = terraform_env(t.path(), &["workspace", "list", "-no-color"], &env);
        assert!(!r.stdout.contains("staging"), "{kind}: {}", r.all());
    }
}

#[test]
fn terraform_and_gantry_share_state_and_locks() {
    let stores = Stores::start();
    for kind in ["s3", S3_DYNAMODB, "gcs", "azurerm", "pg"] {
        let g = Dir::new();
        let t = Dir::new();
        let body = |n: usize| {
            config(&stores, kind, &format!("interop-{kind}"), &format!("resource \"terraform_data\" \"a\" {{\n  count = {n}\n  input = \"v${{count.index}}\"\n}}\n"))
        };
        t.write("main.tf", &body(3));
        g.write("main.tf", &body(3));
        let env = stores.env();
        let r = terraform_env(t.path(), &["init", "-input=false", "-no-color"], &env);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        let r = terraform_env(t.path(), &["apply", "-auto-approve", "-no-color"], &env);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        init(&g, &stores);
        let r = run(&g, &stores, &["plan", "-detailed-exitcode"]);
        assert_eq!(
            r.code,
            0,
            "{kind}: gantry plans no changes over Terraform's state: {}",
            r.all()
        );
        // gantry changes it; Terraform then plans no changes.
        g.write("main.tf", &body(4));
        t.write("main.tf", &body(4));
        assert_eq!(run(&g, &stores, &["apply", "-auto-approve"]).code, 0);
        let r = terraform_env(t.path(), &["plan", "-detailed-exitcode", "-no-color"], &env);
        assert_eq!(
            r.code,
            0,
            "{kind}: Terraform plans no changes over gantry's state: {}",
            r.all()
        );
        // gantry holds the lock: Terraform is refused.
        g.write("main.tf", &body(5));
        t.write("main.tf", &body(5));
        let mut held = Background::start(&g, &stores, &["apply", "-input=true"], &[]);
        held.wait_for("Enter a value", 1);
        let r = terraform_env(t.path(), &["plan", "-no-color"], &env);
        assert_eq!(r.code, 1, "{kind}: {}", r.all());
        assert!(
            r.all().contains("Error acquiring the state lock"),
            "{kind}: {}",
            r.all()
        );
        held.answer("no");
        held.finish();
        // Terraform holds the lock: gantry is refused, naming Terraform's lock.
        let mut tf = Command::new("terraform")
            .args(["apply", "-no-color"])
            .current_dir(t.path())
            .env("CHECKPOINT_DISABLE", "1")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = tf.stdout.take().unwrap();
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        while !seen.contains("Enter a value") {
            let n = out.read(&mut buf).unwrap();
            assert!(n > 0, "{kind}: terraform apply ended early: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let r = run(&g, &stores, &["plan"]);
        assert_eq!(r.code, 1, "{kind}: {}", r.all());
        assert!(
            r.stderr.contains("Error acquiring the state lock"),
            "{kind}: {}",
            r.all()
        );
        writeln!(tf.stdin.take().unwrap(), "no").unwrap();
        let _ = tf.wait();
        let r = run(&g, &stores, &["apply", "-auto-approve"]);
        assert_eq!(r.code, 0, "{kind}: the lock is free again: {}", r.all());
    }
}

#[test]
fn a_run_killed_on_one_machine_is_reconciled_on_another_through_the_store() {
    let stores = Stores::start();
    let body = "resource \"aws_instance\" \"gpu\" {\n  count = 40\n  ami = \"ami-760aaa0f\"\n  instance_type = \"g5.xlarge\"\n  tags = { Name = \"handover-${count.index}\" }\n}\n";
    let moto_url = stores.moto.url();
    let aws = [("AWS_ENDPOINT_URL", moto_url.as_str())];
    let first = Dir::new();
    first.write("main.tf", &config(&stores, "s3", "handover", body));
    init(&first, &stores);
    // Completed work is pushed every second; each create's intent reaches the store before
    // its RunInstances call.
    let mut apply = Background::start(
        &first,
        &stores,
        &["apply", "-auto-approve", "-parallelism=4"],
        &[("GANTRY_STATE_PUSH_SECONDS", "1"), aws[0]],
    );
    apply.wait_for(": Creation complete", 12);
    apply.child.kill().unwrap();
    let (_, out) = apply.finish();
    let done = out.matches(": Creation complete").count();
    assert!(done < 40, "killed mid-apply ({done} done)");
    // Another machine: same configuration, no local journal.
    let second = Dir::new();
    second.write("main.tf", &first.read("main.tf"));
    init(&second, &stores);
    let with_aws = |d: &Dir, args: &[&str]| {
        let env = stores.env();
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend(aws);
        d.gantry_env(args, &env)
    };
    let plan = with_aws(&second, &["plan"]);
    assert_eq!(
        plan.code,
        1,
        "the dead run's lock is still held: {}",
        plan.all()
    );
    let id = lock_id(&plan.stderr);
    assert_eq!(
        run(&second, &stores, &["force-unlock", "-force", &id]).code,
        0
    );
    let r = with_aws(&second, &["apply", "-auto-approve", "-parallelism=4"]);
    assert!(
        r.all().contains("Reconciled"),
        "the intents left in the store were reconciled: {}",
        r.all()
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let live = stores.moto.live("handover-");
    let unique: std::collections::BTreeSet<String> = live.instances.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        live.instances.len(),
        "an instance id appears twice"
    );
    assert_eq!(
        live.instances.len(),
        40,
        "every instance made exactly once: {:?}",
        live.instances
    );
    let shown = with_aws(&second, &["show", "-json"]);
    let j: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let in_state: std::collections::BTreeSet<String> = j["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["values"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(in_state, unique, "state holds exactly the live instances");
}

#[test]
fn terraform_remote_state_reads_outputs_from_every_backend() {
    let stores = Stores::start();
    for kind in KINDS {
        let producer = Dir::new();
        producer.write(
            "main.tf",
            &config(&stores, kind, &format!("remote-{kind}"), "output \"subnet\" { value = \"subnet-${terraform.workspace}\" }\noutput \"token\" {\n  value = \"s3cr3t\"\n  sensitive = true\n}\n"),
        );
        init(&producer, &stores);
        let r = run(&producer, &stores, &["apply", "-auto-approve"]);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        // The consumer passes the producer's backend arguments as `config`.
        let block = stores.block(kind, &format!("remote-{kind}"));
        let args: String = block
            .lines()
            .skip(1)
            .filter(|l| l.trim() != "}")
            .map(|l| format!("{l}\n"))
            .collect();
        let consumer = Dir::new();
        consumer.write(
            "main.tf",
            &format!("data \"terraform_remote_state\" \"net\" {{\n  backend = \"{kind}\"\n  config = {{\n{args}  }}\n  defaults = {{ region = \"us-east-1\" }}\n}}\noutput \"subnet\" {{ value = data.terraform_remote_state.net.outputs.subnet }}\noutput \"region\" {{ value = data.terraform_remote_state.net.outputs.region }}\noutput \"token\" {{\n  value = data.terraform_remote_state.net.outputs.token\n  sensitive = true\n}}\n"),
        );
        let r = run(&consumer, &stores, &["apply", "-auto-approve"]);
        assert_eq!(r.code, 0, "{kind}: {}", r.all());
        assert!(
            r.stdout.contains("subnet = \"subnet-default\""),
            "{kind}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("region = \"us-east-1\""),
            "{kind}: defaults fill what the state lacks: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("token = <sensitive>") && !r.all().contains("s3cr3t"),
            "{kind}: a sensitive output stays sensitive: {}",
            r.all()
        );
    }
}

#[test]
fn a_store_briefly_down_during_an_apply_delays_pushes_and_loses_nothing() {
    const N: usize = 1500;
    let stores = Stores::start();
    let d = Dir::new();
    d.write(
        "main.tf",
        &config(
            &stores,
            "http",
            "flaky",
            &format!(
                "resource \"terraform_data\" \"n\" {{\n  count = {N}\n  input = count.index\n}}\n"
            ),
        ),
    );
    init(&d, &stores);
    // The store answers the next 3 state writes with 503; pushes are due every 10 ms, so
    // those are periodic pushes, long before the apply's final one.
    let (status, _) = http(stores.http_port, "POST", "/_fail?n=3", b"");
    assert_eq!(status, 200);
    let env = stores.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([
        ("GANTRY_STATE_PUSH_SECONDS", "0.01"),
        ("GANTRY_LOG", "gantry_plans::backend=warn"),
    ]);
    let r = d.gantry_env(&["apply", "-auto-approve", "-parallelism=2"], &env);
    assert_eq!(
        r.code,
        0,
        "periodic pushes that fail are retried, not fatal: {}",
        r.all()
    );
    assert!(
        r.stderr.matches("failed (retried)").count() >= 3,
        "three pushes failed while the store was down: {}",
        r.stderr
    );
    // A fresh checkout sees every object: the later pushes carried it all.
    let other = Dir::new();
    other.write("main.tf", &d.read("main.tf"));
    init(&other, &stores);
    let seen = ids(&other, &stores);
    assert_eq!(seen.len(), N);
    assert_eq!(seen, ids(&d, &stores));
}

#[test]
fn azurerm_works_with_a_sas_token_and_shares_the_lock_with_key_users() {
    let stores = Stores::start();
    let sas = stores.azure.account_sas();
    let env: Vec<(&str, String)> = stores
        .env()
        .into_iter()
        .filter(|(k, _)| *k != "ARM_ACCESS_KEY")
        .chain([("ARM_SAS_TOKEN", sas)])
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let d = Dir::new();
    d.write(
        "main.tf",
        &config(
            &stores,
            "azurerm",
            "sas",
            "resource \"terraform_data\" \"a\" {\n  count = 3\n  input = count.index\n}\n",
        ),
    );
    let r = d.gantry_env(&["init", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_env(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_env(&["workspace", "new", "dev"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(d
        .gantry_env(&["workspace", "list"], &env)
        .stdout
        .contains("dev"));
    assert_eq!(
        d.gantry_env(&["workspace", "select", "default"], &env).code,
        0
    );
    let r = d.gantry_env(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    // A key user holds the lock: the SAS user is refused, naming the holder.
    d.write(
        "main.tf",
        &config(
            &stores,
            "azurerm",
            "sas",
            "resource \"terraform_data\" \"a\" {\n  count = 4\n  input = count.index\n}\n",
        ),
    );
    let mut held = Background::start(&d, &stores, &["apply", "-input=true"], &[]);
    held.wait_for("Enter a value", 1);
    let r = d.gantry_env(&["plan"], &env);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Error acquiring the state lock")
            && r.stderr.contains("OperationTypeApply"),
        "{}",
        r.stderr
    );
    held.answer("yes");
    let (code, out) = held.finish();
    assert_eq!(code, 0, "{out}");
    let r = d.gantry_env(&["state", "list"], &env);
    assert_eq!(r.stdout.lines().count(), 4, "{}", r.all());
}

#[test]
fn the_s3_backend_assumes_a_role_for_its_own_credentials() {
    let stores = Stores::start();
    let block = stores.block("s3", "assumed").replace(
        "    use_lockfile = true\n",
        "    use_lockfile = true\n    assume_role = {\n      role_arn = \"arn:aws:iam::123456789012:role/state-writer\"\n      session_name = \"gantry-state\"\n      duration = \"15m\"\n    }\n",
    );
    assert!(block.contains("assume_role"), "{block}");
    let d = Dir::new();
    d.write(
        "main.tf",
        &format!("terraform {{\n{block}}}\nresource \"terraform_data\" \"a\" {{}}\n"),
    );
    // STS through moto (AWS_ENDPOINT_URL_STS); the role's credentials then write the state.
    let env = stores.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let moto_url = stores.moto.url();
    env.push(("AWS_ENDPOINT_URL_STS", moto_url.as_str()));
    let r = d.gantry_env(&["init", "-input=false"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = d.gantry_env(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let (status, body) = http(stores.moto.port, "GET", "/tfstate?list-type=2", b"");
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&body).contains("assumed/terraform.tfstate"),
        "{}",
        String::from_utf8_lossy(&body)
    );
}
