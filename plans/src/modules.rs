//! Expanding module calls into module instances before planning.
//!
//! A module call's `count` / `for_each` is evaluated from what is known before any resource
//! is read: input variables and the locals and module arguments derived from them. (Terraform
//! also accepts values of resources already in state there; gantry asks for them to be known
//! from variables — see the README.)

use crate::scope::expand_with;
use gantry_core::addr::{InstanceKey, ModuleInstance};
use gantry_core::config::Config;
use gantry_core::diag::Diagnostics;
use gantry_core::eval::{Evaluator, Reference, Resolver};
use gantry_core::modules::{CallSite, Expansion, ModuleInfo, ModuleTree};
use gantry_core::value::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Variables and locals of one module instance, locals evaluated on demand; anything that
/// depends on a resource or module output is unknown.
struct StaticScope<'a> {
    cfg: &'a Config,
    dir: &'a Path,
    workspace: &'a str,
    vars: &'a BTreeMap<String, Value>,
    locals: Mutex<HashMap<String, Value>>,
    in_progress: Mutex<HashSet<String>>,
}

impl Resolver for StaticScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match r {
            Reference::Var(n) => Ok(self.vars.get(n).cloned().unwrap_or(Value::Unknown)),
            Reference::Local(n) => {
                if let Some(v) = self
                    .locals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(n)
                    .cloned()
                {
                    return Ok(v);
                }
                let Some(l) = self.cfg.locals.get(n) else {
                    return Ok(Value::Unknown);
                };
                if !self
                    .in_progress
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(n.clone())
                {
                    return Ok(Value::Unknown); // a cycle: the graph reports it
                }
                let v = Evaluator::new(self, self.dir, l.expr.file)
                    .eval(&l.expr.expr)
                    .unwrap_or(Value::Unknown);
                self.in_progress
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(n);
                self.locals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(n.clone(), v.clone());
                Ok(v)
            }
            Reference::PathModule => Ok(Value::string(self.cfg.dir.display().to_string())),
            Reference::PathRoot => Ok(Value::string(self.dir.display().to_string())),
            Reference::TerraformWorkspace => Ok(Value::string(self.workspace)),
            _ => Ok(Value::Unknown),
        }
    }

    fn impure_unknown(&self) -> bool {
        true
    }
}

/// Expands every module call of `root` (recursively) into module instances.
///
/// With `validating`, a call whose count / for_each is unknown becomes one placeholder
/// instance (`[0]` or `["*"]`) and references to the call evaluate to unknown.
pub fn expand_tree(
    root: Arc<Config>,
    vars: &BTreeMap<String, Value>,
    validating: bool,
) -> Result<ModuleTree, Diagnostics> {
    let mut tree = ModuleTree::root_only(root.clone());
    if root.module_calls.is_empty() {
        return Ok(tree);
    }
    let dir = root.dir.clone();
    let workspace = root.workspace.clone();
    let mut diags = Diagnostics::default();
    let mut queue = vec![(ModuleInstance::root(), root, vars.clone())];
    while let Some((module, cfg, vars)) = queue.pop() {
        let scope = StaticScope {
            cfg: &cfg,
            dir: &dir,
            workspace: &workspace,
            vars: &vars,
            locals: Mutex::new(HashMap::new()),
            in_progress: Mutex::new(HashSet::new()),
        };
        for call in cfg.module_calls.values() {
            let Some(child_cfg) = &call.config else {
                continue;
            };
            let exp = match expand_with(call.count.as_ref(), call.for_each.as_ref(), &scope, &dir) {
                Ok(e) => e,
                Err(_) if validating => {
                    tree.placeholders
                        .insert((module.clone(), call.name.clone()));
                    if call.count.is_some() {
                        Expansion::Count(1)
                    } else {
                        Expansion::ForEach(BTreeMap::from([("*".to_string(), Value::Unknown)]))
                    }
                }
                Err(mut d) => {
                    d.detail = format!("{} (module \"{}\": count and for_each of a module call must be known from variables and locals before planning.)", d.detail, call.name);
                    diags.push(d);
                    continue;
                }
            };
            for (key, each) in exp.instances() {
                let child = module.child(&call.name, key.clone());
                let mut child_vars = BTreeMap::new();
                for (name, var) in &child_cfg.variables {
                    let v = match call.inputs.get(name) {
                        Some(e) => {
                            let inst = StaticInstance {
                                base: &scope,
                                key: &key,
                                each: each.as_ref(),
                            };
                            Evaluator::new(&inst, &dir, e.file)
                                .eval(&e.expr)
                                .ok()
                                .and_then(|v| var.ty.convert(&v).ok())
                                .unwrap_or(Value::Unknown)
                        }
                        None => var.default.clone().unwrap_or(Value::Null),
                    };
                    child_vars.insert(name.clone(), v);
                }
                tree.instances.insert(
                    child.clone(),
                    ModuleInfo {
                        config: child_cfg.clone(),
                        call: Some(CallSite {
                            parent: module.clone(),
                            name: call.name.clone(),
                            key,
                            each_value: each,
                        }),
                    },
                );
                queue.push((child, child_cfg.clone(), child_vars));
            }
            tree.calls.insert((module.clone(), call.name.clone()), exp);
        }
    }
    diags.into_result().map(|()| tree)
}

/// `count.index` / `each.*` of a module call over a [`StaticScope`].
struct StaticInstance<'a> {
    base: &'a StaticScope<'a>,
    key: &'a InstanceKey,
    each: Option<&'a Value>,
}

impl Resolver for StaticInstance<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match (r, self.key) {
            (Reference::CountIndex, InstanceKey::Int(i)) => Ok(Value::Number(*i as f64)),
            (Reference::EachKey, InstanceKey::Str(k)) => Ok(Value::string(k.as_str())),
            (Reference::EachValue, InstanceKey::Str(_)) => {
                Ok(self.each.cloned().unwrap_or(Value::Null))
            }
            _ => self.base.resolve(r),
        }
    }

    fn impure_unknown(&self) -> bool {
        true
    }
}
