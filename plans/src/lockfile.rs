//! `.terraform.lock.hcl`, Terraform's dependency lock file: read, and written back in
//! Terraform's exact layout, so a directory both tools use keeps one lock file.
//!
//! gantry's native providers are not packages, so they have no hashes of their own. `init`
//! records each one gantry serves with the upstream version whose schema it follows (and the
//! configuration's constraints), leaving `hashes` to Terraform, which adds them on its next
//! `init`. Entries already there — Terraform's, with hashes — are kept byte for byte.

use crate::workspace::Failure;
use gantry_core::config::Config;
use gantry_core::diag::Diagnostic;
use gantry_core::provider::Registry;
use std::collections::BTreeMap;
use std::path::Path;

pub const FILE_NAME: &str = ".terraform.lock.hcl";

/// One `provider "ADDRESS" { ... }` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Locked {
    pub version: String,
    pub constraints: Option<String>,
    pub hashes: Vec<String>,
}

/// Provider address → entry, in Terraform's order (sorted by address).
pub type LockFile = BTreeMap<String, Locked>;

/// Reads the lock file (empty when there is none).
pub fn read(dir: &Path) -> Result<LockFile, Failure> {
    let path = dir.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LockFile::new()),
        Err(e) => return Err(bad(format!("{}: {e}", path.display()))),
    };
    let body = hcl_edit::parser::parse_body(&text)
        .map_err(|e| bad(format!("{}: {}", path.display(), e.message())))?;
    let mut out = LockFile::new();
    for block in body.get_blocks("provider") {
        let Some(addr) = block.labels.first().map(|l| l.as_str().to_string()) else {
            continue;
        };
        let string = |name: &str| {
            block
                .body
                .get_attribute(name)
                .and_then(|a| a.value.as_str().map(String::from))
        };
        let hashes = block
            .body
            .get_attribute("hashes")
            .and_then(|a| a.value.as_array())
            .map(|arr| {
                arr.iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let Some(version) = string("version") else {
            return Err(bad(format!(
                "{}: provider {addr:?} has no version",
                path.display()
            )));
        };
        out.insert(
            addr,
            Locked {
                version,
                constraints: string("constraints"),
                hashes,
            },
        );
    }
    Ok(out)
}

fn bad(detail: String) -> Failure {
    Failure::from(Diagnostic::error("Invalid dependency lock file", detail))
}

/// The lock file as Terraform writes it.
pub fn render(lock: &LockFile) -> String {
    let mut out = String::from(
        "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n",
    );
    for (addr, l) in lock {
        out.push_str(&format!("\nprovider {addr:?} {{\n"));
        match &l.constraints {
            Some(c) => {
                out.push_str(&format!("  version     = {:?}\n", l.version));
                out.push_str(&format!("  constraints = {c:?}\n"));
            }
            None => out.push_str(&format!("  version = {:?}\n", l.version)),
        }
        if !l.hashes.is_empty() {
            out.push_str("  hashes = [\n");
            for h in &l.hashes {
                out.push_str(&format!("    {h:?},\n"));
            }
            out.push_str("  ]\n");
        }
        out.push_str("}\n");
    }
    out
}

/// What `init` does to the lock file: entries for the native providers the configuration
/// uses are added when missing; existing entries are kept (a different version is reported,
/// not changed: it is Terraform's selection). Returns notes for the user.
pub fn update_for_init(
    dir: &Path,
    cfg: &Config,
    registry: &Registry,
) -> Result<Vec<String>, Failure> {
    let mut lock = read(dir)?;
    let before = lock.clone();
    let mut notes = Vec::new();
    for name in cfg.used_provider_names() {
        let Some(version) = registry.get(name).and_then(|f| f.version()) else {
            continue; // built in (terraform_data): Terraform locks nothing for it either
        };
        let addr = full_address(&cfg.provider_source(name));
        let constraints = cfg
            .provider_versions
            .get(name)
            .map(|(c, _)| normalize_constraints(c));
        match lock.get(&addr) {
            Some(l) if l.version != version => notes.push(format!(
                "- {addr}: the lock file selects {} for Terraform; gantry's native provider follows {version}",
                l.version
            )),
            Some(_) => notes.push(format!("- Using previously-locked {addr} v{version}")),
            None => {
                lock.insert(
                    addr.clone(),
                    Locked {
                        version: version.to_string(),
                        constraints,
                        hashes: Vec::new(),
                    },
                );
                notes.push(format!("- Locked {addr} v{version} (native)"));
            }
        }
    }
    if lock != before {
        write(dir, &lock)?;
    }
    Ok(notes)
}

/// Writes the lock file atomically, readable by all (it is committed, not a secret).
pub fn write(dir: &Path, lock: &LockFile) -> Result<(), Failure> {
    gantry_core::state::write_atomic(&dir.join(FILE_NAME), render(lock).as_bytes())
        .map_err(|e| bad(format!("writing {FILE_NAME}: {e}")))?;
    set_readable(&dir.join(FILE_NAME));
    Ok(())
}

/// The lock file is shared configuration (committed to version control), not a secret.
fn set_readable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Version constraints in the normalized form Terraform requires in the lock file: versions
/// written in full (`>= 1.0` → `>= 1.0.0`), except after `~>`, where the number of parts is
/// the meaning; exact versions without `=`.
pub fn normalize_constraints(c: &str) -> String {
    c.split(',')
        .map(|part| {
            let part = part.trim();
            let split = part
                .find(|ch: char| ch.is_ascii_digit() || ch == 'v')
                .unwrap_or(part.len());
            let (op, ver) = part.split_at(split);
            let op = op.trim();
            let ver = ver.trim().trim_start_matches('v');
            if op == "~>" {
                return format!("~> {ver}");
            }
            let (core, rest) = match ver.find(['-', '+']) {
                Some(i) => ver.split_at(i),
                None => (ver, ""),
            };
            let mut nums: Vec<&str> = core.split('.').collect();
            while nums.len() < 3 {
                nums.push("0");
            }
            let full = format!("{}{rest}", nums.join("."));
            match op {
                "" | "=" => full,
                op => format!("{op} {full}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `hashicorp/aws` → `registry.terraform.io/hashicorp/aws`.
pub fn full_address(source: &str) -> String {
    if source.matches('/').count() >= 2 {
        source.to_string()
    } else {
        format!("registry.terraform.io/{source}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_are_written_in_terraforms_normalized_form() {
        assert_eq!(normalize_constraints(">= 1.0"), ">= 1.0.0");
        assert_eq!(normalize_constraints("~> 5.0"), "~> 5.0");
        assert_eq!(normalize_constraints(">=2.1, < 3"), ">= 2.1.0, < 3.0.0");
        assert_eq!(normalize_constraints("= 1.2"), "1.2.0");
        assert_eq!(normalize_constraints("1.2.3"), "1.2.3");
    }

    #[test]
    fn terraforms_layout_round_trips() {
        let text = "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n\nprovider \"registry.terraform.io/hashicorp/aws\" {\n  version     = \"5.100.0\"\n  constraints = \"~> 5.0\"\n  hashes = [\n    \"h1:abc=\",\n    \"zh:0123\",\n  ]\n}\n\nprovider \"registry.terraform.io/hashicorp/random\" {\n  version = \"3.6.0\"\n}\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let lock = read(dir.path()).unwrap();
        assert_eq!(lock.len(), 2);
        assert_eq!(lock["registry.terraform.io/hashicorp/aws"].hashes.len(), 2);
        assert_eq!(render(&lock), text);
    }
}
