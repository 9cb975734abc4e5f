//! View queries: what the local summary computes, as one SQL query each, for an engine to run.
//!
//! Owns the query text and the reading of its one result row into the same [`Stats`] the local
//! summary gives: count, mean, sample std, min, exact linear-interpolated quartiles (DuckDB's
//! `quantile_cont`, Spark's `percentile`, both pandas' definition), max, bias-corrected skewness and
//! excess kurtosis (from the central moments the query sums, through
//! [`shape_from_moments`], the one home of those formulas). Trino has no exact quantile, so it is
//! refused here rather than answered approximately. Runs nothing; names are quoted by [`Dialect`].

use super::{Dialect, SqlError};
use crate::analysis::stats::{Stats, shape_from_moments};

/// The columns of [`summary_select`]'s one row, in order.
pub const SUMMARY_COLUMNS: [&str; 11] = [
    "n", "missing", "mean", "min", "q1", "median", "q3", "max", "m2", "m3", "m4",
];

/// One query returning the statistics of `column` of `relation` (a name, quoted here) as one
/// row of [`SUMMARY_COLUMNS`]; values that are not numbers count as missing.
pub fn summary_select(d: Dialect, relation: &str, column: &str) -> Result<String, SqlError> {
    summary_select_expr(
        d,
        relation,
        &format!("TRY_CAST({} AS DOUBLE)", d.ident(column)?),
    )
}

/// [`summary_select`] of a numeric SQL expression over `relation`'s columns: `expr` is SQL that
/// this crate built (a derived feature from `score::feature_value`), never user text.
pub fn summary_select_expr(d: Dialect, relation: &str, expr: &str) -> Result<String, SqlError> {
    let quantile = |p: &str| match d {
        Dialect::DuckDb => Ok(format!("quantile_cont(x, {p})")),
        Dialect::Spark => Ok(format!("percentile(x, {p})")),
        Dialect::Trino => Err(SqlError::Unsupported(
            "exact quartiles (Trino has only approx_percentile)",
        )),
    };
    let rel = d.ident(relation)?;
    Ok(format!(
        "WITH v AS (SELECT {expr} AS x FROM {rel}),\n\
         a AS (SELECT COUNT(x) AS n, COUNT(*) - COUNT(x) AS missing, AVG(x) AS mean, MIN(x) AS lo, \
         {q1} AS q1, {q2} AS q2, {q3} AS q3, MAX(x) AS hi FROM v)\n\
         SELECT a.n, a.missing, a.mean, a.lo, a.q1, a.q2, a.q3, a.hi, \
         SUM(POWER(v.x - a.mean, 2)), SUM(POWER(v.x - a.mean, 3)), SUM(POWER(v.x - a.mean, 4))\n\
         FROM a LEFT JOIN v ON v.x IS NOT NULL\n\
         GROUP BY a.n, a.missing, a.mean, a.lo, a.q1, a.q2, a.q3, a.hi\n",
        q1 = quantile("0.25e0")?,
        q2 = quantile("0.5e0")?,
        q3 = quantile("0.75e0")?,
    ))
}

/// One query returning, for every pair `i <= j` of `exprs` (numeric SQL this crate built, over
/// `relation`'s columns) in row-major order, the three centred sums Pearson's r is made of, over
/// the rows where both values are present: `Σ(x_i − m_i)(x_j − m_j)`, `Σ(x_i − m_i)²`,
/// `Σ(x_j − m_j)²`, with `m_i`, `m_j` the means over those same rows. Two passes, as the local
/// matrix sums them, so [`correlation_from_row`] gives the local values.
pub fn correlation_select(
    d: Dialect,
    relation: &str,
    exprs: &[String],
) -> Result<String, SqlError> {
    let rel = d.ident(relation)?;
    let k = exprs.len();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
    let cols: Vec<String> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{e} AS x{i}"))
        .collect();
    // x_i where x_j is present too (and the reverse): the pair's rows.
    let both = |a: usize, b: usize| format!("CASE WHEN x{b} IS NOT NULL THEN x{a} END");
    let means: Vec<String> = pairs
        .iter()
        .map(|&(i, j)| {
            format!(
                "AVG({}) AS a{i}_{j}, AVG({}) AS b{i}_{j}",
                both(i, j),
                both(j, i)
            )
        })
        .collect();
    let sums: Vec<String> = pairs
        .iter()
        .map(|&(i, j)| {
            let (da, db) = (
                format!("({} - m.a{i}_{j})", both(i, j)),
                format!("({} - m.b{i}_{j})", both(j, i)),
            );
            format!("SUM({da} * {db}), SUM({da} * {da}), SUM({db} * {db})")
        })
        .collect();
    if pairs.is_empty() {
        return Err(SqlError::Unsupported("a correlation of no columns"));
    }
    Ok(format!(
        "WITH v AS (SELECT {} FROM {rel}),\n\
         m AS (SELECT {} FROM v)\n\
         SELECT {} FROM v CROSS JOIN m",
        cols.join(", "),
        means.join(", "),
        sums.join(", ")
    ))
}

/// The correlation matrix (`k × k`) from [`correlation_select`]'s row: `None` where a series is
/// constant over the pair's rows or has fewer than two of them, as locally.
pub fn correlation_from_row(k: usize, row: &[Option<f64>]) -> Vec<Vec<Option<f64>>> {
    let mut m = vec![vec![None; k]; k];
    let pairs = (0..k).flat_map(|i| (i..k).map(move |j| (i, j)));
    for ((i, j), sums) in pairs.zip(row.chunks(3)) {
        let r = match sums {
            [Some(sab), Some(saa), Some(sbb)] => {
                crate::analysis::stats::pearson_from(*sab, *saa, *sbb)
            }
            _ => None,
        };
        for (a, b) in [(i, j), (j, i)] {
            if let Some(cell) = m.get_mut(a).and_then(|row| row.get_mut(b)) {
                *cell = r;
            }
        }
    }
    m
}

/// The statistics from [`summary_select`]'s row (`None` for SQL NULL). The mode is not computed
/// by the engine and stays `None`.
pub fn stats_from_row(row: &[Option<f64>; 11]) -> Stats {
    let [n, missing, mean, min, q1, median, q3, max, m2, m3, m4] = *row;
    let n = n.unwrap_or(0.0) as usize;
    let constant = min == max;
    let (std, skewness, kurtosis) = match (m2, m3, m4) {
        (Some(m2), Some(m3), Some(m4)) => shape_from_moments(n, m2, m3, m4, constant),
        _ => (None, None, None),
    };
    let finite = |x: Option<f64>| x.filter(|x| x.is_finite());
    Stats {
        count: n,
        mean: finite(mean),
        std: finite(std),
        min,
        q1,
        median,
        q3,
        max,
        range: finite(min.zip(max).map(|(a, b)| b - a)),
        mode: None,
        skewness: finite(skewness),
        kurtosis: finite(kurtosis),
        missing: missing.unwrap_or(0.0) as usize,
    }
}

/// What a ranking is ordered by (descending; ties by key ascending, as locally).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankOrder {
    Sessions,
    BytesIn,
    BytesOut,
}

/// Columns of one [`ranking_select`] row, in order.
pub const RANKING_COLUMNS: [&str; 8] = [
    "key",
    "sessions",
    "bytes_in_sum",
    "bytes_in_count",
    "bytes_in_max",
    "bytes_out_sum",
    "bytes_out_count",
    "bytes_out_max",
];

/// The top `limit` groups of `key` (missing keys as the empty string, as locally) with sessions
/// and the sums, counts and maxima of the two byte columns: `GROUP BY … ORDER BY … LIMIT`.
pub fn ranking_select(
    d: Dialect,
    relation: &str,
    key: &str,
    bytes: (Option<&str>, Option<&str>),
    order: RankOrder,
    limit: u64,
) -> Result<String, SqlError> {
    let text = match d {
        Dialect::Spark => "STRING",
        Dialect::DuckDb | Dialect::Trino => "VARCHAR",
    };
    let (rel, key) = (d.ident(relation)?, d.ident(key)?);
    let (bin, bout) = (bigint(d, bytes.0)?, bigint(d, bytes.1)?);
    let by = match order {
        RankOrder::Sessions => "sessions",
        RankOrder::BytesIn => "bytes_in_sum",
        RankOrder::BytesOut => "bytes_out_sum",
    };
    let empty = d.string("");
    let limit = d.integer(i64::try_from(limit).unwrap_or(i64::MAX));
    Ok(format!(
        "SELECT k AS key, COUNT(*) AS sessions, \
         COALESCE(SUM(bi), 0) AS bytes_in_sum, COUNT(bi) AS bytes_in_count, MAX(bi) AS bytes_in_max, \
         COALESCE(SUM(bo), 0) AS bytes_out_sum, COUNT(bo) AS bytes_out_count, MAX(bo) AS bytes_out_max\n\
         FROM (SELECT COALESCE(CAST({key} AS {text}), {empty}) AS k, {bin} AS bi, {bout} AS bo FROM {rel}) AS g\n\
         GROUP BY k ORDER BY {by} DESC, k ASC LIMIT {limit}\n"
    ))
}

/// A byte column as BIGINT (NULL when unreadable), or NULL when the table has none.
fn bigint(d: Dialect, column: Option<&str>) -> Result<String, SqlError> {
    Ok(match column {
        Some(c) => format!("TRY_CAST({} AS BIGINT)", d.ident(c)?),
        None => "CAST(NULL AS BIGINT)".to_string(),
    })
}

/// The first and last timestamp (epoch ms) of `time` in `relation`: `SELECT MIN, MAX`.
pub fn time_range_select(d: Dialect, relation: &str, time: &str) -> Result<String, SqlError> {
    let ms = super::score::millis(d, &d.ident(time)?);
    Ok(format!(
        "SELECT MIN({ms}) AS first_ms, MAX({ms}) AS last_ms FROM {}\n",
        d.ident(relation)?
    ))
}

/// Sessions and byte sums per `width_secs` bucket of `time`, buckets aligned to multiples of
/// the width since the epoch (as locally and pandas' `resample`), non-empty buckets only, in
/// time order: `bucket_ms, sessions, bytes_in, bytes_out`. Integer arithmetic only.
pub fn timeline_select(
    d: Dialect,
    relation: &str,
    time: &str,
    bytes: (Option<&str>, Option<&str>),
    width_secs: i64,
) -> Result<String, SqlError> {
    let ms = super::score::millis(d, &d.ident(time)?);
    let w = d.integer(width_secs.max(1).saturating_mul(1000));
    Ok(format!(
        "SELECT t - ((t % {w}) + {w}) % {w} AS bucket_ms, COUNT(*) AS sessions, \
         COALESCE(SUM(bi), 0) AS bytes_in, COALESCE(SUM(bo), 0) AS bytes_out\n\
         FROM (SELECT {ms} AS t, {} AS bi, {} AS bo FROM {}) AS g\n\
         WHERE t IS NOT NULL GROUP BY 1 ORDER BY 1\n",
        bigint(d, bytes.0)?,
        bigint(d, bytes.1)?,
        d.ident(relation)?
    ))
}

/// The local [`Series`](crate::analysis::timeseries::Series) from [`timeline_select`]'s rows:
/// the empty buckets between the first and the last are filled in, as locally.
pub fn series_from_rows(
    width_secs: i64,
    rows: &[(i64, u64, u128, u128)],
) -> crate::analysis::timeseries::Series {
    use crate::analysis::timeseries::{Bucket, MAX_BUCKETS, Series};
    let width_ms = width_secs.max(1).saturating_mul(1000);
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Series {
            width_secs,
            buckets: Vec::new(),
        };
    };
    let n = ((last.0 - first.0) / width_ms + 1).clamp(0, MAX_BUCKETS) as usize;
    let mut buckets: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start: first.0.saturating_add((i as i64).saturating_mul(width_ms)),
            ..Bucket::default()
        })
        .collect();
    for &(start, sessions, bytes_in, bytes_out) in rows {
        let i = ((start - first.0) / width_ms) as usize;
        if let Some(b) = buckets.get_mut(i) {
            *b = Bucket {
                start,
                sessions,
                bytes_in,
                bytes_out,
            };
        }
    }
    Series {
        width_secs,
        buckets,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod correlation_tests {
    use super::*;

    #[test]
    fn the_pairs_sums_read_back_as_a_symmetric_matrix() {
        // Pairs (0,0), (0,1), (1,1): r(0,1) = 2 / (2 · 2) = 0.5; series 1 constant in the last pair.
        let row = [
            Some(4.0),
            Some(4.0),
            Some(4.0),
            Some(2.0),
            Some(4.0),
            Some(4.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
        ];
        let m = correlation_from_row(2, &row);
        assert_eq!(m[0][0], Some(1.0));
        assert_eq!((m[0][1], m[1][0]), (Some(0.5), Some(0.5)));
        assert_eq!(m[1][1], None);
        // A short or NULL row is no correlation, never a panic.
        assert_eq!(correlation_from_row(2, &[None])[0][1], None);
    }

    #[test]
    fn the_query_quotes_the_relation_and_names_every_pair() {
        let exprs = vec!["x".to_string(), "y".to_string()];
        let sql = correlation_select(Dialect::Spark, "we`ird; --", &exprs).unwrap();
        assert!(sql.contains("FROM `we``ird; --`"), "{sql}");
        assert_eq!(sql.matches("AVG(").count(), 6);
        assert_eq!(sql.matches("SUM(").count(), 9);
        assert!(correlation_select(Dialect::Spark, "t", &[]).is_err());
    }
}
