//! A working directory: its configuration, variables and state backend. The CLI and embedding
//! programs both start here.

use crate::backend::settings::{self, Settings};
use crate::backend::{Configured, StateBackend};
use crate::engine::Engine;
use crate::planfile::config_digest;
use crate::variables::{self, VarArg};
use gantry_core::config::{load_dir, Config};
use gantry_core::diag::{Diagnostic, Diagnostics, Sources};
use gantry_core::provider::Registry;
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
    /// The built-in providers.
    pub registry: Registry,
    /// `registry` plus the plugins the configuration needs, once started (a process per
    /// plugin per run, however often the directory is loaded).
    with_plugins: std::sync::Mutex<Option<Registry>>,
}

impl Workspace {
    pub fn new(dir: impl Into<PathBuf>, registry: Registry) -> Workspace {
        Workspace {
            dir: dir.into(),
            registry,
            with_plugins: Default::default(),
        }
    }

    /// The providers for `cfg`: the built-in ones, and plugins started for what they lack.
    pub fn providers_for(&self, cfg: &Config) -> Result<Registry, Failure> {
        let mut cached = self.with_plugins.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = cached.as_ref() {
            return Ok(r.clone());
        }
        let (reg, _) = crate::providers::attach(&self.registry, &self.dir, cfg)
            .map_err(|f| Failure::new(&cfg.sources, f.diags))?;
        *cached = Some(reg.clone());
        Ok(reg)
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
        let mut cfg = cfg;
        cfg.workspace = crate::workspaces::current(&self.dir);
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
        let registry = self.providers_for(&cfg)?;
        let engine = Engine::new(cfg, registry, values).map_err(|d| Failure::new(&sources, d))?;
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
        let registry = self.providers_for(&cfg)?;
        Engine::for_validate(cfg, registry, values).map_err(|d| Failure::new(&sources, d))
    }

    /// The selected workspace's state: `backend "local" { path = ... }` or
    /// `terraform.tfstate` as with Terraform, or a remote backend's. A `gantry.tfstate` left
    /// by gantry before 0.2 is moved to the default path once (with its backup and journal);
    /// the returned note says so.
    pub fn backend(&self, cfg: Option<&Config>) -> Result<(StateBackend, Option<String>), Failure> {
        let configured = self.configured(cfg)?;
        let name = crate::workspaces::current(&self.dir);
        crate::workspaces::check_name(&name)?;
        let note = match &configured {
            Configured::Local { default_state, .. }
                if name == crate::workspaces::DEFAULT
                    && cfg.is_none_or(|c| c.backend.is_none()) =>
            {
                migrate_legacy_state(&self.dir, default_state)?
            }
            _ => None,
        };
        Ok((configured.state(&name), note))
    }

    /// The configuration's backend: the `backend` block over what `init` saved.
    pub fn configured(&self, cfg: Option<&Config>) -> Result<Configured, Failure> {
        let sources = || cfg.map(|c| c.sources.clone()).unwrap_or_default();
        if let Some(b) = cfg.and_then(|c| c.backend.as_ref()) {
            if b.kind == "cloud" {
                return Err(Failure::new(
                    &sources(),
                    Diagnostic::error("HCP Terraform is not supported", "This configuration keeps its state in HCP Terraform (a `cloud` block). gantry cannot reach HCP Terraform, and using local state instead would plan every object as new. Remove the `cloud` block only after moving the state (terraform state pull > terraform.tfstate), or run Terraform here.").at(b.span.clone()).into(),
                ));
            }
            if b.kind != "local" && self.registry.backend(&b.kind).is_none() {
                let known: Vec<&str> = self.registry.backend_kinds().collect();
                return Err(Failure::new(
                    &sources(),
                    Diagnostic::error("Unsupported backend type", format!("The backend {:?} is not supported by this build of gantry; it supports \"local\"{}.", b.kind, known.iter().map(|k| format!(", {k:?}")).collect::<String>())).at(b.span.clone()).into(),
                ));
            }
        }
        let block = match cfg {
            Some(c) => settings::from_config(c, &self.dir)?,
            None => None,
        };
        let data_dir = crate::workspaces::data_dir(&self.dir);
        let effective = match cfg {
            Some(_) => settings::effective(block, &data_dir)?,
            // Commands that run without a configuration use what init saved.
            None => settings::saved(&data_dir),
        };
        self.connect(effective.as_ref())
    }

    /// The backend for `settings` (`None`: local state at the default path).
    pub fn connect(&self, settings: Option<&Settings>) -> Result<Configured, Failure> {
        let local_path = |key: &str, fallback: &str| -> PathBuf {
            match settings.and_then(|s| s.str(key)) {
                Some(p) if Path::new(p).is_absolute() => PathBuf::from(p),
                Some(p) => self.dir.join(p),
                None => self.dir.join(fallback),
            }
        };
        let Some(s) = settings.filter(|s| s.kind != "local") else {
            return Ok(Configured::Local {
                default_state: local_path("path", "terraform.tfstate"),
                workspaces_dir: local_path("workspace_dir", "terraform.tfstate.d"),
            });
        };
        let connect = self.registry.backend(&s.kind).ok_or_else(|| {
            Failure::from(Diagnostic::error(
                "Unsupported backend type",
                format!(
                    "The backend {:?} is not supported by this build of gantry.",
                    s.kind
                ),
            ))
        })?;
        let args = gantry_core::state::remote::BackendArgs {
            config: s.config.clone(),
            dir: self.dir.clone(),
        };
        let backend = crate::backend::block_on(connect(args))
            .map_err(crate::session::state_failure)?
            .map_err(|e| {
                Failure::from(Diagnostic::error(
                    format!("Failed to configure the {:?} backend", s.kind),
                    e,
                ))
            })?;
        Ok(Configured::Remote {
            backend,
            data_dir: crate::workspaces::data_dir(&self.dir),
            settings: s.clone(),
        })
    }
}

/// Moves `gantry.tfstate` (and its `.backup`, `.journal`) to `terraform.tfstate` when only the
/// former exists, so a directory gantry managed before keeps its objects.
fn migrate_legacy_state(dir: &Path, default: &Path) -> Result<Option<String>, Failure> {
    let legacy = dir.join("gantry.tfstate");
    let has_content = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.len() > 0);
    if !legacy.exists() || has_content(default) {
        return Ok(None);
    }
    let fail = |e: std::io::Error| {
        Failure::from(Diagnostic::error(
            "Failed to migrate state",
            format!("moving {} to {}: {e}", legacy.display(), default.display()),
        ))
    };
    // The state file last: until it moves, the legacy path is the one in use, and a rerun
    // after a crash here finishes the move.
    for suffix in [".backup", ".journal"] {
        let from = dir.join(format!("gantry.tfstate{suffix}"));
        if from.exists() {
            let mut to = default.as_os_str().to_owned();
            to.push(suffix);
            std::fs::rename(&from, &to).map_err(fail)?;
        }
    }
    std::fs::rename(&legacy, default).map_err(fail)?;
    let _ = std::fs::remove_file(dir.join(".gantry.tfstate.lock.info"));
    Ok(Some(format!(
        "Moved gantry.tfstate to {} (gantry now keeps state where Terraform does; this happens once).",
        default.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    )))
}
