//! Literal values of the filter language: numbers with units, times, IP
//! addresses and CIDR blocks, substring and regex matchers.
//!
//! Each function reads one [`Value`]'s text and returns a typed value or a
//! [`FilterError`] on the value's span that says what was expected. Times reuse
//! the ingest parser so a filter accepts exactly the forms a file may hold. IPs
//! and blocks are canonical (IPv4-mapped IPv6 becomes IPv4) as in the dataset.

use super::ast::{Span, Value};
use super::{FilterError, REGEX_SIZE_LIMIT};
use crate::ingest::fields;
use ipnet::{IpNet, Ipv4Net};
use std::net::IpAddr;

/// Unit suffixes (lower-cased, optional trailing `b` handled separately).
const UNITS: [(&str, f64); 8] = [
    ("ki", 1024.0),
    ("mi", 1_048_576.0),
    ("gi", 1_073_741_824.0),
    ("ti", 1_099_511_627_776.0),
    ("k", 1e3),
    ("m", 1e6),
    ("g", 1e9),
    ("t", 1e12),
];

/// A finite number, with an optional unit (`10k`, `1.5MB`, `2GiB`).
pub(crate) fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(x) = fields::parse_f64(t.as_bytes()) {
        return Some(x);
    }
    let lower = t.to_ascii_lowercase();
    let lower = lower.strip_suffix('b').unwrap_or(&lower);
    if lower.is_empty() {
        return None;
    }
    let (digits, scale) = UNITS
        .iter()
        .find_map(|(u, s)| lower.strip_suffix(u).map(|d| (d, *s)))
        .unwrap_or((lower, 1.0));
    // Only digits, one dot and a leading sign before a unit: no `1e5k`, no `infk`.
    if digits.is_empty()
        || !digits
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
    {
        return None;
    }
    let x = fields::parse_f64(digits.as_bytes()).ok()? * scale;
    x.is_finite().then_some(x)
}

/// The value as a number, or an error naming the field's kind.
pub(crate) fn number_or_err(v: &Value, what: &str) -> Result<f64, FilterError> {
    number(&v.text).ok_or_else(|| {
        FilterError::new(
            v.span,
            format!(
                "'{}' is not a number ({what}; units k, M, G, Ki, Mi, Gi are allowed)",
                v.text
            ),
        )
    })
}

/// The value as UTC epoch milliseconds.
pub(crate) fn time(v: &Value) -> Result<i64, FilterError> {
    let text = v.text.trim();
    // A bare date is midnight UTC (ingest's parser reads `2024-04-26` as an epoch and fails).
    let date = || {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
    };
    fields::parse_time(text.as_bytes()).ok().or_else(date).ok_or_else(|| {
        FilterError::new(
            v.span,
            format!(
                "'{}' is not a time: write 2024-04-26T08:00, 2024-04-26 08:00:00, RFC 3339 or epoch seconds",
                v.text
            ),
        )
    })
}

/// An IP address (brackets allowed, IPv4-mapped folded to IPv4).
pub(crate) fn ip(text: &str) -> Option<IpAddr> {
    fields::parse_ip(text.trim().as_bytes()).ok()
}

/// A CIDR block, canonical: `::ffff:a.b.c.d/n` with n ≥ 96 becomes `a.b.c.d/(n-96)`.
pub(crate) fn cidr(text: &str) -> Option<IpNet> {
    let net: IpNet = text.trim().parse().ok()?;
    Some(canonical_net(net))
}

pub(crate) fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        _ => net,
    }
}

/// Whether a block holds an address (both compared in canonical form).
pub(crate) fn net_contains(net: &IpNet, ip: &IpAddr) -> bool {
    net.contains(&ip.to_canonical())
}

/// A value that must be a CIDR block.
pub(crate) fn cidr_or_err(v: &Value) -> Result<IpNet, FilterError> {
    cidr(&v.text).ok_or_else(|| {
        FilterError::new(
            v.span,
            format!(
                "'{}' is not a CIDR block (write e.g. 155.91.45.0/24 or 2001:db8::/32)",
                v.text
            ),
        )
    })
}

/// Whether a bare value is meant as a CIDR block.
pub(crate) fn looks_like_cidr(v: &Value) -> bool {
    !v.quoted && v.text.contains('/')
}

/// A text test for `~`: case-insensitive substring or a size-limited regex.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// Lower-cased needle.
    Substring(String),
    Regex(regex::Regex),
}

impl Matcher {
    pub(crate) fn substring(needle: &str) -> Self {
        Matcher::Substring(needle.to_lowercase())
    }

    pub(crate) fn regex(pattern: &str, ci: bool, span: Span) -> Result<Self, FilterError> {
        regex::RegexBuilder::new(pattern)
            .case_insensitive(ci)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(64)
            .build()
            .map(Matcher::Regex)
            .map_err(|e| FilterError::new(span, regex_message(&e)))
    }

    pub(crate) fn is_match(&self, s: &str) -> bool {
        match self {
            Matcher::Substring(n) if n.is_empty() => true,
            Matcher::Substring(n) if s.is_ascii() && n.is_ascii() => {
                contains_ascii_ci(s.as_bytes(), n.as_bytes())
            }
            Matcher::Substring(n) => s.to_lowercase().contains(n.as_str()),
            Matcher::Regex(r) => r.is_match(s),
        }
    }
}

/// `needle` (already lower-case ASCII) in `hay`, ignoring ASCII case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// One line for a person from the regex crate's error.
fn regex_message(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(limit) => {
            format!("the regex is too large (over {limit} bytes compiled): simplify it")
        }
        regex::Error::Syntax(s) => {
            let last = s
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("syntax error");
            format!(
                "invalid regex: {}",
                last.trim().trim_start_matches("error: ")
            )
        }
        other => format!("invalid regex: {other}"),
    }
}
