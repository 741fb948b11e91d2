//! Remembers `h1:` hashes of installed packages between runs. Every load checks the
//! installed package against the lock file, as Terraform does; hashing the 700 MB
//! hashicorp/aws executable costs about a second each time. A package whose files all keep
//! their size, inode, modification and change times has the hash it had: the change time
//! (`ctime`) moves on any write and cannot be set back from user space, so content cannot
//! change under an unchanged fingerprint. The cache lives in `.terraform`
//! (`gantry-provider-hashes.json`), which Terraform ignores.

use crate::install::{hash_dir, package_files};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const FILE: &str = "gantry-provider-hashes.json";

/// What the package's files look like on disk, as one digest.
#[cfg(unix)]
fn fingerprint(dir: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let mut h = Sha256::new();
    for rel in package_files(dir).ok()? {
        let m = std::fs::metadata(dir.join(&rel)).ok()?;
        h.update(format!(
            "{rel}\0{} {} {}.{} {}.{}\n",
            m.dev(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ));
        h.update(m.len().to_le_bytes());
    }
    Some(format!("{:x}", h.finalize()))
}

#[cfg(not(unix))]
fn fingerprint(_dir: &Path) -> Option<String> {
    None
}

/// The `h1:` hash of the package in `dir`, from the cache in `data_dir` when the package is
/// unchanged since it was last hashed.
pub fn h1(data_dir: &Path, dir: &Path) -> Result<String, String> {
    let Some(fp) = fingerprint(dir) else {
        return hash_dir(dir);
    };
    let path = data_dir.join(FILE);
    let key = dir.display().to_string();
    let mut cache: BTreeMap<String, (String, String)> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some((f, h)) = cache.get(&key) {
        if *f == fp {
            return Ok(h.clone());
        }
    }
    let hash = hash_dir(dir)?;
    cache.insert(key, (fp, hash.clone()));
    // Best effort: a cache that cannot be written only costs the next run a rehash.
    if let Ok(text) = serde_json::to_vec_pretty(&cache) {
        let tmp = path.with_extension("json.tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_package_is_hashed_again() {
        let data = tempfile::tempdir().unwrap();
        let pkg = tempfile::tempdir().unwrap();
        std::fs::write(pkg.path().join("terraform-provider-x"), "one").unwrap();
        let first = h1(data.path(), pkg.path()).unwrap();
        assert_eq!(first, hash_dir(pkg.path()).unwrap());
        assert!(data.path().join(FILE).exists());
        assert_eq!(
            h1(data.path(), pkg.path()).unwrap(),
            first,
            "from the cache"
        );
        // Same size, new content: the change time moves, so the hash is computed again.
        std::fs::write(pkg.path().join("terraform-provider-x"), "two").unwrap();
        let second = h1(data.path(), pkg.path()).unwrap();
        assert_eq!(second, hash_dir(pkg.path()).unwrap());
        assert_ne!(first, second);
    }
}
