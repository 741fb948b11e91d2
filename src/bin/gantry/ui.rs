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

/// Prints Terraform-style progress lines as operations start and finish.
pub struct Progress {
    pub style: Style,
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

/// A resource instance's attributes, as `show` and `state show` print them.
pub fn instance_text(addr: &str, rtype: &str, name: &str, data: bool, v: &Value) -> String {
    let kind = if data { "data" } else { "resource" };
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
            s.push_str(&format!("    {k:<w$} = {}\n", inline(x, 4)));
        }
    }
    s.push_str("}\n");
    s
}
