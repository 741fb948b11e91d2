//! cidrsubnets: consecutive subnets of one prefix, as Terraform allocates them.

use super::{fmt_ip, int, parse_cidr, s, R};
use crate::value::Value;

pub(super) fn dispatch(name: &str, a: &[Value]) -> Option<R> {
    if name != "cidrsubnets" {
        return None;
    }
    Some((|| {
        let prefix = s(a.first().ok_or("expected at least 1 argument")?)?;
        let (base, bits, width) = parse_cidr(&prefix)?;
        let end: u128 = if bits == 0 {
            if width == 32 {
                1 << 32
            } else {
                u128::MAX
            }
        } else {
            base + ((1u128 << (width - bits)) - 1) + 1
        };
        let mut next = base;
        let mut out = Vec::new();
        for (i, nb) in a[1..].iter().enumerate() {
            let newbits = int(nb)?;
            if newbits < 1 || bits as i64 + newbits > width as i64 {
                return Err(format!("argument {}: would extend prefix to {} bits, which is too long for an address of {width} bits", i + 2, bits as i64 + newbits));
            }
            let plen = bits + newbits as u32;
            let size: u128 = 1u128 << (width - plen);
            // Align to the new prefix length.
            let start = next.div_ceil(size) * size;
            if start < next
                || start
                    .checked_add(size)
                    .is_none_or(|e| e > end && end != u128::MAX)
            {
                return Err(format!("argument {}: not enough remaining address space for a subnet with a prefix of {plen} bits after {}", i + 2, fmt_ip(next.saturating_sub(1), width)));
            }
            out.push(Value::string(format!("{}/{plen}", fmt_ip(start, width))));
            next = start + size;
        }
        Ok(Value::list(out))
    })())
}
