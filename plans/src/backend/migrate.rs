//! `init -migrate-state`: copying every workspace's state from one backend to another, as
//! Terraform does when a backend changes. Both sides are locked while a workspace is copied;
//! the state keeps its lineage and is written with a higher serial than either side had, and
//! unreconciled intents travel with it.

use super::{Configured, StateBackend};
use gantry_core::state::StateError;
use std::time::Duration;

/// What migration did to one workspace.
#[derive(Debug, PartialEq, Eq)]
pub enum Copied {
    /// Copied (`serial` as written in the destination).
    State { workspace: String, serial: u64 },
    /// Nothing to copy.
    Empty { workspace: String },
}

/// Whether any workspace of `b` has state.
pub fn has_any_state(b: &Configured) -> Result<bool, StateError> {
    for w in b.workspaces()? {
        let s = b.state(&w);
        let (st, _) = s.load()?;
        if s.has_state()
            && !(st.resources.is_empty() && st.outputs.is_empty() && st.pending.is_empty())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Copies each workspace of `from` into `to`. A destination holding another lineage with
/// objects in it is refused unless `force` (Terraform asks the same question).
pub fn migrate(
    from: &Configured,
    to: &Configured,
    lock_timeout: Duration,
    force: bool,
) -> Result<Vec<Copied>, StateError> {
    let mut done = Vec::new();
    for w in from.workspaces()? {
        done.push(copy_workspace(
            &from.state(&w),
            &to.state(&w),
            &w,
            lock_timeout,
            force,
        )?);
    }
    Ok(done)
}

fn copy_workspace(
    src: &StateBackend,
    dst: &StateBackend,
    workspace: &str,
    lock_timeout: Duration,
    force: bool,
) -> Result<Copied, StateError> {
    let _src_lock = src.lock("OperationTypeMigrate", lock_timeout)?;
    let (mut state, _) = src.load()?;
    if !src.has_state() {
        return Ok(Copied::Empty {
            workspace: workspace.into(),
        });
    }
    let _dst_lock = dst.lock("OperationTypeMigrate", lock_timeout)?;
    let (existing, _) = dst.load()?;
    if dst.has_state()
        && existing.lineage != state.lineage
        && !existing.resources.is_empty()
        && !force
    {
        return Err(StateError::Io(format!(
            "workspace {workspace:?}: {} already holds a different state (lineage {}, {} object(s)); copying would replace it. Use -force-copy to replace it.",
            dst.describe(),
            existing.lineage,
            existing.resources.len()
        )));
    }
    // Newer than anything either side has seen, so every reader takes it as the latest.
    if existing.lineage == state.lineage {
        state.serial = state.serial.max(existing.serial);
    }
    dst.write_snapshot(&mut state)?;
    Ok(Copied::State {
        workspace: workspace.into(),
        serial: state.serial,
    })
}
