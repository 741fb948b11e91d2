//! Terraform's machine-readable JSON formats (`show -json`): the state "values" format and
//! the plan format (format_version 1.2), so policy tools built for Terraform read gantry's.
//!
//! Unlike Terraform, sensitive values are never written: they appear as `null` in values and
//! as `true` in the matching `*_sensitive` shape.

use crate::plan::{Action, Plan, ResourceChange};
use crate::VERSION;
use gantry_core::addr::{InstanceKey, Mode, ModuleInstance};
use gantry_core::config::{Config, Expr};
use gantry_core::eval::refs::references;
use gantry_core::eval::{Evaluator, NoReferences, Reference};
use gantry_core::state::{type_json, State};
use gantry_core::value::Value;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

fn index_json(k: &InstanceKey) -> Option<Json> {
    k.to_json()
}

fn provider_name(provider_addr: &str) -> String {
    provider_addr
        .trim_start_matches("provider[\"")
        .split("\"]")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A value for JSON output: sensitive parts nulled, unknown parts null.
fn redacted(v: &Value) -> Json {
    v.to_json_redacted()
}

fn resource_json(
    addr: &gantry_core::addr::InstanceAddr,
    provider: &str,
    schema_version: u64,
    v: &Value,
) -> Json {
    let mut o = Map::new();
    o.insert("address".into(), json!(addr.to_string()));
    o.insert("mode".into(), json!(addr.resource.mode.as_str()));
    o.insert("type".into(), json!(addr.resource.rtype));
    o.insert("name".into(), json!(addr.resource.name));
    if let Some(i) = index_json(&addr.key) {
        o.insert("index".into(), i);
    }
    o.insert("provider_name".into(), json!(provider_name(provider)));
    o.insert("schema_version".into(), json!(schema_version));
    // Terraform's `values` is omitempty: a resource whose every attribute is unknown (or
    // null) has none.
    let values = redacted(v);
    if values.as_object().is_none_or(|m| !m.is_empty()) {
        o.insert("values".into(), values);
    }
    o.insert("sensitive_values".into(), sensitive_shape(v));
    Json::Object(o)
}

/// `*_sensitive` shapes are objects/arrays mirroring the value, `true` where sensitive.
fn sensitive_shape(v: &Value) -> Json {
    match v.sensitive_shape() {
        Json::Bool(false) => match v.unmark().0 {
            Value::List(_) | Value::Set(_) => json!([]),
            Value::Map(_) => json!({}),
            _ => Json::Bool(false),
        },
        s => s,
    }
}

fn outputs_json(state: &State) -> Json {
    Json::Object(
        state
            .outputs
            .iter()
            .map(|(k, o)| {
                let sensitive = o.sensitive || o.value.contains_sensitive();
                let value = if sensitive {
                    Json::Null
                } else {
                    o.value.to_json()
                };
                (
                    k.clone(),
                    json!({"sensitive": sensitive, "value": value, "type": type_json(&o.value)}),
                )
            })
            .collect(),
    )
}

/// Terraform's module layout for values: the root module's resources, then
/// `child_modules` (each with `resources`, `address`, its own `child_modules`), nested by
/// module instance and sorted by address.
fn module_json(resources: Vec<(ModuleInstance, Json)>) -> Json {
    let mut by: BTreeMap<ModuleInstance, Vec<Json>> = BTreeMap::new();
    for (m, r) in resources {
        let mut cur = Some(m.clone());
        while let Some(c) = cur {
            cur = c.parent();
            by.entry(c).or_default();
        }
        by.entry(m).or_default().push(r);
    }
    fn build(m: &ModuleInstance, by: &BTreeMap<ModuleInstance, Vec<Json>>) -> Json {
        let mut o = Map::new();
        let rs = by.get(m).cloned().unwrap_or_default();
        if m.is_root() || !rs.is_empty() {
            o.insert("resources".into(), Json::Array(rs));
        }
        if !m.is_root() {
            o.insert("address".into(), json!(m.to_string()));
        }
        let mut children: Vec<&ModuleInstance> = by
            .keys()
            .filter(|c| c.parent().as_ref() == Some(m))
            .collect();
        children.sort_by_key(|c| c.to_string());
        if !children.is_empty() {
            let built: Vec<Json> = children.into_iter().map(|c| build(c, by)).collect();
            o.insert("child_modules".into(), Json::Array(built));
        }
        Json::Object(o)
    }
    build(&ModuleInstance::root(), &by)
}

fn values_json(state: &State) -> Json {
    let resources: Vec<(ModuleInstance, Json)> = state
        .resources
        .iter()
        .map(|(a, i)| {
            let mut r = resource_json(a, &i.provider, i.schema_version, &i.value);
            if !i.dependencies.is_empty() {
                r["depends_on"] = json!(i.dependencies);
            }
            (a.resource.module.clone(), r)
        })
        .collect();
    json!({"outputs": outputs_json(state), "root_module": module_json(resources)})
}

/// `gantry show -json` with no plan file.
pub fn state_json(state: &State) -> Json {
    if state.resources.is_empty() && state.outputs.is_empty() {
        return json!({"format_version": "1.0"});
    }
    json!({"format_version": "1.0", "terraform_version": VERSION.trim_start_matches("gantry "), "values": values_json(state)})
}

fn change_json(c: &ResourceChange) -> Json {
    let before = c.before.as_ref();
    let after = c.after.as_ref();
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.json_actions()));
    change.insert("before".into(), before.map(redacted).unwrap_or(Json::Null));
    change.insert("after".into(), after.map(redacted).unwrap_or(Json::Null));
    change.insert(
        "after_unknown".into(),
        after
            .map(|v| match v.unknown_shape() {
                Json::Bool(false) => json!({}),
                s => s,
            })
            .unwrap_or(json!({})),
    );
    change.insert(
        "before_sensitive".into(),
        before.map(sensitive_shape).unwrap_or(Json::Bool(false)),
    );
    change.insert(
        "after_sensitive".into(),
        after.map(sensitive_shape).unwrap_or(Json::Bool(false)),
    );
    if !c.replace_paths.is_empty() {
        change.insert(
            "replace_paths".into(),
            Json::Array(
                c.replace_paths
                    .iter()
                    .map(|p| {
                        Json::Array(
                            p.iter()
                                .map(|s| match s {
                                    gantry_core::value::PathStep::Key(k) => json!(k),
                                    gantry_core::value::PathStep::Index(i) => json!(i),
                                })
                                .collect(),
                        )
                    })
                    .collect(),
            ),
        );
    }
    let mut o = Map::new();
    o.insert("address".into(), json!(c.addr.to_string()));
    if !c.addr.resource.module.is_root() {
        o.insert(
            "module_address".into(),
            json!(c.addr.resource.module.to_string()),
        );
    }
    o.insert("mode".into(), json!(c.addr.resource.mode.as_str()));
    o.insert("type".into(), json!(c.addr.resource.rtype));
    o.insert("name".into(), json!(c.addr.resource.name));
    if let Some(i) = index_json(&c.addr.key) {
        o.insert("index".into(), i);
    }
    o.insert("provider_name".into(), json!(provider_name(&c.provider)));
    o.insert("change".into(), Json::Object(change));
    if let Some(r) = &c.reason {
        o.insert("action_reason".into(), json!(r.json()));
    }
    Json::Object(o)
}

/// References of an expression in Terraform's form: each reference with its traversal
/// prefixes, longest first (`terraform_data.a[0].output`, `terraform_data.a[0]`,
/// `terraform_data.a`).
fn expression_json(cfg: &Config, e: &Expr) -> Json {
    let text = cfg.sources.files.get(e.file).map(|f| f.text.clone());
    let mut refs: Vec<String> = Vec::new();
    for f in references(&e.expr) {
        let Ok(r) = f.reference else { continue };
        let base = r.to_string();
        let full = text
            .as_ref()
            .and_then(|t| t.get(f.bytes.clone()))
            .map(|s| s.split_whitespace().collect::<String>())
            .unwrap_or_else(|| base.clone());
        let mut chain = vec![];
        let mut cur = full.as_str();
        while cur.len() > base.len() && cur.starts_with(&base) {
            chain.push(cur.to_string());
            let cut = cur.rfind(['.', '[']).unwrap_or(0);
            if cut < base.len() {
                break;
            }
            cur = &cur[..cut];
        }
        chain.push(base);
        for c in chain {
            if !refs.contains(&c) {
                refs.push(c);
            }
        }
    }
    if refs.is_empty() {
        let v = Evaluator::new(&NoReferences, std::path::Path::new("."), e.file).eval(&e.expr);
        match v {
            Ok(v) if !v.contains_sensitive() => json!({"constant_value": v.to_json()}),
            _ => json!({}),
        }
    } else {
        json!({"references": refs})
    }
}

fn body_expressions(cfg: &Config, file: usize, body: &hcl_edit::structure::Body) -> Json {
    let mut out = Map::new();
    for s in body.iter() {
        match s {
            hcl_edit::structure::Structure::Attribute(a) => {
                out.insert(
                    a.key.as_str().to_string(),
                    expression_json(
                        cfg,
                        &Expr {
                            file,
                            expr: a.value.clone(),
                        },
                    ),
                );
            }
            hcl_edit::structure::Structure::Block(b) => {
                let entry = out
                    .entry(b.ident.as_str().to_string())
                    .or_insert_with(|| json!([]));
                if let Some(a) = entry.as_array_mut() {
                    a.push(body_expressions(cfg, file, &b.body));
                }
            }
        }
    }
    Json::Object(out)
}

/// Terraform's configuration representation: providers, resources with their expressions,
/// outputs and variables. Sensitive defaults are left out.
pub fn configuration_json(cfg: &Config) -> Json {
    let mut providers = Map::new();
    for r in cfg.resources.values() {
        let key = Config::provider_key(&r.provider.0, r.provider.1.as_deref());
        providers.entry(key).or_insert_with(|| {
            let mut p = json!({"name": r.provider.0, "full_name": cfg.provider_source(&r.provider.0).trim_start_matches("registry.terraform.io/").to_string()});
            if let Some(a) = &r.provider.1 {
                p["alias"] = json!(a);
            }
            p
        });
    }
    let resources: Vec<Json> = cfg
        .resources
        .values()
        .map(|r| {
            let mut o = json!({
                "address": r.addr.to_string(),
                "mode": r.addr.mode.as_str(),
                "type": r.addr.rtype,
                "name": r.addr.name,
                "provider_config_key": Config::provider_key(&r.provider.0, r.provider.1.as_deref()),
                "expressions": body_expressions(cfg, r.body.file, &r.body.body),
                "schema_version": 0,
            });
            if let Some(c) = &r.count {
                o["count_expression"] = expression_json(cfg, c);
            }
            if let Some(f) = &r.for_each {
                o["for_each_expression"] = expression_json(cfg, f);
            }
            if !r.depends_on.is_empty() {
                o["depends_on"] = json!(r
                    .depends_on
                    .iter()
                    .map(|(d, _)| d.to_string())
                    .collect::<Vec<_>>());
            }
            o
        })
        .collect();
    let outputs: Map<String, Json> = cfg
        .outputs
        .values()
        .map(|o| {
            let mut j = json!({"expression": expression_json(cfg, &o.value)});
            if o.sensitive {
                j["sensitive"] = json!(true);
            }
            if let Some(d) = &o.description {
                j["description"] = json!(d);
            }
            (o.name.clone(), j)
        })
        .collect();
    let variables: Map<String, Json> = cfg
        .variables
        .values()
        .map(|v| {
            let mut j = json!({});
            if let Some(d) = &v.default {
                if !v.sensitive {
                    j["default"] = d.to_json();
                }
            }
            if let Some(d) = &v.description {
                j["description"] = json!(d);
            }
            if v.sensitive {
                j["sensitive"] = json!(true);
            }
            (v.name.clone(), j)
        })
        .collect();
    json!({"provider_config": providers, "root_module": {"outputs": outputs, "resources": resources, "variables": variables}})
}

/// Resources whose drift the configuration refers to (Terraform's `relevant_attributes`).
pub fn relevant_attributes(cfg: &Config, plan: &Plan) -> Json {
    let drifted: std::collections::BTreeSet<String> = plan
        .drift
        .iter()
        .map(|d| d.addr.resource.to_string())
        .collect();
    let mut out = Vec::new();
    for r in cfg.resources.values() {
        for e in gantry_core::graph::body_exprs(&r.body.body) {
            for f in references(e) {
                if let Ok(Reference::Resource(a)) = f.reference {
                    let name = a.to_string();
                    if drifted.contains(&name)
                        && !out.iter().any(|x: &Json| x["resource"] == json!(name))
                    {
                        out.push(json!({"resource": name, "attribute": []}));
                    }
                }
            }
        }
    }
    Json::Array(out)
}

/// `gantry show -json PLANFILE`: Terraform's plan representation, format_version 1.2.
pub fn plan_json(plan: &Plan) -> Json {
    let planned: Vec<(ModuleInstance, Json)> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete && c.addr.resource.mode == Mode::Managed)
        .filter_map(|c| {
            c.after.as_ref().map(|v| {
                let r = resource_json(&c.addr, &c.provider, 0, v);
                (c.addr.resource.module.clone(), r)
            })
        })
        .collect();
    let planned_outputs: Map<String, Json> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::Delete)
        .filter_map(|o| {
            let v = o.after.as_ref()?;
            let sensitive = o.sensitive || v.contains_sensitive();
            let mut j = json!({"sensitive": sensitive});
            if !sensitive && v.is_wholly_known() {
                j["value"] = v.to_json();
                j["type"] = type_json(v);
            }
            Some((o.name.clone(), j))
        })
        .collect();
    let variables: Map<String, Json> = plan
        .variables
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!({"value": if v.contains_sensitive() { Json::Null } else { v.to_json() }}),
            )
        })
        .collect();
    let output_changes: Map<String, Json> = plan
        .outputs
        .iter()
        .map(|o| {
            let hide = |v: &Option<Value>| match v {
                Some(v) if !(o.sensitive || v.contains_sensitive()) => redacted(v),
                _ => Json::Null,
            };
            (
                o.name.clone(),
                json!({
                    "actions": o.action.json_actions(),
                    "before": hide(&o.before),
                    "after": hide(&o.after),
                    "after_unknown": o.after.as_ref().map(|v| v.unknown_shape()).unwrap_or(Json::Bool(false)),
                    "before_sensitive": o.sensitive,
                    "after_sensitive": o.sensitive,
                }),
            )
        })
        .collect();
    let mut out = json!({
        "format_version": "1.2",
        "terraform_version": VERSION.trim_start_matches("gantry "),
        "variables": variables,
        "planned_values": {"outputs": planned_outputs, "root_module": module_json(planned)},
        "resource_drift": plan.drift.iter().map(change_json).collect::<Vec<_>>(),
        "resource_changes": plan.changes.iter().map(change_json).collect::<Vec<_>>(),
        "output_changes": output_changes,
        "prior_state": state_json(&plan.prior_state),
        "configuration": plan.configuration,
        "relevant_attributes": plan.relevant_attributes,
        "timestamp": plan.timestamp,
        "applyable": plan.has_changes(),
        "complete": true,
        "errored": plan.errored,
    });
    // gantry's own figures, under a key Terraform-format readers ignore.
    if let Some(cost) = crate::cost::to_json(plan) {
        out["gantry_cost"] = cost;
    }
    out
}
