//! Reading `*.tf` files into a [`Config`].

use super::typeexpr::parse_type;
use super::*;
use crate::addr::{Mode, ModuleInstance};
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::eval::refs::references;
use crate::eval::{Evaluator, NoReferences};
use crate::value::PathStep;
use hcl_edit::expr::TraversalOperator;
use hcl_edit::structure::{Attribute, Block, Structure};
use std::path::Path as FsPath;

/// How deep module calls may nest before gantry assumes a module calls itself.
const MAX_MODULE_DEPTH: usize = 32;

/// Reads every `*.tf` file of `dir` (sorted by name) and every module it calls, into one
/// configuration tree that shares one set of sources. Always returns a configuration
/// (partial when there were errors) together with the diagnostics.
pub fn load_dir(dir: &FsPath) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    let files = read_tf_files(dir, &mut diags);
    let mut config = load_files(dir, files, &mut sources, &mut diags);
    load_children(
        &mut config,
        dir,
        &ModuleInstance::root(),
        &mut sources,
        &mut diags,
    );
    config.sources = sources;
    (config, diags)
}

/// Builds a configuration from already-read files (used by tests and embedders that keep
/// configurations in memory). Local module sources are read from disk relative to `dir`.
pub fn load_sources(dir: &FsPath, files: Vec<SourceFile>) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    let mut config = load_files(dir, files, &mut sources, &mut diags);
    load_children(
        &mut config,
        dir,
        &ModuleInstance::root(),
        &mut sources,
        &mut diags,
    );
    config.sources = sources;
    (config, diags)
}

/// Where `gantry init` records installed remote modules (Terraform's layout).
pub fn modules_manifest_path(root: &FsPath) -> std::path::PathBuf {
    let data = std::env::var_os("TF_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join(".terraform"));
    data.join("modules").join("modules.json")
}

fn read_tf_files(dir: &FsPath, diags: &mut Diagnostics) -> Vec<SourceFile> {
    let mut files = Vec::new();
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
    files
}

fn load_files(
    dir: &FsPath,
    files: Vec<SourceFile>,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Config {
    let mut cfg = Config {
        dir: dir.to_path_buf(),
        sources: Sources::default(),
        required_providers: BTreeMap::new(),
        provider_versions: BTreeMap::new(),
        required_version: Vec::new(),
        backend: None,
        workspace: "default".into(),
        providers: Vec::new(),
        variables: IndexMap::new(),
        locals: IndexMap::new(),
        resources: IndexMap::new(),
        outputs: IndexMap::new(),
        imports: Vec::new(),
        module_calls: IndexMap::new(),
        checks: Vec::new(),
        moved: Vec::new(),
        removed: Vec::new(),
    };
    let ids: Vec<FileId> = files.into_iter().map(|f| sources.add(f)).collect();
    for id in ids {
        let text: &str = &sources.files[id].text;
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => {
                let mut l = Loader {
                    cfg: &mut cfg,
                    diags,
                    file: id,
                    text,
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
    cfg
}

/// `a/./b/../c` → `a/c`, without touching the file system (module paths as Terraform shows
/// them in `path.module`).
fn clean_path(p: &FsPath) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The directory an installed remote module was unpacked into, from `modules.json`.
fn installed_module_dir(root: &FsPath, key: &str) -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string(modules_manifest_path(root)).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let entry = manifest["Modules"]
        .as_array()?
        .iter()
        .find(|m| m["Key"].as_str() == Some(key))?;
    let dir = entry["Dir"].as_str()?;
    Some(clean_path(&root.join(dir)))
}

/// Loads the configuration of every module `cfg` calls, depth first.
fn load_children(
    cfg: &mut Config,
    root: &FsPath,
    path: &ModuleInstance,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) {
    if path.steps().len() >= MAX_MODULE_DEPTH {
        diags.push(Diagnostic::error(
            "Module calls nest too deeply",
            format!(
                "{path} is {MAX_MODULE_DEPTH} module calls deep; a module probably calls itself."
            ),
        ));
        return;
    }
    let dir = cfg.dir.clone();
    for call in cfg.module_calls.values_mut() {
        let child_path = path.child(&call.name, crate::addr::InstanceKey::None);
        let local = call.source.starts_with("./") || call.source.starts_with("../");
        let child_dir = if local {
            clean_path(&dir.join(&call.source))
        } else {
            match installed_module_dir(root, &child_path.dotted()) {
                Some(d) => d,
                None => {
                    diags.push(Diagnostic::error("Module not installed", format!("This module ({:?}) is not yet installed. Run \"gantry init\" to install all modules required by this configuration.", call.source)).at(call.span.clone()));
                    continue;
                }
            }
        };
        if !child_dir.is_dir() {
            diags.push(
                Diagnostic::error(
                    "Unreadable module directory",
                    format!(
                        "The directory {} for module {:?} does not exist or cannot be read.",
                        child_dir.display(),
                        call.name
                    ),
                )
                .at(call.span.clone()),
            );
            continue;
        }
        let files = read_tf_files(&child_dir, diags);
        let mut child = load_files(&child_dir, files, sources, diags);
        load_children(&mut child, root, &child_path, sources, diags);
        call.config = Some(Arc::new(child));
    }
}

struct Loader<'a> {
    cfg: &'a mut Config,
    diags: &'a mut Diagnostics,
    file: FileId,
    /// The text of `file`.
    text: &'a str,
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
            "module" => self.module_call(b),
            "check" => self.check(b),
            "moved" => self.moved(&b),
            "removed" => self.removed(&b),
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
                        // Only `source` matters here; `configuration_aliases` holds provider
                        // references, which are not constant values.
                        let source = match &a.value {
                            Expression::Object(o) => {
                                let version = object_item(o, "version");
                                if let Some(Expression::String(s)) = version {
                                    let span = self.span(s.span());
                                    self.cfg.provider_versions.insert(
                                        a.key.as_str().to_string(),
                                        (s.value().to_string(), span),
                                    );
                                }
                                let src = object_item(o, "source");
                                match src {
                                    Some(e) => match Evaluator::new(
                                        &NoReferences,
                                        &self.cfg.dir.clone(),
                                        self.file,
                                    )
                                    .eval(e)
                                    {
                                        Ok(v) => v.as_str().map(String::from),
                                        Err(d) => {
                                            self.diags.push(d);
                                            None
                                        }
                                    },
                                    None => Some(format!("hashicorp/{}", a.key.as_str())),
                                }
                            }
                            _ => self.constant(a).and_then(|v| v.as_str().map(String::from)),
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
                Structure::Attribute(a) if a.key.as_str() == "required_version" => {
                    if let Some(v) = self.const_string(a) {
                        let span = self.span(a.value.span());
                        self.cfg.required_version.push((v, span));
                    }
                }
                Structure::Attribute(a) if a.key.as_str() == "experiments" => {}
                Structure::Block(bl) if bl.ident.as_str() == "cloud" => {
                    // Recorded as a backend so that using state refuses it by name.
                    self.cfg.backend = Some(Backend {
                        kind: "cloud".into(),
                        body: BodyRef {
                            file: self.file,
                            body: bl.body.clone(),
                        },
                        span: self.span(bl.ident.span()),
                    });
                }
                Structure::Block(bl) if bl.ident.as_str() == "provider_meta" => {}
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
        let span = b.ident.span();
        let Some(res) = self.resource_block(b) else {
            return;
        };
        if self.cfg.resources.contains_key(&res.addr) {
            self.error("Duplicate resource configuration", format!("A {} block was already declared. Resource names must be unique per type in each module.", res.addr), span);
            return;
        }
        self.cfg.resources.insert(res.addr.clone(), res);
    }

    fn resource_block(&mut self, b: Block) -> Option<Resource> {
        let data = b.ident.as_str() == "data";
        let what = if data {
            "the data source type and name"
        } else {
            "the resource type and name"
        };
        let l = self.labels(&b, 2, what)?;
        let addr = ResourceAddr {
            module: ModuleInstance::root(),
            mode: if data { Mode::Data } else { Mode::Managed },
            rtype: l[0].as_str().into(),
            name: l[1].as_str().into(),
        };
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
        Some(res)
    }

    fn module_call(&mut self, b: Block) {
        let Some(l) = self.labels(&b, 1, "the module call name") else {
            return;
        };
        let name = l[0].clone();
        if self.cfg.module_calls.contains_key(&name) {
            self.error(
                "Duplicate module call",
                format!("A module call named {name:?} was already defined. Module calls must have unique names within a module."),
                b.ident.span(),
            );
            return;
        }
        let mut call = ModuleCall {
            name: name.clone(),
            source: String::new(),
            version: None,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: Vec::new(),
            inputs: IndexMap::new(),
            span: self.span(b.span()),
            config: None,
        };
        let ident_span = b.ident.span();
        let mut has_source = false;
        for s in b.body.into_iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "source" => {
                        has_source = true;
                        call.source = self.const_string(&a).unwrap_or_default();
                    }
                    "version" => call.version = self.const_string(&a),
                    "count" => {
                        call.count = Some(Expr {
                            file: self.file,
                            expr: a.value,
                        })
                    }
                    "for_each" => {
                        call.for_each = Some(Expr {
                            file: self.file,
                            expr: a.value,
                        })
                    }
                    "depends_on" => call.depends_on = self.depends_on(&a),
                    "providers" => call.providers = self.provider_map(&a),
                    _ => {
                        let key = a.key.as_str().to_string();
                        call.inputs.insert(
                            key,
                            Expr {
                                file: self.file,
                                expr: a.value,
                            },
                        );
                    }
                },
                Structure::Block(bl) => self.error(
                    "Unsupported block type",
                    format!(
                        "Blocks of type {:?} are not expected in a module block.",
                        bl.ident.as_str()
                    ),
                    bl.ident.span(),
                ),
            }
        }
        if !has_source {
            self.error(
                "Missing required argument",
                "The argument \"source\" is required, but no definition was found.",
                ident_span.clone(),
            );
        }
        if call.count.is_some() && call.for_each.is_some() {
            self.error("Invalid combination of \"count\" and \"for_each\"", "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.", ident_span);
        }
        if has_source {
            self.cfg.module_calls.insert(name, call);
        }
    }

    /// `providers = { aws = aws.west, "aws.east" = aws }` of a module call.
    fn provider_map(&mut self, a: &Attribute) -> Vec<(String, (String, Option<String>))> {
        let Expression::Object(o) = &a.value else {
            self.error("Invalid providers argument", "providers must be a map from provider names in the module to provider configurations here, such as { aws = aws.west }.", a.value.span());
            return vec![];
        };
        let mut out = Vec::new();
        for (k, v) in o.iter() {
            let key = match k {
                hcl_edit::expr::ObjectKey::Ident(i) => Some((i.as_str().to_string(), None)),
                hcl_edit::expr::ObjectKey::Expression(e) => provider_ref(e),
            };
            match (key, provider_ref(v.expr())) {
                (Some((kn, ka)), Some(target)) => {
                    out.push((Config::provider_key(&kn, ka.as_deref()), target))
                }
                _ => self.error("Invalid providers argument", "Each entry of providers must map a provider name such as aws or aws.east to a provider configuration such as aws.west.", v.expr().span()),
            }
        }
        out
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

    /// A `precondition`, `postcondition` or `assert` block.
    fn condition(&mut self, b: &Block, kind: ConditionKind) -> Option<Condition> {
        let cond = b.body.get_attribute("condition");
        let msg = b.body.get_attribute("error_message");
        match (cond, msg) {
            (Some(c), Some(m)) => Some(Condition {
                kind,
                condition: self.expr(&c.value),
                error_message: self.expr(&m.value),
                span: self.span(b.span()),
            }),
            _ => {
                self.error(
                    "Missing required argument",
                    format!(
                        "A {} block needs both condition and error_message.",
                        b.ident.as_str()
                    ),
                    b.ident.span(),
                );
                None
            }
        }
    }

    fn check(&mut self, b: Block) {
        let Some(l) = self.labels(&b, 1, "the check name") else {
            return;
        };
        let mut check = Check {
            name: l[0].clone(),
            asserts: vec![],
            data: None,
            span: self.span(b.span()),
        };
        for s in b.body.into_iter() {
            match s {
                Structure::Block(bl) if bl.ident.as_str() == "assert" => {
                    if let Some(c) = self.condition(&bl, ConditionKind::Assert) {
                        check.asserts.push(c);
                    }
                }
                Structure::Block(bl) if bl.ident.as_str() == "data" && check.data.is_none() => {
                    if let Some(r) = self.resource_block(bl) {
                        check.data = Some(r);
                    }
                }
                Structure::Block(bl) => self.error(
                    "Unsupported block type",
                    format!("Blocks of type {:?} are not expected in a check block (one data block and assert blocks are).", bl.ident.as_str()),
                    bl.ident.span(),
                ),
                Structure::Attribute(a) => self.error(
                    "Unsupported argument",
                    format!("An argument named {:?} is not expected in a check block.", a.key.as_str()),
                    a.key.span(),
                ),
            }
        }
        if check.asserts.is_empty() {
            self.error(
                "Missing required block",
                "A check block needs at least one assert block.",
                b.ident.span(),
            );
        }
        self.cfg.checks.push(check);
    }

    fn lifecycle(&mut self, b: &Block) -> Lifecycle {
        let mut lc = Lifecycle::default();
        for bl in b.body.blocks() {
            let kind = match bl.ident.as_str() {
                "precondition" => ConditionKind::Precondition,
                "postcondition" => ConditionKind::Postcondition,
                other => {
                    self.error(
                        "Unsupported block type",
                        format!("Blocks of type {other:?} are not expected in a lifecycle block."),
                        bl.ident.span(),
                    );
                    continue;
                }
            };
            if let Some(c) = self.condition(bl, kind) {
                lc.conditions.push(c);
            }
        }
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

    /// An address argument (`from`, `to`) as written, whitespace removed; `None` (reported)
    /// when it is not a resource, instance or module address.
    fn address_arg(&mut self, b: &Block, key: &str) -> Option<String> {
        let Some(a) = b.body.get_attribute(key) else {
            self.error(
                "Missing required argument",
                format!(
                    "The argument {key:?} is required in a {} block.",
                    b.ident.as_str()
                ),
                b.ident.span(),
            );
            return None;
        };
        let text = match &a.value {
            Expression::Traversal(_) | Expression::Variable(_) => a
                .value
                .span()
                .and_then(|r| self.text.get(r))
                .map(|t| t.split_whitespace().collect::<String>()),
            _ => None,
        };
        match text {
            Some(t)
                if t.parse::<crate::addr::InstanceAddr>().is_ok()
                    || t.parse::<ModuleInstance>().is_ok() =>
            {
                Some(t)
            }
            _ => {
                self.error("Invalid address", format!("The {key:?} argument must be a resource, resource instance or module address, such as aws_instance.gpu, aws_instance.gpu[0] or module.serving."), a.value.span());
                None
            }
        }
    }

    fn moved(&mut self, b: &Block) {
        let (from, to) = (self.address_arg(b, "from"), self.address_arg(b, "to"));
        if let (Some(from), Some(to)) = (from, to) {
            let module = |t: &str| t.parse::<ModuleInstance>().is_ok();
            if module(&from) != module(&to) {
                self.error(
                    "Invalid \"moved\" addresses",
                    "A moved block must move a module to a module, or a resource to a resource.",
                    b.ident.span(),
                );
                return;
            }
            let span = self.span(b.span());
            self.cfg.moved.push(Moved { from, to, span });
        }
    }

    fn removed(&mut self, b: &Block) {
        let Some(from) = self.address_arg(b, "from") else {
            return;
        };
        let mut destroy = true;
        for lc in b.body.blocks().filter(|x| x.ident.as_str() == "lifecycle") {
            if let Some(a) = lc.body.get_attribute("destroy") {
                destroy = self.const_bool(a);
            }
        }
        let span = self.span(b.span());
        self.cfg.removed.push(Removed {
            from,
            destroy,
            span,
        });
    }

    fn import(&mut self, b: &Block) {
        let span = self.span(b.span());
        let (Some(to), Some(id)) = (b.body.get_attribute("to"), b.body.get_attribute("id")) else {
            self.error("Missing required argument", "An import block needs both \"to\" (the resource address) and \"id\" (the object's id in the cloud).", b.ident.span());
            return;
        };
        let text = match &to.value {
            Expression::Traversal(_) | Expression::Variable(_) => to
                .value
                .span()
                .and_then(|r| self.text.get(r))
                .map(|t| t.split_whitespace().collect::<String>()),
            _ => None,
        };
        let for_each = b
            .body
            .get_attribute("for_each")
            .map(|a| self.expr(&a.value));
        // `to = TYPE.NAME[expression]` (with for_each): the key is evaluated per element.
        let dynamic_key = match &to.value {
            Expression::Traversal(t) => match t.operators.last().map(|o| o.value()) {
                Some(TraversalOperator::Index(e))
                    if !matches!(e, Expression::String(_) | Expression::Number(_)) =>
                {
                    Some(self.expr(e))
                }
                _ => None,
            },
            _ => None,
        };
        let parsed = match (&dynamic_key, text.as_deref()) {
            (Some(_), Some(t)) => t
                .rfind('[')
                .and_then(|i| t[..i].parse::<crate::addr::InstanceAddr>().ok()),
            (None, Some(t)) => t.parse::<crate::addr::InstanceAddr>().ok(),
            _ => None,
        };
        match parsed {
            Some(addr) => {
                if dynamic_key.is_some() && for_each.is_none() {
                    self.error("Invalid import address", "An import address may use an expression as its key only with for_each.", to.value.span());
                    return;
                }
                let id = self.expr(&id.value);
                self.cfg.imports.push(Import { to: addr, to_key: dynamic_key, for_each, id, span });
            }
            None => self.error("Invalid import address", "The \"to\" argument must be a resource address such as aws_s3_bucket.artifacts or aws_instance.gpu[0].", to.value.span()),
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
            preconditions: vec![],
            span: self.span(b.span()),
        };
        for bl in b.body.blocks() {
            match bl.ident.as_str() {
                "precondition" => {
                    if let Some(c) = self.condition(bl, ConditionKind::Precondition) {
                        out.preconditions.push(c);
                    }
                }
                other => self.error(
                    "Unsupported block type",
                    format!("Blocks of type {other:?} are not expected in an output block."),
                    bl.ident.span(),
                ),
            }
        }
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

/// The value of `key = ...` in an object constructor (`{ source = "hashicorp/aws" }`).
fn object_item<'a>(o: &'a hcl_edit::expr::Object, key: &str) -> Option<&'a Expression> {
    o.iter().find_map(|(k, v)| {
        let name = match k {
            hcl_edit::expr::ObjectKey::Ident(i) => i.as_str(),
            hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => s.value().as_str(),
            _ => "",
        };
        (name == key).then_some(v.expr())
    })
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
