//! `plan`, `apply`, `destroy`, `refresh`: thin shells over `plans::Session`.

use super::*;

pub(crate) fn plan_options(a: &PlanArgs, mode: PlanMode) -> Result<PlanOptions, Failure> {
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
        excludes: a.exclude.clone(),
        parallelism: a.parallelism.max(1),
    })
}

/// How `-lock` / `-lock-timeout` ask for the state lock.
pub(crate) fn lock_request(lock: &LockFlags, op: &str) -> Result<Lock, Failure> {
    if !lock.lock {
        return Ok(Lock::none());
    }
    let timeout = args::parse_duration(&lock.lock_timeout)
        .map_err(|m| Failure::from(Diagnostic::error("Invalid -lock-timeout", m)))?;
    Ok(Lock::wait(op, timeout))
}

pub(crate) fn print_notes(ctx: &Ctx, session: &Session) {
    for n in &session.notes {
        eprintln!("{}", ctx.style.bold(n));
    }
}

/// Opens the directory and makes a plan (warnings shown). The session holds the lock.
pub(crate) async fn make_plan(
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
    if !ctx.json && opts.refresh {
        // Terraform's refresh lines, one per managed object read (written at once), under
        // the address a `moved` block gave it.
        let moved: std::collections::HashMap<_, _> = plan.moves.iter().cloned().collect();
        let mut lines = String::new();
        for (addr, inst) in &session.state.resources {
            if addr.resource.mode != gantry::core::addr::Mode::Managed {
                continue;
            }
            let id = inst
                .value
                .get_attr("id")
                .and_then(|v| v.as_str())
                .map(|id| format!(" [id={id}]"))
                .unwrap_or_default();
            let addr = moved.get(addr).unwrap_or(addr);
            lines.push_str(&format!(
                "{}: Refreshing state...{id}\n",
                ctx.style.bold(&addr.to_string())
            ));
        }
        print!("{lines}");
    }
    if !plan.warnings.is_empty() {
        let warnings = Failure::new(
            &session.loaded.engine.config.sources,
            Diagnostics(plan.warnings.clone()),
        );
        show_warnings(ctx, &warnings, a.compact_warnings);
    }
    Ok((plan, session))
}

/// `-generate-config-out`: writes HCL for undeclared import targets before planning.
pub(crate) async fn generate_config(ctx: &Ctx, a: &PlanArgs, out: &Path) -> Result<(), Failure> {
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

pub(crate) async fn plan_cmd(ctx: &Ctx, a: PlanArgs) -> Outcome {
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
    } else if plan.has_changes() && !in_automation() {
        println!("\n─────────────────────────────────────────────────────────────────────────────\n\nNote: You didn't use the -out option to save this plan, so gantry can't\nguarantee to take exactly these actions if you run \"gantry apply\" now.");
    }
    Ok(if a.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}

pub(crate) fn write_plan_file(path: &Path, plan: &Plan) -> Result<(), Failure> {
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

pub(crate) fn read_plan_file(path: &Path) -> Result<Plan, Failure> {
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

pub(crate) async fn apply_cmd(ctx: &Ctx, a: ApplyArgs, mode: PlanMode) -> Outcome {
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

/// `TF_IN_AUTOMATION`: output for a pipeline, without next-step advice for a person.
fn in_automation() -> bool {
    std::env::var_os("TF_IN_AUTOMATION").is_some_and(|v| !v.is_empty())
}
