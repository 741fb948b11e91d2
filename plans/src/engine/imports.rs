//! `import` blocks: adopting existing objects into the plan's prior state.

use super::*;

impl Engine {
    /// `import` blocks: reads each object not yet in state from its provider and puts it in
    /// the plan's prior state, so the plan diffs configuration against the real object.
    pub(super) async fn plan_imports(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::default();
        let scope = self.static_scope(true);
        for imp in &self.config.imports {
            if plan.prior_state.resources.contains_key(&imp.to) {
                continue; // already managed: the block is a no-op, as in Terraform
            }
            let Some(res) = self.resource(&imp.to.resource) else {
                diags.push(Diagnostic::error("Configuration for import target does not exist", format!("The configuration for the given import target {} does not exist. Add a resource block for it.", imp.to)).at(imp.span.clone()));
                continue;
            };
            let id = match scope.eval(&imp.id) {
                Ok(v) if v.as_str().is_some() => v.as_str().unwrap_or_default().to_string(),
                Ok(_) => {
                    diags.push(
                        Diagnostic::error(
                            "Invalid import id",
                            "The import id must be a string known before planning.",
                        )
                        .at(imp.id.span()),
                    );
                    continue;
                }
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let (name, alias) = self.provider_for(&imp.to.resource, res);
            let provider = self
                .provider(&name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            match crate::apply::retrying(|| provider.import(&imp.to.resource.rtype, &id)).await {
                Ok(Some(v)) => {
                    let deps = self.graph.state_dependencies(&Node::Resource(imp.to.resource.clone()));
                    let schema_version = self.schema(&imp.to.resource, &name).map(|s| s.version).unwrap_or(0);
                    plan.prior_state.resources.insert(
                        imp.to.clone(),
                        ResourceInstance { provider: self.provider_addr(&name, alias.as_deref()), value: v, dependencies: deps, schema_version, create_before_destroy: res.lifecycle.create_before_destroy },
                    );
                    plan.imports.push((imp.to.clone(), id));
                }
                Ok(None) => diags.push(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {}, the provider detected that no object exists with the id {id:?}. Only pre-existing objects can be imported; check that the id is correct.", imp.to)).at(imp.span.clone())),
                Err(e) => diags.push(Diagnostic::error("Import failed", format!("{}: {e}", imp.to)).at(imp.span.clone())),
            }
        }
        diags.into_result()
    }
}
