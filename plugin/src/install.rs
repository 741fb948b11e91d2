//! Provider installation as `terraform init` does it, from the sources Terraform's CLI
//! configuration names, into Terraform's `.terraform/providers` layout — so a directory
//! either tool initialised works with the other.
//!
//! - CLI configuration: `TF_CLI_CONFIG_FILE`, else `~/.terraformrc`: `provider_installation
//!   { filesystem_mirror { path include exclude } direct {} }`, `dev_overrides`.
//!   Without `provider_installation`, Terraform's implied local mirrors are searched
//!   (`terraform.d/plugins`, `~/.terraform.d/plugins`, the XDG data directories).
//! - Mirrors hold packages unpacked (`HOST/NS/TYPE/VERSION/OS_ARCH/`) or packed
//!   (`HOST/NS/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`). Unpacked ones are linked
//!   into `.terraform/providers` (Terraform links them too), packed ones extracted.
//! - Hashes: `h1:` is Terraform's directory hash (sha256 over the sorted "sha256  path"
//!   lines of the package's files), recorded in and checked against `.terraform.lock.hcl`.

use base64::Engine as _;
use gantry_core::version::{Constraint, Version};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// This machine's platform in Terraform's spelling (`linux_amd64`).
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        o => o,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        a => a,
    };
    format!("{os}_{arch}")
}

/// `hashicorp/aws` → (`registry.terraform.io`, `hashicorp`, `aws`).
pub fn split_source(source: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = source.split('/').collect();
    match parts.as_slice() {
        [ns, ty] => Some((
            "registry.terraform.io".into(),
            ns.to_string(),
            ty.to_string(),
        )),
        [host, ns, ty] => Some((host.to_string(), ns.to_string(), ty.to_string())),
        _ => None,
    }
}

#[derive(Clone, Debug, Default)]
pub struct Mirror {
    pub path: PathBuf,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// What Terraform's CLI configuration says about providers.
#[derive(Clone, Debug, Default)]
pub struct CliConfig {
    /// Explicit `provider_installation` methods, in order (only filesystem mirrors are
    /// reachable without a network; `direct` and `network_mirror` are noted).
    pub mirrors: Vec<Mirror>,
    pub explicit: bool,
    /// Whether `direct {}` (the registry) is one of the methods.
    pub direct: bool,
    /// `dev_overrides`: full source address → directory holding the executable.
    pub dev_overrides: Vec<(String, PathBuf)>,
    pub plugin_cache_dir: Option<PathBuf>,
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn glob_match(pattern: &str, addr: &str) -> bool {
    // Patterns are HOST/NS/TYPE with `*` for a whole part.
    let p: Vec<&str> = pattern.split('/').collect();
    let a: Vec<&str> = addr.split('/').collect();
    p.len() == a.len() && p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a)
}

impl Mirror {
    fn serves(&self, addr: &str) -> bool {
        let inc = self.include.is_empty() || self.include.iter().any(|p| glob_match(p, addr));
        inc && !self.exclude.iter().any(|p| glob_match(p, addr))
    }
}

impl CliConfig {
    /// Reads the CLI configuration from where Terraform reads it; a missing file is an empty
    /// configuration.
    pub fn load() -> Result<CliConfig, String> {
        let path = match std::env::var_os("TF_CLI_CONFIG_FILE") {
            Some(p) => PathBuf::from(p),
            None => match home() {
                Some(h) => h.join(".terraformrc"),
                None => return Ok(CliConfig::implied(Path::new("."))),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => CliConfig::parse(&text, &path),
            Err(_) => Ok(CliConfig::implied(Path::new("."))),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<CliConfig, String> {
        // The CLI configuration is HCL 1, which allows quoted attribute names
        // (`"hashicorp/aws" = "/src"` in dev_overrides); HCL 2 does not, so they are swapped
        // for placeholders before parsing and restored after.
        let mut quoted_keys = Vec::new();
        let text: String = text
            .lines()
            .map(|line| {
                let t = line.trim_start();
                if let Some(rest) = t.strip_prefix('"') {
                    if let Some(end) = rest.find('"') {
                        if rest[end + 1..].trim_start().starts_with('=') {
                            quoted_keys.push(rest[..end].to_string());
                            return format!(
                                "gantry_quoted_key_{} {}\n",
                                quoted_keys.len() - 1,
                                &rest[end + 1..]
                            );
                        }
                    }
                }
                format!("{line}\n")
            })
            .collect();
        let unquote = |k: &str| -> String {
            k.strip_prefix("gantry_quoted_key_")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| quoted_keys.get(n).cloned())
                .unwrap_or_else(|| k.to_string())
        };
        let body = hcl_edit::parser::parse_body(&text)
            .map_err(|e| format!("{}: {}", path.display(), e.message()))?;
        let strings = |a: Option<&hcl_edit::structure::Attribute>| -> Vec<String> {
            a.and_then(|a| a.value.as_array())
                .map(|arr| {
                    arr.iter()
                        .filter_map(|e| e.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut cfg = CliConfig::default();
        if let Some(a) = body.get_attribute("plugin_cache_dir") {
            cfg.plugin_cache_dir = a.value.as_str().map(PathBuf::from);
        }
        for pi in body.get_blocks("provider_installation") {
            cfg.explicit = true;
            for b in pi.body.blocks() {
                match b.ident.as_str() {
                    "filesystem_mirror" => {
                        let Some(p) = b
                            .body
                            .get_attribute("path")
                            .and_then(|a| a.value.as_str().map(String::from))
                        else {
                            return Err(format!(
                                "{}: filesystem_mirror needs a path",
                                path.display()
                            ));
                        };
                        cfg.mirrors.push(Mirror {
                            path: PathBuf::from(p),
                            include: strings(b.body.get_attribute("include")),
                            exclude: strings(b.body.get_attribute("exclude")),
                        });
                    }
                    "direct" | "network_mirror" => cfg.direct = true,
                    "dev_overrides" => {
                        for a in b.body.attributes() {
                            let key = unquote(a.key.as_str());
                            if let Some(dir) = a.value.as_str() {
                                let full = match split_source(&key) {
                                    Some((h, n, t)) => format!("{h}/{n}/{t}"),
                                    None => key,
                                };
                                cfg.dev_overrides.push((full, PathBuf::from(dir)));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if !cfg.explicit {
            let implied = CliConfig::implied(Path::new("."));
            cfg.mirrors = implied.mirrors;
            cfg.direct = true;
        }
        Ok(cfg)
    }

    /// Terraform's implied local mirror directories.
    fn implied(cwd: &Path) -> CliConfig {
        let mut dirs = vec![cwd.join("terraform.d/plugins")];
        if let Some(h) = home() {
            dirs.push(h.join(".terraform.d/plugins"));
            dirs.push(h.join(".local/share/terraform/plugins"));
        }
        dirs.push("/usr/local/share/terraform/plugins".into());
        dirs.push("/usr/share/terraform/plugins".into());
        CliConfig {
            mirrors: dirs
                .into_iter()
                .map(|path| Mirror {
                    path,
                    ..Mirror::default()
                })
                .collect(),
            explicit: false,
            direct: true,
            dev_overrides: Vec::new(),
            plugin_cache_dir: None,
        }
    }

    pub fn dev_override(&self, addr: &str) -> Option<&Path> {
        self.dev_overrides
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, p)| p.as_path())
    }
}

/// One package found in a mirror.
#[derive(Clone, Debug)]
pub struct Package {
    pub version: Version,
    /// An unpacked directory, or a `.zip` archive.
    pub location: PathBuf,
}

/// Every version of `addr` (HOST/NS/TYPE) for this platform in one mirror.
pub fn mirror_packages(mirror: &Path, addr: &str) -> Vec<Package> {
    let plat = platform();
    let base = mirror.join(addr);
    let ty = addr.rsplit('/').next().unwrap_or_default();
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&base) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if path.join(&plat).is_dir() {
            if let Some(v) = Version::parse(&name) {
                out.push(Package {
                    version: v,
                    location: path.join(&plat),
                });
            }
        } else if let Some(rest) = name
            .strip_prefix(&format!("terraform-provider-{ty}_"))
            .and_then(|r| r.strip_suffix(&format!("_{plat}.zip")))
        {
            if let Some(v) = Version::parse(rest) {
                out.push(Package {
                    version: v,
                    location: path,
                });
            }
        }
    }
    out.sort_by(|a, b| b.version.cmp(&a.version));
    out
}

/// Terraform's `h1:` hash of an unpacked package directory.
pub fn hash_dir(dir: &Path) -> Result<String, String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    files.sort();
    let mut summary = String::new();
    for rel in &files {
        let bytes = std::fs::read(dir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        summary.push_str(&format!("{:x}  {rel}\n", Sha256::digest(&bytes)));
    }
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    ))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        // Follow links as Terraform's hasher does (it walks the linked package).
        if p.is_dir() {
            collect(root, &p, out)?;
        } else {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            out.push(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    Ok(())
}

/// `h1:` hash of a packed archive: the directory hash of its contents.
pub fn hash_zip(zip_path: &Path) -> Result<String, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    extract(zip_path, tmp.path())?;
    hash_dir(tmp.path())
}

fn extract(zip_path: &Path, to: &Path) -> Result<(), String> {
    let f = std::fs::File::open(zip_path).map_err(|e| format!("{}: {e}", zip_path.display()))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| format!("{}: {e}", zip_path.display()))?;
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    z.extract(to)
        .map_err(|e| format!("{}: {e}", zip_path.display()))?;
    Ok(())
}

/// The package directory of a provider version in `.terraform/providers`.
pub fn installed_dir(data_dir: &Path, addr: &str, version: &str) -> PathBuf {
    data_dir
        .join("providers")
        .join(addr)
        .join(version)
        .join(platform())
}

/// The provider executable in a package directory: `terraform-provider-TYPE[_vX.Y.Z][_x5]`.
pub fn executable(dir: &Path, ty: &str) -> Option<PathBuf> {
    let prefix = format!("terraform-provider-{ty}");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// What `init` installed (or found installed).
#[derive(Clone, Debug)]
pub struct Installed {
    pub addr: String,
    pub version: String,
    pub dir: PathBuf,
    pub hash: String,
    /// Where it came from, for `init`'s output.
    pub from: String,
}

/// Installs the newest version of `addr` that matches `constraint` (and `locked`, when the
/// lock file already selects one) from the configured mirrors.
pub fn install(
    cli: &CliConfig,
    data_dir: &Path,
    addr: &str,
    constraint: Option<&str>,
    locked: Option<&str>,
) -> Result<Installed, String> {
    let constraint = constraint
        .map(|c| Constraint::parse(c).map_err(|e| format!("{addr}: {e}")))
        .transpose()?;
    let locked = locked.and_then(Version::parse);
    let mut seen = Vec::new();
    for m in cli.mirrors.iter().filter(|m| m.serves(addr)) {
        for pkg in mirror_packages(&m.path, addr) {
            seen.push(pkg.version.to_string());
            let ok = constraint.as_ref().is_none_or(|c| c.matches(&pkg.version))
                && locked.as_ref().is_none_or(|l| *l == pkg.version);
            if !ok {
                continue;
            }
            let version = pkg.version.to_string();
            let target = installed_dir(data_dir, addr, &version);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            if target.symlink_metadata().is_ok() {
                if target.is_dir() && !target.is_symlink() {
                    std::fs::remove_dir_all(&target).map_err(|e| e.to_string())?;
                } else {
                    std::fs::remove_file(&target).map_err(|e| e.to_string())?;
                }
            }
            let hash = if pkg.location.is_dir() {
                let src = std::fs::canonicalize(&pkg.location).map_err(|e| e.to_string())?;
                #[cfg(unix)]
                std::os::unix::fs::symlink(&src, &target).map_err(|e| e.to_string())?;
                #[cfg(not(unix))]
                copy_dir(&src, &target)?;
                hash_dir(&target)?
            } else {
                extract(&pkg.location, &target)?;
                make_executable(&target);
                hash_dir(&target)?
            };
            return Ok(Installed {
                addr: addr.to_string(),
                version,
                dir: target,
                hash,
                from: m.path.display().to_string(),
            });
        }
    }
    let wanted = match (&constraint, &locked) {
        (_, Some(l)) => format!("the locked version {l}"),
        (Some(_), None) => "a version matching the constraints".to_string(),
        _ => "any version".to_string(),
    };
    let mut msg = format!(
        "Failed to query available provider packages: could not find {wanted} of {addr} for {} in the configured provider sources",
        platform()
    );
    if !seen.is_empty() {
        seen.dedup();
        msg.push_str(&format!(" (available: {})", seen.join(", ")));
    }
    if cli.direct {
        msg.push_str(". The registry is not reachable from gantry without a network; add a filesystem_mirror to the CLI configuration (TF_CLI_CONFIG_FILE)");
    }
    Err(msg)
}

fn make_executable(dir: &Path) {
    #[cfg(unix)]
    if let Ok(entries) = std::fs::read_dir(dir) {
        use std::os::unix::fs::PermissionsExt;
        for e in entries.flatten() {
            let p = e.path();
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("terraform-provider-"))
            {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(not(unix))]
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(from)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()))?;
        } else {
            std::fs::copy(&p, to.join(e.file_name())).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_configuration_is_read_as_terraform_reads_it() {
        let text = r#"
plugin_cache_dir = "/tmp/cache"
provider_installation {
  filesystem_mirror {
    path    = "/opt/mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  dev_overrides {
    "example/thing" = "/src/thing"
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
"#;
        let c = CliConfig::parse(text, Path::new("x.tfrc")).unwrap();
        assert_eq!(c.mirrors.len(), 1);
        assert!(c.mirrors[0].serves("registry.terraform.io/hashicorp/aws"));
        assert!(!c.mirrors[0].serves("registry.terraform.io/example/thing"));
        assert_eq!(
            c.dev_override("registry.terraform.io/example/thing"),
            Some(Path::new("/src/thing"))
        );
        assert!(c.direct);
        assert_eq!(c.plugin_cache_dir.as_deref(), Some(Path::new("/tmp/cache")));
    }

    #[test]
    fn directory_hash_is_terraforms_h1() {
        // Two files; the expected value is Terraform's dirhash Hash1 of the same content.
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b.txt"), "b\n").unwrap();
        std::fs::write(d.path().join("a.txt"), "a\n").unwrap();
        let lines = format!(
            "{:x}  a.txt\n{:x}  b.txt\n",
            Sha256::digest(b"a\n"),
            Sha256::digest(b"b\n")
        );
        let want = format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(lines.as_bytes()))
        );
        assert_eq!(hash_dir(d.path()).unwrap(), want);
    }
}
