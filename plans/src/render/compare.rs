//! `gantry compare`'s table: one column per cloud, one row per question a reviewer asks
//! (what it needs, what it runs, what it costs, whether the capacity is there, how long it
//! takes), then each cloud's resources and warnings in full.

use crate::compare::CloudSummary;
use crate::cost::{money, HOURS_PER_MONTH};
use std::fmt::Write as _;

fn rows(s: &CloudSummary) -> Vec<(&'static str, String)> {
    let resources: usize = s.resources.values().sum();
    let runs = if s.runs.is_empty() {
        "—".to_string()
    } else {
        s.runs.join(", ")
    };
    let price = |per_hour: f64| {
        if s.unpriced.is_empty() {
            money(per_hour)
        } else if per_hour > 0.0 {
            format!("{} + price unknown", money(per_hour))
        } else {
            "price unknown".into()
        }
    };
    vec![
        ("resources", resources.to_string()),
        ("runs", runs),
        ("$/hour", price(s.usd_per_hour)),
        ("$/month", price(s.usd_per_hour * HOURS_PER_MONTH)),
        (
            "scales to",
            s.max_usd_per_hour
                .map(|m| format!("{}/h", money(m)))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "capacity",
            if s.capacity_warnings.is_empty() {
                "no warning".into()
            } else {
                format!("{} warning(s)", s.capacity_warnings.len())
            },
        ),
        (
            "ready in",
            s.ready_in.clone().unwrap_or_else(|| "unknown".into()),
        ),
    ]
}

pub fn render(clouds: &[CloudSummary]) -> String {
    let table: Vec<Vec<(&str, String)>> = clouds.iter().map(rows).collect();
    let label_w = table
        .first()
        .map(|r| r.iter().map(|(l, _)| l.len()).max().unwrap_or(0))
        .unwrap_or(0);
    let widths: Vec<usize> = clouds
        .iter()
        .zip(&table)
        .map(|(c, r)| {
            r.iter()
                .map(|(_, v)| v.chars().count())
                .chain([c.cloud.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let _ = write!(out, "{:label_w$}", "");
    for (c, w) in clouds.iter().zip(&widths) {
        let _ = write!(out, "  {:w$}", c.cloud);
    }
    out = out.trim_end().to_string();
    out.push('\n');
    let n = table.first().map(Vec::len).unwrap_or(0);
    for i in 0..n {
        let _ = write!(out, "{:label_w$}", table[0][i].0);
        for (r, w) in table.iter().zip(&widths) {
            let v = &r[i].1;
            let pad = w.saturating_sub(v.chars().count());
            let _ = write!(out, "  {v}{}", " ".repeat(pad));
        }
        out = out.trim_end().to_string();
        out.push('\n');
    }
    for c in clouds {
        let _ = writeln!(out, "\n{}:", c.cloud);
        for (t, n) in &c.resources {
            let _ = writeln!(out, "  {n} × {t}");
        }
        for w in &c.capacity_warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
        for u in &c.unpriced {
            let _ = writeln!(out, "  price unknown: {u}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_column_per_cloud_and_lists_what_each_needs() {
        let aws = CloudSummary {
            cloud: "aws".into(),
            resources: [("aws_sagemaker_endpoint".to_string(), 1)].into(),
            runs: vec!["1 × ml.g4dn.xlarge".into()],
            usd_per_hour: 0.7364,
            max_usd_per_hour: Some(2.2092),
            ..Default::default()
        };
        let azure = CloudSummary {
            cloud: "azure".into(),
            resources: [("azurerm_machine_learning_online_deployment".to_string(), 1)].into(),
            runs: vec!["1 × Standard_NC4as_T4_v3".into()],
            usd_per_hour: 0.526,
            capacity_warnings: vec![
                "x: Standard_NC4as_T4_v3 is not offered in eastus zone 1".into()
            ],
            ..Default::default()
        };
        let t = render(&[aws, azure]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].contains("aws") && lines[0].contains("azure"),
            "{t}"
        );
        assert!(t.contains("$/hour     $0.74"), "{t}");
        assert!(t.contains("$/month    $537.57"), "{t}");
        assert!(t.contains("scales to  $2.21/h"), "{t}");
        assert!(t.contains("1 warning(s)"), "{t}");
        assert!(t.contains("ready in   unknown"), "{t}");
        assert!(
            t.contains("\nazure:\n  1 × azurerm_machine_learning_online_deployment\n  warning: x:"),
            "{t}"
        );
    }
}
