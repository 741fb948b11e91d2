//! Date and time functions: formatdate, timeadd, timecmp, plantimestamp. Timestamps are
//! RFC 3339, as in Terraform; results keep the input's UTC offset.

use super::{arity, s, R};
use crate::value::Value;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

fn parse(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|_| {
        format!("not a valid RFC3339 timestamp: {text:?}; a timestamp looks like \"2006-01-02T15:04:05Z\"")
    })
}

/// RFC 3339 as Go's time.RFC3339 prints it: whole seconds, `Z` for UTC.
pub(super) fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    if t.offset().local_minus_utc() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

/// Go's time.ParseDuration, in nanoseconds.
fn duration(text: &str) -> Result<i128, String> {
    let bad = || {
        format!("invalid duration {text:?}: use a number with a unit such as \"1h30m\", \"-10s\" or \"500ms\"")
    };
    let (neg, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..num_end].parse().map_err(|_| bad())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += n * scale;
        rest = &rest[unit_end..];
    }
    let ns = total.round() as i128;
    Ok(if neg { -ns } else { ns })
}

fn pad(n: u32, width: usize) -> String {
    format!("{n:0width$}")
}

/// Terraform's formatdate specification: YYYY YY MMMM MMM MM M DD D EEEE EEE hh h HH H mm m
/// ss s AA aa ZZZZZ ZZZZ ZZZ Z, with 'quoted' literals ('' for a quote).
fn formatdate(spec: &str, t: &DateTime<FixedOffset>) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' inside it (or alone) is one quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated literal '".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        out.push(*ch);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let offset = t.offset().local_minus_utc();
        let (sign, oh, om) = (
            if offset < 0 { '-' } else { '+' },
            offset.unsigned_abs() / 3600,
            offset.unsigned_abs() % 3600 / 60,
        );
        let piece = match run.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => pad(t.year().rem_euclid(100) as u32, 2),
            "MMMM" => t.format("%B").to_string(),
            "MMM" => t.format("%b").to_string(),
            "MM" => pad(t.month(), 2),
            "M" => t.month().to_string(),
            "DD" => pad(t.day(), 2),
            "D" => t.day().to_string(),
            "EEEE" => t.format("%A").to_string(),
            "EEE" => t.format("%a").to_string(),
            "hh" => pad(t.hour(), 2),
            "h" => t.hour().to_string(),
            "HH" => pad(hour12, 2),
            "H" => hour12.to_string(),
            "mm" => pad(t.minute(), 2),
            "m" => t.minute().to_string(),
            "ss" => pad(t.second(), 2),
            "s" => t.second().to_string(),
            "AA" => (if t.hour() < 12 { "AM" } else { "PM" }).to_string(),
            "aa" => (if t.hour() < 12 { "am" } else { "pm" }).to_string(),
            "ZZZZZ" => format!("{sign}{oh:02}:{om:02}"),
            "ZZZZ" => format!("{sign}{oh:02}{om:02}"),
            "ZZZ" if offset == 0 => "UTC".to_string(),
            "ZZZ" => format!("{sign}{oh:02}{om:02}"),
            "Z" if offset == 0 => "Z".to_string(),
            "Z" => format!("{sign}{oh:02}:{om:02}"),
            other => {
                return Err(format!(
                    "invalid date format verb {other:?}: letters must be quoted to appear literally"
                ))
            }
        };
        out.push_str(&piece);
        i = j;
    }
    Ok(out)
}

pub(super) fn dispatch(name: &str, a: &[Value]) -> Option<R> {
    Some(match name {
        "formatdate" => (|| {
            arity(a, 2)?;
            let t = parse(&s(&a[1])?)?;
            Ok(Value::string(formatdate(&s(&a[0])?, &t)?))
        })(),
        "timeadd" => (|| {
            arity(a, 2)?;
            let t = parse(&s(&a[0])?)?;
            let ns = duration(&s(&a[1])?)?;
            let d = chrono::Duration::nanoseconds(ns as i64);
            let out = t
                .checked_add_signed(d)
                .ok_or_else(|| "the resulting time is out of range".to_string())?;
            Ok(Value::string(rfc3339(&out)))
        })(),
        "timecmp" => (|| {
            arity(a, 2)?;
            let (x, y) = (parse(&s(&a[0])?)?, parse(&s(&a[1])?)?);
            Ok(Value::Number(match x.cmp(&y) {
                std::cmp::Ordering::Less => -1.0,
                std::cmp::Ordering::Equal => 0.0,
                std::cmp::Ordering::Greater => 1.0,
            }))
        })(),
        // The time the plan is made: known while planning, unlike timestamp().
        "plantimestamp" => (|| {
            arity(a, 0)?;
            Ok(Value::string(
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ))
        })(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(duration("1h30m15s").unwrap(), 5415 * 1_000_000_000);
        assert_eq!(duration("-1.5s").unwrap(), -1_500_000_000);
        assert_eq!(duration("300ms").unwrap(), 300_000_000);
        assert!(duration("10").is_err());
        assert!(duration("1d").is_err());
    }
}
