//! The applier: executes a plan as a dependency graph, each step starting as soon as the steps
//! it depends on have finished, with at most `parallelism` steps in flight.
//!
//! Every completed operation is appended to the state journal (fsynced) before dependents
//! start, so a crash loses nothing that finished. A failed step skips its dependents only;
//! independent branches run to completion.

use crate::decode::{decode_body, remark};
use crate::engine::Engine;
use crate::journal::GroupCommit;
pub use crate::journal::{NoJournal, StateSink};
use crate::plan::{Action, Plan, PlanMode, Summary};
pub use crate::retry::retrying;
use crate::scope::{expand, Expansion, InstanceScope, Scope};
use futures_util::stream::{FuturesUnordered, StreamExt};
use gantry_core::addr::{InstanceAddr, InstanceKey, ModuleInstance, ResourceAddr};
use gantry_core::config::ConditionKind;
use gantry_core::diag::{Diagnostic, Diagnostics};
use gantry_core::eval::Evaluator;
use gantry_core::graph::Node;
use gantry_core::provider::{Op, Progress, Provider};
use gantry_core::state::{JournalEntry, OutputValue, ResourceInstance, State};
use gantry_core::value::{Map, Value};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the applier reports as it goes.
#[derive(Debug)]
pub enum ApplyEvent<'a> {
    Start {
        addr: &'a InstanceAddr,
        action: Action,
    },
    /// Periodic or provider-reported status while an operation waits.
    Status {
        addr: &'a InstanceAddr,
        action: Action,
        elapsed: Duration,
        status: Option<&'a str>,
    },
    Done {
        addr: &'a InstanceAddr,
        action: Action,
        elapsed: Duration,
        id: Option<String>,
    },
    Failed {
        addr: &'a InstanceAddr,
        action: Action,
        message: &'a str,
    },
}

pub trait ApplyObserver: Send + Sync {
    fn event(&self, event: ApplyEvent<'_>);
}

/// An observer that ignores everything.
pub struct Quiet;

impl ApplyObserver for Quiet {
    fn event(&self, _event: ApplyEvent<'_>) {}
}

#[derive(Debug)]
pub struct ApplyOutcome {
    pub state: State,
    /// Each failed step, with the address in its message.
    pub failures: Vec<Diagnostic>,
    /// Steps skipped because something they depend on failed.
    pub skipped: usize,
    /// Completed resource operations.
    pub applied: Summary,
    /// Creates whose idempotency tokens stay until the state reaches a remote store
    /// (see `crate::settle`); empty with local state.
    pub settles: Vec<crate::settle::DeferredSettle>,
}

#[derive(Clone, Debug)]
enum Step {
    /// A child module instance's input variable.
    Variable(ModuleInstance, String),
    Local(ModuleInstance, String),
    Output(ModuleInstance, String),
    /// All of a block's dependencies are done; evaluates for_each for `each.value`.
    Start(ResourceAddr),
    /// All of a block's instances are done; publishes the block's value.
    Barrier(ResourceAddr),
    Apply(usize),
    Destroy(usize),
    DestroyStart,
    DestroyDone,
}

struct Ctx<'a> {
    engine: &'a Engine,
    plan: &'a Plan,
    providers: HashMap<(String, Option<String>), Arc<dyn Provider>>,
    scope: Mutex<Scope>,
    each: Mutex<HashMap<ResourceAddr, BTreeMap<String, Value>>>,
    values: Mutex<HashMap<ResourceAddr, BTreeMap<InstanceKey, Value>>>,
    state: Mutex<State>,
    journal: GroupCommit,
    outputs: Mutex<BTreeMap<String, OutputValue>>,
    applied: Mutex<Summary>,
    observer: &'a dyn ApplyObserver,
    /// Settles held back until the state reaches a remote store (`crate::settle`).
    deferred: Option<Mutex<Vec<crate::settle::DeferredSettle>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies `plan`. The returned state holds every operation that completed, failures included.
pub async fn apply(
    engine: &Engine,
    plan: &Plan,
    sink: Box<dyn StateSink>,
    observer: &dyn ApplyObserver,
    parallelism: usize,
) -> Result<ApplyOutcome, Diagnostics> {
    let mut state = plan.prior_state.clone();
    if plan.mode == PlanMode::RefreshOnly {
        state.outputs = plan.prior_state.outputs.clone();
        return Ok(ApplyOutcome {
            state,
            failures: vec![],
            skipped: 0,
            applied: Summary::default(),
            settles: Vec::new(),
        });
    }

    // Providers are configured up front so no step awaits configuration while holding scope.
    let static_scope = engine.static_scope(false);
    let mut providers = HashMap::new();
    for c in &plan.changes {
        let key = match engine.resource(&c.addr.resource) {
            Some(r) => engine.provider_for(&c.addr.resource, r),
            None => crate::engine::parse_provider_addr(&c.provider),
        };
        if let std::collections::hash_map::Entry::Vacant(e) = providers.entry(key.clone()) {
            e.insert(
                engine
                    .provider(&key.0, key.1.as_deref(), &static_scope)
                    .await
                    .map_err(Diagnostics::from)?,
            );
        }
    }

    let mut values: HashMap<ResourceAddr, BTreeMap<InstanceKey, Value>> = HashMap::new();
    for (addr, inst) in &state.resources {
        values
            .entry(addr.resource.clone())
            .or_default()
            .insert(addr.key.clone(), inst.value.clone());
    }
    for c in &plan.changes {
        if c.action != Action::NoOp {
            if let Some(m) = values.get_mut(&c.addr.resource) {
                m.remove(&c.addr.key);
            }
        }
    }
    let outputs = if plan.targets.is_empty() {
        BTreeMap::new()
    } else {
        state.outputs.clone()
    };
    let ctx = Ctx {
        engine,
        plan,
        providers,
        scope: Mutex::new(engine.new_scope(false)),
        each: Mutex::new(HashMap::new()),
        values: Mutex::new(values),
        state: Mutex::new(state),
        deferred: sink.defers_settle().then(|| Mutex::new(Vec::new())),
        journal: GroupCommit::start(sink),
        outputs: Mutex::new(outputs),
        applied: Mutex::new(Summary::default()),
        observer,
    };
    // Objects adopted by import blocks become durable before anything else runs.
    for (addr, _) in &plan.imports {
        if let Some(inst) = plan.prior_state.resources.get(addr) {
            let entry = JournalEntry::set(addr, inst);
            if let Err(e) = ctx.journal.commit(vec![entry]).await {
                return Err(Diagnostic::error(
                    "Failed to persist state",
                    format!("writing the state journal: {e}"),
                )
                .into());
            }
            lock(&ctx.applied).import += 1;
        }
    }
    // Objects moved or forgotten by refactoring blocks: durable before anything else runs.
    let mut refactors = Vec::new();
    for (from, to) in &plan.moves {
        if let Some(inst) = plan.prior_state.resources.get(to) {
            refactors.push(JournalEntry::Remove {
                addr: from.to_string(),
            });
            refactors.push(JournalEntry::set(to, inst));
        }
    }
    for a in &plan.forgets {
        refactors.push(JournalEntry::Remove {
            addr: a.to_string(),
        });
        lock(&ctx.state).resources.remove(a);
    }
    if !refactors.is_empty() {
        if let Err(e) = ctx.journal.commit(refactors).await {
            return Err(Diagnostic::error(
                "Failed to persist state",
                format!("writing the state journal: {e}"),
            )
            .into());
        }
    }
    let graph = build_graph(engine, plan)?;
    let (failures, skipped) = run(&ctx, &graph, parallelism).await;

    let mut state = ctx.state.into_inner().unwrap_or_else(|e| e.into_inner());
    let evaluated = ctx.outputs.into_inner().unwrap_or_else(|e| e.into_inner());
    if plan.mode == PlanMode::Destroy && failures.is_empty() {
        // Data sources are only cached reads: a destroyed configuration keeps none.
        state
            .resources
            .retain(|a, _| a.resource.mode != gantry_core::addr::Mode::Data);
    }
    state.outputs = match plan.mode {
        PlanMode::Destroy => BTreeMap::new(),
        _ => {
            // Outputs skipped by a failure keep their previous value.
            let mut out = evaluated;
            for (k, v) in &plan.prior_state.outputs {
                if engine.config.outputs.contains_key(k) && !out.contains_key(k) {
                    out.insert(k.clone(), v.clone());
                }
            }
            out
        }
    };
    let entry = JournalEntry::Outputs {
        outputs: state.to_json("")["outputs"].clone(),
    };
    let committed = ctx.journal.commit(vec![entry]).await;
    let stats = ctx.journal.finish();
    tracing::debug!(
        entries = stats.entries,
        flushes = stats.flushes,
        "journal written"
    );
    if let Err(e) = committed {
        return Err(Diagnostic::error(
            "Failed to persist state",
            format!("writing the state journal: {e}"),
        )
        .into());
    }
    let applied = ctx.applied.into_inner().unwrap_or_else(|e| e.into_inner());
    let settles = ctx
        .deferred
        .map(|d| d.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unwrap_or_default();
    Ok(ApplyOutcome {
        state,
        failures,
        skipped,
        applied,
        settles,
    })
}

fn build_graph(engine: &Engine, plan: &Plan) -> Result<DiGraph<Step, ()>, Diagnostics> {
    let mut g: DiGraph<Step, ()> = DiGraph::new();
    let mut variable = HashMap::new();
    let mut local = HashMap::new();
    let mut output = HashMap::new();
    let mut start = HashMap::new();
    let mut barrier = HashMap::new();
    let destroying = plan.mode == PlanMode::Destroy;
    if !destroying {
        for node in engine.graph.order() {
            match node {
                Node::Variable(m, n) => {
                    if !m.is_root() {
                        let step = g.add_node(Step::Variable(m.clone(), n.clone()));
                        variable.insert((m, n), step);
                    }
                }
                Node::Local(m, n) => {
                    local.insert((m, n), g.add_node(Step::Local(m.clone(), n.clone())));
                }
                Node::Output(m, n) => {
                    output.insert((m, n), g.add_node(Step::Output(m.clone(), n.clone())));
                }
                Node::Resource(r) => {
                    let s = g.add_node(Step::Start(r.clone()));
                    let b = g.add_node(Step::Barrier(r.clone()));
                    g.add_edge(s, b, ());
                    start.insert(r.clone(), s);
                    barrier.insert(r.clone(), b);
                }
            }
        }
        for node in engine.graph.order() {
            let entry = match node {
                Node::Local(m, n) => local[&(m, n)],
                Node::Output(m, n) => output[&(m, n)],
                Node::Resource(r) => start[r],
                Node::Variable(m, n) => match variable.get(&(m, n)) {
                    Some(&v) => v,
                    None => continue,
                },
            };
            for dep in engine.graph.dependencies(node) {
                let done = match dep {
                    Node::Local(m, n) => local[&(m, n)],
                    Node::Resource(r) => barrier[r],
                    Node::Variable(m, n) => match variable.get(&(m, n)) {
                        Some(&v) => v,
                        None => continue,
                    },
                    // Module outputs feed their callers; root outputs feed nothing.
                    Node::Output(m, n) => output[&(m, n)],
                };
                g.add_edge(done, entry, ());
            }
        }
    }
    let mut destroy_start: HashMap<ResourceAddr, NodeIndex> = HashMap::new();
    let mut destroy_done: HashMap<ResourceAddr, NodeIndex> = HashMap::new();
    let mut destroy_deps: HashMap<ResourceAddr, std::collections::BTreeSet<ResourceAddr>> =
        HashMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let r = &c.addr.resource;
        // Destroy order follows `dependencies`, which name configuration addresses.
        let cr = r.config_addr();
        let apply_node = match c.action {
            Action::NoOp | Action::Delete => None,
            _ => {
                let (Some(&s), Some(&b)) = (start.get(r), barrier.get(r)) else {
                    continue;
                };
                let n = g.add_node(Step::Apply(i));
                g.add_edge(s, n, ());
                g.add_edge(n, b, ());
                Some(n)
            }
        };
        if c.action.deletes() {
            let ds = *destroy_start
                .entry(cr.clone())
                .or_insert_with(|| g.add_node(Step::DestroyStart));
            let dd = *destroy_done
                .entry(cr.clone())
                .or_insert_with(|| g.add_node(Step::DestroyDone));
            let n = g.add_node(Step::Destroy(i));
            g.add_edge(ds, n, ());
            g.add_edge(n, dd, ());
            if let Some(a) = apply_node {
                match c.action {
                    Action::CreateThenDelete => g.add_edge(a, n, ()),
                    _ => g.add_edge(n, a, ()),
                };
            }
            let deps = destroy_deps.entry(cr).or_default();
            for d in &c.dependencies {
                if let Ok(a) = d.parse::<InstanceAddr>() {
                    deps.insert(a.resource);
                }
            }
        }
    }
    // Dependents are destroyed before what they depend on.
    for (r, deps) in &destroy_deps {
        for d in deps {
            if let (Some(&done), Some(&next)) = (destroy_done.get(r), destroy_start.get(d)) {
                if done != next {
                    g.add_edge(done, next, ());
                }
            }
        }
    }
    if petgraph::algo::is_cyclic_directed(&g) {
        return Err(Diagnostic::error("Cycle in apply order", "The planned changes cannot be ordered: replacing these objects with create_before_destroy would need each to exist before the other. Apply the changes in two steps with -target.").into());
    }
    Ok(g)
}

/// Runs every step once its predecessors are done. Returns failures and the skipped count.
async fn run(ctx: &Ctx<'_>, g: &DiGraph<Step, ()>, parallelism: usize) -> (Vec<Diagnostic>, usize) {
    let mut indegree: Vec<usize> = g
        .node_indices()
        .map(|i| {
            g.neighbors_directed(i, petgraph::Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: Vec<NodeIndex> = g
        .node_indices()
        .filter(|i| indegree[i.index()] == 0)
        .collect();
    ready.reverse();
    let mut running = FuturesUnordered::new();
    let mut failures = Vec::new();
    let mut finished = 0usize;
    let mut interrupts = interrupt::subscribe();
    loop {
        // After an interrupt nothing new starts; what is in flight finishes and is recorded.
        while running.len() < parallelism.max(1) && interrupt::count() == 0 {
            let Some(i) = ready.pop() else { break };
            running.push(async move { (i, execute(ctx, &g[i]).await) });
        }
        if running.is_empty() {
            break;
        }
        let next = tokio::select! {
            n = running.next() => n,
            _ = interrupts.changed() => {
                if interrupt::count() >= 2 {
                    // A second interrupt stops waiting. Operations still in flight keep their
                    // journaled intents, which the next run reconciles.
                    failures.push(Diagnostic::error("Interrupted", format!("Stopped waiting for {} operation(s) still in flight; the next run reconciles them from the journal.", running.len())));
                    break;
                }
                continue;
            }
        };
        let Some((i, result)) = next else {
            break;
        };
        finished += 1;
        match result {
            Ok(()) => {
                for j in g.neighbors_directed(i, petgraph::Direction::Outgoing) {
                    indegree[j.index()] -= 1;
                    if indegree[j.index()] == 0 {
                        ready.push(j);
                    }
                }
            }
            Err(d) => failures.push(d),
        }
    }
    if interrupt::count() > 0 && !failures.iter().any(|d| d.summary == "Interrupted") {
        failures.push(Diagnostic::error("Interrupted", "gantry was interrupted: operations in flight finished and were recorded; nothing new was started."));
    }
    let skipped = g.node_count() - finished;
    (failures, skipped)
}

/// Graceful interrupts (SIGINT / SIGTERM, delivered by the CLI or an embedder): the first
/// stops scheduling new operations and, as Terraform does, asks provider plugins to stop
/// theirs (StopProvider: they end long waits and answer with what they made, which the
/// journal records); the second stops waiting for those in flight.
pub mod interrupt {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;
    use tokio::sync::watch;

    static COUNT: AtomicUsize = AtomicUsize::new(0);

    fn channel() -> &'static watch::Sender<usize> {
        static TX: OnceLock<watch::Sender<usize>> = OnceLock::new();
        TX.get_or_init(|| watch::channel(0).0)
    }

    /// Records one interrupt; returns how many there have been.
    pub fn raise() -> usize {
        let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
        channel().send_replace(n);
        if n == 1 {
            gantry_plugin::stop_all();
        }
        n
    }

    pub fn count() -> usize {
        COUNT.load(Ordering::SeqCst)
    }

    pub(crate) fn subscribe() -> watch::Receiver<usize> {
        channel().subscribe()
    }
}

/// Reports "still creating" every 10 seconds while `op` runs.
async fn with_ticker<T>(
    ctx: &Ctx<'_>,
    addr: &InstanceAddr,
    action: Action,
    op: impl std::future::Future<Output = T>,
) -> T {
    let started = Instant::now();
    let mut op = std::pin::pin!(op);
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(10),
        Duration::from_secs(10),
    );
    loop {
        tokio::select! {
            r = &mut op => return r,
            _ = tick.tick() => ctx.observer.event(ApplyEvent::Status { addr, action, elapsed: started.elapsed(), status: None }),
        }
    }
}

struct StepProgress<'a> {
    observer: &'a dyn ApplyObserver,
    addr: &'a InstanceAddr,
    action: Action,
    started: Instant,
}

impl Progress for StepProgress<'_> {
    fn status(&self, message: &str) {
        self.observer.event(ApplyEvent::Status {
            addr: self.addr,
            action: self.action,
            elapsed: self.started.elapsed(),
            status: Some(message),
        });
    }
}

async fn execute(ctx: &Ctx<'_>, step: &Step) -> Result<(), Diagnostic> {
    let tree = &ctx.engine.tree;
    match step {
        Step::Variable(m, n) => {
            let v = lock(&ctx.scope).module_variable(m, n)?;
            lock(&ctx.scope).set_var(m, n, v);
        }
        Step::Local(m, n) => {
            let Some(l) = tree.config(m).and_then(|c| c.locals.get(n)) else {
                return Ok(());
            };
            let v = lock(&ctx.scope).eval_in(m, &l.expr)?;
            lock(&ctx.scope).set_local(m, n, v);
        }
        Step::Output(m, n) => {
            let Some(o) = tree.config(m).and_then(|c| c.outputs.get(n)) else {
                return Ok(());
            };
            let v = {
                let scope = lock(&ctx.scope);
                crate::conditions::require_all(
                    &o.preconditions,
                    ConditionKind::Precondition,
                    &scope.at(m),
                    &scope.dir,
                    "Module output value",
                )?;
                scope.eval_in(m, &o.value)?
            };
            if !m.is_root() {
                lock(&ctx.scope).set_output(m, n, v.mark_if(o.sensitive));
                return Ok(());
            }
            let sensitive = o.sensitive || v.contains_sensitive();
            let cfg = tree.config(m);
            let var_type = |name: &str| {
                cfg.and_then(|c| c.variables.get(name))
                    .map(|v| v.ty.clone())
            };
            let hint = gantry_core::eval::typehint::type_hint(&o.value.expr, &var_type);
            let ty = if hint != gantry_core::types::Type::Any {
                Some(hint)
            } else {
                ctx.plan
                    .prior_state
                    .outputs
                    .get(n)
                    .and_then(|p| p.ty.clone())
            };
            lock(&ctx.outputs).insert(
                n.clone(),
                OutputValue {
                    value: v.mark_if(sensitive),
                    sensitive,
                    ty,
                },
            );
        }
        Step::Start(r) => {
            let Some(res) = tree.resource(r) else {
                return Ok(());
            };
            if res.for_each.is_some() {
                let exp = expand(res, lock(&ctx.scope).at(&r.module))?;
                if let Expansion::ForEach(m) = exp {
                    lock(&ctx.each).insert(r.clone(), m);
                }
            }
        }
        Step::Barrier(r) => {
            let Some(res) = tree.resource(r) else {
                return Ok(());
            };
            let values = lock(&ctx.values).get(r).cloned().unwrap_or_default();
            let v = if res.count.is_some() {
                Value::list(values.into_values().collect())
            } else if res.for_each.is_some() {
                let mut m = Map::new();
                for (k, v) in values {
                    if let InstanceKey::Str(s) = k {
                        m.insert(s, v);
                    }
                }
                Value::map(m)
            } else {
                values.into_values().next().unwrap_or(Value::Null)
            };
            lock(&ctx.scope).resources.insert(r.clone(), v);
        }
        Step::DestroyStart | Step::DestroyDone => {}
        Step::Apply(i) => apply_change(ctx, *i).await?,
        Step::Destroy(i) => destroy_change(ctx, *i).await?,
    }
    Ok(())
}

/// Runs `f` with the scope of one resource instance (`count.index`, `each.*` bound).
fn in_instance_scope<T>(
    ctx: &Ctx<'_>,
    addr: &InstanceAddr,
    f: impl FnOnce(&InstanceScope, &std::path::Path) -> T,
) -> T {
    let scope = lock(&ctx.scope);
    let each = lock(&ctx.each);
    let each_value = match &addr.key {
        InstanceKey::Str(k) => each.get(&addr.resource).and_then(|m| m.get(k)),
        _ => None,
    };
    let iscope = InstanceScope {
        base: scope.at(&addr.resource.module),
        key: &addr.key,
        each_value,
    };
    f(&iscope, &scope.dir)
}

fn fail(
    ctx: &Ctx<'_>,
    addr: &InstanceAddr,
    action: Action,
    summary: &str,
    message: String,
) -> Diagnostic {
    ctx.observer.event(ApplyEvent::Failed {
        addr,
        action,
        message: &message,
    });
    Diagnostic::error(summary, format!("{addr}: {message}"))
}

/// The provider's private data recorded with the object at `addr` (empty when none).
fn recorded_private(ctx: &Ctx<'_>, addr: &InstanceAddr) -> Vec<u8> {
    lock(&ctx.state)
        .resources
        .get(addr)
        .map(|i| i.private.clone())
        .unwrap_or_default()
}

/// Makes an intent durable and pending in the in-memory state too, so the snapshot written
/// at the end (however the run ends: done, failed, interrupted twice) keeps it in the journal
/// until a `Set` or `Remove` of the same address settles it.
async fn intend(ctx: &Ctx<'_>, entry: JournalEntry) -> Result<(), Diagnostic> {
    record(ctx, entry).await
}

/// A provider's answer as state records it: attributes the schema does not model carried
/// from the plan, sensitive marks put back.
fn as_recorded(
    block: &gantry_core::provider::BlockSchema,
    planned: &Value,
    answer: Value,
) -> Value {
    let v = crate::decode::carry_unmodeled(block, planned, answer);
    remark(block, v, &[planned])
}

/// Settles an intent whose operation is known not to have changed anything (the cloud
/// refused the request), or whose outcome a later record already covers.
fn settle(ctx: &Ctx<'_>, addr: &InstanceAddr) {
    lock(&ctx.state).pending.remove(addr);
}

/// Whether a failed operation certainly left the remote object as it was: a refusal on
/// validation or authorisation. Anything else (throttling, timeouts, server errors) may
/// have happened remotely, so its intent stays pending for the next run to reconcile.
fn certainly_not_applied(e: &gantry_core::provider::ProviderError) -> bool {
    use gantry_core::provider::ErrorKind;
    matches!(e.kind, ErrorKind::Validation | ErrorKind::Auth)
}

async fn record(ctx: &Ctx<'_>, entry: JournalEntry) -> Result<(), Diagnostic> {
    ctx.journal.commit(vec![entry.clone()]).await.map_err(|e| {
        Diagnostic::error(
            "Failed to persist state",
            format!("writing the state journal: {e}"),
        )
    })?;
    lock(&ctx.state)
        .apply_entry(&entry)
        .map_err(|e| Diagnostic::error("Failed to persist state", e))
}

async fn apply_change(ctx: &Ctx<'_>, i: usize) -> Result<(), Diagnostic> {
    let c = &ctx.plan.changes[i];
    let addr = &c.addr;
    let res = ctx
        .engine
        .resource(&addr.resource)
        .ok_or_else(|| Diagnostic::error("Resource configuration gone", addr.to_string()))?;
    let provider_key = ctx.engine.provider_for(&addr.resource, res);
    let provider = ctx.providers[&provider_key].clone();
    let schema = ctx
        .engine
        .schema(&addr.resource, &provider_key.0)
        .ok_or_else(|| Diagnostic::error("Invalid resource type", addr.to_string()))?;
    let action = c.action;
    ctx.observer.event(ApplyEvent::Start { addr, action });
    let started = Instant::now();

    let config = in_instance_scope(ctx, addr, |iscope, dir| {
        // Preconditions that were unknown at plan time are decided now, before the call.
        crate::conditions::require_all(
            &res.lifecycle.conditions,
            ConditionKind::Precondition,
            iscope,
            dir,
            "Resource",
        )?;
        let ev = Evaluator::new(iscope, dir, res.body.file);
        decode_body(&ev, &res.body.body, &schema.block, res.span.clone())
            .map_err(|mut d| d.0.remove(0))
    })?;
    let progress = StepProgress {
        observer: ctx.observer,
        addr,
        action,
        started,
    };
    let type_name = &addr.resource.rtype;
    let key = gantry_core::config::Config::provider_key(&provider_key.0, provider_key.1.as_deref());
    let _permits = ctx.engine.limits.acquire(&key, type_name).await;
    // The token of a create, once its result is durable: see `Provider::settle`.
    let mut created_with: Option<String> = None;
    let private = std::sync::Mutex::new(Vec::new());
    // The state record of an object the provider returned, as applied or half-made.
    let instance_of = |value: Value, private: Vec<u8>| ResourceInstance {
        provider: c.provider.clone(),
        types: applied_types(ctx.plan.dynamic_types.get(addr), &value),
        value,
        dependencies: c.dependencies.clone(),
        schema_version: schema.version,
        create_before_destroy: c.create_before_destroy,
        private,
    };
    let new_value = if action == Action::Read {
        with_ticker(
            ctx,
            addr,
            action,
            provider.read_data(type_name, &config.unmark_deep().0),
        )
        .await
        .map_err(|e| {
            fail(
                ctx,
                addr,
                action,
                "Error reading data source",
                e.to_string(),
            )
        })?
    } else {
        let prior = if action == Action::Update {
            c.before.as_ref()
        } else {
            None
        };
        let prior_private = if prior.is_some() {
            recorded_private(ctx, addr)
        } else {
            Vec::new()
        };
        let (planned, replace, _, planned_private) = ctx
            .engine
            .provider_plan(&provider, addr, schema, res, prior, &prior_private, &config)
            .await?;
        *lock(&private) = planned_private;
        if action == Action::Update && !replace.is_empty() {
            return Err(fail(ctx, addr, action, "Provider produced inconsistent final plan", "the final plan requires replacing this object, but the reviewed plan said it would be updated in place; run plan again".into()));
        }
        let plain = planned.unmark_deep().0;
        let token = uuid::Uuid::new_v4().to_string();
        let verb = if action == Action::Update {
            "update"
        } else {
            "create"
        };
        if provider.remote() {
            intend(
                ctx,
                JournalEntry::Intent {
                    addr: addr.to_string(),
                    action: verb.into(),
                    token: token.clone(),
                    planned: plain.to_json(),
                },
            )
            .await?;
        }
        if provider.remote() && action != Action::Update {
            created_with = Some(token.clone());
        }
        let addr_text = addr.to_string();
        let config_plain = config.unmark_deep().0;
        let op = Op {
            addr: &addr_text,
            token: &token,
            progress: &progress,
            config: &config_plain,
            private: &private,
        };
        let before = c
            .before
            .as_ref()
            .map(|b| b.unmark_deep().0)
            .unwrap_or_default();
        // A create retried after a transient error first looks for what the failed attempt
        // may have made: the cloud can act and the answer be lost (a dropped connection), and
        // not every API takes an idempotency token (EC2 VPCs, subnets, addresses…).
        let attempted = std::sync::atomic::AtomicBool::new(false);
        let result = with_ticker(
            ctx,
            addr,
            action,
            retrying(|| async {
                match action {
                    Action::Update => provider.update(type_name, &before, &plain, &op).await,
                    _ => {
                        if attempted.swap(true, std::sync::atomic::Ordering::SeqCst) {
                            if let Some(found) =
                                provider.find_by_token(type_name, &token, &plain).await?
                            {
                                return Ok(found);
                            }
                        }
                        provider.create(type_name, &plain, &op).await
                    }
                }
            }),
        )
        .await;
        if result.as_ref().is_err_and(certainly_not_applied) {
            settle(ctx, addr);
        }
        if let Some(partial) = result.as_ref().err().and_then(|e| e.partial.as_deref()) {
            // The provider made (or changed) the object before failing: record what exists,
            // a new object tainted as Terraform taints it, so nothing is lost or made twice.
            let value = as_recorded(&schema.block, &planned, partial.clone());
            let inst = instance_of(value, lock(&private).clone());
            let entry = if action == Action::Update {
                JournalEntry::set(addr, &inst)
            } else {
                JournalEntry::set_tainted(addr, &inst)
            };
            record(ctx, entry).await?;
        }
        let v = result.map_err(|e| {
            fail(
                ctx,
                addr,
                action,
                if action == Action::Update {
                    "Error updating resource"
                } else {
                    "Error creating resource"
                },
                e.to_string(),
            )
        })?;
        if !v.is_wholly_known() {
            return Err(fail(
                ctx,
                addr,
                action,
                "Provider returned invalid result object after apply",
                "the result still contains unknown values".into(),
            ));
        }
        as_recorded(&schema.block, &planned, v)
    };
    let inst = instance_of(new_value.clone(), std::mem::take(&mut *lock(&private)));
    record(ctx, JournalEntry::set(addr, &inst)).await?;
    if let (Some(token), Some(deferred)) = (&created_with, &ctx.deferred) {
        lock(deferred).push(crate::settle::DeferredSettle {
            addr: addr.to_string(),
            provider: provider.clone(),
            type_name: type_name.to_string(),
            value: new_value.unmark_deep().0,
            token: token.clone(),
        });
    } else if let Some(token) = created_with {
        // The object is recorded: what only its recovery needed can go. Best effort — a
        // leftover token harms nothing.
        let addr_text = addr.to_string();
        let op = Op {
            addr: &addr_text,
            token: &token,
            progress: &progress,
            config: &Value::Null,
            private: &private,
        };
        if let Err(e) = provider
            .settle(type_name, &new_value.unmark_deep().0, &op)
            .await
        {
            tracing::warn!(%addr, error = %e, "could not remove the idempotency token");
        }
    }
    if res
        .lifecycle
        .conditions
        .iter()
        .any(|c| c.kind == ConditionKind::Postcondition)
    {
        // The object exists and is recorded; a failed postcondition stops its dependents.
        in_instance_scope(ctx, addr, |iscope, dir| {
            let with_self = crate::conditions::WithSelf {
                base: iscope,
                value: &new_value,
            };
            crate::conditions::require_all(
                &res.lifecycle.conditions,
                ConditionKind::Postcondition,
                &with_self,
                dir,
                "Resource",
            )
        })?;
    }
    lock(&ctx.values)
        .entry(addr.resource.clone())
        .or_default()
        .insert(addr.key.clone(), new_value.clone());
    {
        let mut s = lock(&ctx.applied);
        match action {
            Action::Create => s.add += 1,
            Action::Update => s.change += 1,
            Action::Read => s.read += 1,
            _ => s.add += 1,
        }
    }
    let id = new_value.get_attr("id").and_then(|v| {
        if v.is_sensitive() {
            None
        } else {
            v.as_str().map(String::from)
        }
    });
    ctx.observer.event(ApplyEvent::Done {
        addr,
        action,
        elapsed: started.elapsed(),
        id,
    });
    Ok(())
}

async fn destroy_change(ctx: &Ctx<'_>, i: usize) -> Result<(), Diagnostic> {
    let c = &ctx.plan.changes[i];
    let addr = &c.addr;
    let key = match ctx.engine.resource(&addr.resource) {
        Some(r) => ctx.engine.provider_for(&addr.resource, r),
        None => crate::engine::parse_provider_addr(&c.provider),
    };
    let provider = ctx.providers[&key].clone();
    let started = Instant::now();
    ctx.observer.event(ApplyEvent::Start {
        addr,
        action: Action::Delete,
    });
    let _permits = ctx
        .engine
        .limits
        .acquire(
            &gantry_core::config::Config::provider_key(&key.0, key.1.as_deref()),
            &addr.resource.rtype,
        )
        .await;
    let progress = StepProgress {
        observer: ctx.observer,
        addr,
        action: Action::Delete,
        started,
    };
    let before = c
        .before
        .as_ref()
        .map(|b| b.unmark_deep().0)
        .unwrap_or_default();
    let token = uuid::Uuid::new_v4().to_string();
    if provider.remote() {
        intend(
            ctx,
            JournalEntry::Intent {
                addr: addr.to_string(),
                action: "delete".into(),
                token: token.clone(),
                planned: serde_json::Value::Null,
            },
        )
        .await?;
    }
    let addr_text = addr.to_string();
    let private = std::sync::Mutex::new(recorded_private(ctx, addr));
    let op = Op {
        addr: &addr_text,
        token: &token,
        progress: &progress,
        config: &Value::Null,
        private: &private,
    };
    with_ticker(
        ctx,
        addr,
        Action::Delete,
        retrying(|| provider.delete(&addr.resource.rtype, &before, &op)),
    )
    .await
    .inspect_err(|e| {
        if certainly_not_applied(e) {
            settle(ctx, addr);
        }
    })
    .map_err(|e| {
        fail(
            ctx,
            addr,
            Action::Delete,
            "Error deleting resource",
            e.to_string(),
        )
    })?;
    if c.action != Action::CreateThenDelete {
        record(
            ctx,
            JournalEntry::Remove {
                addr: addr.to_string(),
            },
        )
        .await?;
    } else {
        // The address already holds the replacement (recorded by its `Set`); only the
        // deposed object's delete intent is left to settle.
        settle(ctx, addr);
    }
    lock(&ctx.applied).destroy += 1;
    ctx.observer.event(ApplyEvent::Done {
        addr,
        action: Action::Delete,
        elapsed: started.elapsed(),
        id: None,
    });
    Ok(())
}

/// The recorded types of an applied object's dynamic attributes: the plan's, and for an
/// attribute the plan has none for but whose value echoes one it has (`terraform_data.output`
/// repeats `input`), that one's: providers echo dynamic inputs into computed attributes.
fn applied_types(
    planned: Option<&BTreeMap<String, gantry_core::types::Type>>,
    value: &Value,
) -> BTreeMap<String, gantry_core::types::Type> {
    let mut out = planned.cloned().unwrap_or_default();
    let Some(m) = value.unmark().0.as_map() else {
        return out;
    };
    let echoes: Vec<(String, gantry_core::types::Type)> = m
        .iter()
        .filter(|(k, _)| !out.contains_key(*k))
        .filter_map(|(k, v)| {
            out.iter()
                .find(|(src, _)| {
                    m.get(*src)
                        .is_some_and(|sv| sv.unmark_deep().0 == v.unmark_deep().0)
                })
                .map(|(_, t)| (k.clone(), t.clone()))
        })
        .collect();
    out.extend(echoes);
    out
}
