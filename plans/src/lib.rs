//! gantry-plans: the engine. Refresh, diff and plan ([`engine`]), the Plan model ([`plan`]),
//! saved plan files ([`planfile`]), renderers ([`render`]) and the parallel applier
//! ([`apply`]). It knows no cloud: providers come in through `gantry_core::provider`.

pub mod apply;
pub mod backend;
pub mod compare;
pub mod conditions;
pub mod cost;
pub mod decode;
pub mod engine;
pub mod generate;
pub mod history;
#[cfg(feature = "install")]
pub mod install;
pub mod journal;
pub mod json;
pub mod limits;
pub mod lockfile;
pub mod modules;
pub mod plan;
pub mod planfile;
pub mod providers;
pub mod render;
pub mod retry;
pub mod scope;
pub mod session;
pub mod settle;
pub mod variables;
pub mod workspace;
pub mod workspaces;

pub use apply::{apply, ApplyEvent, ApplyObserver, ApplyOutcome};
pub use engine::{Engine, PlanOptions};
pub use plan::{Action, Plan, PlanMode, ResourceChange, Summary};
pub use session::{Lock, Session};
pub use variables::VarArg;
pub use workspace::{Failure, Loaded, Workspace};

/// The version string gantry reports (`gantry 0.1.0`).
pub const VERSION: &str = concat!("gantry ", env!("CARGO_PKG_VERSION"));
