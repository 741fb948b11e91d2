//! Never lose a resource: 200 AWS objects (buckets, roles, instances) applied against moto
//! while gantry is SIGKILLed at 20 random moments. After each kill every state file still
//! parses; at the end the objects in moto are exactly the objects in state — no orphan, no
//! duplicate.

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

#[test]
fn twenty_kills_lose_nothing_and_duplicate_nothing() {
    let moto = Moto::start();
    let env = moto.env();
    let d = Dir::new();
    d.write("main.tf", CONFIG);
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
        for (k, v) in &env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(100 + next(&mut seed) % 1500));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever moment it died at, the state (snapshot + journal) still loads.
        if let Ok(bytes) = std::fs::read(d.state_path()) {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("round {round}: snapshot does not parse: {e}"));
        }
        let list = d.gantry(&["state", "list"]);
        assert_eq!(list.code, 0, "round {round}: {}", list.all());
        let n = list.stdout.lines().count();
        println!("round {round}: {n} objects in state");
        if n > 0 && n < 200 {
            partial_rounds += 1;
        }
    }
    assert!(
        partial_rounds > 0,
        "no kill landed in the middle of an apply"
    );
    let last = d.gantry_with(&["apply", "-auto-approve", "-parallelism=8"], &env);
    assert_eq!(last.code, 0, "{}", last.all());
    println!("{}", last.stderr);
    let again = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "converged: {}", again.all());

    let st = d.state_json();
    let in_state = |t: &str, attr: &str| -> BTreeSet<String> {
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == t)
            .flat_map(|r| {
                r["instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["attributes"][attr].as_str().unwrap().to_string())
            })
            .collect()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = rt.block_on(moto.sdk());
    let (buckets, roles, instances) = rt.block_on(async {
        let s3 = aws_sdk_s3::Client::new(&conf);
        let iam = aws_sdk_iam::Client::new(&conf);
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let buckets: BTreeSet<String> = s3
            .list_buckets()
            .send()
            .await
            .unwrap()
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(String::from))
            .collect();
        let roles: BTreeSet<String> = iam
            .list_roles()
            .max_items(1000)
            .send()
            .await
            .unwrap()
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .filter(|n| n.starts_with("crash-"))
            .collect();
        let mut instances = Vec::new();
        for r in ec2
            .describe_instances()
            .send()
            .await
            .unwrap()
            .reservations()
        {
            for i in r.instances() {
                if i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated") {
                    instances.push(i.instance_id().unwrap().to_string());
                }
            }
        }
        (buckets, roles, instances)
    });
    assert_eq!(buckets, in_state("aws_s3_bucket", "id"));
    assert_eq!(buckets.len(), 80);
    assert_eq!(roles, in_state("aws_iam_role", "id"));
    assert_eq!(roles.len(), 60);
    let unique: BTreeSet<String> = instances.iter().cloned().collect();
    assert_eq!(unique.len(), instances.len());
    assert_eq!(instances.len(), 60, "no orphaned or duplicated instance");
    assert_eq!(unique, in_state("aws_instance", "id"));
}
