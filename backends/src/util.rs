//! Helpers every backend shares.

use gantry_core::state::{LockInfo, StateError};

/// A store error as a state error, naming what was being done.
pub fn io(what: impl std::fmt::Display, e: impl std::fmt::Display) -> StateError {
    StateError::Io(format!("{what}: {e}"))
}

/// Lock info as stored (Terraform's JSON).
pub fn lock_json(info: &LockInfo) -> Vec<u8> {
    serde_json::to_vec(info).unwrap_or_default()
}

/// The holder recorded in a lock object; a placeholder naming `where_` when unreadable.
pub fn holder(bytes: Option<&[u8]>, where_: &str) -> LockInfo {
    bytes
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_else(|| LockInfo {
            id: String::new(),
            operation: String::new(),
            info: String::new(),
            who: format!("(unknown: the lock at {where_} holds no readable lock info)"),
            version: String::new(),
            created: String::new(),
            path: where_.to_string(),
        })
}

/// Refuses to release a lock that is not `id`.
pub fn check_owner(current: &LockInfo, id: &str) -> Result<(), StateError> {
    if current.id != id {
        return Err(StateError::Unlock(format!(
            "lock id {id:?} does not match the existing lock (held by {}, id {:?})",
            current.who, current.id
        )));
    }
    Ok(())
}
