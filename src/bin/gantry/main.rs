//! The `gantry` command: a thin shell over the library. It parses flags, talks to the
//! terminal and maps results to exit codes; everything else is `gantry::plans`.

mod args;
mod ui;

/// mimalloc: large plans allocate millions of small values; glibc malloc spent a third of a
/// 100,000-resource plan in its free lists.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use args::{ApplyArgs, Cli, Cmd, LockFlags, PlanArgs, StateCmd};
use clap::Parser;
use gantry::core::addr::InstanceAddr;
use gantry::core::diag::{Diagnostic, Diagnostics};
use gantry::core::state::{LocalBackend, LockGuard, State, StateError};
use gantry::plans::render::{render_plan, Style};
use gantry::plans::{
    planfile, Failure, Loaded, Lock, Plan, PlanMode, PlanOptions, Session, VarArg, Workspace,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What a command ends with: an exit code, or diagnostics to print (exit 1).
type Outcome = Result<u8, Failure>;

struct Ctx {
    ws: Workspace,
    style: Style,
    vars: Vec<VarArg>,
    /// `-json`: machine-readable lines on stdout instead of human text.
    json: bool,
}

fn main() -> ExitCode {
    let (argv, vars) = args::normalize(std::env::args());
    let cli = Cli::parse_from(argv);
    if std::env::var_os("GANTRY_LOG").is_some() {
        // Wire-level crates log request and response bodies at debug/trace, and bodies can
        // carry sensitive values: they are capped at info whatever GANTRY_LOG asks for.
        let mut filter =
            tracing_subscriber::EnvFilter::try_from_env("GANTRY_LOG").unwrap_or_default();
        for quiet in [
            "aws_smithy_runtime",
            "aws_smithy_http",
            "aws_smithy_http_client",
            "aws_runtime",
            "aws_sdk_ec2",
            "aws_sdk_s3",
            "aws_sdk_iam",
            "aws_sdk_sagemaker",
            "aws_sdk_sts",
            "aws_config",
            "hyper",
            "hyper_util",
            "h2",
            "rustls",
        ] {
            if let Ok(d) = format!("{quiet}=info").parse() {
                filter = filter.add_directive(d);
            }
        }
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    if let Some(d) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(d) {
            eprintln!("Error: Invalid -chdir option: {}: {e}", d.display());
            return ExitCode::from(1);
        }
    }
    let json = match &cli.cmd {
        Cmd::Plan(a) => a.json,
        Cmd::Apply(a) | Cmd::Destroy(a) | Cmd::Refresh(a) => a.plan.json,
        _ => false,
    };
    let ctx = Ctx {
        ws: Workspace::new(".", gantry::default_registry()),
        style: ui::style(cli.no_color || json),
        vars,
        json,
    };
    if json {
        ui::json::version();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        tokio::spawn(watch_signals());
        run(&ctx, cli.cmd).await
    });
    if gantry::plans::apply::interrupt::count() > 0 {
        if let Err(f) = &result {
            eprint!("{}", f.render(ctx.style.color));
        }
        return ExitCode::from(130);
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) if ctx.json => {
            ui::json::diagnostics(&f);
            ExitCode::from(1)
        }
        Err(f) => {
            eprint!("{}", f.render(ctx.style.color));
            ExitCode::from(1)
        }
    }
}

/// SIGINT / SIGTERM: the first asks for a graceful stop (in-flight operations finish and are
/// recorded, the lock is released), the second stops waiting.
async fn watch_signals() {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        #[cfg(unix)]
        let got = match term.as_mut() {
            Some(t) => {
                tokio::select! { r = tokio::signal::ctrl_c() => r.is_ok(), s = t.recv() => s.is_some() }
            }
            None => tokio::signal::ctrl_c().await.is_ok(),
        };
        #[cfg(not(unix))]
        let got = tokio::signal::ctrl_c().await.is_ok();
        if !got {
            return;
        }
        match gantry::plans::apply::interrupt::raise() {
            1 => eprintln!("\nInterrupt received.\nPlease wait for gantry to exit or data loss may occur.\nGracefully shutting down: operations in flight finish and are recorded; nothing new starts."),
            _ => eprintln!("\nTwo interrupts received. Exiting immediately: operations still in flight are left to the next run, which reconciles them from the journal."),
        }
    }
}

async fn run(ctx: &Ctx, cmd: Cmd) -> Outcome {
    match cmd {
        Cmd::Init(a) => init(ctx, a).await,
        Cmd::Validate => validate(ctx),
        Cmd::Fmt(a) => fmt(ctx, a),
        Cmd::Plan(a) => plan_cmd(ctx, a).await,
        Cmd::Apply(a) => apply_cmd(ctx, a, PlanMode::Normal).await,
        Cmd::Destroy(a) => apply_cmd(ctx, a, PlanMode::Destroy).await,
        Cmd::Refresh(a) => {
            apply_cmd(
                ctx,
                ApplyArgs {
                    auto_approve: true,
                    ..a
                },
                PlanMode::RefreshOnly,
            )
            .await
        }
        Cmd::Show(a) => show(ctx, a),
        Cmd::Output(a) => output(ctx, a),
        Cmd::State(s) => state_cmd(ctx, s),
        Cmd::Graph => graph(ctx),
        Cmd::ForceUnlock(a) => force_unlock(ctx, a),
        Cmd::Import(a) => import(ctx, a).await,
    }
}

fn state_err(e: StateError) -> Failure {
    gantry::plans::session::state_failure(e)
}

fn env_vars() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("TF_VAR_"))
        .collect()
}

fn print_warnings(ctx: &Ctx, loaded: &Loaded) {
    if !loaded.warnings.diags.is_empty() {
        eprint!("{}", loaded.warnings.render(ctx.style.color));
    }
}

/// The state backend, telling the user about a one-time move of legacy state.
fn backend_for(
    ctx: &Ctx,
    cfg: Option<&gantry::core::config::Config>,
) -> Result<LocalBackend, Failure> {
    let (backend, note) = ctx.ws.backend(cfg)?;
    if let Some(n) = note {
        eprintln!("{}", ctx.style.bold(&n));
    }
    Ok(backend)
}

fn take_lock(
    backend: &LocalBackend,
    lock: &LockFlags,
    op: &str,
) -> Result<Option<LockGuard>, Failure> {
    if !lock.lock {
        return Ok(None);
    }
    let timeout = args::parse_duration(&lock.lock_timeout)
        .map_err(|m| Failure::from(Diagnostic::error("Invalid -lock-timeout", m)))?;
    backend.lock(op, timeout).map(Some).map_err(state_err)
}

/// Loads state, compacting a journal left by an interrupted run (we hold the lock).
fn load_state(backend: &LocalBackend, locked: bool) -> Result<State, Failure> {
    let (mut state, recovered) = backend.load().map_err(state_err)?;
    if recovered > 0 {
        eprintln!(
            "Recovered {recovered} completed operation(s) from an interrupted run's journal."
        );
        if locked {
            backend.write_snapshot(&mut state).map_err(state_err)?;
        }
    }
    Ok(state)
}

async fn init(ctx: &Ctx, a: args::InitArgs) -> Outcome {
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
    println!("\nInitializing the backend...");
    let backend = backend_for(ctx, Some(&cfg))?;
    println!("Using local state at {}", backend.path().display());
    println!("\nInitializing provider plugins...");
    let mut names: Vec<&str> = cfg
        .resources
        .values()
        .map(|r| r.provider.0.as_str())
        .chain(cfg.providers.iter().map(|p| p.name.as_str()))
        .collect();
    names.sort();
    names.dedup();
    for n in names {
        match ctx.ws.registry.get(n) {
            Some(_) => println!("- {}: built in", cfg.provider_source(n)),
            None => {
                return Err(Failure::from(Diagnostic::error(
                    "Failed to query available provider packages",
                    format!("Provider {} is not built into this gantry binary. Rebuild gantry with the matching cargo feature.", cfg.provider_source(n)),
                )))
            }
        }
    }
    println!(
        "\n{}",
        ctx.style.bold("gantry has been successfully initialized!")
    );
    Ok(0)
}

fn validate(ctx: &Ctx) -> Outcome {
    let engine = ctx.ws.load_for_validate()?;
    let diags = engine.validate();
    if diags.has_errors() {
        return Err(Failure::new(&engine.config.sources, diags));
    }
    println!("{}", ctx.style.bold("Success! The configuration is valid."));
    Ok(0)
}

/// The `*.tf` and `*.tfvars` files of `dir`, sorted; with `recursive`, of its subdirectories
/// too (hidden ones such as `.terraform` skipped).
fn fmt_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
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

fn fmt(_ctx: &Ctx, a: args::FmtArgs) -> Outcome {
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
fn hcl_check(path: &Path, text: &str) -> Result<(), Failure> {
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

fn plan_options(a: &PlanArgs, mode: PlanMode) -> Result<PlanOptions, Failure> {
    let mode = if a.destroy {
        PlanMode::Destroy
    } else if a.refresh_only {
        PlanMode::RefreshOnly
    } else {
        mode
    };
    let replace = a
        .replace
        .iter()
        .map(|r| {
            r.parse::<InstanceAddr>().map_err(|e| {
                Failure::from(Diagnostic::error("Invalid replace address", e.to_string()))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(PlanOptions {
        mode,
        refresh: a.refresh,
        targets: a.target.clone(),
        replace,
        parallelism: a.parallelism.max(1),
    })
}

/// How `-lock` / `-lock-timeout` ask for the state lock.
fn lock_request(lock: &LockFlags, op: &str) -> Result<Lock, Failure> {
    if !lock.lock {
        return Ok(Lock::none());
    }
    let timeout = args::parse_duration(&lock.lock_timeout)
        .map_err(|m| Failure::from(Diagnostic::error("Invalid -lock-timeout", m)))?;
    Ok(Lock::wait(op, timeout))
}

fn print_notes(ctx: &Ctx, session: &Session) {
    for n in &session.notes {
        eprintln!("{}", ctx.style.bold(n));
    }
}

/// Opens the directory and makes a plan (warnings shown). The session holds the lock.
async fn make_plan(
    ctx: &Ctx,
    a: &PlanArgs,
    mode: PlanMode,
    op: &str,
) -> Result<(Plan, Session), Failure> {
    let session = ctx
        .ws
        .open(&ctx.vars, &env_vars(), lock_request(&a.lock, op)?)
        .await?;
    print_warnings(ctx, &session.loaded);
    print_notes(ctx, &session);
    let opts = plan_options(a, mode)?;
    let plan = session.plan(&opts).await?;
    if !plan.warnings.is_empty() {
        let warnings = Failure::new(
            &session.loaded.engine.config.sources,
            Diagnostics(plan.warnings.clone()),
        );
        eprint!("{}", warnings.render(ctx.style.color));
    }
    Ok((plan, session))
}

/// `-generate-config-out`: writes HCL for undeclared import targets before planning.
async fn generate_config(ctx: &Ctx, a: &PlanArgs, out: &Path) -> Result<(), Failure> {
    let target = ctx.ws.dir.join(out);
    if target.exists() {
        return Err(Failure::from(Diagnostic::error("Target generated file already exists", format!("gantry can only write generated config into a new file. Either choose a different target location or move all existing configuration out of {}.", out.display()))));
    }
    let loaded = ctx.ws.load(&ctx.vars, &env_vars())?;
    let backend = backend_for(ctx, Some(&loaded.engine.config))?;
    let _guard = take_lock(&backend, &a.lock, "OperationTypePlan")?;
    let state = load_state(&backend, false)?;
    let sources = loaded.engine.config.sources.clone();
    let text = loaded
        .engine
        .generate_import_config(&state)
        .await
        .map_err(|d| Failure::new(&sources, d))?;
    if let Some(text) = text {
        gantry::core::state::write_atomic(&target, text.as_bytes()).map_err(|e| {
            Failure::from(Diagnostic::error(
                "Failed to write generated config",
                format!("{}: {e}", out.display()),
            ))
        })?;
        eprintln!(
            "Generated configuration written to {}: review it, then keep it.",
            out.display()
        );
    }
    Ok(())
}

async fn plan_cmd(ctx: &Ctx, a: PlanArgs) -> Outcome {
    if let Some(out) = &a.generate_config_out {
        generate_config(ctx, &a, out).await?;
    }
    let (plan, _session) = make_plan(ctx, &a, PlanMode::Normal, "OperationTypePlan").await?;
    let code = if a.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    };
    if ctx.json {
        ui::json::plan(&plan);
        if let Some(out) = &a.out {
            write_plan_file(out, &plan)?;
        }
        return Ok(code);
    }
    print!("{}", render_plan(&plan, ctx.style));
    if let Some(out) = &a.out {
        write_plan_file(out, &plan)?;
        println!("\n─────────────────────────────────────────────────────────────────────────────\n\nSaved the plan to: {}\n\nThis file may hold sensitive values; it was written with mode 0600.\nTo perform exactly these actions, run the following command to apply:\n    gantry apply \"{}\"", out.display(), out.display());
    } else if plan.has_changes() {
        println!("\n─────────────────────────────────────────────────────────────────────────────\n\nNote: You didn't use the -out option to save this plan, so gantry can't\nguarantee to take exactly these actions if you run \"gantry apply\" now.");
    }
    Ok(if a.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}

fn write_plan_file(path: &Path, plan: &Plan) -> Result<(), Failure> {
    let text = serde_json::to_vec(&planfile::to_json(plan)).map_err(|e| {
        Failure::from(Diagnostic::error(
            "Failed to write plan file",
            e.to_string(),
        ))
    })?;
    gantry::core::state::write_atomic(path, &text).map_err(|e| {
        Failure::from(Diagnostic::error(
            "Failed to write plan file",
            format!("{}: {e}", path.display()),
        ))
    })
}

fn read_plan_file(path: &Path) -> Result<Plan, Failure> {
    let bad = |m: String| {
        Failure::from(Diagnostic::error(
            "Failed to load the saved plan",
            format!("{}: {m}", path.display()),
        ))
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let j: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("the file is corrupt or not a plan file ({e})")))?;
    planfile::from_json(&j)
        .map_err(|m| bad(format!("the file is corrupt or not a plan file ({m})")))
}

async fn apply_cmd(ctx: &Ctx, a: ApplyArgs, mode: PlanMode) -> Outcome {
    if ctx.json && !a.auto_approve && a.plan_file.is_none() {
        return Err(Failure::from(Diagnostic::error("Plan file or auto-approve required", "gantry cannot ask for interactive approval when -json is set. To apply, either use -auto-approve or give a saved plan file.")));
    }
    let op = if mode == PlanMode::Destroy {
        "OperationTypeDestroy"
    } else {
        "OperationTypeApply"
    };
    let (plan, mut session, from_file) = match &a.plan_file {
        Some(file) => {
            let plan = read_plan_file(file)?;
            let session = ctx
                .ws
                .open_saved(&plan, lock_request(&a.plan.lock, op)?)
                .await?;
            print_notes(ctx, &session);
            (plan, session, true)
        }
        None => {
            let (plan, session) = make_plan(ctx, &a.plan, mode, op).await?;
            (plan, session, false)
        }
    };
    if ctx.json {
        ui::json::plan(&plan);
    } else if !from_file || plan.has_changes() {
        print!("{}", render_plan(&plan, ctx.style));
    }
    if !plan.has_changes() {
        // Records what refresh found changed outside, as Terraform's apply does.
        session
            .apply(&plan, &gantry::plans::apply::Quiet, 1)
            .await?;
        if ctx.json {
            ui::json::applied(
                Default::default(),
                plan.mode == PlanMode::Destroy,
                &plan.prior_state.outputs,
            );
            return Ok(0);
        }
        if plan.mode == PlanMode::Destroy {
            println!(
                "\n{}",
                ctx.style.bold("Destroy complete! Resources: 0 destroyed.")
            );
        } else {
            println!(
                "\n{}",
                ctx.style
                    .bold("Apply complete! Resources: 0 added, 0 changed, 0 destroyed.")
            );
        }
        return Ok(0);
    }
    if !from_file && !a.auto_approve {
        let (q, d) = if plan.mode == PlanMode::Destroy {
            ("Do you really want to destroy all resources?", "gantry will destroy all your managed infrastructure, as shown above.\n  There is no undo.")
        } else {
            (
                "Do you want to perform these actions?",
                "gantry will perform the actions described above.",
            )
        };
        if !ui::confirm(q, d) {
            let what = if plan.mode == PlanMode::Destroy {
                "Destroy"
            } else {
                "Apply"
            };
            return Err(Failure::from(Diagnostic::error(
                format!("{what} cancelled."),
                "",
            )));
        }
    }
    if !ctx.json {
        println!();
    }
    let human = ui::Progress::new(ctx.style);
    let observer: &dyn gantry::plans::ApplyObserver = if ctx.json {
        &ui::json::Progress
    } else {
        &human
    };
    let outcome = session
        .apply(&plan, observer, a.plan.parallelism.max(1))
        .await?;
    if let Some(f) = session.apply_failure(&outcome) {
        return Err(f);
    }
    let state = outcome.state;
    let s = outcome.applied;
    if ctx.json {
        ui::json::applied(s, plan.mode == PlanMode::Destroy, &state.outputs);
        return Ok(0);
    }
    match plan.mode {
        PlanMode::Destroy => println!(
            "\n{}",
            ctx.style.bold(&format!(
                "Destroy complete! Resources: {} destroyed.",
                s.destroy
            ))
        ),
        _ => println!(
            "\n{}",
            ctx.style.bold(&format!(
                "Apply complete! Resources: {}{} added, {} changed, {} destroyed.",
                if s.import > 0 {
                    format!("{} imported, ", s.import)
                } else {
                    String::new()
                },
                s.add,
                s.change,
                s.destroy
            ))
        ),
    }
    if plan.mode != PlanMode::Destroy && !state.outputs.is_empty() {
        println!(
            "\n{}\n\n{}",
            ctx.style.bold("Outputs:"),
            ui::outputs_text(&state.outputs).trim_end()
        );
    }
    Ok(0)
}

fn current_state(ctx: &Ctx) -> Result<State, Failure> {
    let cfg = ctx.ws.config().ok().map(|(c, _)| c);
    let backend = backend_for(ctx, cfg.as_ref())?;
    load_state(&backend, false)
}

fn show(ctx: &Ctx, a: args::ShowArgs) -> Outcome {
    if let Some(file) = &a.file {
        let plan = read_plan_file(file)?;
        if a.json {
            println!(
                "{}",
                serde_json::to_string(&gantry::plans::json::plan_json(&plan)).unwrap_or_default()
            );
        } else {
            print!("{}", render_plan(&plan, ctx.style));
        }
        return Ok(0);
    }
    let state = current_state(ctx)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&gantry::plans::json::state_json(&state)).unwrap_or_default()
        );
        return Ok(0);
    }
    if state.resources.is_empty() && state.outputs.is_empty() {
        println!("No state.");
        return Ok(0);
    }
    for (addr, inst) in &state.resources {
        let r = &addr.resource;
        println!(
            "{}",
            ui::instance_text(
                &addr.to_string(),
                &r.rtype,
                &r.name,
                r.mode == gantry::core::addr::Mode::Data,
                &inst.value
            )
        );
    }
    if !state.outputs.is_empty() {
        println!(
            "\nOutputs:\n\n{}",
            ui::outputs_text(&state.outputs).trim_end()
        );
    }
    Ok(0)
}

fn output(ctx: &Ctx, a: args::OutputArgs) -> Outcome {
    let state = current_state(ctx)?;
    match &a.name {
        Some(n) => {
            let Some(o) = state.outputs.get(n) else {
                return Err(Failure::from(Diagnostic::error("Output not found", format!("The output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `gantry apply`, since the state won't be updated with new output variables until that command is run. ({n})"))));
            };
            let plain = o.value.unmark_deep().0;
            if a.raw {
                match &plain {
                    gantry::core::value::Value::String(_) | gantry::core::value::Value::Number(_) | gantry::core::value::Value::Bool(_) => {
                        print!("{}", gantry::core::eval::to_string(&plain).unwrap_or_default());
                    }
                    _ => return Err(Failure::from(Diagnostic::error("Unsupported value for raw output", "The -raw option only supports strings, numbers, and boolean values. Use -json instead."))),
                }
            } else if a.json {
                println!("{}", plain.to_json());
            } else {
                println!("{}", gantry::plans::render::inline(&plain, 0));
            }
        }
        None if a.json => {
            let m: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "type": gantry::core::state::type_json(&o.value), "value": o.value.to_json()})))
                .collect();
            println!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
        }
        None => print!("{}", ui::outputs_text(&state.outputs)),
    }
    Ok(0)
}

fn state_cmd(ctx: &Ctx, s: StateCmd) -> Outcome {
    match s {
        StateCmd::List { addresses } => {
            let state = current_state(ctx)?;
            for a in state.resources.keys() {
                let text = a.to_string();
                if addresses.is_empty()
                    || addresses
                        .iter()
                        .any(|f| text == *f || a.resource.to_string() == *f)
                {
                    println!("{text}");
                }
            }
            Ok(0)
        }
        StateCmd::Show { address } => {
            let state = current_state(ctx)?;
            let addr: InstanceAddr =
                address
                    .parse()
                    .map_err(|e: gantry::core::addr::AddrParseError| {
                        Failure::from(Diagnostic::error("Invalid address", e.to_string()))
                    })?;
            let Some(inst) = state.resources.get(&addr) else {
                return Err(Failure::from(Diagnostic::error("No instance found for the given address", format!("This command requires that the address references one specific instance. {address} is not in the state."))));
            };
            let r = &addr.resource;
            print!(
                "{}",
                ui::instance_text(
                    &address,
                    &r.rtype,
                    &r.name,
                    r.mode == gantry::core::addr::Mode::Data,
                    &inst.value
                )
            );
            Ok(0)
        }
        StateCmd::Rm { lock, addresses } => {
            let cfg = ctx.ws.config().ok().map(|(c, _)| c);
            let backend = backend_for(ctx, cfg.as_ref())?;
            let _g = take_lock(&backend, &lock, "OperationTypeInvalid")?;
            let mut state = load_state(&backend, true)?;
            let mut removed = 0;
            for a in &addresses {
                let before = state.resources.len();
                state.resources.retain(|k, _| {
                    let hit = k.to_string() == *a || k.resource.to_string() == *a;
                    if hit {
                        println!("Removed {k}");
                    }
                    !hit
                });
                if state.resources.len() == before {
                    return Err(Failure::from(Diagnostic::error("Invalid target address", format!("No matching objects found for {a}. To view the available instances, use \"gantry state list\"."))));
                }
                removed += before - state.resources.len();
            }
            backend.write_snapshot(&mut state).map_err(state_err)?;
            println!("Successfully removed {removed} resource instance(s).");
            Ok(0)
        }
        StateCmd::Mv {
            lock,
            source,
            destination,
        } => {
            let cfg = ctx.ws.config().ok().map(|(c, _)| c);
            let backend = backend_for(ctx, cfg.as_ref())?;
            let _g = take_lock(&backend, &lock, "OperationTypeInvalid")?;
            let mut state = load_state(&backend, true)?;
            let parse = |s: &str| {
                s.parse::<InstanceAddr>()
                    .map_err(|e| Failure::from(Diagnostic::error("Invalid address", e.to_string())))
            };
            let (src, dst) = (parse(&source)?, parse(&destination)?);
            let whole = !source.contains('[');
            let moves: Vec<(InstanceAddr, InstanceAddr)> = state
                .resources
                .keys()
                .filter(|k| {
                    if whole {
                        k.resource == src.resource
                    } else {
                        **k == src
                    }
                })
                .map(|k| {
                    let to = if whole {
                        dst.resource.instance(k.key.clone())
                    } else {
                        dst.clone()
                    };
                    (k.clone(), to)
                })
                .collect();
            if moves.is_empty() {
                return Err(Failure::from(Diagnostic::error(
                    "Invalid source address",
                    format!("Cannot move {source}: does not match anything in the current state."),
                )));
            }
            for (from, to) in &moves {
                if state.resources.contains_key(to) {
                    return Err(Failure::from(Diagnostic::error("Invalid target address", format!("Cannot move to {to}: there is already a resource instance at that address in the current state."))));
                }
                if let Some(inst) = state.resources.remove(from) {
                    state.resources.insert(to.clone(), inst);
                }
            }
            backend.write_snapshot(&mut state).map_err(state_err)?;
            println!(
                "Move \"{source}\" to \"{destination}\"\nSuccessfully moved {} object(s).",
                moves.len()
            );
            Ok(0)
        }
    }
}

fn graph(ctx: &Ctx) -> Outcome {
    let engine = ctx.ws.load_for_validate()?;
    let g = &engine.graph;
    println!("digraph {{\n  compound = \"true\"\n  newrank = \"true\"\n  subgraph \"root\" {{");
    let mut lines = Vec::new();
    for e in g.graph.edge_indices() {
        if let Some((from, to)) = g.graph.edge_endpoints(e) {
            // Arrows point from a node to what it depends on, as in Terraform's graphs.
            lines.push(format!(
                "    \"[root] {}\" -> \"[root] {}\"",
                g.graph[to], g.graph[from]
            ));
        }
    }
    for n in g.graph.node_indices() {
        lines.push(format!("    \"[root] {}\"", g.graph[n]));
    }
    lines.sort();
    for l in lines {
        println!("{l}");
    }
    println!("  }}\n}}");
    Ok(0)
}

fn force_unlock(ctx: &Ctx, a: args::ForceUnlockArgs) -> Outcome {
    let cfg = ctx.ws.config().ok().map(|(c, _)| c);
    let backend = backend_for(ctx, cfg.as_ref())?;
    if !a.force && !ui::confirm("Do you really want to force-unlock?", "gantry will remove the lock on the state.\n  This will allow local gantry commands to modify this state, even though it\n  may still be in use.") {
        return Err(Failure::from(Diagnostic::error("Unlock cancelled.", "")));
    }
    backend.force_unlock(&a.lock_id).map_err(state_err)?;
    println!(
        "{}",
        ctx.style
            .bold("gantry state has been successfully unlocked!")
    );
    Ok(0)
}

async fn import(ctx: &Ctx, a: args::ImportArgs) -> Outcome {
    let loaded = ctx.ws.load(&ctx.vars, &env_vars())?;
    let engine = &loaded.engine;
    let addr: InstanceAddr =
        a.address
            .parse()
            .map_err(|e: gantry::core::addr::AddrParseError| {
                Failure::from(Diagnostic::error("Invalid address", e.to_string()))
            })?;
    let Some(res) = engine.resource(&addr.resource) else {
        return Err(Failure::from(Diagnostic::error("Configuration for import target does not exist", format!("The configuration does not contain a resource {}. Before importing, add a resource block for it.", addr.resource))));
    };
    let backend = backend_for(ctx, Some(&engine.config))?;
    let _g = take_lock(&backend, &a.lock, "OperationTypeImport")?;
    let mut state = load_state(&backend, true)?;
    if state.resources.contains_key(&addr) {
        return Err(Failure::from(Diagnostic::error("Resource already managed by gantry", format!("gantry is already managing a remote object for {addr}. To import to this address you must first remove the existing object from the state."))));
    }
    let (name, alias) = engine.provider_for(&addr.resource, res);
    let provider = engine
        .provider(&name, alias.as_deref(), &engine.static_scope(false))
        .await
        .map_err(Failure::from)?;
    println!("{addr}: Importing from ID \"{}\"...", a.id);
    let value = provider
        .import(&addr.resource.rtype, &a.id)
        .await
        .map_err(|e| Failure::from(Diagnostic::error("Import failed", format!("{addr}: {e}"))))?
        .ok_or_else(|| Failure::from(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id. Only pre-existing objects can be imported; check that the id is correct."))))?;
    let deps = engine
        .graph
        .state_dependencies(&gantry::core::graph::Node::Resource(addr.resource.clone()));
    let schema_version = engine
        .schema(&addr.resource, &name)
        .map(|s| s.version)
        .unwrap_or(0);
    state.resources.insert(
        addr.clone(),
        gantry::core::state::ResourceInstance {
            provider: engine.provider_addr(&name, alias.as_deref()),
            value,
            dependencies: deps,
            schema_version,
            create_before_destroy: res.lifecycle.create_before_destroy,
            types: Default::default(),
        },
    );
    backend.write_snapshot(&mut state).map_err(state_err)?;
    println!(
        "{addr}: Import prepared!\n\n{}",
        ctx.style.bold("Import successful!")
    );
    Ok(0)
}
