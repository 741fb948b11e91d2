//! The function table (tests/fixtures/functions/main.tf: every Terraform function gantry
//! implements, with edge cases, ≥ 150 calls) evaluated by Terraform 1.11 and by gantry: the
//! JSON results must be identical, call by call.

mod common;
use common::terraform;

#[test]
fn every_function_call_matches_terraform() {
    let tf = common::fixture("functions");
    let r = terraform(tf.path(), &["init", "-input=false", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform(
        tf.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let want: serde_json::Value =
        serde_json::from_str(&terraform(tf.path(), &["output", "-json", "results"]).stdout)
            .unwrap();

    let g = common::fixture("functions");
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let got: serde_json::Value =
        serde_json::from_str(&g.gantry(&["output", "-json", "results"]).stdout).unwrap();

    let want = want.as_object().unwrap();
    assert!(want.len() >= 150, "the table has {} calls", want.len());
    let mut differ = Vec::new();
    for (k, w) in want {
        if got.get(k) != Some(w) {
            differ.push(format!(
                "{k}: terraform {w}, gantry {}",
                got.get(k).unwrap_or(&serde_json::Value::Null)
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} calls differ:\n{}",
        differ.len(),
        want.len(),
        differ.join("\n")
    );
}
