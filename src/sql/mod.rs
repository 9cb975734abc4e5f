//! SQL generated from typed values, for engines that hold the data (Spark, DuckDB, Trino/Athena).
//!
//! Owns the one place where anything becomes SQL text: [`Dialect::ident`] quotes identifiers and
//! [`Dialect::string`] / [`Dialect::number`] write literals; every other SQL builder
//! (`score.rs`: a saved forest as one scoring `SELECT`; `views.rs`: the summary statistics) goes through them and never `format!`s
//! user text into a query. Names, filter literals and table expressions are attacker-controlled
//! (log fields, column headers): quoting must make each one exactly one token whatever it holds
//! (backticks, quotes, semicolons, comments, backslashes, control characters), and this module's
//! property tests prove it. It runs no query and knows no engine client.

pub mod pages;
pub mod relation;
pub mod score;
pub mod stepped;
pub mod views;

use thiserror::Error;

/// The SQL dialects threatlens writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Apache Spark SQL (also Databricks, EMR, Glue).
    Spark,
    /// DuckDB.
    DuckDb,
    /// Trino (also Amazon Athena).
    Trino,
}

/// A value that cannot be written as SQL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SqlError {
    /// NUL cannot appear in a quoted identifier in any of the dialects.
    #[error(
        "the name '{0}' contains a NUL character, which no SQL engine accepts in a column name"
    )]
    NulInName(String),
    /// The dialect cannot answer this exactly.
    #[error("this engine's SQL cannot compute {0}")]
    Unsupported(&'static str),
    /// NaN and infinity have no literal.
    #[error("{0} has no SQL literal")]
    NotFinite(String),
}

impl Dialect {
    /// The dialect's name as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
            Dialect::Trino => "trino",
        }
    }

    /// `name` as one quoted identifier: Spark `` `a``b` `` (backticks doubled), DuckDB and Trino
    /// `"a""b"` (double quotes doubled). Every character stands for itself inside the quotes.
    pub fn ident(self, name: &str) -> Result<String, SqlError> {
        if name.contains('\0') {
            return Err(SqlError::NulInName(
                crate::sanitize::inert(name).into_owned(),
            ));
        }
        let q = match self {
            Dialect::Spark => '`',
            Dialect::DuckDb | Dialect::Trino => '"',
        };
        let mut out = String::with_capacity(name.len() + 2);
        out.push(q);
        for c in name.chars() {
            out.push(c);
            if c == q {
                out.push(q);
            }
        }
        out.push(q);
        Ok(out)
    }

    /// `text` as a string literal. Quotes are doubled (DuckDB, Trino) or backslash-escaped with
    /// backslashes (Spark, whose literals read `\` escapes); control characters, which some
    /// parsers stop at, are joined in with `chr(n)`, so the result is `'…'` or `('…' || chr(n) || '…')`.
    pub fn string(self, text: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut open = false;
        for c in text.chars() {
            if c.is_control() {
                if open {
                    parts.push(self.plain_string(&cur));
                    cur.clear();
                    open = false;
                }
                parts.push(format!("chr({})", u32::from(c)));
            } else {
                cur.push(c);
                open = true;
            }
        }
        if open || parts.is_empty() {
            parts.push(self.plain_string(&cur));
        }
        if parts.len() == 1 && parts[0].starts_with('\'') {
            parts.pop().unwrap_or_default()
        } else {
            format!("({})", parts.join(" || "))
        }
    }

    /// A string literal of text without control characters.
    fn plain_string(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('\'');
        for c in text.chars() {
            match (self, c) {
                (Dialect::Spark, '\'' | '\\') => {
                    out.push('\\');
                    out.push(c);
                }
                (_, '\'') => out.push_str("''"),
                _ => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// A finite `f64` as a DOUBLE literal that reads back as exactly the same value (shortest
    /// round-trip digits, always with an exponent so that no dialect takes it for a DECIMAL).
    pub fn number(self, x: f64) -> Result<String, SqlError> {
        if !x.is_finite() {
            return Err(SqlError::NotFinite(x.to_string()));
        }
        let text = format!("{x:e}");
        // A negative literal is an expression: parenthesised so that `a - -1e0` stays readable.
        Ok(if x < 0.0 || text.starts_with('-') {
            format!("({text})")
        } else {
            text
        })
    }

    /// An integer literal.
    pub fn integer(self, x: i64) -> String {
        if x < 0 {
            format!("({x})")
        } else {
            x.to_string()
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "spark" | "databricks" => Ok(Dialect::Spark),
            "duckdb" => Ok(Dialect::DuckDb),
            "trino" | "athena" | "presto" => Ok(Dialect::Trino),
            other => Err(format!(
                "unknown SQL dialect '{}': use spark, duckdb or trino",
                crate::sanitize::inert(other)
            )),
        }
    }
}

#[cfg(test)]
#[path = "quote_tests.rs"]
mod tests;
