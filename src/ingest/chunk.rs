//! Finding record boundaries in raw CSV bytes, so blocks can be parsed in parallel.
//!
//! A small state machine mirrors how `csv-core` reads records (quotes open only
//! at the start of a field, `""` inside quotes is a literal quote, CR or LF ends
//! a record outside quotes), so a split point is always where the CSV parser
//! itself would end a record. Blocks without any quote take a `memchr` fast path.
//! This module only finds offsets; it parses no fields.

/// Where the scanner is inside a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanState {
    #[default]
    StartField,
    InField,
    InQuoted,
    QuoteInQuoted,
}

/// Scans `buf` from `state`, calling `on_end(offset)` just after every record
/// terminator; stops early when `on_end` returns `false`. Returns the state at
/// the end of what was scanned.
pub fn scan(
    buf: &[u8],
    delimiter: u8,
    mut state: ScanState,
    mut on_end: impl FnMut(usize) -> bool,
) -> ScanState {
    for (i, &b) in buf.iter().enumerate() {
        let terminator = b == b'\n' || b == b'\r';
        state = match state {
            ScanState::StartField if b == b'"' => ScanState::InQuoted,
            ScanState::StartField | ScanState::InField | ScanState::QuoteInQuoted if terminator => {
                if !on_end(i + 1) {
                    return ScanState::StartField;
                }
                ScanState::StartField
            }
            ScanState::StartField | ScanState::InField | ScanState::QuoteInQuoted
                if b == delimiter =>
            {
                ScanState::StartField
            }
            ScanState::StartField | ScanState::InField => ScanState::InField,
            ScanState::InQuoted if b == b'"' => ScanState::QuoteInQuoted,
            ScanState::InQuoted => ScanState::InQuoted,
            ScanState::QuoteInQuoted if b == b'"' => ScanState::InQuoted,
            ScanState::QuoteInQuoted => ScanState::InField,
        };
    }
    state
}

/// Offset just after the first record terminator, if any.
pub fn first_record_end(buf: &[u8], delimiter: u8) -> Option<usize> {
    let mut found = None;
    scan(buf, delimiter, ScanState::StartField, |end| {
        found = Some(end);
        false
    });
    found
}

/// Split points for a block that starts at a record boundary: offsets just after
/// record terminators, about `chunk` bytes apart, the last one being the end of
/// the last complete record (or `buf.len()` at end of input). Empty when the
/// block holds no complete record.
pub fn split_points(buf: &[u8], delimiter: u8, chunk: usize, at_eof: bool) -> Vec<usize> {
    let chunk = chunk.max(1);
    let mut points = Vec::new();
    if memchr::memchr(b'"', buf).is_none() {
        let mut from = chunk;
        while from < buf.len() {
            // CR alone ends a record too (as in csv-core), so CR-only files split.
            match memchr::memchr2(b'\n', b'\r', buf.get(from..).unwrap_or(&[])) {
                Some(nl) => {
                    let p = from + nl + 1;
                    points.push(p);
                    from = p + chunk;
                }
                None => break,
            }
        }
        if let Some(last) = memchr::memrchr2(b'\n', b'\r', buf).map(|i| i + 1)
            && points.last() != Some(&last)
        {
            points.push(last);
        }
    } else {
        let mut next_target = chunk;
        let mut last = None;
        scan(buf, delimiter, ScanState::StartField, |end| {
            if end >= next_target {
                points.push(end);
                next_target = end + chunk;
            }
            last = Some(end);
            true
        });
        if let Some(last) = last
            && points.last() != Some(&last)
        {
            points.push(last);
        }
    }
    if at_eof && points.last() != Some(&buf.len()) && !buf.is_empty() {
        points.push(buf.len());
    }
    points
}

/// Picks the delimiter of a header line: the most frequent of `,` `;` tab `|`
/// outside quotes (comma on ties or when none occurs).
pub fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some((_, n)) = counts.iter_mut().find(|(d, _)| *d == b) {
            *n += 1;
        }
    }
    // The first of the most frequent, so comma wins ties.
    counts
        .into_iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { c } else { best })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_newlines_are_not_boundaries() {
        let buf = b"a,\"x\ny\",c\nd,e,f\n";
        let pts = split_points(buf, b',', 1, false);
        assert_eq!(pts, vec![10, 16]);
    }

    #[test]
    fn doubled_quotes_stay_inside() {
        let buf = b"\"a\"\"\n\",b\nc\n";
        assert_eq!(first_record_end(buf, b','), Some(9));
    }

    #[test]
    fn stray_quote_mid_field_is_literal_like_csv_core() {
        let buf = b"ab\"c,d\ne,f\n";
        assert_eq!(first_record_end(buf, b','), Some(7));
    }

    #[test]
    fn incomplete_tail_is_left_unless_eof() {
        let buf = b"a,b\nc,d";
        assert_eq!(split_points(buf, b',', 100, false), vec![4]);
        assert_eq!(split_points(buf, b',', 100, true), vec![4, 7]);
        assert!(split_points(b"abc", b',', 100, false).is_empty());
    }

    #[test]
    fn fast_path_splits_near_targets() {
        let buf = b"aa\nbb\ncc\ndd\n";
        assert_eq!(split_points(buf, b',', 4, false), vec![6, 12]);
    }

    #[test]
    fn fast_path_splits_cr_only_records() {
        // Old Mac line endings: no LF at all, yet every CR ends a record.
        let buf = b"aa\rbb\rcc\rdd";
        assert_eq!(split_points(buf, b',', 4, false), vec![6, 9]);
        assert_eq!(split_points(buf, b',', 100, true), vec![9, 11]);
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a;b;c"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",c"), b',');
        assert_eq!(sniff_delimiter(b"abc"), b',');
    }
}
