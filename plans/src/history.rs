//! How long creates took, per resource type, remembered across runs: every apply records the
//! creates it completed (`Recorder`, an observer around the caller's), and `gantry compare`
//! reads the typical (median) times to say how long a cloud takes to make a plan ready — the
//! longest chain of creates, each waiting for what it depends on.
//!
//! The file is `GANTRY_HISTORY`, else `$XDG_STATE_HOME/gantry/create-times.json`, else
//! `~/.local/state/gantry/create-times.json`: the machine's experience, not the
//! configuration's. A missing or unreadable file is an empty history; writing is atomic
//! (temporary file + rename) and never fails an apply.

use crate::apply::{ApplyEvent, ApplyObserver};
use crate::plan::Plan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Durations kept per type (the latest).
const KEEP: usize = 20;

pub fn default_path() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("GANTRY_HISTORY").or_else(|| {
        env("XDG_STATE_HOME")
            .or_else(|| env("HOME").map(|h| h.join(".local/state")))
            .map(|d| d.join("gantry/create-times.json"))
    })
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Seconds per create, by resource type, oldest first.
    pub times: BTreeMap<String, Vec<f64>>,
}

impl History {
    pub fn load(path: &Path) -> History {
        let times = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        History { times }
    }

    pub fn record(&mut self, rtype: &str, seconds: f64) {
        let v = self.times.entry(rtype.to_string()).or_default();
        v.push(seconds);
        if v.len() > KEEP {
            v.drain(..v.len() - KEEP);
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_string(&self.times)?)?;
        std::fs::rename(&tmp, path)
    }

    /// The median create time of `rtype`, when any was recorded.
    pub fn typical(&self, rtype: &str) -> Option<f64> {
        let mut v = self.times.get(rtype)?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        Some(v[v.len() / 2])
    }

    /// How long `plan`'s creates take to be ready: the longest chain of creates through
    /// their dependencies, each at its type's typical time. `Err` names a created type with
    /// no history.
    pub fn ready_in(&self, plan: &Plan) -> Result<f64, String> {
        let created: BTreeMap<String, (&str, &[String])> = plan
            .changes
            .iter()
            .filter(|c| c.action.creates())
            .map(|c| {
                (
                    c.addr.resource.to_string(),
                    (&*c.addr.resource.rtype, c.dependencies.as_slice()),
                )
            })
            .collect();
        let mut memo: BTreeMap<&str, f64> = BTreeMap::new();
        let mut longest = 0.0_f64;
        for block in created.keys() {
            longest = longest.max(self.chain(block, &created, &mut memo)?);
        }
        Ok(longest)
    }

    fn chain<'a>(
        &self,
        block: &'a str,
        created: &'a BTreeMap<String, (&'a str, &'a [String])>,
        memo: &mut BTreeMap<&'a str, f64>,
    ) -> Result<f64, String> {
        if let Some(t) = memo.get(block) {
            return Ok(*t);
        }
        let (rtype, deps) = created[block];
        let own = self.typical(rtype).ok_or_else(|| rtype.to_string())?;
        // The plan's graph is acyclic, so the recursion ends.
        let mut before = 0.0_f64;
        for d in deps {
            if let Some((key, _)) = created.get_key_value(d.as_str()) {
                before = before.max(self.chain(key, created, memo)?);
            }
        }
        memo.insert(block, own + before);
        Ok(own + before)
    }
}

/// "45 s", "12 min", "1.5 h".
pub fn human(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{} s", seconds.round() as u64)
    } else if seconds < 5400.0 {
        format!("{} min", (seconds / 60.0).round() as u64)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// Passes every event on, noting how long each create took.
pub struct Recorder<'a> {
    inner: &'a dyn ApplyObserver,
    creates: Mutex<Vec<(String, f64)>>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn ApplyObserver) -> Self {
        Recorder {
            inner,
            creates: Mutex::new(Vec::new()),
        }
    }

    /// Adds what was recorded to the history file (errors are logged, never returned).
    pub fn save(&self) {
        let creates = std::mem::take(&mut *self.creates.lock().unwrap_or_else(|e| e.into_inner()));
        let Some(path) = default_path().filter(|_| !creates.is_empty()) else {
            return;
        };
        let mut h = History::load(&path);
        for (rtype, secs) in creates {
            h.record(&rtype, secs);
        }
        if let Err(e) = h.save(&path) {
            tracing::warn!(path = %path.display(), error = %e, "create-time history not saved");
        }
    }
}

impl ApplyObserver for Recorder<'_> {
    fn event(&self, event: ApplyEvent<'_>) {
        if let ApplyEvent::Done {
            addr,
            action,
            elapsed,
            ..
        } = &event
        {
            if action.creates() && addr.resource.mode == gantry_core::addr::Mode::Managed {
                self.creates
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((addr.resource.rtype.to_string(), elapsed.as_secs_f64()));
            }
        }
        self.inner.event(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_is_the_median_of_the_latest_and_human_rounds() {
        let mut h = History::default();
        for s in [30.0, 10.0, 20.0] {
            h.record("aws_sagemaker_endpoint", s);
        }
        assert_eq!(h.typical("aws_sagemaker_endpoint"), Some(20.0));
        for _ in 0..KEEP {
            h.record("aws_sagemaker_endpoint", 600.0);
        }
        assert_eq!(h.times["aws_sagemaker_endpoint"].len(), KEEP);
        assert_eq!(h.typical("aws_sagemaker_endpoint"), Some(600.0));
        assert_eq!(h.typical("aws_s3_bucket"), None);
        assert_eq!(human(42.4), "42 s");
        assert_eq!(human(720.0), "12 min");
        assert_eq!(human(5400.0), "1.5 h");
    }

    #[test]
    fn a_history_file_round_trips_and_a_broken_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/gantry/create-times.json");
        let mut h = History::default();
        h.record("google_vertex_ai_endpoint_deployed_model", 900.0);
        h.save(&path).unwrap();
        assert_eq!(History::load(&path), h);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(History::load(&path), History::default());
    }
}
