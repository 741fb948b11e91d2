//! Turning a resource block's body into an object value, guided by the provider's schema, and
//! the generic planning rules Terraform applies before the provider sees a change.

use gantry_core::config::IgnoreChanges;
use gantry_core::diag::{Diagnostic, Diagnostics, FileId, SourceSpan};
use gantry_core::eval::{Evaluator, Reference, Resolver};
use gantry_core::provider::{AttributeSchema, BlockSchema, NestedBlock, Nesting, ResourceSchema};
use gantry_core::value::{Map, Path, PathStep, Value};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::Span;

/// Adds a `dynamic` block's iterator to the names in scope.
struct WithIterator<'a> {
    base: &'a dyn Resolver,
    name: &'a str,
    value: Value,
}

impl Resolver for WithIterator<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        self.base.resolve(r)
    }

    fn resolve_name(&self, name: &str) -> Option<Value> {
        if name == self.name {
            Some(self.value.clone())
        } else {
            self.base.resolve_name(name)
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

/// The blocks one `dynamic` block generates: its `content` once per element of `for_each`,
/// with the iterator (`iterator`, or the label) bound to `{ key, value }`. `None` while
/// `for_each` is unknown.
fn dynamic_blocks(
    ev: &Evaluator,
    b: &hcl_edit::structure::Block,
    nb: &gantry_core::provider::NestedBlock,
) -> Result<Option<Vec<Value>>, Diagnostics> {
    let at = |r: Option<std::ops::Range<usize>>| {
        r.map(|bytes| SourceSpan {
            file: ev.file,
            bytes,
        })
    };
    let missing = |what: &str| -> Diagnostics {
        Diagnostic::error(
            "Missing required argument",
            format!("A dynamic block needs {what}."),
        )
        .at(at(b.ident.span()))
        .into()
    };
    let for_each = b
        .body
        .get_attribute("for_each")
        .ok_or_else(|| missing("a for_each argument"))?;
    let content = b
        .body
        .blocks()
        .find(|c| c.ident.as_str() == "content")
        .ok_or_else(|| missing("a content block"))?;
    let Some(iterator) = gantry_core::eval::refs::dynamic_iterator(b) else {
        return Err(Diagnostic::error(
            "Invalid dynamic iterator name",
            "The iterator argument must be a single name, such as iterator = setting.",
        )
        .at(at(b
            .body
            .get_attribute("iterator")
            .and_then(|a| a.value.span())))
        .into());
    };
    for a in b.body.attributes() {
        if !matches!(a.key.as_str(), "for_each" | "iterator" | "labels") {
            return Err(Diagnostic::error(
                "Unsupported argument",
                format!(
                    "An argument named {:?} is not expected in a dynamic block.",
                    a.key.as_str()
                ),
            )
            .at(at(a.key.span()))
            .into());
        }
    }
    let coll = ev.eval(&for_each.value)?;
    if coll.contains_sensitive() {
        return Err(Diagnostic::error("Invalid dynamic for_each value", "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments.").at(at(for_each.value.span())).into());
    }
    if !coll.is_wholly_known() && coll.is_unknown() {
        return Ok(None);
    }
    let pairs =
        gantry_core::eval::iter_pairs(&coll, at(for_each.value.span())).map_err(|mut d| {
            d.summary = "Invalid dynamic for_each value".into();
            Diagnostics::from(d)
        })?;
    let mut out = Vec::new();
    let mut diags = Diagnostics::default();
    for (k, v) in pairs {
        let mut it = Map::new();
        it.insert("key".into(), k);
        it.insert("value".into(), v);
        let scope = WithIterator {
            base: ev.resolver,
            name: &iterator,
            value: Value::map(it),
        };
        let inner = Evaluator::new(&scope, ev.base_dir, ev.file);
        match decode_body(&inner, &content.body, &nb.block, at(content.span())) {
            Ok(v) => out.push(v),
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result().map(|()| Some(out))
}

/// Evaluates `body` against `schema`: every schema attribute and block is present in the
/// result (null when unset), values are converted to the attribute's type, schema-sensitive
/// attributes are marked. Unknown arguments and missing required ones are errors.
pub fn decode_body(
    ev: &Evaluator,
    body: &Body,
    schema: &BlockSchema,
    block_span: Option<SourceSpan>,
) -> Result<Value, Diagnostics> {
    let fixed = attributes_as_blocks(body, schema);
    let schema = fixed.as_ref().unwrap_or(schema);
    let mut diags = Diagnostics::default();
    let mut out = Map::new();
    let span =
        |r: Option<std::ops::Range<usize>>, file: FileId| r.map(|bytes| SourceSpan { file, bytes });
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let name = a.key.as_str();
                let Some(attr) = schema
                    .attributes
                    .get(name)
                    .filter(|x| x.required || x.optional)
                else {
                    let detail = if schema.attributes.contains_key(name) {
                        format!("The argument {name:?} is computed by the provider and cannot be set in configuration.")
                    } else if schema.blocks.contains_key(name) {
                        format!("An argument named {name:?} is not expected here. Did you mean to define a block of type {name:?}?")
                    } else {
                        format!("An argument named {name:?} is not expected here.")
                    };
                    diags.push(
                        Diagnostic::error("Unsupported argument", detail)
                            .at(span(a.key.span(), ev.file)),
                    );
                    continue;
                };
                match ev.eval(&a.value) {
                    Ok(v) => match attr.ty.convert(&v) {
                        Ok(v) => {
                            out.insert(name.to_string(), v.mark_if(attr.sensitive));
                        }
                        // The conversion message quotes the value: not for a sensitive one.
                        Err(_) if v.contains_sensitive() => diags.push(
                            Diagnostic::error(
                                "Incorrect attribute value type",
                                format!("Inappropriate value for attribute {name:?}: it must be of type {} (the value is sensitive, so it is not shown).", attr.ty.name()),
                            )
                            .at(span(a.value.span(), ev.file)),
                        ),
                        Err(m) => diags.push(
                            Diagnostic::error(
                                "Incorrect attribute value type",
                                format!("Inappropriate value for attribute {name:?}: {m}."),
                            )
                            .at(span(a.value.span(), ev.file)),
                        ),
                    },
                    Err(d) => diags.push(d),
                }
            }
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                let label = b.labels.first().map(|l| l.as_str().to_string());
                match label {
                    Some(l) if schema.blocks.contains_key(&l) => {}
                    Some(l) => diags.push(
                        Diagnostic::error(
                            "Unsupported block type",
                            format!("Blocks of type {l:?} are not expected here, so a dynamic block cannot generate them."),
                        )
                        .at(span(b.ident.span(), ev.file)),
                    ),
                    None => diags.push(
                        Diagnostic::error(
                            "Missing dynamic block label",
                            "A dynamic block needs one label: the type of the blocks to generate.",
                        )
                        .at(span(b.ident.span(), ev.file)),
                    ),
                }
            }
            Structure::Block(b) if !schema.blocks.contains_key(b.ident.as_str()) => {
                diags.push(
                    Diagnostic::error(
                        "Unsupported block type",
                        format!(
                            "Blocks of type {:?} are not expected here.",
                            b.ident.as_str()
                        ),
                    )
                    .at(span(b.ident.span(), ev.file)),
                );
            }
            Structure::Block(_) => {}
        }
    }
    for (name, attr) in &schema.attributes {
        if out.contains_key(name) {
            continue;
        }
        if attr.required {
            diags.push(
                Diagnostic::error(
                    "Missing required argument",
                    format!("The argument {name:?} is required, but no definition was found."),
                )
                .at(block_span.clone()),
            );
        }
        let dflt = attr
            .default
            .clone()
            .filter(|_| !attr.computed || attr.optional);
        out.insert(name.clone(), dflt.unwrap_or(Value::Null));
    }
    for (name, nb) in &schema.blocks {
        let mut items = Vec::new();
        // Unknown when a dynamic block's for_each is not known yet.
        let mut unknown = false;
        for b in body.blocks() {
            if b.ident.as_str() == name.as_str() {
                match decode_body(ev, &b.body, &nb.block, span(b.span(), ev.file)) {
                    Ok(v) => items.push(v),
                    Err(d) => diags.extend(d),
                }
            } else if b.ident.as_str() == "dynamic"
                && b.labels
                    .first()
                    .is_some_and(|l| l.as_str() == name.as_str())
            {
                match dynamic_blocks(ev, b, nb) {
                    Ok(Some(mut v)) => items.append(&mut v),
                    Ok(None) => unknown = true,
                    Err(d) => diags.extend(d),
                }
            }
        }
        if unknown {
            out.insert(name.clone(), Value::Unknown);
            continue;
        }
        if items.len() < nb.min_items || (nb.max_items > 0 && items.len() > nb.max_items) {
            let detail = if items.len() < nb.min_items {
                format!("At least {} {name:?} blocks are required.", nb.min_items)
            } else {
                format!("No more than {} {name:?} blocks are allowed.", nb.max_items)
            };
            diags.push(
                Diagnostic::error(
                    if items.len() < nb.min_items {
                        "Insufficient blocks"
                    } else {
                        "Too many blocks"
                    },
                    detail,
                )
                .at(block_span.clone()),
            );
        }
        let v = match nb.nesting {
            Nesting::Single => items.into_iter().next().unwrap_or(Value::Null),
            Nesting::List => Value::list(items),
            Nesting::Set => Value::set(items),
        };
        out.insert(name.clone(), v);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Value::map(out))
}

/// Terraform's "attributes as blocks": an attribute of list- or set-of-object type (SDKv2's
/// `ConfigModeAttr`, such as `aws_security_group.ingress`) may be written as blocks. When
/// the body does so, the attribute is decoded as a nested block whose arguments are the
/// object's attributes, all optional.
fn attributes_as_blocks(body: &Body, schema: &BlockSchema) -> Option<BlockSchema> {
    use gantry_core::types::Type;
    let mut fixed: Option<BlockSchema> = None;
    for b in body.blocks() {
        let name = if b.ident.as_str() == "dynamic" {
            match b.labels.first() {
                Some(l) => l.as_str().to_string(),
                None => continue,
            }
        } else {
            b.ident.as_str().to_string()
        };
        if schema.blocks.contains_key(&name) {
            continue;
        }
        let Some(attr) = schema.attributes.get(&name).filter(|a| a.optional) else {
            continue;
        };
        let (nesting, fields) = match &attr.ty {
            Type::List(t) => match &**t {
                Type::Object(f) => (Nesting::List, f),
                _ => continue,
            },
            Type::Set(t) => match &**t {
                Type::Object(f) => (Nesting::Set, f),
                _ => continue,
            },
            _ => continue,
        };
        let mut block = BlockSchema::default();
        for (k, f) in fields {
            block
                .attributes
                .insert(k.clone(), AttributeSchema::optional(f.ty.clone()));
        }
        let out = fixed.get_or_insert_with(|| schema.clone());
        out.attributes.remove(&name);
        out.blocks.insert(
            name,
            NestedBlock {
                nesting,
                block,
                min_items: 0,
                max_items: 0,
                force_new: false,
            },
        );
    }
    fixed
}

/// Terraform's "proposed new state": configuration where set; for computed attributes left
/// unset, the prior value (or unknown when creating).
pub fn proposed_new(schema: &BlockSchema, prior: Option<&Value>, config: &Value) -> Value {
    let mut out = Map::new();
    for (name, attr) in &schema.attributes {
        let cv = config.get_attr(name).cloned().unwrap_or(Value::Null);
        let v = if attr.computed && cv.is_null() {
            // An update keeps the prior value, null included (a key the prior object lacks
            // is null, as in a state upgraded to a wider schema); only a create is unknown.
            match prior {
                Some(p) => p.get_attr(name).cloned().unwrap_or(Value::Null),
                None => Value::Unknown,
            }
        } else {
            cv
        };
        out.insert(name.clone(), v);
    }
    for (name, nb) in &schema.blocks {
        let cv = config.get_attr(name).cloned().unwrap_or(Value::Null);
        let pv = prior.and_then(|p| p.get_attr(name));
        let v = match (nb.nesting, cv.unmark().0) {
            (Nesting::Single, Value::Map(_)) => proposed_new(&nb.block, pv, &cv),
            (Nesting::List, Value::List(items)) => Value::list(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let p = pv.and_then(|p| p.as_seq()).and_then(|l| l.get(i));
                        proposed_new(&nb.block, p, item)
                    })
                    .collect(),
            ),
            (Nesting::Set, Value::Set(items)) => Value::set(
                items
                    .iter()
                    .map(|item| proposed_new(&nb.block, None, item))
                    .collect(),
            ),
            _ => cv,
        };
        out.insert(name.clone(), v);
    }
    Value::map(out)
}

/// Carries attributes of `prior` that the schema does not model into `new`, unchanged, at
/// every level of nested blocks. A native provider models a subset of the upstream
/// provider's schema; objects Terraform wrote (or a newer gantry) hold more. Those attributes
/// are not gantry's to change: dropping them would show every one as removed, and rewriting
/// state without them would lose them for Terraform.
pub fn carry_unmodeled(schema: &BlockSchema, prior: &Value, new: Value) -> Value {
    let (Some(pm), Some(nm)) = (prior.unmark().0.as_map(), new.as_map()) else {
        return new;
    };
    // The common case (every prior attribute modeled, no nested blocks): nothing to carry,
    // no copy.
    if schema.blocks.is_empty() && pm.keys().all(|k| schema.attributes.contains_key(k)) {
        return new;
    }
    let mut out = nm.clone();
    for (k, pv) in pm.iter() {
        if let Some(nb) = schema.blocks.get(k) {
            let (Some(nv), true) = (
                nm.get(k),
                matches!(nb.nesting, Nesting::Single | Nesting::List),
            ) else {
                continue;
            };
            let carried = match (nb.nesting, pv.unmark().0, nv.unmark().0) {
                (Nesting::Single, Value::Map(_), Value::Map(_)) => {
                    carry_unmodeled(&nb.block, pv, nv.clone())
                }
                (Nesting::List, Value::List(ps), Value::List(ns)) => Value::list(
                    ns.iter()
                        .enumerate()
                        .map(|(i, n)| match ps.get(i) {
                            Some(p) => carry_unmodeled(&nb.block, p, n.clone()),
                            None => n.clone(),
                        })
                        .collect(),
                ),
                _ => continue,
            };
            out.insert(k.clone(), carried);
        } else if !schema.attributes.contains_key(k) && !out.contains_key(k) {
            out.insert(k.clone(), pv.clone());
        }
    }
    Value::map(out)
}

/// `lifecycle.ignore_changes`: keep the prior value at the ignored paths.
pub fn apply_ignore_changes(
    schema: &BlockSchema,
    ignore: &IgnoreChanges,
    prior: Option<&Value>,
    proposed: Value,
) -> Value {
    let Some(prior) = prior else { return proposed };
    match ignore {
        IgnoreChanges::None => proposed,
        IgnoreChanges::All => {
            let mut m = proposed.as_map().cloned().unwrap_or_default();
            for (name, attr) in &schema.attributes {
                if attr.required || attr.optional {
                    if let Some(p) = prior.get_attr(name) {
                        m.insert(name.clone(), p.clone());
                    }
                }
            }
            for name in schema.blocks.keys() {
                if let Some(p) = prior.get_attr(name) {
                    m.insert(name.clone(), p.clone());
                }
            }
            Value::map(m)
        }
        IgnoreChanges::Paths(paths) => paths.iter().fold(proposed, |v, p| match prior.at_path(p) {
            Some(pv) => set_path(&v, p, pv.clone()),
            None => v,
        }),
    }
}

/// `v` with the part at `path` replaced (or added, for map keys).
pub fn set_path(v: &Value, path: &[PathStep], new: Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return new;
    };
    let (inner, sensitive) = v.unmark();
    let out = match (inner, first) {
        (Value::Map(m), PathStep::Key(k)) => {
            let mut m = (**m).clone();
            let child = m.get(k).cloned().unwrap_or(Value::Null);
            m.insert(k.clone(), set_path(&child, rest, new));
            Value::map(m)
        }
        (Value::List(l), PathStep::Index(i)) if (*i as usize) < l.len() => {
            let mut l = (**l).clone();
            l[*i as usize] = set_path(&l[*i as usize], rest, new);
            Value::list(l)
        }
        _ => return v.clone(),
    };
    out.mark_if(sensitive)
}

/// Attributes and blocks marked force-new whose value differs between prior and planned,
/// as paths — inside nested blocks too, as SDKv2's ForceNew on a nested attribute replaces
/// the whole object: list and single blocks are compared element by element (an element
/// on one side only is compared with nothing); set elements have no identity to pair, so
/// only a force-new set block as a whole counts.
pub fn changed_force_new(
    schema: &BlockSchema,
    prior: &Value,
    planned: &Value,
    legacy: bool,
) -> Vec<Path> {
    let mut out = Vec::new();
    force_new_in(schema, prior, planned, legacy, &[], &mut out);
    out
}

fn force_new_in(
    schema: &BlockSchema,
    prior: &Value,
    planned: &Value,
    legacy: bool,
    at: &[PathStep],
    out: &mut Vec<Path>,
) {
    let get = |v: &Value, name: &str| {
        v.get_attr(name)
            .map(|v| v.unmark_deep().0)
            .unwrap_or(Value::Null)
    };
    let differs = |a: &Value, b: &Value| {
        if legacy {
            !equal_as(a, b, true)
        } else {
            a != b
        }
    };
    let path = |name: &str, index: Option<usize>| {
        let mut p = at.to_vec();
        p.push(PathStep::Key(name.to_string()));
        if let Some(i) = index {
            p.push(PathStep::Index(i as i64));
        }
        p
    };
    for (name, attr) in &schema.attributes {
        if attr.force_new && differs(&get(prior, name), &get(planned, name)) {
            out.push(path(name, None));
        }
    }
    for (name, nb) in &schema.blocks {
        let (a, b) = (get(prior, name), get(planned, name));
        if nb.force_new && differs(&a, &b) {
            out.push(path(name, None));
            continue;
        }
        let elements = |v: &Value| -> Vec<Value> {
            match v {
                Value::Map(_) => vec![v.clone()],
                Value::List(l) => l.to_vec(),
                _ => Vec::new(),
            }
        };
        if nb.nesting == Nesting::Set || !b.is_wholly_known() {
            continue;
        }
        let (xs, ys) = (elements(&a), elements(&b));
        for i in 0..xs.len().max(ys.len()) {
            let x = xs.get(i).cloned().unwrap_or(Value::Null);
            let y = ys.get(i).cloned().unwrap_or(Value::Null);
            let inner = path(name, (nb.nesting == Nesting::List).then_some(i));
            force_new_in(&nb.block, &x, &y, legacy, &inner, out);
        }
    }
}

fn collect_secrets(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Sensitive(inner) => {
            let plain = inner.unmark_deep().0;
            if !plain.is_null() && plain.is_wholly_known() {
                out.push(plain);
            }
        }
        Value::List(l) | Value::Set(l) => l.iter().for_each(|x| collect_secrets(x, out)),
        Value::Map(m) => m.values().for_each(|x| collect_secrets(x, out)),
        _ => {}
    }
}

fn echoes(v: &Value, secret: &Value) -> bool {
    if v == secret {
        return true;
    }
    match (v, secret) {
        (Value::String(a), Value::String(b)) => b.len() >= 3 && a.contains(&**b),
        _ => false,
    }
}

fn taint(v: &Value, secrets: &[Value]) -> Value {
    if v.is_sensitive() {
        return v.clone();
    }
    if !v.is_null() && secrets.iter().any(|s| echoes(v, s)) {
        return v.clone().mark_if(true);
    }
    match v {
        Value::List(l) => Value::list(l.iter().map(|x| taint(x, secrets)).collect()),
        Value::Set(l) => Value::Set(std::sync::Arc::new(
            l.iter().map(|x| taint(x, secrets)).collect(),
        )),
        Value::Map(m) => Value::map(
            m.iter()
                .map(|(k, x)| (k.clone(), taint(x, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Re-applies the sensitive marks of `marks_from` (and schema-sensitive attributes) to a value
/// a provider returned unmarked. Any part of the result that echoes a sensitive value (equal
/// to it, or a string containing it) is marked too: a provider that copies a secret into a
/// computed attribute (as `terraform_data.output` does) must not reveal it.
pub fn remark(schema: &BlockSchema, v: Value, marks_from: &[&Value]) -> Value {
    let mut secrets = Vec::new();
    for src in marks_from {
        collect_secrets(src, &mut secrets);
    }
    let mut v = if secrets.is_empty() {
        v
    } else {
        taint(&v, &secrets)
    };
    for src in marks_from {
        for p in src.sensitive_paths() {
            if v.at_path(&p).is_some() {
                v = v.mark_path(&p);
            }
        }
    }
    for (name, attr) in &schema.attributes {
        if attr.sensitive {
            let p = vec![PathStep::Key(name.clone())];
            if v.at_path(&p).is_some_and(|x| !x.is_null()) {
                v = v.mark_path(&p);
            }
        }
    }
    v
}

/// Equality as an API sees it: sensitive marks ignored, and strings holding JSON documents
/// compared by structure (a policy with its keys reordered is the same policy).
pub fn semantically_equal(a: &Value, b: &Value) -> bool {
    equal_as(a, b, false)
}

/// [`semantically_equal`] under the schema's type system: for legacy (SDKv2) providers, null
/// and the zero value of an attribute are the same.
pub fn equal_for(schema: &ResourceSchema, a: &Value, b: &Value) -> bool {
    equal_as(a, b, schema.legacy_type_system)
}

/// An update's planned value with every part that equals the prior's under the legacy rule
/// spelled as the prior spells it (what SDKv2's planning does): a configuration's null
/// against a recorded `""` is no change to show. Non-legacy schemas: `planned` as is.
pub fn settle_toward_prior(schema: &ResourceSchema, planned: &Value, prior: &Value) -> Value {
    if !schema.legacy_type_system {
        return planned.clone();
    }
    settle(planned, prior)
}

fn settle(planned: &Value, prior: &Value) -> Value {
    if equal_as(planned, prior, true) {
        return prior.clone();
    }
    match (planned, prior) {
        (Value::Map(p), Value::Map(q)) => Value::map(
            p.iter()
                .map(|(k, v)| {
                    let v = match q.get(k) {
                        Some(old) => settle(v, old),
                        None => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        (Value::List(p), Value::List(q)) if p.len() == q.len() => {
            Value::list(p.iter().zip(q.iter()).map(|(a, b)| settle(a, b)).collect())
        }
        (Value::Set(p), Value::List(q) | Value::Set(q)) => {
            // Each element the prior holds in another spelling takes the prior's.
            Value::set(
                p.iter()
                    .map(|a| {
                        q.iter()
                            .find(|b| equal_as(a, b, true))
                            .cloned()
                            .unwrap_or_else(|| a.clone())
                    })
                    .collect(),
            )
        }
        _ => planned.clone(),
    }
}

/// `""`, `false`, `0` and empty collections: what an SDKv2 provider stores for "unset" —
/// including a nested block whose every attribute is unset (SDKv2 flattens an empty API
/// structure into one such block).
fn is_zero(v: &Value) -> bool {
    match v.unmark().0 {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => *n == 0.0,
        Value::List(l) | Value::Set(l) => match l.as_slice() {
            [] => true,
            [one] => one.as_map().is_some_and(|m| m.values().all(is_zero)),
            _ => false,
        },
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

fn equal_as(a: &Value, b: &Value, legacy: bool) -> bool {
    let (a, _) = a.unmark();
    let (b, _) = b.unmark();
    if legacy && is_zero(a) && is_zero(b) {
        return true;
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if x == y {
                return true;
            }
            let doc = |s: &str| {
                let t = s.trim_start();
                if t.starts_with('{') || t.starts_with('[') {
                    serde_json::from_str::<serde_json::Value>(s).ok()
                } else {
                    None
                }
            };
            matches!((doc(x), doc(y)), (Some(p), Some(q)) if p == q)
        }
        // Sets: the same elements in any order (each matched once). Elements equal only
        // under the legacy rule (`""` against null) may sort apart, so order cannot decide.
        (Value::Set(x), Value::List(y) | Value::Set(y)) | (Value::List(x), Value::Set(y)) => {
            let mut unused: Vec<&Value> = y.iter().collect();
            x.len() == y.len()
                && x.iter().all(
                    |p| match unused.iter().position(|q| equal_as(p, q, legacy)) {
                        Some(i) => {
                            unused.swap_remove(i);
                            true
                        }
                        None => false,
                    },
                )
        }
        // State files cannot tell a set from a list, so a set read back from state is a list.
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal_as(p, q, legacy))
        }
        (Value::Map(x), Value::Map(y)) if legacy => {
            // A key missing on one side is null there.
            let null = Value::Null;
            x.iter()
                .all(|(k, p)| equal_as(p, y.get(k).unwrap_or(&null), true))
                && y.iter().all(|(k, q)| x.contains_key(k) || is_zero(q))
        }
        (Value::Map(x), Value::Map(y)) => {
            // An object attribute missing on one side is null there (an imported object
            // records only what it read).
            let null = Value::Null;
            x.iter()
                .all(|(k, p)| equal_as(p, y.get(k).unwrap_or(&null), false))
                && y.iter().all(|(k, q)| x.contains_key(k) || q.is_null())
        }
        (x, y) => x.unmark_deep().0 == y.unmark_deep().0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_force_new_attribute_inside_nested_blocks_replaces() {
        use gantry_core::types::Type;
        let leaf = |force_new: bool| {
            let mut b = BlockSchema::default();
            let mut a = AttributeSchema::required(Type::String);
            a.force_new = force_new;
            b.attributes.insert("machine_type".into(), a);
            b.attributes
                .insert("replicas".into(), AttributeSchema::optional(Type::Number));
            b
        };
        let nested = |nesting, block| NestedBlock {
            nesting,
            block,
            min_items: 0,
            max_items: 1,
            force_new: false,
        };
        let mut outer = BlockSchema::default();
        outer
            .blocks
            .insert("spec".into(), nested(Nesting::Single, leaf(true)));
        let mut schema = BlockSchema::default();
        schema
            .blocks
            .insert("resources".into(), nested(Nesting::List, outer));
        let obj = |machine: &str, replicas: f64| {
            let spec: Map = [
                ("machine_type".to_string(), Value::string(machine)),
                ("replicas".to_string(), Value::Number(replicas)),
            ]
            .into_iter()
            .collect();
            let res: Map = [("spec".to_string(), Value::map(spec))]
                .into_iter()
                .collect();
            let top: Map = [("resources".to_string(), Value::list(vec![Value::map(res)]))]
                .into_iter()
                .collect();
            Value::map(top)
        };
        let paths = changed_force_new(&schema, &obj("g2", 1.0), &obj("a2", 1.0), true);
        assert_eq!(
            paths,
            vec![vec![
                PathStep::Key("resources".into()),
                PathStep::Index(0),
                PathStep::Key("spec".into()),
                PathStep::Key("machine_type".into()),
            ]]
        );
        // A change to an attribute that is not force-new replaces nothing.
        assert!(changed_force_new(&schema, &obj("g2", 1.0), &obj("g2", 4.0), true).is_empty());
    }

    #[test]
    fn json_documents_compare_by_structure() {
        let a = Value::string(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#);
        let b =
            Value::string(r#"{ "Statement": [ { "Effect": "Allow" } ], "Version": "2012-10-17" }"#);
        assert!(semantically_equal(&a, &b));
        assert!(!semantically_equal(
            &a,
            &Value::string(r#"{"Version":"2012-10-17"}"#)
        ));
        assert!(!semantically_equal(
            &Value::string("{x"),
            &Value::string("{ x")
        ));
    }

    fn decode(src: &str, vars: &[(&str, Value)]) -> Result<Value, Diagnostics> {
        use gantry_core::provider::{AttributeSchema, BlockSchema, NestedBlock};
        use gantry_core::types::Type;
        struct Vars(Vec<(String, Value)>);
        impl Resolver for Vars {
            fn resolve(&self, r: &Reference) -> Result<Value, String> {
                match r {
                    Reference::Var(n) => self
                        .0
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| format!("no var {n}")),
                    other => Err(format!("not here: {other}")),
                }
            }
        }
        let rule = BlockSchema {
            attributes: [
                ("port".to_string(), AttributeSchema::optional(Type::Number)),
                ("from".to_string(), AttributeSchema::optional(Type::String)),
            ]
            .into(),
            blocks: Default::default(),
        };
        let ingress = BlockSchema {
            attributes: [("name".to_string(), AttributeSchema::optional(Type::String))].into(),
            blocks: [(
                "rule".to_string(),
                NestedBlock {
                    nesting: Nesting::List,
                    block: rule,
                    min_items: 0,
                    max_items: 0,
                    force_new: false,
                },
            )]
            .into(),
        };
        let schema = BlockSchema {
            attributes: Default::default(),
            blocks: [(
                "ingress".to_string(),
                NestedBlock {
                    nesting: Nesting::List,
                    block: ingress,
                    min_items: 0,
                    max_items: 0,
                    force_new: false,
                },
            )]
            .into(),
        };
        let body = hcl_edit::parser::parse_body(src).unwrap();
        let resolver = Vars(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        );
        let ev = Evaluator::new(&resolver, std::path::Path::new("."), 0);
        decode_body(&ev, &body, &schema, None)
    }

    #[test]
    fn dynamic_blocks_expand_nested_with_iterators() {
        let src = r#"
ingress {
  name = "static"
}
dynamic "ingress" {
  for_each = var.groups
  iterator = g
  content {
    name = g.key
    dynamic "rule" {
      for_each = g.value
      content {
        port = rule.value
        from = "${g.key}:${rule.key}"
      }
    }
  }
}
"#;
        let groups = Value::from_json(&serde_json::json!({"web": [80, 443], "db": [5432]}));
        let v = decode(src, &[("groups", groups)]).unwrap();
        let json = v.to_json();
        assert_eq!(
            json["ingress"],
            serde_json::json!([
                {"name": "static", "rule": []},
                {"name": "db", "rule": [{"port": 5432, "from": "db:0"}]},
                {"name": "web", "rule": [{"port": 80, "from": "web:0"}, {"port": 443, "from": "web:1"}]},
            ])
        );
        // A set iterates with key = value.
        let set = Value::set(vec![Value::string("a")]);
        let v = decode("dynamic \"ingress\" {\n  for_each = var.s\n  content {\n    name = \"${ingress.key}=${ingress.value}\"\n  }\n}\n", &[("s", set)]).unwrap();
        assert_eq!(v.to_json()["ingress"][0]["name"], "a=a");
        // Unknown for_each: the whole block list is unknown, not an error.
        let v = decode(
            "dynamic \"ingress\" {\n  for_each = var.s\n  content {}\n}\n",
            &[("s", Value::Unknown)],
        )
        .unwrap();
        assert!(v.get_attr("ingress").unwrap().is_unknown());
        // No content block, or a label that is not a block type: errors, not panics.
        assert!(decode("dynamic \"ingress\" {\n  for_each = []\n}\n", &[]).is_err());
        assert!(decode(
            "dynamic \"nope\" {\n  for_each = []\n  content {}\n}\n",
            &[]
        )
        .is_err());
    }
}
