//! The Plan model: what will change and why. Renderers read it; the applier executes it.

use gantry_core::addr::InstanceAddr;
use gantry_core::state::State;
use gantry_core::value::{Path, Value};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    /// Replace by destroying the old object first (the default).
    DeleteThenCreate,
    /// Replace by creating the new object first (`create_before_destroy`).
    CreateThenDelete,
    Delete,
}

impl Action {
    /// Terraform's JSON `actions` list.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
        }
    }

    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// True when the action creates a new object.
    pub fn creates(self) -> bool {
        matches!(self, Action::Create) || self.is_replace()
    }

    /// True when the action destroys an existing object.
    pub fn deletes(self) -> bool {
        matches!(self, Action::Delete) || self.is_replace()
    }
}

/// Why an action was chosen, where it is not obvious (Terraform's `action_reason`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Replacement forced by an attribute that cannot change in place.
    ReplaceBecauseCannotUpdate,
    /// `-replace=ADDR`.
    ReplaceByRequest,
    /// `lifecycle.replace_triggered_by`.
    ReplaceByTriggers,
    /// Deleted: the resource block is gone from configuration.
    DeleteBecauseNoResourceConfig,
    /// Deleted: count/for_each no longer includes this key.
    DeleteBecauseNoInstance,
    /// Deleted: `count` no longer reaches this index.
    DeleteBecauseCountIndex,
    /// Deleted: `for_each` no longer has this key.
    DeleteBecauseEachKey,
    /// A data source read waits for apply because its configuration is not known yet.
    ReadBecauseConfigUnknown,
    /// A data source read waits for apply because a dependency has changes.
    ReadBecauseDependencyPending,
    /// The object is tainted (`gantry taint`, or Terraform marked it).
    ReplaceBecauseTainted,
}

impl Reason {
    pub fn json(&self) -> &'static str {
        match self {
            Reason::ReplaceBecauseCannotUpdate => "replace_because_cannot_update",
            Reason::ReplaceByRequest => "replace_by_request",
            Reason::ReplaceByTriggers => "replace_by_triggers",
            Reason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
            Reason::DeleteBecauseNoInstance => "delete_because_no_module",
            Reason::DeleteBecauseCountIndex => "delete_because_count_index",
            Reason::DeleteBecauseEachKey => "delete_because_each_key",
            Reason::ReadBecauseConfigUnknown => "read_because_config_unknown",
            Reason::ReadBecauseDependencyPending => "read_because_dependency_pending",
            Reason::ReplaceBecauseTainted => "replace_because_tainted",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    /// `provider["registry.terraform.io/hashicorp/aws"]`.
    pub provider: String,
    pub action: Action,
    pub before: Option<Value>,
    /// Planned new object; unknown where it will be computed.
    pub after: Option<Value>,
    pub replace_paths: Vec<Path>,
    pub reason: Option<Reason>,
    /// Resource blocks this instance depends on (recorded in state).
    pub dependencies: Vec<String>,
    pub create_before_destroy: bool,
    /// Provider notes for reviewers ("8 × NVIDIA H100").
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanMode {
    Normal,
    Destroy,
    RefreshOnly,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub mode: PlanMode,
    /// Every instance considered, sorted by address (no-ops included).
    pub changes: Vec<ResourceChange>,
    /// Objects that changed outside gantry since the last apply.
    pub drift: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    /// Variable values the plan was made with (sensitive ones marked).
    pub variables: BTreeMap<String, Value>,
    /// State after refresh: what apply starts from.
    pub prior_state: State,
    /// Serial of the stored state the plan was made against.
    pub state_serial: u64,
    /// Digest of the configuration files.
    pub config_digest: String,
    pub timestamp: String,
    /// True when planning stopped on an error (the plan is incomplete).
    pub errored: bool,
    /// Terraform's configuration representation, captured at plan time.
    pub configuration: serde_json::Value,
    /// Resources whose drift the configuration refers to.
    pub relevant_attributes: serde_json::Value,
    /// Instances targeted by `-target`, if any (apply must honour the same restriction).
    pub targets: Vec<String>,
    /// Objects adopted by `import` blocks: address and cloud id. They are in `prior_state`.
    pub imports: Vec<(InstanceAddr, String)>,
    /// Warnings found while planning (failed `check` assertions). Not saved in plan files:
    /// apply evaluates checks again.
    pub warnings: Vec<gantry_core::diag::Diagnostic>,
    /// Objects `moved` blocks renamed in state: (from, to). `prior_state` already holds
    /// them at `to`.
    pub moves: Vec<(InstanceAddr, InstanceAddr)>,
    /// Objects `removed` blocks (destroy = false) take out of state without destroying.
    pub forgets: Vec<InstanceAddr>,
    /// Types of dynamically-typed attributes the configuration fixes beyond their values
    /// (`tolist(...)`, a `map(string)` variable), per instance: written to state with the
    /// object, as Terraform writes them.
    pub dynamic_types: BTreeMap<InstanceAddr, BTreeMap<String, gantry_core::types::Type>>,
    /// Hourly prices before and after, for the instances that run something priced.
    pub costs: BTreeMap<InstanceAddr, crate::cost::ChangeCost>,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub import: usize,
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub read: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => s.destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    s.add += 1;
                    s.destroy += 1
                }
                Action::Read => s.read += 1,
                Action::NoOp => {}
            }
        }
        s
    }

    /// True when resources would change.
    pub fn has_resource_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| !matches!(c.action, Action::NoOp | Action::Read))
    }

    /// True when applying would change anything at all: resources, outputs or (refresh-only)
    /// drift to record.
    pub fn has_changes(&self) -> bool {
        !self.imports.is_empty()
            || !self.moves.is_empty()
            || !self.forgets.is_empty()
            || self.has_resource_changes()
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
            || (self.mode == PlanMode::RefreshOnly && !self.drift.is_empty())
    }

    pub fn change(&self, addr: &InstanceAddr) -> Option<&ResourceChange> {
        self.changes
            .binary_search_by(|c| c.addr.cmp(addr))
            .ok()
            .map(|i| &self.changes[i])
    }
}
