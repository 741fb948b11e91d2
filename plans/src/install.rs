//! `gantry init`'s module installer: remote module sources are fetched into
//! `.terraform/modules/KEY` and recorded in `.terraform/modules/modules.json`, Terraform's
//! layout, so the loader (and Terraform) find them.
//!
//! Sources: local paths (recorded, not copied); `git::URL[//subdir][?ref=REF]` through the
//! system `git`; registry addresses `[HOST/]NAMESPACE/NAME/PROVIDER[//subdir]` with a
//! `version` constraint through the module registry protocol (service discovery, versions,
//! download); and `https://…` `.tar.gz` / `.tgz` archives (what registries usually point at).

use gantry_core::addr::ModuleInstance;
use gantry_core::config::{load_dir, modules_manifest_path};
use gantry_core::diag::{Diagnostic, Diagnostics, SourceSpan};
use gantry_core::version::{Constraint, Version};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};

const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// One row of `modules.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Installed {
    pub key: String,
    pub source: String,
    pub version: Option<String>,
    /// Relative to the root module directory, `/`-separated.
    pub dir: String,
}

fn fail(summary: &str, detail: String, span: Option<SourceSpan>) -> Diagnostics {
    Diagnostic::error(summary, detail).at(span).into()
}

fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s = r
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// `//subdir` at the end of a source (after any `scheme://`), split off.
fn split_subdir(src: &str) -> (&str, Option<&str>) {
    let after_scheme = src.find("://").map(|i| i + 3).unwrap_or(0);
    match src[after_scheme..].find("//") {
        Some(i) => {
            let at = after_scheme + i;
            (&src[..at], Some(&src[at + 2..]))
        }
        None => (src, None),
    }
}

fn run_git(args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("git")
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Installs into `target` from a go-getter style address (git or archive); returns the
/// directory holding the module (`target` or its subdirectory).
async fn fetch(client: &reqwest::Client, addr: &str, target: &Path) -> Result<PathBuf, String> {
    let (addr, query) = match addr.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (addr, None),
    };
    let (base, subdir) = split_subdir(addr);
    let mut params = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect::<Vec<_>>();
    if let Some(repo) = base.strip_prefix("git::") {
        let git_ref = params.iter().find(|(k, _)| *k == "ref").map(|(_, v)| *v);
        let t = target.to_string_lossy();
        run_git(&["clone", "--quiet", repo, &t])?;
        if let Some(r) = git_ref {
            run_git(&["-C", &t, "checkout", "--quiet", r])?;
        }
    } else if base.starts_with("https://") || base.starts_with("http://") {
        let archive = params
            .iter()
            .position(|(k, _)| *k == "archive")
            .map(|i| params.remove(i).1.to_string());
        let is_targz = archive
            .as_deref()
            .is_some_and(|a| a == "tar.gz" || a == "tgz")
            || base.ends_with(".tar.gz")
            || base.ends_with(".tgz");
        if !is_targz {
            return Err(format!(
                "{base}: only .tar.gz archives and git:: sources can be downloaded"
            ));
        }
        let mut url = base.to_string();
        let rest: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !rest.is_empty() {
            url = format!("{url}?{}", rest.join("&"));
        }
        let bytes = client
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("downloading {url}: {}", chain(&e)))?
            .bytes()
            .await
            .map_err(|e| format!("downloading {url}: {e}"))?;
        std::fs::create_dir_all(target).map_err(|e| e.to_string())?;
        tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]))
            .unpack(target)
            .map_err(|e| format!("unpacking {url}: {e}"))?;
    } else {
        return Err(format!("unsupported module source {base:?}"));
    }
    let dir = match subdir {
        Some(s) => target.join(s),
        None => target.to_path_buf(),
    };
    if !dir.is_dir() {
        return Err(format!(
            "the module's subdirectory {:?} does not exist in the downloaded source",
            subdir.unwrap_or_default()
        ));
    }
    Ok(dir)
}

/// A registry module address: (host, "namespace/name/provider", subdir).
fn registry_address(src: &str) -> Option<(String, String, Option<String>)> {
    let (addr, subdir) = split_subdir(src);
    let parts: Vec<&str> = addr.split('/').collect();
    let ident = regex::Regex::new(r"^[0-9A-Za-z][0-9A-Za-z_-]*$").expect("valid regex");
    let (host, rest) = match parts.as_slice() {
        [h, n, m, p] if h.contains('.') || h.contains(':') => (h.to_string(), [*n, *m, *p]),
        [n, m, p] => (DEFAULT_REGISTRY.to_string(), [*n, *m, *p]),
        _ => return None,
    };
    rest.iter()
        .all(|p| ident.is_match(p))
        .then(|| (host, rest.join("/"), subdir.map(String::from)))
}

use gantry_plugin::remote::chain;

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Json, String> {
    client
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("{url}: {}", chain(&e)))?
        .json()
        .await
        .map_err(|e| format!("{url}: {}", chain(&e)))
}

/// The module registry protocol: discovery, version choice, and the download location.
async fn registry_location(
    client: &reqwest::Client,
    host: &str,
    module: &str,
    constraint: Option<&str>,
) -> Result<(String, String), String> {
    let discovery = format!("https://{host}/.well-known/terraform.json");
    let services = get_json(client, &discovery).await?;
    let base = services["modules.v1"].as_str().ok_or_else(|| {
        format!("{host} does not offer a module registry (no modules.v1 in {discovery})")
    })?;
    let base = reqwest::Url::parse(&discovery)
        .and_then(|u| u.join(base))
        .map_err(|e| format!("{host}: invalid modules.v1 address: {e}"))?;
    let versions_url = base
        .join(&format!("{module}/versions"))
        .map_err(|e| e.to_string())?;
    let listing = get_json(client, versions_url.as_str()).await?;
    let constraint = constraint.map(Constraint::parse).transpose()?;
    let mut candidates: Vec<Version> = listing["modules"][0]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str().and_then(Version::parse))
        .filter(|v| match &constraint {
            Some(c) => c.matches(v),
            None => v.pre.is_none(),
        })
        .collect();
    candidates.sort();
    let chosen = candidates
        .pop()
        .ok_or_else(|| format!("no available version of {host}/{module} matches the constraint"))?;
    let download = base
        .join(&format!("{module}/{chosen}/download"))
        .map_err(|e| e.to_string())?;
    let resp = client
        .get(download.as_str())
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("{download}: {}", chain(&e)))?;
    let location = match resp.headers().get("X-Terraform-Get") {
        Some(h) => h.to_str().map_err(|e| e.to_string())?.to_string(),
        None => {
            let body: Json = resp.json().await.map_err(|e| format!("{download}: {e}"))?;
            body["location"]
                .as_str()
                .ok_or_else(|| format!("{download}: no download location"))?
                .to_string()
        }
    };
    // A relative location is relative to the download URL.
    let location = if location.contains("::") || location.contains("://") {
        location
    } else {
        download
            .join(&location)
            .map_err(|e| e.to_string())?
            .to_string()
    };
    Ok((chosen.to_string(), location))
}

fn read_manifest(root: &Path) -> Vec<Installed> {
    let Ok(text) = std::fs::read_to_string(modules_manifest_path(root)) else {
        return Vec::new();
    };
    let j: Json = serde_json::from_str(&text).unwrap_or_default();
    j["Modules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| Installed {
            key: m["Key"].as_str().unwrap_or_default().to_string(),
            source: m["Source"].as_str().unwrap_or_default().to_string(),
            version: m["Version"].as_str().map(String::from),
            dir: m["Dir"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

fn write_manifest(root: &Path, rows: &[Installed]) -> std::io::Result<()> {
    let modules: Vec<Json> = rows
        .iter()
        .map(|r| {
            let mut o = json!({"Key": r.key, "Source": r.source});
            if let Some(v) = &r.version {
                o["Version"] = json!(v);
            }
            o["Dir"] = json!(r.dir);
            o
        })
        .collect();
    let path = modules_manifest_path(root);
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    gantry_core::state::write_atomic(
        &path,
        serde_json::to_string(&json!({"Modules": modules}))?.as_bytes(),
    )
}

/// Installs every module the configuration in `root` calls, recursively. With `upgrade`,
/// remote modules are fetched again (newest matching versions); otherwise ones already
/// installed from the same source are kept. Returns one line per module for the user.
pub async fn install_modules(root: &Path, upgrade: bool) -> Result<Vec<String>, Diagnostics> {
    let (root_cfg, _) = load_dir(root);
    if root_cfg.module_calls.is_empty() {
        return Ok(Vec::new()); // nothing to install: no manifest, no HTTP client
    }
    let previous = read_manifest(root);
    // Like Terraform, trust the certificates in SSL_CERT_FILE (private registries, tests).
    let client = gantry_plugin::remote::http_client()
        .map_err(|e| Diagnostics::from(Diagnostic::error("Failed to start the HTTP client", e)))?;
    let mut rows = vec![Installed {
        key: String::new(),
        source: String::new(),
        version: None,
        dir: ".".into(),
    }];
    let mut notes = Vec::new();
    let mut queue: Vec<(ModuleInstance, PathBuf)> =
        vec![(ModuleInstance::root(), root.to_path_buf())];
    while let Some((path, dir)) = queue.pop() {
        let (cfg, _) = load_dir(&dir);
        for call in cfg.module_calls.values() {
            let child = path.child(&call.name, gantry_core::addr::InstanceKey::None);
            let key = child.dotted();
            let local = call.source.starts_with("./") || call.source.starts_with("../");
            // `TF_DATA_DIR/modules/KEY` (`.terraform/modules/KEY` by default).
            let target = gantry_core::config::modules_manifest_path(root).with_file_name(&key);
            let (source, version, module_dir) = if local {
                let d = dir.join(&call.source);
                (call.source.clone(), None, d)
            } else if let Some(prev) = previous.iter().find(|p| {
                !upgrade
                    && p.key == key
                    && p.source == call.source
                    && root.join(&p.dir).is_dir()
                    && match (&call.version, &p.version) {
                        (Some(c), Some(v)) => Constraint::parse(c)
                            .ok()
                            .zip(Version::parse(v))
                            .is_some_and(|(c, v)| c.matches(&v)),
                        (None, _) => true,
                        _ => false,
                    }
            }) {
                notes.push(format!("- {key} in {}", prev.dir));
                (
                    prev.source.clone(),
                    prev.version.clone(),
                    root.join(&prev.dir),
                )
            } else {
                let _ = std::fs::remove_dir_all(&target);
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(|e| {
                        fail("Failed to install module", e.to_string(), call.span.clone())
                    })?;
                }
                let (version, location) = match registry_address(&call.source) {
                    Some((host, module, subdir)) if !call.source.contains("::") => {
                        let (v, loc) =
                            registry_location(&client, &host, &module, call.version.as_deref())
                                .await
                                .map_err(|m| {
                                    fail(
                                        "Failed to query the module registry",
                                        format!("module \"{}\" ({}): {m}", call.name, call.source),
                                        call.span.clone(),
                                    )
                                })?;
                        let loc = match subdir {
                            Some(s) => match loc.split_once('?') {
                                Some((a, q)) => format!("{a}//{s}?{q}"),
                                None => format!("{loc}//{s}"),
                            },
                            None => loc,
                        };
                        notes.push(format!("Downloading {} {v} for {key}...", call.source));
                        (Some(v), loc)
                    }
                    _ => {
                        if call.version.is_some() {
                            return Err(fail("Invalid version constraint", format!("module \"{}\": version applies only to registry modules; {:?} is not one.", call.name, call.source), call.span.clone()));
                        }
                        notes.push(format!("Downloading {} for {key}...", call.source));
                        (None, call.source.clone())
                    }
                };
                let d = fetch(&client, &location, &target).await.map_err(|m| {
                    fail(
                        "Failed to download module",
                        format!("module \"{}\" ({}): {m}", call.name, call.source),
                        call.span.clone(),
                    )
                })?;
                (call.source.clone(), version, d)
            };
            let module_dir = PathBuf::from(rel(root, &module_dir));
            rows.push(Installed {
                key,
                source: if local || registry_address(&source).is_none() || source.contains("::") {
                    source
                } else {
                    // Terraform records registry sources with their host.
                    match registry_address(&source) {
                        Some((host, module, sub)) => match sub {
                            Some(s) => format!("{host}/{module}//{s}"),
                            None => format!("{host}/{module}"),
                        },
                        None => source,
                    }
                },
                version,
                dir: module_dir.to_string_lossy().replace('\\', "/"),
            });
            queue.push((child, root.join(&module_dir)));
        }
    }
    write_manifest(root, &rows)
        .map_err(|e| fail("Failed to write the module manifest", e.to_string(), None))?;
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_like_go_getter() {
        assert_eq!(
            split_subdir("git::https://h/r.git//modules/x"),
            ("git::https://h/r.git", Some("modules/x"))
        );
        assert_eq!(
            split_subdir("ns/name/aws//sub"),
            ("ns/name/aws", Some("sub"))
        );
        assert_eq!(
            registry_address("terraform-aws-modules/eks/aws"),
            Some((
                "registry.terraform.io".into(),
                "terraform-aws-modules/eks/aws".into(),
                None
            ))
        );
        assert_eq!(
            registry_address("127.0.0.1:8443/acme/net/aws//vpc"),
            Some((
                "127.0.0.1:8443".into(),
                "acme/net/aws".into(),
                Some("vpc".into())
            ))
        );
        assert_eq!(registry_address("./local"), None);
        assert_eq!(registry_address("git::https://x/y.git"), None);
    }
}
