//! Snapshot tests of the human plan rendering (insta; snapshots in tests/snapshots/).
//! Review changes with `cargo insta review` or by reading the .snap diff.

use gantry_core::addr::{InstanceAddr, InstanceKey, ResourceAddr};
use gantry_core::state::State;
use gantry_core::value::{PathStep, Value};
use gantry_plans::plan::{Action, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use gantry_plans::render::{render_plan, Style};
use serde_json::json;
use std::collections::BTreeMap;

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j)
}

fn addr(t: &str, n: &str, key: InstanceKey) -> InstanceAddr {
    ResourceAddr::managed(t, n).instance(key)
}

fn change(
    a: InstanceAddr,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
) -> ResourceChange {
    ResourceChange {
        addr: a,
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        action,
        before,
        after,
        replace_paths: vec![],
        reason: None,
        dependencies: vec![],
        create_before_destroy: false,
        notes: vec![],
    }
}

fn plan(changes: Vec<ResourceChange>) -> Plan {
    Plan {
        mode: PlanMode::Normal,
        changes,
        drift: vec![],
        outputs: vec![],
        variables: BTreeMap::new(),
        prior_state: State::new(),
        state_serial: 0,
        config_digest: String::new(),
        timestamp: String::new(),
        errored: false,
        configuration: json!({}),
        relevant_attributes: json!([]),
        targets: vec![],
        imports: vec![],
        warnings: vec![],
        moves: vec![],
        forgets: vec![],
        dynamic_types: Default::default(),
        costs: Default::default(),
    }
}

fn with(base: Value, key: &str, val: Value) -> Value {
    let mut m = base.as_map().cloned().unwrap_or_default();
    m.insert(key.into(), val);
    Value::map(m)
}

fn render(p: &Plan) -> String {
    render_plan(p, Style { color: false })
}

fn instance() -> Value {
    v(json!({
        "ami": "ami-0abc",
        "instance_type": "p4d.24xlarge",
        "id": "i-0123",
        "tags": {"team": "ml", "model": "llama"},
        "root_block_device": [{"volume_size": 500, "volume_type": "gp3"}],
        "vpc_security_group_ids": ["sg-1", "sg-2"],
        "user_data": "#!/bin/bash\necho start\nnvidia-smi\n"
    }))
}

#[test]
fn create_with_nested_block_unknowns_and_sensitive() {
    let after = with(
        with(instance(), "id", Value::Unknown),
        "api_key",
        Value::string("k").mark_if(true),
    );
    let mut c = change(
        addr("aws_instance", "gpu", InstanceKey::Int(0)),
        Action::Create,
        None,
        Some(after),
    );
    c.notes.push("8 × NVIDIA A100 40 GB".into());
    let mut p = plan(vec![c]);
    p.outputs.push(OutputChange {
        name: "ip".into(),
        action: Action::Create,
        before: None,
        after: Some(Value::Unknown),
        sensitive: false,
    });
    insta::assert_snapshot!(render(&p));
}

#[test]
fn update_in_place_with_nested_map_list_and_multiline_changes() {
    let before = instance();
    let mut after = with(
        before.clone(),
        "instance_type",
        Value::string("p5.48xlarge"),
    );
    after = with(
        after,
        "tags",
        v(json!({"team": "ml", "model": "llama-3", "cost-center": "42"})),
    );
    after = with(
        after,
        "root_block_device",
        v(json!([{"volume_size": 1000, "volume_type": "gp3"}])),
    );
    after = with(after, "vpc_security_group_ids", v(json!(["sg-1", "sg-3"])));
    after = with(
        after,
        "user_data",
        Value::string("#!/bin/bash\necho start\nnvidia-smi -L\n"),
    );
    let p = plan(vec![change(
        addr("aws_instance", "gpu", InstanceKey::None),
        Action::Update,
        Some(before),
        Some(after),
    )]);
    insta::assert_snapshot!(render(&p));
}

#[test]
fn replacement_names_the_forcing_attribute() {
    let before = instance();
    let after = with(
        with(before.clone(), "ami", Value::string("ami-0def")),
        "id",
        Value::Unknown,
    );
    let mut c = change(
        addr("aws_instance", "gpu", InstanceKey::Str("eu".into())),
        Action::DeleteThenCreate,
        Some(before),
        Some(after),
    );
    c.replace_paths = vec![vec![PathStep::Key("ami".into())]];
    c.reason = Some(Reason::ReplaceBecauseCannotUpdate);
    let mut cbd = change(
        addr(
            "aws_sagemaker_endpoint_configuration",
            "serving",
            InstanceKey::None,
        ),
        Action::CreateThenDelete,
        Some(v(json!({"name": "cfg-1", "instance_count": 1}))),
        Some(v(json!({"name": "cfg-1", "instance_count": 2}))),
    );
    cbd.replace_paths = vec![vec![PathStep::Key("instance_count".into())]];
    insta::assert_snapshot!(render(&plan(vec![c, cbd])));
}

#[test]
fn delete_and_read_and_sensitive_update() {
    let gone = change(
        addr("aws_s3_bucket", "old", InstanceKey::None),
        Action::Delete,
        Some(v(json!({"bucket": "old-artifacts", "id": "old-artifacts"}))),
        None,
    );
    let mut gone = gone;
    gone.reason = Some(Reason::DeleteBecauseNoResourceConfig);
    let mut read = change(
        InstanceAddr {
            resource: ResourceAddr::data("aws_ami", "base"),
            key: InstanceKey::None,
        },
        Action::Read,
        None,
        Some(v(json!({"owners": ["amazon"]}))),
    );
    read.reason = Some(Reason::ReadBecauseConfigUnknown);
    let secret = change(
        addr("aws_sagemaker_model", "m", InstanceKey::None),
        Action::Update,
        Some(v(json!({"name": "m", "env": "x"})).mark_path(&[PathStep::Key("env".into())])),
        Some(v(json!({"name": "m", "env": "y"})).mark_path(&[PathStep::Key("env".into())])),
    );
    let text = render(&plan(vec![gone, read, secret]));
    assert!(
        !text.contains("\"x\"") && !text.contains("\"y\""),
        "sensitive values leaked:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn drift_lists_only_drifted_attributes() {
    let before = instance();
    let after = with(
        before.clone(),
        "tags",
        v(json!({"team": "ml", "model": "llama", "owner": "someone-else"})),
    );
    let mut p = plan(vec![change(
        addr("aws_instance", "gpu", InstanceKey::None),
        Action::Update,
        Some(after.clone()),
        Some(before.clone()),
    )]);
    p.drift = vec![change(
        addr("aws_instance", "gpu", InstanceKey::None),
        Action::Update,
        Some(before),
        Some(after),
    )];
    p.drift.push(change(
        addr("aws_s3_bucket", "data", InstanceKey::None),
        Action::Delete,
        Some(v(json!({"bucket": "data"}))),
        None,
    ));
    p.changes.push(change(
        addr("aws_s3_bucket", "data", InstanceKey::None),
        Action::Create,
        None,
        Some(v(json!({"bucket": "data", "arn": null}))),
    ));
    insta::assert_snapshot!(render(&p));
}

#[test]
fn a_json_policy_key_reorder_is_not_shown_as_a_change() {
    let before = v(
        json!({"name": "sagemaker-exec", "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sagemaker.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}", "max_session_duration": 3600}),
    );
    let reordered = with(
        before.clone(),
        "assume_role_policy",
        Value::string("{\n  \"Statement\": [{\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Service\": \"sagemaker.amazonaws.com\"}, \"Effect\": \"Allow\"}],\n  \"Version\": \"2012-10-17\"\n}"),
    );
    let after = with(reordered, "max_session_duration", Value::Number(7200.0));
    let text = render(&plan(vec![change(
        addr("aws_iam_role", "exec", InstanceKey::None),
        Action::Update,
        Some(before.clone()),
        Some(after),
    )]));
    assert!(!text.contains("assume_role_policy"), "{text}");
    // A real policy change is shown structurally.
    let changed = with(before.clone(), "assume_role_policy", Value::string("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":{\"Service\":\"sagemaker.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"));
    let text2 = render(&plan(vec![change(
        addr("aws_iam_role", "exec", InstanceKey::None),
        Action::Update,
        Some(before),
        Some(changed),
    )]));
    insta::assert_snapshot!(format!("{text}\n=== real change ===\n{text2}"));
}
