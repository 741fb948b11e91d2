//! Terraform's built-in function library, with Terraform's semantics.
//!
//! Marks are handled once, here: arguments are unmarked before a function body sees them and
//! the result is marked sensitive when any argument held a sensitive part. Unknown arguments
//! make the result unknown, except for functions that only look at structure (`length`,
//! `concat`, `merge`, ...), which work on partially-known collections like Terraform's do.

mod crypto;
mod files;
mod network;
mod sets;
mod text;
mod time;
mod yaml;

use super::{to_string, Evaluator, Resolver};
use crate::value::{format_number, unify_primitives, Map, Value};
use base64::Engine as _;

type R = Result<Value, String>;

/// Functions that accept collections holding unknown elements.
const STRUCTURAL: &[&str] = &[
    "length",
    "concat",
    "merge",
    "element",
    "lookup",
    "tolist",
    "tomap",
    "flatten",
    "zipmap",
    "one",
    "values",
    "keys",
    "coalesce",
    "slice",
    "reverse",
    "coalescelist",
];

/// Every function name gantry knows, for "did you mean" hints and documentation.
pub const NAMES: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

pub fn call(name: &str, args: Vec<Value>, ev: &Evaluator) -> R {
    match name {
        "sensitive" => return Ok(one_arg(args)?.mark_if(true)),
        "nonsensitive" => return Ok(one_arg(args)?.unmark_deep().0),
        "issensitive" => return Ok(Value::Bool(one_arg(args)?.contains_sensitive())),
        // gantry has no ephemeral values: every value is kept as it is.
        "ephemeralasnull" => return one_arg(args),
        _ => {}
    }
    let sensitive = args.iter().any(Value::contains_sensitive);
    let args: Vec<Value> = args.into_iter().map(|a| a.unmark_deep().0).collect();
    let partial_ok = STRUCTURAL.contains(&name);
    if args.iter().any(Value::is_unknown)
        || (!partial_ok && args.iter().any(|a| !a.is_wholly_known()))
    {
        return Ok(Value::Unknown.mark_if(sensitive));
    }
    match dispatch(name, &args, ev) {
        Ok(v) => Ok(v.mark_if(sensitive)),
        // Messages quote argument values; a sensitive one must not reach the user.
        Err(_) if sensitive => {
            Err("an argument is sensitive, so the details of the error are hidden".into())
        }
        Err(m) => Err(m),
    }
}

fn one_arg(mut args: Vec<Value>) -> R {
    if args.len() != 1 {
        return Err(format!("expected 1 argument, got {}", args.len()));
    }
    Ok(args.pop().unwrap_or_default())
}

fn arity(args: &[Value], n: usize) -> Result<(), String> {
    if args.len() != n {
        return Err(format!(
            "expected {n} argument{}, got {}",
            if n == 1 { "" } else { "s" },
            args.len()
        ));
    }
    Ok(())
}

fn s(v: &Value) -> Result<String, String> {
    to_string(v)
}

fn n(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(x) => Ok(*x),
        Value::String(x) => x
            .trim()
            .parse()
            .map_err(|_| format!("a number is required, not the string {x:?}")),
        other => Err(format!("a number is required, not {}", other.type_name())),
    }
}

fn int(v: &Value) -> Result<i64, String> {
    let x = n(v)?;
    if x.fract() != 0.0 {
        return Err(format!(
            "a whole number is required, not {}",
            format_number(x)
        ));
    }
    Ok(x as i64)
}

fn seq(v: &Value) -> Result<&[Value], String> {
    v.as_seq()
        .ok_or_else(|| format!("a list, tuple or set is required, not {}", v.type_name()))
}

fn map(v: &Value) -> Result<&Map, String> {
    v.as_map()
        .ok_or_else(|| format!("a map or object is required, not {}", v.type_name()))
}

fn strs(v: &Value) -> Result<Vec<String>, String> {
    seq(v)?.iter().map(s).collect()
}

fn list_of_strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(items.into_iter().map(Value::string).collect())
}

fn dispatch(name: &str, a: &[Value], ev: &Evaluator) -> R {
    Ok(match name {
        // --- collections ---
        "length" => {
            arity(a, 1)?;
            Value::Number(match &a[0] {
                Value::String(x) => x.chars().count(),
                Value::List(l) | Value::Set(l) => l.len(),
                Value::Map(m) => m.len(),
                other => return Err(format!("cannot take the length of {}", other.type_name())),
            } as f64)
        }
        "lookup" => {
            if a.len() != 2 && a.len() != 3 {
                return Err("expected 2 or 3 arguments".into());
            }
            let m = map(&a[0])?;
            match m.get(&s(&a[1])?) {
                Some(v) => v.clone(),
                None if a.len() == 3 => a[2].clone(),
                None => {
                    return Err(format!(
                        "the given key {:?} does not exist in the map and no default was given",
                        s(&a[1])?
                    ))
                }
            }
        }
        "merge" => {
            let mut out = Map::new();
            for m in a {
                if m.is_null() {
                    continue;
                }
                for (k, v) in map(m)? {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::map(out)
        }
        "concat" => Value::list(
            a.iter()
                .map(|l| seq(l).map(|x| x.to_vec()))
                .collect::<Result<Vec<_>, _>>()?
                .concat(),
        ),
        "contains" => {
            arity(a, 2)?;
            Value::Bool(seq(&a[0])?.contains(&a[1]))
        }
        "keys" => {
            arity(a, 1)?;
            list_of_strings(map(&a[0])?.keys().cloned())
        }
        "values" => {
            arity(a, 1)?;
            Value::list(map(&a[0])?.values().cloned().collect())
        }
        "element" => {
            arity(a, 2)?;
            let l = seq(&a[0])?;
            if l.is_empty() {
                return Err("cannot use element function with an empty list".into());
            }
            let i = int(&a[1])?;
            if i < 0 {
                return Err("cannot use element function with a negative index".into());
            }
            l[(i as usize) % l.len()].clone()
        }
        "index" => {
            arity(a, 2)?;
            let pos = seq(&a[0])?
                .iter()
                .position(|x| x == &a[1])
                .ok_or("item not found")?;
            Value::Number(pos as f64)
        }
        "flatten" => {
            arity(a, 1)?;
            fn flat(v: &Value, out: &mut Vec<Value>) {
                match v {
                    Value::List(l) | Value::Set(l) => l.iter().for_each(|x| flat(x, out)),
                    other => out.push(other.clone()),
                }
            }
            let mut out = Vec::new();
            for x in seq(&a[0])? {
                flat(x, &mut out);
            }
            Value::list(out)
        }
        "distinct" => {
            arity(a, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in seq(&a[0])? {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Value::list(out)
        }
        "compact" => {
            arity(a, 1)?;
            Value::list(
                seq(&a[0])?
                    .iter()
                    .filter(|x| !x.is_null() && x.as_str() != Some(""))
                    .cloned()
                    .collect(),
            )
        }
        "reverse" => {
            arity(a, 1)?;
            Value::list(seq(&a[0])?.iter().rev().cloned().collect())
        }
        "slice" => {
            arity(a, 3)?;
            let l = seq(&a[0])?;
            let (from, to) = (int(&a[1])?, int(&a[2])?);
            if from < 0 || to < from || to as usize > l.len() {
                return Err(format!(
                    "invalid slice indices {from}..{to} for a list of {}",
                    l.len()
                ));
            }
            Value::list(l[from as usize..to as usize].to_vec())
        }
        "sort" => {
            arity(a, 1)?;
            let mut v = strs(&a[0])?;
            v.sort();
            list_of_strings(v)
        }
        "chunklist" => {
            arity(a, 2)?;
            let size = int(&a[1])?;
            let l = seq(&a[0])?;
            if size <= 0 {
                return Ok(Value::list(vec![Value::list(l.to_vec())]));
            }
            Value::list(
                l.chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            )
        }
        "zipmap" => {
            arity(a, 2)?;
            let (ks, vs) = (strs(&a[0])?, seq(&a[1])?);
            if ks.len() != vs.len() {
                return Err(format!(
                    "number of keys ({}) does not match number of values ({})",
                    ks.len(),
                    vs.len()
                ));
            }
            Value::map(ks.into_iter().zip(vs.iter().cloned()).collect())
        }
        "one" => {
            arity(a, 1)?;
            let l = seq(&a[0])?;
            match l.len() {
                0 => Value::Null,
                1 => l[0].clone(),
                k => {
                    return Err(format!(
                    "must be a list, set, or tuple value with either zero or one elements, not {k}"
                ))
                }
            }
        }
        "range" => {
            let (start, end, step) = match a.len() {
                1 => (0.0, n(&a[0])?, 1.0),
                2 => (n(&a[0])?, n(&a[1])?, 1.0),
                3 => (n(&a[0])?, n(&a[1])?, n(&a[2])?),
                _ => return Err("expected 1 to 3 arguments".into()),
            };
            if step == 0.0 || (end > start && step < 0.0) || (end < start && step > 0.0) {
                return Err("step must be non-zero and point from start toward limit".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() >= 1024 {
                    return Err("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".into());
                }
                out.push(Value::Number(x));
                x += step;
            }
            Value::list(out)
        }
        "coalesce" => unify_primitives(a.to_vec())
            .into_iter()
            .find(|x| !x.is_null() && x.as_str() != Some(""))
            .ok_or("no non-null, non-empty-string arguments")?,
        "coalescelist" => a
            .iter()
            .find(|x| x.as_seq().is_some_and(|l| !l.is_empty()))
            .cloned()
            .ok_or("no non-empty list arguments")?,
        "setunion" => {
            let mut all = Vec::new();
            for x in a {
                all.extend(seq(x)?.iter().cloned());
            }
            Value::set(all)
        }
        "setintersection" => {
            let first = seq(a.first().ok_or("expected at least 1 argument")?)?;
            let rest: Vec<&[Value]> = a[1..].iter().map(seq).collect::<Result<_, _>>()?;
            Value::set(
                first
                    .iter()
                    .filter(|x| rest.iter().all(|r| r.contains(x)))
                    .cloned()
                    .collect(),
            )
        }
        "alltrue" | "anytrue" => {
            arity(a, 1)?;
            let bools = seq(&a[0])?
                .iter()
                .map(|x| x.as_bool().ok_or("elements must be bool"))
                .collect::<Result<Vec<_>, _>>()?;
            Value::Bool(if name == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            })
        }
        // --- type conversion ---
        "tostring" => {
            arity(a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                v => Value::string(
                    s(v).map_err(|_| format!("cannot convert {} to string", v.type_name()))?,
                ),
            }
        }
        "tonumber" => {
            arity(a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                v => Value::Number(n(v)?),
            }
        }
        "tobool" => {
            arity(a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(*b),
                Value::String(x) if &**x == "true" => Value::Bool(true),
                Value::String(x) if &**x == "false" => Value::Bool(false),
                v => return Err(format!("cannot convert {v} to bool")),
            }
        }
        "tolist" => {
            arity(a, 1)?;
            Value::list(unify_primitives(seq(&a[0])?.to_vec()))
        }
        "toset" => {
            arity(a, 1)?;
            Value::set(unify_primitives(seq(&a[0])?.to_vec()))
        }
        "tomap" => {
            arity(a, 1)?;
            let m = map(&a[0])?;
            let values = unify_primitives(m.values().cloned().collect());
            Value::map(m.keys().cloned().zip(values).collect())
        }
        // --- strings ---
        "join" => {
            if a.is_empty() {
                return Err("expected at least 1 argument".into());
            }
            let sep = s(&a[0])?;
            let mut parts = Vec::new();
            for l in &a[1..] {
                parts.extend(strs(l)?);
            }
            Value::string(parts.join(&sep))
        }
        "split" => {
            arity(a, 2)?;
            let (sep, text) = (s(&a[0])?, s(&a[1])?);
            if text.is_empty() {
                list_of_strings(vec![String::new()])
            } else {
                list_of_strings(text.split(sep.as_str()).map(String::from))
            }
        }
        "format" => {
            let f = s(a.first().ok_or("expected at least 1 argument")?)?;
            Value::string(format_verbs(&f, &a[1..])?)
        }
        "formatlist" => {
            let f = s(a.first().ok_or("expected at least 1 argument")?)?;
            let rest = &a[1..];
            let len = rest
                .iter()
                .filter_map(|x| x.as_seq().map(<[Value]>::len))
                .max();
            let Some(len) = len else {
                return Ok(list_of_strings(vec![format_verbs(&f, rest)?]));
            };
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                let row = rest
                    .iter()
                    .map(|x| match x.as_seq() {
                        Some(l) => l
                            .get(i)
                            .cloned()
                            .ok_or("all list arguments must have the same length".to_string()),
                        None => Ok(x.clone()),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(format_verbs(&f, &row)?);
            }
            list_of_strings(out)
        }
        "lower" => Value::string(s(&one(a)?)?.to_lowercase()),
        "upper" => Value::string(s(&one(a)?)?.to_uppercase()),
        "title" => {
            let text = s(&one(a)?)?;
            let mut out = String::with_capacity(text.len());
            let mut at_start = true;
            for c in text.chars() {
                if at_start && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                // Go's strings.Title: letters, digits and underscores continue a word.
                at_start = !(c.is_alphanumeric() || c == '_');
            }
            Value::string(out)
        }
        "strrev" => Value::string(s(&one(a)?)?.chars().rev().collect::<String>()),
        "trimspace" => Value::string(s(&one(a)?)?.trim()),
        "chomp" => Value::string(s(&one(a)?)?.trim_end_matches(['\n', '\r'])),
        "trim" => {
            arity(a, 2)?;
            let cut = s(&a[1])?;
            Value::string(s(&a[0])?.trim_matches(|c| cut.contains(c)))
        }
        "trimprefix" => {
            arity(a, 2)?;
            let (t, p) = (s(&a[0])?, s(&a[1])?);
            Value::string(t.strip_prefix(p.as_str()).unwrap_or(&t))
        }
        "trimsuffix" => {
            arity(a, 2)?;
            let (t, p) = (s(&a[0])?, s(&a[1])?);
            Value::string(t.strip_suffix(p.as_str()).unwrap_or(&t))
        }
        "startswith" => {
            arity(a, 2)?;
            Value::Bool(s(&a[0])?.starts_with(&s(&a[1])?))
        }
        "endswith" => {
            arity(a, 2)?;
            Value::Bool(s(&a[0])?.ends_with(&s(&a[1])?))
        }
        "replace" => {
            arity(a, 3)?;
            let (text, find, with) = (s(&a[0])?, s(&a[1])?, s(&a[2])?);
            if find.len() > 1 && find.starts_with('/') && find.ends_with('/') {
                let re = regex::Regex::new(&find[1..find.len() - 1]).map_err(|e| e.to_string())?;
                // Terraform uses $1 / ${name}, which the regex crate understands as well.
                Value::string(re.replace_all(&text, with.as_str()))
            } else {
                Value::string(text.replace(&find, &with))
            }
        }
        "substr" => {
            arity(a, 3)?;
            let chars: Vec<char> = s(&a[0])?.chars().collect();
            let (mut off, len) = (int(&a[1])?, int(&a[2])?);
            if off < 0 {
                off += chars.len() as i64;
            }
            let start = (off.max(0) as usize).min(chars.len());
            let end = if len < 0 {
                chars.len()
            } else {
                (start + len as usize).min(chars.len())
            };
            Value::string(chars[start..end].iter().collect::<String>())
        }
        "indent" => {
            arity(a, 2)?;
            let pad = " ".repeat(int(&a[0])?.max(0) as usize);
            let text = s(&a[1])?;
            Value::string(text.replace('\n', &format!("\n{pad}")))
        }
        "regex" | "regexall" => {
            arity(a, 2)?;
            let re = regex::Regex::new(&s(&a[0])?)
                .map_err(|e| format!("invalid regular expression: {e}"))?;
            let text = s(&a[1])?;
            let shape = |c: regex::Captures| -> Value {
                let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
                if names.is_empty() {
                    Value::string(c.get(0).map_or("", |m| m.as_str()))
                } else if names.iter().all(Option::is_some) {
                    Value::map(
                        names
                            .iter()
                            .flatten()
                            .map(|nm| {
                                (
                                    nm.to_string(),
                                    c.name(nm)
                                        .map_or(Value::Null, |m| Value::string(m.as_str())),
                                )
                            })
                            .collect(),
                    )
                } else {
                    Value::list(
                        (1..c.len())
                            .map(|i| c.get(i).map_or(Value::Null, |m| Value::string(m.as_str())))
                            .collect(),
                    )
                }
            };
            if name == "regex" {
                shape(
                    re.captures(&text)
                        .ok_or("pattern did not match any part of the given string")?,
                )
            } else {
                Value::list(re.captures_iter(&text).map(shape).collect())
            }
        }
        "urlencode" => {
            let text = s(&one(a)?)?;
            let mut out = String::new();
            for b in text.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(b as char);
                } else if b == b' ' {
                    // Go's url.QueryEscape, which Terraform 1.11 uses.
                    out.push('+');
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            Value::string(out)
        }
        // --- numbers ---
        "abs" => Value::Number(n(&one(a)?)?.abs()),
        "ceil" => Value::Number(n(&one(a)?)?.ceil()),
        "floor" => Value::Number(n(&one(a)?)?.floor()),
        "signum" => {
            let x = n(&one(a)?)?;
            Value::Number(if x == 0.0 { 0.0 } else { x.signum() })
        }
        "log" => {
            arity(a, 2)?;
            Value::Number(n(&a[0])?.log(n(&a[1])?))
        }
        "pow" => {
            arity(a, 2)?;
            Value::Number(n(&a[0])?.powf(n(&a[1])?))
        }
        "min" | "max" => {
            let nums = a.iter().map(n).collect::<Result<Vec<_>, _>>()?;
            if nums.is_empty() {
                return Err("must pass at least one number".into());
            }
            let f = if name == "min" { f64::min } else { f64::max };
            Value::Number(nums.into_iter().reduce(f).unwrap_or(0.0))
        }
        "sum" => {
            arity(a, 1)?;
            let l = seq(&a[0])?;
            if l.is_empty() {
                return Err("cannot sum an empty list".into());
            }
            Value::Number(crate::value::decimal_round(l.iter().map(n).sum::<Result<
                f64,
                _,
            >>(
            )?))
        }
        "parseint" => {
            arity(a, 2)?;
            let base = int(&a[1])?;
            if !(2..=62).contains(&base) {
                return Err("base must be a whole number between 2 and 62 inclusive".into());
            }
            let text = s(&a[0])?;
            Value::Number(
                i64::from_str_radix(&text, base as u32)
                    .map_err(|_| format!("cannot parse {text:?} as a base {base} integer"))?
                    as f64,
            )
        }
        // --- encoding ---
        "jsonencode" => {
            let text = serde_json::to_string(&one(a)?.to_json()).map_err(|e| e.to_string())?;
            // Terraform escapes these for safe embedding in HTML.
            Value::string(
                text.replace('<', "\\u003c")
                    .replace('>', "\\u003e")
                    .replace('&', "\\u0026"),
            )
        }
        "jsondecode" => {
            let j: serde_json::Value =
                serde_json::from_str(&s(&one(a)?)?).map_err(|e| format!("invalid JSON: {e}"))?;
            Value::from_json(&j)
        }
        "yamlencode" => Value::string(yaml::encode(&one(a)?)),
        "yamldecode" => {
            let j: serde_json::Value =
                serde_yaml::from_str(&s(&one(a)?)?).map_err(|e| format!("invalid YAML: {e}"))?;
            Value::from_json(&j)
        }
        "base64encode" => {
            Value::string(base64::engine::general_purpose::STANDARD.encode(s(&one(a)?)?))
        }
        "base64decode" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s(&one(a)?)?)
                .map_err(|e| format!("failed to decode base64 data: {e}"))?;
            Value::string(
                String::from_utf8(bytes)
                    .map_err(|_| "the result of decoding the provided string is not valid UTF-8")?,
            )
        }
        "sha256" => Value::string(hex(&<sha2::Sha256 as sha2::Digest>::digest(
            s(&one(a)?)?.as_bytes(),
        ))),
        "sha1" => Value::string(hex(&<sha1::Sha1 as sha1::Digest>::digest(
            s(&one(a)?)?.as_bytes(),
        ))),
        "md5" => Value::string(hex(&<md5::Md5 as md5::Digest>::digest(
            s(&one(a)?)?.as_bytes(),
        ))),
        "base64sha256" => Value::string(base64::engine::general_purpose::STANDARD.encode(
            <sha2::Sha256 as sha2::Digest>::digest(s(&one(a)?)?.as_bytes()),
        )),
        // --- filesystem ---
        "file" => {
            let p = ev.base_dir.join(s(&one(a)?)?);
            Value::string(
                std::fs::read_to_string(&p)
                    .map_err(|e| format!("no file exists at {}: {e}", p.display()))?,
            )
        }
        "fileexists" => Value::Bool(ev.base_dir.join(s(&one(a)?)?).is_file()),
        "abspath" => {
            let p = std::path::PathBuf::from(s(&one(a)?)?);
            let abs = if p.is_absolute() {
                p
            } else {
                std::env::current_dir().map_err(|e| e.to_string())?.join(p)
            };
            Value::string(abs.to_string_lossy())
        }
        "basename" => Value::string(
            std::path::Path::new(&s(&one(a)?)?)
                .file_name()
                .map(|x| x.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        "dirname" => Value::string(
            std::path::Path::new(&s(&one(a)?)?)
                .parent()
                .map(|x| x.to_string_lossy().into_owned())
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| ".".into()),
        ),
        "templatefile" => {
            arity(a, 2)?;
            let p = ev.base_dir.join(s(&a[0])?);
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("no file exists at {}: {e}", p.display()))?;
            let v = render_template(&text, map(&a[1])?, ev).map_err(|e| match e {
                TemplateError::Parse(at, m) => format!("{}:{at}: {m}", p.display()),
                TemplateError::Render(m) => format!("{}: {m}", p.display()),
            })?;
            Value::string(s(&v)?)
        }
        // --- network ---
        "cidrsubnet" => {
            arity(a, 3)?;
            let (addr, bits, width) = parse_cidr(&s(&a[0])?)?;
            let newbits = int(&a[1])?;
            let netnum = int(&a[2])?;
            let plen = bits as i64 + newbits;
            if newbits < 0 || plen > width as i64 {
                return Err(format!(
                    "insufficient address space to extend prefix of {bits} by {newbits}"
                ));
            }
            if netnum < 0 || (newbits < 64 && netnum >= (1i64 << newbits)) {
                return Err(format!(
                    "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
                ));
            }
            let shift = width as i64 - plen;
            let net = addr | ((netnum as u128) << shift);
            Value::string(format!("{}/{plen}", fmt_ip(net, width)))
        }
        "cidrhost" => {
            arity(a, 2)?;
            let (addr, bits, width) = parse_cidr(&s(&a[0])?)?;
            let host = int(&a[1])?;
            let size: u128 = 1u128 << (width - bits);
            let h = if host < 0 {
                size as i128 + host as i128
            } else {
                host as i128
            };
            if h < 0 || h as u128 >= size {
                return Err(format!(
                    "prefix of {bits} does not accommodate a host numbered {host}"
                ));
            }
            Value::string(fmt_ip(addr | h as u128, width))
        }
        "cidrnetmask" => {
            let (_, bits, width) = parse_cidr(&s(&one(a)?)?)?;
            if width != 32 {
                return Err("only IPv4 prefixes have a netmask".into());
            }
            let mask = if bits == 0 {
                0
            } else {
                (!0u128 << (32 - bits)) & 0xffff_ffff
            };
            Value::string(fmt_ip(mask, 32))
        }
        // --- impure: unknown while planning, like Terraform ---
        "timestamp" => {
            arity(a, 0)?;
            if ev.resolver.impure_unknown() {
                Value::Unknown
            } else {
                Value::string(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string())
            }
        }
        "uuid" => {
            arity(a, 0)?;
            if ev.resolver.impure_unknown() {
                Value::Unknown
            } else {
                Value::string(uuid::Uuid::new_v4().to_string())
            }
        }
        "templatestring" => {
            arity(a, 2)?;
            let text = s(&a[0])?;
            let v = render_template(&text, map(&a[1])?, ev).map_err(|e| match e {
                TemplateError::Parse(at, m) => format!("invalid template: {at}: {m}"),
                TemplateError::Render(m) => m,
            })?;
            Value::string(s(&v)?)
        }
        other => {
            if let Some(r) = time::dispatch(other, a)
                .or_else(|| files::dispatch(other, a, ev.base_dir))
                .or_else(|| sets::dispatch(other, a))
                .or_else(|| text::dispatch(other, a))
                .or_else(|| crypto::dispatch(other, a))
                .or_else(|| network::dispatch(other, a))
            {
                return r;
            }
            let hint = NAMES
                .iter()
                .find(|k| strsim_close(k, name))
                .map(|k| format!(" Did you mean {k:?}?"))
                .unwrap_or_default();
            return Err(format!("There is no function named {name:?}.{hint}"));
        }
    })
}

/// Why template text (templatefile, templatestring) could not be rendered.
enum TemplateError {
    /// `line:col` and the parser's message.
    Parse(String, String),
    Render(String),
}

/// Renders template text with only the variables in `vars` in scope.
fn render_template(text: &str, vars: &Map, ev: &Evaluator) -> Result<Value, TemplateError> {
    let tmpl = hcl_edit::parser::parse_template(text).map_err(|e| {
        TemplateError::Parse(
            format!("{}:{}", e.location().line(), e.location().column()),
            e.message().to_string(),
        )
    })?;
    let vars = TemplateVars(vars.clone());
    Evaluator::new(&vars, ev.base_dir, ev.file)
        .template(&tmpl, &mut Vec::new())
        .map_err(|d| TemplateError::Render(d.detail))
}

fn one(a: &[Value]) -> R {
    arity(a, 1)?;
    Ok(a[0].clone())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cheap "did you mean": same length ±1 and at most two differing characters.
fn strsim_close(a: &str, b: &str) -> bool {
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let diff = a.chars().zip(b.chars()).filter(|(x, y)| x != y).count() + a.len().abs_diff(b.len());
    diff <= 2 && diff > 0 && a.len() > 3
}

struct TemplateVars(Map);

impl Resolver for TemplateVars {
    fn resolve(&self, r: &super::Reference) -> Result<Value, String> {
        Err(format!(
            "templatefile templates may only refer to the variables passed to them, not {r}"
        ))
    }
    fn resolve_name(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
}

/// Terraform's `format` verbs: %s %d %f %e %g %t %q %v %x %X %o %b %%, with flags, width and
/// precision.
/// Rust's `1.5e4` as Go prints it: `1.5e+04`.
fn go_exponent(rust: &str) -> String {
    match rust.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => rust.to_string(),
    }
}

fn format_verbs(f: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = f.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut flags = String::new();
        while let Some(&fc) = chars.peek() {
            if "-+ 0#".contains(fc) {
                flags.push(fc);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let verb = chars
            .next()
            .ok_or("format string ends with an incomplete verb")?;
        let arg = args
            .get(next_arg)
            .ok_or_else(|| format!("not enough arguments for format string (verb %{verb})"))?;
        next_arg += 1;
        let body = match verb {
            's' => match precision {
                Some(p) => s(arg)?.chars().take(p).collect(),
                None => s(arg)?,
            },
            // %#v is the value as JSON, strings included.
            'v' if flags.contains('#') => serde_json::to_string(&arg.to_json()).unwrap_or_default(),
            'v' => match arg {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => s(arg)?,
                other => serde_json::to_string(&other.to_json()).unwrap_or_default(),
            },
            'q' => serde_json::to_string(&s(arg)?).unwrap_or_default(),
            't' => arg.as_bool().ok_or("%t requires a bool")?.to_string(),
            'd' => {
                let x = int(arg)?;
                if flags.contains('+') && x >= 0 {
                    format!("+{x}")
                } else {
                    x.to_string()
                }
            }
            'f' => format!("{:.*}", precision.unwrap_or(6), n(arg)?),
            'e' => go_exponent(&format!("{:.*e}", precision.unwrap_or(6), n(arg)?)),
            'g' => format_number(n(arg)?),
            'x' => format!("{:x}", int(arg)?),
            'X' => format!("{:X}", int(arg)?),
            'o' => format!("{:o}", int(arg)?),
            'b' => format!("{:b}", int(arg)?),
            other => return Err(format!("unsupported format verb %{other}")),
        };
        let w: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len >= w {
            out.push_str(&body);
        } else if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(w - len));
        } else if flags.contains('0') && "dfxXob".contains(verb) {
            let (sign, digits) = body.split_at(if body.starts_with(['-', '+']) { 1 } else { 0 });
            out.push_str(sign);
            out.push_str(&"0".repeat(w - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(w - len));
            out.push_str(&body);
        }
    }
    if next_arg < args.len() {
        return Err(format!(
            "too many arguments; only {next_arg} used by format string"
        ));
    }
    Ok(out)
}

/// Parses `10.0.0.0/16` or `fd00::/8` into (network address, prefix bits, address width).
fn parse_cidr(text: &str) -> Result<(u128, u32, u32), String> {
    let (ip, bits) = text
        .split_once('/')
        .ok_or_else(|| format!("invalid CIDR address {text:?}"))?;
    let bits: u32 = bits
        .parse()
        .map_err(|_| format!("invalid CIDR prefix in {text:?}"))?;
    let ip: std::net::IpAddr = ip
        .parse()
        .map_err(|_| format!("invalid IP address in {text:?}"))?;
    let (value, width) = match ip {
        std::net::IpAddr::V4(v) => (u32::from(v) as u128, 32),
        std::net::IpAddr::V6(v) => (u128::from(v), 128),
    };
    if bits > width {
        return Err(format!("invalid CIDR prefix length in {text:?}"));
    }
    let mask = if bits == 0 {
        0
    } else {
        (!0u128 << (width - bits)) & (if width == 32 { 0xffff_ffff } else { !0 })
    };
    Ok((value & mask, bits, width))
}

fn fmt_ip(v: u128, width: u32) -> String {
    if width == 32 {
        std::net::Ipv4Addr::from(v as u32).to_string()
    } else {
        std::net::Ipv6Addr::from(v).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::NoReferences;
    use super::*;
    use std::path::Path;

    fn f(name: &str, args: Vec<Value>) -> Value {
        let ev = Evaluator::new(&NoReferences, Path::new("."), 0);
        call(name, args, &ev).unwrap()
    }
    fn st(x: &str) -> Value {
        Value::string(x)
    }
    fn num(x: f64) -> Value {
        Value::Number(x)
    }

    #[test]
    fn network_functions_match_terraform() {
        assert_eq!(
            f("cidrsubnet", vec![st("10.0.0.0/16"), num(8.0), num(2.0)]),
            st("10.0.2.0/24")
        );
        assert_eq!(
            f("cidrsubnet", vec![st("172.16.0.0/12"), num(4.0), num(15.0)]),
            st("172.31.0.0/16")
        );
        assert_eq!(
            f(
                "cidrsubnet",
                vec![st("fd00:fd12:3456:7890::/56"), num(16.0), num(162.0)]
            ),
            st("fd00:fd12:3456:7800:a200::/72")
        );
        assert_eq!(
            f("cidrhost", vec![st("10.12.112.0/20"), num(16.0)]),
            st("10.12.112.16")
        );
        assert_eq!(
            f("cidrnetmask", vec![st("172.16.0.0/12")]),
            st("255.240.0.0")
        );
    }

    #[test]
    fn string_functions_match_terraform() {
        assert_eq!(
            f(
                "format",
                vec![
                    st("%-5s|%03d|%.2f|%q"),
                    st("ab"),
                    num(7.0),
                    num(1.23456),
                    st("x")
                ]
            ),
            st("ab   |007|1.23|\"x\"")
        );
        assert_eq!(
            f("substr", vec![st("hello world"), num(1.0), num(4.0)]),
            st("ello")
        );
        assert_eq!(
            f("substr", vec![st("hello"), num(-3.0), num(-1.0)]),
            st("llo")
        );
        assert_eq!(
            f("replace", vec![st("a-b-c"), st("/-/"), st("+")]),
            st("a+b+c")
        );
        assert_eq!(
            f(
                "jsonencode",
                vec![Value::map(Map::from([("a".into(), st("<b>"))]))]
            ),
            st(r#"{"a":"\u003cb\u003e"}"#)
        );
        assert_eq!(
            f("md5", vec![st("hello world")]),
            st("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(f("title", vec![st("hello world")]), st("Hello World"));
        assert_eq!(
            f("regex", vec![st("(\\d+)-(\\d+)"), st("a 10-20")])
                .to_json()
                .to_string(),
            r#"["10","20"]"#
        );
    }

    #[test]
    fn collection_functions_match_terraform() {
        let l = |xs: &[f64]| Value::list(xs.iter().map(|x| num(*x)).collect());
        assert_eq!(f("range", vec![num(3.0)]), l(&[0.0, 1.0, 2.0]));
        assert_eq!(
            f(
                "flatten",
                vec![Value::list(vec![l(&[1.0]), l(&[2.0, 3.0])])]
            ),
            l(&[1.0, 2.0, 3.0])
        );
        assert_eq!(f("element", vec![l(&[1.0, 2.0]), num(3.0)]), num(2.0));
        assert_eq!(f("distinct", vec![l(&[1.0, 1.0, 2.0])]), l(&[1.0, 2.0]));
        assert_eq!(f("one", vec![l(&[])]), Value::Null);
        assert_eq!(f("sum", vec![l(&[1.0, 2.5])]), num(3.5));
        assert_eq!(f("coalesce", vec![Value::Null, st(""), st("x")]), st("x"));
    }
}
