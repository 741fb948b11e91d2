//! `gantry fmt` against `terraform fmt` 1.11, byte for byte, over the unformatted inputs in
//! tests/fixtures/fmt (spacing, operators, alignment, heredocs, comments, blank lines,
//! rewrites, nested values, blocks, AI-stack resources on three clouds, modules, conditions,
//! refactoring blocks) plus the examples and the module fixtures: 40 files.

mod common;
use common::{terraform, Dir};
use std::path::Path;

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join("tests/fixtures/fmt")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, std::fs::read_to_string(&p).unwrap()));
    }
    for (name, rel) in [
        ("example_ai_stack.tf", "examples/ai-stack/main.tf"),
        ("example_aws_sagemaker.tf", "examples/aws-sagemaker/main.tf"),
        ("modules_root.tf", "tests/fixtures/modules/main.tf"),
        ("modules_net.tf", "tests/fixtures/modules/net/main.tf"),
        (
            "modules_serving.tf",
            "tests/fixtures/modules/serving/main.tf",
        ),
    ] {
        out.push((
            name.to_string(),
            std::fs::read_to_string(root.join(rel)).unwrap(),
        ));
    }
    out.sort();
    out
}

#[test]
fn fmt_matches_terraform_fmt_byte_for_byte() {
    let files = sources();
    assert!(files.len() >= 40, "{} files", files.len());
    let (tf, g) = (Dir::new(), Dir::new());
    for (name, text) in &files {
        tf.write(name, text);
        g.write(name, text);
    }
    let r = terraform(tf.path(), &["fmt", "-no-color"]);
    assert!(r.code == 0, "{}", r.all());
    let r = g.gantry(&["fmt"]);
    assert!(r.code == 0, "{}", r.all());
    let mut differ = Vec::new();
    for (name, _) in &files {
        let (want, got) = (tf.read(name), g.read(name));
        if want != got {
            differ.push(format!("{name}:\n--- terraform\n{want}\n--- gantry\n{got}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} files differ:\n{}",
        differ.len(),
        files.len(),
        differ.join("\n")
    );

    // Formatting is idempotent, and -check agrees.
    let r = g.gantry(&["fmt", "-check"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn fmt_flags_behave_like_terraforms() {
    let messy = "locals {\na=[1,2]\n}\n";
    let tidy = "locals {\n  a = [1, 2]\n}\n";
    let g = Dir::new();
    g.write("top.tf", messy);
    std::fs::create_dir_all(g.path().join("sub/.terraform")).unwrap();
    g.write("sub/inner.tf", messy);
    g.write("sub/.terraform/skip.tf", messy);

    // -write=false lists without writing; -check exits 3.
    let r = g.gantry(&["fmt", "-write=false", "-recursive"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("top.tf") && r.stdout.contains("inner.tf"),
        "{}",
        r.stdout
    );
    assert_eq!(g.read("top.tf"), messy);
    assert_eq!(g.gantry(&["fmt", "-check"]).code, 3);

    // Without -recursive only the directory itself; with it, subdirectories but not hidden ones.
    assert_eq!(g.gantry(&["fmt"]).code, 0);
    assert_eq!(g.read("top.tf"), tidy);
    assert_eq!(g.read("sub/inner.tf"), messy);
    assert_eq!(g.gantry(&["fmt", "-recursive"]).code, 0);
    assert_eq!(g.read("sub/inner.tf"), tidy);
    assert_eq!(g.read("sub/.terraform/skip.tf"), messy);

    // `-`: standard input to standard output.
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gantry"))
        .args(["fmt", "-"])
        .current_dir(g.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(messy.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), tidy);
}
