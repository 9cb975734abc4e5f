//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `$THREATLENS_SHARED`, or `None` after saying the test was skipped.
pub fn shared(test: &str) -> Option<PathBuf> {
    match std::env::var_os("THREATLENS_SHARED") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            eprintln!(
                "skipped: {test}: THREATLENS_SHARED not set (point it at the shared/ reference folder)"
            );
            None
        }
    }
}

/// The real CloudWatch file and its pandas reference values.
pub fn real_data(test: &str) -> Option<(PathBuf, serde_json::Value)> {
    let dir = shared(test)?.join("data");
    let csv = dir.join("CloudWatch_Traffic_Web_Attack.csv");
    let json = std::fs::read_to_string(dir.join("CloudWatch_Traffic_Web_Attack.expected.json"))
        .unwrap_or_else(|e| {
            panic!("THREATLENS_SHARED is set but the reference JSON is unreadable: {e}")
        });
    let expected =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("bad reference JSON: {e}"));
    Some((csv, expected))
}

/// Relative closeness to 1e-9.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300) || a == b
}

pub mod bench_csv;
