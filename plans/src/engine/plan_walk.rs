//! Planning: the walk over the graph in dependency order, destroy plans, targeting,
//! objects whose configuration is gone, and prevent_destroy.

use super::*;

impl Engine {
    /// Resource blocks selected by `-target` (resources, instances, or module instances),
    /// with everything they depend on.
    pub(super) fn target_closure(
        &self,
        targets: &[String],
    ) -> Result<Option<Targets>, Diagnostics> {
        if targets.is_empty() {
            return Ok(None);
        }
        let mut blocks = HashSet::new();
        let mut instances = Vec::new();
        for t in targets {
            let selected: Vec<ResourceAddr> = if let Ok(a) = t.parse::<InstanceAddr>() {
                if a.key != InstanceKey::None {
                    instances.push(a.clone());
                }
                vec![a.resource]
            } else if let Ok(m) = t.parse::<ModuleInstance>() {
                self.graph
                    .index
                    .keys()
                    .filter_map(|n| match n {
                        Node::Resource(r) if r.module.is_within(&m) => Some(r.clone()),
                        _ => None,
                    })
                    .collect()
            } else {
                return Err(error(
                    "Invalid target address",
                    format!("{t:?} is not a resource, resource instance or module address."),
                )
                .into());
            };
            // Everything a target depends on, transitively, is planned with it.
            let mut stack = selected;
            while let Some(r) = stack.pop() {
                if blocks.contains(&r) {
                    continue;
                }
                stack.extend(self.graph.resource_dependencies(&Node::Resource(r.clone())));
                blocks.insert(r);
            }
        }
        Ok(Some((blocks, instances)))
    }

    /// `-exclude`: every resource block except the excluded ones and those depending on
    /// them (transitively), as a target set (combined with `-target` when both are given).
    fn apply_excludes(
        &self,
        targets: Option<Targets>,
        excludes: &[String],
    ) -> Result<Option<Targets>, Diagnostics> {
        if excludes.is_empty() {
            return Ok(targets);
        }
        let mut excluded: HashSet<ResourceAddr> = HashSet::new();
        for e in excludes {
            if let Ok(a) = e.parse::<InstanceAddr>() {
                excluded.insert(a.resource);
            } else if let Ok(m) = e.parse::<ModuleInstance>() {
                excluded.extend(self.graph.index.keys().filter_map(|n| match n {
                    Node::Resource(r) if r.module.is_within(&m) => Some(r.clone()),
                    _ => None,
                }));
            } else {
                return Err(error(
                    "Invalid exclude address",
                    format!("{e:?} is not a resource, resource instance or module address."),
                )
                .into());
            }
        }
        let all: Vec<ResourceAddr> = self
            .graph
            .index
            .keys()
            .filter_map(|n| match n {
                Node::Resource(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        let kept: HashSet<ResourceAddr> = all
            .into_iter()
            .filter(|r| {
                !excluded.contains(r)
                    && !self
                        .graph
                        .transitive_resource_dependencies(&Node::Resource(r.clone()))
                        .iter()
                        .any(|d| excluded.contains(d))
            })
            .collect();
        Ok(Some(match targets {
            Some((blocks, instances)) => (
                blocks.intersection(&kept).cloned().collect(),
                instances
                    .into_iter()
                    .filter(|i| kept.contains(&i.resource))
                    .collect(),
            ),
            None => (kept, Vec::new()),
        }))
    }

    /// Makes a plan against `state`.
    pub async fn plan(&self, state: &State, opts: &PlanOptions) -> Result<Plan, Diagnostics> {
        // `moved` blocks rename objects before anything reads them.
        let mut moved_state;
        let mut moves = Vec::new();
        let state = if opts.mode != PlanMode::Destroy && !self.config.moved.is_empty() {
            moved_state = state.clone();
            moves = self.apply_moves(&mut moved_state)?;
            self.move_across_types(&mut moved_state, &moves).await?;
            &moved_state
        } else {
            state
        };
        let (prior, drift) = if opts.refresh {
            self.refresh(state, opts.parallelism).await?
        } else {
            (state.clone(), Vec::new())
        };
        let mut plan = Plan {
            mode: opts.mode,
            changes: Vec::new(),
            drift,
            outputs: Vec::new(),
            variables: self.variables.clone(),
            prior_state: prior,
            state_serial: state.serial,
            config_digest: String::new(),
            timestamp: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            errored: false,
            configuration: crate::json::configuration_json(&self.config),
            relevant_attributes: serde_json::Value::Array(vec![]),
            targets: opts.targets.clone(),
            imports: Vec::new(),
            warnings: Vec::new(),
            moves,
            forgets: Vec::new(),
            dynamic_types: BTreeMap::new(),
            costs: BTreeMap::new(),
        };
        match opts.mode {
            PlanMode::RefreshOnly => {}
            PlanMode::Destroy => self.plan_destroy(&mut plan)?,
            PlanMode::Normal => self.plan_normal(&mut plan, opts).await?,
        }
        plan.changes.sort_by(|a, b| a.addr.cmp(&b.addr));
        self.price_changes(&mut plan).await?;
        self.check_capacity(&mut plan).await;
        plan.relevant_attributes = crate::json::relevant_attributes(&self.config, &plan);
        self.check_prevent_destroy(&plan)?;
        Ok(plan)
    }

    pub(super) fn plan_destroy(&self, plan: &mut Plan) -> Result<(), Diagnostics> {
        for (addr, inst) in &plan.prior_state.resources {
            if addr.resource.mode == Mode::Data {
                continue;
            }
            plan.changes.push(self.state_change(addr, inst, None));
        }
        for (name, o) in &plan.prior_state.outputs {
            plan.outputs.push(OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(o.value.clone()),
                after: None,
                sensitive: o.sensitive,
            });
        }
        Ok(())
    }

    pub(super) async fn plan_normal(
        &self,
        plan: &mut Plan,
        opts: &PlanOptions,
    ) -> Result<(), Diagnostics> {
        self.plan_imports(plan).await?;
        let targets = self.target_closure(&opts.targets)?;
        let targets = self.apply_excludes(targets, &opts.excludes)?;
        if targets.is_some() {
            plan.warnings.push(Diagnostic::warning(
                "Resource targeting is in effect",
                "You are creating a plan with the -target or -exclude option, which means that the result of this plan may not represent all of the changes requested by the current configuration.\n\nThe -target and -exclude options are not for routine use, and are provided only for exceptional situations such as recovering from errors or mistakes.",
            ));
        }
        let mut scope = self.new_scope(true);
        let mut diags = Diagnostics::default();
        // Blocks with pending changes, for data sources and replace_triggered_by.
        let mut changed_blocks: HashSet<ResourceAddr> = HashSet::new();
        for node in self.graph.order() {
            let m = node.module();
            let Some(cfg) = self.tree.config(m) else {
                continue;
            };
            match node {
                Node::Variable(m, n) => {
                    if m.is_root() {
                        continue; // set from -var & co. before planning
                    }
                    let v = scope.module_variable(m, n).unwrap_or_else(|d| {
                        diags.push(d);
                        Value::Unknown
                    });
                    scope.set_var(m, n, v);
                    self.validate_module_variable(&scope, m, n, &mut diags);
                }
                Node::Local(m, n) => {
                    let v = scope.eval_in(m, &cfg.locals[n].expr).unwrap_or_else(|d| {
                        diags.push(d);
                        Value::Unknown
                    });
                    scope.set_local(m, n, v);
                }
                Node::Resource(r) => {
                    let Some(res) = self.resource(r) else {
                        continue;
                    };
                    let included = targets
                        .as_ref()
                        .is_none_or(|(blocks, _)| blocks.contains(r));
                    if !included {
                        self.scope_from_state(&mut scope, r, res, &plan.prior_state);
                        continue;
                    }
                    match self
                        .plan_resource(r, res, &mut scope, plan, opts, &changed_blocks)
                        .await
                    {
                        Ok(changed) => {
                            if changed {
                                changed_blocks.insert(r.clone());
                            }
                        }
                        Err(d) => {
                            diags.extend(d);
                            scope.resources.insert(r.clone(), Value::Unknown);
                        }
                    }
                }
                Node::Output(m, n) => {
                    let o = &cfg.outputs[n];
                    // Under -target / -exclude, outputs that need an object left out of the
                    // plan are left out too, as Terraform prunes them from its graph.
                    if let Some((blocks, _)) = &targets {
                        let outside = self
                            .graph
                            .transitive_resource_dependencies(node)
                            .iter()
                            .any(|r| !blocks.contains(r));
                        if outside {
                            if !m.is_root() {
                                scope.set_output(m, n, Value::Unknown);
                            }
                            continue;
                        }
                    }
                    crate::conditions::check_all(
                        &o.preconditions,
                        gantry_core::config::ConditionKind::Precondition,
                        &scope.at(m),
                        &scope.dir,
                        "Module output value",
                        &mut diags,
                    );
                    let v = match scope.eval_in(m, &o.value) {
                        Ok(v) => v,
                        Err(d) => {
                            diags.push(d);
                            if !m.is_root() {
                                scope.set_output(m, n, Value::Unknown);
                            }
                            continue;
                        }
                    };
                    if !m.is_root() {
                        scope.set_output(m, n, v.mark_if(o.sensitive));
                        continue;
                    }
                    if v.contains_sensitive() && !o.sensitive {
                        diags.push(Diagnostic::error("Output refers to sensitive values", "To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, gantry requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent. If you do intend to export this data, annotate the output value as sensitive by adding the following argument:\n    sensitive = true").at(o.span.clone()));
                        continue;
                    }
                    let v = v.mark_if(o.sensitive);
                    let before = plan.prior_state.outputs.get(n).map(|x| x.value.clone());
                    let action = match &before {
                        None => Action::Create,
                        Some(b)
                            if b.unmark_deep().0 == v.unmark_deep().0 && v.is_wholly_known() =>
                        {
                            Action::NoOp
                        }
                        Some(_) => Action::Update,
                    };
                    plan.outputs.push(OutputChange {
                        name: n.clone(),
                        action,
                        before,
                        after: Some(v),
                        sensitive: o.sensitive,
                    });
                }
            }
        }
        if !diags.has_errors() {
            plan.warnings.extend(self.run_checks(&scope).await);
        }
        if targets.is_none() {
            for (name, o) in &plan.prior_state.outputs {
                if !self.config.outputs.contains_key(name) {
                    plan.outputs.push(OutputChange {
                        name: name.clone(),
                        action: Action::Delete,
                        before: Some(o.value.clone()),
                        after: None,
                        sensitive: o.sensitive,
                    });
                }
            }
        }
        // Objects whose resource block is gone from the configuration.
        for (addr, inst) in &plan.prior_state.resources {
            if self.resource(&addr.resource).is_some() || addr.resource.mode == Mode::Data {
                continue;
            }
            if let Some((blocks, _)) = &targets {
                if !blocks.contains(&addr.resource) {
                    continue;
                }
            }
            if self.forgotten(addr) {
                plan.forgets.push(addr.clone());
                continue;
            }
            let reason = if self.tree.instances.contains_key(&addr.resource.module) {
                Reason::DeleteBecauseNoResourceConfig
            } else {
                Reason::DeleteBecauseNoInstance
            };
            plan.changes.push(ResourceChange {
                reason: Some(reason),
                ..self.state_change(addr, inst, None)
            });
        }
        // Instance-level targets: drop changes to other instances of targeted blocks, unless
        // something targeted depends on them.
        if let Some((blocks, instances)) = &targets {
            if !instances.is_empty() {
                let explicit_blocks: HashSet<&ResourceAddr> =
                    instances.iter().map(|i| &i.resource).collect();
                plan.changes.retain(|c| {
                    !explicit_blocks.contains(&c.addr.resource)
                        || instances.contains(&c.addr)
                        || !blocks.contains(&c.addr.resource)
                });
            }
        }
        diags.into_result()
    }

    /// Puts a block's state values into scope without planning it (untargeted blocks).
    pub(super) fn scope_from_state(
        &self,
        scope: &mut Scope,
        block: &ResourceAddr,
        res: &Resource,
        state: &State,
    ) {
        let values: BTreeMap<InstanceKey, &Value> = state
            .instances_of(block)
            .map(|(a, i)| (a.key.clone(), &i.value))
            .collect();
        let exp = if res.count.is_some() {
            Expansion::Count(values.len())
        } else if res.for_each.is_some() {
            Expansion::ForEach(
                values
                    .keys()
                    .filter_map(|k| match k {
                        InstanceKey::Str(s) => Some((s.clone(), Value::Null)),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            Expansion::Single
        };
        scope
            .resources
            .insert(block.clone(), exp.aggregate(|k| values.get(k).copied()));
    }

    /// Runs a child module variable's `validation` blocks against its value.
    pub(super) fn validate_module_variable(
        &self,
        scope: &Scope,
        m: &ModuleInstance,
        n: &str,
        diags: &mut Diagnostics,
    ) {
        let Some(var) = self.tree.config(m).and_then(|c| c.variables.get(n)) else {
            return;
        };
        for val in &var.validations {
            let cond = gantry_core::config::Condition {
                kind: gantry_core::config::ConditionKind::Precondition,
                condition: val.condition.clone(),
                error_message: val.error_message.clone(),
                span: None,
            };
            match crate::conditions::evaluate(&cond, &scope.at(m), &scope.dir, "Variable") {
                Ok(crate::conditions::Outcome::Fail(d)) => diags.push(
                    Diagnostic::error(
                        "Invalid value for variable",
                        format!(
                            "{}\n\nThis was checked by the validation rule at {}.",
                            d.detail,
                            val.condition
                                .span()
                                .map(|s| self.config.sources.location(&s))
                                .unwrap_or_default()
                        ),
                    )
                    .at(val.condition.span()),
                ),
                Ok(_) => {}
                Err(d) => diags.push(d),
            }
        }
    }

    /// `prevent_destroy`: a plan that would destroy such an object is an error.
    pub(super) fn check_prevent_destroy(&self, plan: &Plan) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::default();
        for c in &plan.changes {
            if !c.action.deletes() {
                continue;
            }
            if let Some(res) = self.resource(&c.addr.resource) {
                if res.lifecycle.prevent_destroy {
                    diags.push(
                        Diagnostic::error(
                            "Instance cannot be destroyed",
                            format!("Resource {} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target option.", c.addr),
                        )
                        .at(prevent_destroy_span(res)),
                    );
                }
            }
        }
        diags.into_result()
    }
}

/// The span of `prevent_destroy = true`, falling back to the resource block.
fn prevent_destroy_span(res: &Resource) -> Option<SourceSpan> {
    res.span.clone()
}
