//! A wide AWS stack for the crash and fault tests: networks (VPCs, subnets, security groups,
//! internet gateways, route tables with routes, associations, Elastic IPs), placement groups,
//! key pairs, ECR repositories, IAM policies, an EKS cluster with node groups, EFS file
//! systems with mount targets, FSx for Lustre file systems, Glue jobs, EMR clusters, capacity
//! reservations and launch templates — about 200 objects of every kind of create gantry's AWS
//! provider makes (token tags, ClientToken, clientRequestToken, CreationToken, token-derived
//! or configured names, one-per-zone and content-found objects).
//! `assert_live_matches_state` reads moto with the SDK and compares, type by type, what
//! exists with what state records: no orphan, no duplicate.

use super::moto::Moto;
use super::Dir;
use std::collections::BTreeSet;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHkjRVxzvD3dX4Qe0Lr2mM3lH8bQ3cV7pW2nE5xK9aT1 ops@example";

/// Object counts per type in [`config`].
pub const NETWORKS: usize = 12;
pub const EACH: usize = 15;
pub const ADDRESSES: usize = 10;
pub const NODE_GROUPS: usize = 3;
/// Of each type added for data preparation and GPU fleets.
pub const FEW: usize = 6;

/// The configuration; every name starts with `p`.
pub fn config(p: &str) -> String {
    format!(
        r#"
resource "aws_vpc" "net" {{
  count      = {NETWORKS}
  cidr_block = "10.${{count.index}}.0.0/16"
  tags       = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_subnet" "a" {{
  count      = {NETWORKS}
  vpc_id     = aws_vpc.net[count.index].id
  cidr_block = "10.${{count.index}}.1.0/24"
  tags       = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_security_group" "sg" {{
  count  = {NETWORKS}
  name   = "{p}-${{count.index}}"
  vpc_id = aws_vpc.net[count.index].id
  ingress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}
}}
resource "aws_internet_gateway" "gw" {{
  count  = {NETWORKS}
  vpc_id = aws_vpc.net[count.index].id
  tags   = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_route_table" "rt" {{
  count  = {NETWORKS}
  vpc_id = aws_vpc.net[count.index].id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw[count.index].id
  }}
  tags = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_route_table_association" "a" {{
  count          = {NETWORKS}
  subnet_id      = aws_subnet.a[count.index].id
  route_table_id = aws_route_table.rt[count.index].id
}}
resource "aws_eip" "ip" {{
  count  = {ADDRESSES}
  domain = "vpc"
  tags   = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_placement_group" "pg" {{
  count    = {EACH}
  name     = "{p}-${{count.index}}"
  strategy = "cluster"
}}
resource "aws_key_pair" "k" {{
  count      = {EACH}
  key_name   = "{p}-${{count.index}}"
  public_key = "{KEY}"
}}
resource "aws_ecr_repository" "r" {{
  count = {EACH}
  name  = "{p}-${{count.index}}"
}}
resource "aws_iam_policy" "p" {{
  count  = {EACH}
  name   = "{p}-${{count.index}}"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}] }})
}}
resource "aws_iam_role" "eks" {{
  name               = "{p}-eks"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "eks.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
}}
resource "aws_eks_cluster" "c" {{
  name     = "{p}"
  role_arn = aws_iam_role.eks.arn
  vpc_config {{
    subnet_ids = aws_subnet.a[*].id
  }}
}}
resource "aws_eks_node_group" "g" {{
  count           = {NODE_GROUPS}
  cluster_name    = aws_eks_cluster.c.name
  node_group_name = "{p}-${{count.index}}"
  node_role_arn   = aws_iam_role.eks.arn
  subnet_ids      = [aws_subnet.a[0].id]
  ami_type        = "AL2023_x86_64_NVIDIA"
  scaling_config {{
    desired_size = 1
    min_size     = 1
    max_size     = 2
  }}
}}
resource "aws_efs_file_system" "fs" {{
  count = {FEW}
  tags  = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_efs_mount_target" "mt" {{
  count          = {FEW}
  file_system_id = aws_efs_file_system.fs[count.index].id
  subnet_id      = aws_subnet.a[count.index].id
}}
resource "aws_glue_job" "j" {{
  count    = {FEW}
  name     = "{p}-${{count.index}}"
  role_arn = aws_iam_role.eks.arn
  command {{
    script_location = "s3://scripts/{p}-${{count.index}}.py"
  }}
}}
resource "aws_ec2_capacity_reservation" "cr" {{
  count             = {FEW}
  instance_type     = "p4d.24xlarge"
  instance_platform = "Linux/UNIX"
  availability_zone = "us-east-1a"
  instance_count    = 1
  tags              = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_fsx_lustre_file_system" "lustre" {{
  count            = {FEW}
  storage_capacity = 1200
  subnet_ids       = [aws_subnet.a[count.index].id]
  tags             = {{ Name = "{p}-${{count.index}}" }}
}}
resource "aws_emr_cluster" "emr" {{
  count         = {FEW}
  name          = "{p}-${{count.index}}"
  release_label = "emr-7.2.0"
  service_role  = aws_iam_role.eks.arn
  ec2_attributes {{
    subnet_id        = aws_subnet.a[count.index].id
    instance_profile = "{p}-emr-nodes"
  }}
  master_instance_group {{
    instance_type = "m5.xlarge"
  }}
  core_instance_group {{
    instance_type  = "g4dn.xlarge"
    instance_count = 1
  }}
}}
resource "aws_launch_template" "lt" {{
  count         = {FEW}
  name_prefix   = "{p}-"
  image_id      = "ami-12c6146b"
  instance_type = "p4d.24xlarge"
}}
"#
    )
}

/// Objects the config makes, in total.
pub const TOTAL: usize = NETWORKS * 6 + ADDRESSES + EACH * 4 + 2 + NODE_GROUPS + FEW * 7;

fn named(tags: &[aws_sdk_ec2::types::Tag], p: &str) -> bool {
    tags.iter().any(|t| {
        t.key() == Some("Name") && t.value().is_some_and(|v| v.starts_with(&format!("{p}-")))
    })
}

/// What moto holds of the stack, by Terraform type → ids.
pub fn live(moto: &Moto, p: &str) -> Vec<(&'static str, BTreeSet<String>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conf = moto.sdk().await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let iam = aws_sdk_iam::Client::new(&conf);
        let ecr = aws_sdk_ecr::Client::new(&conf);
        let eks = aws_sdk_eks::Client::new(&conf);
        let efs = aws_sdk_efs::Client::new(&conf);
        let glue = aws_sdk_glue::Client::new(&conf);
        let fsx = aws_sdk_fsx::Client::new(&conf);
        let emr = aws_sdk_emr::Client::new(&conf);
        let prefix = format!("{p}-");
        let vpcs = ec2.describe_vpcs().send().await.unwrap();
        let subnets = ec2.describe_subnets().send().await.unwrap();
        let sgs = ec2.describe_security_groups().send().await.unwrap();
        let gws = ec2.describe_internet_gateways().send().await.unwrap();
        let rts = ec2.describe_route_tables().send().await.unwrap();
        let eips = ec2.describe_addresses().send().await.unwrap();
        let pgs = ec2.describe_placement_groups().send().await.unwrap();
        let keys = ec2.describe_key_pairs().send().await.unwrap();
        let repos = ecr.describe_repositories().send().await.unwrap();
        let policies = iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .max_items(1000)
            .send()
            .await
            .unwrap();
        let ours_rt: Vec<_> = rts
            .route_tables()
            .iter()
            .filter(|r| named(r.tags(), p))
            .collect();
        let groups = match eks.list_nodegroups().cluster_name(p).send().await {
            Ok(r) => r.nodegroups().iter().map(|n| format!("{p}:{n}")).collect(),
            Err(_) => BTreeSet::new(),
        };
        let file_systems = efs
            .describe_file_systems()
            .max_items(1000)
            .send()
            .await
            .unwrap();
        let ours_fs: Vec<_> = file_systems
            .file_systems()
            .iter()
            .filter(|f| f.name().is_some_and(|n| n.starts_with(&prefix)))
            .collect();
        let mut mount_targets = BTreeSet::new();
        for f in &ours_fs {
            let m = efs
                .describe_mount_targets()
                .file_system_id(f.file_system_id())
                .send()
                .await
                .unwrap();
            mount_targets.extend(
                m.mount_targets()
                    .iter()
                    .map(|m| m.mount_target_id().to_string()),
            );
        }
        let lustre = fsx.describe_file_systems().send().await.unwrap();
        let jobs = glue.list_jobs().max_results(1000).send().await.unwrap();
        let reservations = ec2.describe_capacity_reservations().send().await.unwrap();
        let templates = ec2
            .describe_launch_templates()
            .max_results(1000)
            .send()
            .await
            .unwrap();
        let live_states = [
            aws_sdk_emr::types::ClusterState::Starting,
            aws_sdk_emr::types::ClusterState::Bootstrapping,
            aws_sdk_emr::types::ClusterState::Running,
            aws_sdk_emr::types::ClusterState::Waiting,
            aws_sdk_emr::types::ClusterState::Terminating,
        ];
        let emr_clusters = emr
            .list_clusters()
            .set_cluster_states(Some(live_states.to_vec()))
            .send()
            .await
            .unwrap();
        let clusters: BTreeSet<String> = eks
            .list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .iter()
            .filter(|c| c.as_str() == p)
            .cloned()
            .collect();
        vec![
            (
                "aws_vpc",
                vpcs.vpcs()
                    .iter()
                    .filter(|v| named(v.tags(), p))
                    .filter_map(|v| v.vpc_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_subnet",
                subnets
                    .subnets()
                    .iter()
                    .filter(|v| named(v.tags(), p))
                    .filter_map(|v| v.subnet_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_security_group",
                sgs.security_groups()
                    .iter()
                    .filter(|g| g.group_name().is_some_and(|n| n.starts_with(&prefix)))
                    .filter_map(|g| g.group_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_internet_gateway",
                gws.internet_gateways()
                    .iter()
                    .filter(|g| named(g.tags(), p))
                    .filter_map(|g| g.internet_gateway_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_route_table",
                ours_rt
                    .iter()
                    .filter_map(|r| r.route_table_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_route_table_association",
                ours_rt
                    .iter()
                    .flat_map(|r| r.associations())
                    .filter(|a| a.main() != Some(true))
                    .filter_map(|a| a.route_table_association_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_eip",
                eips.addresses()
                    .iter()
                    .filter(|a| named(a.tags(), p))
                    .filter_map(|a| a.allocation_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_placement_group",
                pgs.placement_groups()
                    .iter()
                    .filter_map(|g| g.group_name().filter(|n| n.starts_with(&prefix)))
                    .map(String::from)
                    .collect(),
            ),
            (
                "aws_key_pair",
                keys.key_pairs()
                    .iter()
                    .filter_map(|k| k.key_name().filter(|n| n.starts_with(&prefix)))
                    .map(String::from)
                    .collect(),
            ),
            (
                "aws_ecr_repository",
                repos
                    .repositories()
                    .iter()
                    .filter_map(|r| r.repository_name().filter(|n| n.starts_with(&prefix)))
                    .map(String::from)
                    .collect(),
            ),
            (
                "aws_iam_policy",
                policies
                    .policies()
                    .iter()
                    .filter(|x| x.policy_name().is_some_and(|n| n.starts_with(&prefix)))
                    .filter_map(|x| x.arn().map(String::from))
                    .collect(),
            ),
            ("aws_eks_cluster", clusters),
            ("aws_eks_node_group", groups),
            (
                "aws_efs_file_system",
                ours_fs
                    .iter()
                    .map(|f| f.file_system_id().to_string())
                    .collect(),
            ),
            ("aws_efs_mount_target", mount_targets),
            (
                "aws_fsx_lustre_file_system",
                lustre
                    .file_systems()
                    .iter()
                    .filter(|f| {
                        f.tags().iter().any(|t| {
                            t.key() == Some("Name")
                                && t.value().is_some_and(|v| v.starts_with(&prefix))
                        })
                    })
                    .filter_map(|f| f.file_system_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_glue_job",
                jobs.job_names()
                    .iter()
                    .filter(|n| n.starts_with(&prefix))
                    .cloned()
                    .collect(),
            ),
            (
                "aws_ec2_capacity_reservation",
                reservations
                    .capacity_reservations()
                    .iter()
                    .filter(|r| r.state().map(|s| s.as_str()) != Some("cancelled"))
                    .filter(|r| named(r.tags(), p))
                    .filter_map(|r| r.capacity_reservation_id().map(String::from))
                    .collect(),
            ),
            (
                "aws_emr_cluster",
                emr_clusters
                    .clusters()
                    .iter()
                    .filter(|c| c.name().is_some_and(|n| n.starts_with(&prefix)))
                    .filter_map(|c| c.id().map(String::from))
                    .collect(),
            ),
            (
                "aws_launch_template",
                templates
                    .launch_templates()
                    .iter()
                    .filter(|t| {
                        t.launch_template_name()
                            .is_some_and(|n| n.starts_with(&prefix))
                    })
                    .filter_map(|t| t.launch_template_id().map(String::from))
                    .collect(),
            ),
        ]
    })
}

/// Every type's live objects are exactly the state's, in the numbers the config asks for.
pub fn assert_live_matches_state(moto: &Moto, d: &Dir, p: &str) {
    for (rtype, ids) in live(moto, p) {
        let want = match rtype {
            "aws_eip" => ADDRESSES,
            "aws_placement_group" | "aws_key_pair" | "aws_ecr_repository" | "aws_iam_policy" => {
                EACH
            }
            "aws_eks_cluster" => 1,
            "aws_eks_node_group" => NODE_GROUPS,
            "aws_efs_file_system"
            | "aws_efs_mount_target"
            | "aws_fsx_lustre_file_system"
            | "aws_glue_job"
            | "aws_ec2_capacity_reservation"
            | "aws_emr_cluster"
            | "aws_launch_template" => FEW,
            _ => NETWORKS,
        };
        assert_eq!(
            ids.len(),
            want,
            "{rtype}: {} live, {want} configured: {ids:?}",
            ids.len()
        );
        assert_eq!(
            ids,
            d.ids_of(rtype),
            "{rtype}: live objects differ from state"
        );
    }
}
