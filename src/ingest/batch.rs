//! Parsing batches of complete CSV records under a header already known (a followed file).
//!
//! A [`BatchSchema`] is planned once, from a header record and a sample of records, exactly as
//! the loader plans a file (roles, delimiter, column types); every later batch is parsed with
//! that same plan, so batches line up column for column with each other and with the dataset a
//! model was fitted on. It reads nothing itself (the caller hands it bytes), keeps no rows, and
//! never panics on input: malformed records become rejects of the batch, with their line.

use super::builder::{self, ColPlan, Merger};
use super::{BLOCK_BYTES, IngestError, Loader};
use crate::dataset::Dataset;
use std::sync::Arc;

/// The columns of a followed input, planned once.
#[derive(Debug, Clone)]
pub struct BatchSchema {
    /// Column names as the loader names them (made unique).
    pub headers: Vec<String>,
    pub delimiter: u8,
    plan: Vec<ColPlan>,
    /// The input is an AWS VPC flow log: its records get the same tidying as a loaded file's.
    flow: bool,
}

impl BatchSchema {
    /// Plans the columns from a header record and a sample of complete records (which types
    /// the columns without a role; an empty sample types them as text).
    pub fn new(name: &str, header: &[u8], sample: &[u8]) -> Result<Self, IngestError> {
        let mut bytes = Vec::with_capacity(header.len() + 1 + sample.len());
        bytes.extend_from_slice(header);
        if !header.ends_with(b"\n") && !header.ends_with(b"\r") {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(sample);
        let mut loader = Loader::new(
            name,
            Box::new(std::io::Cursor::new(bytes)),
            Arc::new(super::LoadProgress::default()),
        );
        let (headers, delimiter, _) = loader.header()?;
        loader.fill(BLOCK_BYTES)?;
        let plan = loader.plan(&headers, delimiter)?;
        Ok(BatchSchema {
            headers,
            delimiter,
            plan,
            flow: loader.flow,
        })
    }

    /// Parses complete records (no header) into a dataset named `name`; `first_line` is the
    /// file line the first record is on, for the line numbers of rejects.
    pub fn parse(&self, name: &str, records: &[u8], first_line: u64) -> Dataset {
        let out = builder::parse_chunk(records, self.delimiter, &self.plan, first_line);
        let mut merger = Merger::new(self.plan.clone(), out.rows);
        merger.push(out);
        let rejects = merger.rejects.clone();
        let rows = merger.rows;
        let facts = crate::dataset::LoadFacts {
            log_status: merger.statuses.clone(),
            files: 1,
            // Batches of a followed file are joined elsewhere: lines are not kept.
            lines: Default::default(),
        };
        let (mut columns, _) = merger.finish();
        super::flowlog::tidy_columns(&mut columns, self.flow);
        Dataset {
            source: name.to_string(),
            columns,
            rows,
            rejects,
            notes: Vec::new(),
            facts,
            input_bytes: records.len() as u64,
            origin: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_parse_like_the_whole_file() {
        let mut csv = Vec::new();
        crate::demo::write_demo(&mut csv, 500, 3).unwrap();
        let whole = crate::ingest::load_bytes("w.csv", &csv).unwrap();
        let nl = csv.iter().position(|&b| b == b'\n').unwrap();
        let (header, body) = csv.split_at(nl + 1);
        let schema = BatchSchema::new("b.csv", header, body).unwrap();
        let mid = body.len() / 2;
        let cut = mid + body[mid..].iter().position(|&b| b == b'\n').unwrap() + 1;
        let a = schema.parse("b.csv", &body[..cut], 2);
        let b = schema.parse("b.csv", &body[cut..], 2 + a.rows as u64);
        assert_eq!(a.rows + b.rows, whole.rows);
        assert_eq!(a.columns.len(), whole.columns.len());
        for c in 0..whole.columns.len() {
            assert_eq!(a.cell_text(0, c), whole.cell_text(0, c));
            assert_eq!(
                b.cell_text(b.rows - 1, c),
                whole.cell_text(whole.rows - 1, c)
            );
        }
    }

    #[test]
    fn a_bad_record_is_a_reject_with_its_line() {
        let schema = BatchSchema::new("t.csv", b"x,y\n", b"1,2\n").unwrap();
        let ds = schema.parse("t.csv", b"3,4\nnot,a,row,at,all\n5,6\n", 10);
        assert_eq!(ds.rows, 2);
        assert_eq!(ds.rejects.total, 1);
        assert_eq!(ds.rejects.details[0].line, 11);
    }
}
