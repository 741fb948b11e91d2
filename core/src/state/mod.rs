//! The state model: what gantry has created, and the v4 state file format.
//!
//! In memory, state is a flat map from instance address to object, so lookups and updates are
//! O(log n). On disk it is Terraform's v4 JSON (resources grouped by block, instances with
//! `index_key`), so existing tools can read it.

pub mod dynamic;
mod local;
mod lock;
pub mod remote;

pub use local::{journal_lines, read_journal, write_atomic, Journal, JournalEntry, LocalBackend};
pub use lock::{who, LockGuard, LockInfo};

use crate::addr::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::types::Type;
use crate::value::{PathStep, Value};
use serde_json::{json, Map as JsonMap, Value as Json};
use std::collections::BTreeMap;

pub const STATE_VERSION: u64 = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInstance {
    /// Provider configuration address, `provider["registry.terraform.io/hashicorp/aws"]`.
    pub provider: String,
    /// The object's attributes, with sensitive marks.
    pub value: Value,
    /// Resource blocks this object depended on when it was last applied (destroy order).
    pub dependencies: Vec<String>,
    pub schema_version: u64,
    pub create_before_destroy: bool,
    /// cty types of the dynamically-typed attributes (see [`dynamic`]), as last recorded:
    /// kept so a value whose type the configuration fixed (`map(string)`) is written back with
    /// that type, not the one its contents suggest.
    pub types: BTreeMap<String, Type>,
    /// The provider's private data (plugins: timeouts, schema versions…), opaque to gantry;
    /// written as Terraform writes it (`private`, base64). Empty for native providers.
    pub private: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputValue {
    pub value: Value,
    pub sensitive: bool,
    /// The output's type where known beyond its value (recorded in state, or fixed by the
    /// output's expression); written as `type` when the value still fits it.
    pub ty: Option<Type>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub lineage: String,
    pub serial: u64,
    pub resources: BTreeMap<InstanceAddr, ResourceInstance>,
    pub outputs: BTreeMap<String, OutputValue>,
    /// Operations sent but never recorded as finished (the process died in between). Kept in
    /// the journal across snapshots until reconciled.
    pub pending: BTreeMap<InstanceAddr, PendingOp>,
    /// Objects marked for replacement (`"status": "tainted"` in the state file).
    pub tainted: std::collections::BTreeSet<InstanceAddr>,
}

/// An operation whose outcome is unknown: it was sent, then the process died.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingOp {
    pub action: String,
    pub token: String,
    pub planned: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state file {path} is not valid: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("{0}")]
    Io(String),
    #[error("{}", locked_message(.0))]
    Locked(Box<LockInfo>),
    #[error("{0}")]
    Unlock(String),
}

fn locked_message(info: &LockInfo) -> String {
    format!(
        "Error acquiring the state lock: the state is locked by another process (gantry or Terraform).\n\nLock Info:\n  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Version:   {}\n  Created:   {}\n  Info:      {}\n\ngantry acquires a state lock to protect the state from being written by multiple users at the same time. Wait for the other run to finish (-lock-timeout=DURATION waits for it). A local lock whose holder died is released by the operating system; a remote one stays until `gantry force-unlock ID`.",
        info.id, info.path, info.operation, info.who, info.version, info.created, info.info
    )
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    pub fn new() -> State {
        State {
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            pending: BTreeMap::new(),
            tainted: Default::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty()
    }

    /// Instances of one resource block, in key order.
    pub fn instances_of<'a>(
        &'a self,
        r: &'a ResourceAddr,
    ) -> impl Iterator<Item = (&'a InstanceAddr, &'a ResourceInstance)> + 'a {
        let start = r.instance(InstanceKey::None);
        self.resources
            .range(start..)
            .take_while(move |(a, _)| &a.resource == r)
    }

    /// Applies one journal entry.
    pub fn apply_entry(&mut self, e: &JournalEntry) -> Result<(), String> {
        match e {
            JournalEntry::Set { addr, instance } => {
                let a: InstanceAddr = addr.parse().map_err(|e| format!("{e}"))?;
                let inst = instance_from_json(&a.resource, instance)?;
                // A new object: whatever was tainted was replaced — unless the new one is
                // itself tainted (a create that failed part-way).
                if instance.get("status").and_then(|s| s.as_str()) == Some("tainted") {
                    self.tainted.insert(a.clone());
                } else {
                    self.tainted.remove(&a);
                }
                self.pending.remove(&a);
                self.resources.insert(a, inst);
            }
            JournalEntry::Remove { addr } => {
                let a: InstanceAddr = addr.parse().map_err(|e| format!("{e}"))?;
                self.pending.remove(&a);
                self.tainted.remove(&a);
                self.resources.remove(&a);
            }
            JournalEntry::Intent {
                addr,
                action,
                token,
                planned,
            } => {
                let a: InstanceAddr = addr.parse().map_err(|e| format!("{e}"))?;
                self.pending.insert(
                    a,
                    PendingOp {
                        action: action.clone(),
                        token: token.clone(),
                        planned: Value::from_json(planned),
                    },
                );
            }
            JournalEntry::Outputs { outputs } => {
                self.outputs = outputs_from_json(outputs)?;
            }
            // Read by whoever replays the journal, to decide whether it applies.
            JournalEntry::Base { .. } => {}
        }
        Ok(())
    }

    /// Applies journal entries in order; returns how many completed operations (sets and
    /// removes) they held.
    pub fn replay(&mut self, entries: &[JournalEntry]) -> Result<usize, String> {
        let mut done = 0;
        for e in entries {
            self.apply_entry(e)?;
            if matches!(e, JournalEntry::Set { .. } | JournalEntry::Remove { .. }) {
                done += 1;
            }
        }
        Ok(done)
    }

    /// The unreconciled intents as journal entries (what must outlive a snapshot).
    pub fn pending_entries(&self) -> Vec<JournalEntry> {
        self.pending
            .iter()
            .map(|(a, p)| JournalEntry::Intent {
                addr: a.to_string(),
                action: p.action.clone(),
                token: p.token.clone(),
                planned: p.planned.to_json(),
            })
            .collect()
    }

    /// Encodes as Terraform's v4 state JSON.
    pub fn to_json(&self, version: &str) -> Json {
        let mut resources: Vec<Json> = Vec::new();
        let mut current: Option<(&ResourceAddr, Vec<Json>, &str)> = None;
        let flush = |cur: Option<(&ResourceAddr, Vec<Json>, &str)>, out: &mut Vec<Json>| {
            if let Some((r, instances, provider)) = cur {
                let mut m = serde_json::Map::new();
                if !r.module.is_root() {
                    m.insert("module".into(), json!(r.module.to_string()));
                }
                m.insert("mode".into(), json!(r.mode.as_str()));
                m.insert("type".into(), json!(r.rtype));
                m.insert("name".into(), json!(r.name));
                m.insert("provider".into(), json!(provider));
                m.insert("instances".into(), json!(instances));
                out.push(Json::Object(m));
            }
        };
        for (addr, inst) in &self.resources {
            if current.as_ref().map(|c| c.0) != Some(&addr.resource) {
                flush(current.take(), &mut resources);
                current = Some((&addr.resource, Vec::new(), &inst.provider));
            }
            if let Some(c) = current.as_mut() {
                c.1.push(instance_to_json(addr, inst));
            }
        }
        flush(current, &mut resources);
        resources.sort_by_key(state_order_json);
        json!({
            "version": STATE_VERSION,
            "terraform_version": version,
            "serial": self.serial,
            "lineage": self.lineage,
            "outputs": outputs_to_json(&self.outputs),
            "resources": resources,
            "check_results": null,
        })
    }

    pub fn from_json(j: &Json) -> Result<State, String> {
        let file: StateFileIn = serde_json::from_value(j.clone()).map_err(|e| e.to_string())?;
        file.into_state()
    }

    /// Reads a v4 state file's bytes, streaming straight into the state model.
    pub fn from_slice(bytes: &[u8]) -> Result<State, String> {
        let file: StateFileIn = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        file.into_state()
    }
}

#[derive(serde::Deserialize)]
struct StateFileIn {
    version: u64,
    serial: u64,
    lineage: String,
    #[serde(default)]
    outputs: Option<BTreeMap<String, OutputIn>>,
    #[serde(default)]
    resources: Option<Vec<ResourceIn>>,
}

#[derive(serde::Deserialize)]
struct OutputIn {
    value: Value,
    #[serde(default, rename = "type")]
    ty: Option<Json>,
    #[serde(default)]
    sensitive: bool,
}

/// An output's value shaped by its recorded type (sets are arrays in JSON).
fn shaped(value: Value, ty: Option<&Json>) -> Value {
    match ty.map(Type::from_cty_json) {
        Some(Ok(t)) => t.shape(value),
        _ => value,
    }
}

#[derive(serde::Deserialize)]
struct ResourceIn {
    #[serde(default)]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    provider: String,
    instances: Vec<InstanceIn>,
}

#[derive(serde::Deserialize)]
struct InstanceIn {
    #[serde(default)]
    index_key: Option<Json>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    schema_version: u64,
    attributes: Value,
    #[serde(default)]
    sensitive_attributes: Vec<Json>,
    #[serde(default)]
    private: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    create_before_destroy: bool,
}

impl StateFileIn {
    fn into_state(self) -> Result<State, String> {
        if self.version != STATE_VERSION {
            return Err(format!(
                "unsupported state version {}; gantry reads version 4",
                self.version
            ));
        }
        let mut st = State {
            lineage: self.lineage,
            serial: self.serial,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            pending: BTreeMap::new(),
            tainted: Default::default(),
        };
        for (k, o) in self.outputs.unwrap_or_default() {
            st.outputs.insert(
                k,
                OutputValue {
                    value: shaped(o.value, o.ty.as_ref()).mark_if(o.sensitive),
                    sensitive: o.sensitive,
                    ty: o.ty.as_ref().and_then(|t| Type::from_cty_json(t).ok()),
                },
            );
        }
        for (i, r) in self.resources.unwrap_or_default().into_iter().enumerate() {
            let mode = match r.mode.as_str() {
                "managed" => Mode::Managed,
                "data" => Mode::Data,
                m => return Err(format!("resources[{i}] has unknown mode {m:?}")),
            };
            let module = match r.module.as_deref() {
                None | Some("") => crate::addr::ModuleInstance::root(),
                Some(m) => m
                    .parse()
                    .map_err(|_| format!("resources[{i}] has an invalid module address {m:?}"))?,
            };
            let raddr = ResourceAddr {
                module,
                mode,
                rtype: r.rtype.as_str().into(),
                name: r.name.into(),
            };
            for inst in r.instances {
                let (mut value, types) = dynamic::decode(mode, &r.rtype, inst.attributes);
                for p in &inst.sensitive_attributes {
                    value = value.mark_path(&path_from_json(p)?);
                }
                let key = InstanceKey::from_json(inst.index_key.as_ref());
                if inst.status.as_deref() == Some("tainted") {
                    st.tainted.insert(raddr.instance(key.clone()));
                }
                st.resources.insert(
                    raddr.instance(key),
                    ResourceInstance {
                        provider: r.provider.clone(),
                        value,
                        dependencies: inst.dependencies,
                        schema_version: inst.schema_version,
                        create_before_destroy: inst.create_before_destroy,
                        types,
                        private: decode_private(inst.private.as_deref())?,
                    },
                );
            }
        }
        Ok(st)
    }
}

/// Terraform's order of resources in a state file: module address as text, then mode as
/// text (`data` before `managed`), type, name. (Not the order `state list` prints.)
fn state_order(r: &ResourceAddr) -> (String, &'static str, &str, &str) {
    let module = if r.module.is_root() {
        String::new()
    } else {
        r.module.to_string()
    };
    (module, r.mode.as_str(), &r.rtype, &r.name)
}

fn state_order_json(j: &Json) -> (String, String, String, String) {
    let s = |k: &str| j[k].as_str().unwrap_or_default().to_string();
    (s("module"), s("mode"), s("type"), s("name"))
}

/// Streams a value as plain JSON (unknown as null, sensitive marks dropped) without building
/// an intermediate `serde_json::Value`.
struct ValueSer<'a>(&'a Value);

impl serde::Serialize for ValueSer<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Null | Value::Unknown => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => s.serialize_i64(*n as i64),
            Value::Number(n) => s.serialize_f64(*n),
            Value::String(x) => s.serialize_str(x),
            Value::List(l) | Value::Set(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l.iter() {
                    seq.serialize_element(&ValueSer(v))?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(k, &ValueSer(v))?;
                }
                map.end()
            }
            Value::Sensitive(v) => ValueSer(v).serialize(s),
        }
    }
}

/// An instance's attributes as the state file holds them: plain JSON, except dynamically
/// typed attributes, which are `{"value": …, "type": …}`.
struct AttributesSer<'a> {
    value: &'a Value,
    types: BTreeMap<String, Type>,
}

impl<'a> AttributesSer<'a> {
    fn new(r: &ResourceAddr, inst: &'a ResourceInstance) -> AttributesSer<'a> {
        AttributesSer {
            value: &inst.value,
            types: dynamic::encode_types(r.mode, &r.rtype, &inst.value, &inst.types),
        }
    }
}

impl serde::Serialize for AttributesSer<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let attrs = match self.value.unmark().0 {
            Value::Map(m) if !self.types.is_empty() => m,
            _ => return ValueSer(self.value).serialize(s),
        };
        struct Typed<'a>(&'a Value, &'a Type);
        impl serde::Serialize for Typed<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("value", &ValueSer(self.0))?;
                m.serialize_entry("type", &self.1.to_cty_json())?;
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(attrs.len()))?;
        for (k, v) in attrs.iter() {
            match self.types.get(k) {
                Some(t) => m.serialize_entry(k, &Typed(v, t))?,
                None => m.serialize_entry(k, &ValueSer(v))?,
            }
        }
        m.end()
    }
}

/// The v4 state file, serialized straight from the in-memory state.
struct StateFile<'a> {
    state: &'a State,
    version: &'a str,
}

struct Instances<'a>(
    &'a [(&'a InstanceAddr, &'a ResourceInstance)],
    &'a std::collections::BTreeSet<InstanceAddr>,
);

impl serde::Serialize for Instances<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct One<'a>(&'a InstanceAddr, &'a ResourceInstance, bool);
        impl serde::Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                if let Some(k) = self.0.key.to_json() {
                    m.serialize_entry("index_key", &k)?;
                }
                if self.2 {
                    m.serialize_entry("status", "tainted")?;
                }
                m.serialize_entry("schema_version", &self.1.schema_version)?;
                m.serialize_entry("attributes", &AttributesSer::new(&self.0.resource, self.1))?;
                let paths: Vec<Json> = self
                    .1
                    .value
                    .sensitive_paths()
                    .iter()
                    .map(|p| path_to_json(p))
                    .collect();
                m.serialize_entry("sensitive_attributes", &paths)?;
                if !self.1.private.is_empty() {
                    m.serialize_entry("private", &encode_private(&self.1.private))?;
                }
                if !self.1.dependencies.is_empty() {
                    m.serialize_entry("dependencies", &self.1.dependencies)?;
                }
                if self.1.create_before_destroy {
                    m.serialize_entry("create_before_destroy", &true)?;
                }
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (a, i) in self.0 {
            seq.serialize_element(&One(a, i, self.1.contains(*a)))?;
        }
        seq.end()
    }
}

impl serde::Serialize for StateFile<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Resources<'a>(&'a State);
        impl serde::Serialize for Resources<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(None)?;
                let all: Vec<(&InstanceAddr, &ResourceInstance)> =
                    self.0.resources.iter().collect();
                let mut groups: Vec<_> = all
                    .chunk_by(|a, b| a.0.resource == b.0.resource)
                    .map(|g| (state_order(&g[0].0.resource), g))
                    .collect();
                groups.sort_by(|a, b| a.0.cmp(&b.0));
                for (_, group) in groups {
                    let r = &group[0].0.resource;
                    let mut m = serde_json::Map::new();
                    if !r.module.is_root() {
                        m.insert("module".into(), json!(r.module.to_string()));
                    }
                    m.insert("mode".into(), json!(r.mode.as_str()));
                    m.insert("type".into(), json!(r.rtype));
                    m.insert("name".into(), json!(r.name));
                    m.insert("provider".into(), json!(group[0].1.provider));
                    struct Group<'a>(serde_json::Map<String, Json>, Instances<'a>);
                    impl serde::Serialize for Group<'_> {
                        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                            let mut m = s.serialize_map(None)?;
                            for (k, v) in &self.0 {
                                m.serialize_entry(k, v)?;
                            }
                            m.serialize_entry("instances", &self.1)?;
                            m.end()
                        }
                    }
                    seq.serialize_element(&Group(m, Instances(group, &self.0.tainted)))?;
                }
                seq.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("version", &STATE_VERSION)?;
        m.serialize_entry("terraform_version", self.version)?;
        m.serialize_entry("serial", &self.state.serial)?;
        m.serialize_entry("lineage", &self.state.lineage)?;
        m.serialize_entry("outputs", &outputs_to_json(&self.state.outputs))?;
        m.serialize_entry("resources", &Resources(self.state))?;
        m.serialize_entry("check_results", &Json::Null)?;
        m.end()
    }
}

impl State {
    /// Writes the v4 state file, pretty-printed like Terraform's, streaming (no intermediate
    /// JSON tree: the snapshot of 100,000 objects does not double memory).
    pub fn write_json<W: std::io::Write>(&self, w: W, version: &str) -> std::io::Result<()> {
        let mut ser = serde_json::Serializer::with_formatter(w, GoJson::default());
        serde::Serialize::serialize(
            &StateFile {
                state: self,
                version,
            },
            &mut ser,
        )
        .map_err(std::io::Error::other)
    }
}

/// JSON laid out as Go's `json.MarshalIndent(v, "", "  ")`, which writes Terraform's state:
/// two-space indentation, and `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c` etc.
#[derive(Default)]
struct GoJson(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for GoJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let esc = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(esc.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Encodes one instance (used in the snapshot and in journal entries).
pub fn instance_to_json(addr: &InstanceAddr, inst: &ResourceInstance) -> Json {
    let mut o = JsonMap::new();
    if let Some(k) = addr.key.to_json() {
        o.insert("index_key".into(), k);
    }
    o.insert("schema_version".into(), inst.schema_version.into());
    o.insert(
        "attributes".into(),
        serde_json::to_value(AttributesSer::new(&addr.resource, inst)).unwrap_or(Json::Null),
    );
    o.insert(
        "sensitive_attributes".into(),
        Json::Array(
            inst.value
                .sensitive_paths()
                .iter()
                .map(|p| path_to_json(p))
                .collect(),
        ),
    );
    o.insert("provider".into(), Json::String(inst.provider.clone()));
    if !inst.private.is_empty() {
        o.insert(
            "private".into(),
            Json::String(encode_private(&inst.private)),
        );
    }
    if !inst.dependencies.is_empty() {
        o.insert("dependencies".into(), json!(inst.dependencies));
    }
    if inst.create_before_destroy {
        o.insert("create_before_destroy".into(), Json::Bool(true));
    }
    Json::Object(o)
}

pub fn instance_from_json(r: &ResourceAddr, j: &Json) -> Result<ResourceInstance, String> {
    let attrs = j.get("attributes").ok_or("instance has no attributes")?;
    let (mut value, types) = dynamic::decode(r.mode, &r.rtype, Value::from_json(attrs));
    if let Some(paths) = j.get("sensitive_attributes").and_then(Json::as_array) {
        for p in paths {
            value = value.mark_path(&path_from_json(p)?);
        }
    }
    Ok(ResourceInstance {
        provider: j
            .get("provider")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        value,
        dependencies: j
            .get("dependencies")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        schema_version: j.get("schema_version").and_then(Json::as_u64).unwrap_or(0),
        create_before_destroy: j
            .get("create_before_destroy")
            .and_then(Json::as_bool)
            .unwrap_or(false),
        types,
        private: decode_private(j.get("private").and_then(Json::as_str))?,
    })
}

/// Private data as Go's encoding/json writes a `[]byte`: standard base64 with padding.
fn encode_private(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn decode_private(s: Option<&str>) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    match s {
        None => Ok(Vec::new()),
        Some(s) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("an instance's private data is not base64: {e}")),
    }
}

/// A value path in the state file's format: `[{"type":"get_attr","value":"a"}, ...]`.
pub fn path_to_json(p: &[PathStep]) -> Json {
    Json::Array(
        p.iter()
            .map(|s| match s {
                PathStep::Key(k) => json!({"type": "get_attr", "value": k}),
                PathStep::Index(i) => {
                    json!({"type": "index", "value": {"value": i, "type": "number"}})
                }
            })
            .collect(),
    )
}

fn path_from_json(j: &Json) -> Result<Vec<PathStep>, String> {
    let steps = j.as_array().ok_or("sensitive path must be an array")?;
    steps
        .iter()
        .map(|s| match s.get("type").and_then(Json::as_str) {
            Some("get_attr") => Ok(PathStep::Key(
                s.get("value")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )),
            Some("index") => {
                let v = s
                    .get("value")
                    .and_then(|v| v.get("value"))
                    .unwrap_or(&Json::Null);
                match v {
                    Json::String(k) => Ok(PathStep::Key(k.clone())),
                    v => Ok(PathStep::Index(v.as_i64().unwrap_or(0))),
                }
            }
            other => Err(format!("unknown path step type {other:?}")),
        })
        .collect()
}

fn outputs_to_json(outputs: &BTreeMap<String, OutputValue>) -> Json {
    Json::Object(
        outputs
            .iter()
            .map(|(k, o)| {
                (k.clone(), {
                    let mut m = JsonMap::new();
                    m.insert("value".into(), o.value.to_json());
                    let ty = match &o.ty {
                        Some(t) => t.of_value(&o.value).to_cty_json(),
                        None => type_json(&o.value),
                    };
                    m.insert("type".into(), ty);
                    // Terraform writes the key only for sensitive outputs.
                    if o.sensitive || o.value.contains_sensitive() {
                        m.insert("sensitive".into(), Json::Bool(true));
                    }
                    Json::Object(m)
                })
            })
            .collect(),
    )
}

fn outputs_from_json(j: &Json) -> Result<BTreeMap<String, OutputValue>, String> {
    let Some(o) = j.as_object() else {
        return Ok(BTreeMap::new());
    };
    o.iter()
        .map(|(k, v)| {
            let sensitive = v.get("sensitive").and_then(Json::as_bool).unwrap_or(false);
            let value = shaped(
                Value::from_json(
                    v.get("value")
                        .ok_or_else(|| format!("output {k} has no value"))?,
                ),
                v.get("type"),
            );
            Ok((
                k.clone(),
                OutputValue {
                    value: value.mark_if(sensitive),
                    sensitive,
                    ty: v.get("type").and_then(|t| Type::from_cty_json(t).ok()),
                },
            ))
        })
        .collect()
}

/// The cty type of a value in Terraform's JSON type notation.
pub fn type_json(v: &Value) -> Json {
    match v.unmark().0 {
        Value::Null | Value::Unknown => json!("dynamic"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::List(l) => json!(["tuple", l.iter().map(type_json).collect::<Vec<_>>()]),
        Value::Set(l) => json!(["set", l.first().map(type_json).unwrap_or(json!("dynamic"))]),
        Value::Map(m) => json!([
            "object",
            m.iter()
                .map(|(k, v)| (k.clone(), type_json(v)))
                .collect::<JsonMap<_, _>>()
        ]),
        Value::Sensitive(_) => json!("dynamic"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    #[test]
    fn v4_json_round_trips_with_sensitive_marks() {
        let mut st = State::new();
        let mut attrs = Map::new();
        attrs.insert("id".into(), Value::string("abc"));
        attrs.insert("input".into(), Value::string("pw").mark_if(true));
        for key in [
            InstanceKey::Int(0),
            InstanceKey::Int(1),
            InstanceKey::Str("x".into()),
        ] {
            st.resources.insert(
                ResourceAddr::managed("terraform_data", "a").instance(key),
                ResourceInstance {
                    provider: "provider[\"terraform.io/builtin/terraform\"]".into(),
                    value: Value::map(attrs.clone()),
                    dependencies: vec!["terraform_data.b".into()],
                    schema_version: 0,
                    create_before_destroy: false,
                    types: Default::default(),
                    private: Vec::new(),
                },
            );
        }
        st.outputs.insert(
            "o".into(),
            OutputValue {
                value: Value::Number(1.0),
                sensitive: false,
                // What reading a state file gives: the type written beside the value.
                ty: Some(Type::Number),
            },
        );
        let j = st.to_json("1.0");
        assert_eq!(j["resources"].as_array().unwrap().len(), 1);
        assert_eq!(j["resources"][0]["instances"].as_array().unwrap().len(), 3);
        let back = State::from_json(&j).unwrap();
        assert_eq!(back, st);
        assert!(back
            .resources
            .values()
            .next()
            .unwrap()
            .value
            .get_attr("input")
            .unwrap()
            .is_sensitive());
    }

    #[test]
    fn streamed_snapshot_reads_back_identically() {
        let mut st = State::new();
        for i in 0..3 {
            st.resources.insert(
                ResourceAddr::managed("terraform_data", "a").instance(InstanceKey::Int(i)),
                ResourceInstance {
                    provider: "provider[\"terraform.io/builtin/terraform\"]".into(),
                    value: Value::from_json(
                        &json!({"id": format!("x{i}"), "n": 1.5, "l": [1, {"k": null}]}),
                    )
                    .mark_path(&[PathStep::Key("id".into())]),
                    dependencies: vec!["terraform_data.b".into()],
                    schema_version: 0,
                    create_before_destroy: i == 1,
                    types: Default::default(),
                    private: Vec::new(),
                },
            );
        }
        let mut buf = Vec::new();
        st.write_json(&mut buf, "t").unwrap();
        let back = State::from_json(&serde_json::from_slice(&buf).unwrap()).unwrap();
        assert_eq!(back, st);
    }

    #[test]
    fn module_instances_stay_distinct() {
        // Terraform's layout: the same type and name in the root, in module.x and in two
        // instances of module.many are four resources, none of which may be merged.
        let inst = |k: Option<&str>| {
            let mut o =
                json!({"schema_version": 0, "attributes": {"id": "i"}, "sensitive_attributes": []});
            if let Some(k) = k {
                o["index_key"] = json!(k);
            }
            o
        };
        let res = |module: Option<&str>, keys: Vec<Option<&str>>| {
            let mut r = json!({"mode": "managed", "type": "terraform_data", "name": "r",
                "provider": "provider[\"terraform.io/builtin/terraform\"]",
                "instances": keys.into_iter().map(inst).collect::<Vec<_>>()});
            if let Some(m) = module {
                r["module"] = json!(m);
            }
            r
        };
        let j = json!({"version": 4, "serial": 3, "lineage": "l", "outputs": {}, "resources": [
            res(None, vec![None]),
            res(Some("module.x"), vec![None]),
            res(Some("module.many[\"p\"]"), vec![None]),
            res(Some("module.many[\"q\"].module.inner"), vec![Some("k")]),
        ]});
        let st = State::from_json(&j).unwrap();
        let addrs: Vec<String> = st.resources.keys().map(|a| a.to_string()).collect();
        assert_eq!(
            addrs,
            [
                "terraform_data.r",
                "module.many[\"p\"].terraform_data.r",
                "module.x.terraform_data.r",
                "module.many[\"q\"].module.inner.terraform_data.r[\"k\"]",
            ]
        );
        let mut buf = Vec::new();
        st.write_json(&mut buf, "t").unwrap();
        let written: Json = serde_json::from_slice(&buf).unwrap();
        // The file's order is Terraform's: module address as text.
        assert_eq!(written["resources"][3]["module"], json!("module.x"));
        assert!(written["resources"][0].get("module").is_none());
        assert_eq!(State::from_slice(&buf).unwrap(), st);
        assert_eq!(State::from_json(&st.to_json("t")).unwrap(), st);
    }

    #[test]
    fn corrupt_json_is_an_error_not_a_panic() {
        assert!(State::from_json(&json!({"version": 4})).is_err());
        assert!(State::from_json(&json!({"version": 3, "lineage": "x", "serial": 1})).is_err());
        assert!(State::from_json(
            &json!({"version": 4, "lineage": "x", "serial": 1, "resources": [{"mode": "managed"}]})
        )
        .is_err());
    }
}
