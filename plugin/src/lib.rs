//! gantry's host for Terraform provider plugins.
//!
//! A plugin is an executable that speaks HashiCorp's go-plugin handshake and Terraform's
//! plugin protocol (tfplugin5 or tfplugin6) over gRPC. This crate starts it ([`launch`]),
//! talks to it ([`rpc`], values in cty's msgpack encoding: [`msgpack`]), and puts it behind
//! gantry's `ProviderFactory` / `Provider` traits ([`provider`]), so the engine cannot tell
//! a plugin from a built-in provider.

pub mod attach;
pub mod composite;
mod hashcache;
pub mod install;
pub mod launch;
pub mod msgpack;
pub mod provider;
pub mod remote;
pub mod rpc;
pub mod schema;
mod tls;

pub use attach::{attach, shutdown_all, stop_all, Need, Served};
pub use launch::{LaunchOptions, Plugin};
pub use provider::{PluginFactory, PluginProvider};
pub use remote::Auth;

/// The protocol messages (`proto/wire.proto`), compiled by protox + prost at build time.
#[allow(clippy::all)]
pub mod wire {
    include!(concat!(env!("OUT_DIR"), "/gantry.wire.rs"));
}
