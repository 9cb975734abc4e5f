//! The one integration-test binary: each file beside this one is a module, so the suite links once.
mod cli;
mod common;
mod detect_bench;
mod detect_realdata;
mod filter_props;
mod filter_real;
mod hostile;
mod ingest;
mod injection;
mod parity_real;
mod props;
mod report;
mod shell;
mod tui;
