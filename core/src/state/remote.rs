//! Remote state: the interface a shared store (S3, GCS, Azure Blob, PostgreSQL, HTTP) offers,
//! shaped as Terraform's remote state clients are, so each backend lays out its objects and
//! locks exactly as Terraform's backend of the same name does.
//!
//! A [`RemoteBackend`] is one configured `backend` block: it lists and deletes workspaces and
//! hands out a [`RemoteState`] per workspace. A `RemoteState` reads and writes whole state
//! snapshots and takes the lock. gantry's durability (a local journal fsynced before each
//! remote call, snapshots pushed every few seconds, unreconciled intents kept beside the
//! state) is built on top of it by the engine (`gantry_plans::backend`), not by each backend.
//!
//! Invariants every implementation keeps:
//! - `lock` is atomic on the store (a conditional create, a lease, an advisory lock): of two
//!   callers, exactly one gets it; the other gets [`StateError::Locked`] with the holder's
//!   info as the store records it.
//! - `put` replaces the whole object; readers see the old or the new bytes, never a mix.
//! - Names and layouts are Terraform's, so the same bucket serves both tools.

use super::{LockInfo, StateError};
use async_trait::async_trait;

/// One workspace's state in a remote store.
#[async_trait]
pub trait RemoteState: Send + Sync {
    /// Where the state lives, for messages (`s3://bucket/key`).
    fn location(&self) -> String;

    /// The state snapshot's bytes; `None` when no state has been written.
    async fn get(&self) -> Result<Option<Vec<u8>>, StateError>;

    /// Replaces the snapshot.
    async fn put(&self, bytes: &[u8]) -> Result<(), StateError>;

    /// Removes the snapshot (workspace deletion).
    async fn delete(&self) -> Result<(), StateError>;

    /// gantry's own object beside the state (`name` is e.g. `intents`): unreconciled intents
    /// of an interrupted run, so that whoever takes the lock next reconciles them. `None`
    /// when absent. Terraform never reads it.
    async fn get_extra(&self, name: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// Writes (`Some`) or removes (`None`) the object `name` beside the state.
    async fn put_extra(&self, name: &str, bytes: Option<&[u8]>) -> Result<(), StateError>;

    /// Takes the lock, recording `info`; returns the lock id the store assigned (some
    /// stores use their own, e.g. GCS's object generation). Held by another: `Locked`.
    async fn lock(&self, info: &LockInfo) -> Result<String, StateError>;

    /// Releases the lock `id` (refused when the lock is another's).
    async fn unlock(&self, id: &str) -> Result<(), StateError>;

    /// The current holder, when locked.
    async fn lock_info(&self) -> Result<Option<LockInfo>, StateError>;
}

/// A configured remote backend.
#[async_trait]
pub trait RemoteBackend: Send + Sync {
    /// The backend type (`s3`, `gcs`, …).
    fn kind(&self) -> &str;

    /// Every workspace with a state, `default` included (always, as Terraform lists it).
    async fn workspaces(&self) -> Result<Vec<String>, StateError>;

    /// The state of workspace `name`.
    fn state(&self, workspace: &str) -> Box<dyn RemoteState>;

    /// Deletes workspace `name` (its state and anything beside it).
    async fn delete_workspace(&self, workspace: &str) -> Result<(), StateError> {
        let s = self.state(workspace);
        s.put_extra("intents", None).await?;
        s.delete().await
    }
}

/// A new lock info for `operation`, as Terraform fills it (`Path` is set by the backend).
pub fn new_lock_info(operation: &str, version: &str, path: &str) -> LockInfo {
    LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        operation: operation.to_string(),
        info: String::new(),
        who: super::who(),
        version: version.to_string(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        path: path.to_string(),
    }
}

/// Sorted workspace names with `default` first, whatever the store listed.
pub fn with_default(mut names: Vec<String>) -> Vec<String> {
    names.retain(|n| n != "default");
    names.sort();
    names.dedup();
    names.insert(0, "default".into());
    names
}

/// What a backend is made from: its arguments (the block, `-backend-config`), and the
/// working directory relative paths in them are resolved against.
#[derive(Clone, Debug)]
pub struct BackendArgs {
    pub config: serde_json::Map<String, serde_json::Value>,
    pub dir: std::path::PathBuf,
}

impl BackendArgs {
    pub fn str(&self, key: &str) -> Option<String> {
        match self.config.get(key)? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A string argument, else the first set environment variable of `env`.
    pub fn str_or_env(&self, key: &str, env: &[&str]) -> Option<String> {
        self.str(key).or_else(|| {
            env.iter()
                .find_map(|e| std::env::var(e).ok().filter(|v| !v.is_empty()))
        })
    }

    /// A bool argument (`-backend-config` gives strings: "true"/"false" count).
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.config.get(key)? {
            serde_json::Value::Bool(b) => Some(*b),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn object(&self, key: &str) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.config.get(key).and_then(|v| v.as_object())
    }

    /// A required string argument, or Terraform's error for its absence.
    pub fn required(&self, key: &str) -> Result<String, String> {
        self.str(key)
            .ok_or_else(|| format!("The argument {key:?} is required, but was not set."))
    }
}

/// A backend being connected.
pub type Connecting = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<std::sync::Arc<dyn RemoteBackend>, String>> + Send>,
>;

/// Connects a backend from its arguments.
pub type BackendConnect = fn(BackendArgs) -> Connecting;

/// Backends compiled in, by type, for readers outside a working directory's own backend
/// (`terraform_remote_state`). Filled by `Registry::register_backend`.
fn known() -> &'static std::sync::RwLock<std::collections::BTreeMap<String, BackendConnect>> {
    static KNOWN: std::sync::OnceLock<
        std::sync::RwLock<std::collections::BTreeMap<String, BackendConnect>>,
    > = std::sync::OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

pub(crate) fn note_backend(kind: &str, connect: BackendConnect) {
    known()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(kind.to_string(), connect);
}

/// The connector of backend type `kind`, if compiled in.
pub fn known_backend(kind: &str) -> Option<BackendConnect> {
    known()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(kind)
        .copied()
}
