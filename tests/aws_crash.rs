//! Never lose a resource: AWS stacks applied against moto while gantry is SIGKILLed at 20
//! random moments — 200 buckets, roles and instances; then ~150 networking, EKS, ECR, IAM
//! policy, key pair and placement group objects (tests/common/aws_mixed.rs). After each kill
//! every state file still parses; at the end the objects in moto are exactly the objects in
//! state — no orphan, no duplicate.

mod common;
use common::moto::Moto;
use common::Dir;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

const CONFIG: &str = r#"
resource "aws_s3_bucket" "data" {
  count  = 80
  bucket = "crash-data-${count.index}"
}
resource "aws_iam_role" "worker" {
  count              = 60
  name               = "crash-worker-${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}
resource "aws_instance" "node" {
  count         = 60
  ami           = "ami-760aaa0f"
  instance_type = "g5.xlarge"
  tags          = { Name = "crash-node-${count.index}" }
}
"#;

/// xorshift: reproducible random kill moments from a printed seed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// 20 applies, each SIGKILLed at a random moment; after each the state still loads. Returns
/// how many kills left the state partly applied (between 0 and `total` objects).
fn kill_repeatedly(d: &Dir, env: &[(&'static str, String)], total: usize) -> usize {
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("kill schedule seed: {seed}");
    let mut partial_rounds = 0;
    for round in 0..20 {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
        c.args(["apply", "-auto-approve", "-parallelism=8"])
            .current_dir(d.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(100 + next(&mut seed) % 1500));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever moment it died at, the state (snapshot + journal) still loads. The
        // snapshot is rewritten in place (Terraform's lock is on the file), so a kill during
        // that write may tear it; then the journal it was folding in is still there, and
        // `load` rebuilds from backup + journal. An empty file is the one the lock created.
        if let Ok(bytes) = std::fs::read(d.state_path()) {
            if !bytes.is_empty() {
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    assert!(
                        d.path().join("terraform.tfstate.journal").exists(),
                        "round {round}: snapshot torn ({e}) with no journal to rebuild it from"
                    );
                }
            }
        }
        let list = d.gantry(&["state", "list"]);
        assert_eq!(list.code, 0, "round {round}: {}", list.all());
        let n = list.stdout.lines().count();
        println!("round {round}: {n} objects in state");
        if n > 0 && n < total {
            partial_rounds += 1;
        }
    }
    partial_rounds
}

#[test]
fn twenty_kills_lose_nothing_and_duplicate_nothing() {
    let moto = Moto::start();
    let env = moto.env();
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    assert!(
        kill_repeatedly(&d, &env, 200) > 0,
        "no kill landed in the middle of an apply"
    );
    let last = d.gantry_with(&["apply", "-auto-approve", "-parallelism=8"], &env);
    assert_eq!(last.code, 0, "{}", last.all());
    println!("{}", last.stderr);
    let again = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "converged: {}", again.all());

    let live = moto.live("crash-");
    assert_eq!(live.buckets, d.ids_of("aws_s3_bucket"));
    assert_eq!(live.buckets.len(), 80);
    assert_eq!(live.roles, d.ids_of("aws_iam_role"));
    assert_eq!(live.roles.len(), 60);
    let unique: BTreeSet<String> = live.instances.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        live.instances.len(),
        "an instance id appears twice"
    );
    assert_eq!(
        live.instances.len(),
        60,
        "no orphaned or duplicated instance: {:?}",
        live.instances
    );
    assert_eq!(unique, d.ids_of("aws_instance"));
}

#[test]
fn twenty_kills_over_networks_eks_and_keys_lose_nothing() {
    let moto = Moto::start();
    let env = moto.env();
    let d = Dir::new();
    d.write("main.tf", &common::aws_mixed::config("crashnet"));
    assert!(
        kill_repeatedly(&d, &env, common::aws_mixed::TOTAL) > 0,
        "no kill landed in the middle of an apply"
    );
    let last = d.gantry_with(&["apply", "-auto-approve", "-parallelism=8"], &env);
    assert_eq!(last.code, 0, "{}", last.all());
    let again = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "converged: {}", again.all());
    assert_eq!(d.addresses().len(), common::aws_mixed::TOTAL);
    common::aws_mixed::assert_live_matches_state(&moto, &d, "crashnet");
}
