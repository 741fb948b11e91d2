//! Functions that read the file system: fileset, filebase64, the file hashes, pathexpand.
//! Paths are relative to the working directory (`base_dir`), as in Terraform.

use super::{arity, hex, s, R};
use crate::value::Value;
use base64::Engine as _;
use sha2::Digest;
use std::path::{Path, PathBuf};

fn read(base: &Path, name: &str) -> Result<Vec<u8>, String> {
    let p = base.join(name);
    std::fs::read(&p).map_err(|e| format!("no file exists at {:?}: {e}", p.display().to_string()))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every file under `root` as a `/`-separated path relative to it, sorted.
fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(root.join(rel)) else {
        return;
    };
    for e in rd.flatten() {
        let r = rel.join(e.file_name());
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(root, &r, out),
            Ok(t) if t.is_file() => out.push(
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            _ => {}
        }
    }
}

/// `fileset(path, pattern)`: files under `path` matching a doublestar pattern (`*`, `**`,
/// `?`, `[...]`, `{a,b}`), relative to `path`, sorted.
fn fileset(base: &Path, dir: &str, pattern: &str) -> R {
    let glob = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?
        .compile_matcher();
    let root = base.join(dir);
    let mut files = Vec::new();
    walk(&root, Path::new(""), &mut files);
    files.sort();
    Ok(Value::set(
        files
            .into_iter()
            .filter(|f| glob.is_match(f))
            .map(Value::string)
            .collect(),
    ))
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

pub(super) fn dispatch(name: &str, a: &[Value], base: &Path) -> Option<R> {
    let one = |f: &dyn Fn(Vec<u8>) -> String| -> R {
        arity(a, 1)?;
        Ok(Value::string(f(read(base, &s(&a[0])?)?)))
    };
    Some(match name {
        "fileset" => (|| {
            arity(a, 2)?;
            fileset(base, &s(&a[0])?, &s(&a[1])?)
        })(),
        "filebase64" => one(&|b| b64(&b)),
        "filemd5" => one(&|b| hex(&md5::Md5::digest(&b))),
        "filesha1" => one(&|b| hex(&sha1::Sha1::digest(&b))),
        "filesha256" => one(&|b| hex(&sha2::Sha256::digest(&b))),
        "filesha512" => one(&|b| hex(&sha2::Sha512::digest(&b))),
        "filebase64sha256" => one(&|b| b64(&sha2::Sha256::digest(&b))),
        "filebase64sha512" => one(&|b| b64(&sha2::Sha512::digest(&b))),
        "pathexpand" => (|| {
            arity(a, 1)?;
            let p = s(&a[0])?;
            let expanded = match (p.strip_prefix('~'), home()) {
                (Some(rest), Some(h)) if rest.is_empty() || rest.starts_with('/') => {
                    format!("{}{rest}", h.display())
                }
                _ => p,
            };
            Ok(Value::string(expanded))
        })(),
        _ => return None,
    })
}
