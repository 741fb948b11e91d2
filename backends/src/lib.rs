//! Remote state backends, each the Terraform backend of the same name: its arguments, its
//! environment variables, its object layout and its lock, so a team's existing remote state
//! is read as is and Terraform and gantry exclude each other through the same lock.
//!
//! Each module implements `gantry_core::state::remote::{RemoteBackend, RemoteState}`; the
//! engine adds journaling and periodic pushes on top (`gantry_plans::backend`).

#[cfg(feature = "azurerm")]
pub mod azurerm;
#[cfg(feature = "gcs")]
pub mod gcs;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "pg")]
pub mod pg;
#[cfg(feature = "s3")]
pub mod s3;
#[allow(dead_code)] // helpers of the backends compiled in
mod util;

use gantry_core::provider::Registry;

/// Registers every backend compiled into this build.
pub fn register(r: &mut Registry) {
    #[cfg(feature = "http")]
    r.register_backend("http", http::connect);
    #[cfg(feature = "s3")]
    r.register_backend("s3", s3::connect);
    #[cfg(feature = "gcs")]
    r.register_backend("gcs", gcs::connect);
    #[cfg(feature = "pg")]
    r.register_backend("pg", pg::connect);
    #[cfg(feature = "azurerm")]
    r.register_backend("azurerm", azurerm::connect);
    let _ = r;
}
