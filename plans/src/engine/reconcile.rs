//! Settling operations that a crash or interrupt left unrecorded.

use super::*;

impl Engine {
    /// Settles operations that were sent but never recorded (the process died in between):
    /// a create is looked up by its idempotency token and adopted, or confirmed never made; a
    /// delete is confirmed by reading the object; an update is left to refresh. Returns one
    /// line per operation for the user.
    pub async fn reconcile(&self, state: &mut State) -> Result<Vec<String>, Diagnostics> {
        let pending = std::mem::take(&mut state.pending);
        let scope = self.static_scope(true);
        let mut notes = Vec::new();
        for (addr, op) in pending {
            let (name, alias) = match self.resource(&addr.resource) {
                Some(r) => self.provider_for(&addr.resource, r),
                None => match state.resources.get(&addr) {
                    Some(i) => parse_provider_addr(&i.provider),
                    None => (addr.resource.implied_provider().to_string(), None),
                },
            };
            let provider = self
                .provider(&name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            let rtype = &addr.resource.rtype;
            match op.action.as_str() {
                "create" => match crate::retry::retrying(|| {
                    provider.find_by_token(rtype, &op.token, &op.planned)
                })
                .await
                {
                    Ok(Some(v)) => {
                        let deps = self
                            .graph
                            .state_dependencies(&Node::Resource(addr.resource.clone()));
                        let schema_version = self
                            .schema(&addr.resource, &name)
                            .map(|s| s.version)
                            .unwrap_or(0);
                        let cbd = self
                            .resource(&addr.resource)
                            .is_some_and(|r| r.lifecycle.create_before_destroy);
                        state.resources.insert(
                            addr.clone(),
                            ResourceInstance {
                                provider: self.provider_addr(&name, alias.as_deref()),
                                value: v,
                                dependencies: deps,
                                schema_version,
                                create_before_destroy: cbd,
                                types: BTreeMap::new(),
                                private: Vec::new(),
                            },
                        );
                        notes.push(format!(
                            "{addr}: adopted the object an interrupted create made"
                        ));
                    }
                    Ok(None) => notes.push(format!("{addr}: the interrupted create made nothing")),
                    Err(e) => {
                        // Keep it pending: never guess when the cloud cannot answer.
                        state.pending.insert(addr.clone(), op.clone());
                        return Err(error(
                            "Cannot reconcile an interrupted operation",
                            format!("{addr}: {e}"),
                        )
                        .into());
                    }
                },
                "delete" => {
                    if let Some(inst) = state.resources.get(&addr).cloned() {
                        let plain = inst.value.unmark_deep().0;
                        match crate::retry::retrying(|| provider.read(rtype, &plain)).await {
                            Ok(None) => {
                                state.resources.remove(&addr);
                                notes.push(format!("{addr}: the interrupted delete completed"));
                            }
                            Ok(Some(_)) => notes.push(format!("{addr}: the interrupted delete did not happen; it is still managed")),
                            Err(e) => {
                                state.pending.insert(addr.clone(), op.clone());
                                return Err(error("Cannot reconcile an interrupted operation", format!("{addr}: {e}")).into());
                            }
                        }
                    }
                }
                _ => notes.push(format!(
                    "{addr}: an interrupted update will be checked by refresh"
                )),
            }
        }
        Ok(notes)
    }
}
