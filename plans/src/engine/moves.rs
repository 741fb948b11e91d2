//! `moved` and `removed` blocks: refactoring without destroying. Moves rename objects in
//! state before refresh and planning; removed blocks with `destroy = false` forget objects
//! whose configuration is gone instead of destroying them.

use super::*;

/// What a `moved` or `removed` address names.
enum Target {
    /// A whole resource block (every instance, keys kept).
    Resource(ResourceAddr),
    /// One instance.
    Instance(InstanceAddr),
    /// Every object in a module instance (or in every instance of a call).
    Module(ModuleInstance),
}

fn target(text: &str) -> Option<Target> {
    if let Ok(a) = text.parse::<InstanceAddr>() {
        return Some(if text.ends_with(']') {
            Target::Instance(a)
        } else {
            Target::Resource(a.resource)
        });
    }
    text.parse::<ModuleInstance>().ok().map(Target::Module)
}

/// `module` with its leading `from` steps replaced by `to`.
fn rebase(module: &ModuleInstance, from: &ModuleInstance, to: &ModuleInstance) -> ModuleInstance {
    let mut m = to.clone();
    for (name, key) in &module.steps()[from.steps().len()..] {
        m = m.child(name, key.clone());
    }
    m
}

impl Engine {
    /// Renames objects in `state` as the root module's `moved` blocks say, in order. A move
    /// whose destination already holds objects is an error (Terraform's rule); one whose
    /// source is empty does nothing. Returns (from, to) of every object moved.
    pub(super) fn apply_moves(
        &self,
        state: &mut State,
    ) -> Result<Vec<(InstanceAddr, InstanceAddr)>, Diagnostics> {
        let mut moves = Vec::new();
        for m in &self.config.moved {
            let (Some(from), Some(to)) = (target(&m.from), target(&m.to)) else {
                continue;
            };
            let pairs: Vec<(InstanceAddr, InstanceAddr)> = state
                .resources
                .keys()
                .filter_map(|a| {
                    let new = match (&from, &to) {
                        (Target::Resource(f), Target::Resource(t)) if a.resource == *f => {
                            t.instance(a.key.clone())
                        }
                        (Target::Instance(f), Target::Instance(t)) if a == f => t.clone(),
                        (Target::Instance(f), Target::Resource(t))
                            if a == f && f.resource != *t =>
                        {
                            t.instance(InstanceKey::None)
                        }
                        (Target::Resource(f), Target::Instance(t))
                            if a.resource == *f && a.key == InstanceKey::None =>
                        {
                            t.clone()
                        }
                        (Target::Module(f), Target::Module(t))
                            if a.resource.module.is_within(f)
                                && f.steps().len() <= a.resource.module.steps().len() =>
                        {
                            a.resource
                                .in_module(&rebase(&a.resource.module, f, t))
                                .instance(a.key.clone())
                        }
                        _ => return None,
                    };
                    (new != *a).then(|| (a.clone(), new))
                })
                .collect();
            for (old, new) in pairs {
                if state.resources.contains_key(&new) {
                    return Err(Diagnostic::error(
                        "Moved object still exists",
                        format!("This statement declares a move from {old} to {new}, but an object already exists at {new}. Remove the moved block, or remove the object at the new address from state first."),
                    )
                    .at(m.span.clone())
                    .into());
                }
                if let Some(inst) = state.resources.remove(&old) {
                    state.resources.insert(new.clone(), inst);
                    moves.push((old, new));
                }
            }
        }
        Ok(moves)
    }

    /// Objects a `moved` block took to another resource type are converted by the target
    /// type's provider (MoveResourceState), as Terraform 1.8+ does; a provider that cannot
    /// is an error naming both types.
    pub(super) async fn move_across_types(
        &self,
        state: &mut State,
        moves: &[(InstanceAddr, InstanceAddr)],
    ) -> Result<(), Diagnostics> {
        let crossing: Vec<_> = moves
            .iter()
            .filter(|(old, new)| old.resource.rtype != new.resource.rtype)
            .collect();
        if crossing.is_empty() {
            return Ok(());
        }
        let scope = self.static_scope(true);
        for (old, new) in crossing {
            let Some(inst) = state.resources.get(new).cloned() else {
                continue;
            };
            let (name, alias) = self.provider_of(&new.resource, &inst);
            let provider = self
                .provider(&name, alias.as_deref(), &scope)
                .await
                .map_err(Diagnostics::from)?;
            // `provider["HOST/NS/TYPE"]` → `HOST/NS/TYPE`
            let source_provider = inst.provider.split('"').nth(1).unwrap_or_default();
            let moved = provider
                .move_state(gantry_core::provider::MoveRequest {
                    source_provider,
                    source_type: &old.resource.rtype,
                    source_schema_version: inst.schema_version,
                    source: &inst.value,
                    source_private: &inst.private,
                    target_type: &new.resource.rtype,
                })
                .await
                .map_err(|e| {
                    Diagnostics::from(error(
                        "Failed to move resource state",
                        format!("{old} → {new}: {e}"),
                    ))
                })?;
            let Some((value, private)) = moved else {
                return Err(error(
                    "Unsupported `moved` across resource types",
                    format!("The provider for {new} cannot move objects from resource type {} to {} (it does not declare the move_resource_state capability); move the object with `gantry state rm` and `gantry import` instead.", old.resource.rtype, new.resource.rtype),
                )
                .into());
            };
            let schema = self.schema(&new.resource, &name);
            let r = state.resources.get_mut(new).expect("read above");
            r.value = match schema {
                Some(s) => remark(&s.block, value, &[]),
                None => value,
            };
            r.private = private;
            r.schema_version = schema.map(|s| s.version).unwrap_or(0);
            r.provider = self.provider_addr(&name, alias.as_deref());
        }
        Ok(())
    }

    /// True when a root `removed` block with `destroy = false` covers `addr`.
    pub(super) fn forgotten(&self, addr: &InstanceAddr) -> bool {
        self.config.removed.iter().any(|r| {
            !r.destroy
                && match target(&r.from) {
                    Some(Target::Resource(res)) => addr.resource == res,
                    Some(Target::Instance(i)) => *addr == i,
                    Some(Target::Module(m)) => addr.resource.module.is_within(&m),
                    None => false,
                }
        })
    }
}
