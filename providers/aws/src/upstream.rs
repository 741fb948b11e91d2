//! hashicorp/aws 5.100.0's own schemas, trimmed to the types gantry implements natively
//! (`schema/hashicorp-aws-5.100.0.json`, written by `scripts/aws-schema` from the real plugin).
//!
//! Every native resource and data source starts from upstream's schema, so names, types,
//! optional/computed and nesting match by construction and state moves both ways. Each type
//! then adds what the JSON does not carry (ForceNew, defaults) and names the arguments it
//! implements: setting any other one is refused at plan (see [`unimplemented`]) rather than
//! silently ignored.

use gantry_core::provider::{
    BlockSchema, ErrorKind, ProviderError, ProviderResult, ResourceSchema,
};
use gantry_core::schema_json::{read_provider, SchemaDump};
use gantry_core::types::Type;
use gantry_core::value::Value;
use std::sync::OnceLock;

const DUMP: &str = include_str!("../schema/hashicorp-aws-5.100.0.json");

fn dump() -> &'static SchemaDump {
    static D: OnceLock<SchemaDump> = OnceLock::new();
    D.get_or_init(|| {
        let j: serde_json::Value = serde_json::from_str(DUMP).expect("shipped schema is JSON");
        read_provider(&j, true).expect("shipped schema reads")
    })
}

/// Upstream's schema of a resource type. Panics when the type is not in the shipped file
/// (add it with `scripts/aws-schema TYPE`): a build-time fact, caught by every test.
pub fn resource(type_name: &str) -> ResourceSchema {
    dump()
        .resources
        .get(type_name)
        .unwrap_or_else(|| panic!("{type_name} is not in schema/hashicorp-aws-5.100.0.json"))
        .clone()
}

pub fn data_source(type_name: &str) -> ResourceSchema {
    dump()
        .data_sources
        .get(type_name)
        .unwrap_or_else(|| panic!("data {type_name} is not in schema/hashicorp-aws-5.100.0.json"))
        .clone()
}

pub fn provider() -> BlockSchema {
    dump().provider.clone()
}

/// The arguments set in `config` that the type does not implement. `implemented` names
/// top-level attributes and blocks; `block.attr` entries narrow a block to those attributes
/// (a block named alone is implemented whole).
pub fn unimplemented(block: &BlockSchema, config: &Value, implemented: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    walk(block, config, implemented, "", &mut out);
    out
}

fn is_set(v: &Value) -> bool {
    match v.unmark().0 {
        Value::Null => false,
        Value::List(l) | Value::Set(l) => !l.is_empty(),
        _ => true,
    }
}

fn walk(
    block: &BlockSchema,
    config: &Value,
    implemented: &[&str],
    prefix: &str,
    out: &mut Vec<String>,
) {
    let narrowed = |name: &str| -> Vec<&str> {
        let head = format!("{name}.");
        implemented
            .iter()
            .filter_map(|i| i.strip_prefix(head.as_str()))
            .collect()
    };
    for (name, a) in &block.attributes {
        // `id` and `tags_all` are upstream's optional+computed outputs: a value written there
        // (as generated configuration does) asks for nothing.
        if (a.computed && !a.optional && !a.required) || name == "id" || name == "tags_all" {
            continue;
        }
        // An argument written as its default asks for nothing gantry does not do.
        let set = config
            .get_attr(name)
            .is_some_and(|v| is_set(v) && a.default.as_ref() != Some(v.unmark().0));
        if set && !implemented.contains(&name.as_str()) && narrowed(name).is_empty() {
            out.push(format!("{prefix}{name}"));
        }
    }
    for (name, nb) in &block.blocks {
        let Some(v) = config.get_attr(name).filter(|v| is_set(v)) else {
            continue;
        };
        if implemented.contains(&name.as_str()) {
            continue;
        }
        let inner = narrowed(name);
        if inner.is_empty() {
            out.push(format!("{prefix}{name}"));
            continue;
        }
        let items: Vec<&Value> = match v.unmark().0 {
            Value::List(l) | Value::Set(l) => l.iter().collect(),
            other => vec![other],
        };
        for item in items {
            walk(&nb.block, item, &inner, &format!("{prefix}{name}."), out);
        }
    }
}

/// The plan-time refusal of unimplemented arguments.
pub fn refuse_unimplemented(
    type_name: &str,
    schema: &ResourceSchema,
    config: &Value,
    implemented: &[&str],
) -> ProviderResult<()> {
    let missing = unimplemented(&schema.block, config, implemented);
    if missing.is_empty() {
        return Ok(());
    }
    let mut missing = missing;
    missing.dedup();
    Err(ProviderError::new(
        ErrorKind::Validation,
        format!(
            "gantry's native {type_name} does not implement {} yet; remove {} or run hashicorp/aws through the plugin host (README: \"Terraform provider plugins\")",
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" },
        ),
    ))
}

/// Unknown values left in a created or updated object become null, as upstream's SDK leaves
/// computed attributes it does not set: gantry's reads fill what each type implements.
pub fn unknowns_to_null(v: Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(l) => Value::list(l.iter().cloned().map(unknowns_to_null).collect()),
        Value::Set(l) => Value::set(l.iter().cloned().map(unknowns_to_null).collect()),
        Value::Map(m) => Value::map(
            m.iter()
                .map(|(k, v)| (k.clone(), unknowns_to_null(v.clone())))
                .collect(),
        ),
        Value::Sensitive(inner) => {
            Value::Sensitive(std::sync::Arc::new(unknowns_to_null((*inner).clone())))
        }
        other => other,
    }
}

/// SDKv2 cannot hold a set with an unknown element (its flatmap keys set elements by hash):
/// such a set is planned wholly unknown, as hashicorp/aws plans it — e.g. subnet ids
/// of subnets not made yet. Applied at every level of nested blocks.
pub fn unknown_sets(block: &BlockSchema, planned: Value) -> Value {
    let Some(m) = planned.as_map() else {
        return planned;
    };
    let mut out = m.clone();
    for (name, attr) in &block.attributes {
        if let (Type::Set(_), Some(v)) = (&attr.ty, m.get(name)) {
            // An unknown element cannot be hashed; an object element with unknown fields can.
            if let Value::Set(items) = v.unmark().0 {
                if items.iter().any(Value::is_unknown) {
                    out.insert(name.clone(), Value::Unknown);
                }
            }
        }
    }
    for (name, nb) in &block.blocks {
        let Some(v) = m.get(name) else { continue };
        let nested = match v {
            Value::Map(_) => unknown_sets(&nb.block, v.clone()),
            Value::List(l) => Value::list(
                l.iter()
                    .map(|e| unknown_sets(&nb.block, e.clone()))
                    .collect(),
            ),
            Value::Set(l) => Value::set(
                l.iter()
                    .map(|e| unknown_sets(&nb.block, e.clone()))
                    .collect(),
            ),
            other => other.clone(),
        };
        out.insert(name.clone(), nested);
    }
    Value::map(out)
}

/// What gantry does not implement, it does not change: in an update's plan, arguments and
/// blocks outside `implemented` (which configuration cannot set — see [`unimplemented`]) keep
/// their prior values, down into narrowed blocks. An object Terraform wrote (every upstream
/// attribute filled, computed blocks such as a bucket's `grant` present) then plans no change.
pub fn keep_unimplemented(
    block: &BlockSchema,
    prior: &Value,
    planned: Value,
    implemented: &[&str],
) -> Value {
    let (Some(pm), Some(nm)) = (prior.unmark().0.as_map(), planned.as_map()) else {
        return planned;
    };
    let mut out = nm.clone();
    let narrowed = |name: &str| -> Vec<&str> {
        let head = format!("{name}.");
        implemented
            .iter()
            .filter_map(|i| i.strip_prefix(head.as_str()))
            .collect()
    };
    for (name, a) in &block.attributes {
        // Computed-only attributes are not arguments: the provider plans them.
        let computed_only = a.computed && !a.optional && !a.required;
        if implemented.contains(&name.as_str())
            || name == "id"
            || name == "tags_all"
            || computed_only
        {
            continue;
        }
        let unset = nm.get(name).is_none_or(|v| v.is_null() || v.is_unknown());
        if let (true, Some(p)) = (unset, pm.get(name)) {
            out.insert(name.clone(), p.clone());
        }
    }
    for (name, nb) in &block.blocks {
        if implemented.contains(&name.as_str()) || name == "timeouts" {
            continue;
        }
        let Some(p) = pm.get(name) else { continue };
        let inner = narrowed(name);
        if inner.is_empty() {
            out.insert(name.clone(), p.clone());
            continue;
        }
        // A narrowed list block: item by item.
        if let (Some(ps), Some(Value::List(ns))) = (p.as_seq(), nm.get(name)) {
            let items = ns
                .iter()
                .enumerate()
                .map(|(i, n)| match ps.get(i) {
                    Some(pi) => keep_unimplemented(&nb.block, pi, n.clone(), &inner),
                    None => n.clone(),
                })
                .collect();
            out.insert(name.clone(), Value::list(items));
        }
    }
    Value::map(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::provider_kit::obj;

    #[test]
    fn every_shipped_type_reads() {
        assert!(dump().resources.len() >= 10);
        assert!(resource("aws_instance")
            .block
            .blocks
            .contains_key("root_block_device"));
    }

    #[test]
    fn unimplemented_arguments_are_named_down_to_nested_blocks() {
        let s = resource("aws_instance");
        let root = obj(vec![
            ("volume_size", Value::Number(100.0)),
            ("encrypted", Value::Bool(true)),
        ]);
        let config = obj(vec![
            ("ami", Value::string("ami-1")),
            ("hibernation", Value::Bool(true)),
            ("root_block_device", Value::list(vec![root])),
            ("ebs_block_device", Value::set(vec![])),
        ]);
        let got = unimplemented(&s.block, &config, &["ami", "root_block_device.volume_size"]);
        assert_eq!(got, vec!["hibernation", "root_block_device.encrypted"]);
        assert!(unimplemented(
            &s.block,
            &config,
            &["ami", "hibernation", "root_block_device"]
        )
        .is_empty());
    }
}
