//! The `gantry` command: a thin shell over the library. It parses flags, talks to the
//! terminal and maps results to exit codes; everything else is `gantry::plans`.

mod args;
mod inspect;
mod plan_apply;
mod setup;
mod state_cmds;
mod ui;
mod workspace_cmds;

use inspect::*;
use plan_apply::*;
use setup::*;
use state_cmds::*;
use workspace_cmds::*;

/// mimalloc: large plans allocate millions of small values; glibc malloc spent a third of a
/// 100,000-resource plan in its free lists.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use args::{ApplyArgs, Cli, Cmd, LockFlags, PlanArgs, StateCmd};
use clap::Parser;
use gantry::core::addr::InstanceAddr;
use gantry::core::diag::{Diagnostic, Diagnostics};
use gantry::core::state::{State, StateError};
use gantry::plans::backend::{StateBackend, StateLock};
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
    let raw = match args::with_env_args(std::env::args().collect(), |k| std::env::var(k).ok()) {
        Ok(a) => a,
        Err(m) => {
            eprintln!("Error: {m}");
            return ExitCode::from(1);
        }
    };
    let (argv, vars) = args::normalize(raw);
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            // Usage errors exit 1 as Terraform's do (2 means "changes present" under
            // -detailed-exitcode); help and version requests exit 0.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Err(m) = init_logging() {
        eprintln!("Error: {m}");
        return ExitCode::from(1);
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        language = gantry::core::version::LANGUAGE_VERSION,
        "gantry starting"
    );
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
    // Plugin processes end with the run (GRPCController.Shutdown, then a kill).
    gantry::plugin::shutdown_all();
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

/// `GANTRY_LOG` (an env-filter: `debug`, `gantry_plans=trace`), or Terraform's `TF_LOG`
/// (`TRACE` … `ERROR`, `JSON` for trace as JSON lines, `OFF`), to stderr or `TF_LOG_PATH`.
fn init_logging() -> Result<(), String> {
    let (spec, json) = match (std::env::var("GANTRY_LOG"), std::env::var("TF_LOG")) {
        (Ok(g), _) if !g.is_empty() => (g, false),
        (_, Ok(t)) if !t.is_empty() && !t.eq_ignore_ascii_case("off") => {
            let json = t.eq_ignore_ascii_case("json");
            (
                if json {
                    "trace".into()
                } else {
                    t.to_lowercase()
                },
                json,
            )
        }
        _ => return Ok(()),
    };
    // Wire-level crates log request and response bodies at debug/trace, and bodies can carry
    // sensitive values: they are capped at info whatever the level asks for.
    let mut filter = tracing_subscriber::EnvFilter::try_new(&spec)
        .map_err(|e| format!("invalid log level {spec:?}: {e}"))?;
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
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match std::env::var("TF_LOG_PATH").ok().filter(|p| !p.is_empty()) {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("TF_LOG_PATH {path}: {e}"))?;
            let writer = std::sync::Mutex::new(file);
            if json {
                builder.json().with_writer(writer).init();
            } else {
                builder.with_ansi(false).with_writer(writer).init();
            }
        }
        None if json => builder.json().with_writer(std::io::stderr).init(),
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

async fn run(ctx: &Ctx, cmd: Cmd) -> Outcome {
    match cmd {
        Cmd::Init(a) => init(ctx, a).await,
        Cmd::Validate(a) => validate(ctx, a),
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
        Cmd::Graph(a) => graph(ctx, a),
        Cmd::Version(a) => version(ctx, a),
        Cmd::Console(a) => console(ctx, a),
        Cmd::Providers => providers(ctx),
        Cmd::Workspace(w) => workspace_cmd(ctx, w),
        Cmd::Taint(a) => taint(ctx, a, true),
        Cmd::Untaint(a) => taint(ctx, a, false),
        Cmd::ForceUnlock(a) => force_unlock(ctx, a),
        Cmd::Import(a) => import(ctx, a).await,
        Cmd::Compare(a) => compare(ctx, a).await,
    }
}

/// `gantry compare [DIR]`: a thin shell over `plans::compare`.
async fn compare(ctx: &Ctx, a: args::CompareArgs) -> Outcome {
    // As -chdir: paths in the configuration are relative to its directory.
    if let Some(d) = &a.dir {
        std::env::set_current_dir(d).map_err(|e| {
            Failure::from(Diagnostic::error(
                "Invalid directory",
                format!("{}: {e}", d.display()),
            ))
        })?;
    }
    let ws = Workspace::new(".", gantry::default_registry());
    let clouds = if a.clouds.is_empty() {
        gantry::plans::compare::configured_clouds(&ws)?
    } else {
        a.clouds.clone()
    };
    if clouds.is_empty() {
        return Err(Failure::from(Diagnostic::error(
            "Nothing to compare",
            "The configuration requires none of the aws, google and azurerm providers.",
        )));
    }
    let summaries = gantry::plans::compare::compare(&ws, &clouds, &ctx.vars, &env_vars()).await?;
    print!("{}", gantry::plans::render::compare::render(&summaries));
    Ok(0)
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

/// Warnings in full, or with `-compact-warnings` one summary line each (as Terraform).
fn show_warnings(ctx: &Ctx, warnings: &Failure, compact: bool) {
    if warnings.diags.is_empty() {
        return;
    }
    if !compact {
        eprint!("{}", warnings.render(ctx.style.color));
        return;
    }
    let n = warnings.diags.0.len();
    eprintln!("Warning{}:\n", if n == 1 { "" } else { "s" });
    for d in &warnings.diags.0 {
        let at = d
            .span
            .as_ref()
            .map(|s| format!("\n  on {}", warnings.sources.location(s)))
            .unwrap_or_default();
        eprintln!("- {}{at}", d.summary);
    }
    eprintln!("\nTo see the full warning notes, run gantry without -compact-warnings.");
}

/// The state backend, telling the user about a one-time move of legacy state.
fn backend_for(
    ctx: &Ctx,
    cfg: Option<&gantry::core::config::Config>,
) -> Result<StateBackend, Failure> {
    let (backend, note) = ctx.ws.backend(cfg)?;
    if let Some(n) = note {
        eprintln!("{}", ctx.style.bold(&n));
    }
    Ok(backend)
}

fn take_lock(
    backend: &StateBackend,
    lock: &LockFlags,
    op: &str,
) -> Result<Option<StateLock>, Failure> {
    if !lock.lock {
        return Ok(None);
    }
    let timeout = args::parse_duration(&lock.lock_timeout)
        .map_err(|m| Failure::from(Diagnostic::error("Invalid -lock-timeout", m)))?;
    backend.lock(op, timeout).map(Some).map_err(state_err)
}

/// Loads state, compacting a journal left by an interrupted run (we hold the lock).
fn load_state(backend: &StateBackend, locked: bool) -> Result<State, Failure> {
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
