//! Human-readable plan rendering, in Terraform's layout: a legend, one block per changed
//! instance with attribute-level diffs, then the summary and output changes.
//!
//! Collections are diffed element by element, multi-line strings line by line (`similar`),
//! and strings holding JSON structurally (a key reorder is no change). Sensitive values print
//! as `(sensitive value)`; unknown as `(known after apply)`.

use crate::plan::{Action, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use gantry_core::value::Value;
use std::fmt::Write;

pub mod compare;
mod diff;
use diff::render_resource_diff;
pub use diff::{inline, same};

/// ANSI colors, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn symbol(&self, sym: &str) -> String {
        let code = match sym.trim() {
            "+" => "32",
            "-" => "31",
            "~" => "33",
            "-/+" | "+/-" => "35",
            "<=" => "36",
            _ => return sym.to_string(),
        };
        self.paint(code, sym)
    }
}

pub fn symbol(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::DeleteThenCreate => "-/+",
        Action::CreateThenDelete => "+/-",
        Action::Read => "<=",
        Action::NoOp => " ",
    }
}

/// The full `plan` output (without diagnostics).
pub fn render_plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    if !plan.drift.is_empty() {
        out.push_str(&render_drift(plan, style));
    }
    let imported = |c: &ResourceChange| {
        plan.imports
            .iter()
            .find(|(a, _)| a == &c.addr)
            .map(|(_, id)| id.clone())
    };
    let moved_from = |c: &ResourceChange| {
        plan.moves
            .iter()
            .find(|(_, to)| to == &c.addr)
            .map(|(from, _)| from.clone())
    };
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || imported(c).is_some() || moved_from(c).is_some())
        .collect();
    let output_changes: Vec<&OutputChange> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if plan.mode == PlanMode::RefreshOnly {
        if plan.drift.is_empty() {
            out.push_str("\nNo changes. Your infrastructure still matches the configuration.\n\ngantry has checked that the real remote objects still match the result of your most recent changes, and found no differences.\n");
        } else {
            out.push_str("\nThis is a refresh-only plan, so gantry will not take any actions to undo these. If you were expecting these changes then you can apply this plan to record the updated values in the gantry state without changing any remote objects.\n");
        }
        return out;
    }
    if changes.is_empty() && output_changes.is_empty() && plan.forgets.is_empty() {
        out.push_str("\nNo changes. Your infrastructure matches the configuration.\n\ngantry has compared your real infrastructure against your configuration\nand found no differences, so no changes are needed.\n");
        return out;
    }
    if !changes.is_empty() {
        let mut used: Vec<Action> = changes.iter().map(|c| c.action).collect();
        if used.iter().any(|a| *a != Action::NoOp) {
            out.push_str("\ngantry used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n");
        }
        // Terraform's legend order.
        used.sort_by_key(|a| match a {
            Action::Create => 0,
            Action::Update => 1,
            Action::Delete => 2,
            Action::DeleteThenCreate => 3,
            Action::CreateThenDelete => 4,
            Action::Read => 5,
            Action::NoOp => 6,
        });
        used.dedup();
        for a in used {
            let label = match a {
                Action::Create => "create",
                Action::Update => "update in-place",
                Action::Delete => "destroy",
                Action::DeleteThenCreate => "destroy and then create replacement",
                Action::CreateThenDelete => "create replacement and then destroy",
                Action::Read => "read (data resources)",
                Action::NoOp => continue,
            };
            // Terraform's legend: symbols right-aligned in three columns.
            let _ = writeln!(
                out,
                "{} {label}",
                style.symbol(&format!("{:>3}", symbol(a)))
            );
        }
        out.push_str("\ngantry will perform the following actions:\n");
        for c in &changes {
            out.push('\n');
            let gone = c.action == Action::Create
                && plan
                    .drift
                    .iter()
                    .any(|d| d.addr == c.addr && d.action == Action::Delete);
            let mut text = render_change(c, style);
            if let Some(id) = imported(c) {
                // Adopted by an import block: say so, with the id it was found by.
                let note = format!("  # (imported from \"{id}\")\n");
                text = if c.action == Action::NoOp {
                    text.replacen("has no changes\n", &format!("will be imported\n{note}"), 1)
                } else {
                    match text.find('\n') {
                        Some(i) => format!("{}{note}{}", &text[..=i], &text[i + 1..]),
                        None => text,
                    }
                };
            }
            // The hourly price beside the header, before any other annotation.
            if let Some(line) = plan
                .costs
                .get(&c.addr)
                .and_then(|cost| crate::cost::line(c.action, cost))
            {
                if let Some(i) = text.find('\n') {
                    text = format!("{}  # {line}\n{}", &text[..=i], &text[i + 1..]);
                }
            }
            if let Some(from) = moved_from(c) {
                text = if c.action == Action::NoOp {
                    text.replacen(
                        &format!("{} has no changes\n", style.bold(&c.addr.to_string())),
                        &format!(
                            "{} has moved to {}\n",
                            style.bold(&from.to_string()),
                            style.bold(&c.addr.to_string())
                        ),
                        1,
                    )
                } else {
                    match text.find('\n') {
                        Some(i) => {
                            format!("{}  # (moved from {from})\n{}", &text[..=i], &text[i + 1..])
                        }
                        None => text,
                    }
                };
            }
            if gone {
                // Deleted outside gantry, so planned again as a create.
                out.push_str(&text.replacen(
                    "will be created\n",
                    "will be created\n  # (because resource does not exist)\n",
                    1,
                ));
            } else {
                out.push_str(&text);
            }
        }
    }
    for a in &plan.forgets {
        let _ = writeln!(
            out,
            "\n  # {} will no longer be managed by gantry\n  # (removed block with destroy = false: the object is kept, only forgotten)",
            style.bold(&a.to_string())
        );
    }
    if !changes.is_empty() || !plan.forgets.is_empty() {
        let s = plan.summary();
        let imports = if plan.imports.is_empty() {
            String::new()
        } else {
            format!("{} to import, ", plan.imports.len())
        };
        let forget = if plan.forgets.is_empty() {
            String::new()
        } else {
            format!(", {} to forget", plan.forgets.len())
        };
        let _ = writeln!(
            out,
            "\n{} {imports}{} to add, {} to change, {} to destroy{forget}.",
            style.bold("Plan:"),
            s.add,
            s.change,
            s.destroy
        );
        if let Some(cost) = crate::cost::summary(plan) {
            let _ = writeln!(out, "{cost}");
        }
    }
    if !output_changes.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        let mut output_changes = output_changes;
        output_changes.sort_by(|a, b| a.name.cmp(&b.name));
        // Names padded to the longest, so the `=` line up (as Terraform aligns them).
        let width = output_changes
            .iter()
            .map(|o| o.name.len())
            .max()
            .unwrap_or(0);
        for o in output_changes {
            out.push_str(&render_output_change(o, width, style));
        }
    }
    if changes.is_empty() {
        out.push_str("\nYou can apply this plan to save these new output values to the gantry\nstate, without changing any real infrastructure.\n");
    }
    out
}

fn render_drift(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{}\n",
        style.bold("Note: Objects have changed outside of gantry")
    );
    out.push_str("gantry detected the following changes made outside of gantry since the\nlast \"gantry apply\" which may have affected this plan:\n");
    for c in &plan.drift {
        out.push('\n');
        let (verb, sym) = match c.action {
            Action::Delete => ("has been deleted", "-"),
            _ => ("has changed", "~"),
        };
        let _ = writeln!(out, "  # {} {verb}", style.bold(&c.addr.to_string()));
        let _ = writeln!(
            out,
            "  {} resource \"{}\" \"{}\" {{",
            style.symbol(sym),
            c.addr.resource.rtype,
            c.addr.resource.name
        );
        let schema =
            gantry_core::provider::known_schema(c.addr.resource.mode, &c.addr.resource.rtype);
        let blocks = schema.as_ref().map(|s| &s.block);
        let after = c.after.clone().unwrap_or(Value::Null);
        if let Some(b) = &c.before {
            render_resource_diff(&mut out, b, &after, 6, &[], &mut Vec::new(), blocks, style);
        }
        out.push_str("    }\n");
    }
    out.push_str("\nUnless you have made equivalent changes to your configuration, or ignored the\nrelevant attributes using ignore_changes, the following plan may include\nactions to undo or respond to these changes.\n\n─────────────────────────────────────────────────────────────────────────────\n");
    out
}

fn header(c: &ResourceChange) -> String {
    let what = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Delete => "will be destroyed",
        Action::DeleteThenCreate | Action::CreateThenDelete
            if c.reason == Some(Reason::ReplaceBecauseTainted) =>
        {
            "is tainted, so must be replaced"
        }
        Action::DeleteThenCreate | Action::CreateThenDelete => "must be replaced",
        Action::Read => "will be read during apply",
        Action::NoOp => "has no changes",
    };
    let why = match (&c.reason, c.action) {
        (Some(Reason::DeleteBecauseNoResourceConfig), _) => {
            format!("\n  # (because {} is not in configuration)", c.addr)
        }
        (Some(Reason::DeleteBecauseNoInstance), _) => format!(
            "\n  # (because {} is not in configuration)",
            c.addr.resource.module
        ),
        (Some(Reason::DeleteBecauseCountIndex), _) => format!(
            "\n  # (because index {} is out of range for count)",
            c.addr.key
        ),
        (Some(Reason::DeleteBecauseEachKey), _) => {
            format!("\n  # (because key {} is not in for_each map)", c.addr.key)
        }
        (Some(Reason::ReplaceByRequest), _) => "\n  # (replacement requested with -replace)".into(),
        (Some(Reason::ReplaceByTriggers), _) => {
            "\n  # (replace_triggered_by: a referenced object changes)".into()
        }
        (Some(Reason::ReadBecauseConfigUnknown), _) => {
            "\n  # (config refers to values not yet known)".into()
        }
        (Some(Reason::ReadBecauseDependencyPending), _) => {
            "\n  # (depends on a resource or a module with changes pending)".into()
        }
        _ => String::new(),
    };
    format!("{what}{why}")
}

/// One instance's block: `# addr will be created` and its attributes.
pub fn render_change(c: &ResourceChange, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  # {} {}", style.bold(&c.addr.to_string()), header(c));
    for n in &c.notes {
        let _ = writeln!(out, "  # ({n})");
    }
    let kind = if c.addr.resource.mode == gantry_core::addr::Mode::Data {
        "data"
    } else {
        "resource"
    };
    let _ = writeln!(
        out,
        "{} {kind} \"{}\" \"{}\" {{",
        style.symbol(&format!("{:>3}", symbol(c.action))),
        c.addr.resource.rtype,
        c.addr.resource.name
    );
    let empty = Value::empty_map();
    let schema = gantry_core::provider::known_schema(c.addr.resource.mode, &c.addr.resource.rtype);
    let blocks = schema.as_ref().map(|s| &s.block);
    // Terraform's renderer does not mark dynamically-typed attributes (terraform_data's
    // triggers_replace) as forcing replacement, though they do.
    let dynamic = gantry_core::state::dynamic::dynamic_attributes(
        c.addr.resource.mode,
        &c.addr.resource.rtype,
    );
    let replace: Vec<gantry_core::value::Path> = c
        .replace_paths
        .iter()
        .filter(|p| {
            !matches!(p.first(), Some(gantry_core::value::PathStep::Key(k)) if dynamic.contains(k))
        })
        .cloned()
        .collect();
    match c.action {
        Action::Create | Action::Read => render_resource_diff(
            &mut out,
            &Value::Null,
            c.after.as_ref().unwrap_or(&empty),
            6,
            &replace,
            &mut Vec::new(),
            blocks,
            style,
        ),
        Action::Delete => render_resource_diff(
            &mut out,
            c.before.as_ref().unwrap_or(&empty),
            &Value::Null,
            6,
            &[],
            &mut Vec::new(),
            blocks,
            style,
        ),
        _ => render_resource_diff(
            &mut out,
            c.before.as_ref().unwrap_or(&empty),
            c.after.as_ref().unwrap_or(&empty),
            6,
            &replace,
            &mut Vec::new(),
            blocks,
            style,
        ),
    }
    out.push_str("    }\n");
    out
}

fn render_output_change(o: &OutputChange, width: usize, style: Style) -> String {
    let sym = style.symbol(symbol(o.action));
    let name = format!("{:<width$}", o.name);
    let show = |v: &Value| {
        if o.sensitive {
            "(sensitive value)".to_string()
        } else {
            inline(v, 4)
        }
    };
    match (o.action, &o.before, &o.after) {
        (_, Some(b), Some(Value::Unknown))
            if !o.sensitive
                && (b.as_map().is_some_and(|m| !m.is_empty())
                    || b.as_seq().is_some_and(|l| !l.is_empty())) =>
        {
            // The old value in full, then what replaces it, as Terraform shows it.
            diff::unknown_replacing(b, &name, 2, style)
        }
        (Action::Delete, Some(b), _)
            if !o.sensitive
                && (b.as_map().is_some_and(|m| !m.is_empty())
                    || b.as_seq().is_some_and(|l| !l.is_empty())) =>
        {
            diff::removed(b, &name, 2, style)
        }
        (Action::Update, Some(_), Some(_)) if o.sensitive => {
            format!("  {sym} {name} = (sensitive value)\n")
        }
        (Action::Create, _, Some(a)) => format!("  {sym} {name} = {}\n", show(a)),
        (Action::Delete, Some(b), _) => format!("  {sym} {name} = {} -> null\n", show(b)),
        (_, Some(b), Some(a)) => format!("  {sym} {name} = {} -> {}\n", show(b), show(a)),
        _ => String::new(),
    }
}
