//! Prices the plan's changes: each instance's [`Usage`](gantry_core::usage::Usage) from its
//! provider, before and after, against the price table.

use super::{error, parse_provider_addr, Engine};
use crate::cost::{self, prices::PriceTable, ChangeCost};
use crate::plan::Plan;
use gantry_core::diag::Diagnostics;
use gantry_core::provider::Provider;
use std::collections::HashMap;
use std::sync::Arc;

impl Engine {
    pub(super) async fn price_changes(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        let table =
            PriceTable::load().map_err(|e| Diagnostics::from(error("Invalid price file", e)))?;
        let scope = self.new_scope(true);
        let mut providers: HashMap<String, Option<Arc<dyn Provider>>> = HashMap::new();
        // Objects by id, for usage whose region is another object's.
        let by_id: HashMap<String, (&str, &gantry_core::value::Value)> = plan
            .changes
            .iter()
            .filter_map(|c| {
                let v = c.after.as_ref().or(c.before.as_ref())?;
                let id = v.get_attr("id")?.as_str()?.to_string();
                Some((id, (&*c.addr.resource.rtype, v)))
            })
            .collect();
        let mut costs = Vec::new();
        for c in &plan.changes {
            if !providers.contains_key(&c.provider) {
                let (name, alias) = parse_provider_addr(&c.provider);
                // A provider that cannot be configured prices nothing; planning said why.
                let p = self.provider(&name, alias.as_deref(), &scope).await.ok();
                providers.insert(c.provider.clone(), p);
            }
            let Some(Some(p)) = providers.get(&c.provider) else {
                continue;
            };
            let rtype = &c.addr.resource.rtype;
            let priced = |v: &Option<gantry_core::value::Value>| {
                let (plain, sensitive) = v.as_ref()?.unmark_deep();
                let mut usage = p.usage(rtype, &plain);
                for u in usage.iter_mut().filter(|u| u.region.is_empty()) {
                    let Some((t, other)) = u.region_of.as_ref().and_then(|id| by_id.get(id)) else {
                        continue;
                    };
                    if let Some(r) = p.usage(t, &other.unmark_deep().0).first() {
                        u.region = r.region.clone();
                    }
                }
                let mut priced = cost::price(&usage, &table)?;
                // What runs is named from attributes; a sensitive one is never shown.
                if sensitive {
                    priced.items = vec!["(sensitive)".into()];
                    priced.unknown = priced
                        .unknown
                        .iter()
                        .map(|_| "(sensitive)".into())
                        .collect();
                }
                Some(priced)
            };
            let cost = ChangeCost {
                before: priced(&c.before),
                after: priced(&c.after),
            };
            if cost.before.is_some() || cost.after.is_some() {
                costs.push((c.addr.clone(), cost));
            }
        }
        plan.costs.extend(costs);
        Ok(())
    }
}
