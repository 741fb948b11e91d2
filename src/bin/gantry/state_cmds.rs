//! Changing state directly: `state …`, `force-unlock`, `import`.

use super::*;

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
