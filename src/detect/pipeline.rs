//! Detection on a [`Dataset`]: choosing features, building the feature matrix,
//! running the forest, and answering per-row questions (explanation, patterns).
//!
//! This bridges the dataset model and the pure detector. Missing feature values
//! are imputed with the feature's median (and said so); `log1p` is applied to the
//! features asked for. No feature matrix is ever built: the forest reads the
//! dataset through [`FeatureRows`], a block of rows at a time, transforming and
//! imputing on the fly, so memory stays flat at millions of rows. The run keeps
//! the scores, their index, the per-feature medians and the pattern cut-offs.

use super::{
    DetectError, Detection, Explanation, FeatureRows, ForestParams, IsolationForest, Pattern,
    PatternReference, RowFacts, RunControl, ScoreIndex,
};
use crate::dataset::{Dataset, Derived, NumericSource, Role, SchemaMode, SeriesReader};
use serde::Serialize;

/// What to fit on and how; the default has no features and the [`super::defaults`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectParams {
    /// Feature names (columns or derived features).
    pub features: Vec<String>,
    /// Features to transform with `log1p` before fitting.
    pub log1p: Vec<String>,
    pub trees: usize,
    /// Rows per tree; `None` is min(256, rows).
    pub sample: Option<usize>,
    pub seed: u64,
}

impl Default for DetectParams {
    fn default() -> Self {
        DetectParams {
            features: Vec::new(),
            log1p: Vec::new(),
            trees: super::defaults::TREES,
            sample: None,
            seed: super::defaults::SEED,
        }
    }
}

impl DetectParams {
    /// The notebooks' defaults for this dataset.
    pub fn defaults_for(ds: &Dataset) -> Self {
        DetectParams {
            features: default_features(ds),
            ..DetectParams::default()
        }
    }
}

/// bytes_in, bytes_out, bytes_per_sec for the CloudWatch schema (those present);
/// for flow logs bytes, packets, session_duration and bytes_per_packet (those present: the
/// volume, length and packet shape of a flow, where scans, floods and exfiltration differ);
/// every numeric column except the label in generic mode.
pub fn default_features(ds: &Dataset) -> Vec<String> {
    if ds.mode() == SchemaMode::FlowLog {
        let mut f: Vec<String> = [Role::BytesIn, Role::Packets]
            .into_iter()
            .filter_map(|r| {
                ds.role(r)
                    .filter(|c| c.data.is_numeric())
                    .map(|c| c.name.clone())
            })
            .collect();
        for d in [Derived::SessionDuration, Derived::BytesPerPacket] {
            if d.available(ds) {
                f.push(d.name().into());
            }
        }
        if !f.is_empty() {
            return f;
        }
    }
    if ds.mode() == SchemaMode::CloudWatch {
        let mut f: Vec<String> = [Role::BytesIn, Role::BytesOut]
            .into_iter()
            .filter_map(|r| {
                ds.role(r)
                    .filter(|c| c.data.is_numeric())
                    .map(|c| c.name.clone())
            })
            .collect();
        if Derived::BytesPerSec.available(ds) {
            f.push("bytes_per_sec".into());
        }
        if !f.is_empty() {
            return f;
        }
    }
    ds.numeric_sources()
        .into_iter()
        .filter(|s| matches!(s, NumericSource::Column(_)))
        .map(|s| ds.source_name(s))
        .collect()
}

/// Every feature that can be chosen: numeric columns and derived features.
pub fn available_features(ds: &Dataset) -> Vec<String> {
    ds.numeric_sources()
        .into_iter()
        .map(|s| ds.source_name(s))
        .collect()
}

fn transform(x: f64, log: bool) -> f64 {
    if log { x.signum() * x.abs().ln_1p() } else { x }
}

/// Resolved feature sources with their medians (for imputation and directions).
struct Features {
    names: Vec<String>,
    sources: Vec<NumericSource>,
    log: Vec<bool>,
}

fn resolve(ds: &Dataset, params: &DetectParams) -> Result<Features, String> {
    if params.features.is_empty() {
        return Err("no features chosen: pick at least one numeric column".into());
    }
    let mut names = Vec::new();
    let mut sources = Vec::new();
    let mut log = Vec::new();
    for f in &params.features {
        let src = ds.numeric_source(f).ok_or_else(|| {
            format!(
                "unknown feature '{}': choose from {}",
                crate::sanitize::inert(f),
                available_features(ds).join(", ")
            )
        })?;
        names.push(ds.source_name(src));
        sources.push(src);
        log.push(params.log1p.iter().any(|l| l.eq_ignore_ascii_case(f)));
    }
    Ok(Features {
        names,
        sources,
        log,
    })
}

/// A feature value as the forest sees it: transformed, and the median when missing or undefined.
#[inline]
fn clean(x: f64, log: bool, median: f64) -> f64 {
    let v = transform(x, log);
    if v.is_finite() { v } else { median }
}

/// Rows read per step when a whole series is scanned.
const SCAN_BLOCK: usize = 8 * 1024;

/// The median of a feature's (transformed) present values and how many rows lack one, in one
/// streaming pass. Refuses values beyond the 32-bit float range, which the forest cannot split on.
fn feature_median(
    ds: &Dataset,
    src: NumericSource,
    name: &str,
    log: bool,
) -> Result<(f64, usize), String> {
    let mut present = Vec::with_capacity(ds.rows);
    let limit = f64::from(f32::MAX);
    let mut too_large = None;
    SeriesReader::new(ds, src).for_each_block(|first, part| {
        if too_large.is_some() {
            return;
        }
        let values = part.iter().map(|&x| transform(x, log));
        for (k, v) in values.enumerate().filter(|(_, v)| v.is_finite()) {
            if v.abs() > limit {
                too_large = Some((first + k, v));
                return;
            }
            present.push(v);
        }
    });
    if let Some((row, value)) = too_large {
        return Err(DetectError::TooLarge {
            name: name.to_string(),
            row,
            value,
        }
        .to_string());
    }
    let missing = ds.rows - present.len();
    let median = crate::analysis::stats::quantile_unsorted(&mut present, 0.5).unwrap_or(0.0);
    Ok((median, missing))
}

/// The chosen features of a dataset as the forest reads them.
struct DatasetRows<'a> {
    names: &'a [String],
    readers: Vec<SeriesReader<'a>>,
    log: &'a [bool],
    medians: &'a [f64],
    rows: usize,
}

impl FeatureRows for DatasetRows<'_> {
    fn names(&self) -> &[String] {
        self.names
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn fill(&self, f: usize, first: usize, out: &mut [f64]) {
        self.readers[f].fill(first, out);
        let (log, median) = (self.log[f], self.medians[f]);
        for x in out.iter_mut() {
            *x = clean(*x, log, median);
        }
    }

    fn value(&self, f: usize, row: usize) -> f64 {
        clean(
            self.readers[f].get_or_nan(row),
            self.log[f],
            self.medians[f],
        )
    }
}

/// A finished detection run over a whole dataset.
#[derive(Debug, Clone)]
pub struct DetectionRun {
    pub params: DetectParams,
    pub feature_names: Vec<String>,
    pub detection: Detection,
    /// Median of each (transformed) feature: imputation value and direction reference.
    pub medians: Vec<f64>,
    /// Cut-offs for the plain-words patterns (None when the dataset lacks byte columns).
    pub patterns: Option<PatternReference>,
    /// Sessions and short sessions per source-IP code.
    per_ip: Vec<(usize, usize)>,
    /// Notes for the user (imputation, transforms).
    pub notes: Vec<String>,
    sources: Vec<NumericSource>,
    log: Vec<bool>,
}

impl DetectionRun {
    /// Builds the features, fits and scores every row.
    pub fn run(
        ds: &Dataset,
        params: &DetectParams,
        control: &RunControl<'_>,
    ) -> Result<DetectionRun, String> {
        Self::run_inner(ds, params, None, control)
    }

    /// Scores every row with a saved model's forest, medians and transforms (nothing is fitted).
    pub fn run_model(
        ds: &Dataset,
        model: &super::model::Model,
        control: &RunControl<'_>,
    ) -> Result<DetectionRun, String> {
        let params = DetectParams {
            features: model.features.iter().map(|f| f.name.clone()).collect(),
            log1p: model
                .features
                .iter()
                .filter(|f| f.log1p)
                .map(|f| f.name.clone())
                .collect(),
            trees: model.trees,
            sample: Some(model.sample_size),
            seed: model.seed,
        };
        Self::run_inner(ds, &params, Some(model), control)
    }

    fn run_inner(
        ds: &Dataset,
        params: &DetectParams,
        model: Option<&super::model::Model>,
        control: &RunControl<'_>,
    ) -> Result<DetectionRun, String> {
        if ds.rows == 0 {
            return Err(DetectError::NoRows.to_string());
        }
        let mut f = resolve(ds, params)?;
        if let Some(m) = model {
            // The forest knows the features by the model's names.
            f.names = m.features.iter().map(|x| x.name.clone()).collect();
        }
        // First, while nothing else of this run is held: it reads several full-length series.
        let (patterns, per_ip) =
            crate::timing::phase("detect: pattern reference", || pattern_reference(ds));
        let mut notes = Vec::new();
        let medians = crate::timing::phase("detect: medians", || {
            f.sources
                .iter()
                .zip(&f.names)
                .zip(&f.log)
                .map(|((src, name), &log)| {
                    let (median, missing) = feature_median(ds, *src, name, log)?;
                    if missing > 0 {
                        notes.push(format!(
                            "{missing} rows have no {name}: scored with its median"
                        ));
                    }
                    Ok(median)
                })
                .collect::<Result<Vec<f64>, String>>()
        })?;
        // A saved model imputes with the medians of the data it was fitted on.
        let medians = match model {
            Some(m) => m.features.iter().map(|x| x.median).collect(),
            None => medians,
        };
        let rows = DatasetRows {
            names: &f.names,
            readers: f
                .sources
                .iter()
                .map(|s| SeriesReader::new(ds, *s))
                .collect(),
            log: &f.log,
            medians: &medians,
            rows: ds.rows,
        };
        let forest_params = ForestParams {
            trees: params.trees,
            sample_size: params.sample,
            seed: params.seed,
        };
        let forest = match model {
            Some(m) => m.forest().map_err(|e| e.to_string())?,
            None => crate::timing::phase("detect: fit", || {
                IsolationForest::fit_rows(&rows, &forest_params)
            })
            .map_err(|e| e.to_string())?,
        };
        let scores = crate::timing::phase("detect: score", || forest.score_rows(&rows, control))
            .map_err(|e| e.to_string())?;
        let index = crate::timing::phase("detect: index", || ScoreIndex::new(&scores))
            .map_err(|e| e.to_string())?;
        let detection = Detection {
            forest,
            scores,
            index,
        };
        let scores = &detection.scores;
        if scores.windows(2).all(|w| w[0] == w[1]) {
            notes.push(format!(
                "every row scores the same ({:.4}): the chosen features do not vary, so nothing stands out",
                scores.first().copied().unwrap_or(0.5)
            ));
        } else if ds.rows < 16 {
            notes.push(format!(
                "only {} rows: too few for the isolation forest to separate much; read the scores with care",
                ds.rows
            ));
        }
        Ok(DetectionRun {
            params: params.clone(),
            feature_names: f.names,
            detection,
            medians,
            patterns,
            per_ip,
            notes,
            sources: f.sources,
            log: f.log,
        })
    }

    /// Whether each feature (in order) is `log1p`-transformed.
    pub fn log1p_flags(&self) -> &[bool] {
        &self.log
    }

    pub fn scores(&self) -> &[f64] {
        &self.detection.scores
    }

    /// The series each feature reads, untransformed, in feature order.
    pub fn feature_sources(&self) -> &[NumericSource] {
        &self.sources
    }

    /// A raw value of feature `f` as the forest sees it (transformed; the median when missing).
    pub fn model_value(&self, f: usize, x: f64) -> f64 {
        match (self.log.get(f), self.medians.get(f)) {
            (Some(&log), Some(&m)) => clean(x, log, m),
            _ => x,
        }
    }

    /// The median of feature `f` in raw units (the transform undone).
    pub fn raw_median(&self, f: usize) -> f64 {
        match (self.log.get(f), self.medians.get(f)) {
            (Some(true), Some(&m)) => m.signum() * m.abs().exp_m1(),
            (_, Some(&m)) => m,
            _ => f64::NAN,
        }
    }

    /// The (transformed, imputed) feature values of a row.
    pub fn row_values(&self, ds: &Dataset, row: usize) -> Vec<f64> {
        self.sources
            .iter()
            .zip(&self.log)
            .zip(&self.medians)
            .map(|((s, &log), &m)| clean(ds.value(*s, row).unwrap_or(f64::NAN), log, m))
            .collect()
    }

    /// Per-feature contributions for a row.
    pub fn explain(&self, ds: &Dataset, row: usize) -> Option<Explanation> {
        self.detection
            .forest
            .explain(&self.row_values(ds, row), &self.medians)
            .ok()
    }

    /// The plain-words patterns a row matches.
    pub fn patterns(&self, ds: &Dataset, row: usize) -> Vec<Pattern> {
        let Some(reference) = &self.patterns else {
            return Vec::new();
        };
        let values =
            pattern_inputs(ds).map(|s| s.and_then(|s| ds.value(s, row)).unwrap_or(f64::NAN));
        let ip_code = src_ip_codes(ds).and_then(|c| c.get(row));
        reference.patterns(&self.row_facts(values, ip_code))
    }

    /// [`DetectionRun::patterns`] for a row of another dataset with the same columns (a batch of
    /// a followed file), given its source's sessions and short sessions so far.
    pub fn patterns_given(
        &self,
        ds: &Dataset,
        row: usize,
        sessions: (usize, usize),
    ) -> Vec<Pattern> {
        let Some(reference) = &self.patterns else {
            return Vec::new();
        };
        let values =
            pattern_inputs(ds).map(|s| s.and_then(|s| ds.value(s, row)).unwrap_or(f64::NAN));
        let mut facts = self.row_facts(values, None);
        (facts.sessions_from_ip, facts.short_sessions_from_ip) = sessions;
        reference.patterns(&facts)
    }

    /// Calls `f` with each row of `rows` and the patterns it matches: what
    /// [`DetectionRun::patterns`] gives, read a block of rows at a time instead of looking the
    /// columns up again for every row.
    pub fn for_each_patterns(
        &self,
        ds: &Dataset,
        rows: std::ops::Range<usize>,
        mut f: impl FnMut(usize, Vec<Pattern>),
    ) {
        let Some(reference) = &self.patterns else {
            return;
        };
        let rows = rows.start..rows.end.min(ds.rows);
        let readers = pattern_inputs(ds).map(|s| s.map(|s| SeriesReader::new(ds, s)));
        let ip_codes = src_ip_codes(ds);
        let block = SCAN_BLOCK.min(rows.len());
        let mut bufs = [(); 5].map(|_| vec![f64::NAN; block]);
        for first in rows.clone().step_by(SCAN_BLOCK) {
            let len = SCAN_BLOCK.min(rows.end - first);
            for (reader, buf) in readers.iter().zip(bufs.iter_mut()) {
                match reader {
                    Some(r) => r.fill(first, &mut buf[..len]),
                    None => buf[..len].fill(f64::NAN),
                }
            }
            for (k, row) in (first..first + len).enumerate() {
                let values = bufs.each_ref().map(|b| b[k]);
                let ip_code = ip_codes.and_then(|c| c.get(row));
                f(row, reference.patterns(&self.row_facts(values, ip_code)));
            }
        }
    }

    /// What the pattern rules know of a row, from its [`pattern_inputs`] values (NaN when
    /// missing) and its source-IP code.
    fn row_facts(&self, values: [f64; 5], ip_code: Option<u32>) -> RowFacts {
        let [bytes_in, bytes_out, port, rate, duration] = values;
        let known = |x: f64| (!x.is_nan()).then_some(x);
        let (sessions, short) = ip_code
            .and_then(|code| self.per_ip.get(code as usize).copied())
            .unwrap_or((0, 0));
        RowFacts {
            bytes_in: known(bytes_in).unwrap_or(0.0),
            bytes_out: known(bytes_out).unwrap_or(0.0),
            bytes_per_sec: known(rate),
            dst_port: known(port)
                .filter(|p| *p >= 0.0 && *p <= 65535.0)
                .map(|p| p as u32),
            session_duration: known(duration),
            sessions_from_ip: sessions,
            short_sessions_from_ip: short,
        }
    }

    /// A one-line explanation: top features with direction, then patterns.
    pub fn explanation_line(&self, ds: &Dataset, row: usize) -> String {
        self.explanation_line_for(self.explain(ds, row).as_ref(), &self.patterns(ds, row))
    }

    /// [`DetectionRun::explanation_line`] from a row's explanation and patterns already at hand.
    pub fn explanation_line_for(
        &self,
        explanation: Option<&Explanation>,
        patterns: &[Pattern],
    ) -> String {
        let (parts, words) = self.explanation_parts(explanation, patterns);
        let mut line = parts.join(" ");
        if !words.is_empty() {
            line.push_str(" · ");
            line.push_str(&words.join(", "));
        }
        line
    }

    /// The pieces of an explanation line: the features that isolate the row most (each
    /// `name↑ share%`), then each pattern's fixed short form. A narrow column shows whole pieces.
    pub fn explanation_parts(
        &self,
        explanation: Option<&Explanation>,
        patterns: &[Pattern],
    ) -> (Vec<String>, Vec<String>) {
        let parts: Vec<String> = explanation
            .map(|e| {
                e.contributions
                    .iter()
                    .filter(|c| c.share >= 10.0)
                    .take(3)
                    .map(|c| {
                        let dir = match c.direction {
                            super::Direction::Above => "↑",
                            super::Direction::Below => "↓",
                            super::Direction::AtMedian => "=",
                        };
                        format!("{}{dir} {:.0}%", c.name, c.share)
                    })
                    .collect()
            })
            .unwrap_or_default();
        (parts, patterns.iter().map(Pattern::short).collect())
    }
}

/// The series the pattern rules read, in [`DetectionRun::row_facts`]'s order: bytes in, bytes
/// out, destination port, bytes per second, session duration (`None` for an absent column).
fn pattern_inputs(ds: &Dataset) -> [Option<NumericSource>; 5] {
    let column = |r: Role| ds.role_index(r).map(NumericSource::Column);
    [
        column(Role::BytesIn),
        column(Role::BytesOut),
        column(Role::DstPort),
        Some(NumericSource::Derived(Derived::BytesPerSec)),
        Some(NumericSource::Derived(Derived::SessionDuration)),
    ]
}

/// The source-IP column's codes, when it holds addresses.
fn src_ip_codes(ds: &Dataset) -> Option<&crate::dataset::Codes> {
    match ds.role(Role::SrcIp).map(|c| &c.data) {
        Some(crate::dataset::ColumnData::Ip(d)) => Some(&d.codes),
        _ => None,
    }
}

/// Pattern cut-offs and per-IP session counts, when the dataset has byte columns. Streams over
/// the rows: no full-length series is held besides one working copy inside the reference.
fn pattern_reference(ds: &Dataset) -> (Option<PatternReference>, Vec<(usize, usize)>) {
    let (Some(bin), Some(bout)) = (ds.role_index(Role::BytesIn), ds.role_index(Role::BytesOut))
    else {
        return (None, Vec::new());
    };
    let reader = |s: NumericSource| SeriesReader::new(ds, s);
    let (vin, vout) = (
        reader(NumericSource::Column(bin)),
        reader(NumericSource::Column(bout)),
    );
    let rates = Derived::BytesPerSec
        .available(ds)
        .then(|| reader(NumericSource::Derived(Derived::BytesPerSec)));
    let durations = Derived::SessionDuration
        .available(ds)
        .then(|| reader(NumericSource::Derived(Derived::SessionDuration)));
    let ip_codes = match ds.role(Role::SrcIp).map(|c| &c.data) {
        Some(crate::dataset::ColumnData::Ip(d)) => Some((&d.codes, d.values.len())),
        _ => None,
    };
    let mut sessions: Vec<usize> = Vec::new();
    if let Some((codes, k)) = ip_codes {
        sessions = vec![0; k];
        codes.for_each(|_, c| {
            if let Some(s) = sessions.get_mut(c as usize) {
                *s += 1;
            }
        });
    }
    fn fill<'a>(r: SeriesReader<'a>) -> impl Fn(usize, &mut [f64]) + 'a {
        move |first, out| r.fill(first, out)
    }
    let rate = rates.map(fill);
    let duration = durations.map(fill);
    let reference = PatternReference::from_blocks(
        ds.rows,
        &fill(vin),
        &fill(vout),
        rate.as_ref().map(|f| f as &super::explain::BlockFill<'_>),
        duration
            .as_ref()
            .map(|f| f as &super::explain::BlockFill<'_>),
        &sessions,
    );
    let mut per_ip: Vec<(usize, usize)> = sessions.iter().map(|&s| (s, 0)).collect();
    if let (Some((codes, _)), Some(d)) = (ip_codes, durations) {
        // `for_each` visits rows in order: the durations are read a block ahead of it.
        let mut block = vec![0.0; SCAN_BLOCK.min(ds.rows)];
        codes.for_each(|row, c| {
            let k = row % SCAN_BLOCK;
            if k == 0 {
                let len = block.len().min(ds.rows - row);
                d.fill(row, &mut block[..len]);
            }
            let dur = block[k];
            if dur.is_finite()
                && reference.is_short_session(dur)
                && let Some(x) = per_ip.get_mut(c as usize)
            {
                x.1 += 1;
            }
        });
    }
    (Some(reference), per_ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::FeatureMatrix;

    /// Demo rows with holes: empty byte counts, unparsable and reversed timestamps, odd ports.
    fn holey(rows: usize) -> Dataset {
        let mut csv = Vec::new();
        crate::demo::write_demo(&mut csv, rows, 7).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                match i % 13 {
                    1 => f[0].clear(),
                    2 => f[1].clear(),
                    3 => f[3] = "not a time".into(),
                    4 => f.swap(2, 3),
                    5 => f[8] = "70000".into(),
                    6 => f[8].clear(),
                    _ => {}
                }
            }
            out.push_str(&f.join(","));
            out.push('\n');
        }
        crate::ingest::load_bytes("holey.csv", out.as_bytes()).unwrap()
    }

    /// What the run used to do: materialise the transformed, imputed features and fit on them.
    fn matrix_scores(ds: &Dataset, params: &DetectParams) -> Vec<f64> {
        let f = resolve(ds, params).unwrap();
        let columns: Vec<Vec<f64>> = f
            .sources
            .iter()
            .zip(&f.log)
            .map(|(src, &log)| {
                let v: Vec<f64> = ds.values(*src).iter().map(|&x| transform(x, log)).collect();
                let mut present: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
                let m = crate::analysis::stats::quantile_unsorted(&mut present, 0.5).unwrap_or(0.0);
                v.into_iter()
                    .map(|x| if x.is_finite() { x } else { m })
                    .collect()
            })
            .collect();
        let matrix = FeatureMatrix::new(f.names, columns).unwrap();
        let forest_params = ForestParams {
            trees: params.trees,
            sample_size: params.sample,
            seed: params.seed,
        };
        Detection::run(&matrix, &forest_params, &RunControl::default())
            .unwrap()
            .scores
    }

    #[test]
    fn streaming_run_scores_exactly_as_a_materialised_matrix() {
        let ds = holey(20_000);
        let mut params = DetectParams::defaults_for(&ds);
        let run = DetectionRun::run(&ds, &params, &RunControl::default()).unwrap();
        assert_eq!(run.scores(), matrix_scores(&ds, &params).as_slice());
        assert!(
            run.notes.iter().any(|n| n.contains("bytes_in")),
            "{:?}",
            run.notes
        );
        params.log1p = vec!["bytes_out".into(), "bytes_per_sec".into()];
        params.features.push("session_duration".into());
        params.seed = 9;
        let run = DetectionRun::run(&ds, &params, &RunControl::default()).unwrap();
        assert_eq!(run.scores(), matrix_scores(&ds, &params).as_slice());
        // Imputed values are the medians, row by row too.
        let row = 13; // line 14 of the file: its bytes_in is empty
        let values = run.row_values(&ds, row);
        assert_eq!(values.len(), 4);
        assert!(values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn values_beyond_f32_are_refused_with_row_and_feature() {
        let text = "x,y\n1.5,2\n3.5,4\n1e39,5\n2.5,1\n";
        let ds = crate::ingest::load_bytes("big.csv", text.as_bytes()).unwrap();
        let params = DetectParams::defaults_for(&ds);
        let e = DetectionRun::run(&ds, &params, &RunControl::default()).unwrap_err();
        assert!(e.contains("'x'") && e.contains("row 2"), "{e}");
        // Log-transformed, the same value is fine.
        let mut params = params;
        params.log1p = vec!["x".into()];
        assert!(DetectionRun::run(&ds, &params, &RunControl::default()).is_ok());
    }

    #[test]
    fn block_patterns_equal_row_patterns() {
        let ds = holey(30_000);
        let run = DetectionRun::run(
            &ds,
            &DetectParams::defaults_for(&ds),
            &RunControl::default(),
        )
        .unwrap();
        let mut seen = 0;
        let mut with = 0;
        run.for_each_patterns(&ds, 0..ds.rows, |row, found| {
            assert_eq!(row, seen);
            assert_eq!(found, run.patterns(&ds, row), "row {row}");
            with += usize::from(!found.is_empty());
            seen += 1;
        });
        assert_eq!(seen, ds.rows);
        assert!(with > 0, "the demo data should match some patterns");
        // A sub-range past the end stops at the last row.
        let mut rows = Vec::new();
        run.for_each_patterns(&ds, ds.rows - 3..ds.rows + 10, |r, _| rows.push(r));
        assert_eq!(rows, vec![ds.rows - 3, ds.rows - 2, ds.rows - 1]);
    }
}

#[path = "pipeline_extend.rs"]
mod extend;
