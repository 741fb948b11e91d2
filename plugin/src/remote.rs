//! Remote provider sources, as Terraform reaches them: the provider registry protocol
//! (`providers.v1`: service discovery, versions, download; the archive checked against its
//! `shasum`, the signed `SHA256SUMS` document and the signature by one of the registry's
//! OpenPGP keys) and the provider network mirror protocol (`index.json`, `VERSION.json`,
//! archives checked against the hashes the mirror lists).

use crate::install::platform;
use gantry_core::version::Version;
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::path::Path;

/// HashiCorp's release key (the one Terraform embeds): a package signed by it is "signed by
/// HashiCorp". Compared by full fingerprint, after the signature was checked with the key.
const HASHICORP_FINGERPRINT: &str = "C874011F0AB405110D02105534365D9472D7468F";

/// An HTTP client as Terraform's: rustls, plus the certificates in `SSL_CERT_FILE`
/// (private registries and mirrors, tests).
pub fn http_client() -> Result<reqwest::Client, String> {
    let mut builder =
        reqwest::Client::builder().user_agent(concat!("gantry/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        let pem = std::fs::read(&path)
            .map_err(|e| format!("SSL_CERT_FILE {}: {e}", Path::new(&path).display()))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("SSL_CERT_FILE: {e}"))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("the HTTP client: {}", chain(&e)))
}

/// An error with its causes (reqwest's own message omits them).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

async fn get(client: &reqwest::Client, url: &reqwest::Url) -> Result<Vec<u8>, String> {
    let resp = client
        .get(url.clone())
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("{url}: {}", chain(&e)))?;
    Ok(resp
        .bytes()
        .await
        .map_err(|e| format!("{url}: {}", chain(&e)))?
        .to_vec())
}

async fn get_json(client: &reqwest::Client, url: &reqwest::Url) -> Result<Json, String> {
    let body = get(client, url).await?;
    serde_json::from_slice(&body).map_err(|e| format!("{url}: invalid JSON: {e}"))
}

fn join(base: &reqwest::Url, rel: &str) -> Result<reqwest::Url, String> {
    base.join(rel).map_err(|e| format!("{base} + {rel}: {e}"))
}

/// How a downloaded package was authenticated, in Terraform's words for `init`'s output.
#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    Unauthenticated,
    VerifiedChecksum,
    SignedByHashiCorp,
    SelfSigned { key_id: String },
}

impl Auth {
    pub fn describe(&self) -> String {
        match self {
            Auth::Unauthenticated => "unauthenticated".into(),
            Auth::VerifiedChecksum => "verified checksum".into(),
            Auth::SignedByHashiCorp => "signed by HashiCorp".into(),
            Auth::SelfSigned { key_id } => format!("self-signed, key ID {key_id}"),
        }
    }

    pub fn signed(&self) -> bool {
        matches!(self, Auth::SignedByHashiCorp | Auth::SelfSigned { .. })
    }
}

/// A downloaded, authenticated archive.
pub struct Fetched {
    pub zip: Vec<u8>,
    pub auth: Auth,
    /// `zh:` hashes a signed checksum document vouches for (every platform's archive), which
    /// Terraform records in the lock file beside the local `h1:`.
    pub signed_hashes: Vec<String>,
}

/// `zh:` hash of an archive.
pub fn zip_hash(bytes: &[u8]) -> String {
    format!("zh:{:x}", Sha256::digest(bytes))
}

/// A remote source of one provider.
pub enum Remote<'a> {
    Registry { host: &'a str },
    Mirror { url: &'a str },
}

/// `HOST/NS/TYPE` → its parts.
fn parts(addr: &str) -> Result<(&str, &str, &str), String> {
    let mut it = addr.splitn(3, '/');
    match (it.next(), it.next(), it.next()) {
        (Some(h), Some(n), Some(t)) => Ok((h, n, t)),
        _ => Err(format!("{addr}: not a provider address")),
    }
}

/// The host's `providers.v1` base, discovered once per run (listing versions and downloading
/// both need it).
async fn registry_base(client: &reqwest::Client, host: &str) -> Result<reqwest::Url, String> {
    static FOUND: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, reqwest::Url>>,
    > = std::sync::OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    if let Some(u) = found.lock().unwrap_or_else(|e| e.into_inner()).get(host) {
        return Ok(u.clone());
    }
    let base = discover(client, host).await?;
    found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(host.to_string(), base.clone());
    Ok(base)
}

async fn discover(client: &reqwest::Client, host: &str) -> Result<reqwest::Url, String> {
    let discovery = reqwest::Url::parse(&format!("https://{host}/.well-known/terraform.json"))
        .map_err(|e| format!("{host}: {e}"))?;
    let services = get_json(client, &discovery).await?;
    let base = services["providers.v1"].as_str().ok_or_else(|| {
        format!("host {host} does not offer a Terraform provider registry (no providers.v1 in {discovery})")
    })?;
    join(&discovery, base)
}

/// Versions the source offers for this platform.
pub async fn versions(
    client: &reqwest::Client,
    src: &Remote<'_>,
    addr: &str,
) -> Result<Vec<Version>, String> {
    let (_, ns, ty) = parts(addr)?;
    let plat = platform();
    match src {
        Remote::Registry { host } => {
            let base = registry_base(client, host).await?;
            let listing = get_json(client, &join(&base, &format!("{ns}/{ty}/versions"))?).await?;
            Ok(listing["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|v| {
                    v["platforms"].as_array().is_none_or(|ps| {
                        ps.iter().any(|p| {
                            format!(
                                "{}_{}",
                                p["os"].as_str().unwrap_or(""),
                                p["arch"].as_str().unwrap_or("")
                            ) == plat
                        })
                    })
                })
                .filter_map(|v| v["version"].as_str().and_then(Version::parse))
                .collect())
        }
        Remote::Mirror { url } => {
            let base =
                reqwest::Url::parse(url).map_err(|e| format!("network mirror {url}: {e}"))?;
            let index = get_json(client, &join(&base, &format!("{addr}/index.json"))?).await?;
            Ok(index["versions"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(v, _)| Version::parse(v))
                .collect())
        }
    }
}

/// Downloads and authenticates the archive of one version for this platform.
pub async fn fetch(
    client: &reqwest::Client,
    src: &Remote<'_>,
    addr: &str,
    version: &str,
) -> Result<Fetched, String> {
    let (_, ns, ty) = parts(addr)?;
    let plat = platform();
    match src {
        Remote::Registry { host } => {
            let base = registry_base(client, host).await?;
            let (os, arch) = plat.split_once('_').unwrap_or((&plat, ""));
            let meta_url = join(&base, &format!("{ns}/{ty}/{version}/download/{os}/{arch}"))?;
            let meta = get_json(client, &meta_url).await?;
            check_protocols(&meta["protocols"], addr, version)?;
            let field = |k: &str| -> Result<reqwest::Url, String> {
                let rel = meta[k]
                    .as_str()
                    .ok_or_else(|| format!("{meta_url}: no {k} in the registry's answer"))?;
                join(&meta_url, rel)
            };
            let zip = get(client, &field("download_url")?).await?;
            let have = zip_hash(&zip);
            let want = format!("zh:{}", meta["shasum"].as_str().unwrap_or_default());
            if have != want {
                return Err(format!(
                    "archive has incorrect checksum {have} (expected {want})"
                ));
            }
            let sums = get(client, &field("shasums_url")?).await?;
            let filename = meta["filename"].as_str().unwrap_or_default();
            check_listed(&sums, filename, &have)?;
            let sig = get(client, &field("shasums_signature_url")?).await?;
            let keys: Vec<&str> = meta["signing_keys"]["gpg_public_keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k["ascii_armor"].as_str())
                .collect();
            let auth = verify_signature(&sums, &sig, &keys)?;
            Ok(Fetched {
                zip,
                signed_hashes: listed_hashes(&sums),
                auth,
            })
        }
        Remote::Mirror { url } => {
            let base =
                reqwest::Url::parse(url).map_err(|e| format!("network mirror {url}: {e}"))?;
            let vurl = join(&base, &format!("{addr}/{version}.json"))?;
            let listing = get_json(client, &vurl).await?;
            let archive = &listing["archives"][&plat];
            let rel = archive["url"].as_str().ok_or_else(|| {
                format!("the network mirror has no archive of {addr} {version} for {plat}")
            })?;
            let zip = get(client, &join(&vurl, rel)?).await?;
            let hashes: Vec<String> = archive["hashes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str().map(String::from))
                .collect();
            let auth = if hashes.is_empty() {
                Auth::Unauthenticated
            } else {
                let zh = zip_hash(&zip);
                let h1 = crate::install::hash_zip_bytes(&zip)?;
                if !hashes.iter().any(|h| *h == zh || *h == h1) {
                    return Err(format!(
                        "the archive of {addr} {version} from the network mirror matches none of the checksums it lists ({})",
                        hashes.join(", ")
                    ));
                }
                Auth::VerifiedChecksum
            };
            Ok(Fetched {
                zip,
                auth,
                signed_hashes: Vec::new(),
            })
        }
    }
}

/// The plugin protocol versions a release serves must include one gantry speaks.
fn check_protocols(protocols: &Json, addr: &str, version: &str) -> Result<(), String> {
    let Some(list) = protocols.as_array() else {
        return Ok(());
    };
    let majors: Vec<&str> = list
        .iter()
        .filter_map(|p| p.as_str())
        .map(|p| p.split('.').next().unwrap_or(p))
        .collect();
    if majors.iter().any(|m| *m == "5" || *m == "6") {
        Ok(())
    } else {
        Err(format!(
            "Incompatible provider version: {addr} {version} serves plugin protocol {}, and gantry speaks 5 and 6",
            majors.join(", ")
        ))
    }
}

/// The checksum document must list this archive with the hash it has.
fn check_listed(sums: &[u8], filename: &str, have: &str) -> Result<(), String> {
    let text = String::from_utf8_lossy(sums);
    for line in text.lines() {
        let mut f = line.split_whitespace();
        if let (Some(hash), Some(name)) = (f.next(), f.next()) {
            if name == filename {
                let listed = format!("zh:{hash}");
                return if listed == have {
                    Ok(())
                } else {
                    Err(format!(
                        "checksum list has unexpected SHA-256 hash {listed} (expected {have})"
                    ))
                };
            }
        }
    }
    Err(format!(
        "checksum list has no SHA-256 hash for \"{filename}\""
    ))
}

/// Every provider archive's `zh:` hash in a checksum document (Terraform records them all
/// once the document's signature is checked, so other platforms verify too).
fn listed_hashes(sums: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(sums)
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (hash, name) = (f.next()?, f.next()?);
            (hash.len() == 64 && name.starts_with("terraform-provider-") && name.ends_with(".zip"))
                .then(|| format!("zh:{hash}"))
        })
        .collect()
}

/// Checks the detached signature of the checksum document against the registry's keys.
fn verify_signature(document: &[u8], signature: &[u8], keys: &[&str]) -> Result<Auth, String> {
    let sig = DetachedSignature::from_bytes(signature)
        .or_else(|_| {
            DetachedSignature::from_string(&String::from_utf8_lossy(signature)).map(|s| s.0)
        })
        .map_err(|e| format!("authentication signature unreadable: {e}"))?;
    for armored in keys {
        let (key, _) = SignedPublicKey::from_string(armored)
            .map_err(|e| format!("the registry's signing key is unreadable: {e}"))?;
        let primary_ok = sig.verify(&key.primary_key, document).is_ok();
        let sub_ok = key
            .public_subkeys
            .iter()
            .any(|s| sig.verify(&s.key, document).is_ok());
        if primary_ok || sub_ok {
            let fingerprint = format!("{:X}", key.primary_key.fingerprint());
            // A v4 key's ID is the low 64 bits of its fingerprint, as Terraform prints it.
            let key_id = fingerprint[fingerprint.len().saturating_sub(16)..].to_string();
            return Ok(if fingerprint == HASHICORP_FINGERPRINT {
                Auth::SignedByHashiCorp
            } else {
                Auth::SelfSigned { key_id }
            });
        }
    }
    Err("authentication signature from unknown issuer".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_documents_are_read_as_terraform_reads_them() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let doc = format!(
            "{a}  terraform-provider-x_1.0.0_linux_amd64.zip\n{b}  terraform-provider-x_1.0.0_darwin_arm64.zip\n{b}  terraform-provider-x_1.0.0_manifest.json\n"
        );
        assert_eq!(
            listed_hashes(doc.as_bytes()),
            vec![format!("zh:{a}"), format!("zh:{b}")]
        );
        assert!(check_listed(
            doc.as_bytes(),
            "terraform-provider-x_1.0.0_linux_amd64.zip",
            &format!("zh:{a}")
        )
        .is_ok());
        let e = check_listed(
            doc.as_bytes(),
            "terraform-provider-x_1.0.0_linux_amd64.zip",
            &format!("zh:{b}"),
        )
        .unwrap_err();
        assert!(e.contains("unexpected SHA-256 hash"), "{e}");
        assert!(check_listed(doc.as_bytes(), "other.zip", "zh:").is_err());
    }

    #[test]
    fn protocols_gantry_does_not_speak_are_refused() {
        assert!(check_protocols(&serde_json::json!(["5.0"]), "x", "1").is_ok());
        assert!(check_protocols(&serde_json::json!(["6.1", "7.0"]), "x", "1").is_ok());
        let e = check_protocols(&serde_json::json!(["4.0"]), "h/n/x", "1.0.0").unwrap_err();
        assert!(e.contains("Incompatible provider version"), "{e}");
    }

    #[test]
    fn a_garbage_signature_is_an_error_not_a_pass() {
        assert!(verify_signature(b"doc", b"not a signature", &[]).is_err());
    }
}
