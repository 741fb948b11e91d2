//! Command-line syntax. Terraform's single-dash long flags (`-auto-approve`, `-var=x=1`,
//! `-chdir=DIR`) are accepted beside `--flags` by rewriting them before clap sees them.

use clap::{ArgAction, Args, Parser, Subcommand};
use gantry::plans::VarArg;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "gantry",
    version,
    about = "Declarative AI infrastructure: plan and apply HCL on AWS, Google Cloud and Azure"
)]
pub struct Cli {
    /// Switch to this working directory before running the command.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Never use colors.
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Prepare the working directory: check the configuration and its providers.
    Init(InitArgs),
    /// Check whether the configuration is valid.
    Validate(ValidateArgs),
    /// Rewrite configuration files to the canonical format.
    Fmt(FmtArgs),
    /// Show the changes required by the current configuration.
    Plan(PlanArgs),
    /// Create or update infrastructure.
    Apply(ApplyArgs),
    /// Destroy previously-created infrastructure.
    Destroy(ApplyArgs),
    /// Update the state to match remote objects, changing nothing else.
    Refresh(ApplyArgs),
    /// Show the current state or a saved plan.
    Show(ShowArgs),
    /// Show output values.
    Output(OutputArgs),
    /// Advanced state management.
    #[command(subcommand)]
    State(StateCmd),
    /// Print the dependency graph in DOT format.
    Graph(GraphArgs),
    /// Show the gantry version and the Terraform language version it implements.
    Version(VersionArgs),
    /// Evaluate expressions read from standard input against the current state.
    Console(ConsoleArgs),
    /// Show the providers the configuration and state require.
    Providers,
    /// Named states of this configuration (Terraform's workspaces).
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Mark an instance for replacement at the next apply.
    Taint(TaintArgs),
    /// Remove the replacement mark from an instance.
    Untaint(TaintArgs),
    /// Release a stuck lock on the state.
    #[command(name = "force-unlock")]
    ForceUnlock(ForceUnlockArgs),
    /// Adopt an existing object into the state.
    Import(ImportArgs),
    /// Plan one declaration (taking a `cloud` variable) on each cloud it is configured
    /// for, and compare what each needs, runs and costs.
    Compare(CompareArgs),
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The configuration to compare (default: the working directory).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarFlags,
    /// Only these clouds (`aws`, `google`, `azure`), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "CLOUDS")]
    pub clouds: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Diagnostics as Terraform's validate JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// `plan` (default), `plan-refresh-only`, `plan-destroy` or `apply`.
    #[arg(long = "type", value_name = "TYPE")]
    pub graph_type: Option<String>,
}

#[derive(Args, Debug)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub vars: VarFlags,
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCmd {
    /// Create a workspace and switch to it.
    New { name: String },
    /// Switch to a workspace.
    Select {
        /// Create the workspace if it does not exist.
        #[arg(long = "or-create")]
        or_create: bool,
        name: String,
    },
    /// List workspaces, the current one marked with `*`.
    List,
    /// Show the current workspace.
    Show,
    /// Delete a workspace (not the current one, not `default`).
    Delete {
        /// Delete even if its state still tracks objects (they are forgotten, not destroyed).
        #[arg(long)]
        force: bool,
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct TaintArgs {
    #[command(flatten)]
    pub lock: LockFlags,
    /// Succeed (with a warning) when the instance is not in state.
    #[arg(long = "allow-missing")]
    pub allow_missing: bool,
    pub address: String,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Fetch remote modules again, choosing the newest versions the constraints allow.
    #[arg(long)]
    pub upgrade: bool,
    /// Ignore a saved backend configuration (accepted: gantry keeps none beyond the files).
    #[arg(long)]
    pub reconfigure: bool,
    /// Move state to a changed backend (accepted: with the local backend there is nothing
    /// to move).
    #[arg(long = "migrate-state")]
    pub migrate_state: bool,
    /// With -migrate-state, answer yes to copying state.
    #[arg(long = "force-copy")]
    pub force_copy: bool,
    /// Set false to skip backend initialization.
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub backend: bool,
    /// Backend settings beside the configuration's: a file or KEY=VALUE.
    #[arg(long = "backend-config", value_name = "FILE|KEY=VALUE")]
    pub backend_config: Vec<String>,
    #[command(flatten)]
    pub lock: LockFlags,
    /// Accepted for Terraform compatibility.
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub input: bool,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Only check; exit 3 when a file is not formatted.
    #[arg(long)]
    pub check: bool,
    /// Also format files in subdirectories (not hidden ones such as .terraform).
    #[arg(long)]
    pub recursive: bool,
    /// Write the formatted text back to the files (default true).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub write: bool,
    /// List the files whose formatting differs (default true).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub list: bool,
    /// Show the formatting changes as a diff.
    #[arg(long)]
    pub diff: bool,
    /// Files or directories (default: the working directory); `-` reads standard input and
    /// writes the formatted text to standard output.
    #[arg(allow_hyphen_values = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct VarFlags {
    /// Set a variable: -var 'name=value'.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub var: Vec<String>,
    /// Read variable values from a file.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LockFlags {
    /// Take the state lock (default true).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub lock: bool,
    /// How long to wait for the state lock: 0s, 30s, 5m.
    #[arg(long = "lock-timeout", default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarFlags,
    #[command(flatten)]
    pub lock: LockFlags,
    /// Write the plan to this file for a later `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Plan only these resources (and what they depend on).
    #[arg(long = "target", value_name = "ADDRESS")]
    pub target: Vec<String>,
    /// Leave these resources (and what depends on them) out of the plan.
    #[arg(long = "exclude", value_name = "ADDRESS")]
    pub exclude: Vec<String>,
    /// Show warnings as one summary line each.
    #[arg(long = "compact-warnings")]
    pub compact_warnings: bool,
    /// Force replacement of this instance.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
    /// Write resource blocks for import targets that have no configuration to this (new)
    /// file, then plan with them.
    #[arg(long = "generate-config-out", value_name = "FILE")]
    pub generate_config_out: Option<PathBuf>,
    /// Read remote objects before planning (default true).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Only record changes made outside gantry; change nothing.
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Exit 0 for no changes, 1 for errors, 2 when there are changes.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Machine-readable output: one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Ask for input (accepted for Terraform compatibility; gantry never prompts for
    /// variables, only for approval).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub input: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Skip the interactive approval.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// A plan file written by `plan -out`.
    pub plan_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[arg(long)]
    pub json: bool,
    /// A saved plan file; without it the state is shown.
    pub file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct OutputArgs {
    #[arg(long)]
    pub json: bool,
    #[arg(long)]
    pub raw: bool,
    pub name: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum StateCmd {
    /// List resource instances in the state.
    List { addresses: Vec<String> },
    /// Show one instance's attributes.
    Show { address: String },
    /// Forget instances (the remote objects are left alone).
    Rm {
        #[command(flatten)]
        lock: LockFlags,
        /// Only list what would be removed.
        #[arg(long = "dry-run")]
        dry_run: bool,
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move an instance or resource to a new address.
    Mv {
        #[command(flatten)]
        lock: LockFlags,
        /// Only list what would be moved.
        #[arg(long = "dry-run")]
        dry_run: bool,
        source: String,
        destination: String,
    },
    /// Print the state file to standard output.
    Pull,
    /// Replace the state with a state file (`-` reads standard input).
    Push {
        #[command(flatten)]
        lock: LockFlags,
        /// Write even when lineage differs or the serial is older.
        #[arg(long)]
        force: bool,
        path: String,
    },
    /// Change the provider recorded for resources in state.
    #[command(name = "replace-provider")]
    ReplaceProvider {
        #[command(flatten)]
        lock: LockFlags,
        #[arg(long = "auto-approve")]
        auto_approve: bool,
        from: String,
        to: String,
    },
}

#[derive(Args, Debug)]
pub struct ForceUnlockArgs {
    pub lock_id: String,
    /// Don't ask for confirmation.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub vars: VarFlags,
    #[command(flatten)]
    pub lock: LockFlags,
    pub address: String,
    pub id: String,
}

/// Long flags gantry knows, for rewriting Terraform's `-flag` spelling.
fn is_long_flag(name: &str) -> bool {
    name.len() > 1
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

/// Rewrites `-flag[=v]` to `--flag[=v]` and collects `-var` / `-var-file` in command-line
/// order (their relative order decides precedence).
pub fn normalize(args: impl IntoIterator<Item = String>) -> (Vec<String>, Vec<VarArg>) {
    let mut out = Vec::new();
    let mut vars = Vec::new();
    let mut pending: Option<String> = None;
    let mut after_dashdash = false;
    for a in args {
        if let Some(kind) = pending.take() {
            vars.push(if kind == "var" {
                VarArg::Assign(a.clone())
            } else {
                VarArg::File(a.clone().into())
            });
            out.push(a);
            continue;
        }
        if after_dashdash || a == "--" {
            after_dashdash = true;
            out.push(a);
            continue;
        }
        let body = if let Some(rest) = a.strip_prefix("--") {
            Some(rest)
        } else if let Some(rest) = a.strip_prefix('-') {
            let name = rest.split('=').next().unwrap_or("");
            is_long_flag(name).then_some(rest)
        } else {
            None
        };
        let Some(body) = body else {
            out.push(a);
            continue;
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if name == "var" || name == "var-file" {
            match value {
                Some(v) => vars.push(if name == "var" {
                    VarArg::Assign(v.to_string())
                } else {
                    VarArg::File(v.into())
                }),
                None => pending = Some(name.to_string()),
            }
        }
        out.push(format!("--{body}"));
    }
    (out, vars)
}

/// Terraform's `TF_CLI_ARGS` and `TF_CLI_ARGS_<command>`: extra arguments (shell-quoted)
/// inserted right after the command name, the general ones first. Commands are named as
/// typed, `-` as `_` (`TF_CLI_ARGS_force_unlock`).
pub fn with_env_args(
    argv: Vec<String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    // The command is the first argument that is not a flag (global flags come before it).
    let Some(at) = argv.iter().skip(1).position(|a| !a.starts_with('-')) else {
        return Ok(argv);
    };
    let at = at + 1;
    let cmd = argv[at].replace('-', "_");
    let mut extra = Vec::new();
    for var in ["TF_CLI_ARGS".to_string(), format!("TF_CLI_ARGS_{cmd}")] {
        if let Some(text) = env(&var).filter(|t| !t.trim().is_empty()) {
            extra.extend(shlex::split(&text).ok_or_else(|| {
                format!("{var} is not valid shell syntax (check its quotes): {text:?}")
            })?);
        }
    }
    let mut out = argv;
    out.splice(at + 1..at + 1, extra);
    Ok(out)
}

/// `30s`, `5m`, `1h`, `250ms` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration unit in {s:?}; use ms, s, m or h")),
    };
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_dash_flags_are_accepted_and_vars_keep_order() {
        let argv = [
            "gantry",
            "-chdir=dir",
            "apply",
            "-auto-approve",
            "-var",
            "a=1",
            "-var-file=x.tfvars",
            "--var=b=2",
            "-refresh=false",
            "plan.out",
        ];
        let (out, vars) = normalize(argv.iter().map(|s| s.to_string()));
        assert_eq!(
            out,
            [
                "gantry",
                "--chdir=dir",
                "apply",
                "--auto-approve",
                "--var",
                "a=1",
                "--var-file=x.tfvars",
                "--var=b=2",
                "--refresh=false",
                "plan.out"
            ]
        );
        assert!(matches!(&vars[0], VarArg::Assign(s) if s == "a=1"));
        assert!(matches!(&vars[1], VarArg::File(p) if p.to_str() == Some("x.tfvars")));
        assert!(matches!(&vars[2], VarArg::Assign(s) if s == "b=2"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(parse_duration("2m").unwrap().as_secs(), 120);
        assert!(parse_duration("2x").is_err());
    }
}
