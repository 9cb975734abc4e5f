//! Inputs shared by the benchmarks: a demo CSV in memory, its dataset, and its feature matrix.
#![allow(dead_code, clippy::unwrap_used)]

use threatlens::dataset::{Dataset, NumericSource};
use threatlens::detect::FeatureMatrix;
use threatlens::detect::pipeline::default_features;

/// Rows in the benchmark file (~2 MB of CSV per 10k rows).
pub const ROWS: usize = 100_000;

/// `threatlens demo --rows 100000 --seed 1` as bytes.
pub fn demo_csv() -> Vec<u8> {
    let mut buf = Vec::new();
    threatlens::demo::write_demo(&mut buf, ROWS, 1).unwrap();
    buf
}

pub fn demo_dataset() -> Dataset {
    threatlens::ingest::load_bytes("<bench>", &demo_csv()).unwrap()
}

/// The notebooks' features (bytes_in, bytes_out, bytes_per_sec), missing values as the median
/// would be imputed by the pipeline (the demo data has none).
pub fn demo_matrix(ds: &Dataset) -> FeatureMatrix {
    let names = default_features(ds);
    let columns = names
        .iter()
        .map(|n| {
            let src: NumericSource = ds.numeric_source(n).unwrap();
            ds.values(src)
        })
        .collect();
    FeatureMatrix::new(names, columns).unwrap()
}
