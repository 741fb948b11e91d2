//! The engine: a loaded configuration with its module instances, graph, variables and
//! providers, able to refresh state and produce a [`Plan`]. One file per phase:
//! [`reconcile`] (interrupted operations), [`refresh`], [`imports`], [`plan_walk`] (the
//! graph walk that plans), [`instance`] (one resource block and its instances),
//! [`validate`], [`checks`] (`check` blocks), [`moves`] (`moved` / `removed`).

mod capacity;
mod checks;
mod console;
mod costs;
mod imports;
mod instance;
mod moves;
mod plan_walk;
mod reconcile;
mod refresh;
mod validate;

use crate::decode::{apply_ignore_changes, changed_force_new, decode_body, proposed_new, remark};
use crate::plan::{Action, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use crate::scope::{expand, Expansion, InstanceScope, ModuleScope, Scope};
use futures_util::stream::{FuturesUnordered, StreamExt};
use gantry_core::addr::{InstanceAddr, InstanceKey, Mode, ModuleInstance, ResourceAddr};
use gantry_core::config::{ConditionKind, Config, Resource};
use gantry_core::diag::{Diagnostic, Diagnostics, SourceSpan};
use gantry_core::eval::refs::references;
use gantry_core::eval::{Evaluator, Reference, Resolver};
use gantry_core::graph::{self, ConfigGraph, Node};
use gantry_core::modules::ModuleTree;
use gantry_core::provider::{PlanRequest, Provider, Registry, ResourceSchema};
use gantry_core::state::{ResourceInstance, State};
use gantry_core::value::{Path, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub mode: PlanMode,
    /// Read every object's live state first (`-refresh=false` turns it off).
    pub refresh: bool,
    /// `-target`: resource or instance addresses; their dependencies are included.
    pub targets: Vec<String>,
    /// `-replace`: instances to replace even if unchanged.
    pub replace: Vec<InstanceAddr>,
    /// `-exclude` (OpenTofu's): resource or module addresses left out, with everything that
    /// depends on them.
    pub excludes: Vec<String>,
    pub parallelism: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            excludes: Vec::new(),
            parallelism: 10,
        }
    }
}

/// An instance in state, borrowed.
type StateEntry<'a> = (&'a InstanceAddr, &'a ResourceInstance);

/// `-target` resolved: the blocks to plan (targets and their dependencies) and the instance
/// addresses named explicitly.
type Targets = (HashSet<ResourceAddr>, Vec<InstanceAddr>);

pub struct Engine {
    /// The root module's configuration.
    pub config: Arc<Config>,
    /// Every module instance (the root included) with its configuration.
    pub tree: Arc<ModuleTree>,
    pub graph: ConfigGraph,
    pub registry: Registry,
    pub variables: BTreeMap<String, Value>,
    /// `max_concurrency` / `rate_limit` of provider blocks.
    pub limits: crate::limits::Limiters,
    providers: Mutex<HashMap<String, Arc<dyn Provider>>>,
}

/// A diagnostic with no source location, for engine-level failures.
fn error(summary: &str, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error(summary, detail)
}

/// `required_version` of every module against the language version gantry implements, and
/// `required_providers` versions against the built-in providers' versions.
fn check_versions(root: &Config, registry: &Registry) -> Result<(), Diagnostics> {
    use gantry_core::version::{Constraint, Version, LANGUAGE_VERSION};
    let mut diags = Diagnostics::default();
    let ours = Version::parse(LANGUAGE_VERSION).expect("a valid version");
    let mut stack = vec![root];
    while let Some(cfg) = stack.pop() {
        stack.extend(
            cfg.module_calls
                .values()
                .filter_map(|c| c.config.as_deref()),
        );
        for (c, span) in &cfg.required_version {
            match Constraint::parse(c) {
                Ok(k) if k.matches(&ours) => {}
                Ok(_) => diags.push(Diagnostic::error("Unsupported Terraform Core version", format!("This configuration does not support Terraform version {LANGUAGE_VERSION}, the language version gantry implements. To proceed, either choose another supported version or update this version constraint ({c:?}).")).at(span.clone())),
                Err(m) => diags.push(Diagnostic::error("Invalid required_version constraint", m).at(span.clone())),
            }
        }
        for (name, (c, span)) in &cfg.provider_versions {
            let Some(have) = registry.get(name).and_then(|f| f.version()) else {
                continue;
            };
            let Some(v) = Version::parse(have) else {
                continue;
            };
            match Constraint::parse(c) {
                Ok(k) if k.matches(&v) => {}
                Ok(_) => diags.push(Diagnostic::error("Incompatible provider version", format!("The built-in provider {} follows version {have}, which does not match the configured version constraint {c:?}. Change the constraint, or run the provider as a plugin.", root.provider_source(name))).at(span.clone())),
                Err(m) => diags.push(Diagnostic::error("Invalid version constraint", m).at(span.clone())),
            }
        }
    }
    diags.into_result()
}

/// The provider name and alias recorded in a state file's provider address:
/// `provider["registry.terraform.io/hashicorp/aws"].west` → (`aws`, `west`).
pub fn parse_provider_addr(s: &str) -> (String, Option<String>) {
    let inner = s.trim_start_matches("provider[\"");
    let (src, rest) = inner.split_once("\"]").unwrap_or((inner, ""));
    let name = src.rsplit('/').next().unwrap_or(src).to_string();
    let alias = rest.strip_prefix('.').map(String::from);
    (name, alias)
}

impl Engine {
    /// Builds the graph and checks that every resource type has a provider that knows it.
    pub fn new(
        config: Config,
        registry: Registry,
        variables: BTreeMap<String, Value>,
    ) -> Result<Engine, Diagnostics> {
        Engine::build(config, registry, variables, false)
    }

    /// An engine for `validate`: variables may be unknown, so a module call whose count or
    /// for_each is unknown stands for one instance whose value is unknown.
    pub fn for_validate(
        config: Config,
        registry: Registry,
        variables: BTreeMap<String, Value>,
    ) -> Result<Engine, Diagnostics> {
        Engine::build(config, registry, variables, true)
    }

    fn build(
        config: Config,
        registry: Registry,
        variables: BTreeMap<String, Value>,
        validating: bool,
    ) -> Result<Engine, Diagnostics> {
        let config = Arc::new(config);
        check_versions(&config, &registry)?;
        let tree = crate::modules::expand_tree(config.clone(), &variables, validating)?;
        let graph = graph::build_tree(&tree, &config.sources)?;
        let mut diags = Diagnostics::default();
        let mut seen = HashSet::new();
        let blocks = tree
            .instances
            .iter()
            .flat_map(|(m, info)| info.config.resources.values().map(move |r| (m, r)));
        for (m, r) in blocks {
            // One report per block of a module's configuration, not per instance.
            if !seen.insert((m.config_path(), r.addr.clone())) {
                continue;
            }
            let (pname, _) = &tree.provider_for(m, &r.provider);
            let Some(factory) = registry.get(pname) else {
                diags.push(
                    Diagnostic::error(
                        "Missing required provider",
                        format!(
                            "This configuration requires provider {} ({}), which is not built into this gantry binary. Available providers: {}.",
                            pname,
                            config.provider_source(pname),
                            registry.names().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .at(r.span.clone()),
                );
                continue;
            };
            let s = factory.schema();
            let known = match r.addr.mode {
                Mode::Managed => s.resources.contains_key(&*r.addr.rtype),
                Mode::Data => s.data_sources.contains_key(&*r.addr.rtype),
            };
            if !known {
                let what = if r.addr.mode == Mode::Data {
                    "data source"
                } else {
                    "resource type"
                };
                diags.push(
                    Diagnostic::error(
                        format!("Invalid {what}"),
                        format!(
                            "The provider {} does not support {what} {:?}.",
                            config.provider_source(pname),
                            r.addr.rtype
                        ),
                    )
                    .at(r.span.clone()),
                );
            }
        }
        diags.into_result()?;
        let limits = crate::limits::Limiters::from_config(&config);
        Ok(Engine {
            config,
            tree: Arc::new(tree),
            graph,
            registry,
            variables,
            limits,
            providers: Mutex::new(HashMap::new()),
        })
    }

    pub fn schema(&self, addr: &ResourceAddr, provider_name: &str) -> Option<&ResourceSchema> {
        let s = self.registry.get(provider_name)?.schema();
        match addr.mode {
            Mode::Managed => s.resources.get(&*addr.rtype),
            Mode::Data => s.data_sources.get(&*addr.rtype),
        }
    }

    /// The provider address written to state for a provider name and alias.
    pub fn provider_addr(&self, name: &str, alias: Option<&str>) -> String {
        let base = format!("provider[\"{}\"]", self.config.provider_source(name));
        match alias {
            Some(a) => format!("{base}.{a}"),
            None => base,
        }
    }

    /// The configured provider for `(name, alias)`, configuring it on first use from its
    /// `provider` block (evaluated in `scope`), or from an empty configuration.
    pub async fn provider(
        &self,
        name: &str,
        alias: Option<&str>,
        scope: &Scope,
    ) -> Result<Arc<dyn Provider>, Diagnostic> {
        let key = Config::provider_key(name, alias);
        if let Some(p) = self
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let factory = self.registry.get(name).ok_or_else(|| {
            error(
                "Missing required provider",
                format!("Provider {name:?} is not available in this gantry binary."),
            )
        })?;
        let block = self
            .config
            .providers
            .iter()
            .find(|p| p.name == name && p.alias.as_deref() == alias);
        if alias.is_some() && block.is_none() {
            return Err(error(
                "Provider configuration not present",
                format!(
                    "No provider \"{name}\" block with alias {:?} is declared.",
                    alias.unwrap_or_default()
                ),
            ));
        }
        let config = match block {
            Some(b) => {
                let root = ModuleInstance::root();
                let at = scope.at(&root);
                let ev = Evaluator::new(&at, &scope.dir, b.body.file);
                decode_body(
                    &ev,
                    &b.body.body,
                    &factory.schema().provider,
                    b.span.clone(),
                )
                .map_err(|mut d| d.0.remove(0))?
            }
            None => Value::empty_map(),
        };
        let p = factory.configure(&config).await.map_err(|e| {
            error(
                "Failed to configure provider",
                format!("provider {key}: {e}"),
            )
            .at(block.and_then(|b| b.span.clone()))
        })?;
        self.providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, p.clone());
        Ok(p)
    }

    /// An empty scope with the root module's variables.
    pub fn new_scope(&self, planning: bool) -> Scope {
        Scope::new(
            self.tree.clone(),
            self.config.dir.clone(),
            self.variables.clone(),
            planning,
        )
    }

    /// A scope with variables and every local and module variable that depends on no
    /// resource: enough to configure providers before anything else is evaluated.
    pub fn static_scope(&self, planning: bool) -> Scope {
        let mut scope = self.new_scope(planning);
        self.settle_values(&mut scope, false, |node| {
            !self.graph.resource_dependencies(node).is_empty()
        });
        scope
    }

    /// Evaluates locals and module variables (and module outputs, with `outputs`) into
    /// `scope` in dependency order, skipping nodes `skip` names; what fails to evaluate is
    /// left out.
    pub(super) fn settle_values(
        &self,
        scope: &mut Scope,
        outputs: bool,
        skip: impl Fn(&Node) -> bool,
    ) {
        for node in self.graph.order() {
            if skip(node) {
                continue;
            }
            match node {
                Node::Local(m, n) => {
                    if let Some(l) = self.tree.config(m).and_then(|c| c.locals.get(n)) {
                        if let Ok(v) = scope.eval_in(m, &l.expr) {
                            scope.set_local(m, n, v);
                        }
                    }
                }
                Node::Variable(m, n) if !m.is_root() => {
                    if let Ok(v) = scope.module_variable(m, n) {
                        scope.set_var(m, n, v);
                    }
                }
                Node::Output(m, n) if outputs => {
                    if let Some(o) = self.tree.config(m).and_then(|c| c.outputs.get(n)) {
                        if let Ok(v) = scope.eval_in(m, &o.value) {
                            scope.set_output(m, n, v);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The resource block behind an absolute resource address, when the configuration still
    /// has it (in a module instance that still exists).
    pub fn resource(&self, addr: &ResourceAddr) -> Option<&Resource> {
        self.tree.resource(addr)
    }

    /// The provider configuration (name, alias) a resource block uses, after module
    /// `providers` maps and inheritance.
    pub fn provider_for(&self, addr: &ResourceAddr, res: &Resource) -> (String, Option<String>) {
        if addr.module.is_root() {
            return res.provider.clone();
        }
        self.tree.provider_for(&addr.module, &res.provider)
    }

    /// Provider name and alias for an instance: from configuration when the block exists,
    /// otherwise from the provider address recorded in state.
    fn provider_of(
        &self,
        addr: &ResourceAddr,
        inst: &ResourceInstance,
    ) -> (String, Option<String>) {
        match self.resource(addr) {
            Some(r) => self.provider_for(addr, r),
            None => parse_provider_addr(&inst.provider),
        }
    }
}
