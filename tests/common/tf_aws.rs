//! Terraform with the real hashicorp/aws 5.100.0 plugin, from the machine's filesystem mirror,
//! pointed at a moto: the reference gantry's native AWS provider is compared with.

use super::{terraform_env, Dir, Run};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The filesystem mirror holding hashicorp/aws (`GANTRY_TF_PLUGIN_MIRROR`, else where this
/// project's machines carry it). Missing is a failure, never a skip.
pub fn plugin_mirror() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("GANTRY_TF_PLUGIN_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into()),
    );
    let plugin = dir.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
    assert!(
        plugin.is_dir(),
        "the hashicorp/aws 5.100.0 plugin must be in a filesystem mirror at {} (set GANTRY_TF_PLUGIN_MIRROR)",
        dir.display()
    );
    dir
}

/// A Terraform CLI configuration in `d` that installs hashicorp/aws from `mirror`.
pub fn mirror_config(d: &Dir, mirror: &std::path::Path) {
    d.write(
        ".terraformrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display()
        ),
    );
}

/// Terraform in `d`, with the mirror configured and `env` (moto's) added.
pub struct Tf<'a> {
    pub dir: &'a Dir,
    pub env: Vec<(&'static str, String)>,
}

impl<'a> Tf<'a> {
    pub fn new(dir: &'a Dir, moto_env: Vec<(&'static str, String)>) -> Tf<'a> {
        mirror_config(dir, &plugin_mirror());
        let mut env = moto_env;
        env.push((
            "TF_CLI_CONFIG_FILE",
            dir.path().join(".terraformrc").display().to_string(),
        ));
        let tf = Tf { dir, env };
        let r = tf.run(&["init", "-input=false"]);
        assert_eq!(r.code, 0, "terraform init: {}", r.all());
        tf
    }

    pub fn run(&self, args: &[&str]) -> Run {
        terraform_env(self.dir.path(), args, &self.env)
    }
}

/// Planned values known at plan time, by resource address (attributes Terraform marks
/// unknown in `after_unknown` are left out).
pub fn known_planned(plan: &Json) -> BTreeMap<String, BTreeMap<String, Json>> {
    let mut unknown: BTreeMap<String, Json> = BTreeMap::new();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        unknown.insert(
            rc["address"].as_str().unwrap().to_string(),
            rc["change"]["after_unknown"].clone(),
        );
    }
    let mut out = BTreeMap::new();
    for r in plan["planned_values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
    {
        // Managed resources only: gantry's plan JSON does not list data sources deferred to
        // apply yet (README: differences).
        if r["mode"] != "managed" {
            continue;
        }
        let addr = r["address"].as_str().unwrap().to_string();
        let u = unknown.get(&addr).cloned().unwrap_or(Json::Null);
        // Terraform leaves `values` out when nothing is known yet.
        let empty = serde_json::Map::new();
        let values: BTreeMap<String, Json> = r["values"]
            .as_object()
            .unwrap_or(&empty)
            .iter()
            .filter(|(k, _)| u.get(k.as_str()) != Some(&Json::Bool(true)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert(addr, values);
    }
    out
}

pub fn show_json(d: &Dir, by_gantry: bool, tf: &Tf, env: &[(&'static str, String)]) -> Json {
    let r = if by_gantry {
        d.gantry_with(&["show", "-json", "plan.bin"], env)
    } else {
        tf.run(&["show", "-json", "plan.bin"])
    };
    assert_eq!(r.code, 0, "{}", r.all());
    serde_json::from_str(&r.stdout).unwrap()
}

/// Terraform (with the real plugin) and gantry plan the configuration in `d` with `vars`
/// (`-var` pairs): both succeed, plan the same managed resources, and agree on every value
/// Terraform knows at plan time.
pub fn assert_plan_parity(d: &Dir, tf: &Tf, env: &[(&'static str, String)], vars: &[&str]) {
    let mut args = vec!["plan", "-input=false", "-out=plan.bin"];
    args.extend_from_slice(vars);
    let r = tf.run(&args);
    assert_eq!(r.code, 0, "{}", r.all());
    let theirs = known_planned(&show_json(d, false, tf, env));
    let mut args = vec!["plan", "-out=plan.bin"];
    args.extend_from_slice(vars);
    let r = d.gantry_with(&args, env);
    assert_eq!(r.code, 0, "{}", r.all());
    let ours = known_planned(&show_json(d, true, tf, env));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (addr, values) in &theirs {
        for (k, v) in values {
            assert_eq!(
                ours[addr].get(k),
                Some(v),
                "{addr}.{k}: gantry plans {:?}, Terraform {v}",
                ours[addr].get(k)
            );
        }
    }
}

/// The shape of a state value: its JSON kind, with `""` and `null` told apart and lists and
/// objects followed (the first element of a list stands for all).
fn shape(v: &Json) -> Json {
    match v {
        Json::Null => Json::from("null"),
        Json::Bool(_) => Json::from("bool"),
        Json::Number(_) => Json::from("number"),
        Json::String(s) if s.is_empty() => Json::from("\"\""),
        Json::String(_) => Json::from("string"),
        Json::Array(a) => Json::Array(
            std::iter::once(Json::from(format!("list of {}", a.len())))
                .chain(a.first().map(shape))
                .collect(),
        ),
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

/// Attributes by `type.name` of the managed resources of `types` in a state file.
fn state_attributes(state: &std::path::Path, types: &[&str]) -> BTreeMap<String, Json> {
    let s: Json = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for r in s["resources"].as_array().into_iter().flatten() {
        let t = r["type"].as_str().unwrap_or_default();
        if r["mode"] == "managed" && types.contains(&t) {
            let attrs = r["instances"][0]["attributes"].clone();
            out.insert(format!("{t}.{}", r["name"].as_str().unwrap()), attrs);
        }
    }
    out
}

/// gantry's and Terraform's states of the same configuration record every attribute of the
/// resources of `types` in the same shape (null or "", lists of the same length, same nested
/// keys) — so state moves between the tools unchanged. Values (ids, names) may differ.
pub fn assert_state_shapes(ours: &std::path::Path, theirs: &std::path::Path, types: &[&str]) {
    let (a, b) = (
        state_attributes(ours, types),
        state_attributes(theirs, types),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let mut diffs = Vec::new();
    for (addr, theirs) in &b {
        let ours = &a[addr];
        let keys: std::collections::BTreeSet<&String> = ours
            .as_object()
            .into_iter()
            .chain(theirs.as_object())
            .flat_map(|o| o.keys())
            .collect();
        for k in keys {
            let (x, y) = (ours.get(k).map(shape), theirs.get(k).map(shape));
            if x != y {
                diffs.push(format!("{addr}.{k}: gantry {x:?}, Terraform {y:?}"));
            }
        }
    }
    assert!(
        diffs.is_empty(),
        "state shapes differ:\n{}",
        diffs.join("\n")
    );
}

/// The reverse direction and the teardown, as the AWS fixture tests end: Terraform (with the
/// real plugin) applies `fixture` under `-var name=tf`, gantry plans no change on its state;
/// gantry's own copy in `ours` is brought back to the defaults, both states record the
/// resources of `types` in the same shapes, and gantry destroys both stacks.
pub fn assert_reverse_then_destroy(
    fixture: &str,
    ours: &Dir,
    env: &[(&'static str, String)],
    types: &[&str],
) {
    let t = super::fixture(fixture);
    let tf = Tf::new(&t, env.to_vec());
    let r = tf.run(&["apply", "-auto-approve", "-input=false", "-var", "name=tf"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = t.gantry_with(&["plan", "-detailed-exitcode", "-var", "name=tf"], env);
    assert_eq!(r.code, 0, "gantry on Terraform's state:\n{}", r.all());
    let r = ours.gantry_with(&["apply", "-auto-approve"], env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_state_shapes(
        &ours.path().join("terraform.tfstate"),
        &t.path().join("terraform.tfstate"),
        types,
    );
    for (d, vars) in [(ours, vec![]), (&t, vec!["-var", "name=tf"])] {
        let mut args = vec!["destroy", "-auto-approve"];
        args.extend_from_slice(&vars);
        let r = d.gantry_with(&args, env);
        assert_eq!(r.code, 0, "{}", r.all());
    }
}

/// After gantry's apply in `d`: gantry plans no change on its own objects, and neither does
/// Terraform (with the real plugin) reading gantry's state.
pub fn assert_no_change_either_tool(d: &Dir, tf: &Tf, env: &[(&'static str, String)]) {
    let r = d.gantry_with(&["plan", "-detailed-exitcode"], env);
    assert_eq!(r.code, 0, "gantry re-plans its own apply:\n{}", r.all());
    let r = tf.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "Terraform on gantry's objects:\n{}", r.all());
}

/// gantry applies `d` with `vars` (`-var` pairs) and reports exactly `summary`
/// (e.g. "0 added, 3 changed, 0 destroyed"); the run is returned for further checks.
pub fn apply_expecting(
    d: &Dir,
    env: &[(&'static str, String)],
    vars: &[&str],
    summary: &str,
) -> super::Run {
    let mut args = vec!["apply", "-auto-approve"];
    args.extend_from_slice(vars);
    let r = d.gantry_with(&args, env);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains(summary), "{}", r.stdout);
    r
}

/// gantry plans `d` with `vars` and finds changes to make (`-detailed-exitcode` 2): an
/// out-of-band change shown. The run is returned for the diff's checks.
pub fn plan_expecting_changes(d: &Dir, env: &[(&'static str, String)], vars: &[&str]) -> Run {
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend_from_slice(vars);
    let r = d.gantry_with(&args, env);
    assert_eq!(r.code, 2, "{}", r.all());
    r
}
