//! Parquet loading at scale (issue 14): writes one S3-style flow-log Parquet file and times
//! threatlens reading it.
//!
//! `cargo run --release --example parquet_bench -- make FILE [ROWS] [gzip|snappy|zstd]` writes
//! the `demo --format vpc-flow` traffic for ROWS (default 5 M) as one Parquet file with S3's
//! schema, 1 M rows per row group (5 M gives 7,226,422 records: sessions span several records). `… -- load FILE [RUNS]` loads it RUNS times
//! (default 3) as `threatlens FILE` does and prints rows and seconds per run. `bench/parquet.sh`
//! compares it with `pyarrow.parquet.read_table(…).to_pandas()` on the same file.

use std::io::Read;
use std::time::Instant;
use threatlens::ingest::parquet::write::{Codec, flow_text_to_parquet};

fn make(path: &str, rows: usize, codec: Codec) -> Result<(), Box<dyn std::error::Error>> {
    // The demo writes about 1.1 records per background session.
    let files = threatlens::demo_flow::files(rows * 10 / 11, 7)?;
    let mut text = String::from(threatlens::demo_flow::FORMAT);
    text.push('\n');
    for (name, gz) in files.iter().filter(|(n, _)| n.ends_with(".log.gz")) {
        let mut part = String::new();
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut part)?;
        let _ = name;
        for line in part.lines().skip(1) {
            text.push_str(line);
            text.push('\n');
        }
    }
    let records = text.lines().count() - 1;
    let bytes = flow_text_to_parquet(&text, codec, 1_000_000)?;
    std::fs::write(path, &bytes)?;
    eprintln!(
        "wrote {path}: {records} records, {} bytes ({codec:?} pages)",
        bytes.len()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match (arg(0), arg(1)) {
        (Some("make"), Some(path)) => {
            let rows = arg(2).map(str::parse).transpose()?.unwrap_or(5_000_000);
            let codec = match arg(3).unwrap_or("gzip") {
                "snappy" => Codec::Snappy,
                "zstd" => Codec::Zstd,
                "none" => Codec::None,
                _ => Codec::Gzip,
            };
            make(path, rows, codec)
        }
        (Some("load"), Some(path)) => {
            let runs: usize = arg(2).map(str::parse).transpose()?.unwrap_or(3);
            for run in 1..=runs {
                let t = Instant::now();
                let ds =
                    threatlens::ingest::load_path(path, threatlens::ingest::LoadProgress::new())?;
                println!(
                    "threatlens load run {run}: {} rows, {} columns in {:.3} s",
                    ds.rows,
                    ds.columns.len(),
                    t.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        _ => Err(
            "usage: parquet_bench make FILE [ROWS] [gzip|snappy|zstd|none] | load FILE [RUNS]"
                .into(),
        ),
    }
}
