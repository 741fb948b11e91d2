//! Provider installation as `terraform init` does it, from the sources Terraform's CLI
//! configuration names, into Terraform's `.terraform/providers` layout — so a directory
//! either tool initialised works with the other.
//!
//! - CLI configuration: `TF_CLI_CONFIG_FILE`, else `~/.terraformrc`: `provider_installation
//!   { filesystem_mirror network_mirror direct }` (each with include/exclude), `dev_overrides`,
//!   `plugin_cache_dir`. Without `provider_installation`, Terraform's implied local mirrors
//!   (`terraform.d/plugins`, `~/.terraform.d/plugins`, the XDG data directories) and then the
//!   registry are used. Remote sources are in [`crate::remote`].
//! - Version choice: the newest version any method offers that matches the constraints (and
//!   the lock file); it is installed from the first method, in order, that offers it.
//! - Mirrors hold packages unpacked (`HOST/NS/TYPE/VERSION/OS_ARCH/`) or packed
//!   (`HOST/NS/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`). Unpacked ones are linked
//!   into `.terraform/providers` (Terraform links them too), packed ones extracted.
//! - Hashes: `h1:` is Terraform's directory hash (sha256 over the sorted "sha256  path"
//!   lines of the package's files), recorded in and checked against `.terraform.lock.hcl`
//!   with the `zh:` (archive sha256) hashes a signed registry checksum document vouches for.

pub use crate::remote::Auth;
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

/// Where one installation method finds packages.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// `filesystem_mirror { path }` (and Terraform's implied local directories).
    Filesystem(PathBuf),
    /// `network_mirror { url }`: the provider network mirror protocol.
    Network(String),
    /// `direct {}`: each provider's own registry (its source address's host).
    Direct,
}

/// One `provider_installation` method with the providers it serves.
#[derive(Clone, Debug)]
pub struct Method {
    pub location: Location,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// What Terraform's CLI configuration says about providers.
#[derive(Clone, Debug, Default)]
pub struct CliConfig {
    /// `provider_installation` methods in order (Terraform's implied ones when there is no
    /// such block).
    pub methods: Vec<Method>,
    pub explicit: bool,
    /// `dev_overrides`: full source address → directory holding the executable.
    pub dev_overrides: Vec<(String, PathBuf)>,
    pub plugin_cache_dir: Option<PathBuf>,
}

/// Puts every `{` and `}` outside strings and comments on a line break, so the one-line
/// blocks HCL 1 accepts parse as HCL 2.
fn braces_on_own_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_str, mut escaped, mut in_comment) = (false, false, false);
    for c in text.chars() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_str {
            in_str = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_str = true;
        } else if c == '#' {
            in_comment = true;
        } else if c == '{' {
            out.push_str("{\n");
            continue;
        } else if c == '}' {
            out.push_str("\n}\n");
            continue;
        }
        out.push(c);
    }
    out
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

impl Method {
    fn new(location: Location) -> Method {
        Method {
            location,
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }

    /// Where a remote method fetches `addr` (`HOST/NS/TYPE`) from; `None` for a filesystem
    /// mirror.
    fn remote<'a>(&'a self, addr: &'a str) -> Option<crate::remote::Remote<'a>> {
        match &self.location {
            Location::Filesystem(_) => None,
            Location::Network(url) => Some(crate::remote::Remote::Mirror { url }),
            Location::Direct => Some(crate::remote::Remote::Registry {
                host: addr.split('/').next().unwrap_or_default(),
            }),
        }
    }

    pub fn serves(&self, addr: &str) -> bool {
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
        // for placeholders before parsing and restored after. HCL 1 also allows blocks on one
        // line (`provider_installation { direct {} }`), so braces get lines of their own.
        let text = braces_on_own_lines(text);
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
                let filters = |m: Method| Method {
                    include: strings(b.body.get_attribute("include")),
                    exclude: strings(b.body.get_attribute("exclude")),
                    ..m
                };
                let attr = |name: &str| -> Result<String, String> {
                    b.body
                        .get_attribute(name)
                        .and_then(|a| a.value.as_str().map(String::from))
                        .ok_or_else(|| {
                            format!("{}: {} needs a {name}", path.display(), b.ident.as_str())
                        })
                };
                match b.ident.as_str() {
                    "filesystem_mirror" => {
                        let p = PathBuf::from(attr("path")?);
                        cfg.methods
                            .push(filters(Method::new(Location::Filesystem(p))));
                    }
                    "network_mirror" => {
                        let url = attr("url")?;
                        if !url.starts_with("https://") {
                            return Err(format!(
                                "{}: network_mirror url must be an https:// address, not {url:?}",
                                path.display()
                            ));
                        }
                        let url = if url.ends_with('/') {
                            url
                        } else {
                            format!("{url}/")
                        };
                        cfg.methods
                            .push(filters(Method::new(Location::Network(url))));
                    }
                    "direct" => cfg.methods.push(filters(Method::new(Location::Direct))),
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
            cfg.methods = CliConfig::implied(Path::new(".")).methods;
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
        let mut methods: Vec<Method> = dirs
            .into_iter()
            .map(|p| Method::new(Location::Filesystem(p)))
            .collect();
        methods.push(Method::new(Location::Direct));
        CliConfig {
            methods,
            explicit: false,
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
    let files = package_files(dir)?;
    let mut summary = String::new();
    for rel in &files {
        // Streamed: the hashicorp/aws executable alone is 700 MB.
        let mut f = std::fs::File::open(dir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h).map_err(|e| format!("{rel}: {e}"))?;
        summary.push_str(&format!("{:x}  {rel}\n", h.finalize()));
    }
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    ))
}

/// The files of a package directory, `/`-separated paths relative to it, sorted.
pub(crate) fn package_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    files.sort();
    Ok(files)
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

/// `h1:` hash of an archive held in memory.
pub fn hash_zip_bytes(zip: &[u8]) -> Result<String, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    extract_bytes(zip, tmp.path())?;
    hash_dir(tmp.path())
}

fn extract_bytes(zip: &[u8], to: &Path) -> Result<(), String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| format!("the provider archive: {e}"))?;
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    z.extract(to)
        .map_err(|e| format!("the provider archive: {e}"))
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
    /// The `h1:` hash of the installed package.
    pub hash: String,
    /// Every hash to record in the lock file: `hash`, and the `zh:` hashes of a signed
    /// checksum document when the package came from a registry.
    pub hashes: Vec<String>,
    /// How the package was authenticated, as `init` reports it.
    pub auth: crate::remote::Auth,
    /// Where it came from, for `init`'s output.
    pub from: String,
}

/// One version that one installation method offers.
struct Offer {
    version: Version,
    method: usize,
    /// The package, when the method is a filesystem mirror.
    local: Option<PathBuf>,
}

/// The versions of `addr` each method that serves it offers, in the methods' order.
fn offers(cli: &CliConfig, addr: &str) -> Result<Vec<Offer>, String> {
    let mut out = Vec::new();
    let mut client = None;
    for (i, m) in cli
        .methods
        .iter()
        .enumerate()
        .filter(|(_, m)| m.serves(addr))
    {
        let remote = match &m.location {
            Location::Filesystem(path) => {
                out.extend(mirror_packages(path, addr).into_iter().map(|p| Offer {
                    version: p.version,
                    method: i,
                    local: Some(p.location),
                }));
                continue;
            }
            // Terraform's implied `direct` excludes providers the local directories have.
            Location::Direct if !cli.explicit && !out.is_empty() => continue,
            _ => m.remote(addr).expect("not a filesystem mirror"),
        };
        if client.is_none() {
            client = Some(crate::remote::http_client()?);
        }
        let client = client.as_ref().expect("set above");
        let versions = crate::attach::block_on(crate::remote::versions(client, &remote, addr))
            .map_err(|e| {
                format!(
                    "could not retrieve the list of available versions for provider {addr}: {e}"
                )
            })?;
        out.extend(versions.into_iter().map(|version| Offer {
            version,
            method: i,
            local: None,
        }));
    }
    Ok(out)
}

/// Installs the newest version of `addr` that matches `constraint` (and `locked`, when the
/// lock file already selects one) from the configured methods, checked against the lock
/// file's `hashes` for it (when it has any).
pub fn install(
    cli: &CliConfig,
    data_dir: &Path,
    addr: &str,
    constraint: Option<&str>,
    locked: Option<&str>,
    lock_hashes: &[String],
) -> Result<Installed, String> {
    let constraint = constraint
        .map(|c| Constraint::parse(c).map_err(|e| format!("{addr}: {e}")))
        .transpose()?;
    let locked = locked.and_then(Version::parse);
    let offers = offers(cli, addr)?;
    let acceptable = |v: &Version| {
        constraint
            .as_ref()
            .map_or(v.pre.is_none(), |c| c.matches(v))
            && locked.as_ref().is_none_or(|l| l == v)
    };
    let Some(best) = offers
        .iter()
        .filter(|o| acceptable(&o.version))
        .map(|o| &o.version)
        .max()
        .cloned()
    else {
        let wanted = match (&constraint, &locked) {
            (_, Some(l)) => format!("the locked version {l}"),
            (Some(_), None) => "a version matching the constraints".to_string(),
            _ => "any version".to_string(),
        };
        let mut seen: Vec<String> = offers.iter().map(|o| o.version.to_string()).collect();
        seen.sort();
        seen.dedup();
        let mut msg = format!(
            "Failed to query available provider packages: could not find {wanted} of {addr} for {} in the configured provider sources",
            platform()
        );
        if !seen.is_empty() {
            msg.push_str(&format!(" (available: {})", seen.join(", ")));
        }
        return Err(msg);
    };
    // The first method (in the configuration's order) that offers the chosen version.
    let offer = offers
        .iter()
        .find(|o| o.version == best)
        .expect("best is one of the offers");
    let version = best.to_string();
    let target = installed_dir(data_dir, addr, &version);
    clear(&target)?;
    let method = &cli.methods[offer.method];
    let (auth, signed, zh, from) = if let Some(local) = &offer.local {
        if local.is_dir() {
            link_dir(local, &target)?;
        } else {
            extract(local, &target)?;
            make_executable(&target);
        }
        let from = match &method.location {
            Location::Filesystem(p) => p.display().to_string(),
            _ => String::new(),
        };
        (crate::remote::Auth::Unauthenticated, Vec::new(), None, from)
    } else if let Some(cached) = cached(cli, addr, &version, lock_hashes) {
        link_dir(&cached, &target)?;
        let from = cached.display().to_string();
        (crate::remote::Auth::Unauthenticated, Vec::new(), None, from)
    } else {
        let remote = method.remote(addr).expect("a remote method offered it");
        let client = crate::remote::http_client()?;
        let got = crate::attach::block_on(crate::remote::fetch(&client, &remote, addr, &version))?;
        let zh = crate::remote::zip_hash(&got.zip);
        // With a plugin cache, the package goes there and is linked, as Terraform does.
        let unpack_to = match &cli.plugin_cache_dir {
            Some(cache) => cache.join(addr).join(&version).join(platform()),
            None => target.clone(),
        };
        clear(&unpack_to)?;
        extract_bytes(&got.zip, &unpack_to)?;
        make_executable(&unpack_to);
        if unpack_to != target {
            link_dir(&unpack_to, &target)?;
        }
        let from = match remote {
            crate::remote::Remote::Mirror { url } => url.to_string(),
            crate::remote::Remote::Registry { host } => format!("https://{host}"),
        };
        (got.auth, got.signed_hashes, Some(zh), from)
    };
    let hash = hash_dir(&target)?;
    if !lock_hashes.is_empty()
        && !lock_hashes.contains(&hash)
        && !zh.as_ref().is_some_and(|z| lock_hashes.contains(z))
    {
        return Err(format!(
            "the local package for {addr} {version} doesn't match any of the checksums previously recorded in the dependency lock file (this might be because the available checksums are for packages targeting different platforms); for more information: https://developer.hashicorp.com/terraform/language/files/dependency-lock#checksum-verification"
        ));
    }
    let mut hashes = vec![hash.clone()];
    if auth.signed() {
        hashes.extend(signed);
    }
    Ok(Installed {
        addr: addr.to_string(),
        version,
        dir: target,
        hash,
        hashes,
        auth,
        from,
    })
}

/// A package for this version already unpacked in the plugin cache, usable when the lock
/// file vouches for it (Terraform's rule unless `plugin_cache_may_break_dependency_lock_file`).
fn cached(cli: &CliConfig, addr: &str, version: &str, lock_hashes: &[String]) -> Option<PathBuf> {
    let dir = cli
        .plugin_cache_dir
        .as_ref()?
        .join(addr)
        .join(version)
        .join(platform());
    let h1 = hash_dir(&dir).ok()?;
    lock_hashes.contains(&h1).then_some(dir)
}

/// Removes whatever is at `path` (a link or a directory) and makes its parent.
fn clear(path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    if path.symlink_metadata().is_ok() {
        let r = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
        r.map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Links an unpacked package into place, as Terraform links mirror and cache packages.
fn link_dir(src: &Path, target: &Path) -> Result<(), String> {
    let src = std::fs::canonicalize(src).map_err(|e| format!("{}: {e}", src.display()))?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&src, target).map_err(|e| format!("{}: {e}", target.display()))?;
    #[cfg(not(unix))]
    copy_dir(&src, target)?;
    Ok(())
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
  network_mirror {
    url = "https://mirror.example/providers"
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
        let one_line = CliConfig::parse(
            "provider_installation { direct {} } # {\n",
            Path::new("y.tfrc"),
        )
        .unwrap();
        assert_eq!(one_line.methods.len(), 1);
        assert_eq!(one_line.methods[0].location, Location::Direct);
        assert_eq!(c.methods.len(), 3);
        assert_eq!(
            c.methods[0].location,
            Location::Filesystem("/opt/mirror".into())
        );
        assert!(c.methods[0].serves("registry.terraform.io/hashicorp/aws"));
        assert!(!c.methods[0].serves("registry.terraform.io/example/thing"));
        assert_eq!(
            c.methods[1].location,
            Location::Network("https://mirror.example/providers/".into())
        );
        assert_eq!(
            c.dev_override("registry.terraform.io/example/thing"),
            Some(Path::new("/src/thing"))
        );
        assert_eq!(c.methods[2].location, Location::Direct);
        assert!(!c.methods[2].serves("registry.terraform.io/hashicorp/aws"));
        assert!(c.methods[2].serves("registry.terraform.io/example/thing"));
        let bad = "provider_installation {\n  network_mirror {\n    url = \"http://x/\"\n  }\n}\n";
        assert!(CliConfig::parse(bad, Path::new("x.tfrc"))
            .unwrap_err()
            .contains("https://"));
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
