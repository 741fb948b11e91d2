//! One declaration planned on several clouds, side by side: the configuration takes a
//! `cloud` variable (as `modules/model-endpoint` does), and each cloud it is configured for
//! (its provider in `required_providers`) is planned from an empty state with
//! `-var cloud=NAME`, without refreshing or touching the directory's own state. The
//! [`CloudSummary`] holds, per cloud, what it needs, what it runs, what that costs, the
//! capacity warnings and how long it takes to be ready (from the create times earlier
//! applies recorded); `render::compare` prints it as one table.

use crate::cost;
use crate::engine::PlanOptions;
use crate::history::History;
use crate::plan::{Action, Plan};
use crate::variables::VarArg;
use crate::workspace::{Failure, Workspace};
use gantry_core::state::State;
use std::collections::BTreeMap;

/// Local provider names → the `cloud` value that selects them.
pub const CLOUDS: &[(&str, &str)] = &[("aws", "aws"), ("google", "google"), ("azurerm", "azure")];

/// One cloud's plan, summarised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CloudSummary {
    pub cloud: String,
    /// Resource types created, with how many of each.
    pub resources: BTreeMap<String, usize>,
    /// What runs that is priced ("1 × ml.g4dn.xlarge").
    pub runs: Vec<String>,
    pub usd_per_hour: f64,
    /// At the autoscaling maximums, when higher.
    pub max_usd_per_hour: Option<f64>,
    /// Priced objects whose price is unknown or known only after apply.
    pub unpriced: Vec<String>,
    pub capacity_warnings: Vec<String>,
    /// How long the cloud typically takes to make it ready, from the create times this
    /// machine's applies recorded (`history`); `None`: a type on the way has none yet.
    pub ready_in: Option<String>,
}

impl CloudSummary {
    pub fn of(cloud: &str, plan: &Plan, history: &History) -> CloudSummary {
        let mut s = CloudSummary {
            cloud: cloud.to_string(),
            ..CloudSummary::default()
        };
        for c in &plan.changes {
            if c.action.creates() && c.addr.resource.mode == gantry_core::addr::Mode::Managed {
                *s.resources
                    .entry(c.addr.resource.rtype.to_string())
                    .or_default() += 1;
            }
            let Some(p) = plan.costs.get(&c.addr).and_then(|k| k.after.as_ref()) else {
                continue;
            };
            if c.action == Action::Delete {
                continue;
            }
            s.runs.extend(p.items.iter().cloned());
            if !p.complete() {
                s.unpriced.push(c.addr.to_string());
            }
        }
        let t = cost::totals(plan);
        s.usd_per_hour = t.after_per_hour;
        if t.after_max_per_hour > t.after_per_hour + 0.005 {
            s.max_usd_per_hour = Some(t.after_max_per_hour);
        }
        s.capacity_warnings = plan
            .warnings
            .iter()
            .filter(|w| w.summary == "Capacity not offered")
            .map(|w| w.detail.clone())
            .collect();
        s.ready_in = history
            .ready_in(plan)
            .ok()
            .map(|secs| format!("≈ {}", crate::history::human(secs)));
        s
    }
}

/// The clouds `ws` is configured for, in [`CLOUDS`] order.
pub fn configured_clouds(ws: &Workspace) -> Result<Vec<String>, Failure> {
    let (cfg, _) = ws.config()?;
    let names = cfg.used_provider_names();
    Ok(CLOUDS
        .iter()
        .filter(|(provider, _)| {
            cfg.required_providers.contains_key(*provider) || names.contains(provider)
        })
        .map(|(_, cloud)| cloud.to_string())
        .collect())
}

/// Plans `ws` for each of `clouds` (`-var cloud=NAME` added to `vars`) from an empty state.
pub async fn compare(
    ws: &Workspace,
    clouds: &[String],
    vars: &[VarArg],
    env: &[(String, String)],
) -> Result<Vec<CloudSummary>, Failure> {
    let history = crate::history::default_path()
        .map(|p| History::load(&p))
        .unwrap_or_default();
    let mut out = Vec::new();
    for cloud in clouds {
        let mut v = vars.to_vec();
        v.push(VarArg::Assign(format!("cloud={cloud}")));
        let loaded = ws.load(&v, env)?;
        let opts = PlanOptions {
            refresh: false,
            ..PlanOptions::default()
        };
        let plan = loaded
            .engine
            .plan(&State::new(), &opts)
            .await
            .map_err(|d| Failure::new(&loaded.engine.config.sources, d))?;
        out.push(CloudSummary::of(cloud, &plan, &history));
    }
    Ok(out)
}
