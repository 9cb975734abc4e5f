//! Splitting one file's bytes into its header and complete records.
//!
//! Fed the bytes of a file in order, [`Lines`] finds the header record (refusing binary data, a
//! first line with no end in sight, or a header the caller refuses), then hands on complete
//! records only, keeping the start of an unfinished one until its line end arrives (or the
//! file ends for good). Quoted line ends stay inside their record, as the CSV parser reads
//! them; a record over the length limit is reported and skipped to its end. It reads no file.

use super::{Accept, Event, Header, Records};
use crate::ingest::{chunk, count_lf, leading_line_ends};
use std::path::Path;
use std::sync::Arc;

/// Longest header or record accepted.
pub(super) const MAX_LINE: usize = crate::ingest::builder::MAX_RECORD_BYTES;

/// The record-splitting state of one file's bytes, independent of where they come from.
#[derive(Debug, Default)]
pub(super) struct Lines {
    /// Bytes not handed on yet: the start of an unfinished record.
    pub(super) pending: Vec<u8>,
    /// The 1-based line `pending` starts on.
    pub(super) line: u64,
    pub(super) header: Option<Arc<Header>>,
    /// After a truncation: a first record equal to the header is the header written again.
    pub(super) recheck_header: bool,
    /// No records handed on yet from this file.
    pub(super) fresh: bool,
    /// Inside a record over the length limit: dropped up to its line end.
    pub(super) skipping: bool,
}

/// The file was refused (and that was reported): read nothing more from it.
pub(super) struct Refused;

impl Lines {
    pub(super) fn new() -> Self {
        Lines {
            line: 1,
            fresh: true,
            ..Lines::default()
        }
    }

    /// Takes in bytes read from `path`; `at_end` when the file is finished for good.
    pub(super) fn feed(
        &mut self,
        path: &Path,
        data: &[u8],
        at_end: bool,
        accept: &mut Accept<'_>,
        out: &mut Vec<Event>,
    ) -> Result<(), Refused> {
        self.pending.extend_from_slice(data);
        if self.skipping && !self.skip_overlong() {
            return Ok(());
        }
        let header = match self.header.clone() {
            Some(h) => h,
            None => match self.take_header(path, at_end, accept, out)? {
                Some(h) => h,
                None => return Ok(()),
            },
        };
        if self.recheck_header {
            match chunk::first_record_end(&self.pending, header.delimiter) {
                Some(end) => {
                    if trim_line_end(self.pending.get(..end).unwrap_or(&[])) == header.bytes {
                        self.consume(end);
                    }
                    self.recheck_header = false;
                }
                None if at_end => self.recheck_header = false,
                None => return Ok(()),
            }
        }
        self.emit(path, &header, at_end, out);
        Ok(())
    }

    /// Drops the start of `pending` up to the end of an overlong record; `false` while its end
    /// has not been read yet.
    fn skip_overlong(&mut self) -> bool {
        match memchr::memchr(b'\n', &self.pending) {
            Some(i) => {
                self.consume(i + 1);
                self.skipping = false;
                true
            }
            None => {
                self.pending.clear();
                false
            }
        }
    }

    /// Reads the header record once it is complete; `None` while it is not.
    fn take_header(
        &mut self,
        path: &Path,
        at_end: bool,
        accept: &mut Accept<'_>,
        out: &mut Vec<Event>,
    ) -> Result<Option<Arc<Header>>, Refused> {
        let lead = leading_line_ends(&self.pending);
        self.consume(lead);
        let refuse = |out: &mut Vec<Event>, reason: String| {
            out.push(Event::Problem {
                file: path.to_path_buf(),
                reason,
            });
            Refused
        };
        let head = self
            .pending
            .get(..self.pending.len().min(64 * 1024))
            .unwrap_or(&[]);
        if head.contains(&0) {
            return Err(refuse(
                out,
                "binary data (NUL bytes), not a text log: skipped".into(),
            ));
        }
        let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let delimiter = chunk::sniff_delimiter(first);
        let end = match chunk::first_record_end(&self.pending, delimiter) {
            Some(end) => end,
            None if at_end && !self.pending.is_empty() => self.pending.len(),
            None if self.pending.len() > MAX_LINE => {
                return Err(refuse(
                    out,
                    "no line end in the first 1 MiB: not a line-based log: skipped".into(),
                ));
            }
            None => return Ok(None),
        };
        let bytes = trim_line_end(self.pending.get(..end).unwrap_or(&[])).to_vec();
        let controls = bytes.iter().filter(|&&b| b < 0x20 && b != b'\t').count();
        if controls > 16 || controls * 8 > bytes.len() {
            return Err(refuse(
                out,
                format!(
                    "binary data ({controls} control bytes in the first line), not a text log: skipped"
                ),
            ));
        }
        let header = Arc::new(Header { bytes, delimiter });
        if let Err(reason) = accept(path, &header) {
            return Err(refuse(out, reason));
        }
        // The LF of a CRLF header belongs to it.
        let end = end + usize::from(self.pending.get(end - 1..=end) == Some(b"\r\n".as_slice()));
        self.consume(end);
        self.header = Some(header.clone());
        Ok(Some(header))
    }

    /// Hands on the complete records in `pending` (all of it at the end of the file).
    fn emit(&mut self, path: &Path, header: &Arc<Header>, at_end: bool, out: &mut Vec<Event>) {
        let end = if at_end {
            self.pending.len()
        } else {
            match chunk::split_points(&self.pending, header.delimiter, usize::MAX, false).last() {
                Some(&end) => end,
                None => {
                    if self.pending.len() > MAX_LINE {
                        out.push(Event::Problem {
                            file: path.to_path_buf(),
                            reason: format!(
                                "line {}: a record over the 1 MiB limit was skipped",
                                self.line
                            ),
                        });
                        self.pending.clear();
                        self.skipping = true;
                    }
                    return;
                }
            }
        };
        let mut bytes: Vec<u8> = self.pending.drain(..end).collect();
        let first_line = self.line;
        self.line += count_lf(&bytes);
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            return;
        }
        if !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r") {
            bytes.push(b'\n');
        }
        out.push(Event::Records(Records {
            file: path.to_path_buf(),
            header: header.clone(),
            first_line,
            bytes,
            fresh: std::mem::take(&mut self.fresh),
        }));
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.pending.len());
        self.line += count_lf(self.pending.get(..n).unwrap_or(&[]));
        self.pending.drain(..n);
    }
}

fn trim_line_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|c| matches!(c, b'\r' | b'\n'))
        .count();
    b.get(..b.len() - n).unwrap_or(b)
}
