//! Dynamically-typed attributes (`terraform_data.input`, any schema attribute of type `any`):
//! Terraform stores them as `{"value": …, "type": <cty type JSON>}` so the type survives,
//! and reads them back the same way. gantry must do both, or Terraform cannot read gantry's
//! state and gantry sees every such attribute of Terraform's state as changed.
//!
//! Which attributes are dynamic is a fact of the provider schema. State is read and written
//! far from the engine (CLI state commands, backends), so it is looked up in the schemas
//! registered providers publish process-wide (`provider::known_schema`). Only top-level
//! attributes are covered: no schema gantry hosts nests one.

use crate::addr::Mode;
use crate::types::Type;
use crate::value::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

/// The dynamically-typed attributes of a resource type (empty when none or unknown).
/// Memoized: state codecs ask once per object.
pub fn dynamic_attributes(mode: Mode, rtype: &str) -> Arc<BTreeSet<String>> {
    type Memo = HashMap<String, [Option<Arc<BTreeSet<String>>>; 2]>;
    static MEMO: OnceLock<RwLock<Memo>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let slot = usize::from(mode == Mode::Data);
    if let Some(hit) = memo
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(rtype)
        .and_then(|s| s[slot].clone())
    {
        return hit;
    }
    let Some(schema) = crate::provider::known_schema(mode, rtype) else {
        // Not registered (yet): nothing dynamic, and not remembered.
        return Arc::default();
    };
    let set: Arc<BTreeSet<String>> = Arc::new(
        schema
            .block
            .attributes
            .iter()
            .filter(|(_, a)| a.ty == Type::Any)
            .map(|(k, _)| k.clone())
            .collect(),
    );
    memo.write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(rtype.to_string())
        .or_default()[slot] = Some(set.clone());
    set
}

/// Unwraps `{"value","type"}` attributes read from a state file: returns the plain object and
/// the recorded types. Attributes not in that shape are left as they are.
pub fn decode(mode: Mode, rtype: &str, attrs: Value) -> (Value, BTreeMap<String, Type>) {
    let dynamic = dynamic_attributes(mode, rtype);
    let mut types = BTreeMap::new();
    if dynamic.is_empty() {
        return (attrs, types);
    }
    let Value::Map(m) = attrs else {
        return (attrs, types);
    };
    // Usually the only owner (just parsed): unwrapped in place, not copied.
    let mut out: Map = Arc::try_unwrap(m).unwrap_or_else(|shared| (*shared).clone());
    for name in dynamic.iter() {
        let Some(wrapped) = out.get(name).and_then(Value::as_map) else {
            continue;
        };
        if wrapped.len() != 2 {
            continue;
        }
        let (Some(v), Some(t)) = (wrapped.get("value"), wrapped.get("type")) else {
            continue;
        };
        if let Ok(ty) = Type::from_cty_value(t) {
            let v = ty.shape(v.clone());
            out.insert(name.clone(), v);
            types.insert(name.clone(), ty);
        }
    }
    (Value::map(out), types)
}

/// The type each dynamic attribute of `attrs` is written with: the recorded one where the
/// value still fits it, else read off the value. Null attributes are written bare (`null`),
/// as Terraform writes them.
pub fn encode_types(
    mode: Mode,
    rtype: &str,
    attrs: &Value,
    recorded: &BTreeMap<String, Type>,
) -> BTreeMap<String, Type> {
    let mut out = BTreeMap::new();
    let Some(m) = attrs.unmark().0.as_map() else {
        return out;
    };
    for name in dynamic_attributes(mode, rtype).iter() {
        let Some(v) = m.get(name) else { continue };
        if v.unmark().0.is_null() {
            continue;
        }
        let hint = recorded.get(name).unwrap_or(&Type::Any);
        out.insert(name.clone(), hint.of_value(v));
    }
    out
}
