//! Scoring rows appended to a dataset after its run was fitted (a followed file).
//!
//! [`DetectionRun::score_appended`] scores the rows past those the run has scores for with the
//! fitted forest, medians and transforms — exactly as the fit scored its own rows — re-indexes
//! the scores and counts the new rows' sessions per source for the plain-words patterns. It
//! never refits: the forest, medians and pattern cut-offs stay those of the fit.

use super::{DatasetRows, DetectionRun, src_ip_codes};
use crate::dataset::{Dataset, Derived, NumericSource, SeriesReader};
use crate::detect::{FeatureRows, RunControl, ScoreIndex};
use std::ops::Range;

/// The rows of a dataset from `from` on.
struct TailRows<'a> {
    inner: DatasetRows<'a>,
    from: usize,
}

impl FeatureRows for TailRows<'_> {
    fn names(&self) -> &[String] {
        self.inner.names
    }
    fn rows(&self) -> usize {
        self.inner.rows - self.from
    }
    fn fill(&self, f: usize, first: usize, out: &mut [f64]) {
        self.inner.fill(f, self.from + first, out);
    }
    fn value(&self, f: usize, row: usize) -> f64 {
        self.inner.value(f, self.from + row)
    }
}

impl DetectionRun {
    /// Scores the rows of `ds` (the dataset this run was fitted on, grown by appends) that have
    /// no score yet; returns their range. Scores of earlier rows do not change.
    pub fn score_appended(
        &mut self,
        ds: &Dataset,
        control: &RunControl<'_>,
    ) -> Result<Range<usize>, String> {
        let from = self.detection.scores.len();
        if ds.rows <= from {
            return Ok(from..from);
        }
        let tail = TailRows {
            inner: DatasetRows {
                names: &self.feature_names,
                readers: self
                    .sources
                    .iter()
                    .map(|s| SeriesReader::new(ds, *s))
                    .collect(),
                log: &self.log,
                medians: &self.medians,
                rows: ds.rows,
            },
            from,
        };
        let scores = self
            .detection
            .forest
            .score_rows(&tail, control)
            .map_err(|e| e.to_string())?;
        let mut all = self.detection.scores.clone();
        all.extend_from_slice(&scores);
        self.detection.index = ScoreIndex::new(&all).map_err(|e| e.to_string())?;
        self.detection.scores = all;
        self.count_sessions(ds, from..ds.rows);
        Ok(from..ds.rows)
    }

    /// Adds the rows' sessions (and short sessions) to their source IPs' counts.
    fn count_sessions(&mut self, ds: &Dataset, rows: Range<usize>) {
        let (Some(reference), Some(codes)) = (&self.patterns, src_ip_codes(ds)) else {
            return;
        };
        let duration = NumericSource::Derived(Derived::SessionDuration);
        let durations = Derived::SessionDuration.available(ds);
        for row in rows {
            let Some(code) = codes.get(row) else { continue };
            let code = code as usize;
            if self.per_ip.len() <= code {
                self.per_ip.resize(code + 1, (0, 0));
            }
            let short = durations
                && ds
                    .value(duration, row)
                    .is_some_and(|d| d.is_finite() && reference.is_short_session(d));
            if let Some(x) = self.per_ip.get_mut(code) {
                x.0 += 1;
                x.1 += usize::from(short);
            }
        }
    }

    /// Forgets the first `n` rows' scores (a window over a followed file dropped those rows):
    /// row `n` becomes row 0. At least one row's score is kept. The forest, medians, cut-offs
    /// and per-source session counts (which count every row so far) do not change.
    pub fn drop_front(&mut self, n: usize) -> Result<(), String> {
        let n = n.min(self.detection.scores.len().saturating_sub(1));
        if n == 0 {
            return Ok(());
        }
        let scores = self.detection.scores.split_off(n);
        self.detection.index = ScoreIndex::new(&scores).map_err(|e| e.to_string())?;
        self.detection.scores = scores;
        Ok(())
    }

    /// How many rows have scores (those fitted on, plus those scored since).
    pub fn scored_rows(&self) -> usize {
        self.detection.scores.len()
    }
}

#[cfg(test)]
mod tests {
    use crate::dataset::Dataset;
    use crate::detect::pipeline::{DetectParams, DetectionRun};

    fn demo(rows: usize) -> Dataset {
        let mut csv = Vec::new();
        crate::demo::write_demo(&mut csv, rows, 5).unwrap();
        crate::ingest::load_bytes("d.csv", &csv).unwrap()
    }

    #[test]
    fn appended_rows_score_as_the_fit_scored_them() {
        let ds = demo(800);
        let params = DetectParams::defaults_for(&ds);
        let full = DetectionRun::run(&ds, &params, &Default::default()).unwrap();
        // The same run, knowing only the first 300 rows' scores, then told of the rest.
        let mut part = full.clone();
        part.detection.scores.truncate(300);
        part.detection.index = crate::detect::ScoreIndex::new(&part.detection.scores).unwrap();
        let new = part.score_appended(&ds, &Default::default()).unwrap();
        assert_eq!(new, 300..800);
        assert_eq!(part.scores(), full.scores());
        assert_eq!(part.detection.index, full.detection.index);
        assert_eq!(part.scored_rows(), 800);
        // Nothing new: nothing scored.
        assert_eq!(
            part.score_appended(&ds, &Default::default()).unwrap(),
            800..800
        );
    }

    #[test]
    fn dropping_the_first_rows_keeps_the_later_scores() {
        let ds = demo(500);
        let params = DetectParams::defaults_for(&ds);
        let full = DetectionRun::run(&ds, &params, &Default::default()).unwrap();
        let mut run = full.clone();
        run.drop_front(200).unwrap();
        assert_eq!(run.scores(), &full.scores()[200..]);
        assert_eq!(run.detection.index.len(), 300);
        assert_eq!(
            run.detection.index,
            crate::detect::ScoreIndex::new(&full.scores()[200..]).unwrap()
        );
        run.drop_front(1000).unwrap();
        assert_eq!(run.scored_rows(), 1, "one row is always kept");
        assert_eq!(run.scores()[0], full.scores()[499]);
    }

    #[test]
    fn a_grown_dataset_keeps_the_fitted_scores_and_scores_the_new_rows() {
        let ds = demo(900);
        let first = ds.select_rows(&(0..400).collect::<Vec<_>>());
        let first = Dataset {
            origin: None,
            ..first
        };
        let params = DetectParams::defaults_for(&first);
        let mut run = DetectionRun::run(&first, &params, &Default::default()).unwrap();
        let fitted = run.scores().to_vec();
        run.score_appended(&ds, &Default::default()).unwrap();
        assert_eq!(run.scores()[..400], fitted[..]);
        assert_eq!(run.scores().len(), 900);
        assert!(run.scores().iter().all(|s| (0.0..=1.0).contains(s)));
        // Each new row's score is the forest's score of its features.
        for row in [400, 650, 899] {
            let x = run.row_values(&ds, row);
            let m = crate::detect::FeatureMatrix::new(
                run.feature_names.clone(),
                x.iter().map(|v| vec![*v]).collect(),
            )
            .unwrap();
            let s = run.detection.forest.score(&m, &Default::default()).unwrap();
            assert!((s[0] - run.scores()[row]).abs() < 1e-12, "row {row}");
        }
    }
}
