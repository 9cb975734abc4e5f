//! Compilation of a filter [`Ast`] against a [`Dataset`]: field names become
//! column indices or derived features, literals are parsed once, and every
//! condition on a dictionary column (text, IP) becomes a table of passing codes.
//!
//! All type rules live here (what `<` means for text, what a CIDR block means
//! for an IP, how missing values behave); mistakes become [`FilterError`]s on the
//! span of the field or value at fault, with a suggestion for misspelt names.
//! Nothing here runs per row.

use super::eval::{FloatTest, IntTest, Pred, TextSource};
use super::literal::{self, Matcher};
use super::parser::{Ast, CmpOp, Field, Pattern, Span, Value};
use super::{Filter, FilterError, MAX_DEPTH, quote_field};
use crate::dataset::schema::normalise;
use crate::dataset::{ColumnData, Dataset, Derived, Dict, MISSING_TIME, Role};
use ipnet::IpNet;
use std::net::IpAddr;

/// Compiles a parsed filter for `ds`. The result must be evaluated on `ds`
/// (or a dataset with the same columns).
pub fn compile(ast: &Ast, ds: &Dataset) -> Result<Filter, FilterError> {
    let mut c = Compiler {
        ds,
        anomaly_at: None,
        score_at: None,
    };
    let pred = c.node(ast, 0)?;
    Ok(Filter::from_parts(
        pred,
        ast.to_string(),
        c.anomaly_at,
        c.score_at,
    ))
}

/// What a field name resolved to.
#[derive(Debug, Clone, Copy)]
enum Target {
    Column(usize),
    Derived(Derived),
    Score,
}

struct Compiler<'a> {
    ds: &'a Dataset,
    anomaly_at: Option<Span>,
    score_at: Option<Span>,
}

/// `""` written as a value: asks for missing (`=`) or present (`!=`) cells.
fn is_empty(v: &Value) -> bool {
    v.quoted && v.text.is_empty()
}

impl Compiler<'_> {
    fn node(&mut self, ast: &Ast, depth: usize) -> Result<Pred, FilterError> {
        if depth > 4 * MAX_DEPTH {
            return Err(FilterError::new(
                Span::default(),
                "the filter is too deeply nested",
            ));
        }
        Ok(match ast {
            Ast::Or(items) => Pred::Or(self.nodes(items, depth)?),
            Ast::And(items) => Pred::And(self.nodes(items, depth)?),
            Ast::Not(inner) => Pred::Not(Box::new(self.node(inner, depth + 1)?)),
            Ast::Anomaly(span) => {
                self.anomaly_at.get_or_insert(*span);
                Pred::Anomaly
            }
            Ast::Compare { field, op, value } => {
                let t = self.resolve(field)?;
                self.compare(t, *op, value)?
            }
            Ast::In {
                field,
                negated,
                values,
            } => {
                let t = self.resolve(field)?;
                self.in_list(t, *negated, values)?
            }
            Ast::Match {
                field,
                negated,
                pattern,
            } => {
                let t = self.resolve(field)?;
                self.matching(t, *negated, pattern)?
            }
        })
    }

    fn nodes(&mut self, items: &[Ast], depth: usize) -> Result<Vec<Pred>, FilterError> {
        items.iter().map(|a| self.node(a, depth + 1)).collect()
    }

    // ---- names -------------------------------------------------------------

    fn resolve(&mut self, f: &Field) -> Result<Target, FilterError> {
        let ds = self.ds;
        if !f.quoted {
            let alias = match f.name.to_ascii_lowercase().as_str() {
                "score" => {
                    self.score_at.get_or_insert(f.span);
                    return Ok(Target::Score);
                }
                "time" => [Role::Start, Role::Time, Role::End]
                    .into_iter()
                    .find_map(|r| ds.role_index(r)),
                "country" => ds.role_index(Role::Country),
                "port" => ds.role_index(Role::DstPort),
                _ => None,
            };
            if let Some(i) = alias {
                return Ok(Target::Column(i));
            }
        }
        if let Some(i) = ds.column_index(&f.name) {
            return Ok(Target::Column(i));
        }
        if !f.quoted {
            if let Some(d) = Derived::from_name(&f.name) {
                if d.available(ds) {
                    return Ok(Target::Derived(d));
                }
                return Err(FilterError::new(
                    f.span,
                    format!(
                        "'{}' cannot be computed: this file lacks the columns it needs",
                        d.name()
                    ),
                ));
            }
        }
        let n = normalise(&f.name);
        if let Some(i) = ds.columns.iter().position(|c| normalise(&c.name) == n) {
            return Ok(Target::Column(i));
        }
        if let Some(i) = Role::from_header(&f.name).and_then(|r| ds.role_index(r)) {
            return Ok(Target::Column(i));
        }
        let hint = self
            .suggest(&f.name)
            .map(|s| format!(" (did you mean {s}?)"))
            .unwrap_or_default();
        Err(FilterError::new(
            f.span,
            format!("unknown column '{}'{hint}", f.name),
        ))
    }

    /// The closest known name, if it is close enough to be a typo.
    fn suggest(&self, name: &str) -> Option<String> {
        const LONGEST: usize = 64;
        let name = name.to_lowercase();
        let len = name.chars().count();
        if len > LONGEST {
            return None;
        }
        let mut names: Vec<(String, String)> = self
            .ds
            .columns
            .iter()
            .filter(|c| c.name.chars().count() <= LONGEST)
            .map(|c| (c.name.to_lowercase(), quote_field(&c.name)))
            .collect();
        names.extend(
            Derived::ALL
                .into_iter()
                .filter(|d| d.available(self.ds))
                .map(|d| (d.name().to_string(), d.name().to_string())),
        );
        for (alias, present) in [
            ("time", self.ds.time_column().is_some()),
            ("country", self.ds.role(Role::Country).is_some()),
            ("port", self.ds.role(Role::DstPort).is_some()),
        ] {
            if present {
                names.push((alias.to_string(), alias.to_string()));
            }
        }
        names.push(("score".into(), "score".into()));
        let limit = (len / 3).clamp(1, 2);
        names
            .into_iter()
            .map(|(key, shown)| (levenshtein(&name, &key), shown))
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, _)| *d)
            .map(|(_, shown)| shown)
    }

    /// "bytes_in holds whole numbers", for messages about a value.
    fn what(&self, t: Target) -> String {
        match t {
            Target::Score => "score is a number".into(),
            Target::Derived(d) => format!("{} is a number", d.name()),
            Target::Column(i) => match self.ds.columns.get(i) {
                Some(c) => {
                    let kind = match c.data {
                        ColumnData::UInt(_) => "whole numbers",
                        ColumnData::Float(_) => "numbers",
                        ColumnData::Time(_) => "times",
                        ColumnData::Ip(_) => "IP addresses",
                        ColumnData::Text(_) => "text",
                    };
                    format!("{} holds {kind}", c.name)
                }
                None => "no such column".into(),
            },
        }
    }

    fn data(&self, i: usize) -> Option<&ColumnData> {
        self.ds.columns.get(i).map(|c| &c.data)
    }

    // ---- missing / present -------------------------------------------------

    /// A predicate for "the cell is missing" (`want_missing`) or "present".
    fn missing(&self, t: Target, want_missing: bool) -> Pred {
        let float = if want_missing {
            FloatTest::Missing
        } else {
            FloatTest::Present
        };
        match t {
            Target::Score => Pred::Score { test: float },
            Target::Derived(feature) => Pred::Derived {
                feature,
                test: float,
            },
            Target::Column(col) => {
                fn int<T>(want_missing: bool) -> IntTest<T> {
                    if want_missing {
                        IntTest::Missing
                    } else {
                        IntTest::Present
                    }
                }
                match self.data(col) {
                    Some(ColumnData::UInt(_)) => Pred::UInt {
                        col,
                        test: int(want_missing),
                    },
                    Some(ColumnData::Time(_)) => Pred::Time {
                        col,
                        test: int(want_missing),
                    },
                    Some(ColumnData::Float(_)) => Pred::Float { col, test: float },
                    Some(ColumnData::Ip(d)) => Pred::Codes {
                        col,
                        pass: ip_pass(d, want_missing, |_| !want_missing),
                    },
                    Some(ColumnData::Text(d)) => Pred::Codes {
                        col,
                        pass: text_pass(d, want_missing, |_| !want_missing),
                    },
                    None => Pred::Const(false),
                }
            }
        }
    }

    fn cidr_misused(&self, t: Target, v: &Value) -> Option<FilterError> {
        (literal::looks_like_cidr(v) && literal::cidr(&v.text).is_some()).then(|| {
            FilterError::new(
                v.span,
                format!("'{}' is a CIDR block, but {}", v.text, self.what(t)),
            )
        })
    }

    fn number(&self, t: Target, v: &Value) -> Result<f64, FilterError> {
        if let Some(e) = self.cidr_misused(t, v) {
            return Err(e);
        }
        literal::number_or_err(v, &self.what(t))
    }

    fn time(&self, t: Target, v: &Value) -> Result<i64, FilterError> {
        if let Some(e) = self.cidr_misused(t, v) {
            return Err(e);
        }
        literal::time(v)
    }

    // ---- FIELD op VALUE ----------------------------------------------------

    fn compare(&mut self, t: Target, op: CmpOp, v: &Value) -> Result<Pred, FilterError> {
        if is_empty(v) {
            return match op {
                CmpOp::Eq => Ok(self.missing(t, true)),
                CmpOp::Ne => Ok(self.missing(t, false)),
                _ => Err(FilterError::new(
                    v.span,
                    format!(
                        "\"\" only works with = (missing) and != (present), not with '{}'",
                        op.symbol()
                    ),
                )),
            };
        }
        let col = match t {
            Target::Score => {
                let test = FloatTest::Cmp(op, self.number(t, v)?);
                return Ok(Pred::Score { test });
            }
            Target::Derived(feature) => {
                let test = FloatTest::Cmp(op, self.number(t, v)?);
                return Ok(Pred::Derived { feature, test });
            }
            Target::Column(col) => col,
        };
        Ok(match self.data(col) {
            None => Pred::Const(false),
            Some(ColumnData::UInt(_)) => match uint_test(op, self.number(t, v)?) {
                Some(test) => Pred::UInt { col, test },
                None => Pred::Const(false),
            },
            Some(ColumnData::Float(_)) => Pred::Float {
                col,
                test: FloatTest::Cmp(op, self.number(t, v)?),
            },
            Some(ColumnData::Time(_)) => match time_test(op, self.time(t, v)?) {
                Some(test) => Pred::Time { col, test },
                None => Pred::Const(false),
            },
            Some(ColumnData::Ip(d)) => {
                let pass = if v.text.contains('/') {
                    let net = literal::cidr_or_err(v)?;
                    match op {
                        CmpOp::Eq => ip_pass(d, false, |ip| literal::net_contains(&net, ip)),
                        CmpOp::Ne => ip_pass(d, false, |ip| !literal::net_contains(&net, ip)),
                        _ => {
                            return Err(FilterError::new(
                                v.span,
                                format!(
                                    "'{}' is a CIDR block: use 'in' to match it (order needs one address)",
                                    v.text
                                ),
                            ));
                        }
                    }
                } else {
                    let lit = literal::ip(&v.text).ok_or_else(|| {
                        FilterError::new(
                            v.span,
                            format!("'{}' is not an IP address ({})", v.text, self.what(t)),
                        )
                    })?;
                    ip_pass(d, false, |ip| op.holds(ip.to_canonical().cmp(&lit)))
                };
                Pred::Codes { col, pass }
            }
            Some(ColumnData::Text(d)) => {
                let lit = v.text.to_lowercase();
                let pass = match op {
                    CmpOp::Eq => text_pass(d, false, |s| eq_ci(s, &lit)),
                    CmpOp::Ne => text_pass(d, false, |s| !eq_ci(s, &lit)),
                    _ => text_pass(d, false, |s| op.holds(s.to_lowercase().cmp(&lit))),
                };
                Pred::Codes { col, pass }
            }
        })
    }

    // ---- FIELD [not] in (…) ------------------------------------------------

    fn in_list(&mut self, t: Target, negated: bool, values: &[Value]) -> Result<Pred, FilterError> {
        let with_missing = values.iter().any(is_empty);
        let values: Vec<&Value> = values.iter().filter(|v| !is_empty(v)).collect();
        let listed = self.listed(t, negated, &values)?;
        Ok(if with_missing && !negated {
            Pred::Or(vec![listed, self.missing(t, true)])
        } else {
            listed
        })
    }

    /// Present cells that are (or, `negated`, are not) among `values`.
    fn listed(&mut self, t: Target, negated: bool, values: &[&Value]) -> Result<Pred, FilterError> {
        if values.is_empty() {
            return Ok(if negated {
                self.missing(t, false)
            } else {
                Pred::Const(false)
            });
        }
        let floats = |c: &Self| -> Result<FloatTest, FilterError> {
            let xs = values
                .iter()
                .map(|v| c.number(t, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if negated {
                FloatTest::NotIn(xs)
            } else {
                FloatTest::In(xs)
            })
        };
        let col = match t {
            Target::Score => {
                return Ok(Pred::Score {
                    test: floats(self)?,
                });
            }
            Target::Derived(feature) => {
                return Ok(Pred::Derived {
                    feature,
                    test: floats(self)?,
                });
            }
            Target::Column(col) => col,
        };
        Ok(match self.data(col) {
            None => Pred::Const(false),
            Some(ColumnData::Float(_)) => Pred::Float {
                col,
                test: floats(self)?,
            },
            Some(ColumnData::UInt(_)) => {
                let mut xs = Vec::new();
                for v in values {
                    let x = self.number(t, v)?;
                    if let Some(IntTest::Range(a, _)) = uint_test(CmpOp::Eq, x) {
                        xs.push(a);
                    }
                }
                xs.sort_unstable();
                xs.dedup();
                let test = if negated {
                    IntTest::NotIn(xs)
                } else {
                    IntTest::In(xs)
                };
                Pred::UInt { col, test }
            }
            Some(ColumnData::Time(_)) => {
                let mut xs = values
                    .iter()
                    .map(|v| self.time(t, v))
                    .collect::<Result<Vec<_>, _>>()?;
                xs.sort_unstable();
                xs.dedup();
                let test = if negated {
                    IntTest::NotIn(xs)
                } else {
                    IntTest::In(xs)
                };
                Pred::Time { col, test }
            }
            Some(ColumnData::Ip(d)) => {
                let mut nets: Vec<IpNet> = Vec::new();
                let mut ips: Vec<IpAddr> = Vec::new();
                for v in values {
                    if v.text.contains('/') {
                        nets.push(literal::cidr_or_err(v)?);
                    } else {
                        ips.push(literal::ip(&v.text).ok_or_else(|| {
                            FilterError::new(
                                v.span,
                                format!(
                                    "'{}' is not an IP address or CIDR block ({})",
                                    v.text,
                                    self.what(t)
                                ),
                            )
                        })?);
                    }
                }
                let pass = ip_pass(d, false, |ip| {
                    let ip = ip.to_canonical();
                    let hit = ips.contains(&ip) || nets.iter().any(|n| n.contains(&ip));
                    hit != negated
                });
                Pred::Codes { col, pass }
            }
            Some(ColumnData::Text(d)) => {
                let mut nets: Vec<IpNet> = Vec::new();
                let mut words: Vec<String> = Vec::new();
                for v in values {
                    match literal::cidr(&v.text).filter(|_| literal::looks_like_cidr(v)) {
                        Some(n) => nets.push(n),
                        None => words.push(v.text.to_lowercase()),
                    }
                }
                let pass = text_pass(d, false, |s| {
                    let hit = words.iter().any(|w| eq_ci(s, w))
                        || (!nets.is_empty()
                            && literal::ip(s)
                                .is_some_and(|ip| nets.iter().any(|n| n.contains(&ip))));
                    hit != negated
                });
                Pred::Codes { col, pass }
            }
        })
    }

    // ---- FIELD ~ pattern ---------------------------------------------------

    fn matching(&mut self, t: Target, negated: bool, p: &Pattern) -> Result<Pred, FilterError> {
        let m = match p {
            Pattern::Text(v) => Matcher::substring(&v.text),
            Pattern::Regex {
                pattern,
                case_insensitive,
                span,
            } => Matcher::regex(pattern, *case_insensitive, *span)?,
        };
        let text = |src| Pred::Text {
            src,
            matcher: m.clone(),
            negated,
        };
        Ok(match t {
            Target::Score => text(TextSource::Score),
            Target::Derived(d) => text(TextSource::Derived(d)),
            Target::Column(col) => match self.data(col) {
                Some(ColumnData::Text(d)) => Pred::Codes {
                    col,
                    pass: text_pass(d, false, |s| m.is_match(s) != negated),
                },
                Some(ColumnData::Ip(d)) => Pred::Codes {
                    col,
                    pass: ip_pass(d, false, |ip| m.is_match(&ip.to_string()) != negated),
                },
                Some(_) => text(TextSource::Column(col)),
                None => Pred::Const(false),
            },
        })
    }
}

/// Passing codes of a text dictionary: `f` on present values, `missing` for "".
fn text_pass(d: &Dict<Box<str>>, missing: bool, f: impl Fn(&str) -> bool) -> Vec<bool> {
    d.values
        .iter()
        .map(|s| if s.is_empty() { missing } else { f(s) })
        .collect()
}

/// Passing codes of an IP dictionary: `f` on present addresses, `missing` for none.
fn ip_pass(d: &Dict<Option<IpAddr>>, missing: bool, f: impl Fn(&IpAddr) -> bool) -> Vec<bool> {
    d.values
        .iter()
        .map(|ip| ip.as_ref().map_or(missing, &f))
        .collect()
}

/// `s` equals the lower-cased `lower`, ignoring case.
fn eq_ci(s: &str, lower: &str) -> bool {
    if s.is_ascii() && lower.is_ascii() {
        s.eq_ignore_ascii_case(lower)
    } else {
        s.to_lowercase() == lower
    }
}

/// 2^64 as f64: the first value no `u64` reaches.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;
/// The largest byte count a cell can hold (`u64::MAX` is the missing marker).
const MAX_U64: u64 = u64::MAX - 1;

/// `cell op x` for whole-number cells as an inclusive range; `None` when no
/// cell can pass.
fn uint_test(op: CmpOp, x: f64) -> Option<IntTest<u64>> {
    let exact = ((0.0..TWO_64).contains(&x) && x.fract() == 0.0).then_some(x as u64);
    let range = |lo: u64, hi: u64| (lo <= hi).then_some(IntTest::Range(lo, hi.min(MAX_U64)));
    match op {
        CmpOp::Eq => exact.and_then(|v| range(v, v)),
        CmpOp::Ne => Some(exact.map_or(IntTest::Present, IntTest::Ne)),
        CmpOp::Lt if x <= 0.0 => None,
        CmpOp::Lt if x >= TWO_64 => range(0, MAX_U64),
        CmpOp::Lt => range(0, (x.ceil() as u64).saturating_sub(1)),
        CmpOp::Le if x < 0.0 => None,
        CmpOp::Le if x >= TWO_64 => range(0, MAX_U64),
        CmpOp::Le => range(0, x.floor() as u64),
        CmpOp::Gt if x < 0.0 => range(0, MAX_U64),
        CmpOp::Gt if x >= TWO_64 => None,
        CmpOp::Gt => range((x.floor() as u64).saturating_add(1), MAX_U64),
        CmpOp::Ge if x <= 0.0 => range(0, MAX_U64),
        CmpOp::Ge if x >= TWO_64 => None,
        CmpOp::Ge => range(x.ceil() as u64, MAX_U64),
    }
}

/// `cell op t` for time cells as an inclusive range; `None` when no cell can pass.
fn time_test(op: CmpOp, t: i64) -> Option<IntTest<i64>> {
    const MIN: i64 = MISSING_TIME + 1;
    let range = |lo: i64, hi: i64| (lo <= hi).then_some(IntTest::Range(lo.max(MIN), hi));
    match op {
        CmpOp::Eq => range(t, t),
        CmpOp::Ne => Some(IntTest::Ne(t)),
        CmpOp::Lt => range(MIN, t.checked_sub(1)?),
        CmpOp::Le => range(MIN, t),
        CmpOp::Gt => range(t.checked_add(1)?, i64::MAX),
        CmpOp::Ge => range(t, i64::MAX),
    }
}

/// Edit distance between two short strings (by characters).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ranges_are_exact() {
        assert!(matches!(
            uint_test(CmpOp::Gt, 100.5),
            Some(IntTest::Range(101, MAX_U64))
        ));
        assert!(matches!(
            uint_test(CmpOp::Ge, 100.5),
            Some(IntTest::Range(101, MAX_U64))
        ));
        assert!(matches!(
            uint_test(CmpOp::Lt, 100.5),
            Some(IntTest::Range(0, 100))
        ));
        assert!(matches!(
            uint_test(CmpOp::Lt, 100.0),
            Some(IntTest::Range(0, 99))
        ));
        assert!(matches!(
            uint_test(CmpOp::Le, 100.0),
            Some(IntTest::Range(0, 100))
        ));
        assert!(uint_test(CmpOp::Lt, 0.0).is_none());
        assert!(uint_test(CmpOp::Eq, 1.5).is_none());
        assert!(matches!(uint_test(CmpOp::Ne, 1.5), Some(IntTest::Present)));
        assert!(uint_test(CmpOp::Gt, 1e30).is_none());
        assert!(matches!(
            uint_test(CmpOp::Gt, -3.0),
            Some(IntTest::Range(0, MAX_U64))
        ));
        assert!(time_test(CmpOp::Lt, MISSING_TIME + 1).is_none());
        assert!(time_test(CmpOp::Gt, i64::MAX).is_none());
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("bytes_inn", "bytes_in"), 1);
        assert_eq!(levenshtein("contry", "country"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
