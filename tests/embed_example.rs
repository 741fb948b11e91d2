//! `examples/embed` — a program using only the library API — plans and applies a directory,
//! and leaves the same state the CLI reads (`cargo test` builds examples, so it runs in CI).

mod common;
use common::{copy_tree, Dir};
use std::process::Command;

fn example_binary() -> std::path::PathBuf {
    // tests run from target/<profile>/deps; examples are built to target/<profile>/examples.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let bin = profile_dir.join("examples").join("embed");
    assert!(
        bin.exists(),
        "examples/embed was not built at {}",
        bin.display()
    );
    bin
}

#[test]
fn the_embed_example_plans_and_applies_through_the_library() {
    let d = Dir::new();
    copy_tree(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ai-stack")),
        d.path(),
    );
    let run = || {
        let o = Command::new(example_binary())
            .arg(d.path())
            .output()
            .expect("run the embed example");
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{out}\n{err}");
        out
    };
    let first = run();
    assert!(first.contains("Plan: "), "{first}");
    assert!(
        !first.contains("Plan: 0 to add"),
        "a fresh directory has work: {first}"
    );
    assert!(first.contains("Applied: "), "{first}");
    // The CLI sees exactly what the library applied.
    let r = d.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!d.addresses().is_empty());
    assert!(
        !d.path().join(".terraform.tfstate.lock.info").exists(),
        "lock released"
    );
    let second = run();
    assert!(
        second.contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{second}"
    );
}
