//! Text search over a view's rows: the next row whose cells contain a needle
//! (case-insensitive, as the cells are shown) and how many rows of the view match.
//!
//! Runs on the explorer's worker, never on the UI thread: one parallel pass over the
//! rows, checking the cancel flag between blocks. Dictionary columns (text, IPs) are
//! matched once per distinct value, and a number or time column is skipped when the
//! needle holds a character its text can never contain, so most cells are never
//! formatted. Pure: it reads a dataset and returns plain values.

use super::{SourceError, check};
use crate::dataset::{ColumnData, Dataset};
use rayon::prelude::*;
use std::sync::atomic::AtomicBool;

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub needle: String,
    /// Position in the view's rows of the match to move to; `None` when nothing matches.
    pub index: Option<usize>,
    /// Which match `index` is (1-based, in view order); 0 when nothing matches.
    pub ordinal: usize,
    /// Rows of the view that match.
    pub matches: usize,
}

/// How one column is matched.
enum Matcher {
    Never,
    /// Per dictionary code: whether its value matches.
    Codes(Vec<bool>),
    /// Format the cell and look, case-insensitively.
    Format,
    /// Format the cell and look: its text has no letters that case could change (numbers).
    Plain,
}

fn dots(needle: &str) -> usize {
    needle.matches('.').count()
}

fn could_match(needle: &str, allowed: &str) -> bool {
    needle.chars().all(|c| allowed.contains(c))
}

fn matchers(ds: &Dataset, needle: &str) -> Vec<Matcher> {
    let has = |s: &str| s.to_lowercase().contains(needle);
    ds.columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Text(d) => Matcher::Codes(d.values.iter().map(|v| has(v)).collect()),
            ColumnData::Ip(d) => Matcher::Codes(
                d.values
                    .iter()
                    .map(|v| v.is_some_and(|ip| has(&ip.to_string())))
                    .collect(),
            ),
            // A whole number is digits only; a decimal or time has at most one point, so an IP
            // address or a dotted version never makes these columns formatted at all.
            ColumnData::UInt(_) if could_match(needle, "0123456789") => Matcher::Plain,
            ColumnData::Float(_) if could_match(needle, "0123456789.-e—") && dots(needle) <= 1 => {
                Matcher::Plain
            }
            ColumnData::Time(_) if could_match(needle, "0123456789-:tz.—") && dots(needle) <= 1 => {
                Matcher::Format
            }
            _ => Matcher::Never,
        })
        .collect()
}

fn row_matches(ds: &Dataset, m: &[Matcher], needle: &str, row: usize) -> bool {
    m.iter().enumerate().any(|(c, m)| match m {
        Matcher::Never => false,
        Matcher::Codes(hit) => {
            let code = ds.columns.get(c).and_then(|col| match &col.data {
                ColumnData::Text(d) => d.codes.get(row),
                ColumnData::Ip(d) => d.codes.get(row),
                _ => None,
            });
            code.and_then(|k| hit.get(k as usize).copied())
                .unwrap_or(false)
        }
        Matcher::Format => ds.cell_text(row, c).to_lowercase().contains(needle),
        Matcher::Plain => ds.cell_text(row, c).contains(needle),
    })
}

/// Searches `rows` (a view, in display order) for `needle`, starting at position `start`:
/// forward finds the first match after it, backward the last one before it, wrapping
/// round; `include_current` lets `start` itself match.
pub fn search(
    ds: &Dataset,
    rows: &[u32],
    needle: &str,
    start: usize,
    forward: bool,
    include_current: bool,
    cancel: &AtomicBool,
) -> Result<SearchHit, SourceError> {
    let lower = needle.to_lowercase();
    let m = matchers(ds, &lower);
    let blocks: Vec<Result<Vec<usize>, SourceError>> = rows
        .par_chunks(1 << 16)
        .enumerate()
        .map(|(b, chunk)| {
            check(cancel)?;
            Ok(chunk
                .iter()
                .enumerate()
                .filter(|(_, r)| row_matches(ds, &m, &lower, **r as usize))
                .map(|(i, _)| (b << 16) + i)
                .collect())
        })
        .collect();
    let mut hits = Vec::new();
    for b in blocks {
        hits.extend(b?);
    }
    let skip = usize::from(!include_current);
    let index = if forward {
        let from = start + skip;
        hits.iter()
            .copied()
            .find(|&h| h >= from)
            .or_else(|| hits.first().copied())
    } else {
        start
            .checked_sub(skip)
            .and_then(|upto| hits.iter().rev().copied().find(|&h| h <= upto))
            .or_else(|| hits.last().copied())
    };
    let ordinal = index
        .and_then(|i| hits.binary_search(&i).ok())
        .map_or(0, |k| k + 1);
    Ok(SearchHit {
        needle: needle.to_string(),
        index,
        ordinal,
        matches: hits.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Dataset {
        crate::ingest::load_bytes("<demo>", crate::demo::EMBEDDED).unwrap()
    }

    /// The plain scan the search replaces: every cell formatted and compared.
    fn naive(ds: &Dataset, rows: &[u32], needle: &str) -> Vec<usize> {
        let needle = needle.to_lowercase();
        rows.iter()
            .enumerate()
            .filter(|(_, r)| {
                (0..ds.columns.len()).any(|c| {
                    ds.cell_text(**r as usize, c)
                        .to_lowercase()
                        .contains(&needle)
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn finds_what_a_full_scan_finds_in_every_kind_of_column() {
        let ds = demo();
        let rows: Vec<u32> = (0..ds.rows as u32).rev().collect();
        let cancel = AtomicBool::new(false);
        for needle in [
            "198.51.100",
            "US",
            "2024-04-2",
            "443",
            ":00:",
            "zzzz-none",
            "1.5",
            "203.0.113",
            "10.138",
            "12848",
            "0.5",
            "-",
            "2024-04-25t00",
            "5",
        ] {
            let want = naive(&ds, &rows, needle);
            let hit = search(&ds, &rows, needle, 0, true, true, &cancel).unwrap();
            assert_eq!(hit.matches, want.len(), "{needle}");
            assert_eq!(hit.index, want.first().copied(), "{needle}");
        }
    }

    #[test]
    fn next_and_previous_wrap_round() {
        let ds = demo();
        let rows: Vec<u32> = (0..ds.rows as u32).collect();
        let cancel = AtomicBool::new(false);
        let all = naive(&ds, &rows, "US");
        assert!(all.len() >= 3);
        let (first, second, last) = (all[0], all[1], *all.last().unwrap());
        let next = |start, fwd, inc| {
            search(&ds, &rows, "us", start, fwd, inc, &cancel)
                .unwrap()
                .index
        };
        assert_eq!(next(first, true, true), Some(first));
        assert_eq!(next(first, true, false), Some(second));
        assert_eq!(next(last, true, false), Some(first));
        assert_eq!(next(second, false, false), Some(first));
        assert_eq!(next(first, false, false), Some(last));
        let hit = search(&ds, &rows, "us", second, true, true, &cancel).unwrap();
        assert_eq!((hit.ordinal, hit.matches), (2, all.len()));
    }

    #[test]
    fn a_cancelled_search_says_so() {
        let ds = demo();
        let rows: Vec<u32> = (0..ds.rows as u32).collect();
        let cancel = AtomicBool::new(true);
        assert_eq!(
            search(&ds, &rows, "x", 0, true, true, &cancel),
            Err(SourceError::Cancelled)
        );
    }
}
