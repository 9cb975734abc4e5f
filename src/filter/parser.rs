//! The recursive-descent parser: tokens in, [`Ast`] out.
//!
//! [`parse`] checks syntax only; names and values are resolved by
//! [`compile`](super::compile). Only parentheses and `not` nest (bounded by
//! [`MAX_DEPTH`]), so no input can exhaust the stack. Every error names what was
//! expected and points at the token found instead (or at the end of the input).

use super::ast::{Ast, Field, Pattern, Span, Value};
use super::lexer::{Tok, Token, tokenize};
use super::{FilterError, MAX_DEPTH, quote};

/// Parses a filter expression.
pub fn parse(input: &str) -> Result<Ast, FilterError> {
    let tokens = tokenize(input)?;
    let end = input.chars().count();
    let mut p = Parser {
        tokens,
        i: 0,
        end,
        depth: 0,
    };
    if p.tokens.is_empty() {
        return Err(FilterError::new(
            Span::new(0, end),
            "empty filter: write a condition such as country = US",
        ));
    }
    let ast = p.or()?;
    match p.peek() {
        None => Ok(ast),
        Some(t) if t.tok == Tok::RParen => Err(FilterError::new(t.span, "unmatched ')'")),
        Some(t) if t.tok == Tok::Comma => Err(list_without_parens(t.span)),
        Some(t) => Err(FilterError::new(
            t.span,
            format!("expected 'and' or 'or' before {}", describe(&t.tok)),
        )),
    }
}

fn list_without_parens(span: Span) -> FilterError {
    FilterError::new(
        span,
        "unexpected ',': a list goes in parentheses, as in country in (US, CA)",
    )
}

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    /// Input length in characters (the span of "the end").
    end: usize,
    depth: usize,
}

fn is_kw(tok: &Tok, kw: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

/// A token for a person.
fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Op(op) => format!("'{}'", op.symbol()),
        Tok::Tilde => "'~'".into(),
        Tok::NotTilde => "'!~'".into(),
        Tok::AndAnd => "'&&'".into(),
        Tok::OrOr => "'||'".into(),
        Tok::Bang => "'!'".into(),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Str(s) => format!("the quoted text {}", quote(s)),
        Tok::Quoted(s) => format!("`{s}`"),
        Tok::Regex { .. } => "a /regex/".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.i)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.i).cloned();
        if t.is_some() {
            self.i += 1;
        }
        t
    }
    fn eof_span(&self) -> Span {
        Span::new(self.end, 0)
    }
    fn here(&self) -> Span {
        self.peek().map_or(self.eof_span(), |t| t.span)
    }
    fn deeper(&mut self, span: Span) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                span,
                format!("too deeply nested (more than {MAX_DEPTH} levels of parentheses or 'not')"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Ast, FilterError> {
        let mut items = vec![self.and()?];
        while let Some(t) = self.peek() {
            if !(t.tok == Tok::OrOr || is_kw(&t.tok, "or")) {
                break;
            }
            let op = self.next().map(|t| t.tok);
            items.push(self.operand(op)?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Ast::And(Vec::new()))
        } else {
            Ast::Or(items)
        })
    }

    fn and(&mut self) -> Result<Ast, FilterError> {
        let mut items = vec![self.unary()?];
        while let Some(t) = self.peek() {
            if !(t.tok == Tok::AndAnd || is_kw(&t.tok, "and")) {
                break;
            }
            let op = self.next().map(|t| t.tok);
            items.push(self.operand_unary(op)?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Ast::And(Vec::new()))
        } else {
            Ast::And(items)
        })
    }

    /// The right operand of `or`, with a clear message when it is missing.
    fn operand(&mut self, op: Option<Tok>) -> Result<Ast, FilterError> {
        self.require_condition(op.as_ref())?;
        self.and()
    }
    fn operand_unary(&mut self, op: Option<Tok>) -> Result<Ast, FilterError> {
        self.require_condition(op.as_ref())?;
        self.unary()
    }
    fn require_condition(&self, op: Option<&Tok>) -> Result<(), FilterError> {
        let after = op.map(describe).unwrap_or_default();
        match self.peek() {
            None => Err(FilterError::new(
                self.eof_span(),
                format!("expected a condition after {after}"),
            )),
            Some(t)
                if matches!(t.tok, Tok::AndAnd | Tok::OrOr | Tok::RParen)
                    || is_kw(&t.tok, "and")
                    || is_kw(&t.tok, "or") =>
            {
                Err(FilterError::new(
                    t.span,
                    format!(
                        "expected a condition after {after}, found {}",
                        describe(&t.tok)
                    ),
                ))
            }
            Some(_) => Ok(()),
        }
    }

    fn unary(&mut self) -> Result<Ast, FilterError> {
        let Some(t) = self.peek().cloned() else {
            return Err(FilterError::new(self.eof_span(), "expected a condition"));
        };
        if t.tok == Tok::Bang || is_kw(&t.tok, "not") {
            self.next();
            self.deeper(t.span)?;
            self.require_condition(Some(&t.tok))?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::new(self.eof_span(), "expected a condition"));
        };
        match &t.tok {
            Tok::LParen => {
                self.deeper(t.span)?;
                self.require_condition(Some(&t.tok))?;
                let inner = self.or()?;
                match self.next() {
                    Some(c) if c.tok == Tok::RParen => {}
                    None => return Err(FilterError::new(t.span, "unclosed parenthesis")),
                    Some(o) if o.tok == Tok::Comma => return Err(list_without_parens(o.span)),
                    Some(o) => {
                        return Err(FilterError::new(
                            o.span,
                            format!("expected 'and', 'or' or ')' before {}", describe(&o.tok)),
                        ));
                    }
                }
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("anomaly") => Ok(Ast::Anomaly(t.span)),
            Tok::Word(w) => {
                let field = Field {
                    name: w.clone(),
                    quoted: false,
                    span: t.span,
                };
                self.condition(field)
            }
            Tok::Quoted(w) => {
                let field = Field {
                    name: w.clone(),
                    quoted: true,
                    span: t.span,
                };
                self.condition(field)
            }
            Tok::Str(_) => Err(FilterError::new(
                t.span,
                "expected a field name, found quoted text (write a field name with spaces in backticks: `my field`)",
            )),
            other => Err(FilterError::new(
                t.span,
                format!("expected a condition, found {}", describe(other)),
            )),
        }
    }

    fn condition(&mut self, field: Field) -> Result<Ast, FilterError> {
        let Some(t) = self.next() else {
            return Err(self.missing_operator(&field, self.eof_span()));
        };
        match t.tok {
            Tok::Op(op) => {
                let value = self.value(&t)?;
                Ok(Ast::Compare { field, op, value })
            }
            Tok::Tilde | Tok::NotTilde => {
                let negated = t.tok == Tok::NotTilde;
                let pattern = match self.next() {
                    Some(Token {
                        tok: Tok::Regex { pattern, ci },
                        span,
                    }) => Pattern::Regex {
                        pattern,
                        case_insensitive: ci,
                        span,
                    },
                    Some(Token {
                        tok: Tok::Str(text),
                        span,
                    }) => Pattern::Text(Value {
                        text,
                        quoted: true,
                        span,
                    }),
                    Some(Token {
                        tok: Tok::Word(text),
                        span,
                    }) => Pattern::Text(Value {
                        text,
                        quoted: false,
                        span,
                    }),
                    other => {
                        let span = other.map_or(self.eof_span(), |o| o.span);
                        return Err(FilterError::new(
                            span,
                            format!("expected \"text\" or /regex/ after {}", describe(&t.tok)),
                        ));
                    }
                };
                Ok(Ast::Match {
                    field,
                    negated,
                    pattern,
                })
            }
            Tok::Word(ref w) if w.eq_ignore_ascii_case("in") => self.in_list(field, false, &t),
            Tok::Word(ref w) if w.eq_ignore_ascii_case("not") => match self.next() {
                Some(n) if is_kw(&n.tok, "in") => self.in_list(field, true, &n),
                other => Err(FilterError::new(
                    other.map_or(self.eof_span(), |o| o.span),
                    format!("expected 'in' after '{} not'", field.name),
                )),
            },
            _ => Err(self.missing_operator(&field, t.span)),
        }
    }

    fn missing_operator(&self, field: &Field, span: Span) -> FilterError {
        FilterError::new(
            span,
            format!(
                "expected an operator after '{}' (=, !=, <, <=, >, >=, in, ~)",
                field.name
            ),
        )
    }

    /// `in VALUE` or `in (V1, V2, …)`; `kw` is the `in` token.
    fn in_list(&mut self, field: Field, negated: bool, kw: &Token) -> Result<Ast, FilterError> {
        let open = match self.peek() {
            Some(t) if t.tok == Tok::LParen => t.span,
            _ => {
                let value = self.value(kw)?;
                return Ok(Ast::In {
                    field,
                    negated,
                    values: vec![value],
                });
            }
        };
        self.next();
        let mut values = Vec::new();
        loop {
            match self.peek() {
                None => return Err(FilterError::new(open, "unclosed parenthesis")),
                Some(t) if t.tok == Tok::RParen => {
                    let close = t.span;
                    self.next();
                    if values.is_empty() {
                        return Err(FilterError::new(
                            open.to(close),
                            "empty list after 'in': put values between the parentheses",
                        ));
                    }
                    break;
                }
                Some(_) => {}
            }
            let sep = Token {
                tok: if values.is_empty() {
                    Tok::LParen
                } else {
                    Tok::Comma
                },
                span: open,
            };
            values.push(self.value(&sep)?);
            match self.next() {
                Some(t) if t.tok == Tok::Comma => {}
                Some(t) if t.tok == Tok::RParen => break,
                None => return Err(FilterError::new(open, "unclosed parenthesis")),
                Some(t) => {
                    return Err(FilterError::new(
                        t.span,
                        format!(
                            "expected ',' or ')' in the list, found {}",
                            describe(&t.tok)
                        ),
                    ));
                }
            }
        }
        Ok(Ast::In {
            field,
            negated,
            values,
        })
    }

    /// A value after the token `after`; a date and a time of day separated by
    /// spaces are joined into one value.
    fn value(&mut self, after: &Token) -> Result<Value, FilterError> {
        let missing = |span: Span, found: &str| {
            FilterError::new(
                span,
                format!("expected a value after {}{found}", describe(&after.tok)),
            )
        };
        let Some(t) = self.peek().cloned() else {
            return Err(missing(self.here(), ""));
        };
        match t.tok {
            Tok::Str(text) => {
                self.next();
                Ok(Value {
                    text,
                    quoted: true,
                    span: t.span,
                })
            }
            Tok::Word(w)
                if ["and", "or", "not"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Err(missing(
                    t.span,
                    &format!(", found '{w}' (quote it to mean the word: \"{w}\")"),
                ))
            }
            Tok::Word(mut text) => {
                self.next();
                let mut span = t.span;
                if is_date(&text)
                    && let Some(Token {
                        tok: Tok::Word(tod),
                        span: s2,
                    }) = self.peek().cloned()
                    && is_time_of_day(&tod)
                {
                    self.next();
                    text = format!("{text} {tod}");
                    span = span.to(s2);
                }
                Ok(Value {
                    text,
                    quoted: false,
                    span,
                })
            }
            Tok::Regex { .. } => Err(FilterError::new(
                t.span,
                "a /regex/ needs '~' (write FIELD ~ /regex/)",
            )),
            other => Err(missing(t.span, &format!(", found {}", describe(&other)))),
        }
    }
}

/// `YYYY-MM-DD`
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// `H:MM…` or `HH:MM…` (seconds, fraction and offset are left to the time parser).
fn is_time_of_day(s: &str) -> bool {
    let b = s.as_bytes();
    let colon = b.iter().position(|c| *c == b':');
    matches!(colon, Some(1 | 2))
        && b.first().is_some_and(u8::is_ascii_digit)
        && b.iter().take(colon.unwrap_or(0)).all(u8::is_ascii_digit)
}
