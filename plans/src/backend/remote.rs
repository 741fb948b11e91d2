//! A workspace's state in a remote store, with gantry's durability on top:
//!
//! - Every operation is journaled locally first (fsynced, `.terraform/gantry/journals/`),
//!   exactly as with local state; the journal begins with the snapshot it applies to
//!   (`Base { lineage, serial }`), so it is replayed only over that snapshot.
//! - Intents (an operation about to be sent to a cloud) also reach the store before the
//!   call, as a small object beside the state (`RemoteState::put_extra("intents")`): if this
//!   machine is lost, whoever takes the lock next finds and reconciles them.
//! - Completed work reaches the store as a full snapshot at least every `push_interval`
//!   (while operations complete) and at the end; each push restarts the local journal.
//!
//! Remote clients are async (SDKs, reqwest); the engine's state calls are synchronous and
//! made from both async tasks and the journal's writer thread, so remote calls run on a
//! runtime of their own ([`block_on`]).

use crate::journal::StateSink;
use gantry_core::state::remote::{new_lock_info, RemoteBackend, RemoteState};
use gantry_core::state::{
    journal_lines, read_journal, write_atomic, Journal, JournalEntry, State, StateError,
};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How often completed work is pushed while an apply runs (Terraform pushes every 20 s).
pub const PUSH_INTERVAL: Duration = Duration::from_secs(5);

/// [`PUSH_INTERVAL`], or `GANTRY_STATE_PUSH_SECONDS` (tests and very large states).
fn push_interval() -> Duration {
    std::env::var("GANTRY_STATE_PUSH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(PUSH_INTERVAL)
}

/// The runtime remote calls run on, separate from the caller's (which may be blocked
/// waiting for them).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gantry-state")
            .enable_all()
            .build()
            .expect("starting the state runtime")
    })
}

/// Runs `f` on the state runtime and waits for it, from any thread (async or not).
pub fn block_on<F>(f: F) -> Result<F::Output, StateError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv()
        .map_err(|_| StateError::Io("the remote state call was cancelled".into()))
}

/// The local journal of workspace `workspace` of `backend`.
pub fn journal_path(backend: &dyn RemoteBackend, workspace: &str, data_dir: &Path) -> PathBuf {
    use sha2::Digest;
    let location = backend.state(workspace).location();
    let h = sha2::Sha256::digest(location.as_bytes());
    let hex: String = h[..6].iter().map(|b| format!("{b:02x}")).collect();
    data_dir
        .join("gantry")
        .join("journals")
        .join(format!("{}-{workspace}-{hex}.journal", backend.kind()))
}

/// Pushes made, for benchmarks and tests.
#[derive(Default, Debug)]
pub struct PushStats {
    pub snapshots: AtomicU64,
    pub intents: AtomicU64,
    pub micros: AtomicU64,
}

/// What the store holds as far as this process knows.
#[derive(Default)]
struct Cursor {
    /// Lineage and serial of the last snapshot read or written.
    lineage: String,
    serial: u64,
    /// Whether a state object exists.
    exists: bool,
    /// Whether the intents object exists (so an empty set of intents deletes it once).
    intents_present: bool,
}

struct Inner {
    store: Arc<dyn RemoteState>,
    journal_path: PathBuf,
    cursor: Mutex<Cursor>,
    stats: PushStats,
}

/// One workspace's remote state (see the module docs).
#[derive(Clone)]
pub struct RemoteStore {
    inner: Arc<Inner>,
    pub push_interval: Duration,
}

/// A held remote lock, released on drop.
pub struct RemoteLock {
    store: Arc<dyn RemoteState>,
    id: String,
}

impl RemoteLock {
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        let store = self.store.clone();
        let id = self.id.clone();
        match block_on(async move { store.unlock(&id).await }) {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => tracing::error!(
                "releasing the state lock {} on {}: {e}; release it with `gantry force-unlock {}`",
                self.id,
                self.store.location(),
                self.id
            ),
        }
    }
}

fn lock_poisoned<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RemoteStore {
    pub fn new(backend: &dyn RemoteBackend, workspace: &str, data_dir: &Path) -> RemoteStore {
        RemoteStore {
            inner: Arc::new(Inner {
                store: Arc::from(backend.state(workspace)),
                journal_path: journal_path(backend, workspace, data_dir),
                cursor: Mutex::new(Cursor::default()),
                stats: PushStats::default(),
            }),
            push_interval: push_interval(),
        }
    }

    pub fn location(&self) -> String {
        self.inner.store.location()
    }

    pub fn journal_path(&self) -> &Path {
        &self.inner.journal_path
    }

    pub fn stats(&self) -> &PushStats {
        &self.inner.stats
    }

    pub fn has_state(&self) -> bool {
        lock_poisoned(&self.inner.cursor).exists
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(
            Arc<dyn RemoteState>,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<T, StateError>> + Send>>,
    ) -> Result<T, StateError> {
        block_on(f(self.inner.store.clone()))?
    }

    /// Takes the lock, retrying until `timeout` while another holds it.
    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<RemoteLock, StateError> {
        let deadline = Instant::now() + timeout;
        let mut wait = Duration::from_millis(200);
        loop {
            let info = new_lock_info(operation, crate::VERSION, &self.location());
            match self.call(move |s| Box::pin(async move { s.lock(&info).await })) {
                Ok(id) => {
                    return Ok(RemoteLock {
                        store: self.inner.store.clone(),
                        id,
                    })
                }
                Err(StateError::Locked(holder)) => {
                    if Instant::now() >= deadline {
                        return Err(StateError::Locked(holder));
                    }
                    std::thread::sleep(
                        wait.min(deadline.saturating_duration_since(Instant::now())),
                    );
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Clears lock `id` (its holder died): only when `id` is the current lock's.
    pub fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let id = id.to_string();
        self.call(move |s| Box::pin(async move { s.unlock(&id).await }))
    }

    /// The snapshot, the intents stored beside it, and this machine's journal of a run
    /// that did not finish (when it was written against this very snapshot).
    pub fn load(&self) -> Result<(State, usize), StateError> {
        let location = self.location();
        let (bytes, intents) = self.call(|s| {
            Box::pin(async move {
                let b = s.get().await?;
                let i = s.get_extra("intents").await?;
                Ok((b, i))
            })
        })?;
        let exists = bytes
            .as_ref()
            .is_some_and(|b| !b.iter().all(u8::is_ascii_whitespace));
        let mut state = match &bytes {
            Some(b) if exists => State::from_slice(b).map_err(|reason| StateError::Corrupt {
                path: location.clone(),
                reason,
            })?,
            _ => State::new(),
        };
        if let Some(i) = &intents {
            let entries: Vec<JournalEntry> = String::from_utf8_lossy(i)
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            for e in entries
                .iter()
                .filter(|e| matches!(e, JournalEntry::Intent { .. }))
            {
                state.apply_entry(e).map_err(|reason| StateError::Corrupt {
                    path: format!("{location} (intents)"),
                    reason,
                })?;
            }
        }
        let journal = read_journal(&self.inner.journal_path)?;
        let mut recovered = 0;
        if let Some(JournalEntry::Base { lineage, serial }) = journal.first() {
            let fits = !exists || (*lineage == state.lineage && *serial == state.serial);
            if fits {
                if !exists {
                    state.lineage = lineage.clone();
                    state.serial = *serial;
                }
                recovered = state
                    .replay(&journal[1..])
                    .map_err(|reason| StateError::Corrupt {
                        path: self.inner.journal_path.display().to_string(),
                        reason,
                    })?;
            } else {
                // Someone wrote the state after this journal's run (they took the lock and
                // reconciled what it left in the store): the journal is history.
                tracing::warn!(
                    "ignoring {}: it applies to serial {serial} of lineage {lineage}, the store holds serial {} of {}",
                    self.inner.journal_path.display(),
                    state.serial,
                    state.lineage
                );
                let _ = std::fs::remove_file(&self.inner.journal_path);
            }
        }
        let mut c = lock_poisoned(&self.inner.cursor);
        c.lineage = state.lineage.clone();
        c.serial = state.serial;
        c.exists = exists;
        c.intents_present = intents.is_some();
        Ok((state, recovered))
    }

    /// Pushes `state` as the next snapshot, restarts the local journal from it, then pushes
    /// the intents beside it.
    pub fn write_snapshot(&self, state: &mut State) -> Result<(), StateError> {
        let started = Instant::now();
        {
            let c = lock_poisoned(&self.inner.cursor);
            state.serial = state.serial.max(c.serial) + 1;
        }
        let mut bytes = Vec::new();
        state
            .write_json(&mut bytes, env!("CARGO_PKG_VERSION"))
            .map_err(|e| StateError::Io(e.to_string()))?;
        self.call(move |s| Box::pin(async move { s.put(&bytes).await }))?;
        {
            let mut c = lock_poisoned(&self.inner.cursor);
            c.lineage = state.lineage.clone();
            c.serial = state.serial;
            c.exists = true;
        }
        self.inner.stats.snapshots.fetch_add(1, Ordering::Relaxed);
        // The local journal follows the store at once: whatever fails next, it is based on
        // the snapshot the store now holds.
        if state.pending.is_empty() {
            match std::fs::remove_file(&self.inner.journal_path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::Io(format!("removing journal: {e}"))),
            }
        } else {
            self.restart_journal(state)?;
        }
        self.push_intents(state)?;
        self.inner
            .stats
            .micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Writes the state's unreconciled intents beside it (or removes the object when none).
    fn push_intents(&self, state: &State) -> Result<(), StateError> {
        self.push_intent_entries(&state.pending_entries())
    }

    /// Writes `intents` beside the state (or removes the object when there are none).
    fn push_intent_entries(&self, intents: &[JournalEntry]) -> Result<(), StateError> {
        let present = lock_poisoned(&self.inner.cursor).intents_present;
        if intents.is_empty() && !present {
            return Ok(());
        }
        let body = if intents.is_empty() {
            None
        } else {
            Some(journal_lines(intents).map_err(|e| StateError::Io(e.to_string()))?)
        };
        let now_present = body.is_some();
        self.call(move |s| Box::pin(async move { s.put_extra("intents", body.as_deref()).await }))?;
        lock_poisoned(&self.inner.cursor).intents_present = now_present;
        self.inner.stats.intents.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Replaces the local journal by one based on the current snapshot, holding `state`'s
    /// unreconciled intents.
    fn restart_journal(&self, state: &State) -> Result<(), StateError> {
        let mut entries = vec![self.base()];
        entries.extend(state.pending_entries());
        let lines = journal_lines(&entries).map_err(|e| StateError::Io(e.to_string()))?;
        if let Some(d) = self.inner.journal_path.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| StateError::Io(format!("{}: {e}", d.display())))?;
        }
        write_atomic(&self.inner.journal_path, &lines)
            .map_err(|e| StateError::Io(format!("rewriting journal: {e}")))
    }

    fn base(&self) -> JournalEntry {
        let c = lock_poisoned(&self.inner.cursor);
        JournalEntry::Base {
            lineage: c.lineage.clone(),
            serial: c.serial,
        }
    }

    /// The sink of an apply starting from `state`.
    pub fn journal(&self, state: &State) -> Result<RemoteJournal, StateError> {
        {
            let mut c = lock_poisoned(&self.inner.cursor);
            // A state never written yet: the journal applies to this lineage.
            if !c.exists {
                c.lineage = state.lineage.clone();
            }
        }
        let has_base = matches!(
            read_journal(&self.inner.journal_path)?.first(),
            Some(JournalEntry::Base { .. })
        );
        if !has_base {
            self.restart_journal(state)?;
        }
        let journal = Journal::open(&self.inner.journal_path)
            .map_err(|e| StateError::Io(format!("opening journal: {e}")))?;
        Ok(RemoteJournal {
            store: self.clone(),
            journal,
            announced: state
                .pending_entries()
                .into_iter()
                .filter_map(|e| match &e {
                    JournalEntry::Intent { addr, .. } => Some((addr.clone(), e)),
                    _ => None,
                })
                .collect(),
            replica: state.clone(),
            last_push: Instant::now(),
        })
    }
}

/// The apply's sink for a remote state (see the module docs).
pub struct RemoteJournal {
    store: RemoteStore,
    journal: Journal,
    /// The state as the apply has made it so far: what a periodic push sends.
    replica: State,
    /// Every intent announced since the last snapshot push, settled or not: the store keeps
    /// an intent until a pushed snapshot holds what settled it, since until then the store
    /// has no other record of the object it made.
    announced: std::collections::BTreeMap<String, JournalEntry>,
    last_push: Instant,
}

impl RemoteJournal {
    fn record_inner(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        self.journal
            .append(entries)
            .map_err(|e| StateError::Io(format!("writing journal: {e}")))?;
        self.replica.replay(entries).map_err(StateError::Io)?;
        let mut new_intents = false;
        for e in entries {
            if let JournalEntry::Intent { addr, .. } = e {
                self.announced.insert(addr.clone(), e.clone());
                new_intents = true;
            }
        }
        if new_intents {
            // Before the call this intent announces is made: durable in the store too.
            let all: Vec<JournalEntry> = self.announced.values().cloned().collect();
            self.store.push_intent_entries(&all)?;
        }
        if self.last_push.elapsed() >= self.store.push_interval {
            // A periodic push that fails is retried with the next record: the local journal
            // already holds everything, and the final push (which does fail the run) follows.
            if let Err(e) = self.push_snapshot() {
                tracing::warn!(
                    "pushing state to {} failed (retried): {e}",
                    self.store.location()
                );
            }
            self.last_push = Instant::now();
        }
        Ok(())
    }
}

impl RemoteJournal {
    /// Pushes the state as made so far; the local journal restarts from it.
    fn push_snapshot(&mut self) -> Result<(), StateError> {
        let mut snapshot = self.replica.clone();
        let pushed = self.store.write_snapshot(&mut snapshot);
        let in_store = lock_poisoned(&self.store.inner.cursor).serial == snapshot.serial;
        if in_store {
            self.replica.serial = snapshot.serial;
            // The snapshot holds everything settled so far; what stays announced is what
            // is still pending.
            self.announced.retain(|a, _| {
                a.parse::<gantry_core::addr::InstanceAddr>()
                    .is_ok_and(|a| snapshot.pending.contains_key(&a))
            });
            if !self.store.journal_path().exists() {
                self.store.restart_journal(&snapshot)?;
            }
        }
        // The file may have been replaced: append to the one there now.
        self.journal = Journal::open(self.store.journal_path())
            .map_err(|e| StateError::Io(format!("opening journal: {e}")))?;
        pushed
    }
}

impl StateSink for RemoteJournal {
    fn record(&mut self, entries: &[JournalEntry]) -> std::io::Result<()> {
        self.record_inner(entries)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }

    fn defers_settle(&self) -> bool {
        true
    }
}
