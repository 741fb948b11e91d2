//! A spot GPU instance as public configurations write it (tests/fixtures/aws_gpu_instance:
//! cluster placement group, IMDSv2 metadata options, CPU options, capacity reservation
//! preference, encrypted root and extra EBS volumes, public address, key pair), native, on
//! moto, side by side with Terraform + the real hashicorp/aws 5.100.0 plugin:
//! - both tools plan the same known values;
//! - gantry applies it and the SDK reads back every setting;
//! - Terraform plans no change on gantry's state, and gantry none on Terraform's;
//! - a metadata change is made in place; destroy leaves no instance, group, key or volume.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{assert_plan_parity, Tf};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The live instance named `<name>-trainer` (not terminated), if any.
async fn trainer(ec2: &aws_sdk_ec2::Client, name: &str) -> Option<aws_sdk_ec2::types::Instance> {
    let r = ec2
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:Name")
                .values(format!("{name}-trainer"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    r.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| {
            i.state().and_then(|s| s.name())
                != Some(&aws_sdk_ec2::types::InstanceStateName::Terminated)
        })
        .cloned()
}

#[test]
fn spot_gpu_instance_with_placement_metadata_and_volumes() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = rt();
    let conf = rt.block_on(moto.sdk());
    let ec2 = aws_sdk_ec2::Client::new(&conf);

    let g = fixture("aws_gpu_instance");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);

    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let i = rt
        .block_on(trainer(&ec2, "gpu"))
        .expect("the instance exists");
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("g4dn.12xlarge"));
    assert_eq!(i.instance_lifecycle().map(|l| l.as_str()), Some("spot"));
    assert_eq!(i.key_name(), Some("gpu-ops"));
    assert_eq!(
        i.placement().and_then(|p| p.group_name()),
        Some("gpu-train")
    );
    let m = i.metadata_options().unwrap();
    assert_eq!(m.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(m.http_put_response_hop_limit(), Some(2));
    let cpu = i.cpu_options().unwrap();
    assert_eq!(
        (cpu.core_count(), cpu.threads_per_core()),
        (Some(24), Some(1))
    );
    assert!(
        i.public_ip_address().is_some(),
        "a public address was asked for"
    );
    let spot = rt
        .block_on(
            ec2.describe_spot_instance_requests()
                .spot_instance_request_ids(i.spot_instance_request_id().unwrap())
                .send(),
        )
        .unwrap();
    let spot = &spot.spot_instance_requests()[0];
    assert_eq!(spot.spot_price(), Some("3.500000"));
    assert_eq!(spot.instance_id(), i.instance_id());
    let vols = rt
        .block_on(
            ec2.describe_volumes()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("attachment.instance-id")
                        .values(i.instance_id().unwrap())
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let mut sizes: Vec<(String, i32, bool)> = vols
        .volumes()
        .iter()
        .map(|v| {
            (
                v.attachments()[0].device().unwrap_or_default().to_string(),
                v.size().unwrap_or(0),
                v.encrypted().unwrap_or(false),
            )
        })
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        [
            ("/dev/sda1".into(), 200, true),
            ("/dev/sdf".into(), 500, true)
        ],
        "the AMI's root device resized and one data volume added"
    );
    let pg = rt
        .block_on(
            ec2.describe_placement_groups()
                .group_names("gpu-train")
                .send(),
        )
        .unwrap();
    assert_eq!(
        pg.placement_groups()[0].strategy().map(|s| s.as_str()),
        Some("cluster")
    );

    // Read back: the state carries what EC2 reports, and nothing plans a change.
    let r = g.gantry_with(&["state", "show", "aws_instance.trainer"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    for line in [
        "instance_lifecycle",
        "spot_instance_request_id",
        "http_tokens",
        "/dev/sdf",
        "gpu-train",
    ] {
        assert!(
            r.stdout.contains(line),
            "state show lacks {line}:\n{}",
            r.stdout
        );
    }
    let r = g.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(
        r.code,
        0,
        "gantry re-plans a change on its own apply:\n{}",
        r.all()
    );
    let r = tf.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        r.code,
        0,
        "Terraform must plan no change on gantry's instance:\n{}",
        r.all()
    );

    // Metadata options change in place (ModifyInstanceMetadataOptions), same instance.
    let r = g.gantry_with(&["apply", "-auto-approve", "-var", "hop_limit=3"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    let after = rt.block_on(trainer(&ec2, "gpu")).unwrap();
    assert_eq!(after.instance_id(), i.instance_id());
    assert_eq!(
        after
            .metadata_options()
            .unwrap()
            .http_put_response_hop_limit(),
        Some(3)
    );

    // The reverse: Terraform applies its own, gantry plans no change on Terraform's state.
    let t = fixture("aws_gpu_instance");
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
        "gantry must plan no change on Terraform's instance:\n{}",
        r.all()
    );

    // Destroy: no instance, placement group, key or volume of gantry's is left.
    let r = g.gantry_with(&["destroy", "-auto-approve", "-var", "hop_limit=3"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(rt.block_on(trainer(&ec2, "gpu")).is_none());
    let pgs = rt.block_on(ec2.describe_placement_groups().send()).unwrap();
    let names: Vec<_> = pgs
        .placement_groups()
        .iter()
        .filter_map(|p| p.group_name())
        .collect();
    assert_eq!(names, ["by-tf-train"], "only Terraform's group remains");
    let keys = rt.block_on(ec2.describe_key_pairs().send()).unwrap();
    let names: Vec<_> = keys
        .key_pairs()
        .iter()
        .filter_map(|k| k.key_name())
        .collect();
    assert_eq!(names, ["by-tf-ops"], "only Terraform's key remains");
    let vols = rt
        .block_on(
            ec2.describe_volumes()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("attachment.instance-id")
                        .values(i.instance_id().unwrap())
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert!(vols.volumes().is_empty(), "volumes deleted on termination");
}
