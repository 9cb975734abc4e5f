//! One followed path: which file it names now, how far that file was read, its header and the
//! unfinished last record.
//!
//! States: `Absent` (nothing there yet, or it went away) → `Open` (a regular file being read;
//! its identity is the device and inode) → back to `Absent` when it is removed or renamed away,
//! or straight to a new `Open` when another file takes the name (rotation by rename). A file
//! that shrinks, or whose bytes before the read offset changed, was truncated or rewritten in
//! place (copytruncate): it is read again from its start, and a first line equal to the header
//! is the header written again. A gzip file is read once it decodes completely (`Incomplete`
//! until then) and then `Closed`, like a refused file (binary, no header, a header the caller
//! refuses): `Closed` reads nothing more until another file takes the name or it shrinks.
//!
//! Only complete records are handed on; a partial last record waits for its line end, except
//! at the end of a file rotated or removed, whose last record is complete by then. A file that
//! is renamed away is read to its end through the open handle first, so nothing is skipped.
//! This module reads files only when polled, never sleeps, and never panics on input.

use super::Accept;
use super::Event;
use super::lines::{Lines, Refused};
use crate::ingest::io_cause;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Most bytes read from one file per poll, so one busy file cannot starve the others.
pub const POLL_BYTES: usize = 8 * 1024 * 1024;
/// Bytes before the read offset remembered to notice a file rewritten in place.
const MARK_BYTES: usize = 64;

/// Which file a path names: device and inode (Unix), nothing elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

/// The identity of the file behind `meta`.
pub fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// A plain file being read.
struct Open {
    file: File,
    id: Option<FileId>,
    /// Where the next read starts.
    offset: u64,
    /// The last bytes before `offset`, to notice the file being rewritten in place.
    mark: Vec<u8>,
    lines: Lines,
}

enum State {
    Absent,
    Open(Box<Open>),
    /// A gzip file that does not decode completely yet: tried again when its size changes.
    Incomplete {
        id: Option<FileId>,
        len: u64,
    },
    /// Read for good, or refused.
    Closed {
        id: Option<FileId>,
        len: u64,
    },
}

/// One followed path.
pub struct FileTail {
    path: PathBuf,
    state: State,
    /// The last I/O problem reported, so a lasting one is said once.
    last_problem: Option<String>,
}

impl FileTail {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTail {
            path: path.into(),
            state: State::Absent,
            last_problem: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The identity of the file being read (or last read), if any.
    pub fn id(&self) -> Option<FileId> {
        match &self.state {
            State::Absent => None,
            State::Open(o) => o.id,
            State::Incomplete { id, .. } | State::Closed { id, .. } => *id,
        }
    }

    /// Follows the same file under a new name (it was renamed inside a followed folder).
    pub fn rename(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// Stops reading the file the path names now (the caller cannot use its records); another
    /// file taking the name is read again.
    pub fn close(&mut self) {
        if let State::Open(o) = &self.state {
            self.state = State::Closed {
                id: o.id,
                len: o.offset,
            };
        }
    }

    /// Reads what is new; returns `true` when more bytes are waiting (poll again at once).
    pub fn poll(&mut self, accept: &mut Accept<'_>, out: &mut Vec<Event>) -> bool {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) if m.is_file() => Some(m),
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.problem(out, format!("cannot read: {}", io_cause(&e)));
                return false;
            }
        };
        let state = std::mem::replace(&mut self.state, State::Absent);
        let (state, more) = match (state, meta) {
            (State::Open(mut o), None) => {
                self.finish(&mut o, accept, out);
                self.notice(out, "was removed or renamed away: read to its end; following whatever file takes its name next".into());
                (State::Absent, false)
            }
            (State::Open(mut o), Some(m)) if file_id(&m) != o.id => {
                self.finish(&mut o, accept, out);
                self.notice(out, "was rotated (another file took its name): the old file was read to its end, the new one is read from its start".into());
                self.open(accept, out)
            }
            (State::Open(mut o), Some(m)) => {
                if m.len() < o.offset || o.rewritten() {
                    let dropped = o.lines.pending.len();
                    o.restart();
                    let lost = if dropped > 0 {
                        format!(" (an unfinished last line of {dropped} bytes went with it)")
                    } else {
                        String::new()
                    };
                    self.notice(
                        out,
                        format!(
                            "was truncated or rewritten in place{lost}: read again from its start"
                        ),
                    );
                }
                self.read(o, accept, out)
            }
            (State::Incomplete { .. }, None) => {
                self.problem(
                    out,
                    "was removed before it was complete: nothing of it was read".into(),
                );
                (State::Absent, false)
            }
            (State::Closed { .. } | State::Absent, None) => (State::Absent, false),
            (State::Incomplete { id, len }, Some(m)) if file_id(&m) == id && m.len() == len => {
                (State::Incomplete { id, len }, false)
            }
            (State::Closed { id, len }, Some(m)) if file_id(&m) == id && m.len() >= len => {
                (State::Closed { id, len }, false)
            }
            (_, Some(_)) => self.open(accept, out),
        };
        self.state = state;
        more
    }

    fn notice(&self, out: &mut Vec<Event>, message: String) {
        out.push(Event::Notice {
            file: self.path.clone(),
            message,
        });
    }

    fn problem(&mut self, out: &mut Vec<Event>, reason: String) {
        if self.last_problem.as_deref() != Some(reason.as_str()) {
            out.push(Event::Problem {
                file: self.path.clone(),
                reason: reason.clone(),
            });
            self.last_problem = Some(reason);
        }
    }

    /// Opens the file the path names now and reads from its start.
    fn open(&mut self, accept: &mut Accept<'_>, out: &mut Vec<Event>) -> (State, bool) {
        let opened = File::open(&self.path).and_then(|f| f.metadata().map(|m| (f, m)));
        let (mut file, meta) = match opened {
            Ok(x) => x,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (State::Absent, false),
            Err(e) => {
                self.problem(out, format!("cannot read: {}", io_cause(&e)));
                return (State::Absent, false);
            }
        };
        let id = file_id(&meta);
        let mut magic = [0u8; 2];
        let is_gzip = matches!(file.read(&mut magic), Ok(2)) && magic == [0x1f, 0x8b];
        if is_gzip {
            return (self.read_gzip(file, id, meta.len(), accept, out), false);
        }
        let o = Open {
            file,
            id,
            offset: 0,
            mark: Vec::new(),
            lines: Lines::new(),
        };
        self.last_problem = None;
        self.read(Box::new(o), accept, out)
    }

    /// Decodes a whole gzip file: its records, once it is complete.
    fn read_gzip(
        &mut self,
        mut file: File,
        id: Option<FileId>,
        len: u64,
        accept: &mut Accept<'_>,
        out: &mut Vec<Event>,
    ) -> State {
        let mut text = Vec::new();
        let decoded = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| flate2::read::MultiGzDecoder::new(file).read_to_end(&mut text));
        match decoded {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                State::Incomplete { id, len }
            }
            Err(e) => {
                self.problem(
                    out,
                    format!("is not a readable gzip file ({}): skipped", io_cause(&e)),
                );
                State::Closed { id, len }
            }
            Ok(_) => {
                let _ = Lines::new().feed(&self.path, &text, true, accept, out);
                self.last_problem = None;
                State::Closed { id, len }
            }
        }
    }

    /// Reads up to [`POLL_BYTES`] new bytes of an open file.
    fn read(
        &mut self,
        mut o: Box<Open>,
        accept: &mut Accept<'_>,
        out: &mut Vec<Event>,
    ) -> (State, bool) {
        match o.read_new(POLL_BYTES) {
            // A gzip file that was still empty when it was opened.
            Ok(data)
                if o.lines.header.is_none()
                    && o.lines.pending.is_empty()
                    && o.offset == data.len() as u64
                    && data.starts_with(&[0x1f, 0x8b]) =>
            {
                let len = o.offset;
                (self.read_gzip(o.file, o.id, len, accept, out), false)
            }
            Ok(data) => {
                let more = data.len() == POLL_BYTES;
                match o.lines.feed(&self.path, &data, false, accept, out) {
                    Ok(()) => (State::Open(o), more),
                    Err(Refused) => (
                        State::Closed {
                            id: o.id,
                            len: o.offset,
                        },
                        false,
                    ),
                }
            }
            Err(e) => {
                self.problem(out, format!("cannot read: {}", io_cause(&e)));
                (State::Open(o), false)
            }
        }
    }

    /// Reads an open file to its end for good (it was renamed away or replaced).
    fn finish(&mut self, o: &mut Open, accept: &mut Accept<'_>, out: &mut Vec<Event>) {
        let mut data = Vec::new();
        loop {
            match o.read_new(POLL_BYTES) {
                Ok(part) if part.is_empty() => break,
                Ok(part) => data.extend_from_slice(&part),
                Err(e) => {
                    self.problem(out, format!("cannot read to its end: {}", io_cause(&e)));
                    break;
                }
            }
        }
        if o.lines.header.is_some() || !data.is_empty() {
            let _ = o.lines.feed(&self.path, &data, true, accept, out);
        }
    }
}

impl Open {
    /// Up to `limit` bytes from `offset` on, remembering the last of them in `mark`.
    fn read_new(&mut self, limit: usize) -> std::io::Result<Vec<u8>> {
        self.file.seek(SeekFrom::Start(self.offset))?;
        let mut data = Vec::new();
        (&mut self.file).take(limit as u64).read_to_end(&mut data)?;
        self.offset += data.len() as u64;
        self.mark.extend_from_slice(&data);
        let extra = self.mark.len().saturating_sub(MARK_BYTES);
        self.mark.drain(..extra);
        Ok(data)
    }

    /// Whether the bytes just before `offset` are no longer those read there.
    fn rewritten(&mut self) -> bool {
        if self.mark.is_empty() {
            return false;
        }
        let at = self.offset - self.mark.len() as u64;
        let mut now = vec![0u8; self.mark.len()];
        let read = self
            .file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.read_exact(&mut now));
        read.is_err() || now != self.mark
    }

    /// Starts again from the start of the same file (it was truncated).
    fn restart(&mut self) {
        let header = self.lines.header.clone();
        self.offset = 0;
        self.mark.clear();
        self.lines = Lines::new();
        self.lines.recheck_header = header.is_some();
        self.lines.header = header;
    }
}

#[cfg(test)]
#[path = "tail_tests.rs"]
mod tests;
