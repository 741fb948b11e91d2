//! gantry-core: the parts of gantry that know nothing about clouds.
//!
//! - [`value`]: dynamic values with unknown and sensitive marks.
//! - [`config`]: loading `*.tf` directories; [`eval`]: the expression evaluator and functions.
//! - [`addr`]: resource addresses; [`graph`]: the dependency graph.
//! - [`state`]: the state model, the local backend, locking and the journal.
//! - [`provider`]: the `Provider` trait, schemas and the registry — the only seam to clouds.

pub mod addr;
pub mod config;
pub mod diag;
pub mod eval;
pub mod graph;
pub mod ident;
pub mod modules;
pub mod provider;
pub mod provider_functions;
pub mod provider_kit;
pub mod schema_json;
pub mod state;
pub mod types;
pub mod usage;
pub mod value;
pub mod version;

pub use addr::{InstanceAddr, InstanceKey, Mode, ModuleInstance, ResourceAddr};
pub use diag::{Diagnostic, Diagnostics, Sources};
pub use value::Value;
