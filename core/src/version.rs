//! Versions and version constraints as Terraform writes them (`>= 1.5, < 2.0`, `~> 5.0`),
//! for `required_version`, `required_providers` and module registry versions.

use std::cmp::Ordering;
use std::fmt;

/// The Terraform language version gantry implements: configurations are checked against it.
pub const LANGUAGE_VERSION: &str = "1.11.4";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub parts: [u64; 3],
    /// How many parts were written (`~>` looks at it).
    pub given: usize,
    pub pre: Option<String>,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim().trim_start_matches('v');
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p.to_string())),
            None => (t.split('+').next().unwrap_or(t), None),
        };
        let mut parts = [0u64; 3];
        let mut given = 0;
        for (i, p) in core.split('.').enumerate() {
            if i >= 3 {
                return None;
            }
            parts[i] = p.parse().ok()?;
            given += 1;
        }
        (given > 0).then_some(Version { parts, given, pre })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts
            .cmp(&other.parts)
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.parts[0], self.parts[1], self.parts[2])?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

/// A comma-separated list of conditions, all of which must hold.
#[derive(Clone, Debug)]
pub struct Constraint(Vec<(Op, Version)>);

impl Constraint {
    pub fn parse(text: &str) -> Result<Constraint, String> {
        let mut out = Vec::new();
        for piece in text.split(',') {
            let p = piece.trim();
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("~>", Op::Pessimistic),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(sym, op)| p.strip_prefix(sym).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, p));
            let v = Version::parse(rest).ok_or_else(|| {
                format!("invalid version constraint {text:?}: {p:?} is not a version")
            })?;
            out.push((op, v));
        }
        Ok(Constraint(out))
    }

    pub fn matches(&self, v: &Version) -> bool {
        self.0.iter().all(|(op, c)| match op {
            Op::Eq => v == c,
            Op::Ne => v != c,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                // ~> 1.2 allows 1.x from 1.2; ~> 1.2.3 allows 1.2.x from 1.2.3.
                let mut upper = c.parts;
                let bump = c.given.saturating_sub(2);
                upper[bump] += 1;
                for p in upper.iter_mut().skip(bump + 1) {
                    *p = 0;
                }
                v >= c && v.parts < upper && (v.pre.is_none() || c.pre.is_some())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_match_like_terraform() {
        let v = |s: &str| Version::parse(s).unwrap();
        let c = |s: &str| Constraint::parse(s).unwrap();
        assert!(c(">= 1.5, < 2.0").matches(&v("1.11.4")));
        assert!(!c(">= 1.12").matches(&v("1.11.4")));
        assert!(c("~> 1.2").matches(&v("1.11.4")));
        assert!(!c("~> 1.2.0").matches(&v("1.3.0")));
        assert!(c("~> 20.0").matches(&v("20.8.1")));
        assert!(!c("~> 20.0").matches(&v("21.0.0")));
        assert!(c("1.11.4").matches(&v("1.11.4")));
        assert!(c("!= 1.0.0").matches(&v("1.11.4")));
        assert!(Constraint::parse(">= banana").is_err());
    }
}
