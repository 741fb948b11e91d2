//! A working directory opened for one operation: configuration and variables loaded, the
//! state backend locked, state loaded (a journal left by an interrupted run folded in, and
//! its unsettled operations reconciled). Plans are made and applied through it, so the CLI
//! and an embedding program do exactly the same engine work:
//!
//! ```no_run
//! # async fn run() -> Result<(), gantry_plans::Failure> {
//! # let registry = gantry_core::provider::Registry::new();
//! use gantry_plans::{session::Lock, PlanOptions, Workspace};
//! let ws = Workspace::new("stack", registry);
//! let mut s = ws.open(&[], &[], Lock::wait("OperationTypeApply", std::time::Duration::ZERO)).await?;
//! let plan = s.plan(&PlanOptions::default()).await?;
//! let outcome = s.apply(&plan, &gantry_plans::apply::Quiet, 10).await?;
//! # Ok(()) }
//! ```
//!
//! Saved plans go through [`Workspace::open_saved`], which refuses a plan made for another
//! configuration, another state lineage or an older serial.

use crate::apply::{ApplyObserver, ApplyOutcome};
use crate::backend::{StateBackend, StateLock};
use crate::engine::PlanOptions;
use crate::plan::Plan;
use crate::variables::VarArg;
use crate::workspace::{Failure, Loaded, Workspace};
use gantry_core::diag::{Diagnostic, Diagnostics};
use gantry_core::state::{State, StateError};
use std::time::Duration;

/// Whether and how to take the state lock.
#[derive(Clone, Debug)]
pub struct Lock {
    /// Terraform's operation name for the lock info (`OperationTypeApply`, …); `None` for
    /// `-lock=false`.
    pub operation: Option<String>,
    pub timeout: Duration,
}

impl Lock {
    pub fn wait(operation: &str, timeout: Duration) -> Lock {
        Lock {
            operation: Some(operation.to_string()),
            timeout,
        }
    }

    /// `-lock=false`: read state without locking (and so never write it).
    pub fn none() -> Lock {
        Lock {
            operation: None,
            timeout: Duration::ZERO,
        }
    }
}

/// An opened working directory (see the module docs).
pub struct Session {
    pub loaded: Loaded,
    pub backend: StateBackend,
    /// The state the next plan starts from.
    pub state: State,
    /// What happened while opening, for the user: a one-time state move, operations
    /// recovered from a journal, interrupted operations reconciled.
    pub notes: Vec<String>,
    guard: Option<StateLock>,
}

/// A state backend error as a diagnostic.
pub fn state_failure(e: StateError) -> Failure {
    let summary = match &e {
        StateError::Locked(_) => "Error acquiring the state lock",
        StateError::Corrupt { .. } => "Failed to load state",
        StateError::Unlock(_) => "Failed to unlock state",
        StateError::Io(_) => "Failed to persist state",
    };
    let detail = e.to_string();
    let detail = detail
        .strip_prefix("Error acquiring the state lock: ")
        .unwrap_or(&detail)
        .to_string();
    Failure::from(Diagnostic::error(summary, detail))
}

impl Workspace {
    /// Opens this directory for planning and applying with the given variables.
    pub async fn open(
        &self,
        vars: &[VarArg],
        env: &[(String, String)],
        lock: Lock,
    ) -> Result<Session, Failure> {
        let loaded = self.load(vars, env)?;
        self.open_loaded(loaded, lock).await
    }

    /// Opens this directory to apply a saved plan: the configuration is loaded with the
    /// plan's variables, and the plan must still fit it (same configuration digest, same
    /// state lineage and serial).
    pub async fn open_saved(&self, plan: &Plan, lock: Lock) -> Result<Session, Failure> {
        let loaded = self.load_with_values(plan)?;
        let s = self.open_loaded(loaded, lock).await?;
        let stale = |why: &str| {
            Failure::from(Diagnostic::error(
                "Saved plan is stale",
                format!("{why} Create a new plan from the current state and configuration."),
            ))
        };
        if s.loaded.digest != plan.config_digest {
            return Err(stale(
                "The configuration has changed since this plan was created.",
            ));
        }
        if s.backend.has_state() {
            if s.state.lineage != plan.prior_state.lineage {
                return Err(stale(
                    "The plan was created for a different state (another lineage).",
                ));
            }
            if s.state.serial != plan.state_serial {
                return Err(stale("The given plan file can no longer be applied because the state was changed by another operation after the plan was created."));
            }
        }
        Ok(s)
    }

    /// Loads the configuration with the variable values stored in a saved plan.
    pub fn load_with_values(&self, plan: &Plan) -> Result<Loaded, Failure> {
        let (cfg, _) = self.config()?;
        let digest = crate::planfile::config_digest(&cfg);
        let sources = cfg.sources.clone();
        let engine = crate::Engine::new(cfg, self.registry.clone(), plan.variables.clone())
            .map_err(|d| Failure::new(&sources, d))?;
        Ok(Loaded {
            engine,
            digest,
            warnings: Failure::default(),
        })
    }

    async fn open_loaded(&self, loaded: Loaded, lock: Lock) -> Result<Session, Failure> {
        let (backend, moved) = self.backend(Some(&loaded.engine.config))?;
        let mut notes: Vec<String> = moved.into_iter().collect();
        let guard = match &lock.operation {
            Some(op) => Some(backend.lock(op, lock.timeout).map_err(state_failure)?),
            None => None,
        };
        let (mut state, recovered) = backend.load().map_err(state_failure)?;
        tracing::debug!(
            location = %backend.describe(),
            serial = state.serial,
            lineage = %state.lineage,
            objects = state.resources.len(),
            "state loaded"
        );
        if recovered > 0 {
            notes.push(format!(
                "Recovered {recovered} completed operation(s) from an interrupted run's journal."
            ));
            if guard.is_some() {
                backend.write_snapshot(&mut state).map_err(state_failure)?;
            }
        }
        if !state.pending.is_empty() && guard.is_some() {
            // Operations an interrupted run sent but never recorded: settle them before
            // planning, so nothing is created twice and nothing is lost.
            let sources = loaded.engine.config.sources.clone();
            let settled = loaded
                .engine
                .reconcile(&mut state)
                .await
                .map_err(|d| Failure::new(&sources, d))?;
            notes.extend(settled.into_iter().map(|n| format!("Reconciled {n}")));
            backend.write_snapshot(&mut state).map_err(state_failure)?;
        }
        Ok(Session {
            loaded,
            backend,
            state,
            notes,
            guard,
        })
    }
}

impl Session {
    /// Whether this session holds the state lock (and so may write state).
    pub fn locked(&self) -> bool {
        self.guard.is_some()
    }

    /// Plans against the session's state; the plan carries the configuration digest a
    /// saved copy is checked against.
    pub async fn plan(&self, opts: &PlanOptions) -> Result<Plan, Failure> {
        let sources = &self.loaded.engine.config.sources;
        let mut plan = self
            .loaded
            .engine
            .plan(&self.state, opts)
            .await
            .map_err(|d| Failure::new(sources, d))?;
        plan.config_digest = self.loaded.digest.clone();
        Ok(plan)
    }

    /// Applies `plan`: every operation journaled as it completes, then one snapshot. With
    /// nothing to change, records what refresh found (as Terraform's apply does). Failed
    /// operations are in the outcome; the state written holds everything that did happen.
    pub async fn apply(
        &mut self,
        plan: &Plan,
        observer: &dyn ApplyObserver,
        parallelism: usize,
    ) -> Result<ApplyOutcome, Failure> {
        if !self.locked() {
            return Err(Failure::from(Diagnostic::error(
                "Apply needs the state lock",
                "Applying writes state, which is only safe while holding the lock; do not use -lock=false with apply.",
            )));
        }
        if !plan.has_changes() {
            let mut state = plan.prior_state.clone();
            // Objects the provider upgraded to a newer schema version are recorded so, as
            // drift is: nothing else would write them.
            let upgraded = state.resources.iter().any(|(a, i)| {
                self.state
                    .resources
                    .get(a)
                    .is_some_and(|old| old.schema_version != i.schema_version)
            });
            if !plan.drift.is_empty() || upgraded {
                self.backend
                    .write_snapshot(&mut state)
                    .map_err(state_failure)?;
            }
            self.state = state.clone();
            return Ok(ApplyOutcome {
                state,
                failures: Vec::new(),
                skipped: 0,
                applied: Default::default(),
                settles: Vec::new(),
            });
        }
        let journal = self
            .backend
            .journal(&plan.prior_state)
            .map_err(state_failure)?;
        let sources = self.loaded.engine.config.sources.clone();
        // How long each create took, for `gantry compare`'s readiness column.
        let recorder = crate::history::Recorder::new(observer);
        let mut outcome = crate::apply(
            &self.loaded.engine,
            plan,
            journal,
            &recorder,
            parallelism.max(1),
        )
        .await
        .map_err(|d| Failure::new(&sources, d))?;
        recorder.save();
        self.backend
            .write_snapshot(&mut outcome.state)
            .map_err(state_failure)?;
        if let StateBackend::Remote(r) = &self.backend {
            let st = r.stats();
            use std::sync::atomic::Ordering::Relaxed;
            tracing::info!(
                target: "gantry_plans::backend",
                snapshots = st.snapshots.load(Relaxed),
                intents = st.intents.load(Relaxed),
                push_ms = st.micros.load(Relaxed) / 1000,
                "state pushes"
            );
        }
        // The objects are in the store now: their tokens can go.
        crate::settle::run(std::mem::take(&mut outcome.settles)).await;
        self.state = outcome.state.clone();
        Ok(outcome)
    }

    /// Failures of an apply as one renderable failure (with a note on skipped steps).
    pub fn apply_failure(&self, outcome: &ApplyOutcome) -> Option<Failure> {
        if outcome.failures.is_empty() {
            return None;
        }
        let mut diags = Diagnostics(outcome.failures.clone());
        if outcome.skipped > 0 {
            diags.push(Diagnostic::warning(
                "Some operations were skipped",
                format!(
                    "{} step(s) were not run because something they depend on failed.",
                    outcome.skipped
                ),
            ));
        }
        Some(Failure::new(&self.loaded.engine.config.sources, diags))
    }
}
