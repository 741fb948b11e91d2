//! Which provider serves what: built-in providers, plugins installed in `.terraform/providers`,
//! or both side by side (see `gantry_plugin::attach`). `init` installs plugins
//! ([`install_for_init`]); loading a configuration starts the ones it needs ([`attach`]).

use crate::lockfile::{self, LockFile, Locked};
use crate::workspace::Failure;
use gantry_core::addr::Mode;
use gantry_core::config::Config;
use gantry_core::diag::Diagnostic;
use gantry_core::provider::Registry;
use gantry_plugin::install::{self, CliConfig};
use gantry_plugin::{Need, Served};
use std::collections::BTreeMap;
use std::path::Path;

/// Every provider the configuration (all its modules) uses, with the types it uses of each.
pub fn needs(cfg: &Config, lock: &LockFile) -> Vec<Need> {
    let mut by_addr: BTreeMap<String, Need> = BTreeMap::new();
    let mut stack = vec![cfg];
    while let Some(c) = stack.pop() {
        stack.extend(c.module_calls.values().filter_map(|m| m.config.as_deref()));
        let mut add = |name: &str, ty: Option<String>| {
            let addr = lockfile::full_address(&c.provider_source(name));
            if addr.starts_with("terraform.io/builtin/") {
                return;
            }
            let n = by_addr.entry(addr.clone()).or_insert_with(|| Need {
                name: name.to_string(),
                addr: addr.clone(),
                types: Default::default(),
                locked: lock
                    .get(&addr)
                    .map(|l| (l.version.clone(), l.hashes.clone())),
            });
            if let Some(t) = ty {
                n.types.insert(t);
            }
        };
        for r in c.resources.values() {
            let t = match r.addr.mode {
                Mode::Managed => r.addr.rtype.to_string(),
                Mode::Data => format!("data.{}", r.addr.rtype),
            };
            add(&r.provider.0, Some(t));
        }
        for p in &c.providers {
            add(&p.name, None);
        }
        for name in c.required_providers.keys() {
            add(name, None);
        }
    }
    by_addr.into_values().collect()
}

fn failure(summary: &str, detail: String) -> Failure {
    Failure::from(Diagnostic::error(summary, detail))
}

/// The registry for one configuration: `base` plus the plugins it needs, started.
pub fn attach(
    base: &Registry,
    dir: &Path,
    cfg: &Config,
) -> Result<(Registry, Vec<(String, Served)>), Failure> {
    let lock = lockfile::read(dir)?;
    let needs = needs(cfg, &lock);
    let mut reg = base.clone();
    let served = gantry_plugin::attach(&mut reg, &crate::workspaces::data_dir(dir), &needs)
        .map_err(|e| failure("Failed to load plugin schemas", e))?;
    Ok((reg, served))
}

/// What `init`'s provider step did.
#[derive(Debug, Default)]
pub struct InitProviders {
    /// Terraform-style lines for the user.
    pub lines: Vec<String>,
    /// Full addresses of the providers a plugin serves (alone or beside a native one).
    pub plugins: std::collections::BTreeSet<String>,
}

/// `init`'s provider step: installs a plugin for every provider the built-in ones do not
/// fully serve, records it in the lock file with its `h1:` hash (checking the hash already
/// there), and returns Terraform-style lines for the user.
pub fn install_for_init(
    dir: &Path,
    cfg: &Config,
    registry: &Registry,
    upgrade: bool,
) -> Result<InitProviders, Failure> {
    let mut lock = lockfile::read(dir)?;
    let before = lock.clone();
    let cli = CliConfig::load().map_err(|e| failure("Invalid CLI configuration", e))?;
    let data_dir = crate::workspaces::data_dir(dir);
    let mut lines = Vec::new();
    let mut plugins = std::collections::BTreeSet::new();
    let mut community = false;
    for need in needs(cfg, &lock) {
        let short = need
            .addr
            .strip_prefix("registry.terraform.io/")
            .unwrap_or(&need.addr)
            .to_string();
        let native = registry.get(&need.name).map(|f| f.as_ref());
        if !need.wants_plugin(native) {
            continue; // served natively; `lockfile::update_for_init` records it
        }
        let forced = need.forced();
        let lacking = need.lacking(native);
        plugins.insert(need.addr.clone());
        if cli.dev_override(&need.addr).is_some() {
            lines.push(format!(
                "- {short}: using the development override from the CLI configuration"
            ));
            continue;
        }
        let constraints = cfg
            .provider_versions
            .get(&need.name)
            .map(|(c, _)| c.clone());
        let normalized = constraints.as_deref().map(lockfile::normalize_constraints);
        let locked = if upgrade {
            None
        } else {
            lock.get(&need.addr).map(|l| l.version.clone())
        };
        match (&locked, &constraints) {
            (Some(_), _) => lines.push(format!(
                "- Reusing previous version of {short} from the dependency lock file"
            )),
            (None, Some(c)) => lines.push(format!("- Finding {short} versions matching {c:?}...")),
            (None, None) => lines.push(format!("- Finding latest version of {short}...")),
        }
        let lock_hashes = match lock.get(&need.addr) {
            Some(l) if !upgrade => l.hashes.clone(),
            _ => Vec::new(),
        };
        let got = install::install(
            &cli,
            &data_dir,
            &need.addr,
            constraints.as_deref(),
            locked.as_deref(),
            &lock_hashes,
        )
        .map_err(|e| {
            failure(
                "Failed to install provider",
                format!("Error while installing {short}: {e}"),
            )
        })?;
        lines.push(format!("- Installing {short} v{}...", got.version));
        let what = if native.is_some() && !forced {
            format!("; beside the built-in provider, for {}", lacking.join(", "))
        } else {
            String::new()
        };
        lines.push(format!(
            "- Installed {short} v{} ({}, plugin{what})",
            got.version,
            got.auth.describe()
        ));
        if matches!(got.auth, install::Auth::SelfSigned { .. }) {
            community = true;
        }
        let entry = lock.entry(need.addr.clone()).or_insert_with(|| Locked {
            version: got.version.clone(),
            constraints: normalized.clone(),
            hashes: Vec::new(),
        });
        if entry.version != got.version {
            entry.hashes.clear();
        }
        entry.version = got.version.clone();
        entry.constraints = normalized;
        for h in got.hashes {
            if !entry.hashes.contains(&h) {
                entry.hashes.push(h);
            }
        }
        entry.hashes.sort();
    }
    if community {
        lines.push("Partner and community providers are signed by their developers.\nIf you'd like to know more about provider signing, you can read about it here:\nhttps://developer.hashicorp.com/terraform/cli/plugins/signing".into());
    }
    if lock != before {
        lockfile::write(dir, &lock)?;
    }
    Ok(InitProviders { lines, plugins })
}
