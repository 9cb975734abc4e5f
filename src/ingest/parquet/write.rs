//! Text flow logs rewritten as the Parquet S3 delivers (`FileFormat parquet`).
//!
//! For `demo --format vpc-flow-parquet`, tests and benchmarks: takes space-separated flow-log
//! text (a header line of field names, then records) and writes one Parquet file with AWS's
//! column names (`account_id`, `log_status`, …), 32-bit integers for the version, ports,
//! protocol and tcp-flags, 64-bit integers for packets, bytes, start and end, strings for the
//! rest, `-` as null. This module writes bytes in memory; it reads no file.

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, GzipLevel, ZstdLevel};
use ::parquet::file::properties::WriterProperties;
use arrow_array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

/// Page compression of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Zstd,
}

impl Codec {
    fn parquet(self) -> Compression {
        match self {
            Codec::None => Compression::UNCOMPRESSED,
            Codec::Gzip => Compression::GZIP(GzipLevel::default()),
            Codec::Snappy => Compression::SNAPPY,
            Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
        }
    }
}

/// The Arrow type S3 gives a flow-log field.
fn field_type(name: &str) -> DataType {
    match name {
        "version" | "srcport" | "dstport" | "protocol" | "tcp_flags" => DataType::Int32,
        "packets" | "bytes" | "start" | "end" => DataType::Int64,
        _ => DataType::Utf8,
    }
}

/// Why flow-log text could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("line {line}: {reason}")]
    Bad { line: usize, reason: String },
    #[error("cannot write Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("cannot build the columns: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Rewrites flow-log text as Parquet, `rows_per_group` records to a row group.
pub fn flow_text_to_parquet(
    text: &str,
    codec: Codec,
    rows_per_group: usize,
) -> Result<Vec<u8>, WriteError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(|n| n.replace('-', "_"))
        .collect();
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|n| Field::new(n, field_type(n), true))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(codec.parquet())
        .set_max_row_group_row_count(Some(rows_per_group.max(1)))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(props))?;
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); header.len()];
    for (i, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != header.len() {
            return Err(WriteError::Bad {
                line: i + 2,
                reason: format!("{} fields, the header has {}", fields.len(), header.len()),
            });
        }
        for (col, f) in cells.iter_mut().zip(fields) {
            col.push((f != "-").then(|| f.to_string()));
        }
        if cells.first().map_or(0, Vec::len) >= rows_per_group.max(1) {
            writer.write(&batch(&schema, &mut cells, i + 2)?)?;
        }
    }
    if cells.first().is_some_and(|c| !c.is_empty()) {
        writer.write(&batch(&schema, &mut cells, 0)?)?;
    }
    writer.close()?;
    Ok(out)
}

/// The gathered cells as one record batch (the cells are taken).
fn batch(
    schema: &Arc<Schema>,
    cells: &mut [Vec<Option<String>>],
    line: usize,
) -> Result<RecordBatch, WriteError> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cells.len());
    for (field, col) in schema.fields().iter().zip(cells.iter_mut()) {
        let col = std::mem::take(col);
        let number = |v: &Option<String>| -> Result<Option<i64>, WriteError> {
            v.as_deref()
                .map(|t| {
                    t.parse::<i64>().map_err(|_| WriteError::Bad {
                        line,
                        reason: format!("{}: '{t}' is not an integer", field.name()),
                    })
                })
                .transpose()
        };
        let array: ArrayRef = match field.data_type() {
            DataType::Int32 => Arc::new(Int32Array::from(
                col.iter()
                    .map(|v| Ok(number(v)?.map(|n| n as i32)))
                    .collect::<Result<Vec<_>, WriteError>>()?,
            )),
            DataType::Int64 => Arc::new(Int64Array::from(
                col.iter().map(number).collect::<Result<Vec<_>, _>>()?,
            )),
            _ => Arc::new(StringArray::from(col)),
        };
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}
