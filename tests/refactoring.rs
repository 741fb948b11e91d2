//! `moved` and `removed` blocks: renames, count → for_each keys, moves into a module and a
//! forgotten object — nothing destroyed, ids kept, and Terraform 1.11 ends in the same state
//! addresses from the same steps.

mod common;
use common::{terraform, Dir};

const BEFORE: &str = r#"
resource "terraform_data" "a" {
  input = "A"
}
resource "terraform_data" "b" {
  count = 2
  input = "B${count.index}"
}
resource "terraform_data" "net" {
  input = "N"
}
resource "terraform_data" "gone" {
  input = "G"
}
"#;

const AFTER: &str = r#"
resource "terraform_data" "renamed" {
  input = "A"
}
moved {
  from = terraform_data.a
  to   = terraform_data.renamed
}
resource "terraform_data" "b" {
  for_each = toset(["x", "y"])
  input    = each.key == "x" ? "B0" : "B1"
}
moved {
  from = terraform_data.b[0]
  to   = terraform_data.b["x"]
}
moved {
  from = terraform_data.b[1]
  to   = terraform_data.b["y"]
}
module "net" {
  source = "./net"
}
moved {
  from = terraform_data.net
  to   = module.net.terraform_data.net
}
removed {
  from = terraform_data.gone
  lifecycle {
    destroy = false
  }
}
"#;

const NET: &str = "resource \"terraform_data\" \"net\" {\n  input = \"N\"\n}\n";

fn ids(d: &Dir) -> Vec<String> {
    let state = d.state_json();
    let mut out: Vec<String> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["instances"].as_array().unwrap().iter())
        .map(|i| i["attributes"]["id"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn moves_and_removed_blocks_destroy_nothing() {
    let g = Dir::new();
    g.write("main.tf", BEFORE);
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let before = ids(&g);

    g.write("main.tf", AFTER);
    std::fs::create_dir_all(g.path().join("net")).unwrap();
    g.write("net/main.tf", NET);
    let r = g.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    for line in [
        "# terraform_data.a has moved to terraform_data.renamed",
        "# terraform_data.b[0] has moved to terraform_data.b[\"x\"]",
        "# terraform_data.net has moved to module.net.terraform_data.net",
        "# terraform_data.gone will no longer be managed by gantry",
        "Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget.",
    ] {
        assert!(r.stdout.contains(line), "{line}:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("destroyed"), "{}", r.stdout);

    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("0 destroyed"), "{}", r.stdout);
    let after = ids(&g);
    assert_eq!(after.len(), before.len() - 1, "one object forgotten");
    assert!(after.iter().all(|id| before.contains(id)), "ids kept");
    let list = g.gantry(&["state", "list"]).stdout;

    let r = g.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());

    // Terraform, from the same two steps, ends with the same addresses.
    let tf = Dir::new();
    tf.write("main.tf", BEFORE);
    let r = terraform(tf.path(), &["init", "-input=false", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform(
        tf.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    tf.write("main.tf", AFTER);
    std::fs::create_dir_all(tf.path().join("net")).unwrap();
    tf.write("net/main.tf", NET);
    let r = terraform(tf.path(), &["init", "-input=false", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = terraform(
        tf.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("0 destroyed"), "{}", r.stdout);
    assert_eq!(terraform(tf.path(), &["state", "list"]).stdout, list);
}

#[test]
fn a_move_onto_an_existing_object_is_refused() {
    let g = Dir::new();
    g.write("main.tf", BEFORE);
    assert_eq!(g.gantry(&["apply", "-auto-approve"]).code, 0);
    let before = g.state_bytes();
    g.write(
        "main.tf",
        &format!(
            "{BEFORE}\nmoved {{\n  from = terraform_data.a\n  to   = terraform_data.gone\n}}\n"
        ),
    );
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Moved object still exists"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:16:1"), "{}", r.stderr);
    assert_eq!(g.state_bytes(), before, "state untouched");
}
