//! Faults: with 10% of AWS requests failing (throttling errors, 500s, and connections dropped
//! after the request was processed), an apply still converges to the planned state with no
//! duplicate object — for buckets, roles and instances, and for networks, EKS, ECR, IAM
//! policies, key pairs and placement groups (tests/common/aws_mixed.rs).

mod common;
use common::moto::Moto;
use common::Dir;
use std::collections::BTreeSet;

const CONFIG: &str = r#"
resource "aws_s3_bucket" "data" {
  count  = 20
  bucket = "faulty-data-${count.index}"
  tags   = { shard = "${count.index}" }
}
resource "aws_iam_role" "worker" {
  count              = 20
  name               = "faulty-worker-${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}
resource "aws_instance" "node" {
  count         = 20
  ami           = "ami-760aaa0f"
  instance_type = "g5.xlarge"
  tags          = { Name = "faulty-node-${count.index}" }
}
"#;

#[test]
fn apply_converges_through_injected_faults_without_duplicates() {
    let moto = Moto::start_with(&["--fault-rate", "0.1", "--fault-seed", "7"]);
    let env = moto.env();
    let d = Dir::new();
    d.write("main.tf", CONFIG);
    let apply = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let again = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "converged: {}", again.all());

    let counts = moto.counts();
    let injected: u64 = ["injected:throttle", "injected:internal", "injected:drop"]
        .iter()
        .map(|k| counts[*k].as_u64().unwrap_or(0))
        .sum();
    assert!(injected >= 10, "faults were injected: {counts}");
    for k in ["injected:throttle", "injected:internal", "injected:drop"] {
        assert!(
            counts[k].as_u64().unwrap_or(0) > 0,
            "no {k} fault happened: {counts}"
        );
    }

    let live = moto.live("faulty-");
    assert_eq!(live.buckets, d.ids_of("aws_s3_bucket"));
    assert_eq!(live.buckets.len(), 20);
    assert_eq!(live.roles, d.ids_of("aws_iam_role"));
    assert_eq!(live.roles.len(), 20);
    let unique: BTreeSet<String> = live.instances.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        live.instances.len(),
        "an instance id appears twice"
    );
    assert_eq!(
        live.instances.len(),
        20,
        "no orphaned or duplicated instance: {:?}",
        live.instances
    );
    assert_eq!(unique, d.ids_of("aws_instance"));
}

#[test]
fn networks_eks_and_keys_converge_through_injected_faults() {
    let moto = Moto::start_with(&["--fault-rate", "0.1", "--fault-seed", "11"]);
    let env = moto.env();
    let d = Dir::new();
    d.write("main.tf", &common::aws_mixed::config("faultnet"));
    let apply = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let again = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "converged: {}", again.all());
    let counts = moto.counts();
    for k in ["injected:throttle", "injected:internal", "injected:drop"] {
        assert!(
            counts[k].as_u64().unwrap_or(0) > 0,
            "no {k} fault happened: {counts}"
        );
    }
    assert_eq!(d.addresses().len(), common::aws_mixed::TOTAL);
    moto.faults_off();
    common::aws_mixed::assert_live_matches_state(&moto, &d, "faultnet");
}
