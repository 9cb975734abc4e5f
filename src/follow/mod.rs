//! Following live logs: a growing file, or a folder that a log shipper keeps filling.
//!
//! [`tail::FileTail`] is the state machine of one path (which file it names, how far it was
//! read, its header, the partial last line): it hands on complete records only, notices
//! rotation by rename, truncation and copytruncate, reads a gzip file once it is complete, and
//! reports what it cannot read (a binary file, a different header, a file gone) as an
//! [`Event::Problem`] and goes on. [`Follower`] runs one tail per file of a folder (new files
//! are picked up as they appear; a file renamed inside the folder keeps its place). [`watch`]
//! wakes the caller when the file system changes (the `notify` crate, with a polling fallback).
//! [`score::Scorer`] turns records into rows and scores them with a forest fitted at the start
//! or on a warm-up, keeping only the rows a refit needs.
//!
//! Nothing here reads the clock or sleeps: the caller polls and passes the time in, so the tests
//! drive every step. Nothing here prints or touches a terminal; the shells decide what to show.
//! Records are handed on as bytes with their file's header so a parser chosen by the content
//! (today the CSV schema of `ingest`) turns them into rows.
//!
//! Limits: a rotated file that is compressed under a new name (`app.log.1` → `app.log.2.gz`)
//! in a followed folder is a new file to it and is read again; file identity (device, inode) is
//! only known on Unix, elsewhere a rename is seen as a new file.

//! # As a `Source` for the explorer (a sketch, not built yet)
//!
//! Branch `arch` defines `source::Source` (views answered with plain values, a `version()` that
//! grows when the data changes). A followed path would implement it as a `FollowSource`:
//!
//! - A worker thread owns the [`Follower`] and a [`score::Scorer`]: it waits on [`watch`] (or
//!   [`watch::POLL_INTERVAL`]), polls, parses each [`Records`] batch with the scorer's
//!   `BatchSchema` and appends the batch's columns to an in-memory dataset behind an `RwLock`
//!   (append-only, so a `RowId` is append order and never changes), with each batch's scores
//!   appended to the score vector; then it bumps an `AtomicU64` version. Notices and problems
//!   go to a queue the shell drains into the status line (file and reason).
//! - `records`, `summary`, `timeline`, `ranking`, `anomalies` and `detail` take the read lock
//!   and answer exactly as the in-memory `LocalSource` does over the rows so far; the same
//!   views asked of both after the same appends must agree (the test to write first).
//!   Anomalies use the fitted cut ([`score::Model::threshold`]) for new rows, so the list only
//!   grows between refits; `SourceInfo::model_rows` is [`score::Model::rows`].
//! - `R` (refit) is [`score::Scorer`]'s fit on the kept rows, run on the worker; `p` (pause)
//!   stops polling, nothing else; `--window` drops the oldest appended blocks from the views
//!   while [`score::Counts`] stay exact.
//! - What is missing for this: appending columns to a `Dataset` (today one is built whole) and
//!   keeping interned text codes stable across batches, both in `dataset`/`ingest`.

pub mod folder;
mod lines;
pub mod score;

pub mod tail;
pub mod watch;

pub use folder::Follower;
use std::path::PathBuf;
use std::sync::Arc;

/// The header record of a followed file, without its line end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub bytes: Vec<u8>,
    pub delimiter: u8,
}

/// Complete records read from one file.
#[derive(Debug, Clone)]
pub struct Records {
    pub file: PathBuf,
    pub header: Arc<Header>,
    /// The 1-based file line the first record starts on.
    pub first_line: u64,
    /// Whole records, each ended by a line end.
    pub bytes: Vec<u8>,
    /// These are the first records of this file (a new file, or one that was rotated in or
    /// truncated): row numbers start again.
    pub fresh: bool,
}

/// What a poll found.
#[derive(Debug, Clone)]
pub enum Event {
    Records(Records),
    /// Something worth saying that loses nothing (a rotation, a truncation).
    Notice {
        file: PathBuf,
        message: String,
    },
    /// Something that was not read, and why; following goes on.
    Problem {
        file: PathBuf,
        reason: String,
    },
}

impl Event {
    /// The file the event is about.
    pub fn file(&self) -> &std::path::Path {
        match self {
            Event::Records(r) => &r.file,
            Event::Notice { file, .. } | Event::Problem { file, .. } => file,
        }
    }
}

/// Decides whether a file's header can be followed: `Err(reason)` refuses the file.
pub type Accept<'a> = dyn FnMut(&std::path::Path, &Header) -> Result<(), String> + 'a;
