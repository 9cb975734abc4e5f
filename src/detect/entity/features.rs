//! Per-entity feature vectors: grouping rows by a key and summarising each group's behaviour.
//!
//! Owns [`EntityFeature`] (the documented feature set), [`Grouping`] (which rows belong to which
//! entity, built in one pass with hash maps over the key columns' codes) and [`compute`], which
//! reads each input column once into a flat vector and then summarises every entity's rows in
//! parallel. A feature whose input role is missing from the schema is simply not available; a
//! value that is undefined for one entity (a median of nothing, an inter-arrival spread of one
//! session) is `NaN` here and imputed by the caller. It must not fit, score or print.
//!
//! The features, from the point of view of the entity (all rows that share the key):
//!
//! | name | needs | meaning |
//! |---|---|---|
//! | `sessions` | — | rows in the group |
//! | `distinct_dst_ports` | dst_port | different destination ports |
//! | `distinct_dst_ips` | dst_ip | different destination addresses |
//! | `share_rejected` | an `action` column | share of rows whose action is REJECT/DENY/DROP/BLOCK |
//! | `bytes_in_total`, `bytes_out_total` | bytes_in / bytes_out | sums (bytes_in is sent by the source) |
//! | `bytes_in_median`, `bytes_out_median` | bytes_in / bytes_out | medians per session |
//! | `in_out_ratio` | both byte columns | `bytes_in_total / (bytes_out_total + 1)` |
//! | `median_duration` | start and end | median session length, seconds |
//! | `share_short` | start and end | share of sessions of at most 60 s |
//! | `active_span` | a time column | last start − first start, seconds |
//! | `sessions_per_minute` | a time column | sessions / max(active span in minutes, 1) |
//! | `share_sensitive_ports` | dst_port | share of sessions to remote-login, file-sharing or database ports |
//! | `interarrival_cv` | a time column | std / mean of the gaps between starts (≥ 3 sessions); low = regular beacon |

use crate::analysis::rankings;
use crate::dataset::{ColumnData, Dataset, Derived, MISSING_TIME, NumericSource, Role};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Sessions of at most this many seconds count as short.
pub const SHORT_SECS: f64 = super::super::explain::SHORT_SESSION_MAX_SECS;

/// Remote-login, file-sharing, mail and database ports: brute-force targets.
pub const SENSITIVE_PORTS: [u32; 14] = [
    21, 22, 23, 25, 110, 143, 445, 1433, 3306, 3389, 5432, 5900, 6379, 27017,
];

/// Action values that mean the flow was refused.
const REJECT_WORDS: [&str; 4] = ["reject", "deny", "drop", "block"];

/// One per-entity feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityFeature {
    Sessions,
    DistinctDstPorts,
    DistinctDstIps,
    ShareRejected,
    BytesInTotal,
    BytesOutTotal,
    BytesInMedian,
    BytesOutMedian,
    InOutRatio,
    MedianDuration,
    ShareShort,
    ActiveSpan,
    SessionsPerMinute,
    ShareSensitivePorts,
    InterarrivalCv,
}

impl EntityFeature {
    /// Every feature, in the order they are reported.
    pub const ALL: [EntityFeature; 15] = [
        EntityFeature::Sessions,
        EntityFeature::DistinctDstPorts,
        EntityFeature::DistinctDstIps,
        EntityFeature::ShareRejected,
        EntityFeature::BytesInTotal,
        EntityFeature::BytesOutTotal,
        EntityFeature::BytesInMedian,
        EntityFeature::BytesOutMedian,
        EntityFeature::InOutRatio,
        EntityFeature::MedianDuration,
        EntityFeature::ShareShort,
        EntityFeature::ActiveSpan,
        EntityFeature::SessionsPerMinute,
        EntityFeature::ShareSensitivePorts,
        EntityFeature::InterarrivalCv,
    ];

    /// The name used on the command line and in output.
    pub fn name(self) -> &'static str {
        match self {
            EntityFeature::Sessions => "sessions",
            EntityFeature::DistinctDstPorts => "distinct_dst_ports",
            EntityFeature::DistinctDstIps => "distinct_dst_ips",
            EntityFeature::ShareRejected => "share_rejected",
            EntityFeature::BytesInTotal => "bytes_in_total",
            EntityFeature::BytesOutTotal => "bytes_out_total",
            EntityFeature::BytesInMedian => "bytes_in_median",
            EntityFeature::BytesOutMedian => "bytes_out_median",
            EntityFeature::InOutRatio => "in_out_ratio",
            EntityFeature::MedianDuration => "median_duration",
            EntityFeature::ShareShort => "share_short",
            EntityFeature::ActiveSpan => "active_span",
            EntityFeature::SessionsPerMinute => "sessions_per_minute",
            EntityFeature::ShareSensitivePorts => "share_sensitive_ports",
            EntityFeature::InterarrivalCv => "interarrival_cv",
        }
    }

    /// The feature with this name (case-insensitive, `-` or `_`).
    pub fn from_name(name: &str) -> Option<EntityFeature> {
        let n = crate::dataset::schema::normalise(name);
        Self::ALL.into_iter().find(|f| f.name() == n)
    }
}

/// Which rows belong to which entity.
#[derive(Debug, Clone)]
pub struct Grouping {
    /// The key columns' header names.
    pub columns: Vec<String>,
    /// Per entity, the key's value in each key column (as displayed; empty when missing).
    pub keys: Vec<Vec<String>>,
    /// Rows of entity `e` are `order[offsets[e]..offsets[e + 1]]`, ascending.
    offsets: Vec<usize>,
    order: Vec<u32>,
    /// Rows left out as the answer half of a conversation (see [`answer_flows`]).
    pub answers: usize,
}

impl Grouping {
    /// Groups the dataset's rows by the named columns (header names, case-insensitive).
    pub fn new(ds: &Dataset, by: &[String]) -> Result<Grouping, String> {
        Grouping::new_in(ds, by, None)
    }

    /// [`Grouping::new`] over some rows only (`None`: all): the rows of a filtered view. The
    /// entities are those with a row in `rows`; the row numbers stay the dataset's.
    pub fn new_in(ds: &Dataset, by: &[String], rows: Option<&[u32]>) -> Result<Grouping, String> {
        if by.is_empty() {
            return Err("--by needs at least one column, such as src_ip".into());
        }
        let mut columns = Vec::new();
        let mut parts = Vec::new();
        for name in by {
            // A header name, or a role's name (`src_ip` finds a flow log's `srcaddr`).
            let i = ds
                .column_index(name)
                .or_else(|| Role::from_header(name).and_then(|r| ds.role_index(r)))
                .ok_or_else(|| unknown_column(ds, name))?;
            let g = rankings::groups(ds, i).ok_or_else(|| unknown_column(ds, name))?;
            columns.push(ds.columns[i].name.clone());
            parts.push(g);
        }
        // Combine the columns' codes pairwise: (entity so far, next code) → new entity.
        let mut codes = parts[0].codes.clone();
        let mut tuples: Vec<Vec<u32>> = Vec::new();
        let mut first = true;
        for next in &parts[1..] {
            let mut index: FxHashMap<u64, u32> = FxHashMap::default();
            let mut combined: Vec<Vec<u32>> = Vec::new();
            for (code, &n) in codes.iter_mut().zip(&next.codes) {
                let key = (u64::from(*code) << 32) | u64::from(n);
                let prev = *code;
                *code = *index.entry(key).or_insert_with(|| {
                    let mut t = if first {
                        vec![prev]
                    } else {
                        tuples[prev as usize].clone()
                    };
                    t.push(n);
                    combined.push(t);
                    (combined.len() - 1) as u32
                });
            }
            tuples = combined;
            first = false;
        }
        if first {
            tuples = (0..parts[0].labels.len() as u32).map(|c| vec![c]).collect();
        }
        // Rows outside the view belong to no entity.
        if let Some(rows) = rows {
            let mut keep = vec![false; codes.len()];
            for &r in rows {
                if let Some(k) = keep.get_mut(r as usize) {
                    *k = true;
                }
            }
            for (c, k) in codes.iter_mut().zip(keep) {
                if !k {
                    *c = u32::MAX;
                }
            }
        }
        // Answer flows belong to the conversation their destination started: leave them out.
        let mut answers = 0;
        if let Some(answer) = answer_flows(ds) {
            for (c, a) in codes.iter_mut().zip(answer) {
                if a && *c != u32::MAX {
                    *c = u32::MAX;
                    answers += 1;
                }
            }
        }
        // Keep only the entities that have rows, numbered densely in order of first appearance.
        let mut dense = vec![u32::MAX; tuples.len()];
        let mut kept = Vec::new();
        for &c in &codes {
            if let Some(d) = dense.get_mut(c as usize).filter(|d| **d == u32::MAX) {
                *d = kept.len() as u32;
                kept.push(c);
            }
        }
        let keys = kept
            .iter()
            .map(|&c| {
                tuples[c as usize]
                    .iter()
                    .zip(&parts)
                    .map(|(&code, g)| g.labels.get(code as usize).cloned().unwrap_or_default())
                    .collect()
            })
            .collect();
        let entity: Vec<u32> = codes
            .iter()
            .map(|&c| dense.get(c as usize).copied().unwrap_or(u32::MAX))
            .collect();
        let (offsets, order) = counting_sort(&entity, kept.len());
        Ok(Grouping {
            columns,
            keys,
            offsets,
            order,
            answers,
        })
    }

    /// Rows that belong to an entity (answer flows and rows outside the view do not).
    pub fn grouped_rows(&self) -> usize {
        self.order.len()
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no entities.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The rows (dataset row indices, ascending) of entity `e`.
    pub fn rows(&self, e: usize) -> &[u32] {
        match (self.offsets.get(e), self.offsets.get(e + 1)) {
            (Some(&a), Some(&b)) => &self.order[a..b],
            _ => &[],
        }
    }

    /// The key of entity `e` as one string (`value` or `value1,value2`).
    pub fn label(&self, e: usize) -> String {
        self.keys
            .get(e)
            .map(|k| {
                k.iter()
                    .map(|v| {
                        if v.is_empty() {
                            "(missing)"
                        } else {
                            v.as_str()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    }
}

fn unknown_column(ds: &Dataset, name: &str) -> String {
    let names: Vec<String> = ds
        .columns
        .iter()
        .map(|c| crate::sanitize::inert(&c.name).into_owned())
        .collect();
    format!(
        "--by: no column '{}': the columns are {}",
        crate::sanitize::inert(name),
        names.join(", ")
    )
}

/// Whether a port is a service's: a well-known port (below 1024) or a remote-login, file-sharing
/// or database port.
fn is_service_port(p: f64) -> bool {
    (0.0..1024.0).contains(&p) || SENSITIVE_PORTS.iter().any(|s| f64::from(*s) == p)
}

/// Per row, whether it is the answer half of a conversation: a flow from a service port to an
/// ephemeral port (1024 and up, not itself a service port), such as a web server's reply to a
/// client. Flow logs record each direction as its own row, so without this a busy server's
/// replies would make it look like a source sweeping thousands of clients on as many ports.
/// `None` when the data has no source and destination ports (the CloudWatch CSV, WAF logs).
pub fn answer_flows(ds: &Dataset) -> Option<Vec<bool>> {
    let port = |role: Role| {
        let i = ds.role_index(role)?;
        ds.columns[i]
            .data
            .is_numeric()
            .then(|| ds.values(NumericSource::Column(i)))
    };
    let (src, dst) = (port(Role::SrcPort)?, port(Role::DstPort)?);
    Some(
        src.iter()
            .zip(&dst)
            .map(|(&s, &d)| is_service_port(s) && d >= 1024.0 && !is_service_port(d))
            .collect(),
    )
}

/// Rows bucketed by entity: offsets into one array of row indices. Rows whose entity is
/// `u32::MAX` are left out.
fn counting_sort(entity: &[u32], n: usize) -> (Vec<usize>, Vec<u32>) {
    let mut offsets = vec![0usize; n + 1];
    for &e in entity.iter().filter(|&&e| e != u32::MAX) {
        offsets[e as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    let mut order = vec![0u32; offsets[n]];
    for (row, &e) in entity.iter().enumerate().filter(|(_, e)| **e != u32::MAX) {
        order[next[e as usize]] = row as u32;
        next[e as usize] += 1;
    }
    (offsets, order)
}

/// The input columns the features read, each as one flat vector (`None` when the role is absent).
struct Inputs {
    bytes_in: Option<Vec<f64>>,
    bytes_out: Option<Vec<f64>>,
    duration: Option<Vec<f64>>,
    start: Option<Vec<i64>>,
    dst_port: Option<Vec<f64>>,
    dst_ip: Option<Vec<u32>>,
    rejected: Option<Vec<bool>>,
}

impl Inputs {
    fn read(ds: &Dataset) -> Inputs {
        let numeric = |role: Role| {
            let i = ds.role_index(role)?;
            ds.columns[i]
                .data
                .is_numeric()
                .then(|| ds.values(NumericSource::Column(i)))
        };
        let start = ds.time_column().and_then(|c| match &c.data {
            ColumnData::Time(t) => Some(t.to_vec()),
            _ => None,
        });
        let dst_ip = ds.role(Role::DstIp).and_then(|c| match &c.data {
            ColumnData::Ip(d) => Some(d.codes.to_vec()),
            ColumnData::Text(d) => Some(d.codes.to_vec()),
            _ => None,
        });
        Inputs {
            bytes_in: numeric(Role::BytesIn),
            bytes_out: numeric(Role::BytesOut),
            duration: Derived::SessionDuration
                .available(ds)
                .then(|| ds.values(NumericSource::Derived(Derived::SessionDuration))),
            start,
            dst_port: numeric(Role::DstPort),
            dst_ip,
            rejected: rejected(ds),
        }
    }

    fn has(&self, f: EntityFeature) -> bool {
        use EntityFeature as F;
        match f {
            F::Sessions => true,
            F::DistinctDstPorts | F::ShareSensitivePorts => self.dst_port.is_some(),
            F::DistinctDstIps => self.dst_ip.is_some(),
            F::ShareRejected => self.rejected.is_some(),
            F::BytesInTotal | F::BytesInMedian => self.bytes_in.is_some(),
            F::BytesOutTotal | F::BytesOutMedian => self.bytes_out.is_some(),
            F::InOutRatio => self.bytes_in.is_some() && self.bytes_out.is_some(),
            F::MedianDuration | F::ShareShort => self.duration.is_some(),
            F::ActiveSpan | F::SessionsPerMinute | F::InterarrivalCv => self.start.is_some(),
        }
    }
}

/// The flow action as "was it refused", from a text column named `action` (flow logs).
fn rejected(ds: &Dataset) -> Option<Vec<bool>> {
    let c = ds.role(Role::Action).or_else(|| {
        ds.columns
            .iter()
            .find(|c| crate::dataset::schema::normalise(&c.name) == "action")
    })?;
    let ColumnData::Text(d) = &c.data else {
        return None;
    };
    let refused: Vec<bool> = d
        .values
        .iter()
        .map(|v| {
            let v = v.trim().to_ascii_lowercase();
            REJECT_WORDS.iter().any(|w| v.starts_with(w))
        })
        .collect();
    Some(
        d.codes
            .to_vec()
            .into_iter()
            .map(|c| refused.get(c as usize).copied().unwrap_or(false))
            .collect(),
    )
}

/// Every available feature for every entity.
#[derive(Debug, Clone)]
pub struct EntityFeatures {
    /// The features this schema supports, in [`EntityFeature::ALL`] order.
    pub available: Vec<EntityFeature>,
    /// `values[f][e]`: feature `available[f]` of entity `e`, `NaN` when undefined.
    pub values: Vec<Vec<f64>>,
}

impl EntityFeatures {
    /// The column of a feature, if available.
    pub fn get(&self, f: EntityFeature) -> Option<&[f64]> {
        let i = self.available.iter().position(|a| *a == f)?;
        Some(&self.values[i])
    }
}

/// Computes every available feature for every entity of `g`.
pub fn compute(ds: &Dataset, g: &Grouping) -> EntityFeatures {
    let inputs = Inputs::read(ds);
    let available: Vec<EntityFeature> = EntityFeature::ALL
        .into_iter()
        .filter(|f| inputs.has(*f))
        .collect();
    let per_entity: Vec<Vec<f64>> = (0..g.len())
        .into_par_iter()
        .map(|e| {
            let s = summarise(&inputs, g.rows(e));
            available.iter().map(|f| s.value(*f)).collect()
        })
        .collect();
    let values = (0..available.len())
        .map(|f| per_entity.iter().map(|v| v[f]).collect())
        .collect();
    EntityFeatures { available, values }
}

/// One entity's figures (NaN where undefined or the input is absent).
#[derive(Default)]
struct Summary {
    sessions: f64,
    ports: f64,
    dsts: f64,
    rejected: f64,
    in_total: f64,
    out_total: f64,
    in_median: f64,
    out_median: f64,
    duration_median: f64,
    short: f64,
    span: f64,
    sensitive: f64,
    cv: f64,
}

impl Summary {
    fn value(&self, f: EntityFeature) -> f64 {
        use EntityFeature as F;
        match f {
            F::Sessions => self.sessions,
            F::DistinctDstPorts => self.ports,
            F::DistinctDstIps => self.dsts,
            F::ShareRejected => self.rejected,
            F::BytesInTotal => self.in_total,
            F::BytesOutTotal => self.out_total,
            F::BytesInMedian => self.in_median,
            F::BytesOutMedian => self.out_median,
            F::InOutRatio => self.in_total / (self.out_total + 1.0),
            F::MedianDuration => self.duration_median,
            F::ShareShort => self.short,
            F::ActiveSpan => self.span,
            F::SessionsPerMinute => self.sessions / (self.span / 60.0).max(1.0),
            F::ShareSensitivePorts => self.sensitive,
            F::InterarrivalCv => self.cv,
        }
    }
}

fn summarise(inputs: &Inputs, rows: &[u32]) -> Summary {
    let n = rows.len() as f64;
    let gather = |col: &Option<Vec<f64>>| -> Vec<f64> {
        col.as_ref().map_or_else(Vec::new, |c| {
            rows.iter()
                .map(|&r| c[r as usize])
                .filter(|x| !x.is_nan())
                .collect()
        })
    };
    let share = |hits: usize| hits as f64 / n;
    let mut s = Summary {
        sessions: n,
        ..Summary::default()
    };
    let mut ins = gather(&inputs.bytes_in);
    let mut outs = gather(&inputs.bytes_out);
    s.in_total = ins.iter().sum();
    s.out_total = outs.iter().sum();
    s.in_median = median(&mut ins);
    s.out_median = median(&mut outs);
    let mut durations = gather(&inputs.duration);
    s.short = share(durations.iter().filter(|d| **d <= SHORT_SECS).count());
    s.duration_median = median(&mut durations);
    let ports: Vec<f64> = gather(&inputs.dst_port);
    s.sensitive = share(
        ports
            .iter()
            .filter(|p| SENSITIVE_PORTS.iter().any(|s| f64::from(*s) == **p))
            .count(),
    );
    s.ports = distinct(ports.iter().map(|p| p.to_bits()));
    s.dsts = inputs.dst_ip.as_ref().map_or(f64::NAN, |c| {
        distinct(rows.iter().map(|&r| u64::from(c[r as usize])))
    });
    s.rejected = inputs.rejected.as_ref().map_or(f64::NAN, |c| {
        share(rows.iter().filter(|&&r| c[r as usize]).count())
    });
    let mut starts: Vec<i64> = inputs.start.as_ref().map_or_else(Vec::new, |c| {
        rows.iter()
            .map(|&r| c[r as usize])
            .filter(|t| *t != MISSING_TIME)
            .collect()
    });
    starts.sort_unstable();
    s.span = match (starts.first(), starts.last()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1000.0,
        _ => f64::NAN,
    };
    s.cv = interarrival_cv(&starts);
    s
}

/// The number of different values.
fn distinct(values: impl Iterator<Item = u64>) -> f64 {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    v.dedup();
    v.len() as f64
}

/// The median (pandas: mean of the two middle values), NaN when empty.
pub(crate) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if v.len() % 2 == 1 {
        return m;
    }
    let lower = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lower + m) / 2.0
}

/// Coefficient of variation (population std / mean) of the gaps between sorted start times; NaN
/// with fewer than two gaps or when every session starts at once.
fn interarrival_cv(starts: &[i64]) -> f64 {
    if starts.len() < 3 {
        return f64::NAN;
    }
    let gaps: Vec<f64> = starts.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    if mean <= 0.0 {
        return f64::NAN;
    }
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    var.sqrt() / mean
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_spreads() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
        assert_eq!(interarrival_cv(&[0, 10, 20, 30]), 0.0);
        assert!(interarrival_cv(&[0, 10]).is_nan());
        assert!(interarrival_cv(&[0, 1, 100]) > 0.9);
    }

    #[test]
    fn answer_flows_are_left_out_of_their_sources() {
        let csv = "srcaddr,dstaddr,srcport,dstport,bytes\n\
            10.0.0.1,10.0.0.9,443,50000,10\n\
            10.0.0.9,10.0.0.1,50000,443,10\n\
            10.0.0.1,10.0.0.8,3389,61000,10\n\
            10.0.0.7,10.0.0.1,40000,41000,10\n\
            10.0.0.7,10.0.0.1,53,53,10\n";
        let ds = crate::ingest::load_bytes("<flows>", csv.as_bytes()).unwrap();
        let answers = answer_flows(&ds).unwrap();
        assert_eq!(answers, vec![true, false, true, false, false]);
        let g = Grouping::new(&ds, &["src_ip".to_string()]).unwrap();
        assert_eq!(g.answers, 2);
        let labels: Vec<String> = (0..g.len()).map(|e| g.label(e)).collect();
        assert_eq!(labels, ["10.0.0.9", "10.0.0.7"]);
        assert_eq!(g.rows(1), &[3, 4]);
    }

    #[test]
    fn counting_sort_buckets_rows() {
        let (off, order) = counting_sort(&[1, 0, 1, 2, 0], 3);
        assert_eq!(off, vec![0, 2, 4, 5]);
        assert_eq!(order, vec![1, 4, 0, 2, 3]);
        let (off, order) = counting_sort(&[1, u32::MAX, 0], 2);
        assert_eq!((off, order), (vec![0, 1, 2], vec![2, 0]));
    }

    #[test]
    fn feature_names_round_trip() {
        for f in EntityFeature::ALL {
            assert_eq!(EntityFeature::from_name(f.name()), Some(f));
        }
        assert_eq!(
            EntityFeature::from_name("Distinct-Dst-Ports"),
            Some(EntityFeature::DistinctDstPorts)
        );
    }
}
