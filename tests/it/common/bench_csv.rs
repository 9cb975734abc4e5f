//! Loader for the labelled benchmark files in `$THREATLENS_SHARED/bench` (columns `f0..fN`, then
//! `label`; gzip-compressed CSV), shared by `tests/detect_bench.rs` and `examples/detect_bench.rs`.
//! Test-and-measurement support only: the application reads data through its ingest layer.

#![allow(dead_code)]

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use threatlens::detect::FeatureMatrix;

/// A benchmark file: features plus a 0/1 label (true = anomaly).
pub struct BenchData {
    pub matrix: FeatureMatrix,
    pub labels: Vec<bool>,
}

/// Reads `path` (`.csv.gz` or plain `.csv`). Errors are strings naming the file and line.
pub fn load(path: &Path) -> Result<BenchData, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let input: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut reader = csv::Reader::from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let label_at = header
        .iter()
        .position(|h| h == "label")
        .ok_or_else(|| format!("{}: no 'label' column", path.display()))?;
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != label_at)
        .map(|(_, h)| h.to_owned())
        .collect();
    let mut columns = vec![Vec::new(); names.len()];
    let mut labels = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    while reader
        .read_record(&mut record)
        .map_err(|e| format!("{}: {e}", path.display()))?
    {
        line += 1;
        let bad = |field: &str| format!("{}:{line}: cannot read '{field}'", path.display());
        let mut col = 0;
        for (i, field) in record.iter().enumerate() {
            if i == label_at {
                let v: f64 = field.trim().parse().map_err(|_| bad(field))?;
                labels.push(v != 0.0);
            } else {
                columns[col].push(field.trim().parse().map_err(|_| bad(field))?);
                col += 1;
            }
        }
    }
    let matrix =
        FeatureMatrix::new(names, columns).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(BenchData { matrix, labels })
}
