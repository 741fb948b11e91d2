//! gantry: declarative AI infrastructure. Write HCL; gantry builds a dependency graph, reads
//! live state, shows a reviewable plan and applies it in order through provider plugins.
//!
//! This facade re-exports the engine so an embedding program needs one dependency:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use gantry::plans::{apply, PlanOptions, Workspace};
//! let ws = Workspace::new("examples/quickstart", gantry::default_registry());
//! let loaded = ws.load(&[], &[])?;
//! let (backend, _note) = ws.backend(Some(&loaded.engine.config))?;
//! let _lock = backend.lock("apply", std::time::Duration::ZERO)?;
//! let (state, _) = backend.load()?;
//! let plan = loaded.engine.plan(&state, &PlanOptions::default()).await?;
//! let outcome = apply(&loaded.engine, &plan, backend.journal(&plan.prior_state)?, &gantry::plans::apply::Quiet, 10).await?;
//! let mut state = outcome.state;
//! backend.write_snapshot(&mut state)?;
//! # Ok(()) }
//! ```
//!
//! Providers are cargo features, so an embedder compiles only the clouds it uses: `builtin`
//! (`terraform_data`) and `aws` (EC2, S3, IAM, SageMaker), both on by default.

/// Remote state backends (S3, GCS, Azure Blob, PostgreSQL, HTTP).
pub use gantry_backends as backends;
pub use gantry_core as core;
pub use gantry_plans as plans;
/// The host for Terraform provider plugins (protocols 5 and 6).
pub use gantry_plugin as plugin;

#[cfg(feature = "builtin")]
pub use gantry_provider_builtin as builtin;

#[cfg(feature = "aws")]
pub use gantry_provider_aws as aws;

#[cfg(feature = "azure")]
pub use gantry_provider_azure as azure;
#[cfg(feature = "google")]
pub use gantry_provider_google as google;

use gantry_core::provider::Registry;

/// A registry with every provider compiled into this build.
pub fn default_registry() -> Registry {
    #[allow(unused_mut)]
    let mut r = Registry::new();
    #[cfg(feature = "builtin")]
    gantry_provider_builtin::register(&mut r);
    #[cfg(feature = "aws")]
    gantry_provider_aws::register(&mut r);
    #[cfg(feature = "google")]
    gantry_provider_google::register(&mut r);
    #[cfg(feature = "azure")]
    gantry_provider_azure::register(&mut r);
    gantry_backends::register(&mut r);
    r
}
