//! The filter syntax tree: what [`parse`](super::parse) produces and
//! [`compile`](super::compile) consumes.
//!
//! Field names and literal values are kept as written, with their character
//! spans, so later steps can point at them. `and`/`or` chains are flat vectors.
//! The [`Display`](std::fmt::Display) form is the canonical text of a filter:
//! parsing it again gives the same tree. No parsing or dataset access here.

use super::quote;
use std::fmt;

/// A range of characters in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset of the first character, in characters.
    pub pos: usize,
    /// Length in characters.
    pub len: usize,
}

impl Span {
    pub fn new(pos: usize, len: usize) -> Self {
        Span { pos, len }
    }
    /// The span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        let end = (other.pos + other.len).max(self.pos + self.len);
        Span::new(self.pos, end - self.pos)
    }
}

/// A comparison operator (`==` is read as `=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    /// Whether `ord` (cell compared with literal) satisfies the operator.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// A field name as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    /// Written in backticks: a column header only, never an alias or keyword.
    pub quoted: bool,
    pub span: Span,
}

/// A literal value as written (escapes resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub text: String,
    /// Written in quotes: always text, never a CIDR block or keyword.
    pub quoted: bool,
    pub span: Span,
}

/// The right-hand side of `~`.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// Case-insensitive substring.
    Text(Value),
    Regex {
        pattern: String,
        case_insensitive: bool,
        span: Span,
    },
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Or(Vec<Ast>),
    And(Vec<Ast>),
    Not(Box<Ast>),
    /// The bare word `anomaly`.
    Anomaly(Span),
    Compare {
        field: Field,
        op: CmpOp,
        value: Value,
    },
    /// `FIELD [not] in VALUE` or `FIELD [not] in (V1, V2, …)`.
    In {
        field: Field,
        negated: bool,
        values: Vec<Value>,
    },
    /// `FIELD ~ PATTERN` or `FIELD !~ PATTERN`.
    Match {
        field: Field,
        negated: bool,
        pattern: Pattern,
    },
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "`{}`", self.name.replace('`', "``"))
        } else {
            f.write_str(&self.name)
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            f.write_str(&quote(&self.text))
        } else {
            f.write_str(&self.text)
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Text(v) => v.fmt(f),
            Pattern::Regex {
                pattern,
                case_insensitive,
                ..
            } => {
                f.write_str("/")?;
                let mut chars = pattern.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            f.write_str("\\")?;
                            if let Some(n) = chars.next() {
                                write!(f, "{n}")?;
                            }
                        }
                        '/' => f.write_str("\\/")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str(if *case_insensitive { "/i" } else { "/" })
            }
        }
    }
}

impl Ast {
    fn precedence(&self) -> u8 {
        match self {
            Ast::Or(_) => 1,
            Ast::And(_) => 2,
            _ => 3,
        }
    }
    fn fmt_in(&self, f: &mut fmt::Formatter<'_>, outer: u8) -> fmt::Result {
        if self.precedence() < outer {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

/// The canonical text: single spaces, `and`/`or`/`not` words, parentheses only
/// where precedence needs them.
impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ast::Or(items) | Ast::And(items) => {
                let (sep, prec) = if matches!(self, Ast::Or(_)) {
                    (" or ", 1)
                } else {
                    (" and ", 2)
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    item.fmt_in(f, prec + 1)?;
                }
                Ok(())
            }
            Ast::Not(inner) => {
                f.write_str("not ")?;
                inner.fmt_in(f, 3)
            }
            Ast::Anomaly(_) => f.write_str("anomaly"),
            Ast::Compare { field, op, value } => write!(f, "{field} {} {value}", op.symbol()),
            Ast::In {
                field,
                negated,
                values,
            } => {
                let not = if *negated { "not " } else { "" };
                write!(f, "{field} {not}in ")?;
                match values.as_slice() {
                    [one] => write!(f, "{one}"),
                    many => {
                        f.write_str("(")?;
                        for (i, v) in many.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            write!(f, "{v}")?;
                        }
                        f.write_str(")")
                    }
                }
            }
            Ast::Match {
                field,
                negated,
                pattern,
            } => {
                let op = if *negated { "!~" } else { "~" };
                write!(f, "{field} {op} {pattern}")
            }
        }
    }
}
