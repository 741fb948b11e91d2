//! String functions added for Terraform parity: strcontains, csvdecode, textencodebase64,
//! textdecodebase64.

use super::{arity, s, R};
use crate::value::{Map, Value};
use base64::Engine as _;

fn encode(text: &str, encoding: &str) -> Result<Vec<u8>, String> {
    let unsupported = |c: char| {
        format!(
            "the given string contains characters ({c:?}) that cannot be represented in {encoding}"
        )
    };
    Ok(match encoding.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => text.as_bytes().to_vec(),
        "UTF-16LE" => text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        "UTF-16BE" => text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect(),
        "US-ASCII" | "ASCII" => text
            .chars()
            .map(|c| if c.is_ascii() { Ok(c as u8) } else { Err(unsupported(c)) })
            .collect::<Result<_, _>>()?,
        "ISO-8859-1" | "LATIN1" => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(|_| unsupported(c)))
            .collect::<Result<_, _>>()?,
        _ => return Err(format!("{encoding:?} is not a supported IANA encoding name (UTF-8, UTF-16LE, UTF-16BE, US-ASCII, ISO-8859-1)")),
    })
}

fn decode(bytes: &[u8], encoding: &str) -> Result<String, String> {
    let units = |be: bool| -> Result<String, String> {
        if !bytes.len().is_multiple_of(2) {
            return Err(format!("the given bytes are not valid {encoding}"));
        }
        let u: Vec<u16> = bytes
            .chunks(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&u).map_err(|_| format!("the given bytes are not valid {encoding}"))
    };
    match encoding.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => String::from_utf8(bytes.to_vec()).map_err(|_| "the given bytes are not valid UTF-8".into()),
        "UTF-16LE" => units(false),
        "UTF-16BE" => units(true),
        "US-ASCII" | "ASCII" | "ISO-8859-1" | "LATIN1" => Ok(bytes.iter().map(|b| char::from(*b)).collect()),
        _ => Err(format!("{encoding:?} is not a supported IANA encoding name (UTF-8, UTF-16LE, UTF-16BE, US-ASCII, ISO-8859-1)")),
    }
}

fn csvdecode(text: &str) -> R {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("invalid CSV: {e}"))?
        .iter()
        .map(String::from)
        .collect();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err("missing header line".into());
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("invalid CSV on line {}: {e}", i + 2))?;
        let mut m = Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            m.insert(h.clone(), Value::string(v));
        }
        rows.push(Value::map(m));
    }
    Ok(Value::list(rows))
}

pub(super) fn dispatch(name: &str, a: &[Value]) -> Option<R> {
    Some(match name {
        "strcontains" => (|| {
            arity(a, 2)?;
            Ok(Value::Bool(s(&a[0])?.contains(&s(&a[1])?)))
        })(),
        "csvdecode" => (|| {
            arity(a, 1)?;
            csvdecode(&s(&a[0])?)
        })(),
        "textencodebase64" => (|| {
            arity(a, 2)?;
            let bytes = encode(&s(&a[0])?, &s(&a[1])?)?;
            Ok(Value::string(
                base64::engine::general_purpose::STANDARD.encode(bytes),
            ))
        })(),
        "textdecodebase64" => (|| {
            arity(a, 2)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s(&a[0])?)
                .map_err(|e| format!("invalid base64: {e}"))?;
            Ok(Value::string(decode(&bytes, &s(&a[1])?)?))
        })(),
        _ => return None,
    })
}
