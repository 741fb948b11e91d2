//! References from expressions to named objects (`var.x`, `local.y`, `aws_s3_bucket.b`, ...).
//!
//! The graph builder uses [`references`] to find edges; the evaluator uses [`Reference::parse`]
//! to resolve traversals.

use crate::addr::ResourceAddr;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;
use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    Var(String),
    Local(String),
    Resource(ResourceAddr),
    /// `module.NAME` (the whole call) or `module.NAME.OUTPUT` (one output of an unexpanded
    /// call).
    Module(String, Option<String>),
    /// `self` in a postcondition: the object as planned or applied.
    SelfObject,
    CountIndex,
    EachKey,
    EachValue,
    PathModule,
    PathRoot,
    PathCwd,
    TerraformWorkspace,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Var(n) => write!(f, "var.{n}"),
            Reference::Local(n) => write!(f, "local.{n}"),
            Reference::Resource(a) => write!(f, "{a}"),
            Reference::Module(m, None) => write!(f, "module.{m}"),
            Reference::Module(m, Some(o)) => write!(f, "module.{m}.{o}"),
            Reference::SelfObject => f.write_str("self"),
            Reference::CountIndex => f.write_str("count.index"),
            Reference::EachKey => f.write_str("each.key"),
            Reference::EachValue => f.write_str("each.value"),
            Reference::PathModule => f.write_str("path.module"),
            Reference::PathRoot => f.write_str("path.root"),
            Reference::PathCwd => f.write_str("path.cwd"),
            Reference::TerraformWorkspace => f.write_str("terraform.workspace"),
        }
    }
}

/// Why a traversal is not a valid reference.
#[derive(Clone, Debug)]
pub struct BadReference {
    pub message: String,
}

impl Reference {
    /// Parses the start of a traversal: the reference and how many operators it used. Names
    /// bound by `for` expressions must be resolved by the caller before calling this.
    pub fn parse(
        root: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Result<(Reference, usize), BadReference> {
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i).map(|o| o.value()) {
                Some(TraversalOperator::GetAttr(id)) => Some(id.as_str()),
                _ => None,
            }
        };
        let need = |i: usize, what: &str| {
            attr(i).ok_or_else(|| BadReference {
                message: format!(
                    "The {root:?} object must be followed by an attribute naming {what}."
                ),
            })
        };
        let r = match root {
            "var" => (Reference::Var(need(0, "a variable")?.to_string()), 1),
            "local" => (Reference::Local(need(0, "a local value")?.to_string()), 1),
            "count" => match need(0, "index")? {
                "index" => (Reference::CountIndex, 1),
                other => return Err(bad(format!("count has no attribute {other:?}; only count.index"))),
            },
            "each" => match need(0, "key or value")? {
                "key" => (Reference::EachKey, 1),
                "value" => (Reference::EachValue, 1),
                other => return Err(bad(format!("each has no attribute {other:?}; use each.key or each.value"))),
            },
            "path" => match need(0, "module, root or cwd")? {
                "module" => (Reference::PathModule, 1),
                "root" => (Reference::PathRoot, 1),
                "cwd" => (Reference::PathCwd, 1),
                other => return Err(bad(format!("path has no attribute {other:?}"))),
            },
            "terraform" => match need(0, "workspace")? {
                "workspace" => (Reference::TerraformWorkspace, 1),
                other => return Err(bad(format!("terraform has no attribute {other:?}"))),
            },
            "data" => {
                let t = need(0, "a data source type")?;
                let n = need(1, "a data source name")?;
                (Reference::Resource(ResourceAddr::data(t, n)), 2)
            }
            "module" => {
                let m = need(0, "a module call")?.to_string();
                match attr(1) {
                    Some(o) => (Reference::Module(m, Some(o.to_string())), 2),
                    None => (Reference::Module(m, None), 1),
                }
            }
            "self" => (Reference::SelfObject, 0),
            t => match attr(0) {
                Some(n) => (Reference::Resource(ResourceAddr::managed(t, n)), 1),
                None if t.contains('_') => {
                    return Err(bad(format!(
                        "A reference to a resource type must be followed by at least one attribute access, specifying the resource name: {t}.NAME"
                    )))
                }
                None => return Err(bad(format!("There is no variable named {root:?}."))),
            },
        };
        Ok(r)
    }
}

fn bad(message: String) -> BadReference {
    BadReference { message }
}

/// A reference found in an expression, with the byte range of its traversal.
#[derive(Clone, Debug)]
pub struct FoundRef {
    pub reference: Result<Reference, BadReference>,
    pub bytes: Range<usize>,
}

/// Every reference in `expr`, skipping names bound by `for` expressions and directives.
pub fn references(expr: &Expression) -> Vec<FoundRef> {
    references_bound(expr, &[])
}

/// Every reference in `expr` except to the names in `bound` (iterators of enclosing
/// `dynamic` blocks).
pub fn references_bound(expr: &Expression, bound: &[String]) -> Vec<FoundRef> {
    let mut out = Vec::new();
    let mut bound = bound.to_vec();
    walk(expr, &mut bound, &mut out);
    out
}

/// The iterator name of a `dynamic` block: its `iterator` argument, or its label.
pub fn dynamic_iterator(b: &hcl_edit::structure::Block) -> Option<String> {
    match b.body.get_attribute("iterator").map(|a| &a.value) {
        Some(Expression::Variable(v)) => Some(v.as_str().to_string()),
        Some(_) => None,
        None => b.labels.first().map(|l| l.as_str().to_string()),
    }
}

/// Every reference in a block body, nested blocks included, with `dynamic` blocks' iterators
/// bound inside their `content` (and not in their own `for_each`).
pub fn body_references(body: &hcl_edit::structure::Body) -> Vec<FoundRef> {
    fn walk_body(
        body: &hcl_edit::structure::Body,
        bound: &mut Vec<String>,
        out: &mut Vec<FoundRef>,
    ) {
        use hcl_edit::structure::Structure;
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => out.extend(references_bound(&a.value, bound)),
                Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                    for a in b.body.attributes() {
                        if matches!(a.key.as_str(), "for_each" | "labels") {
                            out.extend(references_bound(&a.value, bound));
                        }
                    }
                    let iterator = dynamic_iterator(b).unwrap_or_default();
                    bound.push(iterator);
                    for c in b.body.blocks().filter(|c| c.ident.as_str() == "content") {
                        walk_body(&c.body, bound, out);
                    }
                    bound.pop();
                }
                Structure::Block(b) => walk_body(&b.body, bound, out),
            }
        }
    }
    let mut out = Vec::new();
    walk_body(body, &mut Vec::new(), &mut out);
    out
}

fn walk(expr: &Expression, bound: &mut Vec<String>, out: &mut Vec<FoundRef>) {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => {}
        Expression::Array(a) => a.iter().for_each(|e| walk(e, bound, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let hcl_edit::expr::ObjectKey::Expression(ke) = k {
                    // A bare identifier as an object key is a literal name, not a reference.
                    if !matches!(ke, Expression::Variable(_)) {
                        walk(ke, bound, out);
                    }
                }
                walk(v.expr(), bound, out);
            }
        }
        Expression::StringTemplate(t) => walk_template(t, bound, out),
        Expression::HeredocTemplate(h) => walk_template(&h.template, bound, out),
        Expression::Parenthesis(p) => walk(p.inner(), bound, out),
        Expression::Variable(v) => root_ref(v.as_str(), &[], expr.span(), bound, out),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, bound, out);
            walk(&c.true_expr, bound, out);
            walk(&c.false_expr, bound, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| walk(e, bound, out)),
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                root_ref(v.as_str(), &t.operators, t.span(), bound, out);
            } else {
                walk(&t.expr, bound, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op.value() {
                    walk(e, bound, out);
                }
            }
        }
        Expression::UnaryOp(u) => walk(&u.expr, bound, out),
        Expression::BinaryOp(b) => {
            walk(&b.lhs_expr, bound, out);
            walk(&b.rhs_expr, bound, out);
        }
        Expression::ForExpr(f) => {
            walk(&f.intro.collection_expr, bound, out);
            let n = bound.len();
            if let Some(k) = &f.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            bound.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.key_expr {
                walk(k, bound, out);
            }
            walk(&f.value_expr, bound, out);
            if let Some(c) = &f.cond {
                walk(&c.expr, bound, out);
            }
            bound.truncate(n);
        }
    }
}

fn walk_template(t: &Template, bound: &mut Vec<String>, out: &mut Vec<FoundRef>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&i.expr, bound, out),
            Element::Directive(d) => match &**d {
                Directive::If(i) => {
                    walk(&i.if_expr.cond_expr, bound, out);
                    walk_template(&i.if_expr.template, bound, out);
                    if let Some(e) = &i.else_expr {
                        walk_template(&e.template, bound, out);
                    }
                }
                Directive::For(f) => {
                    // hcl-edit's own visitor skips this collection; we must not.
                    walk(&f.for_expr.collection_expr, bound, out);
                    let n = bound.len();
                    if let Some(k) = &f.for_expr.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    bound.push(f.for_expr.value_var.as_str().to_string());
                    walk_template(&f.for_expr.template, bound, out);
                    bound.truncate(n);
                }
            },
        }
    }
}

fn root_ref(
    root: &str,
    ops: &[hcl_edit::Decorated<TraversalOperator>],
    span: Option<Range<usize>>,
    bound: &[String],
    out: &mut Vec<FoundRef>,
) {
    if bound.iter().any(|b| b == root) {
        return;
    }
    out.push(FoundRef {
        reference: Reference::parse(root, ops).map(|(r, _)| r),
        bytes: span.unwrap_or(0..0),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<String> {
        let e: Expression = src.parse().unwrap();
        references(&e)
            .into_iter()
            .map(|r| {
                r.reference
                    .map(|r| r.to_string())
                    .unwrap_or_else(|e| e.message)
            })
            .collect()
    }

    #[test]
    fn finds_references_and_skips_bound_names() {
        assert_eq!(
            refs("[for x in var.list : x + local.n if x > count.index]"),
            vec!["var.list", "local.n", "count.index"]
        );
        assert_eq!(refs("terraform_data.a[0].output"), vec!["terraform_data.a"]);
        assert_eq!(refs("data.aws_ami.base.id"), vec!["data.aws_ami.base"]);
        assert_eq!(
            refs("\"%{for s in var.xs}${s}-${each.key}%{endfor}\""),
            vec!["var.xs", "each.key"]
        );
        assert_eq!(refs("{ a = var.x }"), vec!["var.x"]);
    }
}
