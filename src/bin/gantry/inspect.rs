//! Reading state without changing it: `show`, `output`, `graph`.

use super::*;

pub(crate) fn current_state(ctx: &Ctx) -> Result<State, Failure> {
    let cfg = ctx.ws.config().ok().map(|(c, _)| c);
    let backend = backend_for(ctx, cfg.as_ref())?;
    load_state(&backend, false)
}

pub(crate) fn show(ctx: &Ctx, a: args::ShowArgs) -> Outcome {
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

pub(crate) fn output(ctx: &Ctx, a: args::OutputArgs) -> Outcome {
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

pub(crate) fn graph(ctx: &Ctx) -> Outcome {
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
