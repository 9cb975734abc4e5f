//! Reading the header and planning the columns.
//!
//! The header is the first record after any blank lines; its delimiter is
//! sniffed, a binary first line is refused, and names are made unique. Columns
//! without a role are typed from a sample of rows. Part of the loader: it only
//! reads the loader's buffer, never the terminal, and never panics on input.

use super::{INFER_ROWS, IngestError, Loader, builder, chunk, count_lf, fields, leading_line_ends};
use crate::dataset::Role;
use crate::dataset::schema::{self, RoleType};
use builder::ColPlan;

impl Loader<'_> {
    /// Reads the header (the first record after any blank lines): the column
    /// names, the delimiter, and the line the first data record can start on.
    pub(super) fn header(&mut self) -> Result<(Vec<String>, u8, u64), IngestError> {
        let path = self.name.clone();
        // Blank lines before the header are skipped, as CSV skips them between records.
        let mut blank_lines = 0;
        loop {
            self.fill(64 * 1024)?;
            let lead = leading_line_ends(&self.buf);
            blank_lines += count_lf(self.buf.get(..lead).unwrap_or(&[]));
            self.consume(lead);
            if !self.buf.is_empty() || self.eof {
                break;
            }
        }
        if self.buf.iter().all(|b| b.is_ascii_whitespace()) && self.eof {
            return Err(IngestError::Empty { path });
        }
        let header_end = loop {
            let delim = chunk::sniff_delimiter(first_line(&self.buf));
            if let Some(end) = chunk::first_record_end(&self.buf, delim) {
                break end;
            }
            if self.eof && self.truncated {
                return Err(IngestError::Unreadable {
                    path,
                    cause: "the data ends early, inside the header line (truncated file?)".into(),
                });
            }
            if self.eof {
                break self.buf.len();
            }
            if self.buf.len() >= builder::MAX_RECORD_BYTES {
                return Err(IngestError::NotCsv {
                    path,
                    reason: "the first line is over 1 MiB long; a CSV header is expected".into(),
                });
            }
            let want = self.buf.len() * 2;
            self.fill(want)?;
        };
        let header_bytes = self.buf.get(..header_end).unwrap_or(&[]).to_vec();
        check_text(&header_bytes).map_err(|reason| IngestError::NotCsv {
            path: path.clone(),
            reason,
        })?;
        // A flow-log header (space-separated field names) is recognised by its names.
        self.flow = super::flowlog::is_header(first_line(&header_bytes));
        let delimiter = if self.flow {
            b' '
        } else {
            chunk::sniff_delimiter(first_line(&header_bytes))
        };
        let mut headers = parse_header(&header_bytes, delimiter);
        let renamed = unique_names(&mut headers);
        self.notes.extend(renamed);
        let mut header_lines = count_lf(&header_bytes);
        self.consume(header_end);
        // The scanner ends a CRLF header after its CR: its LF belongs to the header too.
        if header_bytes.ends_with(b"\r") {
            self.fill(1)?;
            if self.buf.first() == Some(&b'\n') {
                self.consume(1);
                header_lines += 1;
            }
        }
        Ok((headers, delimiter, 1 + blank_lines + header_lines.max(1)))
    }

    pub(super) fn plan(
        &mut self,
        headers: &[String],
        delimiter: u8,
    ) -> Result<Vec<ColPlan>, IngestError> {
        let roles = schema::assign_roles(headers);
        // The sample grows with the buffer until it holds its rows (or a whole block, or the input).
        let numeric = loop {
            let (numeric, settled) = infer_numeric(&self.buf, delimiter, headers.len(), self.flow);
            if settled || self.eof || self.buf.len() >= super::BLOCK_BYTES {
                break numeric;
            }
            let want = (self.buf.len() * 2).min(super::BLOCK_BYTES);
            self.fill(want)?;
        };
        let plan: Vec<ColPlan> = headers
            .iter()
            .zip(roles)
            .enumerate()
            .map(|(i, (name, role))| ColPlan {
                name: name.clone(),
                role,
                kind: match role {
                    Some(r) => r.storage(),
                    // A flow log's format version is a label, not a quantity.
                    None if self.flow && name.eq_ignore_ascii_case("version") => RoleType::Text,
                    None if numeric.get(i).copied().unwrap_or(false) => RoleType::Float,
                    None => RoleType::Text,
                },
                dash_missing: self.flow,
            })
            .collect();
        let usable = plan.iter().any(|p| {
            p.role.is_some_and(|r| r != Role::Label)
                || (p.role.is_none() && p.kind == RoleType::Float)
        });
        if !usable {
            if self.buf.is_empty() && self.eof {
                return Err(IngestError::HeaderOnly {
                    path: self.name.clone(),
                });
            }
            let shown: Vec<String> = headers
                .iter()
                .take(8)
                .map(|h| crate::sanitize::inert(h).into_owned())
                .collect();
            return Err(IngestError::NoUsableColumn {
                path: self.name.clone(),
                header: format!("'{}'", shown.join(",")),
            });
        }
        Ok(plan)
    }
}

fn first_line(buf: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'\n', buf).unwrap_or(buf.len());
    buf.get(..end).unwrap_or(&[])
}

/// Rejects binary input early: NUL bytes or many control bytes in the header.
/// A few control bytes are text, not binary: an escape sequence planted in a
/// column name loads, and is shown escaped like any other attacker text.
fn check_text(header: &[u8]) -> Result<(), String> {
    if header.contains(&0) {
        return Err("binary data: NUL bytes in the first line".into());
    }
    let controls = header
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    if controls > 16 || controls * 8 > header.len() {
        return Err(format!(
            "binary data: {controls} control bytes in the first line"
        ));
    }
    if std::str::from_utf8(header).is_err() {
        let high = header.iter().filter(|&&b| b >= 0x80).count();
        if high * 4 > header.len() {
            return Err("binary data: the first line is not text".into());
        }
    }
    Ok(())
}

/// Makes header names unique as the schema compares them (case and `-_. `
/// folded): a later `x` becomes `x.1` (then `x.2`, …, as pandas names them),
/// so every column keeps a name of its own; the first keeps the name and its
/// role. Returns a note per renamed column.
fn unique_names(headers: &mut [String]) -> Vec<String> {
    let taken: std::collections::HashSet<String> =
        headers.iter().map(|h| schema::normalise(h)).collect();
    let mut used = std::collections::HashSet::new();
    let mut notes = Vec::new();
    for h in headers.iter_mut() {
        if used.insert(schema::normalise(h)) {
            continue;
        }
        let mut k = 1u32;
        let new = loop {
            let candidate = format!("{h}.{k}");
            let n = schema::normalise(&candidate);
            if !taken.contains(&n) && !used.contains(&n) {
                used.insert(n);
                break candidate;
            }
            k += 1;
        };
        notes.push(format!(
            "the header names column '{}' more than once: the first keeps the name and any role, this one is called '{}'",
            crate::sanitize::inert(h),
            crate::sanitize::inert(&new)
        ));
        *h = new;
    }
    notes
}

fn parse_header(bytes: &[u8], delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut names = Vec::new();
    if let Ok(true) = reader.read_byte_record(&mut record) {
        for (i, f) in record.iter().enumerate() {
            let (s, _) = builder::decode_text(fields::trim(f));
            let s = s.trim().to_string();
            names.push(if s.is_empty() {
                format!("column_{}", i + 1)
            } else {
                s
            });
        }
    }
    names
}

/// For each column, whether its sampled non-missing values are all numbers and at
/// least one is finite. `inf` or `1e999` among numbers leaves the column numeric
/// (that row is rejected as not finite), wherever in the file it appears. In a flow log
/// (`dash_missing`) a `-` is a missing value.
/// Which columns hold numbers in the first [`INFER_ROWS`] records of `buf`, and whether those
/// records were all there (the last one ended before the end of `buf`, so none was cut off).
fn infer_numeric(buf: &[u8], delimiter: u8, ncols: usize, dash_missing: bool) -> (Vec<bool>, bool) {
    let mut seen = vec![0usize; ncols];
    let mut numeric = vec![true; ncols];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(buf);
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    let mut settled = false;
    while n < INFER_ROWS {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // The same error at the same place however much is read.
            Err(_) => {
                settled = true;
                break;
            }
        }
        n += 1;
        if record.len() != ncols {
            continue;
        }
        for (i, f) in record.iter().enumerate() {
            let t = fields::trim(f);
            if fields::is_missing(t) || (dash_missing && t == b"-") {
                continue;
            }
            if let (Some(s), Some(num)) = (seen.get_mut(i), numeric.get_mut(i)) {
                match fields::parse_f64(t) {
                    Ok(_) => *s += 1,
                    Err(fields::FieldError::NotANumber) => *num = false,
                    Err(_) => {}
                }
            }
        }
    }
    settled |= n >= INFER_ROWS && (reader.position().byte() as usize) < buf.len();
    let numeric = numeric
        .into_iter()
        .zip(seen)
        .map(|(num, s)| num && s > 0)
        .collect();
    (numeric, settled)
}
