//! Terminal concerns: colors, prompts, progress lines.

use gantry::core::value::Value;
use gantry::plans::apply::{ApplyEvent, ApplyObserver};
use gantry::plans::render::{inline, Style};
use gantry::plans::Action;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

pub fn style(no_color: bool) -> Style {
    let color =
        !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    Style { color }
}

/// Terraform's elapsed format: `45s`, `2m5s`.
pub fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Prints Terraform-style progress lines as operations start and finish. A provider's own
/// status ("Creating", "InService") is printed when it changes, not on every poll.
pub struct Progress {
    pub style: Style,
    pub last_status: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl Progress {
    pub fn new(style: Style) -> Progress {
        Progress {
            style,
            last_status: Default::default(),
        }
    }
}

impl ApplyObserver for Progress {
    fn event(&self, e: ApplyEvent<'_>) {
        let line = match e {
            ApplyEvent::Start { addr, action } => {
                let verb = match action {
                    Action::Delete => "Destroying...",
                    Action::Update => "Modifying...",
                    Action::Read => "Reading...",
                    _ => "Creating...",
                };
                format!("{}: {verb}", self.style.bold(&addr.to_string()))
            }
            ApplyEvent::Status {
                addr,
                action,
                elapsed: t,
                status,
            } => {
                if let Some(s) = status {
                    let mut seen = self.last_status.lock().unwrap_or_else(|e| e.into_inner());
                    if seen.get(&addr.to_string()).map(String::as_str) == Some(s) {
                        return;
                    }
                    seen.insert(addr.to_string(), s.to_string());
                }
                let verb = match action {
                    Action::Delete => "destroying",
                    Action::Update => "modifying",
                    Action::Read => "reading",
                    _ => "creating",
                };
                let extra = status.map(|s| format!(", status: {s}")).unwrap_or_default();
                format!(
                    "{}: Still {verb}... [{} elapsed{extra}]",
                    self.style.bold(&addr.to_string()),
                    elapsed(t)
                )
            }
            ApplyEvent::Done {
                addr,
                action,
                elapsed: t,
                id,
            } => {
                let verb = match action {
                    Action::Delete => "Destruction",
                    Action::Update => "Modifications",
                    Action::Read => "Read",
                    _ => "Creation",
                };
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                format!(
                    "{}: {verb} complete after {}{id}",
                    self.style.bold(&addr.to_string()),
                    elapsed(t)
                )
            }
            ApplyEvent::Failed { .. } => return,
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
}

/// Asks for approval; only `yes` proceeds.
pub fn confirm(question: &str, detail: &str) -> bool {
    print!(
        "\n{question}\n  {detail}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    println!();
    line.trim() == "yes"
}

/// `name = value` lines for outputs; sensitive ones as `<sensitive>`.
pub fn outputs_text(
    outputs: &std::collections::BTreeMap<String, gantry::core::state::OutputValue>,
) -> String {
    let mut s = String::new();
    for (k, o) in outputs {
        if o.sensitive || o.value.contains_sensitive() {
            s.push_str(&format!("{k} = <sensitive>\n"));
        } else {
            s.push_str(&format!("{k} = {}\n", inline(&o.value, 0)));
        }
    }
    s
}

/// A value as `console` prints it: HCL syntax, `(sensitive value)` for sensitive ones and
/// `(known after apply)` for unknown ones, as Terraform's console.
pub fn console_value(v: &Value) -> String {
    if v.is_unknown() {
        return "(known after apply)".into();
    }
    if matches!(v, Value::Sensitive(_)) {
        return "(sensitive value)".into();
    }
    inline(v, 0)
}

/// Outputs as `terraform show` lists them after the resources.
pub fn outputs_show(
    outputs: &std::collections::BTreeMap<String, gantry::core::state::OutputValue>,
) -> String {
    let mut s = String::new();
    for (k, o) in outputs {
        if o.sensitive || o.value.contains_sensitive() {
            s.push_str(&format!("{k} = (sensitive value)\n"));
        } else {
            let map = matches!(o.ty, Some(gantry::core::types::Type::Map(_)));
            s.push_str(&format!("{k} = {}\n", shown(&o.value, 0, !map)));
        }
    }
    s
}

/// A resource instance's attributes, as `show` and `state show` print them.
pub fn instance_text(addr: &str, rtype: &str, name: &str, data: bool, v: &Value) -> String {
    let kind = if data { "data" } else { "resource" };
    let mode = if data {
        gantry::core::addr::Mode::Data
    } else {
        gantry::core::addr::Mode::Managed
    };
    // Terraform prints a dynamically-typed value's object keys bare (`a = "x"`) and a
    // schema map's quoted (`"Name" = "x"`).
    let dynamic = gantry::core::state::dynamic::dynamic_attributes(mode, rtype);
    let mut s = format!("# {addr}:\n{kind} \"{rtype}\" \"{name}\" {{\n");
    if let Some(m) = v.as_map() {
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
            let text = shown(x, 4, dynamic.contains(k));
            s.push_str(&format!("    {k:<w$} = {text}\n"));
        }
    }
    s.push_str("}\n");
    s
}

/// A state value as `terraform show` prints it: collections one element per line, object
/// keys aligned; `bare_keys` for values of dynamically-typed attributes.
fn shown(v: &Value, ind: usize, bare_keys: bool) -> String {
    let pad = |n: usize| " ".repeat(n);
    match v {
        Value::Sensitive(_) => "(sensitive value)".into(),
        Value::List(l) | Value::Set(l) if !l.is_empty() => {
            let mut t = "[\n".to_string();
            for x in l.iter() {
                t.push_str(&format!(
                    "{}{},\n",
                    pad(ind + 4),
                    shown(x, ind + 4, bare_keys)
                ));
            }
            t.push_str(&format!("{}]", pad(ind)));
            t
        }
        Value::Map(m) if !m.is_empty() => {
            let key = |k: &str| {
                let ident = k
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare_keys && ident {
                    k.to_string()
                } else {
                    format!("{k:?}")
                }
            };
            let w = m.keys().map(|k| key(k).len()).max().unwrap_or(0);
            let mut t = "{\n".to_string();
            for (k, x) in m.iter() {
                t.push_str(&format!(
                    "{}{:<w$} = {}\n",
                    pad(ind + 4),
                    key(k),
                    shown(x, ind + 4, bare_keys)
                ));
            }
            t.push_str(&format!("{}}}", pad(ind)));
            t
        }
        other => inline(other, ind),
    }
}

/// Terraform's machine-readable UI (`-json`): one JSON object per line on stdout.
pub mod json {
    use gantry::core::addr::InstanceAddr;
    use gantry::core::diag::Diagnostic;
    use gantry::core::state::OutputValue;
    use gantry::plans::apply::{ApplyEvent, ApplyObserver};
    use gantry::plans::{Action, Failure, Plan};
    use serde_json::{json, Value as Json};
    use std::collections::BTreeMap;
    use std::io::Write;

    pub fn emit(level: &str, message: &str, kind: &str, extra: Json) {
        let mut o = json!({
            "@level": level,
            "@message": message,
            "@module": "gantry.ui",
            "@timestamp": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            "type": kind,
        });
        if let (Some(m), Json::Object(e)) = (o.as_object_mut(), extra) {
            m.extend(e);
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{o}");
    }

    pub fn version() {
        let v = env!("CARGO_PKG_VERSION");
        emit(
            "info",
            &format!("gantry {v}"),
            "version",
            json!({"terraform": v, "ui": "1.2"}),
        );
    }

    fn resource(addr: &InstanceAddr) -> Json {
        json!({
            "addr": addr.to_string(),
            "module": "",
            "resource": addr.to_string(),
            "implied_provider": addr.resource.implied_provider(),
            "resource_type": addr.resource.rtype,
            "resource_name": addr.resource.name,
            "resource_key": addr.key.to_json(),
        })
    }

    fn action_word(a: Action) -> &'static str {
        match a {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
            Action::Read => "read",
            Action::NoOp => "noop",
        }
    }

    pub fn diagnostics(f: &Failure) {
        for d in &f.diags.0 {
            diagnostic(f, d);
        }
    }

    fn diagnostic(f: &Failure, d: &Diagnostic) {
        let severity = if d.is_error() { "error" } else { "warning" };
        let mut diag = json!({"severity": severity, "summary": d.summary, "detail": d.detail});
        if let Some(r) = d.span.as_ref().and_then(|s| f.sources.range_json(s)) {
            diag["range"] = r;
        }
        emit(
            severity,
            &format!(
                "{}: {}",
                if d.is_error() { "Error" } else { "Warning" },
                d.summary
            ),
            "diagnostic",
            json!({"diagnostic": diag}),
        );
    }

    pub fn plan(plan: &Plan) {
        for c in &plan.drift {
            let what = if c.action == Action::Delete {
                "Deleted"
            } else {
                "Drift detected"
            };
            emit(
                "info",
                &format!("{}: {what} ({})", c.addr, action_word(c.action)),
                "resource_drift",
                json!({"change": {"resource": resource(&c.addr), "action": action_word(c.action)}}),
            );
        }
        for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
            let mut change =
                json!({"resource": resource(&c.addr), "action": action_word(c.action)});
            if let Some(r) = &c.reason {
                change["reason"] = json!(r.json());
            }
            emit(
                "info",
                &format!("{}: Plan to {}", c.addr, action_word(c.action)),
                "planned_change",
                json!({"change": change}),
            );
        }
        let s = plan.summary();
        let op = match plan.mode {
            gantry::plans::PlanMode::Destroy => "destroy",
            _ => "plan",
        };
        emit(
            "info",
            &format!(
                "Plan: {} to add, {} to change, {} to destroy.",
                s.add, s.change, s.destroy
            ),
            "change_summary",
            json!({"changes": {"add": s.add, "change": s.change, "import": plan.imports.len(), "remove": s.destroy, "operation": op}}),
        );
        let outs: serde_json::Map<String, Json> = plan
            .outputs
            .iter()
            .map(|o| {
                (
                    o.name.clone(),
                    json!({"sensitive": o.sensitive, "action": action_word(o.action)}),
                )
            })
            .collect();
        if !outs.is_empty() {
            emit(
                "info",
                &format!("Outputs: {}", outs.len()),
                "outputs",
                json!({"outputs": outs}),
            );
        }
    }

    pub fn applied(
        summary: gantry::plans::Summary,
        destroy: bool,
        outputs: &BTreeMap<String, OutputValue>,
    ) {
        let msg = if destroy {
            format!(
                "Destroy complete! Resources: {} destroyed.",
                summary.destroy
            )
        } else {
            format!(
                "Apply complete! Resources: {} added, {} changed, {} destroyed.",
                summary.add, summary.change, summary.destroy
            )
        };
        emit(
            "info",
            &msg,
            "change_summary",
            json!({"changes": {"add": summary.add, "change": summary.change, "import": summary.import, "remove": summary.destroy, "operation": if destroy { "destroy" } else { "apply" }}}),
        );
        let outs: serde_json::Map<String, Json> = outputs
            .iter()
            .map(|(k, o)| {
                let sensitive = o.sensitive || o.value.contains_sensitive();
                let mut j = json!({"sensitive": sensitive, "type": gantry::core::state::type_json(&o.value)});
                if !sensitive {
                    j["value"] = o.value.to_json();
                }
                (k.clone(), j)
            })
            .collect();
        emit(
            "info",
            &format!("Outputs: {}", outs.len()),
            "outputs",
            json!({"outputs": outs}),
        );
    }

    /// Apply hooks as JSON lines.
    pub struct Progress;

    impl ApplyObserver for Progress {
        fn event(&self, e: ApplyEvent<'_>) {
            match e {
                ApplyEvent::Start { addr, action } => emit(
                    "info",
                    &format!("{addr}: {}...", verb(action)),
                    "apply_start",
                    json!({"hook": {"resource": resource(addr), "action": action_word(action)}}),
                ),
                ApplyEvent::Status {
                    addr,
                    action,
                    elapsed,
                    ..
                } => emit(
                    "info",
                    &format!(
                        "{addr}: Still {}... [{}s elapsed]",
                        verb(action).to_lowercase(),
                        elapsed.as_secs()
                    ),
                    "apply_progress",
                    json!({"hook": {"resource": resource(addr), "action": action_word(action), "elapsed_seconds": elapsed.as_secs()}}),
                ),
                ApplyEvent::Done {
                    addr,
                    action,
                    elapsed,
                    id,
                } => {
                    let mut hook = json!({"resource": resource(addr), "action": action_word(action), "elapsed_seconds": elapsed.as_secs()});
                    if let Some(id) = &id {
                        hook["id_key"] = json!("id");
                        hook["id_value"] = json!(id);
                    }
                    emit(
                        "info",
                        &format!(
                            "{addr}: {} complete after {}s",
                            done(action),
                            elapsed.as_secs()
                        ),
                        "apply_complete",
                        json!({"hook": hook}),
                    )
                }
                ApplyEvent::Failed { addr, action, .. } => emit(
                    "error",
                    &format!("{addr}: {} errored", done(action)),
                    "apply_errored",
                    json!({"hook": {"resource": resource(addr), "action": action_word(action)}}),
                ),
            }
        }
    }

    fn verb(a: Action) -> &'static str {
        match a {
            Action::Delete => "Destroying",
            Action::Update => "Modifying",
            Action::Read => "Reading",
            _ => "Creating",
        }
    }

    fn done(a: Action) -> &'static str {
        match a {
            Action::Delete => "Destruction",
            Action::Update => "Modifications",
            Action::Read => "Read",
            _ => "Creation",
        }
    }
}
