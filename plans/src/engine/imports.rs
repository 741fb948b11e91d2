//! `import` blocks: adopting existing objects into the plan's prior state.

use super::*;

/// One import target: the address, its evaluated id expression, and its block.
type ImportTarget<'a> = (
    InstanceAddr,
    Result<Value, Diagnostic>,
    &'a gantry_core::config::Import,
);

/// An import block's id: a string known before planning.
fn import_id(
    id: Result<Value, Diagnostic>,
    imp: &gantry_core::config::Import,
) -> Result<String, Diagnostic> {
    let v = id?;
    v.as_str().map(String::from).ok_or_else(|| {
        Diagnostic::error(
            "Invalid import id",
            "The import id must be a string known before planning.",
        )
        .at(imp.id.span())
    })
}

impl Engine {
    /// Every import target, `for_each` expanded, with its id evaluated.
    fn import_targets(&self, scope: &Scope) -> (Vec<ImportTarget<'_>>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let root = ModuleInstance::root();
        // Every (target, id expression result) pair, for_each expanded.
        let mut targets: Vec<(
            InstanceAddr,
            Result<Value, Diagnostic>,
            &gantry_core::config::Import,
        )> = Vec::new();
        for imp in &self.config.imports {
            let Some(fe) = &imp.for_each else {
                targets.push((imp.to.clone(), scope.eval(&imp.id), imp));
                continue;
            };
            let at = scope.at(&root);
            let exp = match crate::scope::expand_with(None, Some(fe), &at, &scope.dir) {
                Ok(e) => e,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            for (key, each) in exp.instances() {
                let inst = InstanceScope {
                    base: scope.at(&root),
                    key: &key,
                    each_value: each.as_ref(),
                };
                let to = match &imp.to_key {
                    Some(k) => match Evaluator::new(&inst, &scope.dir, k.file).eval(&k.expr) {
                        Ok(Value::String(s)) => {
                            imp.to.resource.instance(InstanceKey::Str(s.to_string()))
                        }
                        Ok(Value::Number(n)) if n.fract() == 0.0 => {
                            imp.to.resource.instance(InstanceKey::Int(n as i64))
                        }
                        Ok(_) => {
                            diags.push(Diagnostic::error("Invalid import address", "The key of an import address must be a string or a whole number known before planning.").at(k.span()));
                            continue;
                        }
                        Err(d) => {
                            diags.push(d);
                            continue;
                        }
                    },
                    None => imp.to.clone(),
                };
                let id = Evaluator::new(&inst, &scope.dir, imp.id.file).eval(&imp.id.expr);
                targets.push((to, id, imp));
            }
        }
        (targets, diags)
    }

    /// HCL for the objects import blocks adopt whose resource blocks do not exist yet
    /// (`plan -generate-config-out`); `None` when every target is declared.
    pub async fn generate_import_config(
        &self,
        state: &State,
    ) -> Result<Option<String>, Diagnostics> {
        let scope = self.static_scope(true);
        let (targets, diags) = self.import_targets(&scope);
        diags.into_result()?;
        let mut out = String::new();
        let mut diags = Diagnostics::default();
        for (to, id, imp) in targets {
            if self.resource(&to.resource).is_some() || state.resources.contains_key(&to) {
                continue;
            }
            if to.key != InstanceKey::None || !to.resource.module.is_root() {
                diags.push(Diagnostic::error("Cannot generate configuration", format!("Configuration can be generated only for a resource in the root module without count or for_each, not {to}.")).at(imp.span.clone()));
                continue;
            }
            let id = match import_id(id, imp) {
                Ok(id) => id,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let pname = to.resource.implied_provider().to_string();
            let Some(schema) = self.schema(&to.resource, &pname) else {
                diags.push(
                    Diagnostic::error(
                        "Invalid resource type",
                        format!(
                            "No provider in this gantry knows the resource type {:?}.",
                            to.resource.rtype
                        ),
                    )
                    .at(imp.span.clone()),
                );
                continue;
            };
            let provider = self
                .provider(&pname, None, &scope)
                .await
                .map_err(Diagnostics::from)?;
            match crate::retry::retrying(|| provider.import(&to.resource.rtype, &id)).await {
                Ok(Some(v)) => out.push_str(&crate::generate::resource_block(&to.resource.rtype, &to.resource.name, &id, &schema.block, &v)),
                Ok(None) => diags.push(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {to}, the provider detected that no object exists with the id {id:?}.")).at(imp.span.clone())),
                Err(e) => diags.push(Diagnostic::error("Import failed", format!("{to}: {e}")).at(imp.span.clone())),
            }
        }
        diags.into_result()?;
        Ok((!out.is_empty()).then(|| format!("{}{out}", crate::generate::HEADER)))
    }
    /// `import` blocks: reads each object not yet in state from its provider and puts it in
    /// the plan's prior state, so the plan diffs configuration against the real object.
    pub(super) async fn plan_imports(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        let scope = self.static_scope(true);
        let (targets, mut diags) = self.import_targets(&scope);
        for (to, id, imp) in targets {
            if plan.prior_state.resources.contains_key(&to) {
                continue; // already managed: the block is a no-op, as in Terraform
            }
            let Some(res) = self.resource(&to.resource) else {
                diags.push(Diagnostic::error("Configuration for import target does not exist", format!("The configuration for the given import target {to} does not exist. Add a resource block for it.")).at(imp.span.clone()));
                continue;
            };
            let id = match import_id(id, imp) {
                Ok(id) => id,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let (name, alias) = self.provider_for(&to.resource, res);
            let provider = self
                .provider(&name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            match crate::retry::retrying(|| provider.import(&to.resource.rtype, &id)).await {
                Ok(Some(v)) => {
                    let deps = self.graph.state_dependencies(&Node::Resource(to.resource.clone()));
                    let schema_version = self.schema(&to.resource, &name).map(|s| s.version).unwrap_or(0);
                    plan.prior_state.resources.insert(
                        to.clone(),
                        ResourceInstance { provider: self.provider_addr(&name, alias.as_deref()), value: v, dependencies: deps, schema_version, create_before_destroy: res.lifecycle.create_before_destroy, types: BTreeMap::new(), private: Vec::new() },
                    );
                    plan.imports.push((to.clone(), id));
                }
                Ok(None) => diags.push(Diagnostic::error("Cannot import non-existent remote object", format!("While attempting to import an existing object to {}, the provider detected that no object exists with the id {id:?}. Only pre-existing objects can be imported; check that the id is correct.", to)).at(imp.span.clone())),
                Err(e) => diags.push(Diagnostic::error("Import failed", format!("{}: {e}", to)).at(imp.span.clone())),
            }
        }
        diags.into_result()
    }
}
