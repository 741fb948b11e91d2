//! IAM, native, against Terraform + the real hashicorp/aws 5.100.0 plugin on moto:
//! `aws_iam_policy_document` renders every document (trust policies, conditions, policy
//! variables, `*` principals, characters Go escapes, merged sources and overrides, the 2008
//! version) to the same bytes, minified form and id as upstream; `aws_iam_policy` finds an
//! AWS managed policy by name.

mod common;
use common::fixture;
use common::moto::Moto;
use common::tf_aws::Tf;
use serde_json::Value as Json;

#[test]
fn policy_documents_render_byte_for_byte_like_upstream() {
    let moto = Moto::start();
    let env = moto.env();
    let d = fixture("aws_iam_documents");
    let tf = Tf::new(&d, env.clone());
    let r = tf.run(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = tf.run(&["output", "-json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let theirs: Json = serde_json::from_str(&r.stdout).unwrap();

    let g = fixture("aws_iam_documents");
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = g.gantry_with(&["output", "-json"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let ours: Json = serde_json::from_str(&r.stdout).unwrap();

    let names: Vec<&String> = theirs.as_object().unwrap().keys().collect();
    assert_eq!(names, ours.as_object().unwrap().keys().collect::<Vec<_>>());
    for name in names {
        assert_eq!(
            ours[name]["value"], theirs[name]["value"],
            "output {name}: gantry rendered\n{}\nTerraform\n{}",
            ours[name]["value"], theirs[name]["value"]
        );
    }
    // The documents are real: the managed policy came from IAM, the trust policy lists
    // all three services.
    assert_eq!(
        ours["managed"]["value"]["arn"],
        "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    );
    assert!(ours["trust"]["value"]
        .as_str()
        .unwrap()
        .contains("\"sagemaker.amazonaws.com\""));
}

#[test]
fn policy_attachment_is_exclusive_and_inline_policies_move_both_ways() {
    let moto = Moto::start();
    let env = moto.env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let iam = aws_sdk_iam::Client::new(&rt.block_on(moto.sdk()));
    let entities = |arn: &str| -> Vec<String> {
        let r = rt
            .block_on(iam.list_entities_for_policy().policy_arn(arn).send())
            .unwrap();
        let mut roles: Vec<String> = r
            .policy_roles()
            .iter()
            .filter_map(|r| r.role_name().map(String::from))
            .collect();
        roles.sort();
        roles
    };

    let g = fixture("aws_iam_attach");
    let tf = Tf::new(&g, env.clone());
    common::tf_aws::assert_plan_parity(&g, &tf, &env, &[]);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let arn = "arn:aws:iam::123456789012:policy/ml-artifacts";
    let attached = entities(arn);
    assert_eq!(attached.len(), 2, "{attached:?}");
    assert_eq!(attached[0], "ml-serve-".to_string() + &attached[0][9..]);
    assert_eq!(attached[1], "ml-train");
    let inline = rt
        .block_on(
            iam.get_role_policy()
                .role_name("ml-train")
                .policy_name("logs")
                .send(),
        )
        .unwrap();
    let doc = inline.policy_document();
    assert!(
        doc.contains("logs:PutLogEvents") || doc.contains("logs%3APutLogEvents"),
        "{doc}"
    );
    let r = g.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = tf.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "Terraform on gantry's IAM:\n{}", r.all());

    // Exclusive: an attachment made elsewhere is drift, removed by the next apply.
    rt.block_on(
        iam.create_role()
            .role_name("intruder")
            .assume_role_policy_document("{}")
            .send(),
    )
    .unwrap();
    rt.block_on(
        iam.attach_role_policy()
            .role_name("intruder")
            .policy_arn(arn)
            .send(),
    )
    .unwrap();
    let r = g.gantry_with(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("\"intruder\""), "{}", r.stdout);
    let r = g.gantry_with(&["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!entities(arn).contains(&"intruder".to_string()));

    // The reverse: Terraform's roles, policy and attachment plan no change under gantry.
    let t = fixture("aws_iam_attach");
    let tf2 = Tf::new(&t, env.clone());
    let r = tf2.run(&["apply", "-auto-approve", "-input=false", "-var", "name=tf"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = t.gantry_with(&["plan", "-detailed-exitcode", "-var", "name=tf"], &env);
    assert_eq!(r.code, 0, "gantry on Terraform's IAM:\n{}", r.all());

    let r = g.gantry_with(&["destroy", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(rt
        .block_on(iam.get_role().role_name("ml-train").send())
        .is_err());
    assert_eq!(
        entities("arn:aws:iam::123456789012:policy/tf-artifacts").len(),
        2
    );
}
