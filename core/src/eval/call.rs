//! Function calls: built-in functions (`functions`), the lazy `try` and `can`, and
//! provider-defined functions (`provider::NAME::fn`, see `crate::provider_functions`).

use super::{err, functions, Evaluator, Scope};
use crate::diag::{Diagnostic, SourceSpan};
use crate::value::Value;
use hcl_edit::expr::Expression;

impl Evaluator<'_> {
    pub(super) fn call(
        &self,
        f: &hcl_edit::expr::FuncCall,
        scope: &mut Scope,
        span: Option<SourceSpan>,
    ) -> Result<Value, Diagnostic> {
        if !f.name.namespace.is_empty() {
            return self.provider_call(f, scope, span);
        }
        let name = f.name.name.as_str();
        let args: Vec<&Expression> = f.args.iter().collect();
        // `try` and `can` look at errors, so they get their arguments unevaluated.
        match name {
            "try" => {
                let mut last = None;
                for a in &args {
                    match self.eval_in(a, scope) {
                        Ok(v) => return Ok(v),
                        Err(d) => last = Some(d),
                    }
                }
                return Err(err(
                    "Error in function call",
                    format!(
                        "Call to function \"try\" failed: no expression succeeded{}",
                        last.map(|d| format!(": {}", d.detail)).unwrap_or_default()
                    ),
                    span,
                ));
            }
            "can" => {
                if args.len() != 1 {
                    return Err(err(
                        "Invalid function call",
                        "can takes exactly one argument",
                        span,
                    ));
                }
                return Ok(match self.eval_in(args[0], scope) {
                    Ok(v) if !v.is_wholly_known() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let Some(values) = self.arguments(f, scope, span.clone())? else {
            return Ok(Value::Unknown);
        };
        functions::call(name, values, self).map_err(|m| {
            err(
                "Error in function call",
                format!("Call to function {name:?} failed: {m}"),
                span,
            )
        })
    }

    /// The evaluated arguments of a call, a final `...` argument expanded; `None` when that
    /// argument is unknown (so is the call's result).
    fn arguments(
        &self,
        f: &hcl_edit::expr::FuncCall,
        scope: &mut Scope,
        span: Option<SourceSpan>,
    ) -> Result<Option<Vec<Value>>, Diagnostic> {
        let mut values = f
            .args
            .iter()
            .map(|a| self.eval_in(a, scope))
            .collect::<Result<Vec<_>, _>>()?;
        if f.args.expand_final() {
            if let Some(last) = values.pop() {
                match last.unmark().0 {
                    Value::List(l) | Value::Set(l) => values.extend(l.iter().cloned()),
                    Value::Unknown => return Ok(None),
                    other => {
                        return Err(err(
                            "Invalid expanding argument value",
                            format!("The expanding argument (indicated by ...) must be of a tuple, list, or set type, not {}.", other.type_name()),
                            span,
                        ))
                    }
                }
            }
        }
        Ok(Some(values))
    }

    /// `provider::NAME::FUNCTION(...)`: a function a provider declares.
    fn provider_call(
        &self,
        f: &hcl_edit::expr::FuncCall,
        scope: &mut Scope,
        span: Option<SourceSpan>,
    ) -> Result<Value, Diagnostic> {
        let ns: Vec<&str> = f.name.namespace.iter().map(|i| i.as_str()).collect();
        let name = f.name.name.as_str();
        let [kind, local] = ns.as_slice() else {
            return Err(err(
                "Call to unknown function",
                format!("There is no function named \"{}::{name}\".", ns.join("::")),
                span,
            ));
        };
        if *kind != "provider" {
            return Err(err(
                "Call to unknown function",
                format!("There is no function namespace \"{kind}::\"; provider functions are called as provider::NAME::{name}."),
                span,
            ));
        }
        let Some(values) = self.arguments(f, scope, span.clone())? else {
            return Ok(Value::Unknown);
        };
        let addr = self.resolver.provider_source(local);
        crate::provider_functions::call(addr.as_deref(), local, name, values).map_err(|m| {
            err(
                "Error in function call",
                format!("Call to function \"provider::{local}::{name}\" failed: {m}"),
                span,
            )
        })
    }
}
