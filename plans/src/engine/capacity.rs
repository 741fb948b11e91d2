//! Capacity at plan time: for every object the plan creates or changes, its provider says
//! whether the cloud offers what it asks for where it asks (a GPU type in a zone); each
//! "no" is a plan warning naming the object, with where it is offered instead.

use super::costs::ProviderCache;
use super::Engine;
use crate::plan::{Action, Plan};
use gantry_core::diag::Diagnostic;

impl Engine {
    pub(super) async fn check_capacity(&self, plan: &mut Plan) {
        let scope = self.new_scope(true);
        let mut providers = ProviderCache::new();
        let mut warnings = Vec::new();
        for c in &plan.changes {
            if !matches!(c.action, Action::Create | Action::Update) && !c.action.is_replace() {
                continue;
            }
            let Some(after) = &c.after else { continue };
            let Some(p) = providers.get(self, &scope, c).await else {
                continue;
            };
            // A warning names the type and zone it is about: never one that is secret.
            let secret = crate::cost::secrets(after);
            for msg in p.capacity(&c.addr.resource.rtype, after).await {
                if secret.iter().any(|s| msg.contains(s.as_str())) {
                    continue;
                }
                warnings.push(Diagnostic::warning(
                    "Capacity not offered",
                    format!("{}: {msg}", c.addr),
                ));
            }
        }
        plan.warnings.extend(warnings);
    }
}
