//! Human-readable plan rendering, in Terraform's layout: a legend, one block per changed
//! instance with attribute-level diffs, then the summary and output changes.
//!
//! Collections are diffed element by element, multi-line strings line by line (`similar`),
//! and strings holding JSON structurally (a key reorder is no change). Sensitive values print
//! as `(sensitive value)`; unknown as `(known after apply)`.

use crate::plan::{Action, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use gantry_core::value::{format_number, Path, PathStep, Value};
use std::fmt::Write;

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
        out.push_str("\nNo changes. Your infrastructure matches the configuration.\n\ngantry has compared your real infrastructure against your configuration and found no differences, so no changes are needed.\n");
        return out;
    }
    if !changes.is_empty() {
        let mut used: Vec<Action> = changes.iter().map(|c| c.action).collect();
        if used.iter().any(|a| *a != Action::NoOp) {
            out.push_str("\ngantry used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n");
        }
        used.sort();
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
            let _ = writeln!(
                out,
                "{:>5} {label}",
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
    }
    if !output_changes.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        let mut output_changes = output_changes;
        output_changes.sort_by(|a, b| a.name.cmp(&b.name));
        for o in output_changes {
            out.push_str(&render_output_change(o, style));
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
        match (&c.before, &c.after) {
            (Some(b), Some(a)) => {
                render_object_diff(&mut out, b, a, 6, &[], &mut Vec::new(), style)
            }
            (Some(b), None) => {
                render_object_diff(&mut out, b, &Value::Null, 6, &[], &mut Vec::new(), style)
            }
            _ => {}
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
            c.addr.key.to_string().trim_matches(['[', ']'])
        ),
        (Some(Reason::DeleteBecauseEachKey), _) => format!(
            "\n  # (because key {} is not in for_each map)",
            c.addr.key.to_string().trim_matches(['[', ']'])
        ),
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
    match c.action {
        Action::Create | Action::Read => render_object_diff(
            &mut out,
            &Value::Null,
            c.after.as_ref().unwrap_or(&empty),
            6,
            &c.replace_paths,
            &mut Vec::new(),
            style,
        ),
        Action::Delete => render_object_diff(
            &mut out,
            c.before.as_ref().unwrap_or(&empty),
            &Value::Null,
            6,
            &[],
            &mut Vec::new(),
            style,
        ),
        _ => render_object_diff(
            &mut out,
            c.before.as_ref().unwrap_or(&empty),
            c.after.as_ref().unwrap_or(&empty),
            6,
            &c.replace_paths,
            &mut Vec::new(),
            style,
        ),
    }
    out.push_str("    }\n");
    out
}

fn render_output_change(o: &OutputChange, style: Style) -> String {
    let sym = style.symbol(symbol(o.action));
    let show = |v: &Value| {
        if o.sensitive {
            "(sensitive value)".to_string()
        } else {
            inline(v, 4)
        }
    };
    match (o.action, &o.before, &o.after) {
        (Action::Create, _, Some(a)) => format!("  {sym} {} = {}\n", o.name, show(a)),
        (Action::Delete, Some(b), _) => format!("  {sym} {} = {} -> null\n", o.name, show(b)),
        (_, Some(b), Some(a)) => format!("  {sym} {} = {} -> {}\n", o.name, show(b), show(a)),
        _ => String::new(),
    }
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Strings holding JSON objects or arrays compare by structure.
fn json_of(v: &Value) -> Option<serde_json::Value> {
    let s = v.as_str()?.trim();
    if !(s.starts_with('{') || s.starts_with('[')) {
        return None;
    }
    serde_json::from_str(s).ok()
}

/// Equality as a reviewer sees it: marks ignored, JSON strings by structure.
pub fn same(a: &Value, b: &Value) -> bool {
    if a.unmark_deep().0 == b.unmark_deep().0 {
        return true;
    }
    matches!((json_of(a), json_of(b)), (Some(x), Some(y)) if x == y)
}

fn forces(replace: &[Path], path: &[PathStep]) -> bool {
    replace.iter().any(|p| p.as_slice() == path)
}

/// Renders the attributes of an object diff. `before`/`after` are objects or null.
fn render_object_diff(
    out: &mut String,
    before: &Value,
    after: &Value,
    ind: usize,
    replace: &[Path],
    path: &mut Path,
    style: Style,
) {
    let empty = gantry_core::value::Map::new();
    let bm = before.as_map().unwrap_or(&empty);
    let am = after.as_map().unwrap_or(&empty);
    let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
    keys.sort();
    keys.dedup();
    let updating = !before.is_null() && !after.is_null();
    let shown = |k: &String| {
        let (b, a) = (
            bm.get(k).unwrap_or(&Value::Null),
            am.get(k).unwrap_or(&Value::Null),
        );
        let both_null = b.is_null() && a.is_null();
        let unchanged = updating && same(b, a);
        !(both_null || unchanged)
    };
    let width = keys
        .iter()
        .filter(|k| shown(k))
        .map(|k| k.len())
        .max()
        .unwrap_or(0);
    let mut hidden = 0;
    for k in keys {
        let b = bm.get(k).unwrap_or(&Value::Null);
        let a = am.get(k).unwrap_or(&Value::Null);
        if b.is_null() && a.is_null() {
            continue;
        }
        if updating && same(b, a) {
            hidden += 1;
            continue;
        }
        path.push(PathStep::Key(k.clone()));
        render_attr(out, k, width, b, a, ind, replace, path, style);
        path.pop();
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{}# ({hidden} unchanged attribute{} hidden)",
            pad(ind + 2),
            if hidden == 1 { "" } else { "s" }
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn render_attr(
    out: &mut String,
    name: &str,
    width: usize,
    b: &Value,
    a: &Value,
    ind: usize,
    replace: &[Path],
    path: &mut Path,
    style: Style,
) {
    let force = if forces(replace, path) {
        " # forces replacement"
    } else {
        ""
    };
    let label = format!("{name:<width$}");
    let sym = |s: &str| style.symbol(s);
    // Sensitive on either side: never look inside.
    if a.is_sensitive() || b.is_sensitive() {
        let (s, text) = match (b.is_null(), a.is_null()) {
            (true, _) => ("+", "(sensitive value)".to_string()),
            (_, true) => ("-", "(sensitive value) -> null".to_string()),
            _ => ("~", "(sensitive value)".to_string()),
        };
        let _ = writeln!(out, "{}{} {label} = {text}{force}", pad(ind), sym(s));
        return;
    }
    match (b.unmark().0, a.unmark().0) {
        (Value::Null, a) => render_whole(out, "+", &label, a, ind, force, style),
        (b, Value::Null) => render_whole(out, "-", &label, b, ind, force, style),
        (Value::Map(_), Value::Map(_)) => {
            let _ = writeln!(out, "{}{} {label} = {{{force}", pad(ind), sym("~"));
            render_object_diff(out, b, a, ind + 4, replace, path, style);
            let _ = writeln!(out, "{}}}", pad(ind + 2));
        }
        (Value::List(bl) | Value::Set(bl), Value::List(al) | Value::Set(al)) => {
            let _ = writeln!(out, "{}{} {label} = [{force}", pad(ind), sym("~"));
            render_seq_diff(out, bl, al, ind + 4, replace, path, style);
            let _ = writeln!(out, "{}]", pad(ind + 2));
        }
        (Value::String(_), Value::String(_)) if json_of(b).is_some() && json_of(a).is_some() => {
            // JSON documents (IAM policies, jsonencode values) are diffed by structure.
            let (bj, aj) = (
                Value::from_json(&json_of(b).unwrap_or_default()),
                Value::from_json(&json_of(a).unwrap_or_default()),
            );
            let (open, close) = if bj.as_map().is_some() && aj.as_map().is_some() {
                ("({", "})")
            } else {
                ("([", "])")
            };
            let _ = writeln!(
                out,
                "{}{} {label} = jsonencode{open}{force}",
                pad(ind),
                sym("~")
            );
            if open == "({" {
                render_object_diff(out, &bj, &aj, ind + 4, &[], &mut Vec::new(), style);
            } else {
                render_seq_diff(
                    out,
                    bj.as_seq().unwrap_or_default(),
                    aj.as_seq().unwrap_or_default(),
                    ind + 4,
                    &[],
                    &mut Vec::new(),
                    style,
                );
            }
            let _ = writeln!(out, "{}{close}", pad(ind + 2));
        }
        (Value::String(bs), Value::String(as_)) if bs.contains('\n') || as_.contains('\n') => {
            let _ = writeln!(out, "{}{} {label} = <<-EOT{force}", pad(ind), sym("~"));
            let diff = similar::TextDiff::from_lines(&**bs, &**as_);
            for change in diff.iter_all_changes() {
                let (s, line) = (
                    match change.tag() {
                        similar::ChangeTag::Delete => "-",
                        similar::ChangeTag::Insert => "+",
                        similar::ChangeTag::Equal => " ",
                    },
                    change.value().trim_end_matches('\n'),
                );
                let _ = writeln!(out, "{}{} {line}", pad(ind + 4), sym(s));
            }
            let _ = writeln!(out, "{}EOT", pad(ind + 2));
        }
        (b, a) => {
            let _ = writeln!(
                out,
                "{}{} {label} = {} -> {}{force}",
                pad(ind),
                sym("~"),
                inline(b, ind + 2),
                inline(a, ind + 2)
            );
        }
    }
}

/// Sequence diff: unchanged elements hidden with a count; equal-length lists of objects
/// (nested blocks) diffed element by element; otherwise removed and added elements shown.
/// `col` is the column of each element's symbol.
fn render_seq_diff(
    out: &mut String,
    before: &[Value],
    after: &[Value],
    col: usize,
    replace: &[Path],
    path: &mut Path,
    style: Style,
) {
    let objects = |l: &[Value]| l.iter().all(|v| v.as_map().is_some() && !v.is_sensitive());
    let mut hidden = 0;
    if before.len() == after.len() && objects(before) && objects(after) && !before.is_empty() {
        for (i, (b, a)) in before.iter().zip(after).enumerate() {
            if same(b, a) {
                hidden += 1;
                continue;
            }
            path.push(PathStep::Index(i as i64));
            let _ = writeln!(out, "{}{} {{", pad(col), style.symbol("~"));
            render_object_diff(out, b, a, col + 4, replace, path, style);
            let _ = writeln!(out, "{}}},", pad(col + 2));
            path.pop();
        }
    } else {
        let key = |v: &Value| v.unmark_deep().0.to_json().to_string();
        let b: Vec<String> = before.iter().map(key).collect();
        let a: Vec<String> = after.iter().map(key).collect();
        let diff = similar::capture_diff_slices(similar::Algorithm::Myers, &b, &a);
        for op in diff {
            for change in op.iter_changes(&b, &a) {
                let (sym, v) = match change.tag() {
                    similar::ChangeTag::Equal => {
                        hidden += 1;
                        continue;
                    }
                    similar::ChangeTag::Delete => ("-", &before[change.old_index().unwrap_or(0)]),
                    similar::ChangeTag::Insert => ("+", &after[change.new_index().unwrap_or(0)]),
                };
                match v {
                    Value::Map(m) if !m.is_empty() => {
                        let _ = writeln!(out, "{}{} {{", pad(col), style.symbol(sym));
                        let w = m.keys().map(String::len).max().unwrap_or(0);
                        for (k, x) in m.iter().filter(|(_, x)| !x.is_null()) {
                            render_whole(out, sym, &format!("{k:<w$}"), x, col + 4, "", style);
                        }
                        let _ = writeln!(out, "{}}},", pad(col + 2));
                    }
                    _ => {
                        let _ = writeln!(
                            out,
                            "{}{} {},",
                            pad(col),
                            style.symbol(sym),
                            inline(v, col + 2)
                        );
                    }
                }
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{}# ({hidden} unchanged element{} hidden)",
            pad(col + 2),
            if hidden == 1 { "" } else { "s" }
        );
    }
}

fn render_whole(
    out: &mut String,
    sym: &str,
    label: &str,
    v: &Value,
    ind: usize,
    force: &str,
    style: Style,
) {
    let tail = if sym == "-" { " -> null" } else { "" };
    match v {
        Value::List(l) | Value::Set(l)
            if !l.is_empty() && l.iter().all(|x| matches!(x, Value::Map(_))) =>
        {
            // Nested blocks: one `{ ... }` per element, each attribute with its symbol.
            let _ = writeln!(out, "{}{} {label} = [{force}", pad(ind), style.symbol(sym));
            for item in l.iter() {
                let _ = writeln!(out, "{}{} {{", pad(ind + 4), style.symbol(sym));
                if let Value::Map(m) = item {
                    let w = m
                        .iter()
                        .filter(|(_, x)| !x.is_null())
                        .map(|(k, _)| k.len())
                        .max()
                        .unwrap_or(0);
                    for (k, x) in m.iter().filter(|(_, x)| !x.is_null()) {
                        render_whole(out, sym, &format!("{k:<w$}"), x, ind + 8, "", style);
                    }
                }
                let _ = writeln!(out, "{}}},", pad(ind + 6));
            }
            let _ = writeln!(out, "{}]{tail}", pad(ind + 2));
        }
        Value::Map(m) if !m.is_empty() => {
            let _ = writeln!(out, "{}{} {label} = {{{force}", pad(ind), style.symbol(sym));
            let w = m
                .iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, _)| k.len())
                .max()
                .unwrap_or(0);
            for (k, x) in m.iter() {
                if x.is_null() {
                    continue;
                }
                render_whole(out, sym, &format!("{k:<w$}"), x, ind + 4, "", style);
            }
            let _ = writeln!(out, "{}}}{tail}", pad(ind + 2));
        }
        _ => {
            let _ = writeln!(
                out,
                "{}{} {label} = {}{tail}{force}",
                pad(ind),
                style.symbol(sym),
                inline(v, ind + 2)
            );
        }
    }
}

/// A value on one line where short, otherwise HCL-style across lines. `ind` is the column
/// where the line holding the value starts its key: nested lines go 4 deeper, the closing
/// bracket at `ind`.
pub fn inline(v: &Value, ind: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Sensitive(_) => "(sensitive value)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::String(s) if s.contains('\n') => {
            let mut t = "<<-EOT\n".to_string();
            for line in s.lines() {
                let _ = writeln!(t, "{}{line}", pad(ind + 4));
            }
            t.push_str(&format!("{}EOT", pad(ind)));
            t
        }
        Value::String(s) => serde_json::Value::String(s.to_string()).to_string(),
        Value::List(l) | Value::Set(l) if l.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::List(l) | Value::Set(l) => {
            let items: Vec<String> = l.iter().map(|x| inline(x, ind + 4)).collect();
            let one = format!("[{}]", items.join(", "));
            if one.len() < 60 && !one.contains('\n') {
                return one;
            }
            let mut t = "[\n".to_string();
            for i in items {
                let _ = writeln!(t, "{}{i},", pad(ind + 4));
            }
            t.push_str(&format!("{}]", pad(ind)));
            t
        }
        Value::Map(m) => {
            let w = m.keys().map(|k| k.len() + 2).max().unwrap_or(0);
            let mut t = "{\n".to_string();
            for (k, x) in m.iter() {
                let key = format!("{k:?}");
                let _ = writeln!(t, "{}{key:<w$} = {}", pad(ind + 4), inline(x, ind + 4));
            }
            t.push_str(&format!("{}}}", pad(ind)));
            t
        }
    }
}
