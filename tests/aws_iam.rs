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
