//! The AWS provider against moto server (tests/moto/gantry_moto.py): the SageMaker example's
//! whole lifecycle, checked with the AWS SDK, and batched refresh.

mod common;
use common::moto::Moto;
use common::Dir;

fn example_dir() -> Dir {
    let d = Dir::new();
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/aws-sagemaker/main.tf"
    );
    d.write("main.tf", &std::fs::read_to_string(src).unwrap());
    d
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sagemaker_stack_applies_updates_in_place_corrects_drift_and_destroys() {
    let moto = Moto::start();
    let env = moto.env();
    let d = example_dir();
    let rt = rt();
    let conf = rt.block_on(moto.sdk());
    let s3 = aws_sdk_s3::Client::new(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    let sm = aws_sdk_sagemaker::Client::new(&conf);
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let scaling = aws_sdk_applicationautoscaling::Client::new(&conf);
    let async_target = || {
        rt.block_on(
            scaling
                .describe_scalable_targets()
                .service_namespace(
                    aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker,
                )
                .resource_ids("endpoint/llama-serving-async/variant/primary")
                .send(),
        )
        .unwrap()
        .scalable_targets()
        .first()
        .cloned()
    };

    // Plan shows the GPU facts from DescribeInstanceTypes.
    let plan = d.gantry_with(&["plan"], &env);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout.contains("p4d.24xlarge: 8 × NVIDIA A100 40 GiB"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 19 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );

    let apply = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("aws_sagemaker_endpoint.serving: Still creating")
            || apply
                .stdout
                .contains("aws_sagemaker_endpoint.serving: Creation complete"),
        "{}",
        apply.stdout
    );

    // The async endpoint writes to S3 and scales 0..4 with its backlog; the notebook is up;
    // the model runs in the private subnets.
    rt.block_on(async {
        let cfg = sm
            .describe_endpoint_config()
            .endpoint_config_name("llama-serving-async-config")
            .send()
            .await
            .unwrap();
        let out = cfg
            .async_inference_config()
            .unwrap()
            .output_config()
            .unwrap();
        assert!(out.s3_output_path().unwrap().ends_with("/async/output"));
        assert_eq!(cfg.production_variants()[0].volume_size_in_gb(), Some(100));
        let nb = sm
            .describe_notebook_instance()
            .notebook_instance_name("llama-serving-notebook")
            .send()
            .await
            .unwrap();
        assert_eq!(
            nb.notebook_instance_status().map(|s| s.as_str()),
            Some("InService")
        );
        assert_eq!(nb.volume_size_in_gb(), Some(50));
        let model = sm
            .describe_model()
            .model_name("llama-serving-model")
            .send()
            .await
            .unwrap();
        assert_eq!(model.vpc_config().unwrap().subnets().len(), 2);
        let policies = scaling
            .describe_scaling_policies()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker)
            .resource_id("endpoint/llama-serving-async/variant/primary")
            .send()
            .await
            .unwrap();
        let p = &policies.scaling_policies()[0];
        assert_eq!(p.policy_name(), "llama-serving-async-backlog");
        let tt = p.target_tracking_scaling_policy_configuration().unwrap();
        assert_eq!(tt.target_value(), 5.0);
        assert_eq!(
            tt.customized_metric_specification()
                .and_then(|m| m.metric_name()),
            Some("ApproximateBacklogSizePerInstance")
        );
    });
    let t = async_target().expect("the async variant is scalable");
    assert_eq!((t.min_capacity(), t.max_capacity()), (0, 4));

    // Everything exists in moto with the planned attributes.
    let bucket = d.gantry(&["output", "-raw", "artifact_bucket"]).stdout;
    rt.block_on(async {
        s3.head_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket exists");
        let v = s3
            .get_bucket_versioning()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
        let tags = s3
            .get_bucket_tagging()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let tag = |k: &str| {
            tags.tag_set()
                .iter()
                .find(|t| t.key() == k)
                .map(|t| t.value().to_string())
        };
        assert_eq!(tag("purpose").as_deref(), Some("model-artifacts"));
        assert_eq!(
            tag("managed-by").as_deref(),
            Some("gantry"),
            "provider default_tags applied"
        );
        let role = iam
            .get_role()
            .role_name("llama-serving-sagemaker")
            .send()
            .await
            .unwrap();
        assert!(role
            .role()
            .unwrap()
            .arn()
            .contains("llama-serving-sagemaker"));
        let attached = iam
            .list_attached_role_policies()
            .role_name("llama-serving-sagemaker")
            .send()
            .await
            .unwrap();
        assert_eq!(attached.attached_policies().len(), 1);
        let model = sm
            .describe_model()
            .model_name("llama-serving-model")
            .send()
            .await
            .unwrap();
        assert_eq!(
            model.primary_container().unwrap().environment().unwrap()["SM_NUM_GPUS"],
            "1"
        );
        let ep = sm
            .describe_endpoint()
            .endpoint_name("llama-serving-endpoint")
            .send()
            .await
            .unwrap();
        assert_eq!(ep.endpoint_config_name(), Some("llama-serving-config-1"));
        assert_eq!(ep.endpoint_status().map(|s| s.as_str()), Some("InService"));
        let cfg = sm
            .describe_endpoint_config()
            .endpoint_config_name("llama-serving-config-1")
            .send()
            .await
            .unwrap();
        assert_eq!(
            cfg.production_variants()[0].initial_instance_count(),
            Some(1)
        );
        assert_eq!(
            cfg.production_variants()[0]
                .instance_type()
                .map(|t| t.as_str()),
            Some("ml.g4dn.xlarge")
        );
        let id = d.gantry(&["output", "-raw", "training_instance"]).stdout;
        let r = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        let inst = &r.reservations()[0].instances()[0];
        assert_eq!(
            inst.instance_type().map(|t| t.as_str()),
            Some("p4d.24xlarge")
        );
        assert!(inst
            .tags()
            .iter()
            .any(|t| t.key() == Some("role") && t.value() == Some("training")));
    });
    let again = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "second plan must be empty:\n{}", again.all());

    // Scale the endpoint: the configuration is replaced (create before destroy) and the
    // endpoint is updated in place; nothing else changes.
    let scale = d.gantry_with(&["plan", "-var", "serving_instance_count=2"], &env);
    assert_eq!(scale.code, 0, "{}", scale.all());
    assert!(
        scale
            .stdout
            .contains("# aws_sagemaker_endpoint_configuration.serving must be replaced"),
        "{}",
        scale.stdout
    );
    assert!(
        scale
            .stdout
            .contains("+/- resource \"aws_sagemaker_endpoint_configuration\""),
        "{}",
        scale.stdout
    );
    assert!(
        scale
            .stdout
            .contains("# aws_sagemaker_endpoint.serving will be updated in-place"),
        "{}",
        scale.stdout
    );
    assert!(
        scale
            .stdout
            .contains("Plan: 1 to add, 1 to change, 1 to destroy."),
        "{}",
        scale.stdout
    );
    let applied = d.gantry_with(
        &["apply", "-auto-approve", "-var", "serving_instance_count=2"],
        &env,
    );
    assert_eq!(applied.code, 0, "{}", applied.all());
    rt.block_on(async {
        let ep = sm
            .describe_endpoint()
            .endpoint_name("llama-serving-endpoint")
            .send()
            .await
            .unwrap();
        assert_eq!(ep.endpoint_config_name(), Some("llama-serving-config-2"));
        assert_eq!(ep.endpoint_status().map(|s| s.as_str()), Some("InService"));
        assert!(
            sm.describe_endpoint_config()
                .endpoint_config_name("llama-serving-config-1")
                .send()
                .await
                .is_err(),
            "old config deleted"
        );
    });

    // A tag changed out of band is reported as drift, then corrected.
    let id = d.gantry(&["output", "-raw", "training_instance"]).stdout;
    rt.block_on(async {
        ec2.create_tags()
            .resources(&id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("role")
                    .value("hijacked")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let drift = d.gantry_with(&["plan", "-var", "serving_instance_count=2"], &env);
    assert!(
        drift
            .stdout
            .contains("Objects have changed outside of gantry"),
        "{}",
        drift.stdout
    );
    assert!(drift.stdout.contains("\"hijacked\""), "{}", drift.stdout);
    assert!(
        drift
            .stdout
            .contains("# aws_instance.training will be updated in-place"),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        drift.stdout
    );
    let fix = d.gantry_with(
        &["apply", "-auto-approve", "-var", "serving_instance_count=2"],
        &env,
    );
    assert_eq!(fix.code, 0, "{}", fix.all());
    rt.block_on(async {
        let r = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        let inst = &r.reservations()[0].instances()[0];
        assert!(inst
            .tags()
            .iter()
            .any(|t| t.key() == Some("role") && t.value() == Some("training")));
    });

    // Scale the async endpoint's ceiling in place, then undo a change made out of band.
    let scaled = [
        "-var",
        "serving_instance_count=2",
        "-var",
        "async_max_instances=8",
    ];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(scaled);
    let r = d.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(async_target().unwrap().max_capacity(), 8);
    rt.block_on(
        scaling
            .register_scalable_target()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker)
            .resource_id("endpoint/llama-serving-async/variant/primary")
            .scalable_dimension(
                aws_sdk_applicationautoscaling::types::ScalableDimension::SageMakerVariantDesiredInstanceCount,
            )
            .max_capacity(2)
            .send(),
    )
    .unwrap();
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(scaled);
    let r = d.gantry_with(&args, &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout.contains("max_capacity       = 2 -> 8"),
        "{}",
        r.stdout
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(scaled);
    let r = d.gantry_with(&args, &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(async_target().unwrap().max_capacity(), 8);

    // Destroy leaves nothing behind.
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(scaled);
    let destroy = d.gantry_with(&args, &env);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    rt.block_on(async {
        assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());
        assert!(sm
            .list_endpoints()
            .send()
            .await
            .unwrap()
            .endpoints()
            .is_empty());
        assert!(sm
            .list_endpoint_configs()
            .send()
            .await
            .unwrap()
            .endpoint_configs()
            .is_empty());
        assert!(sm.list_models().send().await.unwrap().models().is_empty());
        assert!(sm
            .list_notebook_instances()
            .send()
            .await
            .unwrap()
            .notebook_instances()
            .is_empty());
        assert!(iam
            .get_role()
            .role_name("llama-serving-sagemaker")
            .send()
            .await
            .is_err());
        let r = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        let state = r.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string());
        assert_eq!(state.as_deref(), Some("terminated"));
    });
    assert!(
        async_target().is_none(),
        "the scalable target is deregistered"
    );
    assert!(d.addresses().is_empty());
}

#[test]
fn refresh_of_300_instances_is_batched() {
    let moto = Moto::start();
    let env = moto.env();
    let d = Dir::new();
    d.write("main.tf", "resource \"aws_instance\" \"worker\" {\n  count         = 300\n  ami           = \"ami-760aaa0f\"\n  instance_type = \"g5.xlarge\"\n  tags = {\n    Name = \"worker-${count.index}\"\n  }\n}\n");
    let apply = d.gantry_with(&["apply", "-auto-approve", "-parallelism=20"], &env);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(d.addresses().len(), 300);
    moto.reset_counts();
    let plan = d.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let calls = moto.counts()["DescribeInstances"].as_u64().unwrap_or(0);
    // One call per resource would be 300; the target is at most 1/50 of that.
    assert!(
        (1..=6).contains(&calls),
        "DescribeInstances calls during refresh: {calls}"
    );
}

#[test]
fn unknown_instance_types_fail_at_plan_time() {
    let moto = Moto::start();
    let d = Dir::new();
    d.write("main.tf", "resource \"aws_instance\" \"x\" {\n  ami           = \"ami-760aaa0f\"\n  instance_type = \"p9.mega\"\n}\n");
    let r = d.gantry_with(&["plan"], &moto.env());
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("instance_type \"p9.mega\" does not exist"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("aws_instance.x"), "{}", r.stderr);
}

#[test]
fn import_adopts_existing_objects_and_instance_type_changes_in_place() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = rt();
    let conf = rt.block_on(moto.sdk());
    let s3 = aws_sdk_s3::Client::new(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    rt.block_on(async {
        s3.create_bucket().bucket("existing-weights").send().await.unwrap();
        iam.create_role()
            .role_name("adopted-role")
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
            .send()
            .await
            .unwrap();
    });
    let d = Dir::new();
    d.write(
        "main.tf",
        r#"
variable "gpu_type" {
  default = "g5.xlarge"
}
import {
  to = aws_s3_bucket.weights
  id = "existing-weights"
}
resource "aws_s3_bucket" "weights" {
  bucket = "existing-weights"
  tags   = { team = "ml" }
}
resource "aws_iam_role" "adopted" {
  name               = "adopted-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Action = "sts:AssumeRole", Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" } }] })
}
resource "aws_instance" "gpu" {
  ami           = "ami-760aaa0f"
  instance_type = var.gpu_type
}
"#,
    );
    // The CLI import adopts the role; its policy (same JSON, other key order) is no change.
    let imp = d.gantry_with(&["import", "aws_iam_role.adopted", "adopted-role"], &env);
    assert_eq!(imp.code, 0, "{}", imp.all());
    let plan = d.gantry_with(&["plan"], &env);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("# aws_s3_bucket.weights will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("(imported from \"existing-weights\")"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("aws_iam_role.adopted will"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 1 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let apply = d.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("Resources: 1 imported, 1 added, 1 changed, 0 destroyed."),
        "{}",
        apply.stdout
    );
    rt.block_on(async {
        let tags = s3
            .get_bucket_tagging()
            .bucket("existing-weights")
            .send()
            .await
            .unwrap();
        assert!(tags
            .tag_set()
            .iter()
            .any(|t| t.key() == "team" && t.value() == "ml"));
    });
    let id = {
        let st = d.state_json();
        st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == "aws_instance")
            .unwrap()["instances"][0]["attributes"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // A bigger GPU type: stop → modify → start, the same instance.
    let resize = d.gantry_with(&["plan", "-var", "gpu_type=g5.2xlarge"], &env);
    assert!(
        resize
            .stdout
            .contains("# aws_instance.gpu will be updated in-place"),
        "{}",
        resize.stdout
    );
    assert!(
        squeeze(&resize.stdout).contains("instance_type = \"g5.xlarge\" -> \"g5.2xlarge\""),
        "{}",
        resize.stdout
    );
    let applied = d.gantry_with(
        &["apply", "-auto-approve", "-var", "gpu_type=g5.2xlarge"],
        &env,
    );
    assert_eq!(applied.code, 0, "{}", applied.all());
    rt.block_on(async {
        let r = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        let inst = &r.reservations()[0].instances()[0];
        assert_eq!(inst.instance_type().map(|t| t.as_str()), Some("g5.2xlarge"));
        assert_eq!(
            inst.state().and_then(|s| s.name()).map(|n| n.as_str()),
            Some("running")
        );
    });
}

/// Runs of spaces as one (attribute names are padded to the widest in their block).
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for c in text.chars() {
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    out
}
