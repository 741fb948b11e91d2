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
    let mut module = None;
    for (addr, inst) in &state.resources {
        let r = &addr.resource;
        // Terraform sets each module's resources apart with a blank line.
        if module.is_some_and(|m| m != &r.module) {
            println!();
        }
        module = Some(&r.module);
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
            ui::outputs_show(&state.outputs).trim_end()
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

pub(crate) fn graph(ctx: &Ctx, a: args::GraphArgs) -> Outcome {
    // Terraform's graph types; gantry plans and applies over one graph, so they print the
    // same edges, except a destroy plan, whose order is reversed.
    let reversed = match a.graph_type.as_deref() {
        None | Some("plan") | Some("plan-refresh-only") | Some("apply") => false,
        Some("plan-destroy") => true,
        Some(other) => {
            return Err(Failure::from(Diagnostic::error(
                "Invalid graph type",
                format!("{other:?} is not a graph type: use plan, plan-refresh-only, plan-destroy or apply."),
            )))
        }
    };
    let engine = ctx.ws.load_for_validate()?;
    let g = &engine.graph;
    println!("digraph {{\n  compound = \"true\"\n  newrank = \"true\"\n  subgraph \"root\" {{");
    let mut lines = Vec::new();
    for e in g.graph.edge_indices() {
        if let Some((from, to)) = g.graph.edge_endpoints(e) {
            // Arrows point from a node to what it depends on, as in Terraform's graphs.
            let (a, b) = if reversed { (from, to) } else { (to, from) };
            lines.push(format!(
                "    \"[root] {}\" -> \"[root] {}\"",
                g.graph[a], g.graph[b]
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

/// `os_arch` as Terraform names platforms (`linux_amd64`).
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

pub(crate) fn version(_ctx: &Ctx, a: args::VersionArgs) -> Outcome {
    let ours = env!("CARGO_PKG_VERSION");
    let language = gantry::core::version::LANGUAGE_VERSION;
    if a.json {
        let doc = serde_json::json!({
            "gantry_version": ours,
            "terraform_version": language,
            "platform": platform(),
            "provider_selections": {},
            "terraform_outdated": false,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!(
            "gantry v{ours}\non {}\n+ the Terraform language v{language}",
            platform()
        );
    }
    Ok(0)
}

/// Reads expressions from standard input, one per line, and prints each value as the
/// console shows it (sensitive values masked).
pub(crate) fn console(ctx: &Ctx, _a: args::ConsoleArgs) -> Outcome {
    use std::io::BufRead;
    let loaded = ctx.ws.load(&ctx.vars, &env_vars())?;
    let state = current_state(ctx)?;
    let scope = loaded.engine.state_scope(&state);
    let mut failed = false;
    for line in std::io::stdin().lock().lines() {
        let line =
            line.map_err(|e| Failure::from(Diagnostic::error("Reading input", e.to_string())))?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if text == "exit" {
            break;
        }
        match loaded.engine.console_eval(&scope, text) {
            Ok(v) => println!("{}", ui::console_value(&v)),
            Err((sources, diags)) => {
                failed = true;
                eprint!("{}", Failure::new(&sources, diags).render(ctx.style.color));
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// The providers the configuration (per module) and the state require.
pub(crate) fn providers(ctx: &Ctx) -> Outcome {
    let (cfg, _) = ctx.ws.config()?;
    let state = current_state(ctx)?;
    println!("\nProviders required by configuration:\n.");
    let mut names: std::collections::BTreeSet<String> = cfg
        .resources
        .values()
        .map(|r| r.addr.implied_provider().to_string())
        .collect();
    names.extend(cfg.required_providers.keys().cloned());
    let list: Vec<String> = names.into_iter().collect();
    for (i, n) in list.iter().enumerate() {
        let branch = if i + 1 == list.len() {
            "└──"
        } else {
            "├──"
        };
        println!("{branch} provider[{}]", provider_source(&cfg, n));
    }
    let in_state: std::collections::BTreeSet<String> = state
        .resources
        .values()
        .map(|i| {
            i.provider
                .trim_start_matches("provider[\"")
                .split("\"]")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    if !in_state.is_empty() {
        println!("\nProviders required by state:\n");
        for p in in_state {
            println!("    provider[{p}]");
        }
    }
    println!();
    Ok(0)
}

/// A provider's source address: from `required_providers`, else Terraform's default.
fn provider_source(cfg: &gantry::core::config::Config, name: &str) -> String {
    if name == "terraform" {
        return "terraform.io/builtin/terraform".into();
    }
    match cfg.required_providers.get(name) {
        Some(src) if src.matches('/').count() >= 2 => src.clone(),
        Some(src) => format!("registry.terraform.io/{src}"),
        None => format!("registry.terraform.io/hashicorp/{name}"),
    }
}
