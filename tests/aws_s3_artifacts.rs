//! Model artifacts in S3 (tests/fixtures/aws_s3_artifacts): `aws_s3_object` from a file and
//! from inline content (encrypted with an `aws_kms_key` reached through an `aws_kms_alias`),
//! `aws_s3_bucket_policy` from a policy document — natively, beside
//! Terraform + the real hashicorp/aws 5.100.0 plugin on moto: same known planned values;
//! gantry's upload read back with the SDK; new content rewrites the object in place; both
//! tools plan no change on the other's state; destroy leaves no object or policy.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::{assert_no_change_either_tool, assert_plan_parity, Tf};

#[test]
fn artifacts_upload_update_and_move_both_ways() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let moto_conf = rt.block_on(moto.sdk());
    let s3 = aws_sdk_s3::Client::new(&moto_conf);
    let body = |key: &str| -> String {
        rt.block_on(async {
            let o = s3
                .get_object()
                .bucket("artifacts-models")
                .key(key)
                .send()
                .await
                .unwrap();
            String::from_utf8(o.body.collect().await.unwrap().to_vec()).unwrap()
        })
    };

    let g = fixture("aws_s3_artifacts");
    let tf = Tf::new(&g, env.clone());
    assert_plan_parity(&g, &tf, &env, &[]);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(body("llama/config.json").contains("LlamaForCausalLM"));
    assert!(body("llama/code/inference.py").starts_with("def model_fn"));
    rt.block_on(async {
        let head = s3
            .head_object()
            .bucket("artifacts-models")
            .key("llama/config.json")
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some("application/json"));
        let tags = s3
            .get_object_tagging()
            .bucket("artifacts-models")
            .key("llama/config.json")
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tag_set()[0].key(), "model");
        let p = s3
            .get_bucket_policy()
            .bucket("artifacts-models")
            .send()
            .await
            .unwrap();
        assert!(p.policy().unwrap().contains("SageMakerReads"));
        let kms = aws_sdk_kms::Client::new(&moto_conf);
        let aliases = kms.list_aliases().send().await.unwrap();
        let alias = aliases
            .aliases()
            .iter()
            .find(|a| a.alias_name() == Some("alias/artifacts-artifacts"))
            .expect("the alias exists");
        let key = alias.target_key_id().unwrap();
        let rotation = kms
            .get_key_rotation_status()
            .key_id(key)
            .send()
            .await
            .unwrap();
        assert!(rotation.key_rotation_enabled());
        let head = s3
            .head_object()
            .bucket("artifacts-models")
            .key("llama/code/inference.py")
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption().map(|s| s.as_str()),
            Some("aws:kms")
        );
    });
    assert_no_change_either_tool(&g, &tf, &env);

    // New handler code: the object is written again, in place.
    let r = g.gantry_with(
        &[
            "apply",
            "-auto-approve",
            "-var",
            "handler=def model_fn(d):\n    return 2\n",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert!(body("llama/code/inference.py").contains("return 2"));

    // The reverse: Terraform's upload plans no change under gantry.
    let t = fixture("aws_s3_artifacts");
    let tf2 = Tf::new(&t, env.clone());
    let r = tf2.run(&["apply", "-auto-approve", "-input=false", "-var", "name=tf"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = t.gantry_with(&["plan", "-detailed-exitcode", "-var", "name=tf"], &env);
    assert_eq!(r.code, 0, "gantry on Terraform's objects:\n{}", r.all());

    let r = g.gantry_with(
        &[
            "destroy",
            "-auto-approve",
            "-var",
            "handler=def model_fn(d):\n    return 2\n",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    rt.block_on(async {
        assert!(s3
            .head_bucket()
            .bucket("artifacts-models")
            .send()
            .await
            .is_err());
        assert!(s3.head_bucket().bucket("tf-models").send().await.is_ok());
    });
}
