//! Evaluation scopes: what references resolve to while planning and applying.
//!
//! One [`Scope`] holds the values of every module instance; a [`ModuleScope`] resolves
//! references as written inside one module instance, and an [`InstanceScope`] adds
//! `count.index` / `each.*` for one resource or module instance.

use gantry_core::addr::{InstanceKey, ModuleInstance, ResourceAddr};
use gantry_core::config::{Expr, Resource};
use gantry_core::diag::Diagnostic;
use gantry_core::eval::{Evaluator, Reference, Resolver};
pub use gantry_core::modules::Expansion;
use gantry_core::modules::ModuleTree;
use gantry_core::value::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Values of one module instance known so far in the walk.
#[derive(Clone, Debug, Default)]
pub struct ModuleValues {
    pub vars: BTreeMap<String, Value>,
    pub locals: HashMap<String, Value>,
    pub outputs: BTreeMap<String, Value>,
}

/// Values of variables, locals, module outputs and resource blocks known so far in the walk.
#[derive(Clone, Debug)]
pub struct Scope {
    /// The root module's directory: `path.root`, and where file functions look.
    pub dir: PathBuf,
    pub tree: Arc<ModuleTree>,
    pub modules: HashMap<ModuleInstance, ModuleValues>,
    /// Whole resource blocks (absolute addresses): an object, a list (count) or a map
    /// (for_each).
    pub resources: HashMap<ResourceAddr, Value>,
    /// True while planning: impure functions yield unknown.
    pub planning: bool,
}

impl Scope {
    /// A scope with the root module's variables set.
    pub fn new(
        tree: Arc<ModuleTree>,
        dir: PathBuf,
        vars: BTreeMap<String, Value>,
        planning: bool,
    ) -> Scope {
        let mut modules = HashMap::new();
        modules.insert(
            ModuleInstance::root(),
            ModuleValues {
                vars,
                ..Default::default()
            },
        );
        Scope {
            dir,
            tree,
            modules,
            resources: HashMap::new(),
            planning,
        }
    }

    /// References as written in module instance `module`.
    pub fn at<'a>(&'a self, module: &'a ModuleInstance) -> ModuleScope<'a> {
        ModuleScope {
            scope: self,
            module,
        }
    }

    /// Evaluates an expression of the root module outside any resource instance.
    pub fn eval(&self, e: &Expr) -> Result<Value, Diagnostic> {
        let root = ModuleInstance::root();
        self.at(&root).eval(e)
    }

    /// Evaluates an expression of module instance `module` outside any resource instance.
    pub fn eval_in(&self, module: &ModuleInstance, e: &Expr) -> Result<Value, Diagnostic> {
        self.at(module).eval(e)
    }

    fn values_mut(&mut self, module: &ModuleInstance) -> &mut ModuleValues {
        if !self.modules.contains_key(module) {
            self.modules.insert(module.clone(), ModuleValues::default());
        }
        self.modules.get_mut(module).expect("inserted above")
    }

    pub fn set_var(&mut self, module: &ModuleInstance, name: &str, v: Value) {
        self.values_mut(module).vars.insert(name.to_string(), v);
    }

    pub fn set_local(&mut self, module: &ModuleInstance, name: &str, v: Value) {
        self.values_mut(module).locals.insert(name.to_string(), v);
    }

    pub fn set_output(&mut self, module: &ModuleInstance, name: &str, v: Value) {
        self.values_mut(module).outputs.insert(name.to_string(), v);
    }

    pub fn local(&self, module: &ModuleInstance, name: &str) -> Option<&Value> {
        self.modules.get(module)?.locals.get(name)
    }

    /// Evaluates the value a child module instance's variable `name` receives: its call's
    /// argument (evaluated in the caller, with the call's `count.index` / `each.*`), or its
    /// default; converted to the variable's type and marked when the variable is sensitive.
    pub fn module_variable(
        &self,
        module: &ModuleInstance,
        name: &str,
    ) -> Result<Value, Diagnostic> {
        let (call, site) = self.tree.call_of(module).ok_or_else(|| {
            Diagnostic::error(
                "Unknown module",
                format!("{module} is not a module instance of this configuration."),
            )
        })?;
        let cfg = self
            .tree
            .config(module)
            .ok_or_else(|| Diagnostic::error("Unknown module", module.to_string()))?;
        let var = cfg
            .variables
            .get(name)
            .ok_or_else(|| Diagnostic::error("Unknown variable", format!("{module}.var.{name}")))?;
        let raw = match call.inputs.get(name) {
            Some(e) => {
                let caller = self.at(&site.parent);
                let inst = InstanceScope {
                    base: caller,
                    key: &site.key,
                    each_value: site.each_value.as_ref(),
                };
                Evaluator::new(&inst, &self.dir, e.file).eval(&e.expr)?
            }
            None => var.default.clone().unwrap_or(Value::Null),
        };
        let at = call
            .inputs
            .get(name)
            .and_then(|e| e.span())
            .or_else(|| call.span.clone());
        let mut v = var.ty.convert(&raw).map_err(|m| {
            let m = if var.sensitive || raw.contains_sensitive() {
                "the value is sensitive, so it is not shown".to_string()
            } else {
                m
            };
            Diagnostic::error(
                "Invalid value for input variable",
                format!(
                    "The given value is not suitable for {module}.var.{name} declared at {}: {m}.",
                    var.span
                        .as_ref()
                        .map(|s| self.tree.instances[&ModuleInstance::root()]
                            .config
                            .sources
                            .location(s))
                        .unwrap_or_default()
                ),
            )
            .at(at.clone())
        })?;
        if v.is_null() && !var.nullable {
            match &var.default {
                Some(d) if !d.is_null() => v = d.clone(),
                _ => return Err(Diagnostic::error("Invalid value for input variable", format!("The given value is not suitable for {module}.var.{name}: required variable may not be set to null.")).at(at)),
            }
        }
        Ok(v.mark_if(var.sensitive))
    }
}

fn path_string(p: &std::path::Path) -> Value {
    let s = p.display().to_string();
    Value::string(if s.is_empty() { ".".to_string() } else { s })
}

/// References resolved as written inside one module instance.
#[derive(Clone, Copy)]
pub struct ModuleScope<'a> {
    pub scope: &'a Scope,
    pub module: &'a ModuleInstance,
}

impl ModuleScope<'_> {
    pub fn eval(&self, e: &Expr) -> Result<Value, Diagnostic> {
        Evaluator::new(self, &self.scope.dir, e.file).eval(&e.expr)
    }

    fn values(&self) -> Option<&ModuleValues> {
        self.scope.modules.get(self.module)
    }

    /// `module.NAME`: an object of the call's outputs, or a list / map of them with count /
    /// for_each.
    fn module_value(&self, name: &str, output: Option<&str>) -> Result<Value, String> {
        let tree = &self.scope.tree;
        let call = tree
            .config(self.module)
            .and_then(|c| c.module_calls.get(name))
            .ok_or_else(|| format!("No module call named {name:?} is declared here."))?;
        let key = (self.module.clone(), name.to_string());
        if tree.placeholders.contains(&key) {
            return Ok(Value::Unknown);
        }
        let Some(exp) = tree.calls.get(&key) else {
            return Err(format!("module.{name} is not available here."));
        };
        let outputs: Vec<&String> = call
            .config
            .as_ref()
            .map(|c| c.outputs.keys().collect())
            .unwrap_or_default();
        let mut objects: BTreeMap<InstanceKey, Value> = BTreeMap::new();
        for (key, _) in exp.instances() {
            let child = self.module.child(name, key.clone());
            let vals = self.scope.modules.get(&child);
            let mut m = Map::new();
            for o in &outputs {
                let v = vals
                    .and_then(|v| v.outputs.get(*o))
                    .cloned()
                    .unwrap_or(Value::Unknown);
                m.insert((*o).clone(), v);
            }
            objects.insert(key, Value::map(m));
        }
        let whole = exp.aggregate(|k| objects.get(k));
        match output {
            None => Ok(whole),
            Some(o) if *exp == Expansion::Single => whole
                .get_attr(o)
                .cloned()
                .ok_or_else(|| format!("This object (module.{name}) does not have an attribute named {o:?}.")),
            Some(_) => Err(format!("Missing module instance key: because module.{name} has \"count\" or \"for_each\" set, its outputs must be accessed on a specific instance, such as module.{name}[0].")),
        }
    }
}

impl Resolver for ModuleScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match r {
            Reference::Var(n) => self
                .values()
                .and_then(|v| v.vars.get(n))
                .cloned()
                .ok_or_else(|| {
                    format!("An input variable with the name {n:?} has not been declared.")
                }),
            Reference::Local(n) => self
                .values()
                .and_then(|v| v.locals.get(n))
                .cloned()
                .ok_or_else(|| format!("A local value with the name {n:?} is not available here.")),
            Reference::Resource(a) => {
                let found = if self.module.is_root() {
                    self.scope.resources.get(a)
                } else {
                    self.scope.resources.get(&a.in_module(self.module))
                };
                found.cloned().ok_or_else(|| {
                    format!("The resource {a} is not declared or not available here.")
                })
            }
            Reference::Module(name, output) => self.module_value(name, output.as_deref()),
            Reference::PathModule => Ok(self
                .scope
                .tree
                .config(self.module)
                .map(|c| path_string(&c.dir))
                .unwrap_or_else(|| path_string(&self.scope.dir))),
            Reference::PathRoot => Ok(path_string(&self.scope.dir)),
            Reference::PathCwd => Ok(std::env::current_dir()
                .map(|d| path_string(&d))
                .unwrap_or(Value::Null)),
            Reference::TerraformWorkspace => Ok(Value::string(
                self.scope
                    .tree
                    .config(&ModuleInstance::root())
                    .map(|c| c.workspace.as_str())
                    .unwrap_or("default"),
            )),
            Reference::CountIndex => {
                Err("count.index is only available in a resource with count.".into())
            }
            Reference::EachKey | Reference::EachValue => {
                Err("each is only available in a resource with for_each.".into())
            }
            Reference::SelfObject => {
                Err("The \"self\" object is only available in postcondition blocks.".into())
            }
        }
    }

    fn impure_unknown(&self) -> bool {
        self.scope.planning
    }

    fn source_text(&self, file: gantry_core::diag::FileId) -> Option<&str> {
        let root = self.scope.tree.config(&ModuleInstance::root())?;
        root.sources.files.get(file).map(|f| &*f.text)
    }

    fn provider_source(&self, local: &str) -> Option<String> {
        let cfg = self.scope.tree.config(self.module)?;
        cfg.required_providers
            .contains_key(local)
            .then(|| cfg.provider_source(local))
    }
}

/// A scope for one resource or module instance: adds `count.index` or `each.key` /
/// `each.value`.
pub struct InstanceScope<'a> {
    pub base: ModuleScope<'a>,
    pub key: &'a InstanceKey,
    pub each_value: Option<&'a Value>,
}

impl Resolver for InstanceScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match (r, self.key) {
            (Reference::CountIndex, InstanceKey::Int(i)) => Ok(Value::Number(*i as f64)),
            (Reference::EachKey, InstanceKey::Str(k)) => Ok(Value::string(k.as_str())),
            (Reference::EachValue, InstanceKey::Str(_)) => {
                Ok(self.each_value.cloned().unwrap_or(Value::Null))
            }
            _ => self.base.resolve(r),
        }
    }

    fn impure_unknown(&self) -> bool {
        self.base.scope.planning
    }

    fn source_text(&self, file: gantry_core::diag::FileId) -> Option<&str> {
        self.base.source_text(file)
    }

    fn provider_source(&self, local: &str) -> Option<String> {
        self.base.provider_source(local)
    }
}

/// Evaluates a resource block's `count` / `for_each` in its module instance.
pub fn expand(res: &Resource, scope: ModuleScope) -> Result<Expansion, Diagnostic> {
    expand_with(
        res.count.as_ref(),
        res.for_each.as_ref(),
        &scope,
        &scope.scope.dir,
    )
}

/// Evaluates `count` / `for_each`. Both must be known while planning and not sensitive.
pub fn expand_with(
    count: Option<&Expr>,
    for_each: Option<&Expr>,
    resolver: &dyn Resolver,
    dir: &std::path::Path,
) -> Result<Expansion, Diagnostic> {
    let eval = |e: &Expr| Evaluator::new(resolver, dir, e.file).eval(&e.expr);
    if let Some(c) = count {
        let v = eval(c)?;
        let bad = |detail: &str| {
            Diagnostic::error("Invalid count argument", detail.to_string()).at(c.span())
        };
        if v.contains_sensitive() {
            return Err(bad("Sensitive values, or values derived from sensitive values, cannot be used as count arguments."));
        }
        if v.is_unknown() {
            return Err(bad("The \"count\" value depends on resource attributes that cannot be determined until apply, so gantry cannot predict how many instances will be created. To work around this, use -target to first apply only the resources that the count depends on."));
        }
        let n = match &v {
            Value::Number(n) => *n,
            Value::String(s) => s.parse().map_err(|_| {
                bad("The given \"count\" argument value is unsuitable: a number is required.")
            })?,
            Value::Null => {
                return Err(bad(
                    "The given \"count\" argument value is null. An integer is required.",
                ))
            }
            _ => {
                return Err(bad(
                    "The given \"count\" argument value is unsuitable: a number is required.",
                ))
            }
        };
        if n < 0.0 || n.fract() != 0.0 {
            return Err(bad("The given \"count\" argument value is unsuitable: must be a whole number greater than or equal to zero."));
        }
        return Ok(Expansion::Count(n as usize));
    }
    if let Some(f) = for_each {
        let v = eval(f)?;
        let bad =
            |detail: String| Diagnostic::error("Invalid for_each argument", detail).at(f.span());
        if v.is_sensitive() {
            return Err(bad("Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments.".into()));
        }
        if v.is_unknown() {
            return Err(bad("The \"for_each\" map includes keys or set values that cannot be determined until apply, so gantry cannot determine the full set of keys that will identify the instances of this resource. Use a map with keys known at plan time.".into()));
        }
        return match &v {
            Value::Map(m) => Ok(Expansion::ForEach((**m).clone())),
            Value::Set(items) => {
                let mut keys = BTreeMap::new();
                for item in items.iter() {
                    if item.is_unknown() {
                        return Err(bad("The \"for_each\" set includes values derived from resource attributes that cannot be determined until apply.".into()));
                    }
                    if item.contains_sensitive() {
                        return Err(bad("Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments.".into()));
                    }
                    let Some(s) = item.as_str() else {
                        return Err(bad(format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports sets of strings, but you have provided a set containing type {}.", item.type_name())));
                    };
                    keys.insert(s.to_string(), item.clone());
                }
                Ok(Expansion::ForEach(keys))
            }
            Value::Null => Err(bad("The given \"for_each\" argument value is null. A map, or set of strings is allowed.".into())),
            other => Err(bad(format!("The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.", match other { Value::List(_) => "tuple", o => o.type_name() }))),
        };
    }
    Ok(Expansion::Single)
}
