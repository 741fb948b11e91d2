//! The local state lock, taken exactly as Terraform takes it, so gantry and Terraform exclude
//! each other in one directory:
//!
//! - an exclusive `fcntl` lock over the whole state file itself (`terraform.tfstate`, created
//!   empty if missing, and removed again at unlock if it is still empty, as Terraform does).
//!   gantry uses open-file-description locks (`F_OFD_SETLK`), which conflict with the
//!   classic record lock Terraform's Go code takes and, unlike it, also with a second lock
//!   from the same process;
//! - `.terraform.tfstate.lock.info` beside it: the holder's details in Terraform's JSON
//!   (`ID`, `Operation`, `Info`, `Who`, `Version`, `Created`, `Path`), which either tool
//!   shows when it is refused.
//!
//! Because the lock lives on the state file's inode, the state file must be rewritten in
//! place while locked, never replaced by rename (see `LocalBackend::write_snapshot`).

use super::StateError;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    #[serde(default)]
    pub info: String,
    pub who: String,
    pub version: String,
    pub created: String,
    pub path: String,
}

/// Held for as long as a command may write state; released on drop (lock info removed, the
/// state file removed if this lock created it and nothing was written).
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    pub info: LockInfo,
    info_path: PathBuf,
    state_path: PathBuf,
    created: bool,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.info_path);
        if self.created && self.file.metadata().is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&self.state_path);
        }
        // Closing the file (after this) releases the fcntl lock.
    }
}

/// `.NAME.lock.info` beside the state file `NAME`.
pub fn info_path(state: &Path) -> PathBuf {
    let name = state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "terraform.tfstate".into());
    state.with_file_name(format!(".{name}.lock.info"))
}

/// Takes the lock on `state` for `operation`, waiting up to `timeout` for another holder.
pub fn lock(
    state: &Path,
    version: &str,
    operation: &str,
    timeout: Duration,
) -> Result<LockGuard, StateError> {
    let io = |e: std::io::Error| StateError::Io(format!("state lock on {}: {e}", state.display()));
    let created = !state.exists();
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        // As Terraform does for a `path` in a directory not made yet.
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(state)
        .map_err(io)?;
    let deadline = Instant::now() + timeout;
    loop {
        if try_lock(&file).map_err(io)? {
            break;
        }
        if Instant::now() >= deadline {
            return Err(StateError::Locked(Box::new(read_info(state))));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let info = LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        operation: operation.to_string(),
        info: String::new(),
        who: who(),
        version: version.to_string(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        path: state
            .strip_prefix(".")
            .unwrap_or(state)
            .display()
            .to_string(),
    };
    let text = serde_json::to_string(&info).map_err(|e| StateError::Io(e.to_string()))?;
    let info_path = info_path(state);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&info_path)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(LockGuard {
        file,
        info,
        info_path,
        state_path: state.to_path_buf(),
        created,
    })
}

/// What the lock info file says about the current holder.
pub fn read_info(state: &Path) -> LockInfo {
    let text = std::fs::read_to_string(info_path(state)).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(LockInfo {
        id: String::new(),
        operation: String::new(),
        info: String::new(),
        who: "(unknown: the lock info file is missing or unreadable)".into(),
        version: String::new(),
        created: String::new(),
        path: state.display().to_string(),
    })
}

/// `force-unlock` for local state: a lock a live process holds cannot be broken from outside
/// it (the OS releases it when that process exits, however it exits), so this only clears the
/// lock info a dead holder left behind, and only when `id` matches it.
pub fn force_unlock(state: &Path, id: &str) -> Result<(), StateError> {
    let info = read_info(state);
    if info.id.is_empty() {
        return Err(StateError::Unlock("the state is not locked".into()));
    }
    if info.id != id {
        return Err(StateError::Unlock(format!(
            "lock id {id:?} does not match the current lock id {:?}",
            info.id
        )));
    }
    if let Ok(f) = OpenOptions::new().read(true).write(true).open(state) {
        match try_lock(&f) {
            Ok(true) => {}
            Ok(false) => {
                return Err(StateError::Unlock(format!(
                    "the lock is held by a running process ({}). Local state cannot be unlocked by another process: stop that process, and its lock goes with it.",
                    info.who
                )))
            }
            Err(e) => return Err(StateError::Unlock(format!("checking the lock: {e}"))),
        }
    }
    std::fs::remove_file(info_path(state))
        .map_err(|e| StateError::Unlock(format!("removing lock info: {e}")))
}

/// The fcntl command: on Linux an open-file-description lock (conflicts with Terraform's
/// record lock and with a second open in this process); elsewhere the record lock itself.
#[cfg(target_os = "linux")]
const SET_LOCK: libc::c_int = libc::F_OFD_SETLK;
#[cfg(all(unix, not(target_os = "linux")))]
const SET_LOCK: libc::c_int = libc::F_SETLK;

/// Tries an exclusive lock over the whole file: Ok(false) when another holder has it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: a zeroed flock is a valid value (whole file from offset 0, pid 0 as OFD
    // locks require); the lock type and origin are set below.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: the fd is open for the duration of the call and `fl` is a valid flock.
    let r = unsafe { libc::fcntl(file.as_raw_fd(), SET_LOCK, &mut fl) };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EACCES) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(unix))]
fn try_lock(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// `user@host`, as Terraform writes `Who`.
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// The user name of this process's uid, from /etc/passwd (what Go's os/user falls back to).
fn user_from_uid() -> Option<String> {
    #[cfg(unix)]
    {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() }.to_string();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
        })
    }
    #[cfg(not(unix))]
    None
}
