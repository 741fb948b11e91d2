//! Group commit for the state journal: operations that finish together share one write and
//! one fsync, so durability costs one disk flush per batch rather than per operation.
//!
//! A dedicated thread owns the sink. Each caller submits its entries and awaits the
//! acknowledgement, which arrives only after the batch holding them is on disk.

use gantry_core::state::{Journal, JournalEntry};
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

type Ack = oneshot::Sender<Result<(), String>>;

pub struct GroupCommit {
    tx: Option<mpsc::Sender<(Vec<JournalEntry>, Ack)>>,
    writer: Option<JoinHandle<BatchStats>>,
}

/// How the journal was written, for benchmarks and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub entries: usize,
    pub flushes: usize,
}

impl GroupCommit {
    pub fn start(mut sink: Box<dyn StateSink>) -> GroupCommit {
        let (tx, rx) = mpsc::channel::<(Vec<JournalEntry>, Ack)>();
        let writer = std::thread::spawn(move || {
            let mut stats = BatchStats::default();
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let entries: Vec<JournalEntry> =
                    batch.iter().flat_map(|(e, _)| e.iter().cloned()).collect();
                let result = sink.record(&entries).map_err(|e| e.to_string());
                stats.entries += entries.len();
                stats.flushes += 1;
                for (_, ack) in batch {
                    let _ = ack.send(result.clone());
                }
            }
            stats
        });
        GroupCommit {
            tx: Some(tx),
            writer: Some(writer),
        }
    }

    /// Returns once `entries` are durable.
    pub async fn commit(&self, entries: Vec<JournalEntry>) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.tx
            .as_ref()
            .ok_or("journal closed")?
            .send((entries, ack))
            .map_err(|_| "the journal writer stopped".to_string())?;
        done.await
            .map_err(|_| "the journal writer stopped".to_string())?
    }

    /// Stops the writer after everything submitted is written.
    pub fn finish(mut self) -> BatchStats {
        self.tx.take();
        self.writer
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Where completed operations go: the in-memory state and the journal.
pub trait StateSink: Send + 'static {
    fn record(&mut self, entries: &[JournalEntry]) -> std::io::Result<()>;

    /// Whether a recorded create is durable only once the caller writes the final snapshot
    /// (remote state): then idempotency tokens are settled after that (`crate::settle`).
    fn defers_settle(&self) -> bool {
        false
    }
}

impl StateSink for Journal {
    fn record(&mut self, entries: &[JournalEntry]) -> std::io::Result<()> {
        self.append(entries)
    }
}

/// A sink for embedders and tests that keep state only in memory.
pub struct NoJournal;

impl StateSink for NoJournal {
    fn record(&mut self, _entries: &[JournalEntry]) -> std::io::Result<()> {
        Ok(())
    }
}
