//! Evaluation scopes: what references resolve to while planning and applying.

use gantry_core::addr::{InstanceKey, ResourceAddr};
use gantry_core::config::{Config, Expr, Resource};
use gantry_core::diag::Diagnostic;
use gantry_core::eval::{Evaluator, Reference, Resolver};
use gantry_core::value::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Values of variables, locals and resource blocks known so far in the walk.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub dir: PathBuf,
    pub vars: BTreeMap<String, Value>,
    pub locals: HashMap<String, Value>,
    /// Whole resource blocks: an object, a list (count) or a map (for_each).
    pub resources: HashMap<ResourceAddr, Value>,
    /// True while planning: impure functions yield unknown.
    pub planning: bool,
}

impl Scope {
    pub fn new(cfg: &Config, vars: BTreeMap<String, Value>, planning: bool) -> Scope {
        Scope {
            dir: cfg.dir.clone(),
            vars,
            planning,
            ..Default::default()
        }
    }

    /// Evaluates an expression outside any resource instance.
    pub fn eval(&self, e: &Expr) -> Result<Value, Diagnostic> {
        Evaluator::new(self, &self.dir, e.file).eval(&e.expr)
    }
}

fn path_string(p: &std::path::Path) -> Value {
    let s = p.display().to_string();
    Value::string(if s.is_empty() { ".".to_string() } else { s })
}

impl Resolver for Scope {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match r {
            Reference::Var(n) => self.vars.get(n).cloned().ok_or_else(|| {
                format!("An input variable with the name {n:?} has not been declared.")
            }),
            Reference::Local(n) => {
                self.locals.get(n).cloned().ok_or_else(|| {
                    format!("A local value with the name {n:?} is not available here.")
                })
            }
            Reference::Resource(a) => {
                self.resources.get(a).cloned().ok_or_else(|| {
                    format!("The resource {a} is not declared or not available here.")
                })
            }
            Reference::PathModule | Reference::PathRoot => Ok(path_string(&self.dir)),
            Reference::PathCwd => Ok(std::env::current_dir()
                .map(|d| path_string(&d))
                .unwrap_or(Value::Null)),
            Reference::TerraformWorkspace => Ok(Value::string("default")),
            Reference::CountIndex => {
                Err("count.index is only available in a resource with count.".into())
            }
            Reference::EachKey | Reference::EachValue => {
                Err("each is only available in a resource with for_each.".into())
            }
        }
    }

    fn impure_unknown(&self) -> bool {
        self.planning
    }
}

/// A scope for one resource instance: adds `count.index` or `each.key` / `each.value`.
pub struct InstanceScope<'a> {
    pub base: &'a Scope,
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
        self.base.planning
    }
}

/// How a resource block expands into instances.
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

/// Evaluates `count` / `for_each`. Both must be known while planning and not sensitive.
pub fn expand(res: &Resource, scope: &Scope) -> Result<Expansion, Diagnostic> {
    if let Some(c) = &res.count {
        let v = scope.eval(c)?;
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
    if let Some(f) = &res.for_each {
        let v = scope.eval(f)?;
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
