//! `console`: expressions evaluated against the configuration and the current state, as
//! Terraform's console evaluates them (objects as state records them; unknown where the
//! configuration depends on something not applied yet).

use super::*;
use gantry_core::diag::{SourceFile, Sources};

impl Engine {
    /// Variables, locals, module outputs and every resource block as state holds them.
    pub fn state_scope(&self, state: &State) -> Scope {
        let mut scope = self.static_scope(false);
        let mut blocks: BTreeMap<ResourceAddr, BTreeMap<InstanceKey, Value>> = BTreeMap::new();
        for (a, inst) in &state.resources {
            blocks
                .entry(a.resource.clone())
                .or_default()
                .insert(a.key.clone(), inst.value.clone());
        }
        for (r, instances) in blocks {
            let whole = match instances.keys().next() {
                Some(InstanceKey::Int(_)) => Value::list(instances.into_values().collect()),
                Some(InstanceKey::Str(_)) => Value::map(
                    instances
                        .into_iter()
                        .map(|(k, v)| (k.to_string().trim_matches(['[', ']', '"']).to_string(), v))
                        .collect(),
                ),
                _ => instances.into_values().next().unwrap_or(Value::Null),
            };
            scope.resources.insert(r, whole);
        }
        // Locals, module variables and outputs, now that resources have values; what still
        // fails to evaluate is left out (unknown to the console).
        self.settle_values(&mut scope, true, |_| false);
        scope
    }

    /// Evaluates one expression typed at the console (`line`) in `scope`. Errors come with
    /// the sources they point into (the configuration's, plus `<console>`).
    pub fn console_eval(&self, scope: &Scope, line: &str) -> Result<Value, (Sources, Diagnostics)> {
        let mut sources: Sources = self.config.sources.clone();
        let text = format!("value = {line}\n");
        let file = sources.add(SourceFile::new("<console>", text.as_str()));
        let invalid = |m: String| Diagnostics::from(Diagnostic::error("Invalid expression", m));
        let body = match hcl_edit::parser::parse_body(&text) {
            Ok(b) => b,
            Err(e) => return Err((sources, invalid(e.message().to_string()))),
        };
        let Some(attr) = body.get_attribute("value") else {
            return Err((sources, invalid("expected one expression".into())));
        };
        let expr = gantry_core::config::Expr {
            file,
            expr: attr.value.clone(),
        };
        scope.eval(&expr).map_err(|d| (sources, d.into()))
    }
}
