//! Reading `*.tf` files into a [`Config`].

use super::typeexpr::parse_type;
use super::*;
use crate::addr::Mode;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::eval::refs::references;
use crate::eval::{Evaluator, NoReferences};
use crate::value::PathStep;
use hcl_edit::expr::TraversalOperator;
use hcl_edit::structure::{Attribute, Block, Structure};
use std::path::Path as FsPath;

/// Reads every `*.tf` file of `dir` (sorted by name). Always returns a configuration (partial
/// when there were errors) together with the diagnostics.
pub fn load_dir(dir: &FsPath) -> (Config, Diagnostics) {
    let mut files = Vec::new();
    let mut diags = Diagnostics::default();
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut paths: Vec<_> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tf") && p.is_file())
                .collect();
            paths.sort();
            for p in paths {
                let shown = p
                    .strip_prefix(std::env::current_dir().unwrap_or_default())
                    .unwrap_or(&p);
                let shown = shown.strip_prefix(".").unwrap_or(shown);
                let name = shown.display().to_string();
                match std::fs::read_to_string(&p) {
                    Ok(text) => files.push(SourceFile::new(name, text)),
                    Err(e) => diags.push(Diagnostic::error(
                        "Failed to read file",
                        format!("The configuration file {name} could not be read: {e}"),
                    )),
                }
            }
        }
        Err(e) => diags.push(Diagnostic::error(
            "Failed to read directory",
            format!("The directory {} could not be read: {e}", dir.display()),
        )),
    }
    let (config, more) = load_sources(dir, files);
    diags.extend(more);
    (config, diags)
}

/// Builds a configuration from already-read files (used by tests and embedders that keep
/// configurations in memory).
pub fn load_sources(dir: &FsPath, files: Vec<SourceFile>) -> (Config, Diagnostics) {
    let mut cfg = Config {
        dir: dir.to_path_buf(),
        sources: Sources::default(),
        required_providers: BTreeMap::new(),
        backend: None,
        providers: Vec::new(),
        variables: IndexMap::new(),
        locals: IndexMap::new(),
        resources: IndexMap::new(),
        outputs: IndexMap::new(),
        imports: Vec::new(),
    };
    let mut diags = Diagnostics::default();
    for f in files {
        let text = f.text.clone();
        let id = cfg.sources.add(f);
        match hcl_edit::parser::parse_body(&text) {
            Ok(body) => {
                let mut l = Loader {
                    cfg: &mut cfg,
                    diags: &mut diags,
                    file: id,
                };
                l.top_level(body);
            }
            Err(e) => {
                let loc = e.location();
                diags.push(
                    Diagnostic::error("Invalid syntax", e.message().to_string()).at(Some(
                        SourceSpan {
                            file: id,
                            bytes: loc.offset()..loc.offset() + 1,
                        },
                    )),
                );
            }
        }
    }
    (cfg, diags)
}

struct Loader<'a> {
    cfg: &'a mut Config,
    diags: &'a mut Diagnostics,
    file: FileId,
}

impl Loader<'_> {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Option<SourceSpan> {
        range.map(|bytes| SourceSpan {
            file: self.file,
            bytes,
        })
    }

    fn error(
        &mut self,
        summary: &str,
        detail: impl Into<String>,
        range: Option<std::ops::Range<usize>>,
    ) {
        let span = self.span(range);
        self.diags.push(Diagnostic::error(summary, detail).at(span));
    }

    fn expr(&self, e: &Expression) -> Expr {
        Expr {
            file: self.file,
            expr: e.clone(),
        }
    }

    /// Evaluates an expression that may not refer to anything.
    fn constant(&mut self, a: &Attribute) -> Option<Value> {
        let base = self.cfg.dir.clone();
        match Evaluator::new(&NoReferences, &base, self.file).eval(&a.value) {
            Ok(v) => Some(v),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    fn const_bool(&mut self, a: &Attribute) -> bool {
        match self.constant(a) {
            Some(v) => match v.as_bool() {
                Some(b) => b,
                None => {
                    self.error(
                        "Incorrect attribute value type",
                        format!("{} must be a bool.", a.key.as_str()),
                        a.value.span(),
                    );
                    false
                }
            },
            None => false,
        }
    }

    fn const_string(&mut self, a: &Attribute) -> Option<String> {
        let v = self.constant(a)?;
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(
                    "Incorrect attribute value type",
                    format!("{} must be a string.", a.key.as_str()),
                    a.value.span(),
                );
                None
            }
        }
    }

    fn top_level(&mut self, body: Body) {
        for s in body.into_iter() {
            match s {
                Structure::Attribute(a) => self.error(
                    "Unsupported argument",
                    format!("An argument named {:?} is not expected here; top-level content must be blocks.", a.key.as_str()),
                    a.span(),
                ),
                Structure::Block(b) => self.block(b),
            }
        }
    }

    fn labels(&mut self, b: &Block, n: usize, what: &str) -> Option<Vec<String>> {
        if b.labels.len() != n {
            self.error(
                "Missing or extra block labels",
                format!(
                    "A {} block expects {n} label{}: {what}.",
                    b.ident.as_str(),
                    if n == 1 { "" } else { "s" }
                ),
                b.ident.span(),
            );
            return None;
        }
        let labels: Vec<String> = b.labels.iter().map(|l| l.as_str().to_string()).collect();
        for l in &labels {
            if !crate::ident::is_ident(l) {
                self.error(
                    "Invalid name",
                    format!("{l:?} is not a valid name: a name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes."),
                    b.ident.span(),
                );
                return None;
            }
        }
        Some(labels)
    }

    fn block(&mut self, b: Block) {
        match b.ident.as_str() {
            "terraform" => self.terraform(&b),
            "provider" => {
                let Some(l) = self.labels(&b, 1, "the provider name") else {
                    return;
                };
                let alias = b
                    .body
                    .get_attribute("alias")
                    .and_then(|a| self.const_string(a));
                let span = self.span(b.span());
                let limits = self.limits(&b);
                let mut body = b.body.clone();
                // Engine-level arguments, not the provider's own configuration.
                for k in ["alias", "max_concurrency", "rate_limit", "resource_limits"] {
                    body.remove_attribute(k);
                }
                self.cfg.providers.push(ProviderBlock {
                    name: l[0].clone(),
                    alias,
                    limits,
                    body: BodyRef {
                        file: self.file,
                        body,
                    },
                    span,
                });
            }
            "variable" => self.variable(&b),
            "locals" => {
                for s in b.body.iter() {
                    match s {
                        Structure::Attribute(a) => {
                            let name = a.key.as_str().to_string();
                            if self.cfg.locals.contains_key(&name) {
                                self.error(
                                    "Duplicate local value definition",
                                    format!("A local value named {name:?} was already defined."),
                                    a.key.span(),
                                );
                                continue;
                            }
                            let expr = self.expr(&a.value);
                            self.cfg.locals.insert(name.clone(), Local { name, expr });
                        }
                        Structure::Block(bl) => self.error(
                            "Unexpected block",
                            "locals contains only attributes.",
                            bl.ident.span(),
                        ),
                    }
                }
            }
            "resource" | "data" => self.resource(b),
            "output" => self.output(&b),
            "import" => self.import(&b),
            "moved" | "check" | "removed" | "module" => self.error(
                "Unsupported block type",
                format!(
                    "{:?} blocks are not supported by this version of gantry yet.",
                    b.ident.as_str()
                ),
                b.ident.span(),
            ),
            other => self.error(
                "Unsupported block type",
                format!("Blocks of type {other:?} are not expected here."),
                b.ident.span(),
            ),
        }
    }

    /// `max_concurrency`, `rate_limit` and `resource_limits` of a provider block.
    fn limits(&mut self, b: &Block) -> Limits {
        let mut out = Limits::default();
        if let Some(a) = b.body.get_attribute("max_concurrency") {
            out.provider.max_concurrency = self.const_count(a);
        }
        if let Some(a) = b.body.get_attribute("rate_limit") {
            out.provider.rate = self.const_rate(a);
        }
        if let Some(a) = b.body.get_attribute("resource_limits") {
            let Some(v) = self.constant(a) else {
                return out;
            };
            let Some(m) = v.as_map() else {
                self.error(
                    "Invalid resource_limits",
                    "resource_limits must map resource types to { max_concurrency, rate_limit }.",
                    a.value.span(),
                );
                return out;
            };
            for (t, l) in m {
                let mut lim = Limit::default();
                if let Some(n) = l.get_attr("max_concurrency") {
                    match n.as_f64() {
                        Some(x) if x >= 1.0 && x.fract() == 0.0 => lim.max_concurrency = Some(x as usize),
                        _ => self.error("Invalid max_concurrency", format!("resource_limits.{t}.max_concurrency must be a whole number of at least 1."), a.value.span()),
                    }
                }
                if let Some(r) = l.get_attr("rate_limit") {
                    match r.as_str().map(Rate::parse) {
                        Some(Ok(rate)) => lim.rate = Some(rate),
                        Some(Err(m)) => self.error("Invalid rate_limit", m, a.value.span()),
                        None => self.error(
                            "Invalid rate_limit",
                            "rate_limit must be a string such as \"50/s\".",
                            a.value.span(),
                        ),
                    }
                }
                out.per_type.insert(t.clone(), lim);
            }
        }
        out
    }

    fn const_count(&mut self, a: &Attribute) -> Option<usize> {
        match self.constant(a)?.as_f64() {
            Some(x) if x >= 1.0 && x.fract() == 0.0 => Some(x as usize),
            _ => {
                self.error(
                    "Invalid max_concurrency",
                    "max_concurrency must be a whole number of at least 1.",
                    a.value.span(),
                );
                None
            }
        }
    }

    fn const_rate(&mut self, a: &Attribute) -> Option<Rate> {
        let v = self.const_string(a)?;
        match Rate::parse(&v) {
            Ok(r) => Some(r),
            Err(m) => {
                self.error("Invalid rate_limit", m, a.value.span());
                None
            }
        }
    }

    fn terraform(&mut self, b: &Block) {
        for s in b.body.iter() {
            match s {
                Structure::Block(rp) if rp.ident.as_str() == "required_providers" => {
                    for a in rp.body.attributes() {
                        let source = match self.constant(a) {
                            Some(v) => v
                                .get_attr("source")
                                .and_then(|s| s.as_str().map(String::from))
                                .or_else(|| {
                                    v.as_str()
                                        .is_none()
                                        .then(|| format!("hashicorp/{}", a.key.as_str()))
                                }),
                            None => None,
                        };
                        if let Some(src) = source {
                            self.cfg
                                .required_providers
                                .insert(a.key.as_str().to_string(), src);
                        }
                    }
                }
                Structure::Block(be) if be.ident.as_str() == "backend" => {
                    let Some(l) = self.labels(be, 1, "the backend type") else {
                        continue;
                    };
                    self.cfg.backend = Some(Backend {
                        kind: l[0].clone(),
                        body: BodyRef {
                            file: self.file,
                            body: be.body.clone(),
                        },
                        span: self.span(be.span()),
                    });
                }
                Structure::Attribute(a)
                    if matches!(a.key.as_str(), "required_version" | "experiments") => {}
                Structure::Block(bl) if matches!(bl.ident.as_str(), "cloud" | "provider_meta") => {}
                Structure::Attribute(a) => self.error(
                    "Unsupported argument",
                    format!(
                        "An argument named {:?} is not expected in a terraform block.",
                        a.key.as_str()
                    ),
                    a.key.span(),
                ),
                Structure::Block(bl) => self.error(
                    "Unsupported block type",
                    format!(
                        "Blocks of type {:?} are not expected in a terraform block.",
                        bl.ident.as_str()
                    ),
                    bl.ident.span(),
                ),
            }
        }
    }

    fn variable(&mut self, b: &Block) {
        let Some(l) = self.labels(b, 1, "the variable name") else {
            return;
        };
        let name = l[0].clone();
        if self.cfg.variables.contains_key(&name) {
            self.error(
                "Duplicate variable declaration",
                format!("A variable named {name:?} was already declared."),
                b.ident.span(),
            );
            return;
        }
        let mut var = Variable {
            name: name.clone(),
            ty: Type::Any,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span: self.span(b.span()),
        };
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "type" => match parse_type(&a.value) {
                        Ok(t) => var.ty = t,
                        Err(m) => self.error("Invalid type specification", m, a.value.span()),
                    },
                    "default" => var.default = self.constant(a),
                    "description" => var.description = self.const_string(a),
                    "sensitive" => var.sensitive = self.const_bool(a),
                    "nullable" => var.nullable = self.const_bool(a),
                    "ephemeral" => {}
                    other => self.error(
                        "Unsupported argument",
                        format!("An argument named {other:?} is not expected in a variable block."),
                        a.key.span(),
                    ),
                },
                Structure::Block(v) if v.ident.as_str() == "validation" => {
                    let cond = v.body.get_attribute("condition");
                    let msg = v.body.get_attribute("error_message");
                    match (cond, msg) {
                        (Some(c), Some(m)) => var.validations.push(Validation {
                            condition: self.expr(&c.value),
                            error_message: self.expr(&m.value),
                        }),
                        _ => self.error(
                            "Missing required argument",
                            "A validation block needs both condition and error_message.",
                            v.ident.span(),
                        ),
                    }
                }
                Structure::Block(v) => self.error(
                    "Unsupported block type",
                    format!(
                        "Blocks of type {:?} are not expected in a variable block.",
                        v.ident.as_str()
                    ),
                    v.ident.span(),
                ),
            }
        }
        if let Some(d) = &var.default {
            match var.ty.convert(d) {
                Ok(v) => var.default = Some(v),
                Err(m) => {
                    let span = b.body.get_attribute("default").and_then(|a| a.value.span());
                    self.error("Invalid default value for variable", format!("This default value is not compatible with the variable's type constraint: {m}."), span);
                }
            }
        }
        self.cfg.variables.insert(name, var);
    }

    fn resource(&mut self, b: Block) {
        let data = b.ident.as_str() == "data";
        let what = if data {
            "the data source type and name"
        } else {
            "the resource type and name"
        };
        let Some(l) = self.labels(&b, 2, what) else {
            return;
        };
        let addr = ResourceAddr {
            mode: if data { Mode::Data } else { Mode::Managed },
            rtype: l[0].as_str().into(),
            name: l[1].as_str().into(),
        };
        if self.cfg.resources.contains_key(&addr) {
            self.error("Duplicate resource configuration", format!("A {addr} block was already declared. Resource names must be unique per type in each module."), b.ident.span());
            return;
        }
        let mut res = Resource {
            provider: (addr.implied_provider().to_string(), None),
            addr: addr.clone(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            lifecycle: Lifecycle::default(),
            body: BodyRef {
                file: self.file,
                body: Body::new(),
            },
            span: self.span(b.span()),
        };
        // The body is moved, not copied: large configurations hold one AST, not two.
        let ident_span = b.ident.span();
        let mut body = Body::new();
        for s in b.body.into_iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "count" => res.count = Some(Expr { file: self.file, expr: a.value }),
                    "for_each" => res.for_each = Some(Expr { file: self.file, expr: a.value }),
                    "depends_on" => res.depends_on = self.depends_on(&a),
                    "provider" => match provider_ref(&a.value) {
                        Some(p) => res.provider = p,
                        None => self.error("Invalid provider reference", "The provider argument requires a provider type name, optionally followed by a period and then a configuration alias.", a.value.span()),
                    },
                    _ => body.push(a),
                },
                Structure::Block(lc) if lc.ident.as_str() == "lifecycle" && !data => {
                    res.lifecycle = self.lifecycle(&lc);
                }
                Structure::Block(bl) if matches!(bl.ident.as_str(), "provisioner" | "connection") => {
                    self.error("Unsupported block type", "Provisioners are not supported: gantry manages infrastructure declaratively.", bl.ident.span());
                }
                Structure::Block(bl) => body.push(bl),
            }
        }
        if res.count.is_some() && res.for_each.is_some() {
            self.error("Invalid combination of \"count\" and \"for_each\"", "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.", ident_span);
        }
        res.body.body = body;
        self.cfg.resources.insert(addr, res);
    }

    fn depends_on(&mut self, a: &Attribute) -> Vec<(Reference, Option<SourceSpan>)> {
        let Expression::Array(items) = &a.value else {
            self.error(
                "Invalid depends_on",
                "depends_on must be a list of references.",
                a.value.span(),
            );
            return vec![];
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let found = references(item);
            let ok = matches!(item, Expression::Traversal(_) | Expression::Variable(_))
                && found.len() == 1;
            match found.into_iter().next().filter(|_| ok) {
                Some(f) => match f.reference {
                    Ok(r) => out.push((r, self.span(item.span()))),
                    Err(b) => self.error("Invalid reference", b.message, item.span()),
                },
                None => self.error("Invalid depends_on reference", "References in depends_on must be to a whole object without further expressions.", item.span()),
            }
        }
        out
    }

    fn lifecycle(&mut self, b: &Block) -> Lifecycle {
        let mut lc = Lifecycle::default();
        for a in b.body.attributes() {
            match a.key.as_str() {
                "create_before_destroy" => lc.create_before_destroy = self.const_bool(a),
                "prevent_destroy" => lc.prevent_destroy = self.const_bool(a),
                "ignore_changes" => match &a.value {
                    Expression::Variable(v) if v.as_str() == "all" => {
                        lc.ignore_changes = IgnoreChanges::All
                    }
                    Expression::Array(items) => {
                        let mut paths = Vec::new();
                        for item in items.iter() {
                            match attr_path(item) {
                                Some(p) => paths.push(p),
                                None => self.error("Invalid ignore_changes", "ignore_changes entries must be attribute names such as tags or tags[\"env\"].", item.span()),
                            }
                        }
                        lc.ignore_changes = IgnoreChanges::Paths(paths);
                    }
                    _ => self.error(
                        "Invalid ignore_changes",
                        "ignore_changes must be a list of attribute names, or the keyword all.",
                        a.value.span(),
                    ),
                },
                "replace_triggered_by" => match &a.value {
                    Expression::Array(items) => {
                        lc.replace_triggered_by = items.iter().map(|e| self.expr(e)).collect()
                    }
                    _ => self.error(
                        "Invalid replace_triggered_by",
                        "replace_triggered_by must be a list of references.",
                        a.value.span(),
                    ),
                },
                other => self.error(
                    "Unsupported argument",
                    format!("An argument named {other:?} is not expected in a lifecycle block."),
                    a.key.span(),
                ),
            }
        }
        lc
    }

    fn import(&mut self, b: &Block) {
        let span = self.span(b.span());
        let (Some(to), Some(id)) = (b.body.get_attribute("to"), b.body.get_attribute("id")) else {
            self.error("Missing required argument", "An import block needs both \"to\" (the resource address) and \"id\" (the object's id in the cloud).", b.ident.span());
            return;
        };
        let text = match &to.value {
            Expression::Traversal(_) | Expression::Variable(_) => {
                let src = &self.cfg.sources.files[self.file].text;
                to.value
                    .span()
                    .and_then(|r| src.get(r))
                    .map(|t| t.split_whitespace().collect::<String>())
            }
            _ => None,
        };
        match text.as_deref().map(str::parse::<crate::addr::InstanceAddr>) {
            Some(Ok(addr)) => {
                let id = self.expr(&id.value);
                self.cfg.imports.push(Import { to: addr, id, span });
            }
            _ => self.error("Invalid import address", "The \"to\" argument must be a resource address such as aws_s3_bucket.artifacts or aws_instance.gpu[0].", to.value.span()),
        }
    }

    fn output(&mut self, b: &Block) {
        let Some(l) = self.labels(b, 1, "the output name") else {
            return;
        };
        let name = l[0].clone();
        let Some(value) = b.body.get_attribute("value") else {
            self.error(
                "Missing required argument",
                "The argument \"value\" is required in an output block.",
                b.ident.span(),
            );
            return;
        };
        let mut out = Output {
            name: name.clone(),
            value: self.expr(&value.value),
            sensitive: false,
            description: None,
            depends_on: vec![],
            span: self.span(b.span()),
        };
        for a in b.body.attributes() {
            match a.key.as_str() {
                "value" => {}
                "sensitive" => out.sensitive = self.const_bool(a),
                "description" => out.description = self.const_string(a),
                "depends_on" => out.depends_on = self.depends_on(a),
                "ephemeral" => {}
                other => self.error(
                    "Unsupported argument",
                    format!("An argument named {other:?} is not expected in an output block."),
                    a.key.span(),
                ),
            }
        }
        if self.cfg.outputs.insert(name.clone(), out).is_some() {
            self.error(
                "Duplicate output definition",
                format!("An output named {name:?} was already defined."),
                b.ident.span(),
            );
        }
    }
}

/// `aws` or `aws.west` in a `provider = ...` argument.
fn provider_ref(e: &Expression) -> Option<(String, Option<String>)> {
    match e {
        Expression::Variable(v) => Some((v.as_str().to_string(), None)),
        Expression::Traversal(t) => {
            let Expression::Variable(v) = &t.expr else {
                return None;
            };
            match t.operators.as_slice() {
                [op] => match op.value() {
                    TraversalOperator::GetAttr(a) => {
                        Some((v.as_str().to_string(), Some(a.as_str().to_string())))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// `tags` or `tags["env"]` or `root_block_device[0].size` as a value path.
fn attr_path(e: &Expression) -> Option<Path> {
    match e {
        Expression::Variable(v) => Some(vec![PathStep::Key(v.as_str().to_string())]),
        Expression::String(s) => Some(vec![PathStep::Key(s.value().to_string())]),
        Expression::Traversal(t) => {
            let mut p = attr_path(&t.expr)?;
            for op in &t.operators {
                p.push(match op.value() {
                    TraversalOperator::GetAttr(a) => PathStep::Key(a.as_str().to_string()),
                    TraversalOperator::Index(Expression::String(s)) => {
                        PathStep::Key(s.value().to_string())
                    }
                    TraversalOperator::Index(Expression::Number(n)) => {
                        PathStep::Index(n.value().as_i64()?)
                    }
                    TraversalOperator::LegacyIndex(n) => PathStep::Index(*n.value() as i64),
                    _ => return None,
                });
            }
            Some(p)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> (Config, Diagnostics) {
        load_sources(FsPath::new("."), vec![SourceFile::new("main.tf", src)])
    }

    #[test]
    fn loads_every_block_kind() {
        let (cfg, diags) = load(
            r#"
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
variable "n" {
  type    = number
  default = "3"
  validation {
    condition     = var.n > 0
    error_message = "n must be positive"
  }
}
locals { name = "x-${var.n}" }
resource "terraform_data" "a" {
  count = var.n
  input = local.name
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [input, tags["env"]]
  }
  depends_on = [terraform_data.b]
}
resource "terraform_data" "b" {}
data "aws_ami" "base" { provider = aws.west }
output "o" {
  value     = terraform_data.a[*].id
  sensitive = true
}
"#,
        );
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(cfg.variables["n"].default, Some(Value::Number(3.0)));
        assert_eq!(cfg.providers[0].alias.as_deref(), Some("west"));
        let a = &cfg.resources[&ResourceAddr::managed("terraform_data", "a")];
        assert!(a.lifecycle.prevent_destroy);
        assert_eq!(a.depends_on.len(), 1);
        assert!(matches!(&a.lifecycle.ignore_changes, IgnoreChanges::Paths(p) if p.len() == 2));
        assert!(a.body.body.get_attribute("input").is_some());
        assert!(a.body.body.get_attribute("count").is_none());
        assert!(cfg.outputs["o"].sensitive);
        assert_eq!(
            cfg.provider_source("aws"),
            "registry.terraform.io/hashicorp/aws"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_place() {
        let (_, diags) = load("resource \"a\" \"b\" {\n  x = \n}\n");
        assert!(diags.has_errors());
        assert!(diags.0[0].span.is_some());
    }
}
