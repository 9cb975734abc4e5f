//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `$THREATLENS_SHARED`. Tests that call this are `#[ignore = "needs THREATLENS_SHARED"]`, so a plain
/// `cargo test` lists them as ignored; run with `--include-ignored` (as CI does) they fail loudly when
/// the variable is missing instead of passing without checking anything.
pub fn shared(test: &str) -> PathBuf {
    match std::env::var_os("THREATLENS_SHARED") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{test}: THREATLENS_SHARED is not set; point it at the shared/ reference folder \
             (this test is ignored by default and was asked for with --include-ignored)"
        ),
    }
}

/// The real CloudWatch file and its pandas reference values.
pub fn real_data(test: &str) -> (PathBuf, serde_json::Value) {
    let dir = shared(test).join("data");
    let csv = dir.join("CloudWatch_Traffic_Web_Attack.csv");
    let json = std::fs::read_to_string(dir.join("CloudWatch_Traffic_Web_Attack.expected.json"))
        .unwrap_or_else(|e| {
            panic!("THREATLENS_SHARED is set but the reference JSON is unreadable: {e}")
        });
    let expected =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("bad reference JSON: {e}"));
    (csv, expected)
}

/// Relative closeness to 1e-9.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300) || a == b
}

pub mod bench_csv;
pub mod explorer;
