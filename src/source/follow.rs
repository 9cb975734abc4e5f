//! A followed file or folder as a growing dataset: what the explorer's `--follow` reads.
//!
//! A [`FollowFeed`] owns a [`Follower`], the [`BatchSchema`] planned from the first file's
//! header and records, an [`Appender`] holding the rows so far and, once the shell hands one
//! in ([`FollowFeed::adopt`]), a fitted [`DetectionRun`] that scores every appended row with
//! the same forest ([`DetectionRun::score_appended`]; nothing is refitted here). Row ids are
//! append order, so a row keeps its id while the file grows. [`FollowFeed::snapshot`] hands
//! out copies of the rows and scores so far; a snapshot answers every [`super::Source`] view
//! through [`Snapshot::source`], exactly as the same rows loaded whole would. A snapshot holds
//! its rows and run behind `Arc`s built here, so whoever takes one only swaps them in.
//!
//! A [`Window`] of rows or of arrival time ([`FollowFeed::trim`]) drops the oldest rows and
//! their scores once a fit is adopted; the counts stay exact: rows read so far, and the dropped
//! rows that scored above the explorer's cut ([`FollowFeed::set_cut`]). A row's id is then its
//! place among the rows kept; `dropped + id` is its place among every row read.
//!
//! What it cannot read (a binary file, a different header, a file gone, rejected rows) becomes
//! a note naming the file and the reason, and following goes on. Nothing here reads the clock
//! (the time is passed to [`FollowFeed::trim`]), sleeps, spawns a thread or touches a terminal:
//! the shell polls it and decides when to show what (`tui::follow`).

use super::local::LocalSource;
use crate::dataset::Dataset;
use crate::dataset::append::Appender;
use crate::detect::RunControl;
use crate::detect::pipeline::DetectionRun;
use crate::follow::score::Window;
use crate::follow::{Event, Follower, Header, Records};
use crate::ingest::batch::BatchSchema;
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Rejected rows described in notes; later ones are only counted.
const DESCRIBED_REJECTS: u64 = 20;

/// The rows so far (those in the window) and their scores, for the views.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub ds: Arc<Dataset>,
    /// The adopted run, scoring every row of `ds` (`None` before a fit).
    pub det: Option<Arc<DetectionRun>>,
    /// Which adopted fit `det` is (the number given to [`FollowFeed::adopt`]).
    pub fit: u64,
    /// Rows of `ds` the fit itself was fitted on (scores past them came from appends; 0 once
    /// the window has dropped them).
    pub fit_rows: usize,
    /// Rows read so far, kept or not.
    pub total: u64,
    /// Rows the window dropped from the front: row `r` of `ds` is row `dropped + r` read.
    pub dropped: u64,
    /// Dropped rows that scored above the cut in effect when they were dropped.
    pub dropped_flagged: u64,
}

impl Snapshot {
    /// The snapshot as a [`super::Source`].
    pub fn source(&self) -> LocalSource {
        LocalSource::new(self.ds.clone(), self.det.clone())
    }
}

/// The adopted run: its number, where its fitted rows end among every row read, the run.
type Adopted = (u64, u64, DetectionRun);

/// A followed path, growing.
pub struct FollowFeed {
    follower: Follower,
    expected: Option<Header>,
    schema: Option<BatchSchema>,
    grown: Option<Appender>,
    run: Option<Adopted>,
    files: HashSet<PathBuf>,
    rejects_described: u64,
    /// Rows or scores changed since the last snapshot.
    changed: bool,
    window: Window,
    /// (when, rows read by then) at each [`FollowFeed::trim`], for a time window.
    arrivals: VecDeque<(Duration, u64)>,
    dropped: u64,
    dropped_flagged: u64,
    cut: Option<f64>,
}

impl FollowFeed {
    /// Follows a file or a folder; an error says why the path cannot be followed.
    pub fn new(path: impl Into<PathBuf>) -> Result<FollowFeed, String> {
        let follower = Follower::new(path).map_err(|e| e.to_string())?;
        Ok(FollowFeed {
            follower,
            expected: None,
            schema: None,
            grown: None,
            run: None,
            files: HashSet::new(),
            rejects_described: 0,
            changed: false,
            window: Window::All,
            arrivals: VecDeque::new(),
            dropped: 0,
            dropped_flagged: 0,
            cut: None,
        })
    }

    /// Keeps only the rows of `window` (once a fit is adopted; see [`FollowFeed::trim`]).
    pub fn with_window(mut self, window: Window) -> FollowFeed {
        self.window = window;
        self
    }

    /// The score above which a dropped row is counted as flagged (`None`: not counted).
    pub fn set_cut(&mut self, cut: Option<f64>) {
        self.cut = cut;
    }

    pub fn root(&self) -> &Path {
        self.follower.root()
    }

    pub fn is_folder(&self) -> bool {
        self.follower.is_folder()
    }

    /// Rows read so far, kept or not.
    pub fn rows(&self) -> u64 {
        self.dropped + self.kept() as u64
    }

    /// Rows kept (all of them without a window).
    pub fn kept(&self) -> usize {
        self.grown.as_ref().map_or(0, |g| g.dataset().rows)
    }

    /// Whether rows or scores changed since the last snapshot.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Reads what every followed file holds now (a bounded amount); appends and scores it.
    /// Adds a note per problem ("file: reason"). Returns whether more bytes are waiting.
    pub fn poll(&mut self, notes: &mut Vec<String>) -> bool {
        let mut events = Vec::new();
        let expected = &self.expected;
        // Until a file's columns are planned any header is taken; then only that one.
        let mut accept = |_: &Path, h: &Header| match expected {
            Some(e) if e.bytes != h.bytes => Err(differs(h, e)),
            _ => Ok(()),
        };
        let more = self.follower.poll(&mut accept, &mut events);
        for event in events {
            let file = event.file().display().to_string();
            match event {
                Event::Records(r) => {
                    if let Err(reason) = self.take(&r) {
                        notes.push(note(&file, &reason));
                    }
                    self.describe_rejects(&file, notes);
                }
                Event::Notice { message, .. } => notes.push(note(&file, &message)),
                Event::Problem { reason, .. } => notes.push(note(&file, &reason)),
            }
        }
        if let Err(e) = self.score() {
            notes.push(note(&self.root().display().to_string(), &e));
        }
        more
    }

    /// Parses and appends one batch; `Err` says why its file was not read.
    fn take(&mut self, r: &Records) -> Result<(), String> {
        match &self.expected {
            Some(e) if e.bytes != r.header.bytes => {
                self.follower.close(&r.file);
                return Err(differs(&r.header, e));
            }
            Some(_) => {}
            None => {
                let name = r.file.display().to_string();
                match BatchSchema::new(&name, &r.header.bytes, &r.bytes) {
                    Ok(s) => {
                        self.schema = Some(s);
                        self.expected = Some((*r.header).clone());
                    }
                    Err(e) => {
                        self.follower.close(&r.file);
                        let e = e.to_string();
                        let e = e.strip_prefix(&format!("{name}: ")).unwrap_or(&e);
                        return Err(format!("{e}: skipped"));
                    }
                }
            }
        }
        let Some(schema) = &self.schema else {
            return Ok(());
        };
        let batch = schema.parse(&r.file.display().to_string(), &r.bytes, r.first_line);
        self.files.insert(r.file.clone());
        match &mut self.grown {
            Some(g) => {
                g.append(&batch).map_err(|e| e.to_string())?;
            }
            None => {
                let mut batch = batch;
                batch.source = self.follower.root().display().to_string();
                self.grown = Some(Appender::new(batch));
            }
        }
        self.changed = true;
        Ok(())
    }

    /// Notes the rejects not yet described (the first [`DESCRIBED_REJECTS`] of them).
    fn describe_rejects(&mut self, file: &str, notes: &mut Vec<String>) {
        let Some(g) = &self.grown else { return };
        let rejects = &g.dataset().rejects;
        while self.rejects_described < rejects.total.min(DESCRIBED_REJECTS + 1) {
            let k = self.rejects_described as usize;
            notes.push(match rejects.details.get(k) {
                Some(r) if k < DESCRIBED_REJECTS as usize => note(
                    file,
                    &format!("{} (row not read)", crate::ingest::describe_reject(r)),
                ),
                _ => note(file, "further rejected rows are counted, not described"),
            });
            self.rejects_described += 1;
        }
    }

    /// Scores the rows appended since the adopted run last scored.
    fn score(&mut self) -> Result<(), String> {
        let (Some(g), Some((_, _, run))) = (&self.grown, &mut self.run) else {
            return Ok(());
        };
        let new = run.score_appended(g.dataset(), &RunControl::default())?;
        if !new.is_empty() {
            self.changed = true;
        }
        Ok(())
    }

    /// Takes a run fitted on (a prefix of) the rows so far, numbered `fit` by the caller, and
    /// scores the rows it has not seen. `from` is where its rows start among every row read
    /// (the snapshot's `dropped` it was fitted on): rows the window dropped since lose their
    /// scores. An error leaves the previous run in place.
    pub fn adopt(&mut self, fit: u64, mut run: DetectionRun, from: u64) -> Result<(), String> {
        let end = from + run.scored_rows() as u64;
        if from > self.dropped {
            return Err(format!(
                "the model was fitted on rows from row {from} on, but the window holds rows from row {} on",
                self.dropped
            ));
        }
        if end > self.rows() {
            return Err(format!(
                "the model was fitted on {} rows but only {} were read",
                run.scored_rows(),
                self.rows()
            ));
        }
        match (self.dropped - from) as usize {
            0 => {}
            gone if gone >= run.scored_rows() => run.detection.scores.clear(),
            gone => run.drop_front(gone)?,
        }
        let previous = self.run.replace((fit, end, run));
        if let Err(e) = self.score() {
            self.run = previous;
            return Err(e);
        }
        self.changed = true;
        Ok(())
    }

    /// Drops the rows the window no longer holds (only once a run is adopted, so every row is
    /// scored first). `now` is the time since following began; `exact` trims to the window,
    /// otherwise only once it holds twice the window (bounding memory between snapshots).
    pub fn trim(&mut self, now: Duration, exact: bool) -> Result<(), String> {
        let total = self.rows();
        if self.arrivals.back().is_none_or(|a| a.1 != total) {
            self.arrivals.push_back((now, total));
        }
        let (Some(g), Some((_, _, run))) = (&mut self.grown, &mut self.run) else {
            return Ok(());
        };
        let kept = g.dataset().rows;
        let old = match self.window {
            Window::All => 0,
            Window::Rows(n) => kept.saturating_sub(n),
            Window::Time(d) => {
                let before = self.arrivals.iter().take_while(|a| a.0 + d < now).last();
                before.map_or(0, |a| a.1.saturating_sub(self.dropped) as usize)
            }
        };
        let drop = old.min(run.scored_rows().saturating_sub(1));
        if drop == 0 || !exact && drop * 2 < kept {
            return Ok(());
        }
        if let Some(cut) = self.cut {
            let flagged = run.scores()[..drop].iter().filter(|&&s| s > cut).count();
            self.dropped_flagged += flagged as u64;
        }
        run.drop_front(drop)?;
        g.drop_front(drop);
        self.dropped += drop as u64;
        while self.arrivals.len() > 1 && self.arrivals[1].1 <= self.dropped {
            self.arrivals.pop_front();
        }
        self.changed = true;
        Ok(())
    }

    /// A copy of the rows (in the window) and scores so far; clears [`FollowFeed::changed`].
    /// `None` until the first rows are read.
    pub fn snapshot(&mut self) -> Option<Snapshot> {
        let g = self.grown.as_ref()?;
        self.changed = false;
        let mut ds = g.dataset().clone();
        ds.facts.files = self.files.len() as u64;
        let (fit, fit_rows, det) = match &self.run {
            Some((fit, end, run)) => (
                *fit,
                end.saturating_sub(self.dropped) as usize,
                Some(Arc::new(run.clone())),
            ),
            None => (0, 0, None),
        };
        Some(Snapshot {
            ds: Arc::new(ds),
            det,
            fit,
            fit_rows,
            total: self.rows(),
            dropped: self.dropped,
            dropped_flagged: self.dropped_flagged,
        })
    }
}

fn note(file: &str, reason: &str) -> String {
    format!("{file}: {reason}")
}

fn differs(h: &Header, expected: &Header) -> String {
    format!(
        "its header '{}' differs from the one being followed ('{}'): skipped",
        shorten(&h.bytes),
        shorten(&expected.bytes)
    )
}

/// A header as quoted in a message: its first 60 characters.
fn shorten(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header);
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
