//! Provider-defined functions (`provider::NAME::FUNCTION(...)`, Terraform 1.8+): the
//! signatures a provider declares and a process-wide table of who serves them, filled when a
//! provider is attached (plugins declare theirs in their schema) and consulted by the
//! evaluator, which has no other way to reach a provider.

use crate::types::Type;
use crate::value::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    pub allow_null: bool,
    /// When false (the usual case) an unknown argument makes the result unknown without a call.
    pub allow_unknown: bool,
}

#[derive(Clone, Debug)]
pub struct Signature {
    pub params: Vec<Parameter>,
    pub variadic: Option<Parameter>,
    pub returns: Type,
}

/// Something that can run a provider's functions.
pub trait ProviderFunctions: Send + Sync {
    fn signatures(&self) -> &BTreeMap<String, Signature>;
    /// Runs `name` with arguments already checked against its signature (known, unmarked).
    fn call(&self, name: &str, args: Vec<Value>) -> Result<Value, String>;
}

type Table = BTreeMap<String, Arc<dyn ProviderFunctions>>;

fn table() -> &'static RwLock<Table> {
    static T: OnceLock<RwLock<Table>> = OnceLock::new();
    T.get_or_init(Default::default)
}

/// Makes the functions of the provider at `addr` (`HOST/NS/TYPE`) callable.
pub fn register(addr: &str, functions: Arc<dyn ProviderFunctions>) {
    if functions.signatures().is_empty() {
        return;
    }
    table()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(addr.to_string(), functions);
}

/// The provider serving functions under local name `local`: the address the module maps it
/// to, else the only registered provider of that type.
pub fn lookup(addr: Option<&str>, local: &str) -> Option<Arc<dyn ProviderFunctions>> {
    let t = table().read().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = addr.and_then(|a| t.get(a)) {
        return Some(f.clone());
    }
    let mut by_type = t
        .iter()
        .filter(|(a, _)| a.rsplit('/').next() == Some(local));
    match (by_type.next(), by_type.next()) {
        (Some((_, f)), None) => Some(f.clone()),
        _ => None,
    }
}

/// Calls `provider::LOCAL::NAME` with evaluated arguments, as Terraform does: arity and
/// nulls checked against the signature; an unknown argument gives an unknown result (unless
/// the parameter accepts unknowns); a sensitive argument makes the result sensitive.
pub fn call(
    addr: Option<&str>,
    local: &str,
    name: &str,
    args: Vec<Value>,
) -> Result<Value, String> {
    let full = format!("provider::{local}::{name}");
    let Some(p) = lookup(addr, local) else {
        return Err(format!(
            "There is no function named \"{full}\": no provider with local name {local:?} that declares functions is installed (run `gantry init`)."
        ));
    };
    let Some(sig) = p.signatures().get(name) else {
        let known: Vec<&String> = p.signatures().keys().collect();
        return Err(format!(
            "There is no function named \"{full}\" (the provider declares: {known:?})."
        ));
    };
    let n = args.len();
    if n < sig.params.len() || (sig.variadic.is_none() && n > sig.params.len()) {
        return Err(format!(
            "Function \"{full}\" expects {} argument(s), not {n}.",
            sig.params.len()
        ));
    }
    let mut sensitive = false;
    let mut plain = Vec::with_capacity(n);
    for (i, a) in args.into_iter().enumerate() {
        let param = sig
            .params
            .get(i)
            .or(sig.variadic.as_ref())
            .expect("arity checked above");
        let (v, s) = a.unmark_deep();
        sensitive |= s;
        if matches!(v, Value::Null) && !param.allow_null {
            return Err(format!(
                "Invalid value for \"{}\" parameter: argument must not be null.",
                param.name
            ));
        }
        if !v.is_wholly_known() && !param.allow_unknown {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        plain.push(v);
    }
    p.call(name, plain).map(|v| v.mark_if(sensitive))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Upper(BTreeMap<String, Signature>);
    impl ProviderFunctions for Upper {
        fn signatures(&self) -> &BTreeMap<String, Signature> {
            &self.0
        }
        fn call(&self, _name: &str, args: Vec<Value>) -> Result<Value, String> {
            match &args[0] {
                Value::String(s) => Ok(Value::string(s.to_uppercase())),
                other => Err(format!("not a string: {other:?}")),
            }
        }
    }

    #[test]
    fn calls_check_arity_nulls_unknowns_and_keep_sensitivity() {
        let mut sigs = BTreeMap::new();
        sigs.insert(
            "upper".to_string(),
            Signature {
                params: vec![Parameter {
                    name: "text".into(),
                    ty: Type::String,
                    allow_null: false,
                    allow_unknown: false,
                }],
                variadic: None,
                returns: Type::String,
            },
        );
        register("example.test/acme/shout", Arc::new(Upper(sigs)));
        let call = |args: Vec<Value>| call(None, "shout", "upper", args);
        assert_eq!(
            call(vec![Value::string("hi")]).unwrap(),
            Value::string("HI")
        );
        assert!(call(vec![]).unwrap_err().contains("expects 1 argument"));
        assert!(call(vec![Value::Null])
            .unwrap_err()
            .contains("must not be null"));
        assert_eq!(call(vec![Value::Unknown]).unwrap(), Value::Unknown);
        let secret = call(vec![Value::string("pw").mark_if(true)]).unwrap();
        assert!(
            secret.unmark_deep().1,
            "a sensitive argument gives a sensitive result"
        );
        let e = super::call(None, "shout", "whisper", vec![]).unwrap_err();
        assert!(e.contains("provider::shout::whisper"), "{e}");
        let e = super::call(None, "nobody", "upper", vec![]).unwrap_err();
        assert!(e.contains("gantry init"), "{e}");
        // The module's own mapping wins over the type-name fallback.
        assert!(lookup(Some("example.test/acme/shout"), "loud").is_some());
    }
}
