//! The configuration's dependency graph (petgraph): one node per variable, local, resource
//! block and output; an edge from each object to every object that refers to it (by reference
//! or `depends_on`). Topological order is evaluation order; every cycle is an error that names
//! each of its members with file:line.
//!
//! Building it is linear in the size of the configuration: one pass over the references.

use crate::addr::ResourceAddr;
use crate::config::{Config, Expr};
use crate::diag::{Diagnostic, Diagnostics, SourceSpan};
use crate::eval::refs::references;
use crate::eval::Reference;
use hcl_edit::structure::{Body, Structure};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Variable(String),
    Local(String),
    Resource(ResourceAddr),
    Output(String),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Variable(n) => write!(f, "var.{n}"),
            Node::Local(n) => write!(f, "local.{n}"),
            Node::Resource(r) => write!(f, "{r}"),
            Node::Output(n) => write!(f, "output.{n}"),
        }
    }
}

#[derive(Debug, Default)]
pub struct ConfigGraph {
    /// Edges point from a dependency to its dependent.
    pub graph: DiGraph<Node, ()>,
    pub index: HashMap<Node, NodeIndex>,
}

impl ConfigGraph {
    /// Nodes in an order where every node comes after everything it depends on.
    pub fn order(&self) -> Vec<&Node> {
        match petgraph::algo::toposort(&self.graph, None) {
            Ok(order) => order.into_iter().map(|i| &self.graph[i]).collect(),
            Err(_) => Vec::new(), // build() rejects cycles, so this is unreachable in practice
        }
    }

    /// The nodes that `node` depends on directly.
    pub fn dependencies(&self, node: &Node) -> Vec<&Node> {
        self.index
            .get(node)
            .map(|&i| {
                self.graph
                    .neighbors_directed(i, petgraph::Direction::Incoming)
                    .map(|j| &self.graph[j])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Resource blocks `node` depends on, directly or through locals and variables (for the
    /// state's `dependencies` and for destroy order).
    pub fn resource_dependencies(&self, node: &Node) -> Vec<ResourceAddr> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<NodeIndex> = self.index.get(node).copied().into_iter().collect();
        while let Some(i) = stack.pop() {
            for j in self
                .graph
                .neighbors_directed(i, petgraph::Direction::Incoming)
            {
                if !seen.insert(j) {
                    continue;
                }
                match &self.graph[j] {
                    Node::Resource(r) => out.push(r.clone()),
                    _ => stack.push(j),
                }
            }
        }
        out.sort();
        out
    }
}

/// Every expression inside a block body, nested blocks included.
pub fn body_exprs(body: &Body) -> Vec<&hcl_edit::expr::Expression> {
    let mut out = Vec::new();
    fn walk<'a>(b: &'a Body, out: &mut Vec<&'a hcl_edit::expr::Expression>) {
        for s in b.iter() {
            match s {
                Structure::Attribute(a) => out.push(&a.value),
                Structure::Block(bl) => walk(&bl.body, out),
            }
        }
    }
    walk(body, &mut out);
    out
}

/// Where a node is declared, for messages.
fn node_span(cfg: &Config, n: &Node) -> Option<SourceSpan> {
    match n {
        Node::Variable(v) => cfg.variables.get(v).and_then(|x| x.span.clone()),
        Node::Local(l) => cfg.locals.get(l).and_then(|x| x.expr.span()),
        Node::Resource(r) => cfg.resources.get(r).and_then(|x| x.span.clone()),
        Node::Output(o) => cfg.outputs.get(o).and_then(|x| x.span.clone()),
    }
}

/// A reference from a dependent node, with where it was written.
type Edge = (Node, Reference, Option<SourceSpan>);

fn of(e: &Expr) -> (&hcl_edit::expr::Expression, usize) {
    (&e.expr, e.file)
}

/// Collects the references of `exprs` as edges into `from`. `meta` says whether `count.index`
/// and `each.*` are allowed here.
fn scan(
    from: &Node,
    exprs: Vec<(&hcl_edit::expr::Expression, usize)>,
    meta: (bool, bool),
    edges: &mut Vec<Edge>,
    diags: &mut Diagnostics,
) {
    let (count_ok, each_ok) = meta;
    for (e, file) in exprs {
        for f in references(e) {
            let span = Some(SourceSpan {
                file,
                bytes: f.bytes.clone(),
            });
            match f.reference {
                Err(b) => diags.push(Diagnostic::error("Invalid reference", b.message).at(span)),
                Ok(Reference::CountIndex) if !count_ok => diags.push(
                    Diagnostic::error("Reference to \"count\" in non-counted context", "The \"count\" object can only be used in \"resource\" and \"data\" blocks, and only when the \"count\" argument is set.").at(span),
                ),
                Ok(Reference::EachKey | Reference::EachValue) if !each_ok => diags.push(
                    Diagnostic::error("Reference to \"each\" in context without for_each", "The \"each\" object can be used only in \"resource\" and \"data\" blocks, and only when the \"for_each\" argument is set.").at(span),
                ),
                Ok(r) => edges.push((from.clone(), r, span)),
            }
        }
    }
}

/// Builds the graph, reporting undeclared references and cycles.
pub fn build(cfg: &Config) -> Result<ConfigGraph, Diagnostics> {
    let mut g = ConfigGraph::default();
    let mut diags = Diagnostics::default();
    let add = |g: &mut ConfigGraph, n: Node| {
        let i = g.graph.add_node(n.clone());
        g.index.insert(n, i);
    };
    for v in cfg.variables.keys() {
        add(&mut g, Node::Variable(v.clone()));
    }
    for l in cfg.locals.keys() {
        add(&mut g, Node::Local(l.clone()));
    }
    for r in cfg.resources.keys() {
        add(&mut g, Node::Resource(r.clone()));
    }
    for o in cfg.outputs.keys() {
        add(&mut g, Node::Output(o.clone()));
    }

    let mut edges: Vec<Edge> = Vec::new();
    for v in cfg.variables.values() {
        let exprs = v
            .validations
            .iter()
            .flat_map(|val| [of(&val.condition), of(&val.error_message)])
            .collect();
        scan(
            &Node::Variable(v.name.clone()),
            exprs,
            (false, false),
            &mut edges,
            &mut diags,
        );
    }
    for l in cfg.locals.values() {
        scan(
            &Node::Local(l.name.clone()),
            vec![of(&l.expr)],
            (false, false),
            &mut edges,
            &mut diags,
        );
    }
    for r in cfg.resources.values() {
        let node = Node::Resource(r.addr.clone());
        let meta: Vec<_> = r.count.iter().chain(r.for_each.iter()).map(of).collect();
        scan(&node, meta, (false, false), &mut edges, &mut diags);
        let mut exprs: Vec<_> = body_exprs(&r.body.body)
            .into_iter()
            .map(|e| (e, r.body.file))
            .collect();
        exprs.extend(r.lifecycle.replace_triggered_by.iter().map(of));
        scan(
            &node,
            exprs,
            (r.count.is_some(), r.for_each.is_some()),
            &mut edges,
            &mut diags,
        );
        for (d, span) in &r.depends_on {
            edges.push((node.clone(), d.clone(), span.clone()));
        }
    }
    for o in cfg.outputs.values() {
        let node = Node::Output(o.name.clone());
        scan(
            &node,
            vec![of(&o.value)],
            (false, false),
            &mut edges,
            &mut diags,
        );
        for (d, span) in &o.depends_on {
            edges.push((node.clone(), d.clone(), span.clone()));
        }
    }

    let mut seen = std::collections::HashSet::new();
    for (from, r, span) in edges {
        let target = match &r {
            Reference::Var(n) => Node::Variable(n.clone()),
            Reference::Local(n) => Node::Local(n.clone()),
            Reference::Resource(a) => Node::Resource(a.clone()),
            _ => continue,
        };
        let Some(&ti) = g.index.get(&target) else {
            let (summary, detail) = match &r {
                Reference::Var(n) => ("Reference to undeclared input variable", format!("An input variable with the name {n:?} has not been declared. This variable can be declared with a variable \"{n}\" {{}} block.")),
                Reference::Local(n) => ("Reference to undeclared local value", format!("A local value with the name {n:?} has not been declared.")),
                Reference::Resource(a) => ("Reference to undeclared resource", format!("A {} resource \"{}\" \"{}\" has not been declared in the root module.", if a.mode == crate::addr::Mode::Data { "data" } else { "managed" }, a.rtype, a.name)),
                _ => unreachable!(),
            };
            diags.push(Diagnostic::error(summary, detail).at(span));
            continue;
        };
        let fi = g.index[&from];
        if fi == ti {
            // A variable's validation conditions naturally refer to the variable itself.
            if matches!(from, Node::Variable(_)) {
                continue;
            }
            diags.push(
                Diagnostic::error(
                    "Self-referential block",
                    format!("Configuration for {from} may not refer to itself."),
                )
                .at(span),
            );
            continue;
        }
        // A set, not `contains_edge`: that scans the node's edges, which is quadratic when
        // thousands of resources refer to one local.
        if seen.insert((ti, fi)) {
            g.graph.add_edge(ti, fi, ());
        }
    }

    // tarjan_scc names every member of every cycle (toposort would report only one node).
    for scc in petgraph::algo::tarjan_scc(&g.graph) {
        if scc.len() < 2 {
            continue;
        }
        let mut members: Vec<&Node> = scc.iter().map(|&i| &g.graph[i]).collect();
        members.sort();
        let listing = members
            .iter()
            .map(|n| match node_span(cfg, n) {
                Some(s) => format!("  - {n} ({})", cfg.sources.location(&s)),
                None => format!("  - {n}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let first = members.first().and_then(|n| node_span(cfg, n));
        diags.push(
            Diagnostic::error(
                "Cycle in configuration",
                format!("These objects refer to each other in a cycle:\n{listing}"),
            )
            .at(first),
        );
    }
    diags.into_result().map(|()| g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_sources;
    use crate::diag::SourceFile;
    use std::path::Path;

    fn graph(src: &str) -> Result<ConfigGraph, Box<(Diagnostics, Config)>> {
        let (cfg, d) = load_sources(Path::new("."), vec![SourceFile::new("main.tf", src)]);
        assert!(!d.has_errors(), "{d}");
        build(&cfg).map_err(|e| Box::new((e, cfg)))
    }

    #[test]
    fn orders_dependencies_first() {
        let g = graph(
            r#"
variable "v" {}
locals { l = var.v }
resource "terraform_data" "b" { input = terraform_data.a.output }
resource "terraform_data" "a" { input = local.l }
output "o" { value = terraform_data.b.id }
"#,
        )
        .unwrap();
        let order: Vec<String> = g.order().iter().map(|n| n.to_string()).collect();
        let pos = |s: &str| order.iter().position(|x| x == s).unwrap();
        assert!(pos("var.v") < pos("local.l"));
        assert!(pos("local.l") < pos("terraform_data.a"));
        assert!(pos("terraform_data.a") < pos("terraform_data.b"));
        assert!(pos("terraform_data.b") < pos("output.o"));
        assert_eq!(
            g.resource_dependencies(&Node::Output("o".into())),
            vec![ResourceAddr::managed("terraform_data", "b")]
        );
    }

    #[test]
    fn cycles_name_every_member_with_location() {
        let (d, cfg) = *graph(
            r#"
resource "terraform_data" "a" { input = terraform_data.c.id }
resource "terraform_data" "b" { input = terraform_data.a.id }
resource "terraform_data" "c" { input = terraform_data.b.id }
"#,
        )
        .unwrap_err();
        let text = cfg.sources.render(&d, false);
        for n in [
            "terraform_data.a (main.tf:2:1)",
            "terraform_data.b (main.tf:3:1)",
            "terraform_data.c (main.tf:4:1)",
        ] {
            assert!(text.contains(n), "{text}");
        }
    }

    #[test]
    fn undeclared_references_are_errors_with_spans() {
        let (d, cfg) = *graph("locals { a = var.nope }\n").unwrap_err();
        let text = cfg.sources.render(&d, false);
        assert!(
            text.contains("Reference to undeclared input variable"),
            "{text}"
        );
        assert!(text.contains("main.tf:1:14"), "{text}");
    }
}
