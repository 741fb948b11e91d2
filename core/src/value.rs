//! The dynamic value every expression evaluates to.
//!
//! Two marks travel with values through every operation, exactly as in Terraform:
//! - `Unknown`: a value that will only be known after apply ("known after apply").
//! - `Sensitive`: a wrapper saying "never print what is inside".
//!
//! Collections share their contents through `Arc`, so copying a value into the state, the plan
//! and the evaluation scope is O(1).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub type Map = BTreeMap<String, Value>;

#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(Arc<str>),
    /// A list or tuple: ordered, may repeat.
    List(Arc<Vec<Value>>),
    /// A set: kept sorted and without duplicates.
    Set(Arc<Vec<Value>>),
    /// A map or object: keys sorted, as cty does.
    Map(Arc<Map>),
    /// Known only after apply.
    Unknown,
    /// A value that must never reach output.
    Sensitive(Arc<Value>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) | (Unknown, Unknown) => true,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Set(a), Set(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Sensitive(a), Sensitive(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    pub fn string(s: impl AsRef<str>) -> Value {
        Value::String(Arc::from(s.as_ref()))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    pub fn map(m: Map) -> Value {
        Value::Map(Arc::new(m))
    }

    /// Builds a set: sorts and removes duplicates.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_by(compare_for_set);
        items.dedup();
        Value::Set(Arc::new(items))
    }

    pub fn empty_map() -> Value {
        Value::Map(Arc::new(Map::new()))
    }

    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Sensitive(v) => v.is_null(),
            _ => false,
        }
    }

    /// True when the value itself (not its contents) is unknown.
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Sensitive(v) => v.is_unknown(),
            _ => false,
        }
    }

    /// True when no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(l) | Value::Set(l) => l.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// True when the value or anything inside it is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(l) | Value::Set(l) => l.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Removes a top-level sensitive mark, saying whether there was one.
    pub fn unmark(&self) -> (&Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark().0, true),
            v => (v, false),
        }
    }

    /// Removes every sensitive mark, saying whether there was any.
    pub fn unmark_deep(&self) -> (Value, bool) {
        if !self.contains_sensitive() {
            return (self.clone(), false);
        }
        (self.strip_marks(), true)
    }

    fn strip_marks(&self) -> Value {
        match self {
            Value::Sensitive(v) => v.strip_marks(),
            Value::List(l) => Value::list(l.iter().map(Value::strip_marks).collect()),
            Value::Set(l) => Value::set(l.iter().map(Value::strip_marks).collect()),
            Value::Map(m) => Value::map(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.strip_marks()))
                    .collect(),
            ),
            v => v.clone(),
        }
    }

    /// Wraps the value as sensitive when `sensitive` is true (never twice).
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive && !self.is_sensitive() {
            Value::Sensitive(Arc::new(self))
        } else {
            self
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmark().0 {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.unmark().0 {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmark().0 {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self.unmark().0 {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Elements of a list, tuple or set.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self.unmark().0 {
            Value::List(l) | Value::Set(l) => Some(l),
            _ => None,
        }
    }

    /// An attribute of an object value (`None` when absent or not an object).
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(name))
    }

    /// The name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    /// Converts to JSON. Unknown values become null; sensitive marks are dropped (callers that
    /// may print must use [`Value::to_json_redacted`] instead).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::List(l) | Value::Set(l) => {
                serde_json::Value::Array(l.iter().map(Value::to_json).collect())
            }
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Sensitive(v) => v.to_json(),
        }
    }

    /// JSON with every sensitive part replaced by null: safe to print. As in Terraform's
    /// plan JSON, unknown object attributes are left out and unknown list elements are null.
    pub fn to_json_redacted(&self) -> serde_json::Value {
        match self {
            Value::Sensitive(_) => serde_json::Value::Null,
            Value::List(l) | Value::Set(l) => {
                serde_json::Value::Array(l.iter().map(Value::to_json_redacted).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .filter(|(_, v)| !matches!(v, Value::Unknown))
                    .map(|(k, v)| (k.clone(), v.to_json_redacted()))
                    .collect(),
            ),
            v => v.to_json(),
        }
    }

    /// Terraform's `*_unknown` shape: `true` where unknown, nested like the value, `false`
    /// elsewhere (collapsed to `false` for wholly known values).
    pub fn unknown_shape(&self) -> serde_json::Value {
        self.mark_shape(&|v| matches!(v, Value::Unknown))
    }

    /// Terraform's `*_sensitive` shape: `true` where sensitive.
    pub fn sensitive_shape(&self) -> serde_json::Value {
        self.mark_shape(&|v| matches!(v, Value::Sensitive(_)))
    }

    /// Terraform's `SensitiveAsBool` / `unknownAsBool`: `true` where marked; sequences give one
    /// entry per element; objects keep only members that are not plain `false`.
    fn mark_shape(&self, is_marked: &dyn Fn(&Value) -> bool) -> serde_json::Value {
        if is_marked(self) {
            return serde_json::Value::Bool(true);
        }
        match self {
            Value::List(l) | Value::Set(l) => {
                serde_json::Value::Array(l.iter().map(|v| v.mark_shape(is_marked)).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .filter_map(|(k, v)| {
                        let s = v.mark_shape(is_marked);
                        (s != serde_json::Value::Bool(false)).then(|| (k.clone(), s))
                    })
                    .collect(),
            ),
            Value::Sensitive(v) => v.mark_shape(is_marked),
            _ => serde_json::Value::Bool(false),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Paths of every sensitive part, for the state file's `sensitive_attributes`.
    pub fn sensitive_paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect_sensitive(&mut Vec::new(), &mut out);
        out
    }

    fn collect_sensitive(&self, here: &mut Path, out: &mut Vec<Path>) {
        match self {
            Value::Sensitive(_) => out.push(here.clone()),
            Value::List(l) | Value::Set(l) => {
                for (i, v) in l.iter().enumerate() {
                    here.push(PathStep::Index(i as i64));
                    v.collect_sensitive(here, out);
                    here.pop();
                }
            }
            Value::Map(m) => {
                for (k, v) in m.iter() {
                    here.push(PathStep::Key(k.clone()));
                    v.collect_sensitive(here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }

    /// Marks the part at `path` sensitive (used when loading state).
    pub fn mark_path(&self, path: &[PathStep]) -> Value {
        let Some((first, rest)) = path.split_first() else {
            return self.clone().mark_if(true);
        };
        match (self, first) {
            (Value::Map(m), PathStep::Key(k)) if m.contains_key(k) => {
                let mut m2 = (**m).clone();
                let inner = m2[k].mark_path(rest);
                m2.insert(k.clone(), inner);
                Value::map(m2)
            }
            (Value::List(l), PathStep::Index(i)) if (*i as usize) < l.len() => {
                let mut l2 = (**l).clone();
                l2[*i as usize] = l2[*i as usize].mark_path(rest);
                Value::list(l2)
            }
            (Value::Set(l), PathStep::Index(i)) if (*i as usize) < l.len() => {
                let mut l2 = (**l).clone();
                l2[*i as usize] = l2[*i as usize].mark_path(rest);
                Value::Set(Arc::new(l2))
            }
            _ => self.clone(),
        }
    }

    /// The part of the value at `path`, if present.
    pub fn at_path(&self, path: &[PathStep]) -> Option<&Value> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        match (self.unmark().0, first) {
            (Value::Map(m), PathStep::Key(k)) => m.get(k)?.at_path(rest),
            (Value::List(l) | Value::Set(l), PathStep::Index(i)) => {
                l.get(*i as usize)?.at_path(rest)
            }
            _ => None,
        }
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    // Whole numbers print without a fraction, as Terraform prints them.
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        serde_json::Value::Number((n as i64).into())
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Terraform's type unification for a list of primitives: when strings meet numbers or
/// bools, everything becomes a string (`tolist(["a", 1])` is `["a", "1"]`). Anything else is
/// returned unchanged.
pub fn unify_primitives(items: Vec<Value>) -> Vec<Value> {
    let mut has_string = false;
    let mut has_other = false;
    for v in &items {
        match v.unmark().0 {
            Value::String(_) => has_string = true,
            Value::Number(_) | Value::Bool(_) => has_other = true,
            Value::Null | Value::Unknown => {}
            _ => return items,
        }
    }
    if !(has_string && has_other) {
        return items;
    }
    items
        .into_iter()
        .map(|v| {
            let (inner, sensitive) = v.unmark();
            let out = match inner {
                Value::Number(n) => Value::string(format_number(*n)),
                Value::Bool(b) => Value::string(b.to_string()),
                other => other.clone(),
            };
            out.mark_if(sensitive)
        })
        .collect()
}

/// Terraform computes with arbitrary-precision decimals, so `0.1 + 0.2` is `0.3` there. A
/// binary sum or difference with a fraction is rounded to 15 significant digits (what an
/// f64 holds exactly in decimal) to give the same results.
pub fn decimal_round(x: f64) -> f64 {
    if x.fract() == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.14e}").parse().unwrap_or(x)
}

/// Terraform's number formatting: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Set order: strings lexically, numbers numerically, otherwise by JSON text.
fn compare_for_set(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.unmark().0, b.unmark().0) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => {
            x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)
        }
        _ => a.to_json().to_string().cmp(&b.to_json().to_string()),
    }
}

/// One step into a value: an attribute/map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    Key(String),
    Index(i64),
}

pub type Path = Vec<PathStep>;

/// Renders a path as Terraform does in messages: `tags["env"]`, `root_block_device[0].size`.
pub fn display_path(path: &[PathStep]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            PathStep::Key(k) if s.is_empty() => s.push_str(k),
            PathStep::Key(k) if crate::ident::is_ident(k) => {
                s.push('.');
                s.push_str(k);
            }
            PathStep::Key(k) => s.push_str(&format!("[{k:?}]")),
            PathStep::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

impl fmt::Display for Value {
    /// HCL-like rendering used by plan output. Sensitive parts are redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::String(s) => write!(f, "{:?}", s),
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
            Value::List(l) | Value::Set(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Reads plain JSON straight into a `Value` (no `serde_json::Value` in between), so loading a
/// large state file does not hold two copies of it.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::string(v))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::string(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::list(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            m.insert(k, v);
        }
        Ok(Value::map(m))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn unification_only_stringifies_when_strings_meet_primitives() {
        let mixed = unify_primitives(vec![
            Value::string("a"),
            Value::Number(1.0),
            Value::Bool(true),
        ]);
        assert_eq!(
            mixed,
            vec![
                Value::string("a"),
                Value::string("1"),
                Value::string("true")
            ]
        );
        let no_strings = vec![Value::Number(1.0), Value::Bool(true)];
        assert_eq!(unify_primitives(no_strings.clone()), no_strings);
        assert_eq!(decimal_round(0.1 + 0.2), 0.3);
        assert_eq!(decimal_round(1e20), 1e20);
    }

    use super::*;

    #[test]
    fn sensitive_paths_round_trip_through_marking() {
        let mut m = Map::new();
        m.insert("a".into(), Value::string("x").mark_if(true));
        m.insert("b".into(), Value::Number(1.0));
        let v = Value::map(m);
        let paths = v.sensitive_paths();
        assert_eq!(paths, vec![vec![PathStep::Key("a".into())]]);
        let plain = v.unmark_deep().0;
        assert!(!plain.contains_sensitive());
        let remarked = paths.iter().fold(plain, |v, p| v.mark_path(p));
        assert_eq!(remarked, v);
    }

    #[test]
    fn redacted_json_hides_sensitive_parts() {
        let v = Value::list(vec![
            Value::string("ok"),
            Value::string("secret").mark_if(true),
        ]);
        assert_eq!(v.to_json_redacted().to_string(), r#"["ok",null]"#);
        assert_eq!(v.sensitive_shape().to_string(), "[false,true]");
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = Value::set(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("b"),
        ]);
        assert_eq!(s.to_json().to_string(), r#"["a","b"]"#);
    }
}
