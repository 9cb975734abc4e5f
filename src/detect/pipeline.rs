//! Detection on a [`Dataset`]: choosing features, building the feature matrix,
//! running the forest, and answering per-row questions (explanation, patterns).
//!
//! This bridges the dataset model and the pure detector. Missing feature values
//! are imputed with the feature's median (and said so); `log1p` is applied to the
//! features asked for. The run keeps the scores, their index, the per-feature
//! medians and the pattern cut-offs — not the feature matrix, which is rebuilt
//! row by row when a row is explained, to keep memory flat at millions of rows.

use super::{
    DetectError, Detection, Explanation, FeatureMatrix, ForestParams, IsolationForest, Pattern,
    PatternReference, RowFacts, RunControl, ScoreIndex,
};
use crate::dataset::{Dataset, Derived, NumericSource, Role, SchemaMode, SeriesReader};
use serde::Serialize;

/// What to fit on and how.
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

impl DetectParams {
    /// The notebooks' defaults for this dataset.
    pub fn defaults_for(ds: &Dataset) -> Self {
        DetectParams {
            features: default_features(ds),
            log1p: Vec::new(),
            trees: 100,
            sample: None,
            seed: 42,
        }
    }
}

/// bytes_in, bytes_out, bytes_per_sec for the CloudWatch schema (those present);
/// every numeric column except the label in generic mode.
pub fn default_features(ds: &Dataset) -> Vec<String> {
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
        if ds.rows == 0 {
            return Err(DetectError::NoRows.to_string());
        }
        let f = resolve(ds, params)?;
        // First, while nothing else of this run is held: it reads several full-length series.
        let (patterns, per_ip) =
            crate::timing::phase("detect: pattern reference", || pattern_reference(ds));
        let mut notes = Vec::new();
        let mut columns = Vec::with_capacity(f.sources.len());
        let mut medians = Vec::with_capacity(f.sources.len());
        for ((src, name), &log) in f.sources.iter().zip(&f.names).zip(&f.log) {
            let mut v = ds.values(*src);
            if log {
                for x in v.iter_mut() {
                    *x = transform(*x, log);
                }
            }
            let mut present: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
            let missing = v.len() - present.len();
            let median =
                crate::analysis::stats::quantile_unsorted(&mut present, 0.5).unwrap_or(0.0);
            drop(present);
            if missing > 0 {
                for x in v.iter_mut().filter(|x| !x.is_finite()) {
                    *x = median;
                }
                notes.push(format!(
                    "{missing} rows have no {name}: scored with its median"
                ));
            }
            columns.push(v);
            medians.push(median);
        }
        let matrix = FeatureMatrix::new(f.names.clone(), columns).map_err(|e| e.to_string())?;
        let forest_params = ForestParams {
            trees: params.trees,
            sample_size: params.sample,
            seed: params.seed,
        };
        // Detection::run's steps, freeing the matrix before the scores are indexed so the
        // two never coexist (the peak memory of a run at millions of rows).
        let forest = crate::timing::phase("detect: fit", || {
            IsolationForest::fit(&matrix, &forest_params)
        })
        .map_err(|e| e.to_string())?;
        let scores = crate::timing::phase("detect: score", || forest.score(&matrix, control))
            .map_err(|e| e.to_string())?;
        drop(matrix);
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

    pub fn scores(&self) -> &[f64] {
        &self.detection.scores
    }

    /// The (transformed, imputed) feature values of a row.
    pub fn row_values(&self, ds: &Dataset, row: usize) -> Vec<f64> {
        self.sources
            .iter()
            .zip(&self.log)
            .zip(&self.medians)
            .map(|((s, &log), &m)| {
                ds.value(*s, row)
                    .map(|x| transform(x, log))
                    .filter(|x| x.is_finite())
                    .unwrap_or(m)
            })
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
        let num = |r: Role| ds.role(r).and_then(|c| c.data.number(row));
        let ip = ds
            .role(Role::SrcIp)
            .and_then(|c| match &c.data {
                crate::dataset::ColumnData::Ip(d) => d.codes.get(row),
                _ => None,
            })
            .and_then(|code| self.per_ip.get(code as usize).copied())
            .unwrap_or((0, 0));
        let facts = RowFacts {
            bytes_in: num(Role::BytesIn).unwrap_or(0.0),
            bytes_out: num(Role::BytesOut).unwrap_or(0.0),
            bytes_per_sec: Derived::BytesPerSec.value(ds, row),
            dst_port: num(Role::DstPort)
                .filter(|p| *p >= 0.0 && *p <= 65535.0)
                .map(|p| p as u32),
            session_duration: Derived::SessionDuration.value(ds, row),
            sessions_from_ip: ip.0,
            short_sessions_from_ip: ip.1,
        };
        reference.patterns(&facts)
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
        let mut line = parts.join(" ");
        if !patterns.is_empty() {
            let words: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
            line.push_str(" · ");
            line.push_str(&words.join("; "));
        }
        line
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
    let rate = rates.map(|r| move |row: usize| r.get_or_nan(row));
    let duration = durations.map(|r| move |row: usize| r.get_or_nan(row));
    let reference = PatternReference::from_fn(
        ds.rows,
        |row| vin.get_or_nan(row),
        |row| vout.get_or_nan(row),
        rate.as_ref().map(|f| f as &dyn Fn(usize) -> f64),
        duration.as_ref().map(|f| f as &dyn Fn(usize) -> f64),
        &sessions,
    );
    let mut per_ip: Vec<(usize, usize)> = sessions.iter().map(|&s| (s, 0)).collect();
    if let (Some((codes, _)), Some(d)) = (ip_codes, durations) {
        codes.for_each(|row, c| {
            let dur = d.get_or_nan(row);
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
