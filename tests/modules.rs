//! Modules, conditions and check blocks: the module-heavy fixture in tests/fixtures/modules
//! (nested calls with count and for_each, outputs through three levels, variable
//! validation, a precondition in a module) applied by Terraform 1.11 and by gantry.

mod common;
use common::{terraform, Dir};

/// `module` keys of the resources in a state file, in file order.
fn state_modules(state: &serde_json::Value) -> Vec<String> {
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["module"].as_str().unwrap_or("-"), r["name"]))
        .collect()
}

#[test]
fn nested_modules_match_terraform() {
    let tf = common::fixture("modules");
    let init = terraform(tf.path(), &["init", "-input=false", "-no-color"]);
    assert_eq!(init.code, 0, "{}", init.all());
    let apply = terraform(
        tf.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    let tf_list = terraform(tf.path(), &["state", "list"]).stdout;
    let tf_out: serde_json::Value =
        serde_json::from_str(&terraform(tf.path(), &["output", "-json"]).stdout).unwrap();
    let replan = terraform(tf.path(), &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(replan.code, 0, "{}", replan.all());
    let tf_state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();

    let g = common::fixture("modules");
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("16 added"), "{}", r.stdout);
    let g_list = g.gantry(&["state", "list"]).stdout;
    assert_eq!(g_list, tf_list, "state list, in Terraform's order");
    assert_eq!(state_modules(&g.state_json()), state_modules(&tf_state));
    let g_out: serde_json::Value =
        serde_json::from_str(&g.gantry(&["output", "-json"]).stdout).unwrap();
    let names: Vec<&String> = tf_out.as_object().unwrap().keys().collect();
    assert_eq!(names, g_out.as_object().unwrap().keys().collect::<Vec<_>>());
    for name in names {
        assert_eq!(g_out[name]["value"], tf_out[name]["value"], "output {name}");
    }
    let replan = g.gantry(&["plan", "-detailed-exitcode"]);
    assert_eq!(replan.code, 0, "{}", replan.all());
    assert!(replan.stdout.contains("No changes."), "{}", replan.stdout);

    // `show -json`: the same module nesting (child_modules by address) and resources.
    let tf_show: serde_json::Value =
        serde_json::from_str(&terraform(tf.path(), &["show", "-json"]).stdout).unwrap();
    let g_show: serde_json::Value =
        serde_json::from_str(&g.gantry(&["show", "-json"]).stdout).unwrap();
    assert_eq!(
        module_layout(&g_show["values"]["root_module"]),
        module_layout(&tf_show["values"]["root_module"])
    );
}

/// A module of `show -json` as text: its address, its resources' addresses, its children.
fn module_layout(m: &serde_json::Value) -> String {
    let mut out = format!("[{}:", m["address"].as_str().unwrap_or("root"));
    for r in m["resources"].as_array().into_iter().flatten() {
        out.push_str(&format!(" {}", r["address"].as_str().unwrap_or_default()));
    }
    for c in m["child_modules"].as_array().into_iter().flatten() {
        out.push_str(&module_layout(c));
    }
    out.push(']');
    out
}

#[test]
fn module_instances_are_planned_and_destroyed_separately() {
    let g = common::fixture("modules");
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let before = g.addresses();

    // One for_each key fewer: only that module instance (and what refers to it) changes.
    let r = g.gantry(&["plan", "-var", "regions=[\"eu\"]"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for gone in [
        "module.serving[\"us\"].terraform_data.endpoint",
        "module.serving[\"us\"].module.replica[0].terraform_data.replica",
        "module.serving[\"us\"].module.replica[1].terraform_data.replica",
    ] {
        assert!(
            r.stdout.contains(&format!("# {gone} will be destroyed")),
            "{gone}:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("# (because module.serving[\"us\"] is not in configuration)"),
        "{}",
        r.stdout
    );
    assert!(!r
        .stdout
        .contains("module.serving[\"eu\"].terraform_data.endpoint will be destroyed"));
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 1 to change, 3 to destroy."),
        "{}",
        r.stdout
    );

    // Targeting a module instance plans only what is in it and what it needs.
    let r = g.gantry(&[
        "plan",
        "-target=module.counted[1]",
        "-replace=module.counted[1].terraform_data.vpc",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("module.counted[1].terraform_data.vpc must be replaced"),
        "{}",
        r.stdout
    );
    // Refresh reads everything; only the target is planned.
    let actions = r.stdout.split("will perform").nth(1).unwrap_or_default();
    assert!(!actions.contains("module.counted[0]"), "{}", r.stdout);

    let r = g.gantry(&["destroy", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains(&format!("{} destroyed", before.len())),
        "{}",
        r.stdout
    );
    assert!(g.addresses().is_empty());
}

#[test]
fn a_failed_precondition_in_a_module_stops_the_plan_like_terraform() {
    let tf = common::fixture("modules");
    let g = common::fixture("modules");
    let init = terraform(tf.path(), &["init", "-input=false", "-no-color"]);
    assert_eq!(init.code, 0, "{}", init.all());
    let t = terraform(tf.path(), &["plan", "-no-color", "-var", "replicas=0"]);
    assert_eq!(t.code, 1, "{}", t.all());
    assert!(
        t.stderr.contains("Resource precondition failed"),
        "{}",
        t.all()
    );
    assert!(t.stderr.contains("At least one replica is needed."));

    let r = g.gantry(&["plan", "-var", "replicas=0"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Resource precondition failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("At least one replica is needed."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("serving/main.tf:19:"), "{}", r.stderr);
    assert!(!g.state_path().exists(), "a failed plan writes no state");
}

#[test]
fn module_variable_validation_names_the_rule() {
    let g = common::fixture("modules");
    let main = g
        .read("main.tf")
        .replace("cidr   = \"10.0.0.0/16\"", "cidr   = \"not-a-cidr\"");
    g.write("main.tf", &main);
    let r = g.gantry(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Invalid value for variable"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("cidr must be a CIDR block."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("net/main.tf:4:"), "{}", r.stderr);
}

#[test]
fn module_call_errors_point_at_the_call() {
    let g = common::fixture("modules");
    g.write(
        "extra.tf",
        "module \"bad\" {\n  source = \"./net\"\n  cidr   = \"10.0.0.0/8\"\n  nmae   = \"typo\"\n}\n",
    );
    let r = g.gantry(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Unsupported argument"), "{}", r.stderr);
    assert!(r.stderr.contains("extra.tf:4:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Missing required argument"),
        "{}",
        r.stderr
    );

    g.write(
        "extra.tf",
        "module \"gone\" {\n  source = \"./nowhere\"\n}\n",
    );
    let r = g.gantry(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("extra.tf:1:1"), "{}", r.stderr);

    g.write("extra.tf", "output \"x\" {\n  value = module.nope.y\n}\n");
    let r = g.gantry(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Reference to undeclared module"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_blocks_warn_and_postconditions_see_self() {
    let g = Dir::new();
    g.write(
        "main.tf",
        r#"
variable "size" {
  default = 3
}

resource "terraform_data" "disk" {
  input = var.size

  lifecycle {
    postcondition {
      condition     = self.output >= 2
      error_message = "The disk is smaller than 2."
    }
  }
}

check "capacity" {
  assert {
    condition     = var.size < 3
    error_message = "Capacity is at its limit."
  }
}
"#,
    );
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("Warning: Check block assertion failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Capacity is at its limit."),
        "{}",
        r.stderr
    );

    let r = g.gantry(&["apply", "-auto-approve", "-var", "size=1"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Resource postcondition failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("The disk is smaller than 2."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:11:"), "{}", r.stderr);
}

#[test]
fn version_constraints_are_checked() {
    let g = Dir::new();
    g.write(
        "main.tf",
        "terraform {\n  required_version = \">= 1.5, < 2.0\"\n}\nresource \"terraform_data\" \"a\" {}\n",
    );
    let r = g.gantry(&["validate"]);
    assert_eq!(r.code, 0, "{}", r.all());

    g.write(
        "main.tf",
        "terraform {\n  required_version = \">= 1.12\"\n}\nresource \"terraform_data\" \"a\" {}\n",
    );
    let r = g.gantry(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Unsupported Terraform Core version"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:2:22"), "{}", r.stderr);

    g.write(
        "main.tf",
        "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"~> 4.0\"\n    }\n  }\n}\nresource \"terraform_data\" \"a\" {}\n",
    );
    let r = g.gantry(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("Incompatible provider version"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("5.100.0"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:5:17"), "{}", r.stderr);
}

#[test]
fn state_commands_take_module_addresses() {
    let g = common::fixture("modules");
    let r = g.gantry(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = g.gantry(&[
        "state",
        "mv",
        "module.counted[1].terraform_data.vpc",
        "module.counted[1].terraform_data.moved",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = g.gantry(&[
        "state",
        "rm",
        "module.serving[\"us\"].module.replica[1].terraform_data.replica",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let list = g.addresses();
    assert!(
        list.contains(&"module.counted[1].terraform_data.moved".to_string()),
        "{list:?}"
    );
    assert!(!list.contains(&"module.counted[1].terraform_data.vpc".to_string()));
    assert!(!list
        .contains(&"module.serving[\"us\"].module.replica[1].terraform_data.replica".to_string()));
    let r = g.gantry(&[
        "state",
        "show",
        "module.serving[\"eu\"].terraform_data.endpoint",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("eu-endpoint@10.0.0.0/24"), "{}", r.stdout);

    // The plan puts back exactly what was removed and renamed, nothing else.
    let r = g.gantry(&["plan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("# module.counted[1].terraform_data.moved will be destroyed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("# module.counted[1].terraform_data.vpc will be created"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "# module.serving[\"us\"].module.replica[1].terraform_data.replica will be created"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Plan: 2 to add,"), "{}", r.stdout);
}
