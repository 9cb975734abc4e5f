//! Filter clauses built from values the user picked on screen (a ranking's key, a country, a
//! flow's two ends, a time range, a drill-down's source IP): the one place that quotes them and
//! narrows an existing filter by them.
//!
//! Every Enter-to-filter in the explorer goes through here, so a picked value is always a quoted
//! literal (never parsed as a keyword, CIDR block or regex) and a clause is always and-ed to the
//! user's filter, never put in its place. Pure text in, text out: it does not parse or compile.

use super::{quote, quote_field};

/// `field = "value"`: the field as a filter name (backticks when needed), the value quoted.
pub fn equals(field: &str, value: &str) -> String {
    format!("{} = {}", quote_field(field), quote(value))
}

/// Every clause must hold: `a and b and …` (an empty list is no clause at all).
pub fn all(clauses: &[String]) -> Option<String> {
    match clauses {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(many.join(" and ")),
    }
}

/// `time >= FROM and time < TO` for a half-open range of already formatted times.
pub fn time_range(from: &str, to: &str) -> String {
    format!("time >= {from} and time < {to}")
}

/// The current filter narrowed by `clause`: `(current) and clause`, or just the clause.
pub fn narrow(current: Option<&str>, clause: &str) -> String {
    match current.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => format!("({c}) and {clause}"),
        None => clause.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    #[test]
    fn picked_values_are_always_quoted_literals() {
        assert_eq!(equals("src_ip", "10.0.0.1"), r#"src_ip = "10.0.0.1""#);
        assert_eq!(
            equals("response.code", "a\"b\\c"),
            r#"response.code = "a\"b\\c""#
        );
        assert_eq!(equals("odd name", "x"), r#"`odd name` = "x""#);
        // A value that reads as syntax stays a value.
        for v in ["and", "10.0.0.0/8", "/re/", ") or (true", "US"] {
            let text = equals("src_ip_country_code", v);
            assert!(parse(&text).is_ok(), "{text}");
        }
    }

    #[test]
    fn narrowing_keeps_the_users_filter() {
        assert_eq!(narrow(None, "a = \"1\""), "a = \"1\"");
        assert_eq!(narrow(Some("  "), "a = \"1\""), "a = \"1\"");
        assert_eq!(
            narrow(Some("x = 1 or y = 2"), "a = \"1\""),
            "(x = 1 or y = 2) and a = \"1\""
        );
        assert_eq!(all(&[]), None);
        assert_eq!(
            all(&[equals("src_ip", "a"), equals("dst_ip", "b")]).as_deref(),
            Some(r#"src_ip = "a" and dst_ip = "b""#)
        );
    }
}
