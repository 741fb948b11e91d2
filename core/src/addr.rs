//! Resource addresses: `aws_instance.gpu`, `aws_instance.gpu[0]`, `data.aws_ami.base`,
//! `terraform_data.cfg["eu"]`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

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

/// A resource block in the configuration (not yet expanded by count / for_each).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    pub mode: Mode,
    /// Shared, not copied: every instance address of a block points at the same strings.
    pub rtype: Arc<str>,
    pub name: Arc<str>,
}

impl ResourceAddr {
    pub fn managed(rtype: impl Into<Arc<str>>, name: impl Into<Arc<str>>) -> Self {
        ResourceAddr {
            mode: Mode::Managed,
            rtype: rtype.into(),
            name: name.into(),
        }
    }

    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }

    /// The provider name a resource type belongs to: the prefix before the first `_`
    /// (`aws_instance` → `aws`, `terraform_data` → `terraform`).
    pub fn implied_provider(&self) -> &str {
        self.rtype.split('_').next().unwrap_or(&self.rtype)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
#[error("invalid address {0:?}: expected TYPE.NAME, TYPE.NAME[INDEX] or data.TYPE.NAME")]
pub struct AddrParseError(pub String);

impl FromStr for InstanceAddr {
    type Err = AddrParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AddrParseError(s.to_string());
        let (base, key) = match s.find('[') {
            Some(i) => {
                let inner = s[i..]
                    .strip_prefix('[')
                    .and_then(|r| r.strip_suffix(']'))
                    .ok_or_else(err)?;
                let key = if let Ok(n) = inner.parse::<i64>() {
                    InstanceKey::Int(n)
                } else {
                    let v: serde_json::Value = serde_json::from_str(inner).map_err(|_| err())?;
                    InstanceKey::Str(v.as_str().ok_or_else(err)?.to_string())
                };
                (&s[..i], key)
            }
            None => (s, InstanceKey::None),
        };
        let parts: Vec<&str> = base.split('.').collect();
        let resource = match parts.as_slice() {
            ["data", t, n] => ResourceAddr {
                mode: Mode::Data,
                rtype: (*t).into(),
                name: (*n).into(),
            },
            [t, n] => ResourceAddr::managed(*t, *n),
            _ => return Err(err()),
        };
        if resource.rtype.is_empty() || resource.name.is_empty() {
            return Err(err());
        }
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
            "data.aws_ami.base",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        assert!("nodot".parse::<InstanceAddr>().is_err());
        assert!("a.b[oops".parse::<InstanceAddr>().is_err());
    }
}
