//! Terraform workspaces of the local backend: named states of one configuration, laid out as
//! Terraform lays them out, so either tool sees the other's workspaces.
//!
//! - The selected workspace: `TF_WORKSPACE` if set, else the name in
//!   `.terraform/environment` (`TF_DATA_DIR/environment`), else `default`.
//! - `default` keeps its state at the backend's path (`terraform.tfstate`); another workspace
//!   NAME at `terraform.tfstate.d/NAME/terraform.tfstate` (the directory is `workspace_dir`
//!   of a `backend "local"` block when set). A workspace exists when its directory does.

use crate::workspace::Failure;
use gantry_core::diag::Diagnostic;
use std::path::{Path, PathBuf};

pub const DEFAULT: &str = "default";

/// `.terraform`, or `TF_DATA_DIR`.
pub fn data_dir(dir: &Path) -> PathBuf {
    match std::env::var_os("TF_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(d) => dir.join(d),
        None => dir.join(".terraform"),
    }
}

/// The selected workspace.
pub fn current(dir: &Path) -> String {
    if let Some(w) = std::env::var("TF_WORKSPACE").ok().filter(|w| !w.is_empty()) {
        return w;
    }
    std::fs::read_to_string(data_dir(dir).join("environment"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT.to_string())
}

/// Where workspace `name` keeps its state, given the default workspace's state file and the
/// directory non-default workspaces live in.
pub fn state_path(default_state: &Path, workspaces_dir: &Path, name: &str) -> PathBuf {
    if name == DEFAULT {
        default_state.to_path_buf()
    } else {
        workspaces_dir.join(name).join("terraform.tfstate")
    }
}

/// Every workspace, `default` first then by name.
pub fn list(workspaces_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspaces_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != DEFAULT)
        .collect();
    names.sort();
    names.insert(0, DEFAULT.to_string());
    names
}

pub fn exists(workspaces_dir: &Path, name: &str) -> bool {
    name == DEFAULT || workspaces_dir.join(name).is_dir()
}

/// Terraform's rule: URL-safe characters, no path separators, not empty.
pub fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
        && name != "."
        && name != "..";
    if ok {
        Ok(())
    } else {
        Err(Failure::from(Diagnostic::error(
            "Invalid workspace name",
            format!("The workspace name {name:?} is not allowed. The name must contain only URL safe characters, contain no path separators, and not be an empty string."),
        )))
    }
}

/// Records `name` as the selected workspace (`.terraform/environment`).
pub fn select(dir: &Path, name: &str) -> Result<(), Failure> {
    let data = data_dir(dir);
    std::fs::create_dir_all(&data)
        .and_then(|()| std::fs::write(data.join("environment"), name))
        .map_err(|e| {
            Failure::from(Diagnostic::error(
                "Failed to select workspace",
                format!("{}: {e}", data.display()),
            ))
        })
}

/// Creates workspace `name` (its directory).
pub fn create(workspaces_dir: &Path, name: &str) -> Result<(), Failure> {
    check_name(name)?;
    if exists(workspaces_dir, name) {
        return Err(Failure::from(Diagnostic::error(
            format!("Workspace {name:?} already exists"),
            "",
        )));
    }
    std::fs::create_dir_all(workspaces_dir.join(name)).map_err(|e| {
        Failure::from(Diagnostic::error(
            "Failed to create workspace",
            format!("{name}: {e}"),
        ))
    })
}

/// Deletes workspace `name`: its directory with its state and journal.
pub fn delete(workspaces_dir: &Path, name: &str) -> Result<(), Failure> {
    std::fs::remove_dir_all(workspaces_dir.join(name)).map_err(|e| {
        Failure::from(Diagnostic::error(
            "Failed to delete workspace",
            format!("{name}: {e}"),
        ))
    })
}
