//! Field parsers: byte counts, numbers, timestamps and IP addresses from raw bytes.
//!
//! Every parser takes the raw field bytes and returns a value or a [`FieldError`]
//! whose kind is short and stable (it is counted in the reject report). Missing
//! values (empty, `NA`, `NaN`, `null`, …) are a separate outcome, not an error.
//! No allocation on the common paths; no panics on any input.

use chrono::{NaiveDate, NaiveDateTime};
use std::net::IpAddr;

/// Why a field could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    NotANumber,
    Negative,
    TooLarge,
    NotFinite,
    BadTimestamp,
    BadIp,
}

impl FieldError {
    pub fn kind(&self) -> &'static str {
        match self {
            FieldError::NotANumber => "not a number",
            FieldError::Negative => "negative byte count",
            FieldError::TooLarge => "number too large",
            FieldError::NotFinite => "not a finite number",
            FieldError::BadTimestamp => "unrecognised timestamp",
            FieldError::BadIp => "invalid IP address",
        }
    }
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            FieldError::NotANumber => "expected digits",
            FieldError::Negative => "byte counts cannot be negative",
            FieldError::TooLarge => "the value does not fit in 64 bits",
            FieldError::NotFinite => "inf and NaN are not byte counts",
            FieldError::BadTimestamp => {
                "expected RFC 3339 (2024-04-25T23:00:00Z), 'YYYY-MM-DD HH:MM:SS' or epoch seconds/milliseconds"
            }
            FieldError::BadIp => "expected an IPv4 or IPv6 address",
        }
    }
}

/// Trims ASCII spaces and tabs.
#[inline]
pub fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or(&[])
}

/// Whether a (trimmed) field means "no value" (pandas' default NA strings).
#[inline]
pub fn is_missing(b: &[u8]) -> bool {
    if b.is_empty() {
        return true;
    }
    // Every token below starts with one of these bytes: most fields are rejected at once.
    if b.len() > 6 || !matches!(b.first(), Some(b'n' | b'N' | b'-' | b'#' | b'<')) {
        return false;
    }
    const NA: [&[u8]; 9] = [
        b"na", b"n/a", b"nan", b"-nan", b"null", b"none", b"#n/a", b"<na>", b"nil",
    ];
    NA.iter().any(|na| na.eq_ignore_ascii_case(b))
}

/// A non-negative integer (byte count). Accepts integral decimals like `12.0`.
#[inline]
pub fn parse_u64(b: &[u8]) -> Result<u64, FieldError> {
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        let mut v: u64 = 0;
        for &c in b {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .ok_or(FieldError::TooLarge)?;
        }
        // u64::MAX is the missing-value sentinel.
        return if v == u64::MAX {
            Err(FieldError::TooLarge)
        } else {
            Ok(v)
        };
    }
    let x = parse_f64(b)?;
    if x < 0.0 {
        return Err(FieldError::Negative);
    }
    if x.fract() != 0.0 {
        return Err(FieldError::NotANumber);
    }
    if x >= 18_446_744_073_709_551_615.0 {
        return Err(FieldError::TooLarge);
    }
    Ok(x as u64)
}

/// A finite floating-point number.
#[inline]
pub fn parse_f64(b: &[u8]) -> Result<f64, FieldError> {
    // Plain digits (ports, status codes): exact as an integer below 2^53, so the same value the
    // general parser gives.
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let v = b.iter().fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
        return Ok(v as f64);
    }
    let s = std::str::from_utf8(b).map_err(|_| FieldError::NotANumber)?;
    // Reject forms Rust accepts but people do not mean as numbers.
    let lower_start = s.trim_start_matches(['+', '-']);
    if lower_start.eq_ignore_ascii_case("inf")
        || lower_start.eq_ignore_ascii_case("infinity")
        || lower_start.eq_ignore_ascii_case("nan")
    {
        return Err(FieldError::NotFinite);
    }
    let x: f64 = s.parse().map_err(|_| FieldError::NotANumber)?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(FieldError::TooLarge)
    }
}

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    Some(v)
}

/// A timestamp as UTC epoch milliseconds.
///
/// Accepts RFC 3339 with `Z` or an offset (`T` or a space between date and time,
/// optional fraction), `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DDTHH:MM`, a bare
/// date `YYYY-MM-DD` (midnight UTC), and epoch seconds or milliseconds (values
/// of 10^11 and above are milliseconds).
pub fn parse_time(b: &[u8]) -> Result<i64, FieldError> {
    if let Some(t) = fast_datetime(b) {
        return Ok(t);
    }
    if !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && let Ok(t) = parse_epoch(b)
    {
        // Digits, dots and dashes: epoch, unless it is a date like 2024-04-25.
        return Ok(t);
    }
    let s = std::str::from_utf8(b).map_err(|_| FieldError::BadTimestamp)?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, fmt) {
            return Ok(t.timestamp_millis());
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), fmt) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .ok_or(FieldError::BadTimestamp);
    }
    Err(FieldError::BadTimestamp)
}

fn parse_epoch(b: &[u8]) -> Result<i64, FieldError> {
    let s = std::str::from_utf8(b).map_err(|_| FieldError::BadTimestamp)?;
    let x: f64 = s.parse().map_err(|_| FieldError::BadTimestamp)?;
    epoch_of(x)
}

/// Epoch seconds or milliseconds (values of 10^11 and above are milliseconds) as epoch
/// milliseconds: what [`parse_time`] makes of a number written out in digits.
pub fn epoch_of(x: f64) -> Result<i64, FieldError> {
    if !x.is_finite() {
        return Err(FieldError::BadTimestamp);
    }
    let ms = if x.abs() >= 1e11 { x } else { x * 1000.0 };
    // chrono's representable range is about ±262,000 years.
    if ms.abs() > 8.2e18 || chrono::DateTime::from_timestamp_millis(ms as i64).is_none() {
        return Err(FieldError::BadTimestamp);
    }
    Ok(ms.round() as i64)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fff…][Z|±HH:MM|±HHMM]` without allocation.
#[inline]
fn fast_datetime(b: &[u8]) -> Option<i64> {
    if b.len() < 19 {
        return None;
    }
    let at = |i: usize| b.get(i).copied();
    if at(4)? != b'-' || at(7)? != b'-' || !matches!(at(10)?, b'T' | b' ' | b't') {
        return None;
    }
    if at(13)? != b':' || at(16)? != b':' {
        return None;
    }
    let year = digits(b.get(0..4)?)?;
    let month = digits(b.get(5..7)?)?;
    let day = digits(b.get(8..10)?)?;
    let hour = digits(b.get(11..13)?)?;
    let min = digits(b.get(14..16)?)?;
    let sec = digits(b.get(17..19)?)?;
    let mut i = 19;
    let mut millis = 0u32;
    if at(i) == Some(b'.') {
        i += 1;
        let start = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        let frac = b.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        let mut scale = 100;
        for &c in frac.iter().take(3) {
            millis += u32::from(c - b'0') * scale;
            scale /= 10;
        }
    }
    let offset_secs: i64 = match b.get(i..)? {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let s = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -s } else { s }
        }
        _ => return None,
    };
    // A leap second (:60) is clamped into the last second, as chrono's parser does.
    let sec = sec.min(59);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 {
        return None;
    }
    let secs = days_from_civil(i64::from(year), month, day) * 86_400
        + i64::from(hour * 3600 + min * 60 + sec);
    Some(secs * 1000 + i64::from(millis) - offset_secs * 1000)
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IP address (v4 or v6), with IPv4-mapped IPv6 folded to IPv4.
#[inline]
pub fn parse_ip(b: &[u8]) -> Result<IpAddr, FieldError> {
    let s = std::str::from_utf8(b).map_err(|_| FieldError::BadIp)?;
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| FieldError::BadIp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_714_086_000_000; // 2024-04-25T23:00:00Z

    #[test]
    fn byte_counts() {
        assert_eq!(parse_u64(b"5602"), Ok(5602));
        assert_eq!(parse_u64(b"12.0"), Ok(12));
        assert_eq!(parse_u64(b"-5"), Err(FieldError::Negative));
        assert_eq!(parse_u64(b"abc"), Err(FieldError::NotANumber));
        assert_eq!(parse_u64(b"1.5"), Err(FieldError::NotANumber));
        assert_eq!(
            parse_u64(b"99999999999999999999999"),
            Err(FieldError::TooLarge)
        );
        assert_eq!(parse_u64(b"inf"), Err(FieldError::NotFinite));
        assert_eq!(parse_u64(b"1e400"), Err(FieldError::TooLarge));
    }

    #[test]
    fn timestamps_in_every_accepted_form_agree() {
        for s in [
            "2024-04-25T23:00:00Z",
            "2024-04-25T23:00:00.000Z",
            "2024-04-25 23:00:00",
            "2024-04-26T01:00:00+02:00",
            "2024-04-25T20:30:00-0230",
            "2024-04-25T23:00",
            "1714086000",
            "1714086000000",
        ] {
            assert_eq!(parse_time(s.as_bytes()), Ok(T0), "{s}");
        }
        assert_eq!(parse_time(b"2024-04-25T23:00:00.25Z"), Ok(T0 + 250));
        assert_eq!(parse_time(b"yesterday"), Err(FieldError::BadTimestamp));
        assert_eq!(
            parse_time(b"2024-13-45T25:00:00Z"),
            Err(FieldError::BadTimestamp)
        );
        assert_eq!(parse_time(b"1e300"), Err(FieldError::BadTimestamp));
        assert_eq!(parse_time(b"2024-04-25"), Ok(T0 - 23 * 3_600_000));
        assert_eq!(parse_time(b"-"), Err(FieldError::BadTimestamp));
        assert_eq!(parse_time(b"2024-13-45"), Err(FieldError::BadTimestamp));
    }

    /// The date arithmetic agrees with chrono on every day of years around the edges of the
    /// calendar rules, and rejects the same impossible dates.
    #[test]
    fn fast_dates_agree_with_chrono() {
        let chrono_ms = |y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32, ms: u32| {
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|t| t.and_hms_milli_opt(hh, mm, ss.min(59), ms))
                .map(|t| t.and_utc().timestamp_millis())
        };
        for y in [
            0, 1, 4, 99, 100, 400, 1600, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999,
        ] {
            for m in 0..=13 {
                for d in [0, 1, 15, 28, 29, 30, 31, 32] {
                    let (hh, mm, ss, ms) =
                        ((y as u32 + d) % 25, (m * 7) % 61, d % 61, d * 31 % 1000);
                    let text = format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{ms:03}Z");
                    let valid = (1..=12).contains(&m) && hh < 24 && mm < 60;
                    let want = if valid {
                        chrono_ms(y, m, d, hh, mm, ss, ms)
                    } else {
                        None
                    };
                    assert_eq!(fast_datetime(text.as_bytes()), want, "{text}");
                }
            }
        }
    }

    #[test]
    fn integer_fast_path_gives_the_general_parse() {
        for s in ["0", "7", "200", "443", "65535", "000123", "999999999999999"] {
            let general: f64 = s.parse().unwrap_or(f64::NAN);
            assert_eq!(
                parse_f64(s.as_bytes()).map(f64::to_bits),
                Ok(general.to_bits()),
                "{s}"
            );
        }
        assert_eq!(
            parse_f64(b"12345678901234567890"),
            Ok(12345678901234567890.0)
        );
    }

    #[test]
    fn ips_v4_v6_and_mapped() {
        assert_eq!(
            parse_ip(b"10.0.0.1"),
            Ok("10.0.0.1".parse().unwrap_or_else(|_| unreachable!()))
        );
        assert_eq!(
            parse_ip(b"::ffff:10.0.0.1"),
            Ok("10.0.0.1".parse().unwrap_or_else(|_| unreachable!()))
        );
        assert!(parse_ip(b"2001:db8::1").is_ok());
        assert_eq!(parse_ip(b"300.1.1.1"), Err(FieldError::BadIp));
    }

    #[test]
    fn missing_tokens() {
        for s in ["", "NA", "nan", "NULL", "n/a", "None"] {
            assert!(is_missing(s.as_bytes()), "{s}");
        }
        assert!(!is_missing(b"0"));
    }
}
