//! Prices the plan's changes: each instance's [`Usage`](gantry_core::usage::Usage) from its
//! provider, before and after, against the price table.
//!
//! Providers read the values as planned (no unmarked copies: this pass runs on every plan,
//! and plans are large); a SKU that came from a sensitive attribute is then redacted
//! (`cost::redact_sensitive`), so it is never named or priced in output.

use super::{error, parse_provider_addr, Engine};
use crate::cost::{self, prices::PriceTable, ChangeCost};
use crate::plan::{Plan, ResourceChange};
use gantry_core::diag::Diagnostics;
use gantry_core::provider::Provider;
use gantry_core::usage::Usage;
use gantry_core::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The configured provider of each change's provider address (`None`: it could not be
/// configured; planning said why), looked up once per address.
pub(super) struct ProviderCache(HashMap<String, Option<Arc<dyn Provider>>>);

impl ProviderCache {
    pub(super) fn new() -> Self {
        ProviderCache(HashMap::new())
    }

    pub(super) async fn get(
        &mut self,
        engine: &Engine,
        scope: &crate::scope::Scope,
        c: &ResourceChange,
    ) -> Option<Arc<dyn Provider>> {
        if !self.0.contains_key(&c.provider) {
            let (name, alias) = parse_provider_addr(&c.provider);
            let p = engine.provider(&name, alias.as_deref(), scope).await.ok();
            self.0.insert(c.provider.clone(), p);
        }
        self.0.get(&c.provider).cloned().flatten()
    }
}

/// A usage whose region is another object's (an AKS node pool's cluster) takes it from that
/// object, found by id among the plan's changes.
fn resolve_regions(usage: &mut [Usage], p: &dyn Provider, plan: &Plan) {
    for u in usage.iter_mut().filter(|u| u.region.is_empty()) {
        let Some(id) = u.region_of.clone() else {
            continue;
        };
        let other = plan.changes.iter().find_map(|c| {
            let v = c.after.as_ref().or(c.before.as_ref())?;
            (v.get_attr("id").and_then(Value::as_str) == Some(id.as_str()))
                .then_some((&c.addr.resource.rtype, v))
        });
        if let Some(r) = other.and_then(|(t, v)| p.usage(t, v).into_iter().next()) {
            u.region = r.region;
        }
    }
}

impl Engine {
    pub(super) async fn price_changes(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        let table =
            PriceTable::load().map_err(|e| Diagnostics::from(error("Invalid price file", e)))?;
        let scope = self.new_scope(true);
        let mut providers = ProviderCache::new();
        let mut costs = Vec::new();
        for c in &plan.changes {
            let Some(p) = providers.get(self, &scope, c).await else {
                continue;
            };
            let rtype = &c.addr.resource.rtype;
            let priced = |v: &Option<Value>| {
                let v = v.as_ref()?;
                let mut usage = p.usage(rtype, v);
                cost::redact_sensitive(&mut usage, v);
                resolve_regions(&mut usage, p.as_ref(), plan);
                cost::price(&usage, &table)
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
