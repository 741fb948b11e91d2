//! What a GPU training fleet launches from and reads (tests/fixtures/aws_gpu_fleet): an EC2
//! capacity reservation for p4d nodes, a launch template (EFA interface, scratch volume,
//! IMDSv2, the reservation targeted) and an FSx for Lustre file system loaded from S3 —
//! natively, beside Terraform + the real hashicorp/aws 5.100.0
//! plugin on moto: same known planned values and state shapes; read back with the SDK; more
//! nodes, a bigger volume and more Lustre capacity change the reservation and the file system
//! in place and make template version 2 the default; a reservation resized out of band is shown and corrected; both tools plan no
//! change on the other's state; destroy cancels the reservation and deletes the template.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{
    apply_expecting, assert_no_change_either_tool, assert_plan_parity, assert_reverse_then_destroy,
    plan_expecting_changes, Tf,
};

const TYPES: &[&str] = &[
    "aws_ec2_capacity_reservation",
    "aws_launch_template",
    "aws_fsx_lustre_file_system",
];

#[test]
fn gpu_fleet_reservation_and_launch_template() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = rt.block_on(moto.sdk());
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let fsx = aws_sdk_fsx::Client::new(&conf);
    let lustre = || {
        rt.block_on(async {
            let r = fsx.describe_file_systems().send().await.unwrap();
            r.file_systems().to_vec()
        })
    };
    // The live reservation (by its tag) and the template's latest version.
    let reservation = || {
        rt.block_on(async {
            let r = ec2
                .describe_capacity_reservations()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("state")
                        .values("active")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            r.capacity_reservations().to_vec()
        })
    };
    let template = |name: &str| {
        rt.block_on(async {
            let t = ec2
                .describe_launch_templates()
                .launch_template_names(name)
                .send()
                .await
                .unwrap();
            let t = t.launch_templates()[0].clone();
            let v = ec2
                .describe_launch_template_versions()
                .launch_template_id(t.launch_template_id().unwrap())
                .versions("$Latest")
                .send()
                .await
                .unwrap();
            (t, v.launch_template_versions()[0].clone())
        })
    };

    let g = fixture("aws_gpu_fleet");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    let live = reservation();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].total_instance_count(), Some(2));
    assert_eq!(live[0].instance_type(), Some("p4d.24xlarge"));
    let cr_id = live[0].capacity_reservation_id().unwrap().to_string();
    let (t, v) = template("fleet-train");
    assert_eq!(t.latest_version_number(), Some(1));
    let data = v.launch_template_data().unwrap();
    assert_eq!(data.network_interfaces()[0].interface_type(), Some("efa"));
    assert_eq!(
        data.block_device_mappings()[0]
            .ebs()
            .and_then(|e| e.volume_size()),
        Some(500)
    );
    assert_eq!(
        data.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    assert_eq!(
        data.capacity_reservation_specification()
            .and_then(|c| c.capacity_reservation_target())
            .and_then(|t| t.capacity_reservation_id()),
        Some(cr_id.as_str())
    );
    assert!(data
        .tag_specifications()
        .iter()
        .all(|s| s.resource_type().map(|r| r.as_str()) == Some("instance")));

    let fs = lustre();
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].lifecycle().map(|l| l.as_str()), Some("AVAILABLE"));
    assert_eq!(fs[0].storage_capacity(), Some(1200));
    let config = fs[0].lustre_configuration().unwrap();
    assert_eq!(
        config.deployment_type().map(|d| d.as_str()),
        Some("PERSISTENT_1")
    );
    assert_eq!(
        config
            .data_repository_configuration()
            .and_then(|r| r.import_path()),
        Some("s3://fleet-training-data/shards")
    );
    assert!(
        fs[0].tags().iter().all(|t| t.key() != Some("gantry:token")),
        "the token tag is removed once the create is recorded"
    );

    assert_no_change_either_tool(&g, &tf, &env);

    // One more node and a bigger scratch volume: both in place; version 2 is the default.
    let bigger = [
        "-var",
        "nodes=3",
        "-var",
        "scratch_gb=1000",
        "-var",
        "lustre_gb=2400",
    ];
    let r = apply_expecting(&g, &env, &bigger, "0 added, 3 changed, 0 destroyed");
    assert!(r.stdout.contains("template_version = 2"), "{}", r.stdout);
    let live = reservation();
    assert_eq!(live[0].capacity_reservation_id(), Some(cr_id.as_str()));
    assert_eq!(live[0].total_instance_count(), Some(3));
    assert_eq!(lustre()[0].storage_capacity(), Some(2400));
    let (t, v) = template("fleet-train");
    assert_eq!(t.default_version_number(), Some(2));
    assert_eq!(
        v.launch_template_data().unwrap().block_device_mappings()[0]
            .ebs()
            .and_then(|e| e.volume_size()),
        Some(1000)
    );

    // Drift: the reservation is resized by hand.
    rt.block_on(async {
        ec2.modify_capacity_reservation()
            .capacity_reservation_id(&cr_id)
            .instance_count(5)
            .send()
            .await
            .unwrap();
    });
    let r = plan_expecting_changes(&g, &env, &bigger);
    assert!(
        r.stdout.contains("instance_count") && r.stdout.contains("5 -> 3"),
        "{}",
        r.stdout
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend_from_slice(&bigger);
    let r = g.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(reservation()[0].total_instance_count(), Some(3));

    // The reverse: Terraform's fleet plans no change under gantry, in the same state shapes.
    assert_reverse_then_destroy("aws_gpu_fleet", &g, &env, TYPES);
    assert!(reservation().is_empty(), "every reservation cancelled");
    assert!(lustre().is_empty(), "no file system left");
    rt.block_on(async {
        let t = ec2.describe_launch_templates().send().await.unwrap();
        assert!(
            t.launch_templates().is_empty(),
            "{:?}",
            t.launch_templates()
        );
    });
}
