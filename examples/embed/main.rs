//! Embedding gantry: a Rust program that plans and applies a directory of `.tf` files
//! through the public library API alone — the same engine work `gantry apply` does (state
//! lock, journal recovery, reconciling interrupted operations, saved-plan checks,
//! the snapshot after apply), with no terminal code.
//!
//! ```text
//! cargo run --example embed -- DIR [NAME=VALUE ...]
//! ```
//!
//! Prints the plan summary, applies it, and prints the outputs. Exit code 1 on any error.

use gantry::plans::{apply::Quiet, Lock, PlanOptions, VarArg, Workspace};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: embed DIR [NAME=VALUE ...]");
        return ExitCode::from(1);
    };
    let vars: Vec<VarArg> = args.map(VarArg::Assign).collect();
    match run(&dir, &vars).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{e}");
            ExitCode::from(1)
        }
    }
}

async fn run(dir: &str, vars: &[VarArg]) -> Result<(), gantry::plans::Failure> {
    let ws = Workspace::new(dir, gantry::default_registry());
    let lock = Lock::wait("OperationTypeApply", Duration::from_secs(30));
    let mut session = ws.open(vars, &[], lock).await?;
    for note in &session.notes {
        eprintln!("{note}");
    }
    let plan = session.plan(&PlanOptions::default()).await?;
    let s = plan.summary();
    println!(
        "Plan: {} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    );
    let outcome = session.apply(&plan, &Quiet, 10).await?;
    if let Some(failure) = session.apply_failure(&outcome) {
        return Err(failure);
    }
    let a = outcome.applied;
    println!(
        "Applied: {} added, {} changed, {} destroyed.",
        a.add, a.change, a.destroy
    );
    for (name, o) in &outcome.state.outputs {
        if o.sensitive {
            println!("{name} = (sensitive value)");
        } else {
            println!("{name} = {}", o.value.to_json());
        }
    }
    Ok(())
}
