#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

const ALL: [Dialect; 3] = [Dialect::Spark, Dialect::DuckDb, Dialect::Trino];

/// Reads one quoted token (`q`-delimited, with the dialect's escapes) from the start of `sql`, as
/// the engine's lexer does; returns its text and what follows it.
fn lex_quoted(d: Dialect, q: char, sql: &str) -> Option<(String, &str)> {
    let mut chars = sql.char_indices();
    if chars.next()?.1 != q {
        return None;
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if d == Dialect::Spark && q == '\'' && c == '\\' {
            out.push(chars.next()?.1);
        } else if c == q {
            // A doubled quote is one quote character, except in Spark string literals.
            let doubled = !(d == Dialect::Spark && q == '\'');
            if doubled && sql[i + 1..].starts_with(q) {
                chars.next();
                out.push(q);
            } else {
                return Some((out, &sql[i + 1..]));
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// Decodes a string expression as [`Dialect::string`] writes it, checking that it is nothing more.
fn lex_string(d: Dialect, sql: &str) -> Option<String> {
    if let Some((s, "")) = lex_quoted(d, '\'', sql) {
        return Some(s);
    }
    let mut rest = sql.strip_prefix('(')?.strip_suffix(')')?;
    let mut out = String::new();
    loop {
        if let Some(r) = rest.strip_prefix("chr(") {
            let end = r.find(')')?;
            out.push(char::from_u32(r[..end].parse().ok()?)?);
            rest = &r[end + 1..];
        } else {
            let (s, r) = lex_quoted(d, '\'', rest)?;
            out.push_str(&s);
            rest = r;
        }
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix(" || ")?;
    }
}

fn hostile() -> Vec<&'static str> {
    vec![
        "bytes_in",
        "a`b",
        "a\"b",
        "it's",
        "x; DROP TABLE logs; --",
        "/* c */ 1",
        "back\\slash\\",
        "\\'",
        "`; SELECT 1 --",
        "\"); DELETE FROM t; --",
        "new\nline\tand\rreturn",
        "",
        "ünïcødé ✓ 😀",
    ]
}

#[test]
fn hostile_names_are_one_identifier_each() {
    for d in ALL {
        let q = if d == Dialect::Spark { '`' } else { '"' };
        for name in hostile() {
            let sql = d.ident(name).unwrap();
            assert_eq!(
                lex_quoted(d, q, &sql),
                Some((name.to_string(), "")),
                "{d:?} {sql}"
            );
        }
    }
    assert_eq!(Dialect::Spark.ident("a`b").unwrap(), "`a``b`");
    assert_eq!(Dialect::DuckDb.ident("a\"b").unwrap(), "\"a\"\"b\"");
    assert!(Dialect::Trino.ident("a\0b").is_err());
}

#[test]
fn hostile_text_is_one_literal_each() {
    for d in ALL {
        for text in hostile() {
            let sql = d.string(text);
            assert_eq!(lex_string(d, &sql).as_deref(), Some(text), "{d:?} {sql}");
        }
    }
    assert_eq!(Dialect::Spark.string("it's \\"), r"'it\'s \\'");
    assert_eq!(Dialect::Trino.string("it's"), "'it''s'");
    assert_eq!(Dialect::DuckDb.string("a\nb"), "('a' || chr(10) || 'b')");
    assert_eq!(Dialect::Spark.string("\0"), "(chr(0))");
}

#[test]
fn numbers_read_back_exactly_and_never_as_decimals() {
    for x in [0.0, -0.0, 1.5, 1e300, 5e-324, -2.75, 13182.0, 0.1 + 0.2] {
        let s = Dialect::Spark.number(x).unwrap();
        let bare = s.trim_start_matches('(').trim_end_matches(')');
        assert!(bare.contains('e'), "{s}");
        assert_eq!(bare.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{s}");
    }
    assert!(Dialect::DuckDb.number(f64::NAN).is_err());
    assert_eq!(Dialect::Trino.integer(-3), "(-3)");
}

proptest! {
    #[test]
    fn any_name_is_exactly_one_identifier(name in "[^\u{0}]{0,40}") {
        for d in ALL {
            let q = if d == Dialect::Spark { '`' } else { '"' };
            let sql = d.ident(&name).unwrap();
            prop_assert_eq!(lex_quoted(d, q, &sql), Some((name.clone(), "")));
        }
    }

    #[test]
    fn any_text_is_exactly_one_literal(text in "(?s).{0,40}", quotes in "['`\"\\\\;\\-/*\n]{0,8}") {
        let text = format!("{quotes}{text}{quotes}");
        for d in ALL {
            let sql = d.string(&text);
            prop_assert_eq!(lex_string(d, &sql), Some(text.clone()));
        }
    }
}
