//! `validate`: checking expressions and bodies against schemas without planning.

use super::*;

impl Engine {
    /// Checks every expression and resource body against its schema without planning:
    /// variables may be unknown, `count.index` and `each.*` are unknown.
    pub fn validate(&self) -> Diagnostics {
        struct AnyInstance<'a>(ModuleScope<'a>);
        impl gantry_core::eval::Resolver for AnyInstance<'_> {
            fn resolve(&self, r: &Reference) -> Result<Value, String> {
                match r {
                    Reference::CountIndex | Reference::EachKey | Reference::EachValue => {
                        Ok(Value::Unknown)
                    }
                    other => self.0.resolve(other),
                }
            }
            fn impure_unknown(&self) -> bool {
                true
            }

            fn source_text(&self, file: gantry_core::diag::FileId) -> Option<&str> {
                self.0.source_text(file)
            }

            fn provider_source(&self, local: &str) -> Option<String> {
                self.0.provider_source(local)
            }
        }
        let mut scope = self.new_scope(true);
        let mut diags = Diagnostics::default();
        for node in self.graph.order() {
            let m = node.module();
            let Some(cfg) = self.tree.config(m) else {
                continue;
            };
            match node {
                Node::Variable(m, n) => {
                    if !m.is_root() {
                        let v = scope.module_variable(m, n).unwrap_or_else(|d| {
                            diags.push(d);
                            Value::Unknown
                        });
                        scope.set_var(m, n, v);
                    }
                }
                Node::Local(m, n) => {
                    let v = scope.eval_in(m, &cfg.locals[n].expr).unwrap_or_else(|d| {
                        diags.push(d);
                        Value::Unknown
                    });
                    scope.set_local(m, n, v);
                }
                Node::Resource(r) => {
                    let Some(res) = self.resource(r) else {
                        continue;
                    };
                    for e in res.count.iter().chain(res.for_each.iter()) {
                        if let Err(d) = scope.eval_in(m, e) {
                            diags.push(d);
                        }
                    }
                    if let Some(schema) = self.schema(r, &self.provider_for(r, res).0) {
                        let any = AnyInstance(scope.at(m));
                        let ev = Evaluator::new(&any, &scope.dir, res.body.file);
                        if let Err(d) =
                            decode_body(&ev, &res.body.body, &schema.block, res.span.clone())
                        {
                            diags.extend(d);
                        }
                    }
                    scope.resources.insert(r.clone(), Value::Unknown);
                }
                Node::Output(m, n) => match scope.eval_in(m, &cfg.outputs[n].value) {
                    Ok(v) => scope.set_output(m, n, v),
                    Err(d) => diags.push(d),
                },
            }
        }
        diags
    }
}
