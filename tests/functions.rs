//! The function table (tests/fixtures/functions/main.tf: every Terraform function gantry
//! implements, with edge cases, ≥ 150 calls) evaluated by Terraform 1.11 and by gantry: the
//! JSON results must be identical, call by call.

mod common;
use common::Dir;
use std::path::Path;
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn fixture() -> Dir {
    let d = Dir::new();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/functions"),
        d.path(),
    );
    d
}

fn terraform(dir: &Path, args: &[&str]) -> common::Run {
    Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .expect("terraform 1.11 must be on PATH for this comparison")
        .into()
}

#[test]
fn every_function_call_matches_terraform() {
    let tf = fixture();
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

    let g = fixture();
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
