//! Input variable values, gathered with Terraform's precedence (later wins):
//! defaults < `TF_VAR_name` environment < `terraform.tfvars` < `terraform.tfvars.json` <
//! `*.auto.tfvars` / `*.auto.tfvars.json` (lexical order) < `-var` / `-var-file` (in order).
//! Then type conversion, nullability, sensitivity and `validation` blocks.

use gantry_core::config::{Config, Variable};
use gantry_core::diag::{Diagnostic, Diagnostics, SourceFile, SourceSpan};
use gantry_core::eval::{Evaluator, NoReferences, Reference, Resolver};
use gantry_core::types::Type;
use gantry_core::value::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A `-var` or `-var-file` argument, in command-line order.
#[derive(Clone, Debug)]
pub enum VarArg {
    /// `-var 'name=value'`.
    Assign(String),
    /// `-var-file=path`.
    File(PathBuf),
}

/// Where a value came from, for messages.
#[derive(Clone, Debug)]
enum Origin {
    Default,
    Env,
    File(SourceSpan),
    Cli,
}

/// Reads every variable value. Var files are added to `cfg.sources` so diagnostics can point
/// into them.
pub fn collect(
    cfg: &mut Config,
    args: &[VarArg],
    env: &[(String, String)],
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut values: BTreeMap<String, (Value, Origin)> = BTreeMap::new();

    for (k, raw) in env {
        if let Some(name) = k.strip_prefix("TF_VAR_") {
            if let Some(var) = cfg.variables.get(name) {
                match parse_raw(var, raw) {
                    Ok(v) => {
                        values.insert(name.to_string(), (v, Origin::Env));
                    }
                    Err(m) => diags.push(Diagnostic::error("Invalid value for input variable", format!("The environment variable {k} does not contain a valid value for variable {name:?}: {m}."))),
                }
            }
        }
    }

    let dir = cfg.dir.clone();
    let mut files: Vec<PathBuf> = Vec::new();
    for name in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = dir.join(name);
        if p.is_file() {
            files.push(p);
        }
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let n = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    for f in files {
        read_var_file(cfg, &f, false, &mut values, &mut diags);
    }
    for a in args {
        match a {
            VarArg::File(f) => read_var_file(cfg, f, true, &mut values, &mut diags),
            VarArg::Assign(s) => {
                let Some((name, raw)) = s.split_once('=') else {
                    diags.push(Diagnostic::error("Invalid -var option", format!("The given -var option {s:?} is not correctly specified. It must be a variable name and value separated by an equals sign, like -var=\"key=value\".")));
                    continue;
                };
                let name = name.trim();
                let Some(var) = cfg.variables.get(name) else {
                    diags.push(Diagnostic::error("Value for undeclared variable", format!("A variable named {name:?} was assigned on the command line, but the root module does not declare a variable of that name. To use this value, add a \"variable\" block to the configuration.")));
                    continue;
                };
                match parse_raw(var, raw) {
                    Ok(v) => {
                        values.insert(name.to_string(), (v, Origin::Cli));
                    }
                    Err(m) => diags.push(Diagnostic::error("Invalid value for input variable", format!("The value given for variable {name:?} on the command line is not valid: {m}."))),
                }
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }

    let mut out = BTreeMap::new();
    for var in cfg.variables.values() {
        let (raw, origin) = match values.remove(&var.name) {
            Some(x) => x,
            None => match &var.default {
                Some(d) => (d.clone(), Origin::Default),
                None => {
                    diags.push(
                        Diagnostic::error("No value for required variable", format!("The root module input variable {:?} is not set, and has no default value. Use a -var or -var-file command line argument, a terraform.tfvars file or the TF_VAR_{} environment variable to provide a value for this variable.", var.name, var.name))
                            .at(var.span.clone()),
                    );
                    continue;
                }
            },
        };
        let at = match &origin {
            Origin::File(s) => Some(s.clone()),
            _ => var.span.clone(),
        };
        let mut v = match var.ty.convert(&raw) {
            Ok(v) => v,
            // The conversion message quotes the value: not for a sensitive variable.
            Err(_) if var.sensitive => {
                diags.push(Diagnostic::error("Invalid value for input variable", format!("The given value is not suitable for var.{}: it is not of type {} (the value is sensitive, so it is not shown).", var.name, var.ty.name())).at(at));
                continue;
            }
            Err(m) => {
                let from = match origin {
                    Origin::Env => " (from the environment)",
                    Origin::Cli => " (from the command line)",
                    _ => "",
                };
                diags.push(
                    Diagnostic::error(
                        "Invalid value for input variable",
                        format!(
                            "The given value is not suitable for var.{}{from}: {m}.",
                            var.name
                        ),
                    )
                    .at(at),
                );
                continue;
            }
        };
        if v.is_null() && !var.nullable {
            match &var.default {
                Some(d) if !d.is_null() => v = d.clone(),
                _ => {
                    diags.push(Diagnostic::error("Required variable not set", format!("Unsuitable value for var.{}: required variable may not be set to null.", var.name)).at(at));
                    continue;
                }
            }
        }
        out.insert(var.name.clone(), v.mark_if(var.sensitive));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    validate(cfg, &out)?;
    Ok(out)
}

/// A raw string from `-var` or the environment: primitives are taken literally, complex types
/// are parsed as HCL expressions (as Terraform does).
fn parse_raw(var: &Variable, raw: &str) -> Result<Value, String> {
    match var.ty {
        Type::String | Type::Number | Type::Bool | Type::Any => Ok(Value::string(raw)),
        _ => {
            let e: hcl_edit::expr::Expression = raw
                .parse()
                .map_err(|e: hcl_edit::parser::Error| e.message().to_string())?;
            Evaluator::new(&NoReferences, Path::new("."), 0)
                .eval(&e)
                .map_err(|d| d.detail)
        }
    }
}

fn read_var_file(
    cfg: &mut Config,
    path: &Path,
    explicit: bool,
    values: &mut BTreeMap<String, (Value, Origin)>,
    diags: &mut Diagnostics,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read variables file",
                format!(
                    "Given variables file {} could not be read: {e}",
                    path.display()
                ),
            ));
            return;
        }
    };
    let name = path.display().to_string();
    let file = cfg.sources.add(SourceFile::new(name.clone(), text.clone()));
    let mut assign = |key: &str,
                      v: Value,
                      span: SourceSpan,
                      cfg: &Config,
                      diags: &mut Diagnostics| {
        if cfg.variables.contains_key(key) {
            values.insert(key.to_string(), (v, Origin::File(span)));
        } else if explicit {
            diags.push(Diagnostic::error("Value for undeclared variable", format!("The root module does not declare a variable named {key:?} but a value was found in file {name:?}. To use this value, add a \"variable\" block to the configuration.")).at(Some(span)));
        } else {
            diags.push(Diagnostic::warning("Value for undeclared variable", format!("The root module does not declare a variable named {key:?} but a value was found in file {name:?}.")).at(Some(span)));
        }
    };
    if name.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(o)) => {
                for (k, v) in o {
                    let span = SourceSpan { file, bytes: 0..1 };
                    assign(&k, Value::from_json(&v), span, cfg, diags);
                }
            }
            Ok(_) => diags.push(Diagnostic::error(
                "Invalid variables file",
                format!("{name} must contain a JSON object."),
            )),
            Err(e) => diags.push(
                Diagnostic::error(
                    "Invalid variables file",
                    format!("{name} is not valid JSON: {e}"),
                )
                .at(Some(SourceSpan {
                    file,
                    bytes: offset_of(&text, e.line(), e.column())
                        ..offset_of(&text, e.line(), e.column()) + 1,
                })),
            ),
        }
        return;
    }
    match hcl_edit::parser::parse_body(&text) {
        Ok(body) => {
            use hcl_edit::Span;
            for s in body.iter() {
                match s {
                    hcl_edit::structure::Structure::Attribute(a) => {
                        let span = SourceSpan {
                            file,
                            bytes: a.value.span().unwrap_or(0..1),
                        };
                        match Evaluator::new(&NoReferences, Path::new("."), file).eval(&a.value) {
                            Ok(v) => assign(a.key.as_str(), v, span, cfg, diags),
                            Err(d) => diags.push(d),
                        }
                    }
                    hcl_edit::structure::Structure::Block(b) => diags.push(
                        Diagnostic::error(
                            "Unexpected block",
                            "A variables file may contain only attribute assignments.",
                        )
                        .at(Some(SourceSpan {
                            file,
                            bytes: b.ident.span().unwrap_or(0..1),
                        })),
                    ),
                }
            }
        }
        Err(e) => {
            let off = e.location().offset();
            diags.push(
                Diagnostic::error("Invalid syntax", e.message().to_string()).at(Some(SourceSpan {
                    file,
                    bytes: off..off + 1,
                })),
            );
        }
    }
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + col.saturating_sub(1)
}

struct VarScope<'a>(&'a BTreeMap<String, Value>);

impl Resolver for VarScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match r {
            Reference::Var(n) => self.0.get(n).cloned().ok_or_else(|| {
                format!("An input variable with the name {n:?} has not been declared.")
            }),
            other => Err(format!(
                "Validation conditions may refer only to input variables, not {other}."
            )),
        }
    }
}

/// Runs every variable's `validation` blocks.
pub fn validate(cfg: &Config, values: &BTreeMap<String, Value>) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::default();
    let scope = VarScope(values);
    for var in cfg.variables.values() {
        for val in &var.validations {
            let ev = Evaluator::new(&scope, &cfg.dir, val.condition.file);
            let ok = match ev.eval(&val.condition.expr) {
                Ok(v) if v.is_unknown() => true,
                Ok(v) => match v.as_bool() {
                    Some(b) => b,
                    None => {
                        diags.push(
                            Diagnostic::error(
                                "Invalid validation result",
                                "The validation condition must produce a bool.",
                            )
                            .at(val.condition.span()),
                        );
                        continue;
                    }
                },
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            if !ok {
                let msg = crate::conditions::error_message(&val.error_message, &scope, &cfg.dir)
                    .unwrap_or_else(|| "The value failed validation.".into());
                diags.push(
                    Diagnostic::error(
                        "Invalid value for variable",
                        format!(
                            "{msg}\n\nThis was checked by the validation rule at {}.",
                            val.condition
                                .span()
                                .map(|s| cfg.sources.location(&s))
                                .unwrap_or_default()
                        ),
                    )
                    .at(val.condition.span()),
                );
            }
        }
    }
    diags.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::config::load_sources;

    fn cfg(dir: &Path, src: &str) -> Config {
        let (c, d) = load_sources(dir, vec![SourceFile::new("main.tf", src)]);
        assert!(!d.has_errors(), "{d}");
        c
    }

    #[test]
    fn precedence_matches_terraform() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("terraform.tfvars"),
            "a = \"file\"\nb = \"file\"\nc = \"file\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("x.auto.tfvars"),
            "b = \"auto\"\nc = \"auto\"\n",
        )
        .unwrap();
        let mut c = cfg(dir.path(), "variable \"a\" {}\nvariable \"b\" {}\nvariable \"c\" {}\nvariable \"d\" {}\nvariable \"e\" { default = \"dflt\" }\n");
        let env = vec![
            ("TF_VAR_a".to_string(), "env".to_string()),
            ("TF_VAR_d".to_string(), "env".to_string()),
        ];
        let v = collect(&mut c, &[VarArg::Assign("c=cli".into())], &env).unwrap();
        assert_eq!(v["a"].as_str(), Some("file"));
        assert_eq!(v["b"].as_str(), Some("auto"));
        assert_eq!(v["c"].as_str(), Some("cli"));
        assert_eq!(v["d"].as_str(), Some("env"));
        assert_eq!(v["e"].as_str(), Some("dflt"));
    }

    #[test]
    fn types_sensitivity_and_validation() {
        let dir = tempfile::tempdir().unwrap();
        let src = "variable \"n\" {\n  type = number\n  validation {\n    condition = var.n < 10\n    error_message = \"n must be below 10\"\n  }\n}\nvariable \"l\" { type = list(string) }\nvariable \"s\" {\n  sensitive = true\n  default = \"pw\"\n}\n";
        let mut c = cfg(dir.path(), src);
        let v = collect(
            &mut c,
            &[
                VarArg::Assign("n=3".into()),
                VarArg::Assign("l=[\"a\", \"b\"]".into()),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(v["n"], Value::Number(3.0));
        assert_eq!(v["l"].as_seq().unwrap().len(), 2);
        assert!(v["s"].is_sensitive());
        let err = collect(
            &mut c,
            &[VarArg::Assign("n=30".into()), VarArg::Assign("l=[]".into())],
            &[],
        )
        .unwrap_err();
        let text = c.sources.render(&err, false);
        assert!(
            text.contains("n must be below 10") && text.contains("main.tf:4:17"),
            "{text}"
        );
        let err = collect(&mut c, &[VarArg::Assign("l=[]".into())], &[]).unwrap_err();
        assert!(c
            .sources
            .render(&err, false)
            .contains("No value for required variable"));
    }
}
