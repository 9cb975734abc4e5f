//! The filter tokenizer: characters in, tokens with character spans out.
//!
//! Context-free: a bare word runs up to whitespace or one of `( ) , ' " \` & | !
//! = < > ~`, so IPs, CIDR blocks, times and dotted header names are single words;
//! a token that starts with `/` is a regex literal. Keywords are left to the
//! parser (they are ordinary words here). This module only splits text; it knows
//! nothing about columns or values.

use super::ast::{CmpOp, Span};
use super::{FilterError, MAX_INPUT_CHARS};

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    Comma,
    Op(CmpOp),
    /// `~`
    Tilde,
    /// `!~`
    NotTilde,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `!` on its own
    Bang,
    /// A bare word (field name, keyword or unquoted value).
    Word(String),
    /// A quoted string, escapes resolved.
    Str(String),
    /// A field name in backticks.
    Quoted(String),
    /// `/pattern/flags`
    Regex {
        pattern: String,
        ci: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Whether `c` may appear in a bare word.
pub(crate) fn is_word_char(c: char) -> bool {
    !(c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | ',' | '\'' | '"' | '`' | '&' | '|' | '!' | '=' | '<' | '>' | '~'
        ))
}

/// Whether a header name can be written without backticks and still mean the column.
pub(crate) fn is_plain_field(name: &str) -> bool {
    const RESERVED: [&str; 9] = [
        "and", "or", "not", "in", "anomaly", "score", "time", "country", "port",
    ];
    !name.is_empty()
        && !name.starts_with('/')
        && name.chars().all(is_word_char)
        && !RESERVED.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// Splits `input` into tokens.
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().take(MAX_INPUT_CHARS + 1).collect();
    if chars.len() > MAX_INPUT_CHARS {
        return Err(FilterError::new(
            Span::new(MAX_INPUT_CHARS, 1),
            format!("the filter is too long (more than {MAX_INPUT_CHARS} characters)"),
        ));
    }
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let (tok, end) = match c {
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            ',' => (Tok::Comma, i + 1),
            '~' => (Tok::Tilde, i + 1),
            '=' if at(i + 1) == Some('=') => (Tok::Op(CmpOp::Eq), i + 2),
            '=' => (Tok::Op(CmpOp::Eq), i + 1),
            '!' if at(i + 1) == Some('=') => (Tok::Op(CmpOp::Ne), i + 2),
            '!' if at(i + 1) == Some('~') => (Tok::NotTilde, i + 2),
            '!' => (Tok::Bang, i + 1),
            '<' if at(i + 1) == Some('=') => (Tok::Op(CmpOp::Le), i + 2),
            '<' => (Tok::Op(CmpOp::Lt), i + 1),
            '>' if at(i + 1) == Some('=') => (Tok::Op(CmpOp::Ge), i + 2),
            '>' => (Tok::Op(CmpOp::Gt), i + 1),
            '&' if at(i + 1) == Some('&') => (Tok::AndAnd, i + 2),
            '|' if at(i + 1) == Some('|') => (Tok::OrOr, i + 2),
            '&' | '|' => {
                let word = if c == '&' { "and" } else { "or" };
                return Err(FilterError::new(
                    Span::new(i, 1),
                    format!("'{c}' is not an operator: write '{word}' or '{c}{c}'"),
                ));
            }
            '"' | '\'' => string(&chars, i, c)?,
            '`' => backtick(&chars, i)?,
            '/' => regex(&chars, i)?,
            _ => {
                let mut j = i;
                while at(j).is_some_and(is_word_char) {
                    j += 1;
                }
                let word: String = chars.get(i..j).unwrap_or(&[]).iter().collect();
                (Tok::Word(word), j)
            }
        };
        out.push(Token {
            tok,
            span: Span::new(start, end - start),
        });
        i = end;
    }
    Ok(out)
}

/// A quoted string starting at `start` (the quote): `\q` and `\\` are escapes,
/// any other backslash is kept as written (so `"C:\temp"` works).
fn string(chars: &[char], start: usize, quote: char) -> Result<(Tok, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i).copied() {
            None => {
                return Err(FilterError::new(
                    Span::new(start, i - start),
                    format!("unclosed quote: add a closing {quote}"),
                ));
            }
            Some(c) if c == quote => return Ok((Tok::Str(s), i + 1)),
            Some('\\') => match chars.get(i + 1).copied() {
                Some(n) if n == quote || n == '\\' => {
                    s.push(n);
                    i += 2;
                }
                _ => {
                    s.push('\\');
                    i += 1;
                }
            },
            Some(c) => {
                s.push(c);
                i += 1;
            }
        }
    }
}

/// A field name in backticks; a doubled backtick stands for one.
fn backtick(chars: &[char], start: usize) -> Result<(Tok, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i).copied() {
            None => {
                return Err(FilterError::new(
                    Span::new(start, i - start),
                    "unclosed backtick: add a closing `",
                ));
            }
            Some('`') if chars.get(i + 1) == Some(&'`') => {
                s.push('`');
                i += 2;
            }
            Some('`') if s.is_empty() => {
                return Err(FilterError::new(
                    Span::new(start, 2),
                    "empty field name between backticks",
                ));
            }
            Some('`') => return Ok((Tok::Quoted(s), i + 1)),
            Some(c) => {
                s.push(c);
                i += 1;
            }
        }
    }
}

/// `/pattern/` with an optional `i` flag; `\/` is a slash, other escapes are
/// passed to the regex engine untouched.
fn regex(chars: &[char], start: usize) -> Result<(Tok, usize), FilterError> {
    let mut pattern = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i).copied() {
            None => {
                return Err(FilterError::new(
                    Span::new(start, i - start),
                    "unclosed regex: add a closing / (quote a value that starts with /)",
                ));
            }
            Some('/') => break,
            Some('\\') => match chars.get(i + 1).copied() {
                Some('/') => {
                    pattern.push('/');
                    i += 2;
                }
                Some(n) => {
                    pattern.push('\\');
                    pattern.push(n);
                    i += 2;
                }
                None => i += 1,
            },
            Some(c) => {
                pattern.push(c);
                i += 1;
            }
        }
    }
    i += 1;
    let mut ci = false;
    while let Some(f) = chars.get(i).copied().filter(|c| c.is_alphanumeric()) {
        if f != 'i' {
            return Err(FilterError::new(
                Span::new(i, 1),
                format!("unknown regex flag '{f}' (only 'i', ignore case, is supported)"),
            ));
        }
        ci = true;
        i += 1;
    }
    Ok((Tok::Regex { pattern, ci }, i))
}
