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
        // Creates whose object was not found: the request may still be in flight (sent just
        // before the process died, processed a moment later). Looked up once more after a
        // grace period, so such an object is adopted rather than made a second time.
        let mut look_again = Vec::new();
        for (addr, op) in pending {
            let (name, alias) = self.provider_names(state, &addr);
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
                        self.adopt(state, &addr, &name, alias.as_deref(), v);
                        notes.push(format!(
                            "{addr}: adopted the object an interrupted create made"
                        ));
                    }
                    Ok(None) => look_again.push((addr.clone(), op.clone(), provider.clone())),
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
        if !look_again.is_empty() {
            tokio::time::sleep(IN_FLIGHT_GRACE).await;
        }
        for (addr, op, provider) in look_again {
            let rtype = &addr.resource.rtype;
            match crate::retry::retrying(|| provider.find_by_token(rtype, &op.token, &op.planned))
                .await
            {
                Ok(Some(v)) => {
                    let (name, alias) = self.provider_names(state, &addr);
                    self.adopt(state, &addr, &name, alias.as_deref(), v);
                    notes.push(format!(
                        "{addr}: adopted the object an interrupted create made"
                    ));
                }
                Ok(None) => notes.push(format!("{addr}: the interrupted create made nothing")),
                Err(e) => {
                    state.pending.insert(addr.clone(), op.clone());
                    return Err(error(
                        "Cannot reconcile an interrupted operation",
                        format!("{addr}: {e}"),
                    )
                    .into());
                }
            }
        }
        Ok(notes)
    }

    /// The provider (name, alias) an instance belongs to: its configuration's, else the one
    /// state records, else the one its type implies.
    fn provider_names(&self, state: &State, addr: &InstanceAddr) -> (String, Option<String>) {
        match self.resource(&addr.resource) {
            Some(r) => self.provider_for(&addr.resource, r),
            None => match state.resources.get(addr) {
                Some(i) => parse_provider_addr(&i.provider),
                None => (addr.resource.implied_provider().to_string(), None),
            },
        }
    }

    /// Records an object an interrupted create made, as the create would have.
    fn adopt(
        &self,
        state: &mut State,
        addr: &InstanceAddr,
        name: &str,
        alias: Option<&str>,
        value: Value,
    ) {
        let deps = self
            .graph
            .state_dependencies(&Node::Resource(addr.resource.clone()));
        let schema_version = self
            .schema(&addr.resource, name)
            .map(|s| s.version)
            .unwrap_or(0);
        let cbd = self
            .resource(&addr.resource)
            .is_some_and(|r| r.lifecycle.create_before_destroy);
        state.resources.insert(
            addr.clone(),
            ResourceInstance {
                provider: self.provider_addr(name, alias),
                value,
                dependencies: deps,
                schema_version,
                create_before_destroy: cbd,
                types: BTreeMap::new(),
                private: Vec::new(),
            },
        );
    }
}

/// How long a create request may still be on its way to the cloud after the process that
/// sent it died. AWS, Google and Azure act on a received request within this; a request not
/// received by then never will be (the connection is gone).
const IN_FLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
