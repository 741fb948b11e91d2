//! Commands that prepare and check a directory: `init`, `validate`, `fmt`.

use super::*;

pub(crate) async fn init(ctx: &Ctx, a: args::InitArgs) -> Outcome {
    // Parsed once when there is nothing to install (most directories).
    let (probe, probe_diags) = gantry::core::config::load_dir(&ctx.ws.dir);
    if !probe.module_calls.is_empty() {
        println!("Initializing modules...");
        let notes = gantry::plans::install::install_modules(&ctx.ws.dir, a.upgrade)
            .await
            .map_err(|d| Failure::new(&probe.sources, d))?;
        for n in notes {
            println!("{n}");
        }
    }
    let (cfg, _) = if probe.module_calls.is_empty() {
        ctx.ws.checked(probe, probe_diags)?
    } else {
        ctx.ws.config()?
    };
    if a.backend {
        println!("\nInitializing the backend...");
        init_backend(ctx, &a, &cfg)?;
    }
    println!("\nInitializing provider plugins...");
    let installed =
        gantry::plans::providers::install_for_init(&ctx.ws.dir, &cfg, &ctx.ws.registry, a.upgrade)?;
    for n in cfg.used_provider_names() {
        let source = cfg.provider_source(n);
        let by_plugin = installed.plugins.contains(&source);
        match ctx.ws.registry.get(n) {
            _ if by_plugin => {}
            Some(f) => match f.version() {
                Some(v) => println!("- {source}: built in (follows v{v})"),
                None => println!("- {source}: built in"),
            },
            None => {
                return Err(Failure::from(Diagnostic::error(
                    "Failed to query available provider packages",
                    format!(
                        "Provider {source} is neither built into gantry nor installed as a plugin."
                    ),
                )))
            }
        }
    }
    for l in &installed.lines {
        println!("{l}");
    }
    println!("\nInitializing provider dependency lock file...");
    for n in gantry::plans::lockfile::update_for_init(&ctx.ws.dir, &cfg, &ctx.ws.registry)? {
        println!("{n}");
    }
    println!(
        "\n{}",
        ctx.style.bold("gantry has been successfully initialized!")
    );
    Ok(0)
}

pub(crate) fn validate(ctx: &Ctx, a: args::ValidateArgs) -> Outcome {
    let result = ctx.ws.load_for_validate().and_then(|engine| {
        let diags = engine.validate();
        if diags.has_errors() {
            Err(Failure::new(&engine.config.sources, diags))
        } else {
            Ok(Failure::new(&engine.config.sources, diags))
        }
    });
    if a.json {
        // Terraform's `validate -json` document.
        let (valid, f) = match &result {
            Ok(w) => (true, w),
            Err(f) => (false, f),
        };
        let diags: Vec<serde_json::Value> = f
            .diags
            .0
            .iter()
            .map(|d| {
                let mut j = serde_json::json!({
                    "severity": if d.is_error() { "error" } else { "warning" },
                    "summary": d.summary,
                    "detail": d.detail,
                });
                if let Some(r) = d.span.as_ref().and_then(|s| f.sources.range_json(s)) {
                    j["range"] = r;
                }
                j
            })
            .collect();
        let count = |e: bool| f.diags.0.iter().filter(|d| d.is_error() == e).count();
        let doc = serde_json::json!({
            "format_version": "1.0",
            "valid": valid,
            "error_count": count(true),
            "warning_count": count(false),
            "diagnostics": diags,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(if valid { 0 } else { 1 });
    }
    result?;
    println!("{}", ctx.style.bold("Success! The configuration is valid."));
    Ok(0)
}

/// The `*.tf` and `*.tfvars` files of `dir`, sorted; with `recursive`, of its subdirectories
/// too (hidden ones such as `.terraform` skipped).
pub(crate) fn fmt_files(
    dir: &Path,
    recursive: bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), Failure> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Failure::from(Diagnostic::error(
                "Failed to read directory",
                format!("{}: {e}", dir.display()),
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if p.is_dir() {
            if recursive && !hidden {
                fmt_files(&p, true, out)?;
            }
        } else if p.extension().is_some_and(|x| x == "tf" || x == "tfvars") {
            out.push(p);
        }
    }
    Ok(())
}

pub(crate) fn fmt(_ctx: &Ctx, a: args::FmtArgs) -> Outcome {
    if a.paths.len() == 1 && a.paths[0] == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
            Failure::from(Diagnostic::error(
                "Failed to read standard input",
                e.to_string(),
            ))
        })?;
        hcl_check(Path::new("<stdin>"), &text)?;
        let formatted = gantry::core::config::fmt::format(&text);
        if a.check {
            return Ok(if formatted == text { 0 } else { 3 });
        }
        print!("{formatted}");
        return Ok(0);
    }
    let roots = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let mut files = Vec::new();
    for r in roots {
        if r.is_dir() {
            fmt_files(&r, a.recursive, &mut files)?;
        } else {
            files.push(r);
        }
    }
    let mut unformatted = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| {
            Failure::from(Diagnostic::error(
                "Failed to read file",
                format!("{}: {e}", f.display()),
            ))
        })?;
        hcl_check(&f, &text)?;
        let formatted = gantry::core::config::fmt::format(&text);
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if a.list {
            println!("{}", f.display());
        }
        if a.diff {
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            print!(
                "{}",
                diff.unified_diff().header(
                    &format!("old/{}", f.display()),
                    &format!("new/{}", f.display())
                )
            );
        }
        if !a.check && a.write {
            gantry::core::state::write_atomic(&f, formatted.as_bytes()).map_err(|e| {
                Failure::from(Diagnostic::error(
                    "Failed to write file",
                    format!("{}: {e}", f.display()),
                ))
            })?;
        }
    }
    Ok(if a.check && unformatted > 0 { 3 } else { 0 })
}

/// Refuses to format a file that does not parse, naming the place.
pub(crate) fn hcl_check(path: &Path, text: &str) -> Result<(), Failure> {
    let (cfg, diags) = gantry::core::config::load_sources(
        Path::new("."),
        vec![gantry::core::diag::SourceFile::new(
            path.display().to_string(),
            text.to_string(),
        )],
    );
    let syntax: Vec<Diagnostic> = diags
        .0
        .into_iter()
        .filter(|d| d.summary == "Invalid syntax")
        .collect();
    if syntax.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            &cfg.sources,
            gantry::core::diag::Diagnostics(syntax),
        ))
    }
}

/// Initialises the configured backend: records it in `.terraform/terraform.tfstate` and,
/// when it changed, migrates state from the previous one (`-migrate-state`) or starts from
/// the new one as it is (`-reconfigure`).
fn init_backend(
    ctx: &Ctx,
    a: &args::InitArgs,
    cfg: &gantry::core::config::Config,
) -> Result<(), Failure> {
    use gantry::plans::backend::{migrate, settings};
    let dir = &ctx.ws.dir;
    let block = settings::from_config(cfg, dir)?;
    let overrides = settings::overrides(&a.backend_config, dir)?;
    let wanted = match block {
        Some(b) => Some(settings::merged(b, overrides)),
        None if overrides.is_empty() => None,
        None => {
            // Never silently: a setting gantry would not use could point state elsewhere.
            return Err(Failure::from(Diagnostic::error(
                "Invalid -backend-config",
                "-backend-config sets arguments of the configuration's backend block, and this configuration has none (its state is local).",
            )));
        }
    };
    let data_dir = gantry::plans::workspaces::data_dir(dir);
    let saved = settings::saved(&data_dir);
    let is_local = |s: &Option<settings::Settings>| s.as_ref().is_none_or(|s| s.kind == "local");
    let new = ctx.ws.connect(wanted.as_ref())?;
    if saved != wanted && !(is_local(&saved) && is_local(&wanted)) && !a.reconfigure {
        let old = ctx.ws.connect(saved.as_ref())?;
        let old_has_state = migrate::has_any_state(&old).map_err(state_err)?;
        if old_has_state {
            if !a.migrate_state && !a.force_copy {
                return Err(Failure::from(Diagnostic::error(
                    "Backend configuration changed",
                    format!("The backend changed from {:?} to {:?} and the {:?} backend holds state.\n\nRun \"gantry init -migrate-state\" to copy the existing state to the new backend, or \"gantry init -reconfigure\" to use the new backend as it is (the old state stays where it is).", old.kind(), new.kind(), old.kind()),
                )));
            }
            if !a.force_copy
                && !ui::confirm(
                    "Do you want to copy existing state to the new backend?",
                    &format!("Existing state in the {:?} backend will be copied to the new {:?} backend, for every workspace. Enter \"yes\" to copy and \"no\" to start with an empty state.", old.kind(), new.kind()),
                )
            {
                return Err(Failure::from(Diagnostic::error("Migration cancelled.", "")));
            }
            let timeout = args::parse_duration(&a.lock.lock_timeout)
                .map_err(|m| Failure::from(Diagnostic::error("Invalid -lock-timeout", m)))?;
            let copied = migrate::migrate(&old, &new, timeout, true).map_err(state_err)?;
            for c in copied {
                if let migrate::Copied::State { workspace, serial } = c {
                    println!("Copied the state of workspace {workspace:?} to the {:?} backend (serial {serial}).", new.kind());
                }
            }
        }
    }
    settings::save(&data_dir, wanted.as_ref().filter(|s| s.kind != "local"))?;
    match &new {
        gantry::plans::backend::Configured::Local { default_state, .. } => {
            if wanted.is_some() {
                println!("\n{}", ctx.style.bold("Successfully configured the backend \"local\"! gantry will automatically\nuse this backend unless the backend configuration changes."));
            } else {
                println!("Using local state at {}", default_state.display());
            }
        }
        gantry::plans::backend::Configured::Remote { backend, .. } => {
            println!("\n{}", ctx.style.bold(&format!("Successfully configured the backend {:?}! gantry will automatically\nuse this backend unless the backend configuration changes.", backend.kind())));
        }
    }
    Ok(())
}
