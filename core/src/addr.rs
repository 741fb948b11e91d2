//! Addresses: `aws_instance.gpu`, `aws_instance.gpu[0]`, `data.aws_ami.base`,
//! `terraform_data.cfg["eu"]`, and the same inside module instances:
//! `module.serving["eu"].module.net.aws_subnet.private[1]`.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }
    }
}

/// One step of a module path: the call's name and the instance key (`None` without
/// count/for_each, and always `None` in a configuration path).
pub type ModuleStep = (Arc<str>, InstanceKey);

/// A module instance: the root module (empty) or `module.a["x"].module.b`. Shared, not
/// copied: every address inside one module instance points at the same steps.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ModuleInstance(Arc<[ModuleStep]>);

/// Terraform's order: shallower module instances first, then step by step.
impl Ord for ModuleInstance {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for ModuleInstance {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Default for ModuleInstance {
    fn default() -> Self {
        ModuleInstance::root()
    }
}

impl fmt::Debug for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModuleInstance({self})")
    }
}

impl ModuleInstance {
    pub fn root() -> ModuleInstance {
        static ROOT: OnceLock<Arc<[ModuleStep]>> = OnceLock::new();
        ModuleInstance(ROOT.get_or_init(|| Arc::from(Vec::new())).clone())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn steps(&self) -> &[ModuleStep] {
        &self.0
    }

    pub fn child(&self, name: &str, key: InstanceKey) -> ModuleInstance {
        let mut v = self.0.to_vec();
        v.push((name.into(), key));
        ModuleInstance(v.into())
    }

    /// The calling module instance; the root has none.
    pub fn parent(&self) -> Option<ModuleInstance> {
        let (_, rest) = self.0.split_last()?;
        Some(ModuleInstance(rest.to_vec().into()))
    }

    pub fn last(&self) -> Option<&ModuleStep> {
        self.0.last()
    }

    /// The configuration path: the same call names without instance keys.
    pub fn config_path(&self) -> ModuleInstance {
        if self.0.iter().all(|(_, k)| *k == InstanceKey::None) {
            return self.clone();
        }
        ModuleInstance(
            self.0
                .iter()
                .map(|(n, _)| (n.clone(), InstanceKey::None))
                .collect::<Vec<_>>()
                .into(),
        )
    }

    /// True when `self` is `other` or inside it (`module.a[0].module.b` is within
    /// `module.a[0]`; with `other` written without a key, within every instance of the call).
    pub fn is_within(&self, other: &ModuleInstance) -> bool {
        other.0.len() <= self.0.len()
            && other
                .0
                .iter()
                .zip(self.0.iter())
                .all(|((on, ok), (sn, sk))| on == sn && (*ok == InstanceKey::None || ok == sk))
    }

    /// Terraform's `modules.json` key: call names joined with dots (`a.b`).
    pub fn dotted(&self) -> String {
        self.0
            .iter()
            .map(|(n, _)| n.as_ref())
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{name}{key}")?;
        }
        Ok(())
    }
}

/// A resource block in a module instance (not yet expanded by count / for_each). Inside a
/// module's own configuration `module` is the root: addresses there are module-relative.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    pub module: ModuleInstance,
    pub mode: Mode,
    /// Shared, not copied: every instance address of a block points at the same strings.
    pub rtype: Arc<str>,
    pub name: Arc<str>,
}

impl ResourceAddr {
    pub fn managed(rtype: impl Into<Arc<str>>, name: impl Into<Arc<str>>) -> Self {
        ResourceAddr {
            module: ModuleInstance::root(),
            mode: Mode::Managed,
            rtype: rtype.into(),
            name: name.into(),
        }
    }

    pub fn data(rtype: impl Into<Arc<str>>, name: impl Into<Arc<str>>) -> Self {
        ResourceAddr {
            mode: Mode::Data,
            ..ResourceAddr::managed(rtype, name)
        }
    }

    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }

    /// The same block in module instance `module`.
    pub fn in_module(&self, module: &ModuleInstance) -> ResourceAddr {
        ResourceAddr {
            module: module.clone(),
            ..self.clone()
        }
    }

    /// The address relative to its module (as its configuration declares it).
    pub fn local(&self) -> ResourceAddr {
        self.in_module(&ModuleInstance::root())
    }

    /// The configuration address Terraform records in `dependencies`: module call names
    /// without instance keys.
    pub fn config_addr(&self) -> ResourceAddr {
        self.in_module(&self.module.config_path())
    }

    /// The provider name a resource type belongs to: the prefix before the first `_`
    /// (`aws_instance` → `aws`, `terraform_data` → `terraform`).
    pub fn implied_provider(&self) -> &str {
        self.rtype.split('_').next().unwrap_or(&self.rtype)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.rtype, self.name)
    }
}

/// The key of one instance: none, a `count` index or a `for_each` key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

impl InstanceKey {
    /// The state file's `index_key`.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        match self {
            InstanceKey::None => None,
            InstanceKey::Int(i) => Some((*i).into()),
            InstanceKey::Str(s) => Some(s.clone().into()),
        }
    }

    pub fn from_json(v: Option<&serde_json::Value>) -> InstanceKey {
        match v {
            Some(serde_json::Value::Number(n)) => InstanceKey::Int(n.as_i64().unwrap_or(0)),
            Some(serde_json::Value::String(s)) => InstanceKey::Str(s.clone()),
            _ => InstanceKey::None,
        }
    }
}

/// One resource instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid address {0:?}: expected TYPE.NAME, TYPE.NAME[INDEX], data.TYPE.NAME, each optionally after module.NAME[KEY].")]
pub struct AddrParseError(pub String);

/// Reads one `[KEY]` at the start of `s`: returns the key and the rest.
fn parse_key(s: &str) -> Option<(InstanceKey, &str)> {
    let Some(inner) = s.strip_prefix('[') else {
        return Some((InstanceKey::None, s));
    };
    if inner.starts_with('"') {
        // A JSON string: find its closing quote, honouring escapes.
        let mut escaped = false;
        for (i, c) in inner.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let key: String = serde_json::from_str(&inner[..=i]).ok()?;
                    let rest = inner[i + 1..].strip_prefix(']')?;
                    return Some((InstanceKey::Str(key), rest));
                }
                _ => escaped = false,
            }
        }
        None
    } else {
        let end = inner.find(']')?;
        let n = inner[..end].trim().parse::<i64>().ok()?;
        Some((InstanceKey::Int(n), &inner[end + 1..]))
    }
}

/// Reads one name at the start of `s` (up to `.`, `[` or the end).
fn parse_name(s: &str) -> Option<(&str, &str)> {
    let end = s.find(['.', '[']).unwrap_or(s.len());
    let name = &s[..end];
    (!name.is_empty() && crate::ident::is_ident(name)).then(|| (name, &s[end..]))
}

/// Reads the `module.a[KEY].module.b.` prefix of an address; returns it and the rest.
pub fn parse_module_prefix(mut s: &str) -> Option<(ModuleInstance, &str)> {
    let mut steps = Vec::new();
    while let Some(rest) = s.strip_prefix("module.") {
        let (name, rest) = parse_name(rest)?;
        let (key, rest) = parse_key(rest)?;
        steps.push((Arc::from(name), key));
        match rest.strip_prefix('.') {
            Some(r) => s = r,
            None if rest.is_empty() => {
                return Some((ModuleInstance(steps.into()), ""));
            }
            None => return None,
        }
    }
    let module = if steps.is_empty() {
        ModuleInstance::root()
    } else {
        ModuleInstance(steps.into())
    };
    Some((module, s))
}

impl FromStr for ModuleInstance {
    type Err = AddrParseError;

    /// `module.a`, `module.a["x"].module.b[0]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_module_prefix(s) {
            Some((m, "")) if !m.is_root() => Ok(m),
            _ => Err(AddrParseError(s.to_string())),
        }
    }
}

impl FromStr for InstanceAddr {
    type Err = AddrParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AddrParseError(s.to_string());
        let (module, rest) = parse_module_prefix(s).ok_or_else(err)?;
        let (mode, rest) = match rest.strip_prefix("data.") {
            Some(r) => (Mode::Data, r),
            None => (Mode::Managed, rest),
        };
        let (rtype, rest) = parse_name(rest).ok_or_else(err)?;
        let rest = rest.strip_prefix('.').ok_or_else(err)?;
        let (name, rest) = parse_name(rest).ok_or_else(err)?;
        let (key, rest) = parse_key(rest).ok_or_else(err)?;
        if !rest.is_empty() {
            return Err(err());
        }
        let resource = ResourceAddr {
            module,
            mode,
            rtype: rtype.into(),
            name: name.into(),
        };
        Ok(InstanceAddr { resource, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for s in [
            "terraform_data.a",
            "terraform_data.a[3]",
            "terraform_data.a[\"eu-west\"]",
            "terraform_data.a[\"with.dot]\"]",
            "data.aws_ami.base",
            "module.a.terraform_data.r",
            "module.many[\"p\"].terraform_data.r",
            "module.a[0].module.b[\"x.y\"].data.aws_ami.base[2]",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        for bad in [
            "nodot",
            "a.b[oops",
            "module.a",
            "module..x.y",
            "a.b.c",
            "a.b[1]x",
        ] {
            assert!(bad.parse::<InstanceAddr>().is_err(), "{bad}");
        }
        let m: ModuleInstance = "module.a[1].module.b".parse().unwrap();
        assert_eq!(m.to_string(), "module.a[1].module.b");
        assert_eq!(m.config_path().to_string(), "module.a.module.b");
        assert_eq!(m.dotted(), "a.b");
        assert!(m.is_within(&"module.a".parse().unwrap()));
        assert!(m.is_within(&"module.a[1]".parse().unwrap()));
        assert!(!m.is_within(&"module.a[2]".parse().unwrap()));
        assert_eq!(m.parent().unwrap().to_string(), "module.a[1]");
    }
}
