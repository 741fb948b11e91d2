//! The `gantry` command: a thin shell over the library. It parses flags, talks to the
//! terminal and maps results to exit codes; everything else is `gantry::plans`.

mod args;
mod inspect;
mod plan_apply;
mod setup;
mod state_cmds;
mod ui;

use inspect::*;
use plan_apply::*;
use setup::*;
use state_cmds::*;

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
