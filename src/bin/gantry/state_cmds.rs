//! Changing state directly: `state …`, `force-unlock`, `import`.

use super::*;

/// An instance address typed on the command line.
fn parse_instance(text: &str) -> Result<InstanceAddr, Failure> {
    text.parse()
        .map_err(|e: gantry::core::addr::AddrParseError| {
            Failure::from(Diagnostic::error("Invalid address", e.to_string()))
        })
}

/// The state backend, locked for a direct state change, and the state (journal folded in).
fn locked_state(
    ctx: &Ctx,
    lock: &LockFlags,
) -> Result<(StateBackend, Option<StateLock>, State), Failure> {
    let cfg = ctx.ws.config().ok().map(|(c, _)| c);
    let backend = backend_for(ctx, cfg.as_ref())?;
    let guard = take_lock(&backend, lock, "OperationTypeInvalid")?;
    let state = load_state(&backend, true)?;
    Ok((backend, guard, state))
}

pub(crate) fn state_cmd(ctx: &Ctx, s: StateCmd) -> Outcome {
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
            let addr = parse_instance(&address)?;
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
        StateCmd::Rm {
            lock,
            dry_run,
            addresses,
        } => {
            let (backend, _g, mut state) = locked_state(ctx, &lock)?;
            let mut removed = 0;
            for a in &addresses {
                let before = state.resources.len();
                state.resources.retain(|k, _| {
                    let hit = k.to_string() == *a || k.resource.to_string() == *a;
                    if hit {
                        println!("{} {k}", if dry_run { "Would remove" } else { "Removed" });
                    }
                    !hit
                });
                if state.resources.len() == before {
                    return Err(Failure::from(Diagnostic::error("Invalid target address", format!("No matching objects found for {a}. To view the available instances, use \"gantry state list\"."))));
                }
                removed += before - state.resources.len();
            }
            if dry_run {
                println!("Would have removed {removed} resource instance(s).");
                return Ok(0);
            }
            backend.write_snapshot(&mut state).map_err(state_err)?;
            println!("Successfully removed {removed} resource instance(s).");
            Ok(0)
        }
        StateCmd::Mv {
            lock,
            dry_run,
            source,
            destination,
        } => {
            let (backend, _g, mut state) = locked_state(ctx, &lock)?;
            let (src, dst) = (parse_instance(&source)?, parse_instance(&destination)?);
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
            if dry_run {
                for (from, to) in &moves {
                    println!(
                        "Would move {from:?} to {to:?}",
                        from = from.to_string(),
                        to = to.to_string()
                    );
                }
                return Ok(0);
            }
            for (from, to) in &moves {
                if state.resources.contains_key(to) {
                    return Err(Failure::from(Diagnostic::error("Invalid target address", format!("Cannot move to {to}: there is already a resource instance at that address in the current state."))));
                }
                if let Some(inst) = state.resources.remove(from) {
                    state.resources.insert(to.clone(), inst);
                }
                if state.tainted.remove(from) {
                    state.tainted.insert(to.clone());
                }
            }
            backend.write_snapshot(&mut state).map_err(state_err)?;
            println!(
                "Move \"{source}\" to \"{destination}\"\nSuccessfully moved {} object(s).",
                moves.len()
            );
            Ok(0)
        }
        StateCmd::Pull => {
            let state = current_state(ctx)?;
            let mut out = Vec::new();
            state
                .write_json(&mut out, env!("CARGO_PKG_VERSION"))
                .map_err(|e| {
                    Failure::from(Diagnostic::error("Failed to read state", e.to_string()))
                })?;
            println!("{}", String::from_utf8_lossy(&out));
            Ok(0)
        }
        StateCmd::Push { lock, force, path } => {
            let bytes = if path == "-" {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map(|_| b)
            } else {
                std::fs::read(&path)
            }
            .map_err(|e| {
                Failure::from(Diagnostic::error(
                    "Failed to read state to push",
                    format!("{path}: {e}"),
                ))
            })?;
            let mut pushed = State::from_slice(&bytes).map_err(|e| {
                Failure::from(Diagnostic::error(
                    "Failed to read state to push",
                    format!("{path}: {e}"),
                ))
            })?;
            let (backend, _g, current) = locked_state(ctx, &lock)?;
            if backend.has_state() && !force {
                if pushed.lineage != current.lineage {
                    return Err(Failure::from(Diagnostic::error("Failed to write state", format!("cannot import state with lineage {:?} over unrelated state with lineage {:?}; use -force to overwrite", pushed.lineage, current.lineage))));
                }
                if pushed.serial < current.serial {
                    return Err(Failure::from(Diagnostic::error("Failed to write state", format!("cannot import state with serial {} over newer state with serial {}; use -force to overwrite", pushed.serial, current.serial))));
                }
            }
            // Written as the next serial after both, so every reader sees a newer state.
            pushed.serial = pushed.serial.max(current.serial);
            backend.write_snapshot(&mut pushed).map_err(state_err)?;
            Ok(0)
        }
        StateCmd::ReplaceProvider {
            lock,
            auto_approve,
            from,
            to,
        } => {
            let full = |s: &str| {
                if s.matches('/').count() >= 2 {
                    s.to_string()
                } else {
                    format!("registry.terraform.io/{s}")
                }
            };
            let (from, to) = (full(&from), full(&to));
            let (backend, _g, mut state) = locked_state(ctx, &lock)?;
            let old = format!("provider[\"{from}\"]");
            let hits: Vec<InstanceAddr> = state
                .resources
                .iter()
                .filter(|(_, i)| i.provider == old || i.provider.starts_with(&format!("{old}.")))
                .map(|(a, _)| a.clone())
                .collect();
            if hits.is_empty() {
                println!("No matching resources found.");
                return Ok(0);
            }
            println!("gantry will perform the following actions:\n\n  ~ Updating provider:\n    - {from}\n    + {to}\n\nChanging {} resources:\n", hits.len());
            for a in &hits {
                println!("  {a}");
            }
            if !auto_approve
                && !ui::confirm(
                    "Do you want to make these changes?",
                    "Only 'yes' will be accepted to continue.",
                )
            {
                return Err(Failure::from(Diagnostic::error(
                    "Cancelled replacing providers.",
                    "",
                )));
            }
            for a in &hits {
                if let Some(i) = state.resources.get_mut(a) {
                    i.provider = i.provider.replacen(&from, &to, 1);
                }
            }
            backend.write_snapshot(&mut state).map_err(state_err)?;
            println!(
                "\nSuccessfully replaced provider for {} resources.",
                hits.len()
            );
            Ok(0)
        }
    }
}

/// `taint` / `untaint`: mark an instance for replacement at the next apply, or clear it.
pub(crate) fn taint(ctx: &Ctx, a: args::TaintArgs, on: bool) -> Outcome {
    let addr = parse_instance(&a.address)?;
    if addr.resource.mode == gantry::core::addr::Mode::Data {
        return Err(Failure::from(Diagnostic::error(
            "Invalid address",
            "Data resources cannot be tainted: they are read again at every plan.",
        )));
    }
    let (backend, _g, mut state) = locked_state(ctx, &a.lock)?;
    if !state.resources.contains_key(&addr) {
        if a.allow_missing {
            eprintln!("Warning: No such resource instance\n\nResource instance {addr} was not found, but this is not an error because -allow-missing was set.");
            return Ok(0);
        }
        return Err(Failure::from(Diagnostic::error("No such resource instance", format!("There is no resource instance in the state with the address {addr}. If the resource configuration has just been added, you must run \"gantry apply\" once to create the corresponding instance(s) before they can be tainted."))));
    }
    if on {
        state.tainted.insert(addr.clone());
    } else if !state.tainted.remove(&addr) {
        return Err(Failure::from(Diagnostic::error(
            "Resource instance is not tainted",
            format!(
                "Resource instance {addr} is not currently tainted, and so it cannot be untainted."
            ),
        )));
    }
    backend.write_snapshot(&mut state).map_err(state_err)?;
    if on {
        println!("Resource instance {addr} has been marked as tainted.");
    } else {
        println!("Resource instance {addr} has been successfully untainted.");
    }
    Ok(0)
}

pub(crate) fn force_unlock(ctx: &Ctx, a: args::ForceUnlockArgs) -> Outcome {
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

pub(crate) async fn import(ctx: &Ctx, a: args::ImportArgs) -> Outcome {
    let loaded = ctx.ws.load(&ctx.vars, &env_vars())?;
    let engine = &loaded.engine;
    let addr = parse_instance(&a.address)?;
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
            private: Vec::new(),
        },
    );
    backend.write_snapshot(&mut state).map_err(state_err)?;
    println!(
        "{addr}: Import prepared!\n\n{}",
        ctx.style.bold("Import successful!")
    );
    Ok(0)
}
