//! A followed file or folder as a growing dataset: what the explorer's `--follow` reads.
//!
//! A [`FollowFeed`] owns a [`Follower`], the [`BatchSchema`] planned from the first file's
//! header and records, an [`Appender`] holding the rows so far and, once the shell hands one
//! in ([`FollowFeed::adopt`]), a fitted [`DetectionRun`] that scores every appended row with
//! the same forest ([`DetectionRun::score_appended`]; nothing is refitted here). Row ids are
//! append order, so a row keeps its id while the file grows. [`FollowFeed::snapshot`] hands
//! out copies of the rows and scores so far; a snapshot answers every [`super::Source`] view
//! through [`Snapshot::source`], exactly as the same rows loaded whole would.
//!
//! What it cannot read (a binary file, a different header, a file gone, rejected rows) becomes
//! a note naming the file and the reason, and following goes on. Nothing here reads the clock,
//! sleeps, spawns a thread or touches a terminal: the shell polls it and decides when to show
//! what (`tui::follow`).

use super::local::LocalSource;
use crate::dataset::Dataset;
use crate::dataset::append::Appender;
use crate::detect::RunControl;
use crate::detect::pipeline::DetectionRun;
use crate::follow::{Event, Follower, Header, Records};
use crate::ingest::batch::BatchSchema;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rejected rows described in notes; later ones are only counted.
const DESCRIBED_REJECTS: u64 = 20;

/// The rows so far and their scores, for the views.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub ds: Dataset,
    /// The adopted run, scoring every row of `ds` (`None` before a fit).
    pub det: Option<DetectionRun>,
    /// Which adopted fit `det` is (the number given to [`FollowFeed::adopt`]).
    pub fit: u64,
    /// Rows the fit itself was fitted on (scores past them came from appends).
    pub fit_rows: usize,
}

impl Snapshot {
    /// The snapshot as a [`super::Source`].
    pub fn source(&self) -> LocalSource {
        LocalSource::new(Arc::new(self.ds.clone()), self.det.clone().map(Arc::new))
    }
}

/// A followed path, growing.
pub struct FollowFeed {
    follower: Follower,
    expected: Option<Header>,
    schema: Option<BatchSchema>,
    grown: Option<Appender>,
    run: Option<(u64, usize, DetectionRun)>,
    files: HashSet<PathBuf>,
    rejects_described: u64,
    /// Rows or scores changed since the last snapshot.
    changed: bool,
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
        })
    }

    pub fn root(&self) -> &Path {
        self.follower.root()
    }

    pub fn is_folder(&self) -> bool {
        self.follower.is_folder()
    }

    /// Rows read so far.
    pub fn rows(&self) -> usize {
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
    /// scores the rows it has not seen. An error leaves the previous run in place.
    pub fn adopt(&mut self, fit: u64, run: DetectionRun) -> Result<(), String> {
        let rows = run.scored_rows();
        if rows > self.rows() {
            return Err(format!(
                "the model was fitted on {rows} rows but only {} were read",
                self.rows()
            ));
        }
        let previous = self.run.replace((fit, rows, run));
        if let Err(e) = self.score() {
            self.run = previous;
            return Err(e);
        }
        self.changed = true;
        Ok(())
    }

    /// A copy of the rows and scores so far; clears [`FollowFeed::changed`]. `None` until
    /// the first rows are read.
    pub fn snapshot(&mut self) -> Option<Snapshot> {
        let g = self.grown.as_ref()?;
        self.changed = false;
        let mut ds = g.dataset().clone();
        ds.facts.files = self.files.len() as u64;
        let (fit, fit_rows, det) = match &self.run {
            Some((fit, rows, run)) => (*fit, *rows, Some(run.clone())),
            None => (0, 0, None),
        };
        Some(Snapshot {
            ds,
            det,
            fit,
            fit_rows,
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
