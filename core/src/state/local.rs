//! The local state backend: a snapshot file, an append-only journal and a lock file.
//!
//! - Snapshot (`gantry.tfstate`): v4 JSON, written atomically (temp file + fsync + rename +
//!   directory fsync), mode 0600. The previous snapshot is kept as `gantry.tfstate.backup`.
//! - Journal (`gantry.tfstate.journal`): one JSON line per completed operation, fsynced before
//!   the operation counts as done. Persisting an operation costs O(size of that object), not
//!   O(size of the state). Loading replays the journal over the snapshot; a torn last line
//!   (the process died mid-write) is ignored, since its operation was never acknowledged.
//! - Lock (`.gantry.tfstate.lock.info`): an OS file lock held for the command's lifetime,
//!   with the holder's details written inside so a second writer can name it.

use super::{instance_to_json, State, StateError};
use crate::addr::InstanceAddr;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum JournalEntry {
    /// An object was created or updated: its full new instance record.
    Set {
        addr: String,
        instance: serde_json::Value,
    },
    /// An object was deleted.
    Remove { addr: String },
    /// The root module's outputs were re-evaluated.
    Outputs { outputs: serde_json::Value },
    /// An operation is about to be sent. Until a `Set` or `Remove` of the same address
    /// follows, a later run must reconcile it (see `Provider::find_by_token`).
    Intent {
        addr: String,
        action: String,
        token: String,
        /// The planned object (creates): what to look for.
        #[serde(default)]
        planned: serde_json::Value,
    },
}

impl JournalEntry {
    pub fn set(addr: &InstanceAddr, inst: &super::ResourceInstance) -> JournalEntry {
        JournalEntry::Set {
            addr: addr.to_string(),
            instance: instance_to_json(addr, inst),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    pub who: String,
    pub version: String,
    pub created: String,
    pub path: String,
}

#[derive(Clone, Debug)]
pub struct LocalBackend {
    path: PathBuf,
    version: String,
}

impl LocalBackend {
    /// A backend for the state file at `path`. `version` is written as `terraform_version`.
    pub fn new(path: impl Into<PathBuf>, version: &str) -> LocalBackend {
        LocalBackend {
            path: path.into(),
            version: version.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(suffix);
        PathBuf::from(s)
    }

    pub fn journal_path(&self) -> PathBuf {
        self.sibling(".journal")
    }

    pub fn backup_path(&self) -> PathBuf {
        self.sibling(".backup")
    }

    fn lock_path(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "gantry.tfstate".into());
        self.path.with_file_name(format!(".{name}.lock.info"))
    }

    /// Loads the snapshot (or a new empty state) and replays any journal left by a run that
    /// did not finish. Returns the state and how many journal entries were recovered.
    pub fn load(&self) -> Result<(State, usize), StateError> {
        let mut state = match std::fs::read(&self.path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => State::new(),
            Ok(bytes) => {
                let corrupt = |reason: String| StateError::Corrupt {
                    path: self.path.display().to_string(),
                    reason,
                };
                State::from_slice(&bytes).map_err(|e| {
                    corrupt(format!(
                        "{e} (the file may be truncated or edited by hand; the previous snapshot is in {})",
                        self.backup_path().display()
                    ))
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::new(),
            Err(e) => {
                return Err(StateError::Io(format!(
                    "reading {}: {e}",
                    self.path.display()
                )))
            }
        };
        let mut recovered = 0;
        match std::fs::read_to_string(self.journal_path()) {
            Ok(text) => {
                for line in text.lines() {
                    // A torn final line is an operation that never completed its write.
                    let Ok(entry) = serde_json::from_str::<JournalEntry>(line) else {
                        break;
                    };
                    state
                        .apply_entry(&entry)
                        .map_err(|reason| StateError::Corrupt {
                            path: self.journal_path().display().to_string(),
                            reason,
                        })?;
                    if matches!(
                        entry,
                        JournalEntry::Set { .. } | JournalEntry::Remove { .. }
                    ) {
                        recovered += 1;
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::Io(format!("reading journal: {e}"))),
        }
        Ok((state, recovered))
    }

    /// Writes `state` as the new snapshot (serial + 1) atomically, then drops the journal,
    /// whose entries the snapshot now contains.
    pub fn write_snapshot(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        if self.path.exists() {
            std::fs::copy(&self.path, self.backup_path())
                .map_err(|e| StateError::Io(format!("writing backup: {e}")))?;
            set_private(&self.backup_path());
        }
        // No trailing newline: byte for byte what Terraform writes.
        write_atomic_with(&self.path, |w| state.write_json(&mut *w, &self.version))
            .map_err(|e| StateError::Io(format!("writing {}: {e}", self.path.display())))?;
        // The snapshot now holds every finished operation. Unreconciled intents must survive
        // it, so the journal is replaced by one holding just those (usually: removed).
        if state.pending.is_empty() {
            match std::fs::remove_file(self.journal_path()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::Io(format!("removing journal: {e}"))),
            }
        } else {
            let mut lines = Vec::new();
            for (a, p) in &state.pending {
                let e = JournalEntry::Intent {
                    addr: a.to_string(),
                    action: p.action.clone(),
                    token: p.token.clone(),
                    planned: p.planned.to_json(),
                };
                serde_json::to_writer(&mut lines, &e).map_err(|e| StateError::Io(e.to_string()))?;
                lines.push(b'\n');
            }
            write_atomic(&self.journal_path(), &lines)
                .map_err(|e| StateError::Io(format!("rewriting journal: {e}")))?;
        }
        Ok(())
    }

    /// Opens the journal for appending.
    pub fn journal(&self) -> Result<Journal, StateError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.journal_path())
            .map_err(|e| StateError::Io(format!("opening journal: {e}")))?;
        set_private(&self.journal_path());
        Ok(Journal { file })
    }

    /// Takes the state lock for `operation`, waiting up to `timeout` for another holder.
    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        let deadline = Instant::now() + timeout;
        let io = |e: std::io::Error| StateError::Io(format!("state lock: {e}"));
        loop {
            let lock_path = self.lock_path();
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {
                    let info = LockInfo {
                        id: uuid::Uuid::new_v4().to_string(),
                        operation: operation.to_string(),
                        who: who(),
                        version: self.version.clone(),
                        created: chrono::Utc::now().to_rfc3339(),
                        path: self.path.display().to_string(),
                    };
                    file.set_len(0).map_err(io)?;
                    file.write_all(serde_json::to_string(&info).unwrap_or_default().as_bytes())
                        .map_err(io)?;
                    file.sync_all().map_err(io)?;
                    return Ok(LockGuard { file, info });
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        let mut text = String::new();
                        let _ = file.read_to_string(&mut text);
                        let info = serde_json::from_str(&text).unwrap_or(LockInfo {
                            id: "(unknown)".into(),
                            operation: "(unknown)".into(),
                            who: "(unknown)".into(),
                            version: String::new(),
                            created: String::new(),
                            path: self.path.display().to_string(),
                        });
                        return Err(StateError::Locked(Box::new(info)));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
    }

    /// Removes a lock whose holder died or hung, if `id` is the lock's id.
    pub fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let text = std::fs::read_to_string(self.lock_path()).unwrap_or_default();
        let Ok(info) = serde_json::from_str::<LockInfo>(&text) else {
            return Err(StateError::Unlock("the state is not locked".into()));
        };
        if info.id != id {
            return Err(StateError::Unlock(format!(
                "lock id {id:?} does not match the current lock id {:?}",
                info.id
            )));
        }
        // Unlinking breaks the lock even for a live holder: the next run opens a new file.
        std::fs::remove_file(self.lock_path())
            .map_err(|e| StateError::Unlock(format!("removing lock: {e}")))
    }
}

/// Held for as long as a command may write state; released (and its info cleared) on drop.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    pub info: LockInfo,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

pub struct Journal {
    file: File,
}

impl Journal {
    /// Appends entries and fsyncs once for all of them (group commit).
    pub fn append(&mut self, entries: &[JournalEntry]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut buf, e)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }
}

fn who() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host} (pid {})", std::process::id())
}

#[cfg(unix)]
fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn set_private(_path: &Path) {}

/// Writes a file so that readers see either the old or the new content, never a mix:
/// temp file in the same directory, fsync, rename over, fsync the directory. Mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] with the content produced by a writer callback (buffered).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let written = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let f = opts.open(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &f);
        fill(&mut w)?;
        w.flush()?;
        drop(w);
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    set_private(path);
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::ResourceAddr;
    use crate::state::ResourceInstance;
    use crate::value::Value;

    fn inst() -> ResourceInstance {
        ResourceInstance {
            provider: "p".into(),
            value: Value::from_json(&serde_json::json!({"id": "1"})),
            dependencies: vec![],
            schema_version: 0,
            create_before_destroy: false,
            types: Default::default(),
        }
    }

    #[test]
    fn journal_replays_over_snapshot_and_ignores_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("gantry.tfstate"), "test");
        let (mut st, _) = b.load().unwrap();
        b.write_snapshot(&mut st).unwrap();
        let a =
            ResourceAddr::managed("terraform_data", "a").instance(crate::addr::InstanceKey::Int(0));
        let mut j = b.journal().unwrap();
        j.append(&[JournalEntry::set(&a, &inst())]).unwrap();
        drop(j);
        // A torn write at the end, as if the process died mid-append.
        let mut f = OpenOptions::new()
            .append(true)
            .open(b.journal_path())
            .unwrap();
        f.write_all(b"{\"op\":\"remove\",\"ad").unwrap();
        let (st2, recovered) = b.load().unwrap();
        assert_eq!(recovered, 1);
        assert!(st2.resources.contains_key(&a));
        assert_eq!(st2.lineage, st.lineage);
    }

    #[test]
    fn a_second_lock_names_the_holder_and_force_unlock_needs_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("gantry.tfstate"), "test");
        let g = b.lock("apply", Duration::ZERO).unwrap();
        // File locks are per open file description, so a second open in this process conflicts.
        match b.lock("plan", Duration::ZERO) {
            Err(StateError::Locked(info)) => {
                assert_eq!(info.id, g.info.id);
                assert_eq!(info.operation, "apply");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        assert!(b.force_unlock("wrong-id").is_err());
        b.force_unlock(&g.info.id).unwrap();
        drop(g);
        let g2 = b.lock("plan", Duration::ZERO).unwrap();
        drop(g2);
        assert!(b.lock("plan", Duration::ZERO).is_ok());
    }

    #[test]
    fn corrupt_snapshot_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gantry.tfstate");
        std::fs::write(&p, "{\"version\": 4, \"lin").unwrap();
        let b = LocalBackend::new(&p, "test");
        assert!(matches!(b.load(), Err(StateError::Corrupt { .. })));
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"version\": 4, \"lin"
        );
    }
}
