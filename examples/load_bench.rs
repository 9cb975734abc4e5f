//! Load-only figures for a file or folder: rows, load time, bytes held per record and the
//! columns' storage (speed and memory are measured, never asserted in tests). Run it in release
//! mode under `/usr/bin/time -v` for the peak memory of a load:
//! `cargo run --release --example load_bench -- PATH`.
#![allow(clippy::unwrap_used)]

use std::time::Instant;
use threatlens::ingest::{LoadProgress, load_path};

fn main() {
    threatlens::memory::tune();
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: load_bench PATH (a CSV or flow-log file, or a folder of them)");
        std::process::exit(2);
    });
    let started = Instant::now();
    let ds = match load_path(&path, LoadProgress::new()) {
        Ok(ds) => ds,
        Err(e) => {
            eprintln!("load_bench: {e}");
            std::process::exit(2);
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let held = ds.heap_bytes();
    println!(
        "rows {} files {} load {:.3} s ({:.2} M rows/s) held {:.1} MB ({:.1} B/record)",
        ds.rows,
        ds.facts.files,
        secs,
        ds.rows as f64 / secs / 1e6,
        held as f64 / 1e6,
        held as f64 / ds.rows.max(1) as f64
    );
    for c in &ds.columns {
        println!(
            "  {:<16} {:<5} {:>8.2} B/record",
            c.name,
            c.data.kind(),
            c.data.heap_bytes() as f64 / ds.rows.max(1) as f64
        );
    }
}
