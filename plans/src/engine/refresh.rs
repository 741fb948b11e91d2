//! Refresh: reading every managed object from its provider, batched.

use super::*;
use gantry_core::provider::ProviderResult;

/// A refreshed object and, from providers that keep it, its new private data.
type Refreshed = (Value, Option<Vec<u8>>);

impl Engine {
    /// Reads every managed object in state from its provider, batched per resource type
    /// through `read_many`, with at most `parallelism` batches in flight. Returns the
    /// refreshed state and the drift found.
    pub async fn refresh(
        &self,
        state: &State,
        parallelism: usize,
    ) -> Result<(State, Vec<ResourceChange>), Diagnostics> {
        const BATCH: usize = 1000;
        let scope = self.static_scope(true);
        let upgraded = self.upgrade_state(state, &scope).await?;
        let state = &upgraded;
        let mut groups: BTreeMap<(String, Option<String>, String), Vec<StateEntry>> =
            BTreeMap::new();
        for (addr, inst) in &state.resources {
            if addr.resource.mode != Mode::Managed {
                continue;
            }
            let (name, alias) = self.provider_of(&addr.resource, inst);
            groups
                .entry((name, alias, addr.resource.rtype.to_string()))
                .or_default()
                .push((addr, inst));
        }
        let mut batches = Vec::new();
        for ((name, alias, rtype), items) in &groups {
            let provider = self
                .provider(name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            for chunk in items.chunks(BATCH) {
                let key = Config::provider_key(name, alias.as_deref());
                batches.push((provider.clone(), key, rtype.clone(), chunk.to_vec()));
            }
        }
        let mut refreshed = state.clone();
        let mut drift = Vec::new();
        let mut diags = Diagnostics::default();
        let mut pending = batches.into_iter();
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < parallelism.max(1) {
                let Some((provider, key, rtype, chunk)) = pending.next() else {
                    break;
                };
                let limits = &self.limits;
                running.push(async move {
                    let _permits = limits.acquire(&key, &rtype).await;
                    let priors: Vec<Value> =
                        chunk.iter().map(|(_, i)| i.value.unmark_deep().0).collect();
                    let results: Vec<ProviderResult<Option<Refreshed>>> =
                        if provider.uses_private(&rtype) {
                            // One call per object (a plugin has no batch read), ten at a
                            // time as Terraform's default parallelism.
                            use futures_util::StreamExt;
                            let reads = priors.iter().zip(&chunk).map(|(p, (_, i))| {
                                provider.read_with_private(&rtype, p, &i.private)
                            });
                            futures_util::stream::iter(reads)
                                .buffered(10)
                                .map(|r| r.map(|o| o.map(|(v, pr)| (v, Some(pr)))))
                                .collect::<Vec<_>>()
                                .await
                        } else {
                            let many = provider.read_many(&rtype, &priors).await;
                            many.into_iter()
                                .map(|r| r.map(|o| o.map(|v| (v, None))))
                                .collect()
                        };
                    (chunk, results)
                });
            }
            let Some((chunk, results)) = running.next().await else {
                break;
            };
            for ((addr, inst), result) in chunk.into_iter().zip(results) {
                let schema = self.schema(&addr.resource, &self.provider_of(&addr.resource, inst).0);
                match result {
                    Ok(Some((v, private))) => {
                        if let (Some(p), Some(r)) = (private, refreshed.resources.get_mut(addr)) {
                            r.private = p;
                        }
                        let v = match schema {
                            Some(s) => remark(
                                &s.block,
                                crate::decode::carry_unmodeled(&s.block, &inst.value, v),
                                &[&inst.value],
                            ),
                            None => v,
                        };
                        let same = match schema {
                            Some(s) => crate::decode::equal_for(s, &v, &inst.value),
                            None => crate::decode::semantically_equal(&v, &inst.value),
                        };
                        if !same {
                            drift.push(self.state_change(addr, inst, Some(v.clone())));
                            if let Some(r) = refreshed.resources.get_mut(addr) {
                                r.value = v;
                            }
                        }
                    }
                    Ok(None) => {
                        drift.push(self.state_change(addr, inst, None));
                        refreshed.resources.remove(addr);
                    }
                    Err(e) => diags.push(error("Error refreshing state", format!("{addr}: {e}"))),
                }
            }
        }
        diags.into_result()?;
        drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        Ok((refreshed, drift))
    }

    /// Objects recorded under an older schema version of their type, brought up to the
    /// current one by their provider before anything reads or plans them (as Terraform
    /// does; the upgrade is not drift). Sensitive marks of the old value are kept.
    async fn upgrade_state(&self, state: &State, scope: &Scope) -> Result<State, Diagnostics> {
        let mut out = state.clone();
        let mut diags = Diagnostics::default();
        for (addr, inst) in &state.resources {
            if addr.resource.mode != Mode::Managed {
                continue;
            }
            let (name, alias) = self.provider_of(&addr.resource, inst);
            let Some(schema) = self.schema(&addr.resource, &name) else {
                continue;
            };
            if inst.schema_version >= schema.version {
                continue;
            }
            let provider = self
                .provider(&name, alias.as_deref(), scope)
                .await
                .map_err(Diagnostics::from)?;
            match provider
                .upgrade(&addr.resource.rtype, inst.schema_version, &inst.value)
                .await
            {
                Ok(Some(v)) => {
                    let r = out.resources.get_mut(addr).expect("cloned from state");
                    r.value = remark(&schema.block, v, &[&inst.value]);
                    r.schema_version = schema.version;
                }
                Ok(None) => {}
                Err(e) => diags.push(error(
                    "Error upgrading resource state",
                    format!(
                        "{addr}: from schema version {} to {}: {e}",
                        inst.schema_version, schema.version
                    ),
                )),
            }
        }
        diags.into_result()?;
        Ok(out)
    }

    /// A change to an object in state: an update to `after`, or its deletion when `after` is
    /// `None` (drift, destroy plans and orphans share it).
    pub(super) fn state_change(
        &self,
        addr: &InstanceAddr,
        inst: &ResourceInstance,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange {
            addr: addr.clone(),
            provider: inst.provider.clone(),
            action: if after.is_some() {
                Action::Update
            } else {
                Action::Delete
            },
            before: Some(inst.value.clone()),
            after,
            replace_paths: vec![],
            reason: None,
            dependencies: inst.dependencies.clone(),
            create_before_destroy: inst.create_before_destroy,
            notes: vec![],
        }
    }
}
