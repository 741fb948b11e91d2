//! Hash, UUID and key functions added for Terraform parity: sha512, base64sha512,
//! base64gzip, uuidv5, bcrypt, rsadecrypt.

use super::{hex, int, s, R};
use crate::value::Value;
use base64::Engine as _;
use sha2::Digest;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// gzip as Go's compress/gzip writes it after Write, Flush and Close (what Terraform runs):
/// header with OS 255, the data, an empty sync block, an empty final block, CRC and size.
fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut c = Compress::new(Compression::default(), false);
    // Deflate never grows data by more than a few bytes per 16 KiB block.
    let mut body = Vec::with_capacity(data.len() + data.len() / 8 + 64);
    c.compress_vec(data, &mut body, FlushCompress::Sync)
        .map_err(|e| e.to_string())?;
    // Close(): a final, empty stored block.
    body.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    let mut out = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x00, 0xff];
    out.extend_from_slice(&body);
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(out)
}

fn uuidv5(namespace: &str, name: &str) -> R {
    let ns = match namespace {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            format!(
                "uuidv5() doesn't support namespace {other:?}: use dns, url, oid, x500 or a UUID"
            )
        })?,
    };
    Ok(Value::string(
        uuid::Uuid::new_v5(&ns, name.as_bytes()).to_string(),
    ))
}

fn rsadecrypt(ciphertext: &str, key: &str) -> R {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(ciphertext.trim())
        .map_err(|_| "failed to decode the ciphertext: it is not valid base64".to_string())?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(key)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(key))
        .map_err(|_| {
            "failed to parse the key: it is not a PEM-encoded RSA private key".to_string()
        })?;
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &bytes)
        .map_err(|_| "failed to decrypt: the ciphertext does not match the key".to_string())?;
    String::from_utf8(plain)
        .map(Value::string)
        .map_err(|_| "the decrypted text is not valid UTF-8".into())
}

pub(super) fn dispatch(name: &str, a: &[Value]) -> Option<R> {
    Some(match name {
        "sha512" => (|| {
            super::arity(a, 1)?;
            Ok(Value::string(hex(&sha2::Sha512::digest(
                s(&a[0])?.as_bytes(),
            ))))
        })(),
        "base64sha512" => (|| {
            super::arity(a, 1)?;
            Ok(Value::string(b64(&sha2::Sha512::digest(
                s(&a[0])?.as_bytes(),
            ))))
        })(),
        "base64gzip" => (|| {
            super::arity(a, 1)?;
            Ok(Value::string(b64(&gzip(s(&a[0])?.as_bytes())?)))
        })(),
        "uuidv5" => (|| {
            super::arity(a, 2)?;
            uuidv5(&s(&a[0])?, &s(&a[1])?)
        })(),
        "bcrypt" => (|| {
            let cost = match a.len() {
                1 => bcrypt::DEFAULT_COST,
                2 => u32::try_from(int(&a[1])?).map_err(|_| "invalid cost")?,
                n => return Err(format!("expected 1 or 2 arguments, got {n}")),
            };
            let parts = bcrypt::hash_with_result(s(&a[0])?, cost).map_err(|e| e.to_string())?;
            // Terraform's Go implementation writes the $2a$ prefix.
            Ok(Value::string(
                parts.format_for_version(bcrypt::Version::TwoA),
            ))
        })(),
        "rsadecrypt" => (|| {
            super::arity(a, 2)?;
            rsadecrypt(&s(&a[0])?, &s(&a[1])?)
        })(),
        _ => return None,
    })
}
