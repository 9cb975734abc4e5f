//! Helpers shared by the integration tests.

pub mod bench_csv;
