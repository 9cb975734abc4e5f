//! Per-entity anomaly detection: one feature vector per source (or any key), the isolation forest
//! over entities, explanations against the population median and named behaviours.
//!
//! A port scan of 900 one-packet flows is invisible to row detection (each row is small and
//! ordinary); grouped by source it is one entity with 900 ports. [`EntityRun::run`] groups the
//! (already filtered) rows by any key columns ([`Grouping`]), computes the documented feature set
//! of [`features`] for the schema at hand, fits the same [`IsolationForest`] with the same
//! parameters as row detection, and indexes the scores in a [`ScoreIndex`], so the same
//! [`Rule`]s (contamination, `auto`, top-k) select entities without refitting. It owns no I/O:
//! the CLI, report and explorer ask it for [`EntityReport`]s, an entity's rows (drill-down) and
//! the filter clause that narrows every view to one entity.
//!
//! Features undefined for an entity (the inter-arrival spread of a single session) are imputed
//! with the feature's median over entities, and said so in [`EntityRun::notes`]; the features
//! named in `log1p` are transformed before fitting, as for rows.

pub mod behaviour;
pub mod features;
pub mod planted;

pub use behaviour::Behaviour;
pub use features::{EntityFeature, EntityFeatures, Grouping};

use super::{
    Contribution, Detection, Explanation, FeatureMatrix, ForestParams, IsolationForest, Rule,
    RunControl, ScoreIndex, Selection,
};
use crate::dataset::Dataset;
use serde::Serialize;

/// What to group by and how to fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityParams {
    /// Key columns (header names), e.g. `["src_ip"]` or `["src_ip", "dst_port"]`.
    pub by: Vec<String>,
    /// Entity features to fit on; empty = every feature the schema supports.
    pub features: Vec<String>,
    /// Features to transform with `log1p` before fitting.
    pub log1p: Vec<String>,
    pub trees: usize,
    /// Entities per tree; `None` is [`default_sample`].
    pub sample: Option<usize>,
    pub seed: u64,
}

/// A finished entity detection run.
#[derive(Debug, Clone)]
pub struct EntityRun {
    pub grouping: Grouping,
    /// Every available feature, raw (before imputation and transforms).
    pub features: EntityFeatures,
    /// The features the forest was fitted on, in order.
    pub fitted: Vec<EntityFeature>,
    pub log1p: Vec<bool>,
    /// The matrix the forest saw (imputed, transformed).
    pub matrix: FeatureMatrix,
    /// Median of each fitted (transformed) feature: imputation value and explanation reference.
    pub medians: Vec<f64>,
    /// Median of every available raw feature, for the behaviour rules and for people.
    pub raw_medians: Vec<f64>,
    pub detection: Detection,
    /// The behaviour each entity matches, if any.
    pub behaviours: Vec<Option<Behaviour>>,
    /// Notes for the user (imputation, too few entities).
    pub notes: Vec<String>,
}

/// One entity as reported: what JSON, tables, the report and the explorer show.
#[derive(Debug, Clone, Serialize)]
pub struct EntityReport {
    /// The key (`value`, or `value1,value2` for several key columns).
    pub key: String,
    pub score: f64,
    pub anomaly: bool,
    /// Every available feature, raw, name → value (`null` when undefined).
    pub features: FeatureValues,
    /// Top contributing features with their values against the population median, in words.
    pub explanation: String,
    /// The contributions behind the explanation (transformed values, as the forest saw them).
    pub contributions: Vec<Contribution>,
    /// The named behaviour, if a rule matches.
    pub behaviour: Option<Behaviour>,
}

/// Feature values serialised as an ordered JSON object.
#[derive(Debug, Clone)]
pub struct FeatureValues(pub Vec<(&'static str, f64)>);

impl Serialize for FeatureValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, &v.is_finite().then_some(*v))?;
        }
        map.end()
    }
}

/// The features fitted by default: every one the schema supports, except that with a time column
/// the two that measure how much a source talks (`sessions`, `active_span`) give way to its rate
/// (`sessions_per_minute`). A busy but ordinary server is the most extreme host in both; its
/// rates, shares and medians are ordinary. Both stay available with `--entity-features`, and
/// both are still reported.
pub fn default_features(features: &EntityFeatures) -> Vec<EntityFeature> {
    let rate = features
        .available
        .contains(&EntityFeature::SessionsPerMinute);
    features
        .available
        .iter()
        .copied()
        .filter(|f| !(rate && matches!(f, EntityFeature::Sessions | EntityFeature::ActiveSpan)))
        .collect()
}

/// Entities per tree by default: an eighth of the entities, at least 256 (scikit-learn's `auto`
/// for rows) and at most 65 536, never more than there are.
///
/// Row detection looks for a few percent of unusual rows, and 256 rows per tree see them. Entity
/// detection looks for single sources among tens of thousands, most of them one-session clients:
/// a tree fitted on 256 of 30 000 entities contains a given scanner with probability 0.9%, and a
/// tree that does not contain it cannot tell it from the sample's most extreme ordinary host, so
/// the planted attackers of a 50 000-session demo ranked 90th to 165th. With an eighth, every
/// entity is in about 12 of 100 trees.
pub fn default_sample(entities: usize) -> usize {
    (entities / 8).clamp(256, 65_536).min(entities)
}

/// Whether a feature is transformed with `log1p` by default: the counts, byte figures, durations
/// and rates, which span orders of magnitude between sources (one session against thousands).
/// On the raw scale the forest's random splits fall almost only between the few largest values;
/// on the log scale a source with 400 sessions is as separable as one with 40 000. Shares and the
/// inter-arrival spread are already on a small scale and stay as they are.
pub fn log1p_by_default(f: EntityFeature) -> bool {
    use EntityFeature as F;
    !matches!(
        f,
        F::ShareRejected | F::ShareShort | F::ShareSensitivePorts | F::InterarrivalCv
    )
}

/// Which fitted features are `log1p`-transformed: the defaults when `--log1p` names none of the
/// entity features, none with `--log1p none`, else exactly those named.
fn resolve_log1p(params: &EntityParams, fitted: &[EntityFeature]) -> Vec<bool> {
    let named: Vec<EntityFeature> = params
        .log1p
        .iter()
        .filter_map(|l| EntityFeature::from_name(l))
        .collect();
    let none = params.log1p.iter().any(|l| l.eq_ignore_ascii_case("none"));
    fitted
        .iter()
        .map(|f| {
            if none {
                false
            } else if named.is_empty() {
                log1p_by_default(*f)
            } else {
                named.contains(f)
            }
        })
        .collect()
}

fn resolve(params: &EntityParams, features: &EntityFeatures) -> Result<Vec<EntityFeature>, String> {
    if params.features.is_empty() {
        return Ok(default_features(features));
    }
    let names = || {
        features
            .available
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    params
        .features
        .iter()
        .map(|name| {
            EntityFeature::from_name(name)
                .filter(|f| features.available.contains(f))
                .ok_or_else(|| {
                    format!(
                        "unknown entity feature '{}' for this file: choose from {}",
                        crate::sanitize::inert(name),
                        names()
                    )
                })
        })
        .collect()
}

fn transform(x: f64, log: bool) -> f64 {
    if log { x.signum() * x.abs().ln_1p() } else { x }
}

/// An entity's sessions per interval between its first and last session (epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub first: i64,
    pub last: i64,
    pub counts: Vec<u64>,
}

impl EntityRun {
    /// Groups, summarises, fits and scores every entity.
    pub fn run(
        ds: &Dataset,
        params: &EntityParams,
        control: &RunControl<'_>,
    ) -> Result<EntityRun, String> {
        EntityRun::run_in(ds, None, params, control)
    }

    /// [`EntityRun::run`] over some rows only (`None`: all), such as a filtered view's: each
    /// entity's features come from its rows among them, and the forest is fitted on those
    /// entities. Row numbers ([`EntityRun::rows`]) stay the dataset's.
    pub fn run_in(
        ds: &Dataset,
        rows: Option<&[u32]>,
        params: &EntityParams,
        control: &RunControl<'_>,
    ) -> Result<EntityRun, String> {
        if ds.rows == 0 || rows.is_some_and(<[u32]>::is_empty) {
            return Err(super::DetectError::NoRows.to_string());
        }
        let grouping =
            crate::timing::phase("entity: group", || Grouping::new_in(ds, &params.by, rows))?;
        let features =
            crate::timing::phase("entity: features", || features::compute(ds, &grouping));
        let fitted = resolve(params, &features)?;
        let log1p = resolve_log1p(params, &fitted);
        let mut notes = Vec::new();
        if grouping.answers > 0 {
            notes.push(format!(
                "{} answer flows (from a service port to an ephemeral port, such as a server's replies) are left out: they belong to the conversation their destination started",
                grouping.answers
            ));
        }
        let mut columns = Vec::new();
        let mut medians = Vec::new();
        for (f, &log) in fitted.iter().zip(&log1p) {
            let raw = features.get(*f).unwrap_or(&[]);
            let mut col: Vec<f64> = raw.iter().map(|&x| transform(x, log)).collect();
            let mut present: Vec<f64> = col.iter().copied().filter(|x| x.is_finite()).collect();
            let median = features::median(&mut present);
            let median = if median.is_finite() { median } else { 0.0 };
            let missing = col.iter().filter(|x| !x.is_finite()).count();
            if missing > 0 {
                notes.push(format!(
                    "{missing} entities have no {}: scored with its median",
                    f.name()
                ));
                col.iter_mut()
                    .filter(|x| !x.is_finite())
                    .for_each(|x| *x = median);
            }
            columns.push(col);
            medians.push(median);
        }
        let names = fitted.iter().map(|f| f.name().to_string()).collect();
        let matrix = FeatureMatrix::new(names, columns).map_err(|e| e.to_string())?;
        let forest_params = ForestParams {
            trees: params.trees,
            sample_size: Some(
                params
                    .sample
                    .unwrap_or_else(|| default_sample(grouping.len())),
            ),
            seed: params.seed,
        };
        let forest = IsolationForest::fit(&matrix, &forest_params).map_err(|e| e.to_string())?;
        let scores = forest.score(&matrix, control).map_err(|e| e.to_string())?;
        let index = ScoreIndex::new(&scores).map_err(|e| e.to_string())?;
        if grouping.len() < 16 {
            notes.push(format!(
                "only {} entities: too few for the isolation forest to separate much; read the scores with care",
                grouping.len()
            ));
        }
        let raw_medians = behaviour::medians(&features);
        let behaviours = (0..grouping.len())
            .map(|e| behaviour::classify(&features, &raw_medians, e))
            .collect();
        Ok(EntityRun {
            grouping,
            features,
            fitted,
            log1p,
            matrix,
            medians,
            raw_medians,
            detection: Detection {
                forest,
                scores,
                index,
            },
            behaviours,
            notes,
        })
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.grouping.len()
    }

    /// Whether there are no entities.
    pub fn is_empty(&self) -> bool {
        self.grouping.is_empty()
    }

    /// One score per entity; higher = more anomalous.
    pub fn scores(&self) -> &[f64] {
        &self.detection.scores
    }

    /// Which entities a rule flags (the same rules as rows: contamination, `auto`, top-k).
    pub fn select(&self, rule: Rule) -> Selection {
        self.detection.index.select(rule)
    }

    /// Entities, most anomalous first.
    pub fn ranked(&self) -> impl Iterator<Item = usize> + '_ {
        self.detection.index.ranked().map(|(e, _)| e)
    }

    /// The dataset rows (ascending) of entity `e`: its sessions, for a drill-down or timeline.
    pub fn rows(&self, e: usize) -> &[u32] {
        self.grouping.rows(e)
    }

    /// Entity `e`'s sessions over time: `buckets` equal intervals from its first session's start
    /// to its last one's (`None` without start times). A beacon shows as an even comb, a burst
    /// as one tall bar.
    pub fn activity(&self, ds: &Dataset, e: usize, buckets: usize) -> Option<Activity> {
        let times: Vec<i64> = self
            .rows(e)
            .iter()
            .filter_map(|&r| ds.start_time(r as usize))
            .collect();
        let (&first, &last) = (times.iter().min()?, times.iter().max()?);
        let buckets = buckets.max(1);
        let span = (last - first).max(1);
        let mut counts = vec![0u64; buckets];
        for t in times {
            let i = ((t - first) as i128 * buckets as i128 / (span as i128 + 1)) as usize;
            if let Some(c) = counts.get_mut(i.min(buckets - 1)) {
                *c += 1;
            }
        }
        Some(Activity {
            first,
            last,
            counts,
        })
    }

    /// A filter clause that keeps only entity `e`'s rows (`src_ip = "…" and dst_port = "…"`).
    pub fn filter_clause(&self, e: usize) -> Option<String> {
        let key = self.grouping.keys.get(e)?;
        let clauses: Vec<String> = self
            .grouping
            .columns
            .iter()
            .zip(key)
            .map(|(c, v)| crate::filter::clause::equals(c, v))
            .collect();
        crate::filter::clause::all(&clauses)
    }

    /// Per-feature contributions for entity `e`.
    pub fn explain(&self, e: usize) -> Option<Explanation> {
        let values = self.matrix.row(e).ok()?;
        self.detection.forest.explain(&values, &self.medians).ok()
    }

    /// Everything reported about entity `e`.
    pub fn report(&self, e: usize, selection: &Selection) -> EntityReport {
        let explanation = self.explain(e);
        let contributions = explanation.map(|x| x.contributions).unwrap_or_default();
        let behaviour = self.behaviours.get(e).copied().flatten();
        EntityReport {
            key: self.grouping.label(e),
            score: self.scores().get(e).copied().unwrap_or(f64::NAN),
            anomaly: self.detection.index.is_flagged(selection, e),
            features: FeatureValues(
                self.features
                    .available
                    .iter()
                    .zip(&self.features.values)
                    .map(|(f, v)| (f.name(), v.get(e).copied().unwrap_or(f64::NAN)))
                    .collect(),
            ),
            explanation: self.explanation_line(e, &contributions, behaviour),
            contributions,
            behaviour,
        }
    }

    /// The top features (≥ 10 % of the credit, at most three) as `name value (median m)`, raw
    /// values, then the behaviour.
    fn explanation_line(
        &self,
        e: usize,
        contributions: &[Contribution],
        behaviour: Option<Behaviour>,
    ) -> String {
        let raw = |f: EntityFeature| {
            let i = self.features.available.iter().position(|a| *a == f)?;
            Some((self.features.values[i][e], self.raw_medians[i]))
        };
        let parts: Vec<String> = contributions
            .iter()
            .filter(|c| c.share >= 10.0)
            .take(3)
            .filter_map(|c| {
                let f = *self.fitted.get(c.feature)?;
                let (v, m) = raw(f)?;
                Some(format!(
                    "{} {} (median {})",
                    f.name(),
                    crate::dataset::format_number(v),
                    crate::dataset::format_number(m)
                ))
            })
            .collect();
        let mut line = parts.join(", ");
        if let Some(b) = behaviour {
            if !line.is_empty() {
                line.push_str(" · ");
            }
            line.push_str(&b.to_string());
        }
        line
    }

    /// Reports for the entities a selection flags, most anomalous first (at most `limit`).
    pub fn flagged(&self, selection: &Selection, limit: usize) -> Vec<EntityReport> {
        self.detection
            .index
            .flagged(selection)
            .take(limit)
            .map(|e| self.report(e, selection))
            .collect()
    }

    /// Reports for every entity, most anomalous first.
    pub fn all(&self, selection: &Selection) -> Vec<EntityReport> {
        self.ranked().map(|e| self.report(e, selection)).collect()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
