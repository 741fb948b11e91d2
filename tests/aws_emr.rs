//! Data preparation on EMR (tests/fixtures/aws_emr): a Spark cluster with a GPU core group,
//! bootstrap action, Spark configuration, logs to S3 and an idle timeout, in its own VPC with
//! IAM roles — natively, beside Terraform + the real hashicorp/aws 5.100.0 plugin on moto:
//! same known planned values and the same state shapes; read back with the SDK; the core
//! group grown and the idle timeout changed in place; termination protection and step
//! concurrency changed out of band shown and corrected; a new release label replaces the
//! cluster; both tools plan no change on the other's state; destroy terminates it.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{
    apply_expecting, assert_no_change_either_tool, assert_plan_parity, assert_reverse_then_destroy,
    plan_expecting_changes, Tf,
};

const TYPES: &[&str] = &["aws_emr_cluster"];

const LIVE: &[aws_sdk_emr::types::ClusterState] = &[
    aws_sdk_emr::types::ClusterState::Starting,
    aws_sdk_emr::types::ClusterState::Bootstrapping,
    aws_sdk_emr::types::ClusterState::Running,
    aws_sdk_emr::types::ClusterState::Waiting,
    aws_sdk_emr::types::ClusterState::Terminating,
];

/// The ids of the live clusters named `name`.
async fn live(emr: &aws_sdk_emr::Client, name: &str) -> Vec<String> {
    let r = emr
        .list_clusters()
        .set_cluster_states(Some(LIVE.to_vec()))
        .send()
        .await
        .unwrap();
    r.clusters()
        .iter()
        .filter(|c| c.name() == Some(name))
        .filter_map(|c| c.id().map(String::from))
        .collect()
}

async fn core_group(emr: &aws_sdk_emr::Client, id: &str) -> aws_sdk_emr::types::InstanceGroup {
    let groups = emr
        .list_instance_groups()
        .cluster_id(id)
        .send()
        .await
        .unwrap();
    groups
        .instance_groups()
        .iter()
        .find(|g| g.instance_group_type().map(|t| t.as_str()) == Some("CORE"))
        .cloned()
        .expect("a core instance group")
}

#[test]
fn emr_cluster_applies_resizes_drifts_replaces_and_moves_both_ways() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = rt.block_on(moto.sdk());
    let emr = aws_sdk_emr::Client::new(&conf);

    let g = fixture("aws_emr");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());

    let id = rt.block_on(async {
        let ids = live(&emr, "etl-spark-gpu").await;
        assert_eq!(ids.len(), 1, "one cluster: {ids:?}");
        let id = ids[0].clone();
        let cl = emr.describe_cluster().cluster_id(&id).send().await.unwrap();
        let cl = cl.cluster().unwrap();
        assert_eq!(cl.release_label(), Some("emr-7.2.0"));
        let mut apps: Vec<_> = cl.applications().iter().filter_map(|a| a.name()).collect();
        apps.sort();
        assert_eq!(apps, ["Hadoop", "Livy", "Spark"]);
        assert_eq!(cl.log_uri(), Some("s3://etl-emr-logs/emr/"));
        assert_eq!(cl.step_concurrency_level(), Some(2));
        assert_eq!(cl.ebs_root_volume_size(), Some(50));
        assert_eq!(cl.termination_protected(), Some(false));
        assert_eq!(
            cl.ec2_instance_attributes()
                .and_then(|a| a.iam_instance_profile()),
            Some("arn:aws:iam::123456789012:instance-profile/etl-emr-nodes")
        );
        let spark = &cl.configurations()[0];
        assert_eq!(spark.classification(), Some("spark-defaults"));
        assert_eq!(
            spark
                .properties()
                .and_then(|p| p.get("spark.plugins"))
                .map(String::as_str),
            Some("com.nvidia.spark.SQLPlugin")
        );
        // The token tag is gone once the cluster is recorded; the configured tags stay.
        let mut keys: Vec<_> = cl.tags().iter().filter_map(|t| t.key()).collect();
        keys.sort();
        assert_eq!(keys, ["purpose", "team"]);
        let core = core_group(&emr, &id).await;
        assert_eq!(core.instance_type(), Some("g4dn.2xlarge"));
        assert_eq!(core.requested_instance_count(), Some(2));
        assert_eq!(core.name(), Some("gpu-core"));
        let volume = core.ebs_block_devices()[0].volume_specification().unwrap();
        assert_eq!(
            (volume.size_in_gb(), volume.volume_type()),
            (Some(200), Some("gp3"))
        );
        let boot = emr
            .list_bootstrap_actions()
            .cluster_id(&id)
            .send()
            .await
            .unwrap();
        let boot = &boot.bootstrap_actions()[0];
        assert_eq!(
            boot.script_path(),
            Some("s3://etl-emr-logs/bootstrap/install.sh")
        );
        assert_eq!(boot.args(), ["--rapids", "24.06"]);
        let idle = emr
            .get_auto_termination_policy()
            .cluster_id(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            idle.auto_termination_policy()
                .and_then(|p| p.idle_timeout()),
            Some(3600)
        );
        id
    });

    assert_no_change_either_tool(&g, &tf, &env);

    // Four GPU nodes and a two-hour idle timeout: the same cluster, changed in place.
    let more = ["-var", "core_count=4", "-var", "idle_timeout=7200"];
    apply_expecting(&g, &env, &more, "0 added, 1 changed, 0 destroyed");
    rt.block_on(async {
        assert_eq!(live(&emr, "etl-spark-gpu").await, std::slice::from_ref(&id));
        assert_eq!(
            core_group(&emr, &id).await.requested_instance_count(),
            Some(4)
        );
        let idle = emr
            .get_auto_termination_policy()
            .cluster_id(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            idle.auto_termination_policy()
                .and_then(|p| p.idle_timeout()),
            Some(7200)
        );
    });

    // Drift: someone protects the cluster and raises its step concurrency by hand.
    rt.block_on(async {
        emr.set_termination_protection()
            .job_flow_ids(&id)
            .termination_protected(true)
            .send()
            .await
            .unwrap();
        emr.modify_cluster()
            .cluster_id(&id)
            .step_concurrency_level(5)
            .send()
            .await
            .unwrap();
    });
    let r = plan_expecting_changes(&g, &env, &more);
    assert!(
        r.stdout.contains("step_concurrency_level") && r.stdout.contains("5 -> 2"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("true -> false"), "{}", r.stdout);
    apply_expecting(&g, &env, &more, "0 added, 1 changed, 0 destroyed");
    rt.block_on(async {
        let cl = emr.describe_cluster().cluster_id(&id).send().await.unwrap();
        let cl = cl.cluster().unwrap();
        assert_eq!(cl.termination_protected(), Some(false));
        assert_eq!(cl.step_concurrency_level(), Some(2));
    });

    // A new release replaces the cluster: the old one is terminated, one new one runs.
    g.write(
        "main.tf",
        &g.read("main.tf").replace("\"emr-7.2.0\"", "\"emr-7.3.0\""),
    );
    let mut args = vec!["plan"];
    args.extend_from_slice(&more);
    let r = g.gantry_with(&args, &env);
    assert!(
        r.stdout.contains("must be replaced") && r.stdout.contains("forces replacement"),
        "{}",
        r.all()
    );
    apply_expecting(&g, &env, &more, "1 added, 0 changed, 1 destroyed");
    rt.block_on(async {
        let ids = live(&emr, "etl-spark-gpu").await;
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_ne!(ids[0], id, "a new cluster");
        let old = emr.describe_cluster().cluster_id(&id).send().await.unwrap();
        assert_eq!(
            old.cluster()
                .and_then(|c| c.status())
                .and_then(|s| s.state())
                .map(|s| s.as_str()),
            Some("TERMINATED")
        );
    });
    g.write(
        "main.tf",
        &g.read("main.tf").replace("\"emr-7.3.0\"", "\"emr-7.2.0\""),
    );

    // The reverse: Terraform's stack plans no change under gantry, in the same state shapes.
    assert_reverse_then_destroy("aws_emr", &g, &env, TYPES);
    rt.block_on(async {
        let ids = live(&emr, "etl-spark-gpu").await;
        assert!(ids.is_empty(), "{ids:?}");
    });
}
