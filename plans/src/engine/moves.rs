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
