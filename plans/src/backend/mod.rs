//! State backends as the engine sees them: where one workspace's state lives, how it is
//! locked, loaded, journaled and written.
//!
//! - [`StateBackend`]: one workspace's state, local (`terraform.tfstate` + journal + fcntl
//!   lock, `gantry_core::state::LocalBackend`) or remote ([`RemoteStore`] over a
//!   `gantry_core::state::remote::RemoteState`).
//! - [`Configured`]: the configuration's backend as a whole (every workspace), for
//!   `workspace` commands and state migration.
//! - `settings`: the backend block evaluated, `-backend-config` merged, and what `init`
//!   saved in `.terraform/terraform.tfstate`.

pub mod migrate;
mod remote;
pub mod settings;

pub use remote::{block_on, PushStats, RemoteJournal, RemoteLock, RemoteStore};

use crate::journal::StateSink;
use gantry_core::state::remote::RemoteBackend;
use gantry_core::state::{LocalBackend, LockGuard, State, StateError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One workspace's state.
pub enum StateBackend {
    Local(LocalBackend),
    Remote(RemoteStore),
}

/// The state lock, released on drop.
pub enum StateLock {
    Local(LockGuard),
    Remote(remote::RemoteLock),
}

impl StateLock {
    /// The lock's id (for messages and `force-unlock`).
    pub fn id(&self) -> &str {
        match self {
            StateLock::Local(g) => &g.info.id,
            StateLock::Remote(r) => r.id(),
        }
    }
}

impl StateBackend {
    /// Where the state lives, for messages.
    pub fn describe(&self) -> String {
        match self {
            StateBackend::Local(b) => b.path().display().to_string(),
            StateBackend::Remote(r) => r.location(),
        }
    }

    /// Whether a state has been written (known once loaded, for remote stores).
    pub fn has_state(&self) -> bool {
        match self {
            StateBackend::Local(b) => b.has_state(),
            StateBackend::Remote(r) => r.has_state(),
        }
    }

    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        match self {
            StateBackend::Local(b) => b.lock(operation, timeout).map(StateLock::Local),
            StateBackend::Remote(r) => r.lock(operation, timeout).map(StateLock::Remote),
        }
    }

    /// The state, with what an interrupted run journaled folded in; and how many completed
    /// operations that recovered.
    pub fn load(&self) -> Result<(State, usize), StateError> {
        match self {
            StateBackend::Local(b) => b.load(),
            StateBackend::Remote(r) => r.load(),
        }
    }

    /// Writes `state` as the new snapshot (serial increased), keeping its unreconciled
    /// intents.
    pub fn write_snapshot(&self, state: &mut State) -> Result<(), StateError> {
        match self {
            StateBackend::Local(b) => b.write_snapshot(state),
            StateBackend::Remote(r) => r.write_snapshot(state),
        }
    }

    /// Where an apply starting from `state` records its operations.
    pub fn journal(&self, state: &State) -> Result<Box<dyn StateSink>, StateError> {
        match self {
            StateBackend::Local(b) => Ok(Box::new(b.journal()?)),
            StateBackend::Remote(r) => Ok(Box::new(r.journal(state)?)),
        }
    }

    /// Clears the lock `id` left by a holder that died.
    pub fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        match self {
            StateBackend::Local(b) => b.force_unlock(id),
            StateBackend::Remote(r) => r.force_unlock(id),
        }
    }
}

/// The configuration's backend with all its workspaces.
#[derive(Clone)]
pub enum Configured {
    Local {
        /// The default workspace's state file.
        default_state: PathBuf,
        /// Where other workspaces live (`terraform.tfstate.d`).
        workspaces_dir: PathBuf,
    },
    Remote {
        backend: Arc<dyn RemoteBackend>,
        /// The working directory's data dir, where local journals of remote states live.
        data_dir: PathBuf,
        /// The settings it was made from (saved by `init`, compared on migration).
        settings: settings::Settings,
    },
}

impl Configured {
    /// The backend type, as Terraform names it.
    pub fn kind(&self) -> String {
        match self {
            Configured::Local { .. } => "local".into(),
            Configured::Remote { backend, .. } => backend.kind().into(),
        }
    }

    pub fn workspaces(&self) -> Result<Vec<String>, StateError> {
        match self {
            Configured::Local { workspaces_dir, .. } => Ok(crate::workspaces::list(workspaces_dir)),
            Configured::Remote { backend, .. } => {
                let b = backend.clone();
                remote::block_on(async move { b.workspaces().await })?
            }
        }
    }

    /// Workspace `name`'s state.
    pub fn state(&self, name: &str) -> StateBackend {
        match self {
            Configured::Local {
                default_state,
                workspaces_dir,
            } => StateBackend::Local(LocalBackend::new(
                crate::workspaces::state_path(default_state, workspaces_dir, name),
                env!("CARGO_PKG_VERSION"),
            )),
            Configured::Remote {
                backend, data_dir, ..
            } => StateBackend::Remote(RemoteStore::new(backend.as_ref(), name, data_dir)),
        }
    }

    /// Creates workspace `name`. Local: its directory. Remote: an empty state written under
    /// the lock, as Terraform's remote backends create one.
    pub fn create_workspace(&self, name: &str) -> Result<(), StateError> {
        match self {
            Configured::Local { workspaces_dir, .. } => {
                std::fs::create_dir_all(workspaces_dir.join(name))
                    .map_err(|e| StateError::Io(format!("creating workspace {name}: {e}")))
            }
            Configured::Remote { .. } => {
                let s = self.state(name);
                let _lock = s.lock("OperationTypeInvalid", Duration::ZERO)?;
                let (mut state, _) = s.load()?;
                if !s.has_state() {
                    s.write_snapshot(&mut state)?;
                }
                Ok(())
            }
        }
    }

    pub fn delete_workspace(&self, name: &str) -> Result<(), StateError> {
        match self {
            Configured::Local { workspaces_dir, .. } => {
                std::fs::remove_dir_all(workspaces_dir.join(name))
                    .map_err(|e| StateError::Io(format!("deleting workspace {name}: {e}")))
            }
            Configured::Remote {
                backend, data_dir, ..
            } => {
                let b = backend.clone();
                let n = name.to_string();
                remote::block_on(async move { b.delete_workspace(&n).await })??;
                let _ =
                    std::fs::remove_file(remote::journal_path(backend.as_ref(), name, data_dir));
                Ok(())
            }
        }
    }
}
