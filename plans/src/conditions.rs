//! Custom conditions: `precondition` / `postcondition` in `lifecycle`, output
//! `precondition`, and `check` block `assert`s. Each is evaluated where Terraform evaluates
//! it; a false condition becomes an error (a warning for `check`) at the condition with its
//! `error_message`.

use gantry_core::config::{Condition, ConditionKind};
use gantry_core::diag::Diagnostic;
use gantry_core::eval::{Evaluator, Reference, Resolver};
use gantry_core::value::Value;
use std::path::Path;

/// Adds `self` (the object as planned or applied) to another resolver.
pub struct WithSelf<'a> {
    pub base: &'a dyn Resolver,
    pub value: &'a Value,
}

impl Resolver for WithSelf<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match r {
            Reference::SelfObject => Ok(self.value.clone()),
            other => self.base.resolve(other),
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

/// What a condition says.
#[derive(Debug)]
pub enum Outcome {
    Pass,
    /// Not decidable yet (depends on values known only after apply).
    Unknown,
    /// Failed: the diagnostic to report.
    Fail(Box<Diagnostic>),
}

fn summary(kind: ConditionKind, what: &str) -> String {
    match kind {
        ConditionKind::Precondition => format!("{what} precondition failed"),
        ConditionKind::Postcondition => format!("{what} postcondition failed"),
        ConditionKind::Assert => "Check block assertion failed".to_string(),
    }
}

/// A condition's `error_message`, evaluated; a message built from a sensitive value does not
/// reveal it. `None` when it cannot be evaluated to a string.
pub fn error_message(
    e: &gantry_core::config::Expr,
    resolver: &dyn Resolver,
    dir: &Path,
) -> Option<String> {
    let m = Evaluator::new(resolver, dir, e.file).eval(&e.expr).ok()?;
    if m.contains_sensitive() {
        Some("(error message refers to sensitive values)".to_string())
    } else {
        m.as_str().map(String::from)
    }
}

/// Evaluates one condition. `what` names the object kind for the message ("Resource",
/// "Module output value"). Errors in the condition itself are errors, even for checks.
pub fn evaluate(
    cond: &Condition,
    resolver: &dyn Resolver,
    dir: &Path,
    what: &str,
) -> Result<Outcome, Diagnostic> {
    let v = Evaluator::new(resolver, dir, cond.condition.file).eval(&cond.condition.expr)?;
    if !v.is_wholly_known() {
        return Ok(Outcome::Unknown);
    }
    let ok = match v.unmark_deep().0 {
        Value::Bool(b) => b,
        Value::String(s) if s.as_ref() == "true" || s.as_ref() == "false" => s.as_ref() == "true",
        Value::Null => {
            return Err(Diagnostic::error(
                "Invalid condition result",
                "Condition expression must return either true or false, not null.",
            )
            .at(cond.condition.span()))
        }
        _ => {
            return Err(Diagnostic::error(
                "Invalid condition result",
                "Invalid condition result value: a bool is required.",
            )
            .at(cond.condition.span()))
        }
    };
    if ok {
        return Ok(Outcome::Pass);
    }
    let message = error_message(&cond.error_message, resolver, dir)
        .unwrap_or_else(|| "The condition is false.".into());
    let summary = summary(cond.kind, what);
    let d = match cond.kind {
        ConditionKind::Assert => Diagnostic::warning(summary, message),
        _ => Diagnostic::error(summary, message),
    };
    Ok(Outcome::Fail(Box::new(d.at(cond.condition.span()))))
}

/// Evaluates every condition of `kind` in `conds`; failures (and errors) are collected.
pub fn check_all(
    conds: &[Condition],
    kind: ConditionKind,
    resolver: &dyn Resolver,
    dir: &Path,
    what: &str,
    out: &mut gantry_core::diag::Diagnostics,
) {
    for c in conds.iter().filter(|c| c.kind == kind) {
        match evaluate(c, resolver, dir, what) {
            Ok(Outcome::Fail(d)) => out.push(*d),
            Ok(_) => {}
            Err(d) => out.push(d),
        }
    }
}

/// [`check_all`] where the first failure (or error) stops the operation.
pub fn require_all(
    conds: &[Condition],
    kind: ConditionKind,
    resolver: &dyn Resolver,
    dir: &Path,
    what: &str,
) -> Result<(), Diagnostic> {
    let mut failed = gantry_core::diag::Diagnostics::default();
    check_all(conds, kind, resolver, dir, what, &mut failed);
    match failed.0.into_iter().next() {
        Some(d) => Err(d),
        None => Ok(()),
    }
}
