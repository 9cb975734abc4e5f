//! Filter expressions: `src_ip in 155.91.45.0/24 and not anomaly`, parsed,
//! compiled against a [`Dataset`](crate::dataset::Dataset) and evaluated per row
//! or over all rows.
//!
//! Three steps: [`parse`] turns text into an [`Ast`] (syntax only, no dataset),
//! [`compile`] resolves field names to columns and pre-parses every literal into a
//! [`Filter`], and [`Filter::matches`] / [`Filter::select`] evaluate it. Every
//! mistake is a [`FilterError`] pointing at a character span of the input, and
//! [`FilterError::caret_line`] draws it. This module owns the filter language; it
//! never touches the terminal (no ratatui, no crossterm) and does no I/O.
//! Error messages quote what the user typed and header names from the file: they
//! go through `sanitize` before display like any other text (the caret line does
//! its own neutralising because it must keep columns aligned).
//!
//! # Grammar
//!
//! ```text
//! filter     := or
//! or         := and (("or" | "||") and)*
//! and        := unary (("and" | "&&") unary)*
//! unary      := ("not" | "!") unary | primary
//! primary    := "(" or ")" | "anomaly" | condition
//! condition  := FIELD op VALUE
//!             | FIELD ["not"] "in" (VALUE | "(" VALUE ("," VALUE)* ")")
//!             | FIELD ("~" | "!~") (STRING | REGEX | WORD)
//! op         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//! ```
//!
//! `not` binds tightest, then `and`, then `or`; keywords are case-insensitive.
//! Nesting is limited to [`MAX_DEPTH`] levels and input to [`MAX_INPUT_CHARS`].
//!
//! **Fields.** Any column header (case-insensitive; `-`, `.`, `_` and spaces are
//! alike, so `response_code` finds `response.code`); the derived features
//! `bytes_per_sec` (alias `avg_packet_size`), `session_duration`, `in_out_ratio`,
//! `hour`, `day_of_week`; the aliases `time` (creation_time, else time, else
//! end_time), `country` (the `src_ip_country_code` column) and `port` (`dst_port`);
//! and `score`, the detector's anomaly score. A name in backticks
//! (`` `score` ``, `` `my column` ``) is always a column header, never an alias or
//! keyword. A header wins over a derived feature of the same name.
//!
//! **Values.** Quoted strings (`'..'` or `".."`, backslash escapes the quote and
//! itself), or bare words running up to a space, parenthesis, comma, quote or
//! operator character: numbers, country codes, IPs (v4, v6), CIDR blocks, times.
//! A date followed by a time of day (`2024-04-26 08:00:00`) is one value. Regexes
//! are `/…/` (`\/` for a slash) with an optional `i` flag for case-insensitivity.
//! Numbers may carry a unit: `k`, `M`, `G`, `T` (×1000 each) or `Ki`, `Mi`, `Gi`,
//! `Ti` (×1024 each), case-insensitive, optionally followed by `B` (`10k`, `1.5MB`,
//! `2GiB`). Times take every form ingest reads: RFC 3339, `2024-04-26 08:00:00`,
//! `2024-04-26T08:00`, a date, epoch seconds or milliseconds; all are UTC unless
//! they carry an offset.
//!
//! **Semantics by column type.**
//! - numbers (columns, derived features, `score`): numeric comparison;
//! - time: by instant;
//! - text: `=`, `!=`, `in` case-insensitive (`country = us`); `<`… case-insensitive
//!   lexical order; `in CIDR` matches text cells that hold an IP in the block;
//! - IP: `=` exact address (a CIDR block after `=` means `in`), `<`… address order
//!   (every IPv4 address sorts before every IPv6 one), `in` CIDR blocks and lists
//!   of addresses or blocks; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4
//!   address, in cells, literals and blocks (`::ffff:10.0.0.0/104` = `10.0.0.0/8`);
//! - `~ "text"` is a case-insensitive substring test, `~ /re/` a regex search
//!   (compiled size capped at [`REGEX_SIZE_LIMIT`]), `!~` their negation, on the
//!   cell as displayed (numbers and times too).
//!
//! **Missing values** never satisfy a condition, not even `!=`, `!~` or `not in`:
//! `country != US` keeps the rows that have a country other than US. Use `not`
//! for the full complement (`not country = US` also keeps rows without a country),
//! and `FIELD = ""` / `FIELD != ""` to ask for missing / present values of any type.
//!
//! **Detection.** `anomaly` is true for the rows the detector flagged and `score`
//! is the detector's score; both come from the caller's [`EvalContext`]. Without
//! them `anomaly` is false and every `score` condition is false (rows past the end
//! of the slices likewise); [`Filter::check_context`] turns that into an error
//! pointing at the word, for callers who would rather say so.

mod ast;
pub mod clause;
mod compile;
mod eval;
mod lexer;
mod literal;
mod names;
mod parser;
#[cfg(test)]
mod tests;
pub mod to_sql;

pub use ast::{Ast, CmpOp, Field, Pattern, Span, Value};
pub use compile::compile;
pub use eval::{EvalContext, Filter};
pub use parser::parse;

use unicode_width::UnicodeWidthChar;

/// How deeply parentheses and `not` may nest.
pub const MAX_DEPTH: usize = 64;
/// The longest filter accepted, in characters.
pub const MAX_INPUT_CHARS: usize = 1 << 20;
/// Compiled-size cap for a regex (and for its lazy DFA), in bytes.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A mistake in a filter, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// Offset of the first offending character, in characters (not bytes).
    pub pos: usize,
    /// Length of the offending span in characters (0 for "at the end").
    pub len: usize,
    /// What is wrong, for a person.
    pub message: String,
}

impl FilterError {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        FilterError {
            pos: span.pos,
            len: span.len,
            message: message.into(),
        }
    }

    /// `input` on one line and `^~~~` under the bad span on the next, aligned
    /// by display width. Control, bidi and zero-width characters in the echoed
    /// input are shown as `�` so the two lines stay aligned and inert.
    /// The message and where it points, on one line (for status lines and stderr).
    pub fn one_line(&self, input: &str) -> String {
        let near: String = input
            .chars()
            .skip(self.pos)
            .take(self.len.clamp(1, 24))
            .collect();
        format!(
            "{} (at column {}: '{}')",
            self.message,
            self.pos + 1,
            crate::sanitize::inert(&near)
        )
    }

    /// The input on one line and a `^~~~` under the bad span on the next (no message).
    pub fn caret_line(&self, input: &str) -> String {
        let mut line = String::with_capacity(input.len());
        let mut pad = 0usize;
        let mut marks = 0usize;
        let end = self.pos.saturating_add(self.len.max(1));
        for (i, c) in input.chars().enumerate() {
            let c = if visible(c) { c } else { '\u{FFFD}' };
            let w = c.width().unwrap_or(1);
            line.push(c);
            if i < self.pos {
                pad += w;
            } else if i < end {
                marks += w;
            }
        }
        let mut out = line;
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', pad));
        out.push('^');
        out.extend(std::iter::repeat_n('~', marks.saturating_sub(1)));
        out
    }
}

/// Whether a character can be echoed as is (no control, bidi or invisible ones).
fn visible(c: char) -> bool {
    !(c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{061C}'
            | '\u{FEFF}'))
}

/// A string as a filter literal: `"…"` with `"` and `\` escaped, so any cell
/// value (e.g. a country picked in the rankings) can be put in a filter.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A header name as a filter field: as is when it is a plain word, else in
/// backticks (a backtick inside is doubled).
pub fn quote_field(name: &str) -> String {
    if lexer::is_plain_field(name) {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// Parses and compiles in one go, keeping `input` as the filter's source text.
pub fn build(input: &str, ds: &crate::dataset::Dataset) -> Result<Filter, FilterError> {
    let ast = parse(input)?;
    let mut filter = compile(&ast, ds)?;
    filter.set_source(input);
    Ok(filter)
}
