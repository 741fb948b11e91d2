//! The module instance tree: which module instances a configuration has once every module
//! call's `count` / `for_each` is expanded, and the configuration each one runs.
//!
//! Expanding needs evaluation, which the engine does (`plans`); this module only holds the
//! result, so the graph can be built over module instances.

use crate::addr::{InstanceKey, ModuleInstance, ResourceAddr};
use crate::config::{Config, ModuleCall, Resource};
use crate::value::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// How a resource block or module call expands into instances.
#[derive(Clone, Debug, PartialEq)]
pub enum Expansion {
    Single,
    Count(usize),
    /// for_each keys with their `each.value`.
    ForEach(BTreeMap<String, Value>),
}

impl Expansion {
    /// Instance keys with `each.value` where there is one.
    pub fn instances(&self) -> Vec<(InstanceKey, Option<Value>)> {
        match self {
            Expansion::Single => vec![(InstanceKey::None, None)],
            Expansion::Count(n) => (0..*n)
                .map(|i| (InstanceKey::Int(i as i64), None))
                .collect(),
            Expansion::ForEach(m) => m
                .iter()
                .map(|(k, v)| (InstanceKey::Str(k.clone()), Some(v.clone())))
                .collect(),
        }
    }

    /// The value a reference to the whole block yields.
    pub fn aggregate<'a>(
        &self,
        mut value_of: impl FnMut(&InstanceKey) -> Option<&'a Value>,
    ) -> Value {
        match self {
            Expansion::Single => value_of(&InstanceKey::None).cloned().unwrap_or(Value::Null),
            Expansion::Count(n) => Value::list(
                (0..*n)
                    .map(|i| {
                        value_of(&InstanceKey::Int(i as i64))
                            .cloned()
                            .unwrap_or(Value::Unknown)
                    })
                    .collect(),
            ),
            Expansion::ForEach(m) => {
                let mut out = Map::new();
                for k in m.keys() {
                    let v = value_of(&InstanceKey::Str(k.clone()))
                        .cloned()
                        .unwrap_or(Value::Unknown);
                    out.insert(k.clone(), v);
                }
                Value::map(out)
            }
        }
    }
}

/// Where a module instance was called from.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub parent: ModuleInstance,
    pub name: String,
    pub key: InstanceKey,
    pub each_value: Option<Value>,
}

#[derive(Clone, Debug)]
pub struct ModuleInfo {
    pub config: Arc<Config>,
    /// `None` for the root module.
    pub call: Option<CallSite>,
}

/// Every module instance, the root included.
#[derive(Clone, Debug)]
pub struct ModuleTree {
    pub instances: BTreeMap<ModuleInstance, ModuleInfo>,
    /// Each module call's expansion, per calling instance.
    pub calls: HashMap<(ModuleInstance, String), Expansion>,
    /// Calls whose instances could not be known (validation only): references to them are
    /// unknown.
    pub placeholders: HashSet<(ModuleInstance, String)>,
}

impl ModuleTree {
    /// A tree of the root module alone (configurations without module calls).
    pub fn root_only(config: Arc<Config>) -> ModuleTree {
        let mut instances = BTreeMap::new();
        instances.insert(ModuleInstance::root(), ModuleInfo { config, call: None });
        ModuleTree {
            instances,
            calls: HashMap::new(),
            placeholders: HashSet::new(),
        }
    }

    pub fn config(&self, module: &ModuleInstance) -> Option<&Arc<Config>> {
        self.instances.get(module).map(|m| &m.config)
    }

    /// The resource block behind an absolute resource address.
    pub fn resource(&self, addr: &ResourceAddr) -> Option<&Resource> {
        let cfg = self.config(&addr.module)?;
        if addr.module.is_root() {
            cfg.resources.get(addr)
        } else {
            cfg.resources.get(&addr.local())
        }
    }

    /// The `module` block that made `module`, with its call site.
    pub fn call_of(&self, module: &ModuleInstance) -> Option<(&ModuleCall, &CallSite)> {
        let site = self.instances.get(module)?.call.as_ref()?;
        let call = self.config(&site.parent)?.module_calls.get(&site.name)?;
        Some((call, site))
    }

    /// The instances of call `name` made from `parent`, in key order.
    pub fn children(
        &self,
        parent: &ModuleInstance,
        name: &str,
    ) -> Vec<(InstanceKey, ModuleInstance)> {
        match self.calls.get(&(parent.clone(), name.to_string())) {
            Some(exp) => exp
                .instances()
                .into_iter()
                .map(|(k, _)| (k.clone(), parent.child(name, k)))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The provider configuration (name, alias) a resource in `module` uses, following
    /// `providers = {}` maps and default inheritance up to the root module.
    pub fn provider_for(
        &self,
        module: &ModuleInstance,
        wanted: &(String, Option<String>),
    ) -> (String, Option<String>) {
        let mut current = module.clone();
        let mut p = wanted.clone();
        while let Some((call, site)) = self.call_of(&current) {
            let key = Config::provider_key(&p.0, p.1.as_deref());
            if let Some((_, target)) = call.providers.iter().find(|(k, _)| *k == key) {
                p = target.clone();
            }
            current = site.parent.clone();
        }
        p
    }
}
