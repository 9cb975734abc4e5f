//! Evaluation of a compiled [`Filter`]: one row ([`Filter::matches`]) or all
//! rows in parallel ([`Filter::select`]).
//!
//! A compiled predicate holds column indices and pre-parsed literals only, so a
//! row costs a few loads and compares: text and IP conditions are a lookup of the
//! row's dictionary code in a precomputed table, integer and time conditions an
//! inclusive range check. This module owns [`Filter`] and [`EvalContext`]; it
//! parses nothing and never allocates per row (except `~` on a number or time,
//! which formats the cell).

use super::FilterError;
use super::ast::{CmpOp, Span};
use super::literal::Matcher;
use crate::dataset::{ColumnData, Dataset, Derived, MISSING_TIME, MISSING_U64, format_number};
use rayon::prelude::*;

/// What the detector knows about the rows, for `anomaly` and `score`.
/// Both are indexed by row; a row past the end counts as not flagged / no score.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalContext<'a> {
    pub flagged: Option<&'a [bool]>,
    /// Anomaly scores; `NaN` is "no score".
    pub scores: Option<&'a [f64]>,
}

impl<'a> EvalContext<'a> {
    /// No detection results: `anomaly` and every `score` condition are false.
    pub const NONE: EvalContext<'static> = EvalContext {
        flagged: None,
        scores: None,
    };

    pub fn new(flagged: Option<&'a [bool]>, scores: Option<&'a [f64]>) -> Self {
        EvalContext { flagged, scores }
    }
}

/// A test on an integer column (`u64` byte counts, `i64` times); the column's
/// missing sentinel never passes except for [`IntTest::Missing`].
#[derive(Debug, Clone)]
pub(crate) enum IntTest<T> {
    /// Inclusive bounds, both excluding the sentinel.
    Range(T, T),
    Ne(T),
    /// Sorted.
    In(Vec<T>),
    /// Sorted; present and not listed.
    NotIn(Vec<T>),
    Present,
    Missing,
}

impl<T: Copy + Ord> IntTest<T> {
    #[inline]
    fn check(&self, v: T, missing: T) -> bool {
        match self {
            IntTest::Range(lo, hi) => v >= *lo && v <= *hi,
            IntTest::Ne(x) => v != *x && v != missing,
            IntTest::In(xs) => xs.binary_search(&v).is_ok(),
            IntTest::NotIn(xs) => v != missing && xs.binary_search(&v).is_err(),
            IntTest::Present => v != missing,
            IntTest::Missing => v == missing,
        }
    }
}

/// A test on a floating-point value (`None` is missing).
#[derive(Debug, Clone)]
pub(crate) enum FloatTest {
    Cmp(CmpOp, f64),
    In(Vec<f64>),
    NotIn(Vec<f64>),
    Present,
    Missing,
}

impl FloatTest {
    #[inline]
    fn check(&self, v: Option<f64>) -> bool {
        match (self, v) {
            (FloatTest::Missing, v) => v.is_none(),
            (_, None) => false,
            (FloatTest::Cmp(op, x), Some(v)) => v.partial_cmp(x).is_some_and(|o| op.holds(o)),
            (FloatTest::In(xs), Some(v)) => xs.contains(&v),
            (FloatTest::NotIn(xs), Some(v)) => !xs.contains(&v),
            (FloatTest::Present, Some(_)) => true,
        }
    }
}

/// Where `~` on a non-dictionary field reads its text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TextSource {
    Column(usize),
    Derived(Derived),
    Score,
}

/// A compiled predicate.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    Const(bool),
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Anomaly,
    /// A dictionary column (text or IP): does the row's code pass?
    Codes {
        col: usize,
        pass: Vec<bool>,
    },
    UInt {
        col: usize,
        test: IntTest<u64>,
    },
    Time {
        col: usize,
        test: IntTest<i64>,
    },
    Float {
        col: usize,
        test: FloatTest,
    },
    Derived {
        feature: Derived,
        test: FloatTest,
    },
    Score {
        test: FloatTest,
    },
    /// `~` / `!~` on the displayed text of a number or time.
    Text {
        src: TextSource,
        matcher: Matcher,
        negated: bool,
    },
}

impl Pred {
    fn eval(&self, ds: &Dataset, row: usize, ctx: &EvalContext<'_>) -> bool {
        match self {
            Pred::Const(b) => *b,
            Pred::And(items) => items.iter().all(|p| p.eval(ds, row, ctx)),
            Pred::Or(items) => items.iter().any(|p| p.eval(ds, row, ctx)),
            Pred::Not(p) => !p.eval(ds, row, ctx),
            Pred::Anomaly => ctx
                .flagged
                .and_then(|f| f.get(row))
                .copied()
                .unwrap_or(false),
            Pred::Codes { col, pass } => {
                let code = match ds.columns.get(*col).map(|c| &c.data) {
                    Some(ColumnData::Text(d)) => d.codes.get(row),
                    Some(ColumnData::Ip(d)) => d.codes.get(row),
                    _ => None,
                };
                code.and_then(|c| pass.get(c as usize))
                    .copied()
                    .unwrap_or(false)
            }
            Pred::UInt { col, test } => match ds.columns.get(*col).map(|c| &c.data) {
                Some(ColumnData::UInt(v)) => v.get(row).is_some_and(|x| test.check(x, MISSING_U64)),
                _ => false,
            },
            Pred::Time { col, test } => match ds.columns.get(*col).map(|c| &c.data) {
                Some(ColumnData::Time(v)) => {
                    v.get(row).is_some_and(|x| test.check(x, MISSING_TIME))
                }
                _ => false,
            },
            Pred::Float { col, test } => match ds.columns.get(*col).map(|c| &c.data) {
                Some(ColumnData::Float(v)) => v
                    .get(row)
                    .is_some_and(|x| test.check(Some(x).filter(|x| !x.is_nan()))),
                _ => false,
            },
            Pred::Derived { feature, test } => test.check(feature.value(ds, row)),
            Pred::Score { test } => match ctx.scores {
                Some(s) => test.check(s.get(row).copied().filter(|x| !x.is_nan())),
                None => false,
            },
            Pred::Text {
                src,
                matcher,
                negated,
            } => {
                let text = match src {
                    TextSource::Column(c) => ds.cell_text(row, *c).into_owned(),
                    TextSource::Derived(d) => {
                        d.value(ds, row).map(format_number).unwrap_or_default()
                    }
                    TextSource::Score => ctx
                        .scores
                        .and_then(|s| s.get(row))
                        .filter(|x| !x.is_nan())
                        .map(|x| format_number(*x))
                        .unwrap_or_default(),
                };
                !text.is_empty() && matcher.is_match(&text) != *negated
            }
        }
    }
}

/// A compiled filter, ready to evaluate against the dataset it was compiled for.
#[derive(Debug, Clone)]
pub struct Filter {
    pred: Pred,
    /// The canonical text (or the input, when built from text).
    source: String,
    canonical: String,
    anomaly_at: Option<Span>,
    score_at: Option<Span>,
}

impl Filter {
    pub(crate) fn from_parts(
        pred: Pred,
        canonical: String,
        anomaly_at: Option<Span>,
        score_at: Option<Span>,
    ) -> Self {
        Filter {
            pred,
            source: canonical.clone(),
            canonical,
            anomaly_at,
            score_at,
        }
    }

    pub(crate) fn set_source(&mut self, input: &str) {
        self.source = input.to_string();
    }

    /// Whether `row` passes. Rows out of range never pass.
    pub fn matches(&self, ds: &Dataset, row: usize, ctx: &EvalContext<'_>) -> bool {
        row < ds.rows && self.pred.eval(ds, row, ctx)
    }

    /// The indices of the passing rows, ascending. Evaluated in parallel over
    /// chunks of rows; datasets are limited to `u32` row indices.
    pub fn select(&self, ds: &Dataset, ctx: &EvalContext<'_>) -> Vec<u32> {
        const CHUNK: usize = 1 << 15;
        let n = ds.rows.min(u32::MAX as usize);
        let parts: Vec<Vec<u32>> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let start = c * CHUNK;
                let end = (start + CHUNK).min(n);
                (start..end)
                    .filter(|&r| self.pred.eval(ds, r, ctx))
                    .map(|r| r as u32)
                    .collect()
            })
            .collect();
        let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for p in parts {
            out.extend_from_slice(&p);
        }
        out
    }

    /// The text the filter was built from (the canonical form if compiled from an [`Ast`](super::Ast)).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The canonical form, for a header line: `src_ip in 155.91.45.0/24 and not anomaly`.
    pub fn describe(&self) -> &str {
        &self.canonical
    }

    /// Whether the filter reads detection results (`anomaly` or `score`).
    pub fn needs_detection(&self) -> bool {
        self.anomaly_at.is_some() || self.score_at.is_some()
    }

    /// An error pointing at `anomaly` or `score` when `ctx` lacks what they need
    /// (otherwise they evaluate to false).
    pub fn check_context(&self, ctx: &EvalContext<'_>) -> Result<(), FilterError> {
        if let (Some(span), None) = (self.anomaly_at, ctx.flagged) {
            return Err(FilterError::new(
                span,
                "'anomaly' needs detection results, and there are none yet",
            ));
        }
        if let (Some(span), None) = (self.score_at, ctx.scores) {
            return Err(FilterError::new(
                span,
                "'score' needs detection results, and there are none yet",
            ));
        }
        Ok(())
    }
}
