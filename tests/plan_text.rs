//! The human plan reads like Terraform's, line for line: the same terraform_data
//! configuration and the same state planned by Terraform 1.11 and by gantry. The only
//! differences allowed are the tool's name and the order of "Refreshing state..." lines
//! (Terraform's depends on timing); remaining deliberate differences are in the README.

mod common;
use common::{terraform, Dir};

const V1: &str = r#"
variable "v" {
  default = 1
}
variable "keys" {
  type    = list(string)
  default = ["a", "b"]
}
variable "secret" {
  default   = "s1"
  sensitive = true
}
resource "terraform_data" "obj" {
  input = { name = "n${var.v}", size = 3, tags = ["a", "b", "c${var.v}"], nested = { x = 1, y = "keep" } }
}
resource "terraform_data" "list" {
  count = 2
  input = ["a", count.index, var.v]
}
resource "terraform_data" "rep" {
  input            = "r"
  triggers_replace = var.v
}
resource "terraform_data" "gone" {
  count = var.v == 1 ? 1 : 0
  input = "bye"
}
resource "terraform_data" "each" {
  for_each = toset(var.keys)
  input    = { key = each.key, n = var.v }
}
resource "terraform_data" "str" {
  input = "s${var.v}"
}
output "o" {
  value = terraform_data.obj.output
}
output "long_name_output" {
  value = var.v
}
output "hidden" {
  value     = var.secret
  sensitive = true
}
"#;

/// Plan text with the tool's name normalised; refresh lines returned apart, sorted.
fn normalise(text: &str) -> (String, Vec<String>) {
    let mut refresh: Vec<String> = Vec::new();
    let mut body = String::new();
    for line in text.lines() {
        if line.contains(": Refreshing state...") {
            refresh.push(line.to_string());
            continue;
        }
        let line = line
            .replace("Terraform", "gantry")
            .replace("\"terraform apply\"", "\"gantry apply\"");
        body.push_str(&line);
        body.push('\n');
    }
    refresh.sort();
    (body, refresh)
}

fn compare(d: &Dir, args: &[&str]) {
    let mut targs = vec!["plan", "-no-color", "-input=false"];
    targs.extend_from_slice(args);
    let t = terraform(d.path(), &targs);
    assert_eq!(t.code, 0, "{}", t.all());
    let mut gargs = vec!["plan", "-no-color"];
    gargs.extend_from_slice(args);
    // Both in automation mode (the helper runs Terraform with TF_IN_AUTOMATION=1).
    let g = d.gantry_env(&gargs, &[("TF_IN_AUTOMATION", "1")]);
    assert_eq!(g.code, 0, "{}", g.all());
    let (tb, tr) = normalise(&t.stdout);
    let (gb, gr) = normalise(&g.stdout);
    assert_eq!(gr, tr, "refresh lines");
    if gb != tb {
        let diff = similar::TextDiff::from_lines(&tb, &gb)
            .unified_diff()
            .header("terraform", "gantry")
            .to_string();
        panic!("plan text differs from Terraform's for {args:?}:\n{diff}");
    }
}

fn dir() -> Dir {
    let d = Dir::new();
    d.write("main.tf", V1);
    let r = terraform(d.path(), &["init", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());
    d
}

#[test]
fn creating_everything_reads_as_terraform() {
    let d = dir();
    compare(&d, &[]);
}

#[test]
fn updates_replacements_deletes_and_outputs_read_as_terraform() {
    let d = dir();
    let r = terraform(d.path(), &["apply", "-auto-approve", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());
    // Nothing to do.
    compare(&d, &[]);
    // In-place updates of nested objects, lists (element changes), a replacement, deletes
    // (count shrinks, a for_each key goes), changed outputs (one sensitive).
    compare(
        &d,
        &["-var", "v=2", "-var", "keys=[\"a\"]", "-var", "secret=s2"],
    );
}

#[test]
fn destroy_plans_read_as_terraform() {
    let d = dir();
    let r = terraform(d.path(), &["apply", "-auto-approve", "-input=false"]);
    assert_eq!(r.code, 0, "{}", r.all());
    compare(&d, &["-destroy"]);
}
