//! examples/aws-eks-gpu on moto (EKS and ECR natively): Terraform + the real hashicorp/aws
//! 5.100.0 plugin and gantry plan the same known values; gantry applies it (VPC with NAT,
//! roles, cluster, NVIDIA GPU node group with taint and labels, add-ons, ECR repository) and
//! the SDK sees each setting; the node group scales in place; label drift made out of band is
//! shown and put back; Terraform plans no change on gantry's state and gantry none on
//! Terraform's; destroy leaves no cluster, node group or repository.

mod common;
use common::moto::Moto;
use common::tf_aws::{assert_no_change_either_tool, assert_plan_parity, Tf};
use common::Dir;

fn example() -> Dir {
    let d = Dir::new();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/aws-eks-gpu/main.tf");
    d.write("main.tf", &std::fs::read_to_string(src).unwrap());
    d
}

#[test]
fn eks_gpu_example_applies_scales_drifts_and_moves_both_ways() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = rt.block_on(moto.sdk());
    let eks = aws_sdk_eks::Client::new(&conf);
    let ecr = aws_sdk_ecr::Client::new(&conf);
    let node_group = |cluster: &str| {
        rt.block_on(
            eks.describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(format!("{cluster}-gpu"))
                .send(),
        )
        .expect("the node group exists")
        .nodegroup()
        .cloned()
        .unwrap()
    };

    let g = example();
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);

    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("CREATING"),
        "live status is shown while EKS works:\n{}",
        r.stdout
    );
    let cluster = rt
        .block_on(eks.describe_cluster().name("gpu-eks").send())
        .unwrap();
    let cluster = cluster.cluster().unwrap();
    assert_eq!(cluster.version(), Some("1.31"));
    assert_eq!(cluster.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(
        cluster.resources_vpc_config().unwrap().subnet_ids().len(),
        4,
        "private and public subnets"
    );
    let ng = node_group("gpu-eks");
    assert_eq!(
        ng.ami_type().map(|a| a.as_str()),
        Some("AL2023_x86_64_NVIDIA")
    );
    assert_eq!(ng.instance_types(), ["g5.2xlarge"]);
    let s = ng.scaling_config().unwrap();
    assert_eq!(
        (s.desired_size(), s.min_size(), s.max_size()),
        (Some(2), Some(1), Some(4))
    );
    assert_eq!(ng.labels().unwrap()["workload"], "inference");
    assert_eq!(ng.taints()[0].key(), Some("nvidia.com/gpu"));
    let addons = rt
        .block_on(eks.list_addons().cluster_name("gpu-eks").send())
        .unwrap();
    assert_eq!(addons.addons(), ["coredns", "kube-proxy", "vpc-cni"]);
    let repos = rt
        .block_on(
            ecr.describe_repositories()
                .repository_names("gpu-eks/serving")
                .send(),
        )
        .unwrap();
    assert_eq!(
        repos.repositories()[0]
            .image_tag_mutability()
            .map(|m| m.as_str()),
        Some("IMMUTABLE")
    );

    assert_no_change_either_tool(&g, &tf, &env);

    // Scale the GPU nodes: the same node group, changed in place.
    let scaled = ["-var", "gpu_nodes={desired=3,min=1,max=6}"];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(scaled);
    let r = g.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let after = node_group("gpu-eks");
    assert_eq!(after.nodegroup_arn(), ng.nodegroup_arn());
    let s = after.scaling_config().unwrap();
    assert_eq!((s.desired_size(), s.max_size()), (Some(3), Some(6)));

    // Drift: someone relabels the nodes; the plan shows it, the apply puts it back.
    rt.block_on(
        eks.update_nodegroup_config()
            .cluster_name("gpu-eks")
            .nodegroup_name("gpu-eks-gpu")
            .labels(
                aws_sdk_eks::types::UpdateLabelsPayload::builder()
                    .add_or_update_labels("workload", "batch")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(scaled);
    let r = g.gantry_with(&args, &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout.contains("\"batch\" -> \"inference\""),
        "{}",
        r.stdout
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(scaled);
    let r = g.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        node_group("gpu-eks").labels().unwrap()["workload"],
        "inference"
    );

    // The reverse: Terraform's cluster plans no change under gantry.
    let t = example();
    let tf2 = Tf::new(&t, env.clone());
    let r = tf2.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-var",
        "name=tf-eks",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = t.gantry_with(&["plan", "-detailed-exitcode", "-var", "name=tf-eks"], &env);
    assert_eq!(r.code, 0, "gantry on Terraform's EKS stack:\n{}", r.all());

    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(scaled);
    let r = g.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(rt
        .block_on(eks.describe_cluster().name("gpu-eks").send())
        .is_err());
    assert!(rt
        .block_on(
            ecr.describe_repositories()
                .repository_names("gpu-eks/serving")
                .send()
        )
        .is_err());
    let clusters = rt.block_on(eks.list_clusters().send()).unwrap();
    assert_eq!(
        clusters.clusters(),
        ["tf-eks"],
        "only Terraform's cluster remains"
    );
}
