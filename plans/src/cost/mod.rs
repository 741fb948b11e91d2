//! Cost in every plan: each change's hourly price before and after (from the providers'
//! [`Usage`] and the [`prices::PriceTable`]), the plan's hourly and monthly change, and what
//! the configuration runs after apply. A SKU or region the table lacks is "price unknown",
//! never a guess; a count not known until apply is "known after apply".

pub mod prices;

use crate::plan::{Action, Plan};
use gantry_core::usage::Usage;
use gantry_core::value::Value;
use prices::PriceTable;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// Hours in a month, as the clouds' calculators count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One object's price at one moment (before or after the change).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Priced {
    /// USD per hour of what is priced and known.
    pub per_hour: f64,
    /// USD per hour at the autoscaling maximum, when it scales.
    pub max_per_hour: Option<f64>,
    /// What it runs, for reviewers and JSON: "2 × ml.g5.xlarge".
    pub items: Vec<String>,
    /// SKUs the table has no price for ("ml.x9.huge in us-east-1").
    pub unknown: Vec<String>,
    /// A quantity is not known until apply.
    pub pending: bool,
}

impl Priced {
    /// Whether `per_hour` is the whole price.
    pub fn complete(&self) -> bool {
        self.unknown.is_empty() && !self.pending
    }
}

/// The strings of `v` under a sensitive mark.
fn sensitive_strings(v: &Value, under: bool, out: &mut Vec<String>) {
    match v {
        Value::Sensitive(x) => sensitive_strings(x, true, out),
        Value::String(s) if under && !s.is_empty() => out.push(s.to_string()),
        Value::List(l) | Value::Set(l) => {
            for x in l.iter() {
                sensitive_strings(x, under, out);
            }
        }
        Value::Map(m) => {
            for x in m.values() {
                sensitive_strings(x, under, out);
            }
        }
        _ => {}
    }
}

/// The strings of `v` that are marked sensitive (none without a walk when `v` has no mark).
pub fn secrets(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if v.contains_sensitive() {
        sensitive_strings(v, false, &mut out);
    }
    out
}

/// A SKU read from a sensitive attribute is never named (nor priced: a price would name it):
/// it becomes "(sensitive)", which no table row matches.
pub fn redact_sensitive(usage: &mut [Usage], v: &Value) {
    if usage.is_empty() || !v.contains_sensitive() {
        return;
    }
    let secret = secrets(v);
    for u in usage.iter_mut() {
        if secret.iter().any(|s| s == &u.sku) {
            u.sku = "(sensitive)".into();
        }
    }
}

/// Prices what `usage` lists; `None` when nothing in it has a price at all (no usage).
pub fn price(usage: &[Usage], table: &PriceTable) -> Option<Priced> {
    if usage.is_empty() {
        return None;
    }
    let mut p = Priced::default();
    let mut max = 0.0;
    let mut scales = false;
    for u in usage {
        // Where it runs is not known yet (a location computed at apply).
        if u.region.is_empty() || u.sku.is_empty() {
            p.pending = true;
            continue;
        }
        let what = format!("{} in {}", u.sku, u.region);
        let count = u.quantity.map_or("?".to_string(), trim);
        let Some(row) = table.get(u.cloud, u.service, &u.sku, &u.region) else {
            // Still named: what runs is worth showing even without a price.
            p.items.push(format!("{count} × {}", u.sku));
            p.unknown.push(what);
            continue;
        };
        let rate = match (u.spot, row.spot_usd_per_hour) {
            (true, Some(s)) => s,
            (true, None) => {
                p.unknown.push(format!("{what} (spot)"));
                continue;
            }
            (false, _) => row.usd_per_hour,
        };
        let Some(q) = u.quantity else {
            p.pending = true;
            p.items.push(format!("? × {}", u.sku));
            continue;
        };
        p.per_hour += rate * q;
        max += rate * u.max_quantity.unwrap_or(q).max(q);
        scales |= u.max_quantity.is_some_and(|m| m > q);
        p.items.push(format!(
            "{} × {}{}",
            trim(q),
            u.sku,
            if u.spot { " (spot)" } else { "" }
        ));
    }
    if scales {
        p.max_per_hour = Some(max);
    }
    Some(p)
}

fn trim(q: f64) -> String {
    if q.fract() == 0.0 {
        format!("{}", q as i64)
    } else {
        format!("{q}")
    }
}

/// A change's price before and after.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeCost {
    pub before: Option<Priced>,
    pub after: Option<Priced>,
}

/// `$1,234.56`, `-$4.11`.
pub fn money(x: f64) -> String {
    let cents = (x.abs() * 100.0).round() as u64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${grouped}.{:02}", cents % 100)
}

fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", money(x))
    } else {
        money(x)
    }
}

fn side(p: &Priced) -> String {
    if !p.unknown.is_empty() {
        return format!("price unknown ({})", p.unknown.join(", "));
    }
    if p.pending {
        return "known after apply".into();
    }
    format!("{}/h", money(p.per_hour))
}

/// The line shown under a change's header (`None` for unpriced objects and unchanged ones).
pub fn line(action: Action, c: &ChangeCost) -> Option<String> {
    if matches!(action, Action::NoOp | Action::Read) {
        return None;
    }
    let zero = Priced::default();
    let (before, after) = match (&c.before, &c.after, action) {
        (None, None, _) => return None,
        (_, Some(a), Action::Create) => {
            return Some(format!("cost: {}{}", side(a), ceiling(a)));
        }
        (Some(b), _, Action::Delete) => (b, &zero),
        (b, a, _) => (b.as_ref().unwrap_or(&zero), a.as_ref().unwrap_or(&zero)),
    };
    let delta = if before.complete() && after.complete() {
        format!(" ({}/h)", signed(after.per_hour - before.per_hour))
    } else {
        String::new()
    };
    Some(format!(
        "cost: {} → {}{delta}{}",
        side(before),
        side(after),
        ceiling(after)
    ))
}

fn ceiling(p: &Priced) -> String {
    match p.max_per_hour {
        Some(m) if p.complete() => format!(", up to {}/h at the autoscaling maximum", money(m)),
        _ => String::new(),
    }
}

/// The plan's totals: the hourly change of what is priced, what runs after apply, and how
/// many priced objects could not be counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub delta_per_hour: f64,
    pub after_per_hour: f64,
    pub after_max_per_hour: f64,
    pub uncounted: usize,
    pub priced: usize,
}

pub fn totals(plan: &Plan) -> Totals {
    let mut t = Totals::default();
    for c in &plan.changes {
        let Some(cost) = plan.costs.get(&c.addr) else {
            continue;
        };
        t.priced += 1;
        let ok = |p: &Option<Priced>| p.as_ref().is_none_or(Priced::complete);
        if !ok(&cost.before) || !ok(&cost.after) {
            t.uncounted += 1;
        }
        let now = |p: &Option<Priced>| p.as_ref().map_or(0.0, |p| p.per_hour);
        let after = if c.action == Action::Delete {
            0.0
        } else {
            now(&cost.after)
        };
        let before = if c.action == Action::Create {
            0.0
        } else {
            now(&cost.before)
        };
        t.delta_per_hour += after - before;
        t.after_per_hour += after;
        if c.action != Action::Delete {
            t.after_max_per_hour += cost
                .after
                .as_ref()
                .map_or(0.0, |p| p.max_per_hour.unwrap_or(p.per_hour));
        }
    }
    t
}

/// The summary after "Plan: …" (`None` when nothing in the plan is priced).
pub fn summary(plan: &Plan) -> Option<String> {
    let t = totals(plan);
    if t.priced == 0 {
        return None;
    }
    let mut s = format!(
        "Cost: {}/h ({}/month); after apply: {}/h ({}/month)",
        signed(t.delta_per_hour),
        signed(t.delta_per_hour * HOURS_PER_MONTH),
        money(t.after_per_hour),
        money(t.after_per_hour * HOURS_PER_MONTH),
    );
    if t.after_max_per_hour > t.after_per_hour + 0.005 {
        s.push_str(&format!(
            ", up to {}/h at autoscaling maximums",
            money(t.after_max_per_hour)
        ));
    }
    s.push('.');
    if t.uncounted > 0 {
        s.push_str(&format!(
            " {} priced resource{} not counted (price unknown or known after apply).",
            t.uncounted,
            if t.uncounted == 1 { "" } else { "s" }
        ));
    }
    Some(s)
}

/// The `-json` plan's gantry-specific key (readers of Terraform's format ignore it).
pub fn to_json(plan: &Plan) -> Option<Json> {
    let t = totals(plan);
    if t.priced == 0 {
        return None;
    }
    let side = |p: &Option<Priced>| {
        p.as_ref().map(|p| {
            json!({
                "usd_per_hour": if p.complete() { json!(round(p.per_hour)) } else { Json::Null },
                "max_usd_per_hour": p.max_per_hour.map(round),
                "items": p.items,
                "price_unknown": p.unknown,
                "known_after_apply": p.pending,
            })
        })
    };
    let resources: Vec<Json> = plan
        .changes
        .iter()
        .filter_map(|c| {
            let cost = plan.costs.get(&c.addr)?;
            Some(json!({
                "address": c.addr.to_string(),
                "actions": c.action.json_actions(),
                "before": side(&cost.before),
                "after": side(&cost.after),
            }))
        })
        .collect();
    Some(json!({
        "currency": "USD",
        "hours_per_month": HOURS_PER_MONTH,
        "delta_usd_per_hour": round(t.delta_per_hour),
        "delta_usd_per_month": round(t.delta_per_hour * HOURS_PER_MONTH),
        "after_apply_usd_per_hour": round(t.after_per_hour),
        "after_apply_usd_per_month": round(t.after_per_hour * HOURS_PER_MONTH),
        "uncounted_resources": t.uncounted,
        "resources": resources,
    }))
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests;
