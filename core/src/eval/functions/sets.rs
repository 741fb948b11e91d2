//! Collection functions added for Terraform parity: setproduct, setsubtract, transpose,
//! matchkeys.

use super::{arity, map, s, seq, R};
use crate::value::{Map, Value};

pub(super) fn dispatch(name: &str, a: &[Value]) -> Option<R> {
    Some(match name {
        "setproduct" => (|| {
            if a.len() < 2 {
                return Err("at least two arguments are required".into());
            }
            let mut product: Vec<Vec<Value>> = vec![vec![]];
            for x in a {
                let items = seq(x)?;
                let mut next = Vec::with_capacity(product.len() * items.len());
                for p in &product {
                    for it in items {
                        let mut q = p.clone();
                        q.push(it.clone());
                        next.push(q);
                    }
                }
                product = next;
            }
            let tuples: Vec<Value> = product.into_iter().map(Value::list).collect();
            // Sets in, a set out; lists in, a list out (Terraform's rule).
            Ok(if a.iter().all(|x| matches!(x, Value::Set(_))) {
                Value::set(tuples)
            } else {
                Value::list(tuples)
            })
        })(),
        "setsubtract" => (|| {
            arity(a, 2)?;
            let remove = seq(&a[1])?;
            Ok(Value::set(
                seq(&a[0])?
                    .iter()
                    .filter(|x| !remove.contains(x))
                    .cloned()
                    .collect(),
            ))
        })(),
        "transpose" => (|| {
            arity(a, 1)?;
            let mut out: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
            for (k, v) in map(&a[0])? {
                for item in seq(v)? {
                    out.entry(s(item)?)
                        .or_default()
                        .push(Value::string(k.as_str()));
                }
            }
            let mut m = Map::new();
            for (k, v) in out {
                m.insert(k, Value::list(v));
            }
            Ok(Value::map(m))
        })(),
        "matchkeys" => (|| {
            arity(a, 3)?;
            let (values, keys, search) = (seq(&a[0])?, seq(&a[1])?, seq(&a[2])?);
            if values.len() != keys.len() {
                return Err("length of keys and values should be equal".into());
            }
            Ok(Value::list(
                values
                    .iter()
                    .zip(keys)
                    .filter(|(_, k)| {
                        search
                            .iter()
                            .any(|x| x == *k || (s(x).ok().is_some() && s(x).ok() == s(k).ok()))
                    })
                    .map(|(v, _)| v.clone())
                    .collect(),
            ))
        })(),
        _ => return None,
    })
}
