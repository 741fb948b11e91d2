//! cty's msgpack encoding of values (`DynamicValue.msgpack`), as Terraform sends and reads it.
//!
//! msgpack carries no types, so both directions are driven by the schema's type: objects are
//! maps of every attribute (absent ones null), sets and lists arrays, and a value whose type
//! is `dynamic` travels as `[type JSON, value]`. Unknown values are the extension type 0;
//! refined unknowns (extension 12, which Terraform 1.11 and the plugin frameworks send) read
//! as unknown too — gantry keeps no refinements.

use gantry_core::types::Type;
use gantry_core::value::{Map, Value};
use rmp::Marker;

/// `fixext1` of type 0 with a zero payload: cty's unknown value.
const UNKNOWN: [u8; 3] = [0xd4, 0, 0];

pub fn encode(v: &Value, ty: &Type) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, v, ty);
    out
}

fn write(out: &mut Vec<u8>, v: &Value, ty: &Type) {
    let v = v.unmark().0;
    match v {
        Value::Unknown => return out.extend_from_slice(&UNKNOWN),
        Value::Null => return rmp::encode::write_nil(out).unwrap_or(()),
        _ => {}
    }
    // Writes to a Vec cannot fail; `unwrap_or` keeps the signatures free of Results.
    match ty {
        Type::Any => {
            let actual = Type::inferred(v);
            let _ = rmp::encode::write_array_len(out, 2);
            let json = actual.to_cty_json().to_string();
            let _ = rmp::encode::write_bin(out, json.as_bytes());
            write(out, v, &actual);
        }
        Type::String => {
            let s = match v {
                Value::String(s) => s.to_string(),
                Value::Number(n) => gantry_core::value::format_number(*n),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            let _ = rmp::encode::write_str(out, &s);
        }
        Type::Number => {
            let n = match v {
                Value::Number(n) => *n,
                Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
                _ => f64::NAN,
            };
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                let _ = rmp::encode::write_sint(out, n as i64);
            } else {
                let _ = rmp::encode::write_f64(out, n);
            }
        }
        Type::Bool => {
            let b = match v {
                Value::Bool(b) => *b,
                Value::String(s) => &**s == "true",
                _ => false,
            };
            let _ = rmp::encode::write_bool(out, b);
        }
        Type::List(el) | Type::Set(el) => {
            let items = v.as_seq().unwrap_or(&[]);
            let _ = rmp::encode::write_array_len(out, items.len() as u32);
            for x in items {
                write(out, x, el);
            }
        }
        Type::Tuple(els) => {
            let items = v.as_seq().unwrap_or(&[]);
            let _ = rmp::encode::write_array_len(out, els.len() as u32);
            for (i, t) in els.iter().enumerate() {
                write(out, items.get(i).unwrap_or(&Value::Null), t);
            }
        }
        Type::Map(el) => {
            let empty = Map::new();
            let m = v.as_map().unwrap_or(&empty);
            let _ = rmp::encode::write_map_len(out, m.len() as u32);
            for (k, x) in m {
                let _ = rmp::encode::write_str(out, k);
                write(out, x, el);
            }
        }
        Type::Object(fields) => {
            let empty = Map::new();
            let m = v.as_map().unwrap_or(&empty);
            let _ = rmp::encode::write_map_len(out, fields.len() as u32);
            for (k, f) in fields {
                let _ = rmp::encode::write_str(out, k);
                write(out, m.get(k).unwrap_or(&Value::Null), &f.ty);
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("malformed msgpack value from the provider: {0}")]
pub struct DecodeError(String);

fn bad(m: impl Into<String>) -> DecodeError {
    DecodeError(m.into())
}

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut r = bytes;
    let v = read(&mut r, ty)?;
    if !r.is_empty() {
        return Err(bad(format!("{} bytes left over", r.len())));
    }
    Ok(v)
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if r.len() < n {
        return Err(bad("truncated"));
    }
    let (a, b) = r.split_at(n);
    *r = b;
    Ok(a)
}

fn be(r: &mut &[u8], n: usize) -> Result<u64, DecodeError> {
    Ok(take(r, n)?
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | *b as u64))
}

/// What one msgpack item is, before the type decides what it means.
enum Item<'a> {
    Nil,
    Bool(bool),
    Number(f64),
    Str(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

fn item<'a>(r: &mut &'a [u8]) -> Result<Item<'a>, DecodeError> {
    let m = rmp::decode::read_marker(r).map_err(|_| bad("truncated"))?;
    Ok(match m {
        Marker::Null => Item::Nil,
        Marker::True => Item::Bool(true),
        Marker::False => Item::Bool(false),
        Marker::FixPos(n) => Item::Number(n as f64),
        Marker::FixNeg(n) => Item::Number(n as f64),
        Marker::U8 => Item::Number(be(r, 1)? as f64),
        Marker::U16 => Item::Number(be(r, 2)? as f64),
        Marker::U32 => Item::Number(be(r, 4)? as f64),
        Marker::U64 => Item::Number(be(r, 8)? as f64),
        Marker::I8 => Item::Number(be(r, 1)? as u8 as i8 as f64),
        Marker::I16 => Item::Number(be(r, 2)? as u16 as i16 as f64),
        Marker::I32 => Item::Number(be(r, 4)? as u32 as i32 as f64),
        Marker::I64 => Item::Number(be(r, 8)? as i64 as f64),
        Marker::F32 => Item::Number(f32::from_bits(be(r, 4)? as u32) as f64),
        Marker::F64 => Item::Number(f64::from_bits(be(r, 8)?)),
        Marker::FixStr(n) => Item::Str(take(r, n as usize)?),
        Marker::Str8 | Marker::Bin8 => {
            let n = be(r, 1)? as usize;
            Item::Str(take(r, n)?)
        }
        Marker::Str16 | Marker::Bin16 => {
            let n = be(r, 2)? as usize;
            Item::Str(take(r, n)?)
        }
        Marker::Str32 | Marker::Bin32 => {
            let n = be(r, 4)? as usize;
            Item::Str(take(r, n)?)
        }
        Marker::FixArray(n) => Item::Array(n as usize),
        Marker::Array16 => Item::Array(be(r, 2)? as usize),
        Marker::Array32 => Item::Array(be(r, 4)? as usize),
        Marker::FixMap(n) => Item::Map(n as usize),
        Marker::Map16 => Item::Map(be(r, 2)? as usize),
        Marker::Map32 => Item::Map(be(r, 4)? as usize),
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16 => {
            let n = match m {
                Marker::FixExt1 => 1,
                Marker::FixExt2 => 2,
                Marker::FixExt4 => 4,
                Marker::FixExt8 => 8,
                _ => 16,
            };
            take(r, 1 + n)?;
            Item::Ext
        }
        Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
            let w = match m {
                Marker::Ext8 => 1,
                Marker::Ext16 => 2,
                _ => 4,
            };
            let n = be(r, w)? as usize;
            take(r, 1 + n)?;
            Item::Ext
        }
        Marker::Reserved => return Err(bad("reserved marker")),
    })
}

fn text(b: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(b).map_err(|_| bad("string is not UTF-8"))
}

fn read(r: &mut &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let it = item(r)?;
    match it {
        Item::Nil => return Ok(Value::Null),
        Item::Ext => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::Any => {
            let Item::Array(2) = it else {
                return Err(bad("a dynamic value must be [type, value]"));
            };
            let Item::Str(tj) = item(r)? else {
                return Err(bad("a dynamic value's type must be JSON bytes"));
            };
            let json: serde_json::Value =
                serde_json::from_slice(tj).map_err(|e| bad(format!("type JSON: {e}")))?;
            let actual = Type::from_cty_json(&json).map_err(bad)?;
            read(r, &actual)
        }
        Type::String => match it {
            Item::Str(b) => Ok(Value::string(text(b)?)),
            Item::Number(n) => Ok(Value::string(gantry_core::value::format_number(n))),
            Item::Bool(b) => Ok(Value::string(b.to_string())),
            _ => Err(bad("expected a string")),
        },
        Type::Number => match it {
            Item::Number(n) => Ok(Value::Number(n)),
            // cty writes numbers beyond float64 as decimal strings.
            Item::Str(b) => text(b)?
                .parse()
                .map(Value::Number)
                .map_err(|_| bad("expected a number")),
            _ => Err(bad("expected a number")),
        },
        Type::Bool => match it {
            Item::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(bad("expected a bool")),
        },
        Type::List(el) | Type::Set(el) => {
            let Item::Array(n) = it else {
                return Err(bad("expected an array"));
            };
            let items = (0..n).map(|_| read(r, el)).collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) {
                Value::set(items)
            } else {
                Value::list(items)
            })
        }
        Type::Tuple(els) => {
            let Item::Array(n) = it else {
                return Err(bad("expected an array"));
            };
            if n != els.len() {
                return Err(bad("tuple of the wrong length"));
            }
            let items = els.iter().map(|t| read(r, t)).collect::<Result<_, _>>()?;
            Ok(Value::list(items))
        }
        Type::Map(_) | Type::Object(_) => {
            let Item::Map(n) = it else {
                return Err(bad("expected a map"));
            };
            let mut m = Map::new();
            for _ in 0..n {
                let Item::Str(k) = item(r)? else {
                    return Err(bad("map keys must be strings"));
                };
                let k = text(k)?.to_string();
                let t = match ty {
                    Type::Map(el) => (**el).clone(),
                    Type::Object(fs) => fs.get(&k).map(|f| f.ty.clone()).unwrap_or(Type::Any),
                    _ => unreachable!(),
                };
                m.insert(k, read(r, &t)?);
            }
            if let Type::Object(fs) = ty {
                for k in fs.keys() {
                    m.entry(k.clone()).or_insert(Value::Null);
                }
            }
            Ok(Value::map(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::types::ObjectField;

    fn obj(fields: &[(&str, Type)]) -> Type {
        Type::Object(
            fields
                .iter()
                .map(|(k, t)| {
                    (
                        k.to_string(),
                        ObjectField {
                            ty: t.clone(),
                            optional: false,
                            default: None,
                        },
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn round_trips_every_kind_of_value() {
        let ty = obj(&[
            ("id", Type::String),
            ("count", Type::Number),
            ("ratio", Type::Number),
            ("on", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("zones", Type::set(Type::String)),
            ("rules", Type::list(obj(&[("port", Type::Number)]))),
            ("anything", Type::Any),
            ("later", Type::String),
        ]);
        let mut m = Map::new();
        m.insert("id".into(), Value::string("i-1"));
        m.insert("count".into(), Value::Number(-3.0));
        m.insert("ratio".into(), Value::Number(0.25));
        m.insert("on".into(), Value::Bool(true));
        m.insert(
            "tags".into(),
            Value::map([("a".to_string(), Value::string("b"))].into()),
        );
        m.insert(
            "zones".into(),
            Value::set(vec![Value::string("b"), Value::string("a")]),
        );
        m.insert(
            "rules".into(),
            Value::list(vec![Value::map(
                [("port".to_string(), Value::Number(443.0))].into(),
            )]),
        );
        m.insert(
            "anything".into(),
            Value::list(vec![Value::string("x"), Value::Number(1.0)]),
        );
        m.insert("later".into(), Value::Unknown);
        let v = Value::map(m);
        let bytes = encode(&v, &ty);
        assert_eq!(decode(&bytes, &ty).unwrap(), v);
    }

    #[test]
    fn absent_attributes_travel_as_null_and_refined_unknowns_read_as_unknown() {
        let ty = obj(&[("a", Type::String), ("b", Type::String)]);
        let v = Value::map([("a".to_string(), Value::string("x"))].into());
        let back = decode(&encode(&v, &ty), &ty).unwrap();
        assert_eq!(back.get_attr("b"), Some(&Value::Null));
        // ext 12 with a one-entry map payload: a refined unknown string ("not null").
        let refined = [0xc7, 3, 12, 0x81, 0x01, 0xc3];
        assert_eq!(decode(&refined, &Type::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let ty = obj(&[("a", Type::String)]);
        let bytes = encode(
            &Value::map([("a".to_string(), Value::string("hello"))].into()),
            &ty,
        );
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n], &ty).is_err());
        }
    }
}
