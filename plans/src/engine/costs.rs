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
                let mut priced = cost::price(&p.usage(rtype, &plain), &table)?;
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
                plan.costs.insert(c.addr.clone(), cost);
            }
        }
        Ok(())
    }
}
