//! Fuzz target: CSV ingest must never panic on any bytes, and whatever loads
//! must be self-consistent (every column as long as the row count).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ds) = threatlens::ingest::load_bytes("<fuzz>", data) {
        for c in &ds.columns {
            assert_eq!(c.data.len(), ds.rows);
        }
        // Statistics and summaries over whatever loaded must not panic either.
        let _ = threatlens::analysis::summary::summarize(
            &ds,
            threatlens::analysis::Rows::All(ds.rows),
            threatlens::analysis::summary::SummaryOptions::default(),
        );
    }
});
