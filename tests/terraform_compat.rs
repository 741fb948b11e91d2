//! The same configuration applied by Terraform (when `terraform` is on PATH) and by gantry
//! must give the same addresses and the same output values.

mod common;
use common::{terraform, Dir};

const CONFIG: &str = r#"
variable "regions" {
  type    = list(string)
  default = ["us-east-1", "eu-west-1", "ap-south-1"]
}
variable "gpu" {
  type = object({
    family = string
    count  = optional(number, 8)
  })
  default = { family = "h100" }
}
locals {
  by_region = { for i, r in var.regions : r => { index = i, cidr = cidrsubnet("10.0.0.0/8", 8, i) } }
  label     = "${upper(var.gpu.family)}x${var.gpu.count}"
  tags      = merge({ team = "ml" }, { model = "llama", tier = "gpu" })
}
resource "terraform_data" "cluster" {
  for_each = local.by_region
  input = {
    region = each.key
    cidr   = each.value.cidr
    name   = format("%s-%02d-%s", each.key, each.value.index, lower(local.label))
  }
}
resource "terraform_data" "worker" {
  count            = 4
  input            = "worker-${count.index}-${element(var.regions, count.index)}"
  triggers_replace = [local.label]
}
resource "terraform_data" "summary" {
  input = join(",", [for w in terraform_data.worker : w.output])
}
output "cidrs" {
  value = { for k, c in terraform_data.cluster : k => c.output.cidr }
}
output "workers" {
  value = terraform_data.worker[*].output
}
output "summary" {
  value = terraform_data.summary.output
}
output "functions" {
  value = {
    keys      = keys(local.tags)
    values    = values(local.tags)
    lookup    = lookup(local.tags, "missing", "dflt")
    flat      = flatten([[1, 2], [3], []])
    zip       = zipmap(["a", "b"], [1, 2])
    range     = range(1, 10, 3)
    len       = length(local.by_region)
    sha       = sha256("gantry")
    md5       = md5("gantry")
    b64       = base64encode("hello, world")
    unb64     = base64decode("aGVsbG8=")
    json      = jsonencode({ b = [1, true, null], a = "x<y" })
    decoded   = jsondecode("{\"k\": [1, 2.5]}")
    replace   = replace("a-b-c", "-", "_")
    re        = replace("v1.2.3", "/v(\\d+)\\..*/", "$1")
    split     = split(",", "x,y,,z")
    substr    = substr("hello world", 6, 5)
    regex     = regex("([a-z]+)-(\\d+)", "node-42")
    regexall  = regexall("\\d", "a1b2c3")
    coalesce  = coalesce("", null, "first")
    try       = try(local.tags.nope, "fallback")
    can       = can(regex("^x", "abc"))
    tostr     = tostring(42)
    tonum     = tonumber("3.5")
    minmax    = [min(3, 1, 2), max(3, 1, 2), abs(-4), ceil(1.2), floor(1.8)]
    distinct  = distinct(["a", "b", "a"])
    concat    = concat(["a"], ["b", "c"])
    contains  = contains(var.regions, "eu-west-1")
    starts    = startswith("gantry", "gan")
    ends      = endswith("gantry", "try")
    one       = one(["only"])
    sum       = sum([1, 2, 3.5])
    fmtlist   = formatlist("%s=%d", ["a", "b"], [1, 2])
    trim      = trimspace("  x  ")
    toset     = toset(["b", "a", "b"])
    cidrhost  = cidrhost("10.12.112.0/20", 16)
    cond      = length(var.regions) > 2 ? "many" : "few"
    tmpl      = "%{for r in var.regions}${r};%{endfor}"
    upper     = upper("abc")
    titled    = title("hello world")
    idx       = index(["a", "b"], "b")
    reverse   = reverse([1, 2, 3])
    slice     = slice(["a", "b", "c", "d"], 1, 3)
    sort      = sort(["b", "c", "a"])
    compact   = compact(["a", "", "b"])
    chunk     = chunklist([1, 2, 3], 2)
    pow       = pow(2, 10)
    parseint  = parseint("ff", 16)
    strrev    = strrev("abc")
    nested    = [for k, v in local.by_region : "${k}:${v.index}" if v.index > 0]
    grouped   = { for r in var.regions : substr(r, 0, 2) => r... }
  }
}
"#;

#[test]
fn terraform_and_gantry_agree_on_addresses_and_outputs() {
    let tf = Dir::new();
    tf.write("main.tf", CONFIG);
    let init = terraform(tf.path(), &["init", "-input=false", "-no-color"]);
    assert_eq!(init.code, 0, "{}", init.all());
    let apply = terraform(
        tf.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    let tf_list = terraform(tf.path(), &["state", "list"]);
    let tf_out: serde_json::Value =
        serde_json::from_str(&terraform(tf.path(), &["output", "-json"]).stdout).unwrap();

    let g = Dir::new();
    g.write("main.tf", CONFIG);
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let g_out: serde_json::Value =
        serde_json::from_str(&g.gantry(&["output", "-json"]).stdout).unwrap();

    let mut tf_addrs: Vec<String> = tf_list.stdout.lines().map(String::from).collect();
    tf_addrs.sort();
    let mut g_addrs = g.addresses();
    g_addrs.sort();
    assert_eq!(g_addrs, tf_addrs);

    let names: Vec<&String> = tf_out.as_object().unwrap().keys().collect();
    assert_eq!(names, g_out.as_object().unwrap().keys().collect::<Vec<_>>());
    for name in names {
        let (t, gv) = (&tf_out[name]["value"], &g_out[name]["value"]);
        if t.is_object() && name == "functions" {
            for (k, tv) in t.as_object().unwrap() {
                assert_eq!(
                    &gv[k], tv,
                    "output functions.{k}: gantry {} vs terraform {}",
                    gv[k], tv
                );
            }
        }
        assert_eq!(gv, t, "output {name}");
    }
}
