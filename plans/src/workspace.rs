//! A working directory: its configuration, variables and state backend. The CLI and embedding
//! programs both start here.

use crate::engine::Engine;
use crate::planfile::config_digest;
use crate::variables::{self, VarArg};
use gantry_core::config::{load_dir, Config};
use gantry_core::diag::{Diagnostic, Diagnostics, Sources};
use gantry_core::eval::{Evaluator, NoReferences};
use gantry_core::provider::Registry;
use gantry_core::state::LocalBackend;
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::VERSION;

/// Diagnostics together with the sources they point into, ready to render.
#[derive(Debug, Default)]
pub struct Failure {
    pub sources: Sources,
    pub diags: Diagnostics,
}

impl Failure {
    pub fn new(sources: &Sources, diags: Diagnostics) -> Failure {
        Failure {
            sources: sources.clone(),
            diags,
        }
    }

    pub fn render(&self, color: bool) -> String {
        self.sources.render(&self.diags, color)
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure {
            sources: Sources::default(),
            diags: d.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Failure {}

/// A loaded configuration, its digest, and warnings worth showing.
pub struct Loaded {
    pub engine: Engine,
    pub digest: String,
    pub warnings: Failure,
}

pub struct Workspace {
    pub dir: PathBuf,
    pub registry: Registry,
}

impl Workspace {
    pub fn new(dir: impl Into<PathBuf>, registry: Registry) -> Workspace {
        Workspace {
            dir: dir.into(),
            registry,
        }
    }

    /// Loads the configuration only (no variables): for `validate` and `fmt`-like checks.
    pub fn config(&self) -> Result<(Config, Diagnostics), Failure> {
        let (cfg, diags) = load_dir(&self.dir);
        self.checked(cfg, diags)
    }

    /// A configuration already loaded with `load_dir`, checked as [`Workspace::config`]
    /// checks it.
    pub fn checked(
        &self,
        cfg: Config,
        diags: Diagnostics,
    ) -> Result<(Config, Diagnostics), Failure> {
        if diags.has_errors() {
            return Err(Failure::new(&cfg.sources, diags));
        }
        if cfg.sources.files.is_empty() {
            return Err(Failure::from(Diagnostic::error(
                "No configuration files",
                format!(
                    "The directory {} contains no gantry configuration files (*.tf).",
                    self.dir.display()
                ),
            )));
        }
        Ok((cfg, diags))
    }

    /// Loads configuration and variables, builds the graph and checks resource types.
    pub fn load(&self, vars: &[VarArg], env: &[(String, String)]) -> Result<Loaded, Failure> {
        let (mut cfg, warnings) = self.config()?;
        let digest = config_digest(&cfg);
        let values =
            variables::collect(&mut cfg, vars, env).map_err(|d| Failure::new(&cfg.sources, d))?;
        let sources = cfg.sources.clone();
        let engine = Engine::new(cfg, self.registry.clone(), values)
            .map_err(|d| Failure::new(&sources, d))?;
        let warnings = Failure::new(
            &sources,
            Diagnostics(warnings.0.into_iter().filter(|d| !d.is_error()).collect()),
        );
        Ok(Loaded {
            engine,
            digest,
            warnings,
        })
    }

    /// Loads configuration with every variable unknown, for `validate`.
    pub fn load_for_validate(&self) -> Result<Engine, Failure> {
        let (cfg, _) = self.config()?;
        let values = cfg
            .variables
            .values()
            .map(|v| {
                (
                    v.name.clone(),
                    gantry_core::value::Value::Unknown.mark_if(v.sensitive),
                )
            })
            .collect();
        let sources = cfg.sources.clone();
        Engine::for_validate(cfg, self.registry.clone(), values)
            .map_err(|d| Failure::new(&sources, d))
    }

    /// The state backend: `backend "local" { path = ... }` or `gantry.tfstate`.
    pub fn backend(&self, cfg: Option<&Config>) -> Result<LocalBackend, Failure> {
        let default = self.dir.join("gantry.tfstate");
        let Some(b) = cfg.and_then(|c| c.backend.as_ref()) else {
            return Ok(LocalBackend::new(default, env!("CARGO_PKG_VERSION")));
        };
        if b.kind != "local" {
            return Err(Failure::new(
                &cfg.map(|c| c.sources.clone()).unwrap_or_default(),
                Diagnostic::error("Unsupported backend type", format!("The backend {:?} is not supported by this version of gantry; use \"local\".", b.kind)).at(b.span.clone()).into(),
            ));
        }
        let path = match b.body.body.get_attribute("path") {
            Some(a) => {
                let v = Evaluator::new(&NoReferences, &self.dir, b.body.file)
                    .eval(&a.value)
                    .map_err(|d| {
                        Failure::new(
                            &cfg.map(|c| c.sources.clone()).unwrap_or_default(),
                            d.into(),
                        )
                    })?;
                let p = v.as_str().unwrap_or("gantry.tfstate").to_string();
                let p = Path::new(&p);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    self.dir.join(p)
                }
            }
            None => default,
        };
        Ok(LocalBackend::new(path, env!("CARGO_PKG_VERSION")))
    }
}
