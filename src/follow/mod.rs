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
