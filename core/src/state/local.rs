//! The local state backend: a snapshot file, an append-only journal and a lock file.
//!
//! - Snapshot (`terraform.tfstate`): v4 JSON as Terraform writes it, rewritten in place (see
//!   `write_snapshot` for why and how that stays crash-safe). The previous snapshot is kept
//!   as `terraform.tfstate.backup`.
//! - Journal (`terraform.tfstate.journal`): one JSON line per completed operation, fsynced before
//!   the operation counts as done. Persisting an operation costs O(size of that object), not
//!   O(size of the state). Loading replays the journal over the snapshot; a torn last line
//!   (the process died mid-write) is ignored, since its operation was never acknowledged.
//! - Lock: Terraform's own (an fcntl lock on the state file, the holder's details in
//!   `.terraform.tfstate.lock.info`), see `lock.rs`.

use super::lock::LockGuard;
use super::{instance_to_json, State, StateError};
use crate::addr::InstanceAddr;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// The snapshot the entries after it apply to (remote backends: the state object's
    /// lineage and serial when this journal began), so a journal left on one machine is
    /// replayed only over the state it was written against.
    Base { lineage: String, serial: u64 },
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

    /// An object that exists but is marked for replacement (a create that failed part-way:
    /// the provider returned what it made together with the error), as Terraform taints it.
    pub fn set_tainted(addr: &InstanceAddr, inst: &super::ResourceInstance) -> JournalEntry {
        let mut instance = instance_to_json(addr, inst);
        if let Some(o) = instance.as_object_mut() {
            o.insert("status".into(), "tainted".into());
        }
        JournalEntry::Set {
            addr: addr.to_string(),
            instance,
        }
    }
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

    /// Whether a state has been written here (the lock creates the file empty, as
    /// Terraform's does, so existence alone says nothing).
    pub fn has_state(&self) -> bool {
        std::fs::metadata(&self.path).is_ok_and(|m| m.len() > 0)
    }

    pub fn journal_path(&self) -> PathBuf {
        self.sibling(".journal")
    }

    pub fn backup_path(&self) -> PathBuf {
        self.sibling(".backup")
    }

    /// Loads the snapshot (or a new empty state) and replays any journal left by a run that
    /// did not finish. Returns the state and how many journal entries were recovered.
    pub fn load(&self) -> Result<(State, usize), StateError> {
        let mut state = match std::fs::read(&self.path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => State::new(),
            Ok(bytes) => match State::from_slice(&bytes) {
                Ok(st) => st,
                // The snapshot is rewritten in place (see `write_snapshot`), so a crash in the
                // middle of that write leaves it torn; the journal is still there then, and
                // the backup is the snapshot it applies to.
                Err(_) if self.journal_path().exists() => self.torn_snapshot_base()?,
                Err(e) => {
                    return Err(StateError::Corrupt {
                        path: self.path.display().to_string(),
                        reason: format!(
                            "{e} (the file may be truncated or edited by hand; the previous snapshot is in {})",
                            self.backup_path().display()
                        ),
                    })
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::new(),
            Err(e) => {
                return Err(StateError::Io(format!(
                    "reading {}: {e}",
                    self.path.display()
                )))
            }
        };
        let entries = read_journal(&self.journal_path())?;
        let recovered = state
            .replay(&entries)
            .map_err(|reason| StateError::Corrupt {
                path: self.journal_path().display().to_string(),
                reason,
            })?;
        Ok((state, recovered))
    }

    /// The state a torn snapshot was being written over: the backup (or nothing, for the
    /// first snapshot), to replay the journal on.
    fn torn_snapshot_base(&self) -> Result<State, StateError> {
        tracing::warn!(
            "{} is torn (a write was interrupted); recovering it from {} and the journal",
            self.path.display(),
            self.backup_path().display()
        );
        match std::fs::read(self.backup_path()) {
            Ok(bytes) => State::from_slice(&bytes).map_err(|e| StateError::Corrupt {
                path: self.backup_path().display().to_string(),
                reason: e,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::new()),
            Err(e) => Err(StateError::Io(format!("reading backup: {e}"))),
        }
    }

    /// Writes `state` as the new snapshot (serial + 1), then drops the journal, whose entries
    /// the snapshot now contains.
    ///
    /// The file is rewritten in place, as Terraform writes it: Terraform's lock (which gantry
    /// shares) is on the state file's inode, so replacing the file by rename would leave a
    /// waiting Terraform process locked on, reading and writing an unlinked file. Atomicity
    /// comes from the order instead: the backup is written (atomically) first and the journal
    /// is dropped last, so a torn snapshot is rebuilt from backup + journal by `load`.
    pub fn write_snapshot(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        let io = |what: &str, e: std::io::Error| StateError::Io(format!("{what}: {e}"));
        match std::fs::read(&self.path) {
            Ok(bytes) if !bytes.is_empty() => {
                write_atomic(&self.backup_path(), &bytes).map_err(|e| io("writing backup", e))?
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("reading state for backup", e)),
        }
        let written = (|| {
            use std::io::Seek;
            let f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&self.path)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, &f);
            // No trailing newline: byte for byte what Terraform writes.
            state.write_json(&mut w, &self.version)?;
            w.flush()?;
            drop(w);
            let len = (&f).stream_position()?;
            f.set_len(len)?;
            f.sync_all()
        })();
        written.map_err(|e| io(&format!("writing {}", self.path.display()), e))?;
        // The snapshot now holds every finished operation. Unreconciled intents must survive
        // it, so the journal is replaced by one holding just those (usually: removed).
        if state.pending.is_empty() {
            match std::fs::remove_file(self.journal_path()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::Io(format!("removing journal: {e}"))),
            }
        } else {
            let lines = journal_lines(&state.pending_entries())
                .map_err(|e| StateError::Io(e.to_string()))?;
            write_atomic(&self.journal_path(), &lines)
                .map_err(|e| StateError::Io(format!("rewriting journal: {e}")))?;
        }
        Ok(())
    }

    /// Opens the journal for appending.
    pub fn journal(&self) -> Result<Journal, StateError> {
        Journal::open(&self.journal_path())
            .map_err(|e| StateError::Io(format!("opening journal: {e}")))
    }

    /// Takes the state lock for `operation` (Terraform's lock: see `lock.rs`), waiting up to
    /// `timeout` for another holder.
    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        super::lock::lock(&self.path, &self.version, operation, timeout)
    }

    /// Clears a lock whose holder died, if `id` is the lock's id.
    pub fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        super::lock::force_unlock(&self.path, id)
    }
}

pub struct Journal {
    file: File,
}

impl Journal {
    /// Opens the journal at `path` for appending (created private if missing).
    pub fn open(path: &Path) -> std::io::Result<Journal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        set_private(path);
        Ok(Journal { file })
    }

    /// Appends entries and fsyncs once for all of them (group commit).
    pub fn append(&mut self, entries: &[JournalEntry]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.file.write_all(&journal_lines(entries)?)?;
        self.file.sync_data()
    }
}

/// Entries as journal lines: one JSON object per line.
pub fn journal_lines(entries: &[JournalEntry]) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    for e in entries {
        serde_json::to_writer(&mut buf, e)?;
        buf.push(b'\n');
    }
    Ok(buf)
}

/// Reads a journal's entries, stopping at a torn last line (an append that never finished,
/// so never acknowledged). A missing file is an empty journal.
pub fn read_journal(path: &Path) -> Result<Vec<JournalEntry>, StateError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map_while(|l| serde_json::from_str::<JournalEntry>(l).ok())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(StateError::Io(format!("reading {}: {e}", path.display()))),
    }
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
            private: Vec::new(),
        }
    }

    #[test]
    fn journal_replays_over_snapshot_and_ignores_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("terraform.tfstate"), "test");
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
        let path = dir.path().join("terraform.tfstate");
        let b = LocalBackend::new(&path, "test");
        let g = b.lock("OperationTypeApply", Duration::ZERO).unwrap();
        // Terraform's lock info, Terraform's field names.
        let info: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(".terraform.tfstate.lock.info")).unwrap(),
        )
        .unwrap();
        for k in [
            "ID",
            "Operation",
            "Info",
            "Who",
            "Version",
            "Created",
            "Path",
        ] {
            assert!(info.get(k).is_some(), "lock info lacks {k}: {info}");
        }
        // OFD locks belong to the open file description: a second open here conflicts.
        match b.lock("OperationTypePlan", Duration::ZERO) {
            Err(StateError::Locked(info)) => {
                assert_eq!(info.id, g.info.id);
                assert_eq!(info.operation, "OperationTypeApply");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        assert!(b.force_unlock("wrong-id").is_err());
        // A live holder cannot be unlocked from outside.
        assert!(b.force_unlock(&g.info.id).is_err());
        let id = g.info.id.clone();
        let info_text =
            std::fs::read_to_string(dir.path().join(".terraform.tfstate.lock.info")).unwrap();
        drop(g);
        // Released: the lock info is gone and the empty state file the lock created too.
        assert!(!dir.path().join(".terraform.tfstate.lock.info").exists());
        assert!(!path.exists());
        // Lock info left by a holder that died: force-unlock with its id clears it.
        std::fs::write(dir.path().join(".terraform.tfstate.lock.info"), info_text).unwrap();
        b.force_unlock(&id).unwrap();
        assert!(b.lock("OperationTypePlan", Duration::ZERO).is_ok());
    }

    #[test]
    fn a_torn_snapshot_is_rebuilt_from_backup_and_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terraform.tfstate");
        let b = LocalBackend::new(&path, "test");
        let (mut st, _) = b.load().unwrap();
        b.write_snapshot(&mut st).unwrap();
        let a =
            ResourceAddr::managed("terraform_data", "a").instance(crate::addr::InstanceKey::None);
        let mut j = b.journal().unwrap();
        j.append(&[JournalEntry::set(&a, &inst())]).unwrap();
        drop(j);
        // The next snapshot's write died half-way: backup written, state file torn.
        std::fs::copy(&path, b.backup_path()).unwrap();
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() / 2]).unwrap();
        let (st2, recovered) = b.load().unwrap();
        assert_eq!(recovered, 1);
        assert!(st2.resources.contains_key(&a));
        assert_eq!(st2.lineage, st.lineage);
    }

    #[test]
    fn corrupt_snapshot_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("terraform.tfstate");
        std::fs::write(&p, "{\"version\": 4, \"lin").unwrap();
        let b = LocalBackend::new(&p, "test");
        assert!(matches!(b.load(), Err(StateError::Corrupt { .. })));
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"version\": 4, \"lin"
        );
    }
}
