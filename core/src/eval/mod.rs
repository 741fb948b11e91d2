//! The expression evaluator: hcl-edit's AST in, a [`Value`] (with unknown and sensitive marks)
//! or a [`Diagnostic`] with the expression's span out. It never panics on user input.

mod access;
mod call;
pub mod functions;
pub mod heredoc;
pub mod refs;
pub mod typehint;

use crate::diag::{Diagnostic, FileId, SourceSpan};
use crate::value::{Map, Value};
pub use access::{get_attr, index, iter_pairs, to_string};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Directive, Element, Strip, Template};
use hcl_edit::Span;
pub use refs::Reference;
use std::ops::Range;
use std::path::Path;

/// Supplies the values of references. Implemented by the engine (plan/apply scopes) and by
/// narrower scopes such as `templatefile`'s variables.
pub trait Resolver: Sync {
    /// The value of `r`, or a message saying why it has none (undeclared, not available here).
    fn resolve(&self, r: &Reference) -> Result<Value, String>;

    /// Names bound directly in scope (templatefile variables). `None` means "not a name here".
    fn resolve_name(&self, _name: &str) -> Option<Value> {
        None
    }

    /// True while planning: `timestamp()` and `uuid()` are then "known after apply".
    fn impure_unknown(&self) -> bool {
        false
    }

    /// The text of a configuration file, where the resolver knows it: `<<-` heredocs are
    /// read from their source (see [`heredoc`]).
    fn source_text(&self, _file: FileId) -> Option<&str> {
        None
    }

    /// The full address (`HOST/NS/TYPE`) the module maps a provider local name to, for
    /// `provider::NAME::fn(...)` calls. `None`: ask the function table by type name.
    fn provider_source(&self, _local: &str) -> Option<String> {
        None
    }
}

/// A resolver with nothing in scope: for defaults and other constant expressions.
pub struct NoReferences;

impl Resolver for NoReferences {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        Err(format!("Variables may not be used here (found {r})."))
    }
}

pub struct Evaluator<'a> {
    pub resolver: &'a dyn Resolver,
    /// Directory that `file()` and `templatefile()` read relative to.
    pub base_dir: &'a Path,
    /// File the expressions come from, for spans in diagnostics.
    pub file: FileId,
}

type Scope = Vec<(String, Value)>;

fn err(summary: &str, detail: impl Into<String>, span: Option<SourceSpan>) -> Diagnostic {
    Diagnostic::error(summary, detail).at(span)
}

impl<'a> Evaluator<'a> {
    pub fn new(resolver: &'a dyn Resolver, base_dir: &'a Path, file: FileId) -> Self {
        Evaluator {
            resolver,
            base_dir,
            file,
        }
    }

    pub fn eval(&self, expr: &Expression) -> Result<Value, Diagnostic> {
        self.eval_in(expr, &mut Vec::new())
    }

    pub fn span(&self, range: Option<Range<usize>>) -> Option<SourceSpan> {
        range.map(|bytes| SourceSpan {
            file: self.file,
            bytes,
        })
    }

    fn eval_in(&self, expr: &Expression, scope: &mut Scope) -> Result<Value, Diagnostic> {
        let here = || self.span(expr.span());
        Ok(match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => Value::Number(n.value().as_f64().unwrap_or(f64::NAN)),
            Expression::String(s) => Value::string(s.value().as_str()),
            Expression::Array(a) => Value::list(
                a.iter()
                    .map(|e| self.eval_in(e, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::Object(o) => {
                let mut m = Map::new();
                let mut sensitive_key = false;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => Value::string(id.as_str()),
                        ObjectKey::Expression(Expression::Variable(id)) => {
                            Value::string(id.as_str())
                        }
                        ObjectKey::Expression(e) => self.eval_in(e, scope)?,
                    };
                    let (key, s) = key.unmark();
                    sensitive_key |= s;
                    if key.is_unknown() {
                        return Ok(Value::Unknown);
                    }
                    let key = to_string(key)
                        .map_err(|d| err("Invalid object key", d, self.span(k.span())))?;
                    m.insert(key, self.eval_in(v.expr(), scope)?);
                }
                Value::map(m).mark_if(sensitive_key)
            }
            Expression::StringTemplate(t) => self.template(t, scope)?,
            Expression::HeredocTemplate(h) => {
                let text = match (self.resolver.source_text(self.file), expr.span()) {
                    (Some(src), Some(r)) => src.get(r).unwrap_or_default().to_string(),
                    _ => expr.to_string(),
                };
                match heredoc::flush_body(&text) {
                    Some(raw) => {
                        let tmpl = hcl_edit::parser::parse_template(&heredoc::flush(raw)).map_err(
                            |e| {
                                err(
                                    "Invalid template",
                                    e.message().to_string(),
                                    self.span(expr.span()),
                                )
                            },
                        )?;
                        self.template(&tmpl, scope)?
                    }
                    None => self.template(&h.template, scope)?,
                }
            }
            Expression::Parenthesis(p) => self.eval_in(p.inner(), scope)?,
            Expression::Variable(v) => self.traverse_root(v.as_str(), &[], expr, scope)?,
            Expression::Conditional(c) => {
                let cond = self.eval_in(&c.cond_expr, scope)?;
                let (cv, sensitive) = cond.unmark();
                if cv.is_unknown() {
                    return Ok(Value::Unknown.mark_if(sensitive));
                }
                let b = match cv {
                    Value::Bool(b) => *b,
                    Value::String(s) if &**s == "true" || &**s == "false" => &**s == "true",
                    other => {
                        return Err(err(
                            "Incorrect condition type",
                            format!(
                                "The condition expression must be of type bool, not {}.",
                                other.type_name()
                            ),
                            self.span(c.cond_expr.span()),
                        ))
                    }
                };
                let (branch, other) = if b {
                    (&c.true_expr, &c.false_expr)
                } else {
                    (&c.false_expr, &c.true_expr)
                };
                let v = self.eval_in(branch, scope)?;
                // Both results share one type, as in HCL: `true ? 1 : "x"` is "1". The other
                // branch's errors are not this expression's errors.
                let kind = primitive_kind(&v).filter(|k| *k != "string");
                let v = match (kind, kind.and_then(|_| self.eval_in(other, scope).ok())) {
                    (Some(_), Some(o)) if primitive_kind(&o) == Some("string") => {
                        // Unified with the string branch: the chosen value becomes a string.
                        let mut both = crate::value::unify_primitives(vec![v, o]);
                        both.swap_remove(0)
                    }
                    _ => v,
                };
                v.mark_if(sensitive)
            }
            Expression::FuncCall(f) => self.call(f, scope, here())?,
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr {
                    self.traverse_root(v.as_str(), &t.operators, expr, scope)?
                } else {
                    let base = self.eval_in(&t.expr, scope)?;
                    self.apply_ops(base, &t.operators, scope)?
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.eval_in(&u.expr, scope)?;
                let (v, s) = v.unmark();
                if v.is_unknown() {
                    return Ok(Value::Unknown.mark_if(s));
                }
                let r = match u.operator.value() {
                    UnaryOperator::Neg => {
                        Value::Number(-self.number(v, here()).map_err(|d| hide_if(d, s))?)
                    }
                    UnaryOperator::Not => Value::Bool(!self.boolean(v, here())?),
                };
                r.mark_if(s)
            }
            Expression::BinaryOp(b) => self.binary(b, scope, here())?,
            Expression::ForExpr(f) => self.for_expr(f, scope, here())?,
        })
    }

    fn traverse_root(
        &self,
        root: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        whole: &Expression,
        scope: &mut Scope,
    ) -> Result<Value, Diagnostic> {
        if let Some((_, v)) = scope.iter().rev().find(|(n, _)| n == root) {
            let v = v.clone();
            return self.apply_ops(v, ops, scope);
        }
        if let Some(v) = self.resolver.resolve_name(root) {
            return self.apply_ops(v, ops, scope);
        }
        let (reference, used) = Reference::parse(root, ops)
            .map_err(|b| err("Invalid reference", b.message, self.span(whole.span())))?;
        let base = self.resolver.resolve(&reference).map_err(|m| {
            let summary = match &reference {
                Reference::Var(_) => "Reference to undeclared input variable",
                Reference::Local(_) => "Reference to undeclared local value",
                Reference::Resource(_) => "Reference to undeclared resource",
                _ => "Invalid reference",
            };
            err(summary, m, self.span(whole.span()))
        })?;
        self.apply_ops(base, &ops[used..], scope)
    }

    fn apply_ops(
        &self,
        mut v: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &mut Scope,
    ) -> Result<Value, Diagnostic> {
        for (i, op) in ops.iter().enumerate() {
            let span = self.span(op.span());
            match op.value() {
                TraversalOperator::GetAttr(name) => v = get_attr(&v, name.as_str(), span)?,
                TraversalOperator::Index(e) => {
                    let key = self.eval_in(e, scope)?;
                    v = index(&v, &key, span)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = index(&v, &Value::Number(*n.value() as f64), span)?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(op.value(), TraversalOperator::FullSplat(_));
                    let rest = &ops[i + 1..];
                    // An attribute-only splat applies only the attribute accesses that follow.
                    let n = if full {
                        rest.len()
                    } else {
                        rest.iter()
                            .take_while(|o| matches!(o.value(), TraversalOperator::GetAttr(_)))
                            .count()
                    };
                    let (inner, s) = v.unmark();
                    let items: Vec<Value> = match inner {
                        Value::Unknown => return Ok(Value::Unknown.mark_if(s)),
                        Value::Null => vec![],
                        Value::List(l) | Value::Set(l) => l.to_vec(),
                        other => vec![other.clone()],
                    };
                    let mapped = items
                        .into_iter()
                        .map(|item| self.apply_ops(item, &rest[..n], scope))
                        .collect::<Result<Vec<_>, _>>()?;
                    let result = Value::list(mapped).mark_if(s);
                    return self.apply_ops(result, &rest[n..], scope);
                }
            }
        }
        Ok(v)
    }

    fn template(&self, t: &Template, scope: &mut Scope) -> Result<Value, Diagnostic> {
        // A template that is a single interpolation yields the value itself, unconverted.
        if let Some(Element::Interpolation(i)) = t.as_single_element() {
            return self.eval_in(&i.expr, scope);
        }
        let mut out = String::new();
        let mut sensitive = false;
        let mut unknown = false;
        self.render_template(
            t,
            scope,
            &mut out,
            &mut sensitive,
            &mut unknown,
            (false, false),
        )?;
        if unknown {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        Ok(Value::string(out).mark_if(sensitive))
    }

    /// Renders template elements, honouring `~` strip markers. `edges` says whether the
    /// enclosing directive strips the start / end of this body.
    fn render_template(
        &self,
        t: &Template,
        scope: &mut Scope,
        out: &mut String,
        sensitive: &mut bool,
        unknown: &mut bool,
        edges: (bool, bool),
    ) -> Result<(), Diagnostic> {
        let els: Vec<&Element> = t.iter().collect();
        for (i, el) in els.iter().enumerate() {
            match el {
                Element::Literal(l) => {
                    let mut s: &str = l.value();
                    let strip_before = if i == 0 {
                        edges.0
                    } else {
                        strip_of(els[i - 1]).1
                    };
                    let strip_after = if i + 1 == els.len() {
                        edges.1
                    } else {
                        strip_of(els[i + 1]).0
                    };
                    if strip_before {
                        s = s.trim_start();
                    }
                    if strip_after {
                        s = s.trim_end();
                    }
                    out.push_str(s);
                }
                Element::Interpolation(ip) => {
                    let v = self.eval_in(&ip.expr, scope)?;
                    let (v, s) = v.unmark();
                    *sensitive |= s;
                    if !v.is_wholly_known() {
                        *unknown = true;
                        continue;
                    }
                    let text = to_string(v).map_err(|d| {
                        err(
                            "Invalid template interpolation value",
                            d,
                            self.span(ip.expr.span()),
                        )
                    })?;
                    out.push_str(&text);
                }
                Element::Directive(d) => match &**d {
                    Directive::If(ifd) => {
                        let c = self.eval_in(&ifd.if_expr.cond_expr, scope)?;
                        let (c, s) = c.unmark();
                        *sensitive |= s;
                        if c.is_unknown() {
                            *unknown = true;
                            continue;
                        }
                        let c = self.boolean(c, self.span(ifd.if_expr.cond_expr.span()))?;
                        let end_strip = ifd.endif_expr.strip.strip_start();
                        if c {
                            let tail = match &ifd.else_expr {
                                Some(e) => e.strip.strip_start(),
                                None => end_strip,
                            };
                            self.render_template(
                                &ifd.if_expr.template,
                                scope,
                                out,
                                sensitive,
                                unknown,
                                (ifd.if_expr.strip.strip_end(), tail),
                            )?;
                        } else if let Some(e) = &ifd.else_expr {
                            self.render_template(
                                &e.template,
                                scope,
                                out,
                                sensitive,
                                unknown,
                                (e.strip.strip_end(), end_strip),
                            )?;
                        }
                    }
                    Directive::For(fd) => {
                        let f = &fd.for_expr;
                        let coll = self.eval_in(&f.collection_expr, scope)?;
                        let (coll, s) = coll.unmark();
                        *sensitive |= s;
                        if coll.is_unknown() {
                            *unknown = true;
                            continue;
                        }
                        let pairs = iter_pairs(coll, self.span(f.collection_expr.span()))?;
                        let edges = (f.strip.strip_end(), fd.endfor_expr.strip.strip_start());
                        for (k, v) in pairs {
                            let n = scope.len();
                            if let Some(kv) = &f.key_var {
                                scope.push((kv.as_str().to_string(), k));
                            }
                            scope.push((f.value_var.as_str().to_string(), v));
                            let r = self.render_template(
                                &f.template,
                                scope,
                                out,
                                sensitive,
                                unknown,
                                edges,
                            );
                            scope.truncate(n);
                            r?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    fn binary(
        &self,
        b: &hcl_edit::expr::BinaryOp,
        scope: &mut Scope,
        span: Option<SourceSpan>,
    ) -> Result<Value, Diagnostic> {
        use BinaryOperator::*;
        let op = *b.operator.value();
        let l = self.eval_in(&b.lhs_expr, scope)?;
        let r = self.eval_in(&b.rhs_expr, scope)?;
        let (lv, ls) = l.unmark();
        let (rv, rs) = r.unmark();
        let sensitive = ls || rs;
        // Logic short-cuts on a known deciding operand, even when the other is unknown.
        match (op, lv, rv) {
            (And, Value::Bool(false), _) | (And, _, Value::Bool(false)) => {
                return Ok(Value::Bool(false).mark_if(sensitive))
            }
            (Or, Value::Bool(true), _) | (Or, _, Value::Bool(true)) => {
                return Ok(Value::Bool(true).mark_if(sensitive))
            }
            _ => {}
        }
        if matches!(op, Eq | NotEq) {
            if !lv.is_wholly_known() || !rv.is_wholly_known() {
                return Ok(Value::Unknown.mark_if(sensitive));
            }
            let same = lv.unmark_deep().0 == rv.unmark_deep().0;
            return Ok(Value::Bool(if op == Eq { same } else { !same }).mark_if(sensitive));
        }
        if lv.is_unknown() || rv.is_unknown() {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        let v = match op {
            And | Or => {
                let (x, y) = (
                    self.boolean(lv, span.clone())?,
                    self.boolean(rv, span.clone())?,
                );
                Value::Bool(if op == And { x && y } else { x || y })
            }
            _ => {
                let x = self
                    .number(lv, self.span(b.lhs_expr.span()))
                    .map_err(|d| hide_if(d, ls))?;
                let y = self
                    .number(rv, self.span(b.rhs_expr.span()))
                    .map_err(|d| hide_if(d, rs))?;
                match op {
                    Plus => Value::Number(crate::value::decimal_round(x + y)),
                    Minus => Value::Number(crate::value::decimal_round(x - y)),
                    Mul => Value::Number(x * y),
                    Div | Mod if y == 0.0 => {
                        return Err(err(
                            "Operation failed",
                            "Error during operation: can't divide by zero.",
                            span,
                        ))
                    }
                    Div => Value::Number(x / y),
                    Mod => Value::Number(x % y),
                    Less => Value::Bool(x < y),
                    LessEq => Value::Bool(x <= y),
                    Greater => Value::Bool(x > y),
                    GreaterEq => Value::Bool(x >= y),
                    Eq | NotEq | And | Or => unreachable!("handled above"),
                }
            }
        };
        Ok(v.mark_if(sensitive))
    }

    fn for_expr(
        &self,
        f: &hcl_edit::expr::ForExpr,
        scope: &mut Scope,
        span: Option<SourceSpan>,
    ) -> Result<Value, Diagnostic> {
        let coll = self.eval_in(&f.intro.collection_expr, scope)?;
        let (coll, sensitive) = coll.unmark();
        if coll.is_unknown() {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        let pairs = iter_pairs(coll, self.span(f.intro.collection_expr.span()))?;
        let mut list = Vec::new();
        let mut map = Map::new();
        let mut groups: Map = Map::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let n = scope.len();
            if let Some(kv) = &f.intro.key_var {
                scope.push((kv.as_str().to_string(), k));
            }
            scope.push((f.intro.value_var.as_str().to_string(), v));
            let r = (|| -> Result<(), Diagnostic> {
                if let Some(c) = &f.cond {
                    let cv = self.eval_in(&c.expr, scope)?;
                    if cv.is_unknown() {
                        unknown = true;
                        return Ok(());
                    }
                    if !self.boolean(cv.unmark().0, self.span(c.expr.span()))? {
                        return Ok(());
                    }
                }
                let value = self.eval_in(&f.value_expr, scope)?;
                match &f.key_expr {
                    None => list.push(value),
                    Some(ke) => {
                        let key = self.eval_in(ke, scope)?;
                        if key.is_unknown() {
                            unknown = true;
                            return Ok(());
                        }
                        let key = to_string(key.unmark().0)
                            .map_err(|d| err("Invalid object key", d, self.span(ke.span())))?;
                        if f.grouping {
                            let entry = groups.entry(key).or_insert_with(|| Value::list(vec![]));
                            if let Value::List(l) = entry {
                                std::sync::Arc::make_mut(l).push(value);
                            }
                        } else if map.insert(key.clone(), value).is_some() {
                            return Err(err(
                                "Duplicate object key",
                                format!("Two different items produced the key {key:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."),
                                span.clone(),
                            ));
                        }
                    }
                }
                Ok(())
            })();
            scope.truncate(n);
            r?;
        }
        if unknown {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        let v = match &f.key_expr {
            None => Value::list(list),
            Some(_) if f.grouping => Value::map(groups),
            Some(_) => Value::map(map),
        };
        Ok(v.mark_if(sensitive))
    }

    fn number(&self, v: &Value, span: Option<SourceSpan>) -> Result<f64, Diagnostic> {
        match v {
            Value::Number(n) => Ok(*n),
            Value::String(s) => s.trim().parse().map_err(|_| {
                err(
                    "Invalid operand",
                    format!(
                        "Unsuitable value for operand: a number is required, not the string {s:?}."
                    ),
                    span,
                )
            }),
            other => Err(err(
                "Invalid operand",
                format!(
                    "Unsuitable value for operand: a number is required, not {}.",
                    other.type_name()
                ),
                span,
            )),
        }
    }

    fn boolean(&self, v: &Value, span: Option<SourceSpan>) -> Result<bool, Diagnostic> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if &**s == "true" => Ok(true),
            Value::String(s) if &**s == "false" => Ok(false),
            other => Err(err(
                "Invalid operand",
                format!(
                    "Unsuitable value for operand: a bool is required, not {}.",
                    other.type_name()
                ),
                span,
            )),
        }
    }
}

/// An operand error about a sensitive value, without the value.
fn hide_if(mut d: Diagnostic, sensitive: bool) -> Diagnostic {
    if sensitive {
        d.detail = "Unsuitable value for operand: the value is sensitive, so it is not shown; a number is required.".into();
    }
    d
}

/// The strip markers of an element: (strips the literal before it, strips the literal after).
fn strip_of(el: &Element) -> (bool, bool) {
    let s: Strip = match el {
        Element::Literal(_) => return (false, false),
        Element::Interpolation(i) => i.strip,
        Element::Directive(d) => match &**d {
            Directive::If(i) => {
                return (
                    i.if_expr.strip.strip_start(),
                    i.endif_expr.strip.strip_end(),
                )
            }
            Directive::For(f) => {
                return (
                    f.for_expr.strip.strip_start(),
                    f.endfor_expr.strip.strip_end(),
                )
            }
        },
    };
    (s.strip_start(), s.strip_end())
}

/// "string", "number" or "bool" for a known primitive (marks looked through).
fn primitive_kind(v: &Value) -> Option<&'static str> {
    match v.unmark().0 {
        Value::String(_) => Some("string"),
        Value::Number(_) => Some("number"),
        Value::Bool(_) => Some("bool"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<String, Value>);
    impl Resolver for Vars {
        fn resolve(&self, r: &Reference) -> Result<Value, String> {
            match r {
                Reference::Var(n) => self.0.get(n).cloned().ok_or_else(|| format!("no var {n}")),
                _ => Err("nope".into()),
            }
        }
    }

    fn eval_with(src: &str, vars: &[(&str, Value)]) -> Result<Value, Diagnostic> {
        let r = Vars(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        );
        let e: Expression = src.parse().expect("parses");
        Evaluator::new(&r, Path::new("."), 0).eval(&e)
    }

    fn ev(src: &str) -> Value {
        eval_with(src, &[]).unwrap()
    }

    #[test]
    fn arithmetic_logic_and_templates() {
        assert_eq!(ev("1 + 2 * 3"), Value::Number(7.0));
        assert_eq!(ev("\"a-${1 + 1}\""), Value::string("a-2"));
        assert_eq!(ev("true && !false"), Value::Bool(true));
        assert_eq!(
            ev("[for x in [1,2,3] : x * 2 if x > 1]")
                .to_json()
                .to_string(),
            "[4,6]"
        );
        assert_eq!(
            ev("{for k, v in {a = 1, b = 2} : v => k}")
                .to_json()
                .to_string(),
            r#"{"1":"a","2":"b"}"#
        );
        assert_eq!(ev("[{a = 1}, {a = 2}][*].a").to_json().to_string(), "[1,2]");
        assert_eq!(
            ev("\"%{ for x in [\"a\", \"b\"] ~}\n${x}\n%{ endfor ~}\"").as_str(),
            Some("a\nb\n")
        );
        assert_eq!(
            ev("\"%{if 1 > 2}yes%{else}no%{endif}\"").as_str(),
            Some("no")
        );
    }

    #[test]
    fn division_by_zero_is_an_error_not_a_panic() {
        let e = eval_with("1 % 0", &[]).unwrap_err();
        assert!(e.detail.contains("divide by zero"));
        assert!(eval_with("1 / 0", &[]).is_err());
    }

    #[test]
    fn unknown_and_sensitive_propagate() {
        let vars = [
            ("u", Value::Unknown),
            ("s", Value::string("pw").mark_if(true)),
        ];
        assert!(eval_with("var.u + 1", &vars).unwrap().is_unknown());
        assert!(eval_with("\"x${var.u}\"", &vars).unwrap().is_unknown());
        assert!(eval_with("upper(var.s)", &vars).unwrap().is_sensitive());
        assert!(eval_with("\"p=${var.s}\"", &vars).unwrap().is_sensitive());
        assert!(eval_with("length([var.u, 1])", &vars).unwrap() == Value::Number(2.0));
        assert_eq!(
            eval_with("false && var.u", &vars).unwrap(),
            Value::Bool(false)
        );
    }

    #[test]
    fn errors_about_sensitive_values_do_not_quote_them() {
        let vars = [("s", Value::string("hunter2").mark_if(true))];
        for src in [
            "var.s + 1",
            "-var.s",
            "tonumber(var.s)",
            "{a = 1}[var.s]",
            "upper(var.s, 1)",
        ] {
            let e = eval_with(src, &vars).unwrap_err();
            assert!(!e.detail.contains("hunter2"), "{src}: {}", e.detail);
        }
    }

    #[test]
    fn try_and_can_are_lazy() {
        assert_eq!(
            ev("try({}.missing, \"fallback\")"),
            Value::string("fallback")
        );
        assert_eq!(ev("can([][3])"), Value::Bool(false));
        assert_eq!(ev("can([1][0])"), Value::Bool(true));
    }

    #[test]
    fn errors_carry_spans() {
        let e = eval_with("var.nope", &[]).unwrap_err();
        assert_eq!(e.summary, "Reference to undeclared input variable");
        assert_eq!(e.span.unwrap().bytes, 0..8);
    }
}
