//! Putting installed plugins into a provider registry for one configuration.
//!
//! For each provider the configuration uses: when gantry has it built in and implements every
//! type the configuration uses, nothing starts. Otherwise the plugin installed for it in
//! `.terraform/providers` (or a `dev_overrides` directory) is checked against the lock file's
//! hashes and started — alone, or beside the native provider ([`crate::composite`]) when
//! only some types are missing. `GANTRY_PLUGIN_PROVIDERS=hashicorp/aws,...` chooses the
//! plugin for a whole source even where gantry has a native provider.

use crate::composite::CompositeFactory;
use crate::install::{self, CliConfig};
use crate::launch::LaunchOptions;
use crate::provider::PluginFactory;
use gantry_core::provider::{ProviderFactory, Registry};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// What the configuration needs from one provider.
#[derive(Clone, Debug)]
pub struct Need {
    /// Local name (`aws`).
    pub name: String,
    /// Full source address (`registry.terraform.io/hashicorp/aws`).
    pub addr: String,
    /// Managed resource types and data sources (`data.` prefixed) the configuration uses.
    pub types: BTreeSet<String>,
    /// The lock file's selection, if any: version and hashes.
    pub locked: Option<(String, Vec<String>)>,
}

/// How each provider is served, for `init` and `providers`.
#[derive(Clone, Debug, PartialEq)]
pub enum Served {
    Native,
    Plugin { version: String, protocol: u32 },
    NativeAndPlugin { version: String, protocol: u32 },
}

/// The runtime every plugin's I/O runs on: plugins are started from synchronous code
/// (loading a configuration) and must outlive any one caller's runtime.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gantry-plugin")
            .enable_all()
            .build()
            .expect("a tokio runtime for plugins")
    })
}

fn started() -> &'static Mutex<Vec<Arc<PluginFactory>>> {
    static S: OnceLock<Mutex<Vec<Arc<PluginFactory>>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// On an interrupt, as Terraform does: asks every running plugin to stop its operations
/// (StopProvider). Returns at once; the requests go out on the plugin runtime.
pub fn stop_all() {
    let all: Vec<_> = started().lock().unwrap_or_else(|e| e.into_inner()).clone();
    if all.is_empty() {
        return;
    }
    runtime().spawn(async move {
        for f in all {
            f.stop().await;
        }
    });
}

/// Stops every plugin process this process started (`GRPCController.Shutdown`, then kill).
pub fn shutdown_all() {
    let all: Vec<_> = std::mem::take(&mut *started().lock().unwrap_or_else(|e| e.into_inner()));
    if all.is_empty() {
        return;
    }
    let done = std::thread::spawn(move || {
        runtime().block_on(async {
            for f in all {
                f.shutdown().await;
            }
        })
    });
    let _ = done.join();
}

/// Runs async plugin work to completion from synchronous code, on the plugin runtime and a
/// thread of its own: `block_on` may not run on a thread already inside a runtime, and the
/// caller (the engine, the evaluator) may be on one.
pub(crate) fn block_on<T: Send>(f: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| runtime().block_on(f))
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

fn start_blocking(
    exe: PathBuf,
    opts: LaunchOptions,
    version: Option<String>,
) -> Result<Arc<PluginFactory>, String> {
    let f = Arc::new(block_on(PluginFactory::start(exe, opts, version))?);
    started()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(f.clone());
    Ok(f)
}

impl Need {
    /// The types the configuration uses that `native` does not implement (every one when
    /// there is no native provider).
    pub fn lacking(&self, native: Option<&dyn ProviderFactory>) -> Vec<&str> {
        self.types
            .iter()
            .map(String::as_str)
            .filter(|t| match (native, t.strip_prefix("data.")) {
                (None, _) => true,
                (Some(f), Some(d)) => !f.schema().data_sources.contains_key(d),
                (Some(f), None) => !f.schema().resources.contains_key(*t),
            })
            .collect()
    }

    /// Whether `GANTRY_PLUGIN_PROVIDERS` chooses the plugin for this whole source.
    pub fn forced(&self) -> bool {
        std::env::var("GANTRY_PLUGIN_PROVIDERS").is_ok_and(|v| {
            v.split(',').map(str::trim).any(|s| {
                install::split_source(s)
                    .is_some_and(|(h, n, t)| format!("{h}/{n}/{t}") == self.addr)
            })
        })
    }

    /// Whether a plugin must serve this provider: there is no native one, it lacks a type
    /// the configuration uses, or the user chose the plugin.
    pub fn wants_plugin(&self, native: Option<&dyn ProviderFactory>) -> bool {
        native.is_none() || !self.lacking(native).is_empty() || self.forced()
    }
}

/// Registers plugins for what `needs` require and the registry lacks. `data_dir` is
/// `.terraform` (or `TF_DATA_DIR`). Returns how each provider is served.
pub fn attach(
    registry: &mut Registry,
    data_dir: &Path,
    needs: &[Need],
) -> Result<Vec<(String, Served)>, String> {
    let cli = CliConfig::load()?;
    let mut out = Vec::new();
    for need in needs {
        let native = registry.get(&need.name).cloned();
        if !need.wants_plugin(native.as_deref()) {
            out.push((need.addr.clone(), Served::Native));
            continue;
        }
        let force = need.forced();
        let Some((dir, version)) = locate(&cli, data_dir, need)? else {
            continue; // the engine reports the missing provider or type
        };
        let ty = need.addr.rsplit('/').next().unwrap_or_default();
        let exe = install::executable(&dir, ty).ok_or_else(|| {
            format!(
                "provider {}: no terraform-provider-{ty} executable in {}",
                need.addr,
                dir.display()
            )
        })?;
        let f = start_blocking(exe, LaunchOptions::new(&need.addr), version.clone())
            .map_err(|e| format!("provider {}: {e}", need.addr))?;
        gantry_core::provider_functions::register(&need.addr, f.functions());
        let protocol = f.protocol();
        let v = version.unwrap_or_else(|| "0.0.0".into());
        match native {
            Some(n) if !force => {
                registry.register(&need.name, Arc::new(CompositeFactory::new(n, f)));
                out.push((
                    need.addr.clone(),
                    Served::NativeAndPlugin {
                        version: v,
                        protocol,
                    },
                ));
            }
            _ => {
                registry.register(&need.name, f as Arc<dyn ProviderFactory>);
                out.push((
                    need.addr.clone(),
                    Served::Plugin {
                        version: v,
                        protocol,
                    },
                ));
            }
        }
    }
    Ok(out)
}

/// The installed package of a provider: a dev override, or the locked (else newest)
/// version in `.terraform/providers`, checked against the lock file's hashes.
fn locate(
    cli: &CliConfig,
    data_dir: &Path,
    need: &Need,
) -> Result<Option<(PathBuf, Option<String>)>, String> {
    if let Some(d) = cli.dev_override(&need.addr) {
        return Ok(Some((d.to_path_buf(), None)));
    }
    let version = match &need.locked {
        Some((v, _)) => Some(v.clone()),
        None => newest_installed(data_dir, &need.addr),
    };
    let Some(version) = version else {
        return Ok(None);
    };
    let dir = install::installed_dir(data_dir, &need.addr, &version);
    if !dir.exists() {
        return Ok(None);
    }
    if let Some((_, hashes)) = &need.locked {
        let h1: Vec<&String> = hashes.iter().filter(|h| h.starts_with("h1:")).collect();
        if !h1.is_empty() {
            let have = crate::hashcache::h1(data_dir, &dir)?;
            if !h1.iter().any(|h| **h == have) {
                return Err(format!(
                    "the cached package for {} {version} does not match any of the checksums recorded in the dependency lock file ({have} is not one of {}). Run `gantry init -upgrade` to reinstall it, or check where it came from",
                    need.addr,
                    h1.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(Some((dir, Some(version))))
}

/// `.terraform/providers` has an unpacked mirror's layout: its newest package is the one.
fn newest_installed(data_dir: &Path, addr: &str) -> Option<String> {
    install::mirror_packages(&data_dir.join("providers"), addr)
        .first()
        .map(|p| p.version.to_string())
}
