//! The engine: a loaded configuration with its graph, variables and providers, able to
//! refresh state and produce a [`Plan`].

use crate::decode::{apply_ignore_changes, changed_force_new, decode_body, proposed_new, remark};
use crate::plan::{Action, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use crate::scope::{expand, Expansion, InstanceScope, Scope};
use futures_util::stream::{FuturesUnordered, StreamExt};
use gantry_core::addr::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use gantry_core::config::{Config, Resource};
use gantry_core::diag::{Diagnostic, Diagnostics, SourceSpan};
use gantry_core::eval::refs::references;
use gantry_core::eval::{Evaluator, Reference};
use gantry_core::graph::{self, ConfigGraph, Node};
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
    pub parallelism: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
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
    pub config: Arc<Config>,
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
        let graph = graph::build(&config)?;
        let mut diags = Diagnostics::default();
        for r in config.resources.values() {
            let (pname, _) = &r.provider;
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
            config: Arc::new(config),
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
                let ev = Evaluator::new(scope, &scope.dir, b.body.file);
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

    /// Settles operations that were sent but never recorded (the process died in between):
    /// a create is looked up by its idempotency token and adopted, or confirmed never made; a
    /// delete is confirmed by reading the object; an update is left to refresh. Returns one
    /// line per operation for the user.
    pub async fn reconcile(&self, state: &mut State) -> Result<Vec<String>, Diagnostics> {
        let pending = std::mem::take(&mut state.pending);
        let scope = self.static_scope(true);
        let mut notes = Vec::new();
        for (addr, op) in pending {
            let (name, alias) = match self.config.resources.get(&addr.resource) {
                Some(r) => r.provider.clone(),
                None => match state.resources.get(&addr) {
                    Some(i) => parse_provider_addr(&i.provider),
                    None => (addr.resource.implied_provider().to_string(), None),
                },
            };
            let provider = self
                .provider(&name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            let rtype = &addr.resource.rtype;
            match op.action.as_str() {
                "create" => match crate::apply::retrying(|| {
                    provider.find_by_token(rtype, &op.token, &op.planned)
                })
                .await
                {
                    Ok(Some(v)) => {
                        let deps = self
                            .graph
                            .resource_dependencies(&Node::Resource(addr.resource.clone()))
                            .iter()
                            .map(|r| r.to_string())
                            .collect();
                        let schema_version = self
                            .schema(&addr.resource, &name)
                            .map(|s| s.version)
                            .unwrap_or(0);
                        let cbd = self
                            .config
                            .resources
                            .get(&addr.resource)
                            .is_some_and(|r| r.lifecycle.create_before_destroy);
                        state.resources.insert(
                            addr.clone(),
                            ResourceInstance {
                                provider: self.provider_addr(&name, alias.as_deref()),
                                value: v,
                                dependencies: deps,
                                schema_version,
                                create_before_destroy: cbd,
                            },
                        );
                        notes.push(format!(
                            "{addr}: adopted the object an interrupted create made"
                        ));
                    }
                    Ok(None) => notes.push(format!("{addr}: the interrupted create made nothing")),
                    Err(e) => {
                        // Keep it pending: never guess when the cloud cannot answer.
                        state.pending.insert(addr.clone(), op.clone());
                        return Err(error(
                            "Cannot reconcile an interrupted operation",
                            format!("{addr}: {e}"),
                        )
                        .into());
                    }
                },
                "delete" => {
                    if let Some(inst) = state.resources.get(&addr).cloned() {
                        let plain = inst.value.unmark_deep().0;
                        match crate::apply::retrying(|| provider.read(rtype, &plain)).await {
                            Ok(None) => {
                                state.resources.remove(&addr);
                                notes.push(format!("{addr}: the interrupted delete completed"));
                            }
                            Ok(Some(_)) => notes.push(format!("{addr}: the interrupted delete did not happen; it is still managed")),
                            Err(e) => {
                                state.pending.insert(addr.clone(), op.clone());
                                return Err(error("Cannot reconcile an interrupted operation", format!("{addr}: {e}")).into());
                            }
                        }
                    }
                }
                _ => notes.push(format!(
                    "{addr}: an interrupted update will be checked by refresh"
                )),
            }
        }
        Ok(notes)
    }

    /// A scope with variables and every local that depends on no resource: enough to
    /// configure providers before anything else is evaluated.
    pub fn static_scope(&self, planning: bool) -> Scope {
        let mut scope = Scope::new(&self.config, self.variables.clone(), planning);
        for node in self.graph.order() {
            if let Node::Local(n) = node {
                if self.graph.resource_dependencies(node).is_empty() {
                    if let Ok(v) = scope.eval(&self.config.locals[n].expr) {
                        scope.locals.insert(n.clone(), v);
                    }
                }
            }
        }
        scope
    }

    /// Provider name and alias for an instance: from configuration when the block exists,
    /// otherwise from the provider address recorded in state.
    fn provider_of(
        &self,
        addr: &ResourceAddr,
        inst: &ResourceInstance,
    ) -> (String, Option<String>) {
        match self.config.resources.get(addr) {
            Some(r) => r.provider.clone(),
            None => parse_provider_addr(&inst.provider),
        }
    }

    /// Reads every managed object in state from its provider, batched per resource type
    /// through `read_many`, with at most `parallelism` batches in flight. Returns the
    /// refreshed state and the drift found.
    pub async fn refresh(
        &self,
        state: &State,
        parallelism: usize,
    ) -> Result<(State, Vec<ResourceChange>), Diagnostics> {
        const BATCH: usize = 1000;
        let scope = self.static_scope(true);
        let mut groups: BTreeMap<(String, Option<String>, String), Vec<StateEntry>> =
            BTreeMap::new();
        for (addr, inst) in &state.resources {
            if addr.resource.mode != Mode::Managed {
                continue;
            }
            let (name, alias) = self.provider_of(&addr.resource, inst);
            groups
                .entry((name, alias, addr.resource.rtype.to_string()))
                .or_default()
                .push((addr, inst));
        }
        let mut batches = Vec::new();
        for ((name, alias, rtype), items) in &groups {
            let provider = self
                .provider(name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            for chunk in items.chunks(BATCH) {
                let key = Config::provider_key(name, alias.as_deref());
                batches.push((provider.clone(), key, rtype.clone(), chunk.to_vec()));
            }
        }
        let mut refreshed = state.clone();
        let mut drift = Vec::new();
        let mut diags = Diagnostics::default();
        let mut pending = batches.into_iter();
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < parallelism.max(1) {
                let Some((provider, key, rtype, chunk)) = pending.next() else {
                    break;
                };
                let limits = &self.limits;
                running.push(async move {
                    let _permits = limits.acquire(&key, &rtype).await;
                    let priors: Vec<Value> =
                        chunk.iter().map(|(_, i)| i.value.unmark_deep().0).collect();
                    let results = provider.read_many(&rtype, &priors).await;
                    (chunk, results)
                });
            }
            let Some((chunk, results)) = running.next().await else {
                break;
            };
            for ((addr, inst), result) in chunk.into_iter().zip(results) {
                let schema = self.schema(&addr.resource, &self.provider_of(&addr.resource, inst).0);
                match result {
                    Ok(Some(v)) => {
                        let v = match schema {
                            Some(s) => remark(&s.block, v, &[&inst.value]),
                            None => v,
                        };
                        if !crate::decode::semantically_equal(&v, &inst.value) {
                            drift.push(self.drift_change(addr, inst, Some(v.clone())));
                            if let Some(r) = refreshed.resources.get_mut(addr) {
                                r.value = v;
                            }
                        }
                    }
                    Ok(None) => {
                        drift.push(self.drift_change(addr, inst, None));
                        refreshed.resources.remove(addr);
                    }
                    Err(e) => diags.push(error("Error refreshing state", format!("{addr}: {e}"))),
                }
            }
        }
        diags.into_result()?;
        drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        Ok((refreshed, drift))
    }

    fn drift_change(
        &self,
        addr: &InstanceAddr,
        inst: &ResourceInstance,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange {
            addr: addr.clone(),
            provider: inst.provider.clone(),
            action: if after.is_some() {
                Action::Update
            } else {
                Action::Delete
            },
            before: Some(inst.value.clone()),
            after,
            replace_paths: vec![],
            reason: None,
            dependencies: inst.dependencies.clone(),
            create_before_destroy: inst.create_before_destroy,
            notes: vec![],
        }
    }

    /// Resource blocks selected by `-target`, with everything they depend on.
    fn target_closure(&self, targets: &[String]) -> Result<Option<Targets>, Diagnostics> {
        if targets.is_empty() {
            return Ok(None);
        }
        let mut blocks = HashSet::new();
        let mut instances = Vec::new();
        for t in targets {
            let a: InstanceAddr = t
                .parse()
                .map_err(|e| Diagnostics::from(error("Invalid target address", format!("{e}"))))?;
            if t.contains('[') {
                instances.push(a.clone());
            }
            blocks.insert(a.resource.clone());
            for d in self
                .graph
                .resource_dependencies(&Node::Resource(a.resource))
            {
                blocks.insert(d);
            }
        }
        Ok(Some((blocks, instances)))
    }

    /// Checks every expression and resource body against its schema without planning:
    /// variables may be unknown, `count.index` and `each.*` are unknown.
    pub fn validate(&self) -> Diagnostics {
        struct AnyInstance<'a>(&'a Scope);
        impl gantry_core::eval::Resolver for AnyInstance<'_> {
            fn resolve(&self, r: &Reference) -> Result<Value, String> {
                match r {
                    Reference::CountIndex | Reference::EachKey | Reference::EachValue => {
                        Ok(Value::Unknown)
                    }
                    other => self.0.resolve(other),
                }
            }
            fn impure_unknown(&self) -> bool {
                true
            }
        }
        let mut scope = Scope::new(&self.config, self.variables.clone(), true);
        let mut diags = Diagnostics::default();
        for node in self.graph.order() {
            match node {
                Node::Variable(_) => {}
                Node::Local(n) => {
                    let v = scope.eval(&self.config.locals[n].expr).unwrap_or_else(|d| {
                        diags.push(d);
                        Value::Unknown
                    });
                    scope.locals.insert(n.clone(), v);
                }
                Node::Resource(r) => {
                    let res = &self.config.resources[r];
                    for e in res.count.iter().chain(res.for_each.iter()) {
                        if let Err(d) = scope.eval(e) {
                            diags.push(d);
                        }
                    }
                    if let Some(schema) = self.schema(r, &res.provider.0) {
                        let any = AnyInstance(&scope);
                        let ev = Evaluator::new(&any, &scope.dir, res.body.file);
                        if let Err(d) =
                            decode_body(&ev, &res.body.body, &schema.block, res.span.clone())
                        {
                            diags.extend(d);
                        }
                    }
                    scope.resources.insert(r.clone(), Value::Unknown);
                }
                Node::Output(n) => {
                    if let Err(d) = scope.eval(&self.config.outputs[n].value) {
                        diags.push(d);
                    }
                }
            }
        }
        diags
    }

    /// Makes a plan against `state`.
    pub async fn plan(&self, state: &State, opts: &PlanOptions) -> Result<Plan, Diagnostics> {
        let (prior, drift) = if opts.refresh {
            self.refresh(state, opts.parallelism).await?
        } else {
            (state.clone(), Vec::new())
        };
        let mut plan = Plan {
            mode: opts.mode,
            changes: Vec::new(),
            drift,
            outputs: Vec::new(),
            variables: self.variables.clone(),
            prior_state: prior,
            state_serial: state.serial,
            config_digest: String::new(),
            timestamp: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            errored: false,
            configuration: crate::json::configuration_json(&self.config),
            relevant_attributes: serde_json::Value::Array(vec![]),
            targets: opts.targets.clone(),
            imports: Vec::new(),
        };
        match opts.mode {
            PlanMode::RefreshOnly => {}
            PlanMode::Destroy => self.plan_destroy(&mut plan)?,
            PlanMode::Normal => self.plan_normal(&mut plan, opts).await?,
        }
        plan.changes.sort_by(|a, b| a.addr.cmp(&b.addr));
        plan.relevant_attributes = crate::json::relevant_attributes(&self.config, &plan);
        self.check_prevent_destroy(&plan)?;
        Ok(plan)
    }

    fn plan_destroy(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        for (addr, inst) in &plan.prior_state.resources {
            if addr.resource.mode == Mode::Data {
                continue;
            }
            plan.changes.push(ResourceChange {
                addr: addr.clone(),
                provider: inst.provider.clone(),
                action: Action::Delete,
                before: Some(inst.value.clone()),
                after: None,
                replace_paths: vec![],
                reason: None,
                dependencies: inst.dependencies.clone(),
                create_before_destroy: inst.create_before_destroy,
                notes: vec![],
            });
        }
        for (name, o) in &plan.prior_state.outputs {
            plan.outputs.push(OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(o.value.clone()),
                after: None,
                sensitive: o.sensitive,
            });
        }
        Ok(())
    }

    /// `import` blocks: reads each object not yet in state from its provider and puts it in
    /// the plan's prior state, so the plan diffs configuration against the real object.
    async fn plan_imports(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::default();
        let scope = self.static_scope(true);
        for imp in &self.config.imports {
            if plan.prior_state.resources.contains_key(&imp.to) {
                continue; // already managed: the block is a no-op, as in Terraform
            }
            let Some(res) = self.config.resources.get(&imp.to.resource) else {
                diags.push(Diagnostic::error("Configuration for import target does not exist", format!("The configuration for the given import target {} does not exist. Add a resource block for it.", imp.to)).at(imp.span.clone()));
                continue;
            };
            let id = match scope.eval(&imp.id) {
                Ok(v) if v.as_str().is_some() => v.as_str().unwrap_or_default().to_string(),
                Ok(_) => {
                    diags.push(
                        Diagnostic::error(
                            "Invalid import id",
                            "The import id must be a string known before planning.",
                        )
                        .at(imp.id.span()),
                    );
                    continue;
                }
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let (name, alias) = res.provider.clone();
            let provider = self
                .provider(&name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            match crate::apply::retrying(|| provider.import(&imp.to.resource.rtype, &id)).await {
                Ok(Some(v)) => {
                    let deps = self.graph.resource_dependencies(&Node::Resource(imp.to.resource.clone())).iter().map(|r| r.to_string()).collect();
                    let schema_version = self.schema(&imp.to.resource, &name).map(|s| s.version).unwrap_or(0);
                    plan.prior_state.resources.insert(
                        imp.to.clone(),
                        ResourceInstance { provider: self.provider_addr(&name, alias.as_deref()), value: v, dependencies: deps, schema_version, create_before_destroy: res.lifecycle.create_before_destroy },
                    );
                    plan.imports.push((imp.to.clone(), id));
                }
                Ok(None) => diags.push(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {}, the provider detected that no object exists with the id {id:?}. Only pre-existing objects can be imported; check that the id is correct.", imp.to)).at(imp.span.clone())),
                Err(e) => diags.push(Diagnostic::error("Import failed", format!("{}: {e}", imp.to)).at(imp.span.clone())),
            }
        }
        diags.into_result()
    }

    async fn plan_normal(&self, plan: &mut Plan, opts: &PlanOptions) -> Result<(), Diagnostics> {
        self.plan_imports(plan).await?;
        let targets = self.target_closure(&opts.targets)?;
        let mut scope = Scope::new(&self.config, self.variables.clone(), true);
        let mut diags = Diagnostics::default();
        // Blocks with pending changes, for data sources and replace_triggered_by.
        let mut changed_blocks: HashSet<ResourceAddr> = HashSet::new();
        for node in self.graph.order() {
            match node {
                Node::Variable(_) => {}
                Node::Local(n) => match scope.eval(&self.config.locals[n].expr) {
                    Ok(v) => {
                        scope.locals.insert(n.clone(), v);
                    }
                    Err(d) => {
                        diags.push(d);
                        scope.locals.insert(n.clone(), Value::Unknown);
                    }
                },
                Node::Resource(r) => {
                    let res = &self.config.resources[r];
                    let included = targets
                        .as_ref()
                        .is_none_or(|(blocks, _)| blocks.contains(r));
                    if !included {
                        self.scope_from_state(&mut scope, res, &plan.prior_state);
                        continue;
                    }
                    match self
                        .plan_resource(res, &mut scope, plan, opts, &changed_blocks)
                        .await
                    {
                        Ok(changed) => {
                            if changed {
                                changed_blocks.insert(r.clone());
                            }
                        }
                        Err(d) => {
                            diags.extend(d);
                            scope.resources.insert(r.clone(), Value::Unknown);
                        }
                    }
                }
                Node::Output(n) => {
                    let o = &self.config.outputs[n];
                    match scope.eval(&o.value) {
                        Ok(v) => {
                            if v.contains_sensitive() && !o.sensitive {
                                diags.push(Diagnostic::error("Output refers to sensitive values", "To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, gantry requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent. If you do intend to export this data, annotate the output value as sensitive by adding the following argument:\n    sensitive = true").at(o.span.clone()));
                                continue;
                            }
                            let v = v.mark_if(o.sensitive);
                            let before = plan.prior_state.outputs.get(n).map(|x| x.value.clone());
                            let action = match &before {
                                None => Action::Create,
                                Some(b)
                                    if b.unmark_deep().0 == v.unmark_deep().0
                                        && v.is_wholly_known() =>
                                {
                                    Action::NoOp
                                }
                                Some(_) => Action::Update,
                            };
                            plan.outputs.push(OutputChange {
                                name: n.clone(),
                                action,
                                before,
                                after: Some(v),
                                sensitive: o.sensitive,
                            });
                        }
                        Err(d) => diags.push(d),
                    }
                }
            }
        }
        if targets.is_none() {
            for (name, o) in &plan.prior_state.outputs {
                if !self.config.outputs.contains_key(name) {
                    plan.outputs.push(OutputChange {
                        name: name.clone(),
                        action: Action::Delete,
                        before: Some(o.value.clone()),
                        after: None,
                        sensitive: o.sensitive,
                    });
                }
            }
        }
        // Objects whose resource block is gone from the configuration.
        for (addr, inst) in &plan.prior_state.resources {
            if self.config.resources.contains_key(&addr.resource)
                || addr.resource.mode == Mode::Data
            {
                continue;
            }
            if let Some((blocks, _)) = &targets {
                if !blocks.contains(&addr.resource) {
                    continue;
                }
            }
            plan.changes.push(ResourceChange {
                addr: addr.clone(),
                provider: inst.provider.clone(),
                action: Action::Delete,
                before: Some(inst.value.clone()),
                after: None,
                replace_paths: vec![],
                reason: Some(Reason::DeleteBecauseNoResourceConfig),
                dependencies: inst.dependencies.clone(),
                create_before_destroy: inst.create_before_destroy,
                notes: vec![],
            });
        }
        // Instance-level targets: drop changes to other instances of targeted blocks, unless
        // something targeted depends on them.
        if let Some((blocks, instances)) = &targets {
            if !instances.is_empty() {
                let explicit_blocks: HashSet<&ResourceAddr> =
                    instances.iter().map(|i| &i.resource).collect();
                plan.changes.retain(|c| {
                    !explicit_blocks.contains(&c.addr.resource)
                        || instances.contains(&c.addr)
                        || !blocks.contains(&c.addr.resource)
                });
            }
        }
        diags.into_result()
    }

    /// Puts a block's state values into scope without planning it (untargeted blocks).
    fn scope_from_state(&self, scope: &mut Scope, res: &Resource, state: &State) {
        let values: BTreeMap<InstanceKey, &Value> = state
            .instances_of(&res.addr)
            .map(|(a, i)| (a.key.clone(), &i.value))
            .collect();
        let exp = if res.count.is_some() {
            Expansion::Count(values.len())
        } else if res.for_each.is_some() {
            Expansion::ForEach(
                values
                    .keys()
                    .filter_map(|k| match k {
                        InstanceKey::Str(s) => Some((s.clone(), Value::Null)),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            Expansion::Single
        };
        scope
            .resources
            .insert(res.addr.clone(), exp.aggregate(|k| values.get(k).copied()));
    }

    /// Plans every instance of one resource block. Returns whether anything changes.
    async fn plan_resource(
        &self,
        res: &Resource,
        scope: &mut Scope,
        plan: &mut Plan,
        opts: &PlanOptions,
        changed_blocks: &HashSet<ResourceAddr>,
    ) -> Result<bool, Diagnostics> {
        let exp = expand(res, scope)?;
        let (pname, alias) = &res.provider;
        let provider = self.provider(pname, alias.as_deref(), scope).await?;
        let schema = self.schema(&res.addr, pname).ok_or_else(|| {
            error(
                "Invalid resource type",
                format!("{} has no schema", res.addr),
            )
        })?;
        let provider_addr = self.provider_addr(pname, alias.as_deref());
        let dep_blocks = self
            .graph
            .resource_dependencies(&Node::Resource(res.addr.clone()));
        let depends_on_changes = dep_blocks.iter().any(|d| changed_blocks.contains(d));
        let deps: Vec<String> = dep_blocks.iter().map(|r| r.to_string()).collect();
        let mut values: BTreeMap<InstanceKey, Value> = BTreeMap::new();
        let mut diags = Diagnostics::default();
        let mut changed = false;
        let wanted: BTreeSet<InstanceKey> = exp.instances().into_iter().map(|(k, _)| k).collect();

        for (key, each) in exp.instances() {
            let addr = res.addr.instance(key.clone());
            let iscope = InstanceScope {
                base: scope,
                key: &key,
                each_value: each.as_ref(),
            };
            let ev = Evaluator::new(&iscope, &scope.dir, res.body.file);
            let config = match decode_body(&ev, &res.body.body, &schema.block, res.span.clone()) {
                Ok(c) => c,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            for m in provider.validate(&res.addr.rtype, &config.unmark_deep().0) {
                diags.push(
                    Diagnostic::error("Invalid resource configuration", format!("{addr}: {m}"))
                        .at(res.span.clone()),
                );
            }
            let prior = plan.prior_state.resources.get(&addr);
            let change = if res.addr.mode == Mode::Data {
                self.plan_data(
                    &addr,
                    &provider,
                    &config,
                    depends_on_changes,
                    &provider_addr,
                )
                .await
            } else {
                let triggered = self.replace_triggered(res, &iscope, changed_blocks);
                self.plan_instance(
                    &addr,
                    &provider,
                    schema,
                    res,
                    prior,
                    &config,
                    opts,
                    triggered,
                    &provider_addr,
                    &deps,
                )
                .await
            };
            match change {
                Ok(c) => {
                    if let Some(v) = &c.after {
                        values.insert(key.clone(), v.clone());
                    }
                    if c.action != Action::NoOp {
                        changed = true;
                    }
                    if c.action == Action::NoOp && res.addr.mode == Mode::Data {
                        // A data source read now: record its result in the prior state.
                        if let Some(v) = &c.after {
                            plan.prior_state.resources.insert(
                                addr.clone(),
                                ResourceInstance {
                                    provider: provider_addr.clone(),
                                    value: v.clone(),
                                    dependencies: vec![],
                                    schema_version: schema.version,
                                    create_before_destroy: false,
                                },
                            );
                        }
                    }
                    plan.changes.push(c);
                }
                Err(d) => diags.push(d.at(res.span.clone())),
            }
        }
        // Instances in state that the expansion no longer includes.
        let orphans: Vec<(InstanceAddr, ResourceInstance)> = plan
            .prior_state
            .instances_of(&res.addr)
            .filter(|(a, _)| !wanted.contains(&a.key))
            .map(|(a, i)| (a.clone(), i.clone()))
            .collect();
        for (addr, inst) in orphans {
            if res.addr.mode == Mode::Data {
                plan.prior_state.resources.remove(&addr);
                continue;
            }
            changed = true;
            let reason = match (&addr.key, &exp) {
                (InstanceKey::Int(_), Expansion::Count(_)) => Reason::DeleteBecauseCountIndex,
                (InstanceKey::Str(_), Expansion::ForEach(_)) => Reason::DeleteBecauseEachKey,
                _ => Reason::DeleteBecauseNoInstance,
            };
            plan.changes.push(ResourceChange {
                addr,
                provider: inst.provider.clone(),
                action: Action::Delete,
                before: Some(inst.value.clone()),
                after: None,
                replace_paths: vec![],
                reason: Some(reason),
                dependencies: inst.dependencies.clone(),
                create_before_destroy: inst.create_before_destroy,
                notes: vec![],
            });
        }
        scope
            .resources
            .insert(res.addr.clone(), exp.aggregate(|k| values.get(k)));
        diags.into_result().map(|()| changed)
    }

    /// True when a `replace_triggered_by` reference points at a block with changes.
    fn replace_triggered(
        &self,
        res: &Resource,
        _scope: &InstanceScope,
        changed: &HashSet<ResourceAddr>,
    ) -> bool {
        res.lifecycle.replace_triggered_by.iter().any(|e| {
            references(&e.expr)
                .iter()
                .any(|f| matches!(&f.reference, Ok(Reference::Resource(r)) if changed.contains(r)))
        })
    }

    async fn plan_data(
        &self,
        addr: &InstanceAddr,
        provider: &Arc<dyn Provider>,
        config: &Value,
        depends_on_changes: bool,
        provider_addr: &str,
    ) -> Result<ResourceChange, Diagnostic> {
        let base = ResourceChange {
            addr: addr.clone(),
            provider: provider_addr.to_string(),
            action: Action::Read,
            before: None,
            after: Some(Value::Unknown),
            replace_paths: vec![],
            reason: None,
            dependencies: vec![],
            create_before_destroy: false,
            notes: vec![],
        };
        if !config.is_wholly_known() {
            return Ok(ResourceChange {
                reason: Some(Reason::ReadBecauseConfigUnknown),
                ..base
            });
        }
        if depends_on_changes {
            return Ok(ResourceChange {
                reason: Some(Reason::ReadBecauseDependencyPending),
                ..base
            });
        }
        let v = provider
            .read_data(&addr.resource.rtype, &config.unmark_deep().0)
            .await
            .map_err(|e| error("Error reading data source", format!("{addr}: {e}")))?;
        Ok(ResourceChange {
            action: Action::NoOp,
            after: Some(v),
            ..base
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_instance(
        &self,
        addr: &InstanceAddr,
        provider: &Arc<dyn Provider>,
        schema: &ResourceSchema,
        res: &Resource,
        prior: Option<&ResourceInstance>,
        config: &Value,
        opts: &PlanOptions,
        triggered: bool,
        provider_addr: &str,
        deps: &[String],
    ) -> Result<ResourceChange, Diagnostic> {
        let prior_v = prior.map(|p| &p.value);
        let (planned, mut replace, notes) = self
            .provider_plan(provider, addr, schema, res, prior_v, config)
            .await?;
        let mut reason = None;
        if !replace.is_empty() {
            reason = Some(Reason::ReplaceBecauseCannotUpdate);
        }
        if prior.is_some() && opts.replace.contains(addr) {
            reason = Some(Reason::ReplaceByRequest);
            replace.push(vec![]);
        }
        if prior.is_some() && triggered && replace.is_empty() {
            reason = Some(Reason::ReplaceByTriggers);
            replace.push(vec![]);
        }
        let base = ResourceChange {
            addr: addr.clone(),
            provider: provider_addr.to_string(),
            action: Action::NoOp,
            before: prior_v.cloned(),
            after: Some(planned.clone()),
            replace_paths: replace.iter().filter(|p| !p.is_empty()).cloned().collect(),
            reason: None,
            dependencies: deps.to_vec(),
            create_before_destroy: res.lifecycle.create_before_destroy,
            notes,
        };
        let Some(prior_v) = prior_v else {
            return Ok(ResourceChange {
                action: Action::Create,
                ..base
            });
        };
        if !replace.is_empty() {
            // A replacement is planned as a create: computed attributes become unknown.
            let (fresh, _, notes) = self
                .provider_plan(provider, addr, schema, res, None, config)
                .await?;
            let action = if res.lifecycle.create_before_destroy {
                Action::CreateThenDelete
            } else {
                Action::DeleteThenCreate
            };
            return Ok(ResourceChange {
                action,
                after: Some(fresh),
                reason,
                notes,
                ..base
            });
        }
        if crate::decode::semantically_equal(&planned, prior_v) {
            return Ok(ResourceChange {
                after: Some(prior_v.clone()),
                ..base
            });
        }
        Ok(ResourceChange {
            action: Action::Update,
            ..base
        })
    }

    /// The generic rules (proposed new state, ignore_changes, force-new) plus the provider's
    /// own plan. Returns the planned value and the paths that require replacement.
    pub async fn provider_plan(
        &self,
        provider: &Arc<dyn Provider>,
        addr: &InstanceAddr,
        schema: &ResourceSchema,
        res: &Resource,
        prior: Option<&Value>,
        config: &Value,
    ) -> Result<(Value, Vec<Path>, Vec<String>), Diagnostic> {
        let proposed = proposed_new(&schema.block, prior, config);
        let proposed = apply_ignore_changes(
            &schema.block,
            &res.lifecycle.ignore_changes,
            prior,
            proposed,
        );
        let (proposed_plain, _) = proposed.unmark_deep();
        let (config_plain, _) = config.unmark_deep();
        let prior_plain = prior.map(|p| p.unmark_deep().0);
        let resp = provider
            .plan(PlanRequest {
                type_name: &addr.resource.rtype,
                prior: prior_plain.as_ref(),
                proposed: &proposed_plain,
                config: &config_plain,
            })
            .await
            .map_err(|e| error("Error planning resource", format!("{addr}: {e}")))?;
        let planned = remark(&schema.block, resp.planned, &[config, &proposed]);
        let mut replace = resp.requires_replace;
        if let Some(p) = prior {
            for path in changed_force_new(&schema.block, p, &planned) {
                if !replace.contains(&path) {
                    replace.push(path);
                }
            }
        }
        Ok((planned, replace, resp.notes))
    }

    /// `prevent_destroy`: a plan that would destroy such an object is an error.
    fn check_prevent_destroy(&self, plan: &Plan) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::default();
        for c in &plan.changes {
            if !c.action.deletes() {
                continue;
            }
            if let Some(res) = self.config.resources.get(&c.addr.resource) {
                if res.lifecycle.prevent_destroy {
                    diags.push(
                        Diagnostic::error(
                            "Instance cannot be destroyed",
                            format!("Resource {} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target option.", c.addr),
                        )
                        .at(prevent_destroy_span(res)),
                    );
                }
            }
        }
        diags.into_result()
    }
}

/// The span of `prevent_destroy = true`, falling back to the resource block.
fn prevent_destroy_span(res: &Resource) -> Option<SourceSpan> {
    res.span.clone()
}
