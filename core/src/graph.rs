//! The configuration's dependency graph (petgraph): one node per variable, local, resource
//! block and output; an edge from each object to every object that refers to it (by reference
//! or `depends_on`). Topological order is evaluation order; every cycle is an error that names
//! each of its members with file:line.
//!
//! Building it is linear in the size of the configuration: one pass over the references.

use crate::addr::{ModuleInstance, ResourceAddr};
use crate::config::{Config, Expr};
use crate::diag::{Diagnostic, Diagnostics, SourceSpan, Sources};
use crate::eval::refs::references;
use crate::eval::Reference;
use crate::modules::ModuleTree;
use hcl_edit::structure::{Body, Structure};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// One object of one module instance. Resource addresses are absolute (they carry their
/// module instance).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Variable(ModuleInstance, String),
    Local(ModuleInstance, String),
    Resource(ResourceAddr),
    Output(ModuleInstance, String),
}

impl Node {
    pub fn module(&self) -> &ModuleInstance {
        match self {
            Node::Variable(m, _) | Node::Local(m, _) | Node::Output(m, _) => m,
            Node::Resource(r) => &r.module,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.module();
        if !m.is_root() && !matches!(self, Node::Resource(_)) {
            write!(f, "{m}.")?;
        }
        match self {
            Node::Variable(_, n) => write!(f, "var.{n}"),
            Node::Local(_, n) => write!(f, "local.{n}"),
            Node::Resource(r) => write!(f, "{r}"),
            Node::Output(_, n) => write!(f, "output.{n}"),
        }
    }
}

#[derive(Debug, Default)]
pub struct ConfigGraph {
    /// Edges point from a dependency to its dependent.
    pub graph: DiGraph<Node, ()>,
    pub index: HashMap<Node, NodeIndex>,
    /// Every node's upstream resources (bounded, see `state_dependencies`), computed once in
    /// dependency order so a long chain costs O(n · bound), not a walk per node.
    upstream: std::sync::OnceLock<Vec<Option<Arc<Vec<ResourceAddr>>>>>,
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

    /// Resource blocks `node` depends on, directly or through locals, variables and module
    /// outputs (for the state's `dependencies`, targeting and destroy order).
    pub fn resource_dependencies(&self, node: &Node) -> Vec<ResourceAddr> {
        self.walk_upstream(node, false, usize::MAX)
            .unwrap_or_default()
    }

    /// What Terraform records as an instance's `dependencies`: configuration addresses of
    /// every resource it depends on, directly or transitively (module calls without instance
    /// keys), sorted, each once.
    ///
    /// Beyond [`MAX_RECORDED_DEPENDENCIES`] the direct dependencies are recorded instead: the
    /// closure of a long chain is quadratic (a 10,000-resource chain would write 50 million
    /// entries), and direct dependencies give the same destroy order to either tool, which
    /// follows them transitively.
    pub fn state_dependencies(&self, node: &Node) -> Vec<String> {
        let bounded = self
            .index
            .get(node)
            .and_then(|i| self.upstream_table()[i.index()].clone());
        match bounded {
            Some(all) => dependency_strings(&all),
            None => dependency_strings(&self.resource_dependencies(node)),
        }
    }

    /// Per node (by index): its upstream resource blocks, or `None` past the bound.
    fn upstream_table(&self) -> &[Option<Arc<Vec<ResourceAddr>>>] {
        self.upstream.get_or_init(|| {
            let mut table: Vec<Option<Arc<Vec<ResourceAddr>>>> =
                vec![Some(Arc::default()); self.graph.node_count()];
            let Ok(order) = petgraph::algo::toposort(&self.graph, None) else {
                return table;
            };
            for i in order {
                let mut set: std::collections::BTreeSet<&ResourceAddr> = Default::default();
                let mut over = false;
                for j in self
                    .graph
                    .neighbors_directed(i, petgraph::Direction::Incoming)
                {
                    let Some(up) = &table[j.index()] else {
                        over = true;
                        break;
                    };
                    set.extend(up.iter());
                    if let Node::Resource(r) = &self.graph[j] {
                        set.insert(r);
                    }
                    if set.len() > MAX_RECORDED_DEPENDENCIES {
                        over = true;
                        break;
                    }
                }
                table[i.index()] = if over {
                    None
                } else {
                    Some(Arc::new(set.into_iter().cloned().collect()))
                };
            }
            table
        })
    }

    /// Resource blocks `node` depends on through any path, resources included.
    pub fn transitive_resource_dependencies(&self, node: &Node) -> Vec<ResourceAddr> {
        self.resources_upstream(node, usize::MAX)
            .unwrap_or_default()
    }

    /// The transitive resource dependencies of `node`, or `None` as soon as there are more
    /// than `limit` (the walk stops there, so a long chain costs O(limit) per node).
    fn resources_upstream(&self, node: &Node, limit: usize) -> Option<Vec<ResourceAddr>> {
        self.walk_upstream(node, true, limit)
    }

    /// Resource blocks upstream of `node`, sorted: through locals, variables and outputs
    /// always, and through resources too when `through_resources`. `None` once more than
    /// `limit` are found.
    fn walk_upstream(
        &self,
        node: &Node,
        through_resources: bool,
        limit: usize,
    ) -> Option<Vec<ResourceAddr>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<NodeIndex> = self.index.get(node).copied().into_iter().collect();
        while let Some(i) = stack.pop() {
            for j in self
                .graph
                .neighbors_directed(i, petgraph::Direction::Incoming)
            {
                if !seen.insert(j) {
                    continue;
                }
                if let Node::Resource(r) = &self.graph[j] {
                    out.push(r.clone());
                    if out.len() > limit {
                        return None;
                    }
                    if !through_resources {
                        continue;
                    }
                }
                stack.push(j);
            }
        }
        out.sort();
        Some(out)
    }
}

/// How many transitive dependencies an instance records in state before only its direct
/// ones are recorded (see [`ConfigGraph::state_dependencies`]).
pub const MAX_RECORDED_DEPENDENCIES: usize = 1000;

/// State `dependencies` for resource blocks already found (configuration addresses, sorted,
/// each once).
pub fn dependency_strings(blocks: &[ResourceAddr]) -> Vec<String> {
    let mut out: Vec<String> = blocks
        .iter()
        .map(|r| {
            if r.module.is_root() {
                r.to_string()
            } else {
                r.config_addr().to_string()
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
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
fn node_span(tree: &ModuleTree, n: &Node) -> Option<SourceSpan> {
    let cfg = tree.config(n.module())?;
    match n {
        Node::Variable(_, v) => cfg.variables.get(v).and_then(|x| x.span.clone()),
        Node::Local(_, l) => cfg.locals.get(l).and_then(|x| x.expr.span()),
        Node::Resource(r) => tree.resource(r).and_then(|x| x.span.clone()),
        Node::Output(_, o) => cfg.outputs.get(o).and_then(|x| x.span.clone()),
    }
}

/// A reference from a dependent node, with the module instance it is resolved in and where
/// it was written.
type Edge = (Node, ModuleInstance, Reference, Option<SourceSpan>);

fn of(e: &Expr) -> (&hcl_edit::expr::Expression, usize) {
    (&e.expr, e.file)
}

/// Collects the references of `exprs` as edges into `from`, resolved in module instance
/// `ctx`. `meta` says whether `count.index` and `each.*` are allowed here.
fn scan(
    from: &Node,
    ctx: &ModuleInstance,
    exprs: Vec<(&hcl_edit::expr::Expression, usize)>,
    meta: (bool, bool),
    edges: &mut Vec<Edge>,
    diags: &mut Diagnostics,
) {
    for (e, file) in exprs {
        scan_found(from, ctx, references(e), file, meta, edges, diags);
    }
}

/// [`scan`] over references already found.
fn scan_found(
    from: &Node,
    ctx: &ModuleInstance,
    found: Vec<crate::eval::refs::FoundRef>,
    file: usize,
    meta: (bool, bool),
    edges: &mut Vec<Edge>,
    diags: &mut Diagnostics,
) {
    let (count_ok, each_ok) = meta;
    {
        for f in found {
            let span = Some(SourceSpan {
                file,
                bytes: f.bytes.clone(),
            });
            match f.reference {
                Err(b) => diags.push(Diagnostic::error("Invalid reference", b.message).at(span)),
                Ok(Reference::CountIndex) if !count_ok => diags.push(
                    Diagnostic::error("Reference to \"count\" in non-counted context", "The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set.").at(span),
                ),
                Ok(Reference::EachKey | Reference::EachValue) if !each_ok => diags.push(
                    Diagnostic::error("Reference to \"each\" in context without for_each", "The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.").at(span),
                ),
                Ok(r) => edges.push((from.clone(), ctx.clone(), r, span)),
            }
        }
    }
}

/// Builds the graph of the root module alone (configurations without module calls, tests).
pub fn build(cfg: &Config) -> Result<ConfigGraph, Diagnostics> {
    let tree = ModuleTree::root_only(std::sync::Arc::new(cfg.clone()));
    build_tree(&tree, &cfg.sources)
}

/// Adds one module instance's objects and the edges out of them.
fn add_instance(
    g: &mut ConfigGraph,
    tree: &ModuleTree,
    m: &ModuleInstance,
    cfg: &Config,
    edges: &mut Vec<Edge>,
    diags: &mut Diagnostics,
    checked_calls: &mut HashSet<(ModuleInstance, String)>,
) {
    let mut add = |n: Node| {
        let i = g.graph.add_node(n.clone());
        g.index.insert(n, i);
    };
    for v in cfg.variables.keys() {
        add(Node::Variable(m.clone(), v.clone()));
    }
    for l in cfg.locals.keys() {
        add(Node::Local(m.clone(), l.clone()));
    }
    for r in cfg.resources.keys() {
        add(Node::Resource(if m.is_root() {
            r.clone()
        } else {
            r.in_module(m)
        }));
    }
    for o in cfg.outputs.keys() {
        add(Node::Output(m.clone(), o.clone()));
    }

    for v in cfg.variables.values() {
        let exprs = v
            .validations
            .iter()
            .flat_map(|val| [of(&val.condition), of(&val.error_message)])
            .collect();
        let node = Node::Variable(m.clone(), v.name.clone());
        scan(&node, m, exprs, (false, false), edges, diags);
    }
    for l in cfg.locals.values() {
        let node = Node::Local(m.clone(), l.name.clone());
        scan(&node, m, vec![of(&l.expr)], (false, false), edges, diags);
    }
    for r in cfg.resources.values() {
        let node = Node::Resource(if m.is_root() {
            r.addr.clone()
        } else {
            r.addr.in_module(m)
        });
        let meta: Vec<_> = r.count.iter().chain(r.for_each.iter()).map(of).collect();
        scan(&node, m, meta, (false, false), edges, diags);
        let mut exprs: Vec<_> = r.lifecycle.replace_triggered_by.iter().map(of).collect();
        exprs.extend(
            r.lifecycle
                .conditions
                .iter()
                .flat_map(|c| [of(&c.condition), of(&c.error_message)]),
        );
        let meta = (r.count.is_some(), r.for_each.is_some());
        scan(&node, m, exprs, meta, edges, diags);
        let found = crate::eval::refs::body_references(&r.body.body);
        scan_found(&node, m, found, r.body.file, meta, edges, diags);
        for (d, span) in &r.depends_on {
            edges.push((node.clone(), m.clone(), d.clone(), span.clone()));
        }
    }
    for o in cfg.outputs.values() {
        let node = Node::Output(m.clone(), o.name.clone());
        let mut exprs = vec![of(&o.value)];
        exprs.extend(
            o.preconditions
                .iter()
                .flat_map(|c| [of(&c.condition), of(&c.error_message)]),
        );
        scan(&node, m, exprs, (false, false), edges, diags);
        for (d, span) in &o.depends_on {
            edges.push((node.clone(), m.clone(), d.clone(), span.clone()));
        }
    }

    // A module instance's variables come from its call's arguments, evaluated in the caller.
    let Some((call, site)) = tree.call_of(m) else {
        return;
    };
    let meta = (call.count.is_some(), call.for_each.is_some());
    if checked_calls.insert((site.parent.config_path(), call.name.clone())) {
        for (k, e) in &call.inputs {
            if !cfg.variables.contains_key(k) {
                diags.push(Diagnostic::error("Unsupported argument", format!("An argument named {k:?} is not expected here: module {:?} declares no variable {k:?}.", call.name)).at(e.span()));
            }
        }
        for v in cfg.variables.values() {
            if v.default.is_none() && !call.inputs.contains_key(&v.name) {
                diags.push(
                    Diagnostic::error(
                        "Missing required argument",
                        format!(
                            "The argument {:?} is required, but no definition was found.",
                            v.name
                        ),
                    )
                    .at(call.span.clone()),
                );
            }
        }
    }
    for v in cfg.variables.values() {
        let node = Node::Variable(m.clone(), v.name.clone());
        let mut exprs: Vec<_> = call
            .count
            .iter()
            .chain(call.for_each.iter())
            .map(of)
            .collect();
        scan(
            &node,
            &site.parent,
            std::mem::take(&mut exprs),
            (false, false),
            edges,
            diags,
        );
        if let Some(e) = call.inputs.get(&v.name) {
            scan(&node, &site.parent, vec![of(e)], meta, edges, diags);
        }
    }
    // `depends_on` of a module call: every object in the module waits for the dependencies.
    if !call.depends_on.is_empty() {
        for r in cfg.resources.keys() {
            let node = Node::Resource(r.in_module(m));
            for (d, span) in &call.depends_on {
                edges.push((node.clone(), site.parent.clone(), d.clone(), span.clone()));
            }
        }
    }
}

/// Builds the graph over every module instance of `tree`, reporting undeclared references
/// and cycles (`sources` locates them).
pub fn build_tree(tree: &ModuleTree, sources: &Sources) -> Result<ConfigGraph, Diagnostics> {
    let mut g = ConfigGraph::default();
    let mut diags = Diagnostics::default();
    let mut edges: Vec<Edge> = Vec::new();
    let mut checked_calls = HashSet::new();
    for (m, info) in &tree.instances {
        add_instance(
            &mut g,
            tree,
            m,
            &info.config,
            &mut edges,
            &mut diags,
            &mut checked_calls,
        );
    }
    // A call whose instances inherit `depends_on` from an outer call: nested modules wait too.
    let mut outer: Vec<Edge> = Vec::new();
    for m in tree.instances.keys() {
        let mut cur = m.clone();
        while let Some((call, site)) = tree.call_of(&cur) {
            if cur != *m && !call.depends_on.is_empty() {
                if let Some(cfg) = tree.config(m) {
                    for r in cfg.resources.keys() {
                        for (d, span) in &call.depends_on {
                            outer.push((
                                Node::Resource(r.in_module(m)),
                                site.parent.clone(),
                                d.clone(),
                                span.clone(),
                            ));
                        }
                    }
                }
            }
            cur = site.parent.clone();
        }
    }
    edges.extend(outer);

    let mut seen = HashSet::new();
    for (from, ctx, r, span) in edges {
        let targets: Vec<Node> = match &r {
            Reference::Var(n) => vec![Node::Variable(ctx.clone(), n.clone())],
            Reference::Local(n) => vec![Node::Local(ctx.clone(), n.clone())],
            Reference::Resource(a) => vec![Node::Resource(if ctx.is_root() {
                a.clone()
            } else {
                a.in_module(&ctx)
            })],
            Reference::Module(name, output) => {
                let Some(call) = tree.config(&ctx).and_then(|c| c.module_calls.get(name)) else {
                    diags.push(
                        Diagnostic::error(
                            "Reference to undeclared module",
                            format!(
                                "No module call named {name:?} is declared in {}.",
                                if ctx.is_root() {
                                    "the root module".to_string()
                                } else {
                                    ctx.to_string()
                                }
                            ),
                        )
                        .at(span),
                    );
                    continue;
                };
                let Some(child_cfg) = &call.config else {
                    continue;
                };
                if let Some(o) = output {
                    if !child_cfg.outputs.contains_key(o) {
                        if call.count.is_none() && call.for_each.is_none() {
                            diags.push(Diagnostic::error("Unsupported attribute", format!("This object (module.{name}) does not have an attribute named {o:?}.")).at(span));
                        }
                        continue;
                    }
                }
                let mut out = Vec::new();
                for (_, child) in tree.children(&ctx, name) {
                    match output {
                        Some(o) => out.push(Node::Output(child, o.clone())),
                        None => out.extend(
                            child_cfg
                                .outputs
                                .keys()
                                .map(|o| Node::Output(child.clone(), o.clone())),
                        ),
                    }
                }
                out
            }
            _ => continue,
        };
        for target in targets {
            let Some(&ti) = g.index.get(&target) else {
                let (summary, detail) = match &r {
                    Reference::Var(n) => ("Reference to undeclared input variable", format!("An input variable with the name {n:?} has not been declared. This variable can be declared with a variable \"{n}\" {{}} block.")),
                    Reference::Local(n) => ("Reference to undeclared local value", format!("A local value with the name {n:?} has not been declared.")),
                    Reference::Resource(a) => ("Reference to undeclared resource", format!("A {} resource \"{}\" \"{}\" has not been declared in {}.", if a.mode == crate::addr::Mode::Data { "data" } else { "managed" }, a.rtype, a.name, if ctx.is_root() { "the root module".to_string() } else { format!("{}", ctx.config_path()) })),
                    _ => continue,
                };
                diags.push(Diagnostic::error(summary, detail).at(span.clone()));
                continue;
            };
            let fi = g.index[&from];
            if fi == ti {
                // A variable's validation conditions naturally refer to the variable itself.
                if matches!(from, Node::Variable(..)) {
                    continue;
                }
                diags.push(
                    Diagnostic::error(
                        "Self-referential block",
                        format!("Configuration for {from} may not refer to itself."),
                    )
                    .at(span.clone()),
                );
                continue;
            }
            // A set, not `contains_edge`: that scans the node's edges, which is quadratic when
            // thousands of resources refer to one local.
            if seen.insert((ti, fi)) {
                g.graph.add_edge(ti, fi, ());
            }
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
            .map(|n| match node_span(tree, n) {
                Some(s) => format!("  - {n} ({})", sources.location(&s)),
                None => format!("  - {n}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let first = members.first().and_then(|n| node_span(tree, n));
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
            g.resource_dependencies(&Node::Output(ModuleInstance::root(), "o".into())),
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
