//! Planning one resource block: its instances, data sources, the provider's plan.

use super::*;

impl Engine {
    /// Plans every instance of one resource block. Returns whether anything changes.
    pub(super) async fn plan_resource(
        &self,
        block: &ResourceAddr,
        res: &Resource,
        scope: &mut Scope,
        plan: &mut Plan,
        opts: &PlanOptions,
        changed_blocks: &HashSet<ResourceAddr>,
    ) -> Result<bool, Diagnostics> {
        let module = &block.module;
        let exp = expand(res, scope.at(module))?;
        let (pname, alias) = &self.provider_for(block, res);
        let provider = self.provider(pname, alias.as_deref(), scope).await?;
        let schema = self.schema(&res.addr, pname).ok_or_else(|| {
            error(
                "Invalid resource type",
                format!("{} has no schema", res.addr),
            )
        })?;
        let provider_addr = self.provider_addr(pname, alias.as_deref());
        let node = Node::Resource(block.clone());
        let dep_blocks = self.graph.resource_dependencies(&node);
        let depends_on_changes = dep_blocks.iter().any(|d| changed_blocks.contains(d));
        let deps: Vec<String> = self.graph.state_dependencies(&node);
        let mut values: BTreeMap<InstanceKey, Value> = BTreeMap::new();
        let mut diags = Diagnostics::default();
        let mut changed = false;
        let wanted: BTreeSet<InstanceKey> = exp.instances().into_iter().map(|(k, _)| k).collect();

        for (key, each) in exp.instances() {
            let addr = block.instance(key.clone());
            let iscope = InstanceScope {
                base: scope.at(module),
                key: &key,
                each_value: each.as_ref(),
            };
            if !res.lifecycle.conditions.is_empty() {
                let before = diags.0.len();
                crate::conditions::check_all(
                    &res.lifecycle.conditions,
                    ConditionKind::Precondition,
                    &iscope,
                    &scope.dir,
                    "Resource",
                    &mut diags,
                );
                if diags.0.len() > before {
                    continue;
                }
            }
            let ev = Evaluator::new(&iscope, &scope.dir, res.body.file);
            let config = match decode_body(&ev, &res.body.body, &schema.block, res.span.clone()) {
                Ok(c) => c,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            for m in provider.validate(&res.addr.rtype, &config.unmark_deep().0) {
                diags.push(
                    Diagnostic::error("Invalid resource configuration", format!("{addr}: {m}"))
                        .at(res.span.clone()),
                );
            }
            let prior = plan.prior_state.resources.get(&addr);
            // Only objects apply will write need their dynamic attributes' types.
            let types = self.dynamic_types(block, res, schema, &config, prior);
            let change = if res.addr.mode == Mode::Data {
                self.plan_data(
                    &addr,
                    &provider,
                    &config,
                    depends_on_changes,
                    &provider_addr,
                )
                .await
            } else {
                let triggered = self.replace_triggered(block, res, changed_blocks);
                let tainted = plan.prior_state.tainted.contains(&addr);
                self.plan_instance(
                    &addr,
                    &provider,
                    schema,
                    res,
                    prior,
                    &config,
                    opts,
                    (triggered, tainted),
                    &provider_addr,
                    &deps,
                )
                .await
            };
            match change {
                Ok(c) => {
                    if !types.is_empty() && !matches!(c.action, Action::NoOp | Action::Read) {
                        plan.dynamic_types.insert(addr.clone(), types);
                    }
                    if let Some(v) = &c.after {
                        // Checked now when the planned object is known; otherwise at apply.
                        let with_self = crate::conditions::WithSelf {
                            base: &iscope,
                            value: v,
                        };
                        crate::conditions::check_all(
                            &res.lifecycle.conditions,
                            ConditionKind::Postcondition,
                            &with_self,
                            &scope.dir,
                            "Resource",
                            &mut diags,
                        );
                        values.insert(key.clone(), v.clone());
                    }
                    if c.action != Action::NoOp {
                        changed = true;
                    }
                    if c.action == Action::NoOp && res.addr.mode == Mode::Data {
                        // A data source read now: record its result in the prior state.
                        if let Some(v) = &c.after {
                            plan.prior_state.resources.insert(
                                addr.clone(),
                                ResourceInstance {
                                    provider: provider_addr.clone(),
                                    value: v.clone(),
                                    dependencies: vec![],
                                    schema_version: schema.version,
                                    create_before_destroy: false,
                                    types: BTreeMap::new(),
                                    private: Vec::new(),
                                },
                            );
                        }
                    }
                    plan.changes.push(c);
                }
                Err(d) => diags.push(d.at(res.span.clone())),
            }
        }
        // Instances in state that the expansion no longer includes.
        let orphans: Vec<(InstanceAddr, ResourceInstance)> = plan
            .prior_state
            .instances_of(block)
            .filter(|(a, _)| !wanted.contains(&a.key))
            .map(|(a, i)| (a.clone(), i.clone()))
            .collect();
        for (addr, inst) in orphans {
            if res.addr.mode == Mode::Data {
                plan.prior_state.resources.remove(&addr);
                continue;
            }
            changed = true;
            let reason = match (&addr.key, &exp) {
                (InstanceKey::Int(_), Expansion::Count(_)) => Reason::DeleteBecauseCountIndex,
                (InstanceKey::Str(_), Expansion::ForEach(_)) => Reason::DeleteBecauseEachKey,
                _ => Reason::DeleteBecauseNoInstance,
            };
            plan.changes.push(ResourceChange {
                reason: Some(reason),
                ..self.state_change(&addr, &inst, None)
            });
        }
        scope
            .resources
            .insert(block.clone(), exp.aggregate(|k| values.get(k)));
        diags.into_result().map(|()| changed)
    }

    /// The types of this instance's dynamically-typed attributes where its configuration
    /// fixes them (`tolist(...)`, a typed variable), else as last recorded in state.
    fn dynamic_types(
        &self,
        block: &ResourceAddr,
        res: &Resource,
        schema: &ResourceSchema,
        config: &Value,
        prior: Option<&ResourceInstance>,
    ) -> BTreeMap<String, gantry_core::types::Type> {
        use gantry_core::types::Type;
        let mut out = BTreeMap::new();
        let module_cfg = self.tree.config(&block.module);
        let var_type = |name: &str| -> Option<Type> {
            module_cfg
                .and_then(|c| c.variables.get(name))
                .map(|v| v.ty.clone())
        };
        for (name, a) in &schema.block.attributes {
            if a.ty != Type::Any {
                continue;
            }
            let value = config.get_attr(name).cloned().unwrap_or(Value::Null);
            let hint = res
                .body
                .body
                .get_attribute(name)
                .map(|attr| gantry_core::eval::typehint::type_hint(&attr.value, &var_type))
                .unwrap_or(Type::Any);
            if hint != Type::Any {
                out.insert(name.clone(), hint.of_value(&value));
            } else if let Some(t) = prior.and_then(|p| p.types.get(name)) {
                out.insert(name.clone(), t.clone());
            }
        }
        out
    }

    /// True when a `replace_triggered_by` reference points at a block with changes.
    pub(super) fn replace_triggered(
        &self,
        block: &ResourceAddr,
        res: &Resource,
        changed: &HashSet<ResourceAddr>,
    ) -> bool {
        res.lifecycle.replace_triggered_by.iter().any(|e| {
            references(&e.expr).iter().any(|f| {
                matches!(&f.reference, Ok(Reference::Resource(r)) if changed.contains(&r.in_module(&block.module)))
            })
        })
    }

    pub(super) async fn plan_data(
        &self,
        addr: &InstanceAddr,
        provider: &Arc<dyn Provider>,
        config: &Value,
        depends_on_changes: bool,
        provider_addr: &str,
    ) -> Result<ResourceChange, Diagnostic> {
        let base = ResourceChange {
            addr: addr.clone(),
            provider: provider_addr.to_string(),
            action: Action::Read,
            before: None,
            after: Some(Value::Unknown),
            replace_paths: vec![],
            reason: None,
            dependencies: vec![],
            create_before_destroy: false,
            notes: vec![],
        };
        if !config.is_wholly_known() {
            return Ok(ResourceChange {
                reason: Some(Reason::ReadBecauseConfigUnknown),
                ..base
            });
        }
        if depends_on_changes {
            return Ok(ResourceChange {
                reason: Some(Reason::ReadBecauseDependencyPending),
                ..base
            });
        }
        let v = provider
            .read_data(&addr.resource.rtype, &config.unmark_deep().0)
            .await
            .map_err(|e| error("Error reading data source", format!("{addr}: {e}")))?;
        Ok(ResourceChange {
            action: Action::NoOp,
            after: Some(v),
            ..base
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn plan_instance(
        &self,
        addr: &InstanceAddr,
        provider: &Arc<dyn Provider>,
        schema: &ResourceSchema,
        res: &Resource,
        prior: Option<&ResourceInstance>,
        config: &Value,
        opts: &PlanOptions,
        (triggered, tainted): (bool, bool),
        provider_addr: &str,
        deps: &[String],
    ) -> Result<ResourceChange, Diagnostic> {
        let prior_v = prior.map(|p| &p.value);
        let prior_private = prior.map(|p| p.private.as_slice()).unwrap_or_default();
        let (planned, mut replace, notes, _) = self
            .provider_plan(provider, addr, schema, res, prior_v, prior_private, config)
            .await?;
        let mut reason = None;
        if !replace.is_empty() {
            reason = Some(Reason::ReplaceBecauseCannotUpdate);
        }
        if prior.is_some() && tainted {
            reason = Some(Reason::ReplaceBecauseTainted);
            replace.push(vec![]);
        }
        if prior.is_some() && opts.replace.contains(addr) {
            reason = Some(Reason::ReplaceByRequest);
            replace.push(vec![]);
        }
        if prior.is_some() && triggered && replace.is_empty() {
            reason = Some(Reason::ReplaceByTriggers);
            replace.push(vec![]);
        }
        let base = ResourceChange {
            addr: addr.clone(),
            provider: provider_addr.to_string(),
            action: Action::NoOp,
            before: prior_v.cloned(),
            after: Some(planned.clone()),
            replace_paths: replace.iter().filter(|p| !p.is_empty()).cloned().collect(),
            reason: None,
            dependencies: deps.to_vec(),
            create_before_destroy: res.lifecycle.create_before_destroy,
            notes,
        };
        let Some(prior_v) = prior_v else {
            return Ok(ResourceChange {
                action: Action::Create,
                ..base
            });
        };
        if !replace.is_empty() {
            // A replacement is planned as a create: computed attributes become unknown.
            let (fresh, _, notes, _) = self
                .provider_plan(provider, addr, schema, res, None, &[], config)
                .await?;
            let action = if res.lifecycle.create_before_destroy {
                Action::CreateThenDelete
            } else {
                Action::DeleteThenCreate
            };
            return Ok(ResourceChange {
                action,
                after: Some(fresh),
                reason,
                notes,
                ..base
            });
        }
        if crate::decode::equal_for(schema, &planned, prior_v) {
            return Ok(ResourceChange {
                after: Some(prior_v.clone()),
                ..base
            });
        }
        Ok(ResourceChange {
            action: Action::Update,
            after: Some(crate::decode::settle_toward_prior(
                schema, &planned, prior_v,
            )),
            ..base
        })
    }

    /// The generic rules (proposed new state, ignore_changes, force-new) plus the provider's
    /// own plan. Returns the planned value and the paths that require replacement.
    #[allow(clippy::too_many_arguments)]
    pub async fn provider_plan(
        &self,
        provider: &Arc<dyn Provider>,
        addr: &InstanceAddr,
        schema: &ResourceSchema,
        res: &Resource,
        prior: Option<&Value>,
        prior_private: &[u8],
        config: &Value,
    ) -> Result<(Value, Vec<Path>, Vec<String>, Vec<u8>), Diagnostic> {
        let proposed = proposed_new(&schema.block, prior, config);
        let proposed = apply_ignore_changes(
            &schema.block,
            &res.lifecycle.ignore_changes,
            prior,
            proposed,
        );
        let (proposed_plain, _) = proposed.unmark_deep();
        let (config_plain, _) = config.unmark_deep();
        let prior_plain = prior.map(|p| p.unmark_deep().0);
        let resp = provider
            .plan(PlanRequest {
                type_name: &addr.resource.rtype,
                prior: prior_plain.as_ref(),
                proposed: &proposed_plain,
                config: &config_plain,
                prior_private,
            })
            .await
            .map_err(|e| error("Error planning resource", format!("{addr}: {e}")))?;
        let planned = match prior {
            Some(p) => crate::decode::carry_unmodeled(&schema.block, p, resp.planned),
            None => resp.planned,
        };
        let planned = remark(&schema.block, planned, &[config, &proposed]);
        let mut replace = resp.requires_replace;
        if let Some(p) = prior {
            for path in changed_force_new(&schema.block, p, &planned, schema.legacy_type_system) {
                if !replace.contains(&path) {
                    replace.push(path);
                }
            }
        }
        Ok((planned, replace, resp.notes, resp.private))
    }
}
