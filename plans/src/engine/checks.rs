//! `check` blocks: assertions evaluated after planning (and again after apply), reported as
//! warnings, each with an optional data source scoped to the check.

use super::*;
use gantry_core::diag::Severity;

/// Adds a check's scoped data source to the module scope its assertions see.
struct WithScopedData<'a> {
    base: ModuleScope<'a>,
    data: Option<(&'a ResourceAddr, &'a Value)>,
}

impl Resolver for WithScopedData<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match (r, self.data) {
            (Reference::Resource(a), Some((d, v))) if a == d => Ok(v.clone()),
            _ => self.base.resolve(r),
        }
    }

    fn impure_unknown(&self) -> bool {
        self.base.impure_unknown()
    }

    fn source_text(&self, file: gantry_core::diag::FileId) -> Option<&str> {
        self.base.source_text(file)
    }

    fn provider_source(&self, local: &str) -> Option<String> {
        self.base.provider_source(local)
    }
}

fn as_warning(mut d: Diagnostic) -> Diagnostic {
    d.severity = Severity::Warning;
    d
}

impl Engine {
    /// Evaluates every `check` block of every module instance against `scope` (the values of
    /// a finished plan or apply walk). Every problem is a warning, as in Terraform.
    pub(crate) async fn run_checks(&self, scope: &Scope) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (m, info) in &self.tree.instances {
            for check in &info.config.checks {
                let data = match &check.data {
                    Some(d) => match self.read_check_data(m, d, scope).await {
                        Ok(Some(v)) => Some((&d.addr, v)),
                        Ok(None) => continue, // not readable until apply
                        Err(e) => {
                            out.push(as_warning(e));
                            continue;
                        }
                    },
                    None => None,
                };
                let resolver = WithScopedData {
                    base: scope.at(m),
                    data: data.as_ref().map(|(a, v)| (*a, v)),
                };
                for a in &check.asserts {
                    match crate::conditions::evaluate(a, &resolver, &scope.dir, "Check") {
                        Ok(crate::conditions::Outcome::Fail(d)) => out.push(*d),
                        Ok(_) => {}
                        Err(d) => out.push(as_warning(d)),
                    }
                }
            }
        }
        out
    }

    /// Reads a check's scoped data source; `None` while its configuration is unknown.
    pub(super) async fn read_check_data(
        &self,
        m: &ModuleInstance,
        d: &Resource,
        scope: &Scope,
    ) -> Result<Option<Value>, Diagnostic> {
        let block = d.addr.in_module(m);
        let (pname, alias) = self.provider_for(&block, d);
        let schema = self.schema(&block, &pname).ok_or_else(|| {
            error(
                "Invalid data source",
                format!("{block}: the provider {pname} has no such data source"),
            )
        })?;
        let provider = self.provider(&pname, alias.as_deref(), scope).await?;
        let at = scope.at(m);
        let ev = Evaluator::new(&at, &scope.dir, d.body.file);
        let config = decode_body(&ev, &d.body.body, &schema.block, d.span.clone())
            .map_err(|mut e| e.0.remove(0))?;
        if !config.is_wholly_known() {
            return Ok(None);
        }
        provider
            .read_data(&block.rtype, &config.unmark_deep().0)
            .await
            .map(Some)
            .map_err(|e| {
                error("Error reading data source", format!("{block}: {e}")).at(d.span.clone())
            })
    }
}
