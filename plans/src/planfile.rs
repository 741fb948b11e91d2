//! Saved plan files (`plan -out=FILE`): everything apply needs, as versioned JSON.
//!
//! Values keep their unknown and sensitive marks (as path lists beside the plain JSON), so
//! applying a saved plan behaves exactly like applying it right after planning. The file may
//! hold sensitive values, so it is written with mode 0600.

use crate::plan::{Action, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use gantry_core::addr::InstanceAddr;
use gantry_core::config::Config;
use gantry_core::state::{path_to_json, State};
use gantry_core::value::{Path, PathStep, Value};
use serde_json::{json, Value as Json};
use sha2::Digest;
use std::collections::BTreeMap;

pub const FORMAT: &str = "gantry-plan";
pub const VERSION: u64 = 1;

/// sha256 over the configuration's `.tf` files (names and contents, in load order).
pub fn config_digest(cfg: &Config) -> String {
    let mut h = sha2::Sha256::new();
    for f in cfg.sources.files.iter().filter(|f| f.name.ends_with(".tf")) {
        let name = std::path::Path::new(&f.name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        h.update(name.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A value with its marks: plain JSON plus the paths that are unknown, sensitive, or sets.
pub fn encode_value(v: &Value) -> Json {
    let mut unknown = Vec::new();
    let mut sets = Vec::new();
    walk(v, &mut Vec::new(), &mut unknown, &mut sets);
    json!({
        "value": v.to_json(),
        "unknown": unknown.iter().map(|p| path_to_json(p)).collect::<Vec<_>>(),
        "sensitive": v.sensitive_paths().iter().map(|p| path_to_json(p)).collect::<Vec<_>>(),
        "sets": sets.iter().map(|p| path_to_json(p)).collect::<Vec<_>>(),
    })
}

fn walk(v: &Value, here: &mut Path, unknown: &mut Vec<Path>, sets: &mut Vec<Path>) {
    match v {
        Value::Unknown => unknown.push(here.clone()),
        Value::Sensitive(x) => walk(x, here, unknown, sets),
        Value::List(l) | Value::Set(l) => {
            if matches!(v, Value::Set(_)) {
                sets.push(here.clone());
            }
            for (i, x) in l.iter().enumerate() {
                here.push(PathStep::Index(i as i64));
                walk(x, here, unknown, sets);
                here.pop();
            }
        }
        Value::Map(m) => {
            for (k, x) in m.iter() {
                here.push(PathStep::Key(k.clone()));
                walk(x, here, unknown, sets);
                here.pop();
            }
        }
        _ => {}
    }
}

fn paths(j: &Json, key: &str) -> Result<Vec<Path>, String> {
    let Some(arr) = j.get(key).and_then(Json::as_array) else {
        return Ok(vec![]);
    };
    arr.iter()
        .map(|p| {
            p.as_array()
                .ok_or("path must be an array")?
                .iter()
                .map(|s| match s.get("type").and_then(Json::as_str) {
                    Some("get_attr") => Ok(PathStep::Key(
                        s["value"].as_str().unwrap_or_default().to_string(),
                    )),
                    Some("index") => Ok(PathStep::Index(s["value"]["value"].as_i64().unwrap_or(0))),
                    _ => Err("bad path step".to_string()),
                })
                .collect()
        })
        .collect()
}

fn replace_at(v: &Value, path: &[PathStep], f: &dyn Fn(&Value) -> Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return f(v);
    };
    match (v, first) {
        (Value::Map(m), PathStep::Key(k)) if m.contains_key(k) => {
            let mut m2 = (**m).clone();
            let inner = replace_at(&m2[k], rest, f);
            m2.insert(k.clone(), inner);
            Value::map(m2)
        }
        (Value::List(l), PathStep::Index(i)) if (*i as usize) < l.len() => {
            let mut l2 = (**l).clone();
            l2[*i as usize] = replace_at(&l2[*i as usize], rest, f);
            Value::list(l2)
        }
        (Value::Set(l), PathStep::Index(i)) if (*i as usize) < l.len() => {
            let mut l2 = (**l).clone();
            l2[*i as usize] = replace_at(&l2[*i as usize], rest, f);
            Value::Set(std::sync::Arc::new(l2))
        }
        _ => v.clone(),
    }
}

pub fn decode_value(j: &Json) -> Result<Value, String> {
    let mut v = Value::from_json(j.get("value").ok_or("value missing")?);
    // Deepest first, so outer replacements see converted children.
    let mut sets = paths(j, "sets")?;
    sets.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in sets {
        v = replace_at(&v, &p, &|x| match x {
            Value::List(l) => Value::Set(l.clone()),
            other => other.clone(),
        });
    }
    for p in paths(j, "unknown")? {
        v = replace_at(&v, &p, &|_| Value::Unknown);
    }
    for p in paths(j, "sensitive")? {
        v = v.mark_path(&p);
    }
    Ok(v)
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate => "delete-create",
        Action::CreateThenDelete => "create-delete",
        Action::Delete => "delete",
    }
}

fn action_from(s: &str) -> Result<Action, String> {
    Ok(match s {
        "no-op" => Action::NoOp,
        "create" => Action::Create,
        "read" => Action::Read,
        "update" => Action::Update,
        "delete-create" => Action::DeleteThenCreate,
        "create-delete" => Action::CreateThenDelete,
        "delete" => Action::Delete,
        other => return Err(format!("unknown action {other:?}")),
    })
}

const REASONS: &[Reason] = &[
    Reason::ReplaceBecauseCannotUpdate,
    Reason::ReplaceByRequest,
    Reason::ReplaceByTriggers,
    Reason::DeleteBecauseNoResourceConfig,
    Reason::DeleteBecauseNoInstance,
    Reason::DeleteBecauseCountIndex,
    Reason::DeleteBecauseEachKey,
    Reason::ReadBecauseConfigUnknown,
    Reason::ReadBecauseDependencyPending,
    Reason::ReplaceBecauseTainted,
];

fn opt_value(v: &Option<Value>) -> Json {
    v.as_ref().map(encode_value).unwrap_or(Json::Null)
}

fn change_to_json(c: &ResourceChange) -> Json {
    json!({
        "address": c.addr.to_string(),
        "provider": c.provider,
        "action": action_name(c.action),
        "before": opt_value(&c.before),
        "after": opt_value(&c.after),
        "replace_paths": c.replace_paths.iter().map(|p| path_to_json(p)).collect::<Vec<_>>(),
        "reason": c.reason.as_ref().map(Reason::json),
        "dependencies": c.dependencies,
        "create_before_destroy": c.create_before_destroy,
        "notes": c.notes,
    })
}

fn change_from_json(j: &Json) -> Result<ResourceChange, String> {
    let s = |k: &str| {
        j.get(k)
            .and_then(Json::as_str)
            .ok_or_else(|| format!("change without {k}"))
    };
    let val = |k: &str| -> Result<Option<Value>, String> {
        match j.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(x) => decode_value(x).map(Some),
        }
    };
    let addr: InstanceAddr = s("address")?.parse().map_err(|e| format!("{e}"))?;
    let reason = match j.get("reason").and_then(Json::as_str) {
        Some(r) => Some(
            REASONS
                .iter()
                .find(|x| x.json() == r)
                .cloned()
                .ok_or_else(|| format!("unknown reason {r}"))?,
        ),
        None => None,
    };
    Ok(ResourceChange {
        addr,
        provider: s("provider")?.to_string(),
        action: action_from(s("action")?)?,
        before: val("before")?,
        after: val("after")?,
        replace_paths: paths(j, "replace_paths")?,
        reason,
        dependencies: j
            .get("dependencies")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        create_before_destroy: j
            .get("create_before_destroy")
            .and_then(Json::as_bool)
            .unwrap_or(false),
        notes: j
            .get("notes")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

pub fn to_json(plan: &Plan) -> Json {
    json!({
        "format": FORMAT,
        "format_version": VERSION,
        "mode": match plan.mode { PlanMode::Normal => "normal", PlanMode::Destroy => "destroy", PlanMode::RefreshOnly => "refresh-only" },
        "timestamp": plan.timestamp,
        "config_digest": plan.config_digest,
        "state_lineage": plan.prior_state.lineage,
        "state_serial": plan.state_serial,
        "targets": plan.targets,
        "variables": plan.variables.iter().map(|(k, v)| (k.clone(), encode_value(v))).collect::<serde_json::Map<_, _>>(),
        "changes": plan.changes.iter().map(change_to_json).collect::<Vec<_>>(),
        "drift": plan.drift.iter().map(change_to_json).collect::<Vec<_>>(),
        "outputs": plan.outputs.iter().map(|o| json!({
            "name": o.name, "action": action_name(o.action), "sensitive": o.sensitive,
            "before": opt_value(&o.before), "after": opt_value(&o.after),
        })).collect::<Vec<_>>(),
        "prior_state": plan.prior_state.to_json("gantry"),
        "configuration": plan.configuration,
        "relevant_attributes": plan.relevant_attributes,
        "imports": plan.imports.iter().map(|(a, id)| json!({"to": a.to_string(), "id": id})).collect::<Vec<_>>(),
        "moves": plan.moves.iter().map(|(f, t)| json!({"from": f.to_string(), "to": t.to_string()})).collect::<Vec<_>>(),
        "forgets": plan.forgets.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "costs": plan.costs.iter().map(|(a, c)| (a.to_string(), serde_json::to_value(c).unwrap_or(Json::Null))).collect::<serde_json::Map<String, Json>>(),
        "dynamic_types": plan.dynamic_types.iter().map(|(a, ts)| (a.to_string(), ts.iter().map(|(k, t)| (k.clone(), t.to_cty_json())).collect::<serde_json::Map<_, _>>().into())).collect::<serde_json::Map<String, Json>>(),
    })
}

pub fn from_json(j: &Json) -> Result<Plan, String> {
    if j.get("format").and_then(Json::as_str) != Some(FORMAT) {
        return Err("not a gantry plan file".into());
    }
    if j.get("format_version").and_then(Json::as_u64) != Some(VERSION) {
        return Err("plan file format version is not supported by this gantry".into());
    }
    let mode = match j.get("mode").and_then(Json::as_str) {
        Some("normal") => PlanMode::Normal,
        Some("destroy") => PlanMode::Destroy,
        Some("refresh-only") => PlanMode::RefreshOnly,
        other => return Err(format!("unknown plan mode {other:?}")),
    };
    let list = |k: &str| {
        j.get(k)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut variables = BTreeMap::new();
    if let Some(o) = j.get("variables").and_then(Json::as_object) {
        for (k, v) in o {
            variables.insert(k.clone(), decode_value(v)?);
        }
    }
    let outputs = list("outputs")
        .iter()
        .map(|o| {
            let v = |k: &str| match o.get(k) {
                None | Some(Json::Null) => Ok(None),
                Some(x) => decode_value(x).map(Some),
            };
            Ok(OutputChange {
                name: o
                    .get("name")
                    .and_then(Json::as_str)
                    .ok_or("output without name")?
                    .to_string(),
                action: action_from(o.get("action").and_then(Json::as_str).unwrap_or(""))?,
                before: v("before")?,
                after: v("after")?,
                sensitive: o.get("sensitive").and_then(Json::as_bool).unwrap_or(false),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let imports = list("imports")
        .iter()
        .map(|i| {
            let to: InstanceAddr = i
                .get("to")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .parse()
                .map_err(|e| format!("{e}"))?;
            Ok((
                to,
                i.get("id")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let addr = |v: Option<&Json>| -> Result<InstanceAddr, String> {
        v.and_then(Json::as_str)
            .unwrap_or_default()
            .parse()
            .map_err(|e| format!("{e}"))
    };
    let moves = list("moves")
        .iter()
        .map(|m| Ok((addr(m.get("from"))?, addr(m.get("to"))?)))
        .collect::<Result<Vec<_>, String>>()?;
    let forgets = list("forgets")
        .iter()
        .map(|a| addr(Some(a)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut dynamic_types = BTreeMap::new();
    if let Some(o) = j.get("dynamic_types").and_then(Json::as_object) {
        for (a, ts) in o {
            let mut m = BTreeMap::new();
            for (k, t) in ts.as_object().into_iter().flatten() {
                m.insert(k.clone(), gantry_core::types::Type::from_cty_json(t)?);
            }
            dynamic_types.insert(addr(Some(&Json::String(a.clone())))?, m);
        }
    }
    let mut costs = BTreeMap::new();
    if let Some(o) = j.get("costs").and_then(Json::as_object) {
        for (a, c) in o {
            let cost = serde_json::from_value(c.clone()).map_err(|e| format!("costs: {e}"))?;
            costs.insert(addr(Some(&Json::String(a.clone())))?, cost);
        }
    }
    Ok(Plan {
        mode,
        dynamic_types,
        costs,
        imports,
        moves,
        forgets,
        changes: list("changes")
            .iter()
            .map(change_from_json)
            .collect::<Result<_, _>>()?,
        drift: list("drift")
            .iter()
            .map(change_from_json)
            .collect::<Result<_, _>>()?,
        outputs,
        variables,
        prior_state: State::from_json(j.get("prior_state").ok_or("prior_state missing")?)?,
        state_serial: j
            .get("state_serial")
            .and_then(Json::as_u64)
            .ok_or("state_serial missing")?,
        config_digest: j
            .get("config_digest")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        timestamp: j
            .get("timestamp")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        errored: false,
        configuration: j.get("configuration").cloned().unwrap_or(Json::Null),
        relevant_attributes: j.get("relevant_attributes").cloned().unwrap_or(json!([])),
        targets: list("targets")
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::value::Map;

    #[test]
    fn values_keep_unknown_sensitive_and_set_marks() {
        let mut m = Map::new();
        m.insert("id".into(), Value::Unknown);
        m.insert("pw".into(), Value::string("x").mark_if(true));
        m.insert(
            "tags".into(),
            Value::set(vec![Value::string("a"), Value::Unknown]),
        );
        let v = Value::map(m);
        let back = decode_value(&encode_value(&v)).unwrap();
        assert_eq!(back, v);
    }
}
