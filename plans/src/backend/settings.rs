//! A backend's settings: the `backend` block's arguments (constants only, as Terraform
//! requires), overlaid with `-backend-config` (a file of arguments or `KEY=VALUE`), and what
//! `init` saved in `.terraform/terraform.tfstate` — Terraform's file, so either tool sees
//! which backend the directory was initialised with.

use crate::workspace::Failure;
use gantry_core::config::Config;
use gantry_core::diag::{Diagnostic, SourceFile, SourceSpan, Sources};
use gantry_core::eval::{Evaluator, NoReferences};
use hcl_edit::Span;
use serde_json::{json, Map, Value as Json};
use std::path::Path;

/// A backend type and its arguments as JSON values.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub kind: String,
    pub config: Map<String, Json>,
}

impl Settings {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Json::as_str)
    }
}

/// The `backend` block's arguments evaluated, or `None` without a block (local state).
pub fn from_config(cfg: &Config, dir: &Path) -> Result<Option<Settings>, Failure> {
    let Some(b) = &cfg.backend else {
        return Ok(None);
    };
    let mut config = Map::new();
    let mut diags = gantry_core::diag::Diagnostics::default();
    for s in b.body.body.iter() {
        match s {
            hcl_edit::structure::Structure::Attribute(a) => {
                match Evaluator::new(&NoReferences, dir, b.body.file).eval(&a.value) {
                    Ok(v) => {
                        config.insert(a.key.as_str().to_string(), v.unmark_deep().0.to_json());
                    }
                    Err(d) => diags.push(d),
                }
            }
            hcl_edit::structure::Structure::Block(bl) => {
                // Terraform 1.11's backends take objects as attributes (`endpoints = {}`),
                // but older configurations write them as blocks: accept both.
                let mut inner = Map::new();
                for a in bl.body.attributes() {
                    match Evaluator::new(&NoReferences, dir, b.body.file).eval(&a.value) {
                        Ok(v) => {
                            inner.insert(a.key.as_str().to_string(), v.unmark_deep().0.to_json());
                        }
                        Err(d) => diags.push(d),
                    }
                }
                config.insert(bl.ident.as_str().to_string(), Json::Object(inner));
            }
        }
    }
    if diags.has_errors() {
        return Err(Failure::new(&cfg.sources, diags));
    }
    Ok(Some(Settings {
        kind: b.kind.clone(),
        config,
    }))
}

/// `-backend-config` values in order: a file of `key = value` lines, or `KEY=VALUE` (a
/// string, as Terraform takes it).
pub fn overrides(args: &[String], dir: &Path) -> Result<Map<String, Json>, Failure> {
    let mut out = Map::new();
    for a in args {
        let path = dir.join(a);
        if !a.contains('=') || path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Failure::from(Diagnostic::error(
                    "Invalid backend configuration file",
                    format!("{}: {e}", path.display()),
                ))
            })?;
            let mut sources = Sources::default();
            let file = sources.add(SourceFile::new(a.clone(), text.as_str()));
            let body = hcl_edit::parser::parse_body(&text).map_err(|e| {
                Failure::from(Diagnostic::error(
                    "Invalid backend configuration file",
                    format!("{a}: {e}"),
                ))
            })?;
            for attr in body.attributes() {
                let v = Evaluator::new(&NoReferences, dir, file)
                    .eval(&attr.value)
                    .map_err(|d| Failure::new(&sources, d.into()))?;
                out.insert(attr.key.as_str().to_string(), v.unmark_deep().0.to_json());
            }
            let first_block = body.blocks().next().map(|bl| bl.ident.span());
            if let Some(span) = first_block {
                let span = span.map(|r| SourceSpan { file, bytes: r });
                return Err(Failure::new(
                    &sources,
                    Diagnostic::error(
                        "Invalid backend configuration file",
                        "A -backend-config file sets arguments only (`key = value`).",
                    )
                    .at(span)
                    .into(),
                ));
            }
        } else if let Some((k, v)) = a.split_once('=') {
            out.insert(k.trim().to_string(), Json::String(v.to_string()));
        }
    }
    Ok(out)
}

/// `v` without null members, at any depth: Terraform saves every argument of the backend's
/// schema (unset ones as null); gantry saves what was set. Both mean the same settings.
fn strip_nulls(v: &Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Where `init` records the backend: `.terraform/terraform.tfstate`.
fn saved_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("terraform.tfstate")
}

/// The backend `init` saved, if any.
pub fn saved(data_dir: &Path) -> Option<Settings> {
    let text = std::fs::read_to_string(saved_path(data_dir)).ok()?;
    let j: Json = serde_json::from_str(&text).ok()?;
    let b = j.get("backend")?;
    let kind = b.get("type")?.as_str()?.to_string();
    let config = match b.get("config").map(strip_nulls) {
        Some(Json::Object(m)) => m,
        _ => Map::new(),
    };
    Some(Settings { kind, config })
}

/// Records `s` as the directory's backend (or forgets it: `None`, for local state).
pub fn save(data_dir: &Path, s: Option<&Settings>) -> Result<(), Failure> {
    let fail = |e: std::io::Error| {
        Failure::from(Diagnostic::error(
            "Failed to save the backend configuration",
            format!("{}: {e}", saved_path(data_dir).display()),
        ))
    };
    let Some(s) = s else {
        return match std::fs::remove_file(saved_path(data_dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fail(e)),
            _ => Ok(()),
        };
    };
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let j = json!({
        "version": 3,
        "terraform_version": env!("CARGO_PKG_VERSION"),
        "backend": {"type": s.kind, "config": s.config, "hash": 0},
    });
    let text = serde_json::to_string_pretty(&j).unwrap_or_default();
    gantry_core::state::write_atomic(&saved_path(data_dir), text.as_bytes()).map_err(fail)
}

/// The settings a command runs with: the block's arguments over what `init` saved (which
/// holds the `-backend-config` values). The block must match what was initialised.
pub fn effective(block: Option<Settings>, data_dir: &Path) -> Result<Option<Settings>, Failure> {
    let saved = saved(data_dir);
    let init_needed = |why: String| {
        Failure::from(Diagnostic::error(
            "Backend initialization required, please run \"gantry init\"",
            format!("{why}\n\nChanging a backend moves no state by itself: run \"gantry init -migrate-state\" to copy the existing state to the new backend, or \"gantry init -reconfigure\" to start from the new backend as it is."),
        ))
    };
    match (block, saved) {
        (None, None) => Ok(None),
        (Some(b), _) if b.kind == "local" => Ok(Some(b)),
        (None, Some(s)) => Err(init_needed(format!(
            "The {:?} backend this directory was initialized with is no longer configured.",
            s.kind
        ))),
        (Some(b), None) => Err(init_needed(format!(
            "The {:?} backend is configured but this directory has not been initialized for it.",
            b.kind
        ))),
        (Some(b), Some(s)) => {
            if b.kind != s.kind {
                return Err(init_needed(format!(
                    "The backend changed from {:?} to {:?}.",
                    s.kind, b.kind
                )));
            }
            for (k, v) in &b.config {
                if s.config.get(k) != Some(&strip_nulls(v)) {
                    return Err(init_needed(format!(
                        "The {:?} backend's argument {k:?} changed since \"init\".",
                        b.kind
                    )));
                }
            }
            Ok(Some(s))
        }
    }
}

/// `b` with `overrides` applied.
pub fn merged(mut b: Settings, overrides: Map<String, Json>) -> Settings {
    for (k, v) in overrides {
        b.config.insert(k, v);
    }
    b
}
