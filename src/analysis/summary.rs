//! The summary of a dataset: everything `threatlens summary` reports, as one value.
//!
//! Rows and rejects, statistics of every numeric and derived column, the Pearson
//! correlation matrix, country and source-IP rankings, the time range, hourly
//! totals and the data-quality report. Serialises to the JSON that the CLI prints
//! (key names follow the reference values computed with pandas). Pure.

use super::Rows;
use super::correlation;
use super::prep::{self, Quality};
use super::rankings::{self, ByteAgg, RankBy};
use super::stats::{self, Stats};
use super::timeseries;
use crate::dataset::{Dataset, NumericSource, Reject, Role, SchemaMode, format_time};
use rayon::prelude::*;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::collections::BTreeMap;

/// A list of named values that serialises as a JSON object, keeping its order.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<T> Ordered<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RejectSummary {
    pub total: u64,
    pub by_reason: BTreeMap<String, u64>,
    /// The first rejects, with line, column and message.
    pub first: Vec<Reject>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CountryRow {
    pub country: String,
    pub sessions: u64,
    pub bytes_in: ByteAgg,
    pub bytes_out: ByteAgg,
}

/// How many countries the rows come from, and their bytes in and out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryTotals {
    pub countries: usize,
    pub bytes_in: u128,
    pub bytes_out: u128,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IpRow {
    pub src_ip: String,
    pub sessions: u64,
    /// `None` (JSON `null`) when no byte count is known: no such column, or
    /// every value of this address missing. Never a made-up 0.
    pub bytes_in: Option<u128>,
    pub bytes_out: Option<u128>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimeRange {
    pub first: String,
    pub last: String,
    pub first_ms: i64,
    pub last_ms: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HourTotal {
    pub hour: String,
    pub sessions: u64,
    pub bytes_in: u128,
    pub bytes_out: u128,
}

/// Everything `summary` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub source: String,
    pub mode: SchemaMode,
    pub rows: usize,
    pub rejected: RejectSummary,
    pub numeric: Ordered<Stats>,
    pub pearson_correlation: Ordered<Ordered<Option<f64>>>,
    pub countries: Vec<CountryRow>,
    /// Over every country, not only the listed ones (for a report's overview, which would
    /// otherwise rank them again); `None` without a country column.
    #[serde(skip)]
    pub country_totals: Option<CountryTotals>,
    pub unique_src_ips: usize,
    /// How `src_ips` is ordered: `bytes_in`, or `sessions` when there is no
    /// bytes_in column.
    pub src_ips_by: &'static str,
    /// Source IPs, most first.
    pub src_ips: Vec<IpRow>,
    pub time_range: Option<TimeRange>,
    pub hourly_totals: Vec<HourTotal>,
    pub data_quality: Quality,
    pub notes: Vec<String>,
    /// How many files were read (a folder is many).
    pub files: u64,
}

/// Most hourly totals a summary lists (about 11 years of hours); a longer span
/// gets a note instead of a list the size of a database.
pub const MAX_HOURLY_TOTALS: i64 = 100_000;

/// Options for [`summarize`].
#[derive(Debug, Clone, Copy)]
pub struct SummaryOptions {
    /// How many source IPs and countries to list.
    pub top: usize,
    /// How many rejects to detail.
    pub rejects_shown: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            top: 10,
            rejects_shown: 20,
        }
    }
}

/// Builds the summary of the selected rows.
/// The numeric columns and derived features described. In a flow log ports are identifiers
/// (categories, ranked in Rankings), not quantities: no mean or standard deviation of them.
pub fn summary_sources(ds: &Dataset) -> Vec<crate::dataset::NumericSource> {
    let flow = ds.mode() == crate::dataset::SchemaMode::FlowLog;
    ds.numeric_sources()
        .into_iter()
        .filter(|s| match s {
            crate::dataset::NumericSource::Column(i) if flow => ds
                .columns
                .get(*i)
                .is_none_or(|c| !matches!(c.role, Some(Role::SrcPort | Role::DstPort))),
            _ => true,
        })
        .collect()
}

pub fn summarize(ds: &Dataset, rows: Rows<'_>, opts: SummaryOptions) -> Summary {
    use crate::timing::phase;
    let sources = summary_sources(ds);
    let names: Vec<String> = sources.iter().map(|&s| ds.source_name(s)).collect();
    // Each series is computed, sorted in place, described and dropped; the series are taken by
    // the cores as they come free (sorting one is a single-threaded pass), so at most one series
    // and its sort buffer per core are held at a time. The correlation and data-quality passes
    // reuse what the descriptions found.
    let numbers = || {
        let described: Vec<Stats> = phase("summary: describe", || {
            sources
                .par_iter()
                .map(|&s| stats::describe_owned(rows.series(ds, s)))
                .collect()
        });
        let complete: Vec<bool> = described.iter().map(|st| st.missing == 0).collect();
        let known: Vec<(NumericSource, &Stats)> = sources.iter().copied().zip(&described).collect();
        let (matrix, data_quality) = phase("summary: correlation + quality", || {
            rayon::join(
                || correlation::matrix(ds, &sources, rows, &complete),
                || prep::quality_with(ds, rows, &known),
            )
        });
        (described, matrix, data_quality)
    };
    let (ip_order, src_ips_by) = if ds.role(Role::BytesIn).is_some() {
        (RankBy::BytesIn, "bytes_in")
    } else {
        (RankBy::Sessions, "sessions")
    };
    // The rankings and the hourly totals need nothing from the numbers: beside them, so the
    // cores that finish one pass take the next (they share the machine with detection) instead
    // of the summary ending on one core.
    let rankings = || {
        rayon::join(
            || {
                phase("summary: countries", || {
                    ds.role_index(Role::Country)
                        .map(|i| rankings::rank(ds, i, rows, RankBy::Sessions))
                        .unwrap_or_default()
                })
            },
            || {
                phase("summary: ips", || {
                    ds.role_index(Role::SrcIp)
                        .map(|i| rankings::rank(ds, i, rows, ip_order))
                        .unwrap_or_default()
                })
            },
        )
    };
    let times = || phase("summary: time", || hourly_totals(ds, rows));
    let ((described, matrix, data_quality), ((countries, ips), hourly)) =
        rayon::join(numbers, || rayon::join(rankings, times));
    let Hourly {
        range,
        buckets: hourly,
        note: hourly_note,
    } = hourly;
    let pearson_correlation = Ordered(
        names
            .iter()
            .zip(matrix)
            .map(|(a, row)| (a.clone(), Ordered(names.iter().cloned().zip(row).collect())))
            .collect(),
    );
    let numeric = Ordered(names.into_iter().zip(described).collect());
    let mut notes = ds.notes.clone();
    notes.extend(hourly_note);
    Summary {
        source: ds.source.clone(),
        mode: ds.mode(),
        rows: rows.len(),
        rejected: RejectSummary {
            total: ds.rejects.total,
            by_reason: ds.rejects.by_kind.clone(),
            first: ds
                .rejects
                .details
                .iter()
                .take(opts.rejects_shown)
                .cloned()
                .collect(),
        },
        numeric,
        pearson_correlation,
        country_totals: ds.role_index(Role::Country).map(|_| CountryTotals {
            countries: countries.len(),
            bytes_in: countries.iter().map(|r| r.bytes_in.sum).sum(),
            bytes_out: countries.iter().map(|r| r.bytes_out.sum).sum(),
        }),
        countries: countries
            .into_iter()
            .take(opts.top)
            .map(|r| CountryRow {
                country: r.key,
                sessions: r.sessions,
                bytes_in: r.bytes_in,
                bytes_out: r.bytes_out,
            })
            .collect(),
        unique_src_ips: ips.len(),
        src_ips_by,
        src_ips: ips
            .into_iter()
            .take(opts.top)
            .map(|r| IpRow {
                src_ip: r.key,
                sessions: r.sessions,
                bytes_in: (r.bytes_in.count > 0).then_some(r.bytes_in.sum),
                bytes_out: (r.bytes_out.count > 0).then_some(r.bytes_out.sum),
            })
            .collect(),
        time_range: range.map(|(a, b)| TimeRange {
            first: format_time(a),
            last: format_time(b),
            first_ms: a,
            last_ms: b,
        }),
        hourly_totals: hourly
            .into_iter()
            .map(|b| HourTotal {
                hour: format_time(b.start),
                sessions: b.sessions,
                bytes_in: b.bytes_in,
                bytes_out: b.bytes_out,
            })
            .collect(),
        data_quality: Quality {
            log_status: ds
                .facts
                .log_status
                .iter()
                .map(|(k, v)| (k.clone(), v.records))
                .collect(),
            ..data_quality
        },
        notes,
        files: ds.facts.files.max(1),
    }
}

/// The selected rows' time range and their hourly totals, or a note saying why the totals are
/// left out (a span of more hours than [`MAX_HOURLY_TOTALS`]).
struct Hourly {
    range: Option<(i64, i64)>,
    buckets: Vec<timeseries::Bucket>,
    note: Option<String>,
}

fn hourly_totals(ds: &Dataset, rows: Rows<'_>) -> Hourly {
    let range = timeseries::time_range(ds, rows);
    let mut out = Hourly {
        range,
        buckets: Vec::new(),
        note: None,
    };
    let Some((first, last)) = range else {
        return out;
    };
    let hours = timeseries::bucket_count(first, last, 3600);
    if hours <= MAX_HOURLY_TOTALS {
        out.buckets = timeseries::series(ds, rows, 3600).buckets;
    } else {
        out.note = Some(format!(
            "hourly totals left out: the times span {hours} hours ({} to {}), more than {MAX_HOURLY_TOTALS}; a timestamp may be wrong (epoch 0?)",
            format_time(first),
            format_time(last)
        ));
    }
    out
}
