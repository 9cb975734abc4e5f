//! The one integration-test binary: each file beside this one is a module, so the suite links once.
mod cli;
mod common;
mod detect_bench;
mod detect_realdata;
mod filter_props;
mod filter_real;
mod follow;
mod hostile;
mod ingest;
mod ingest_flowlog;
mod ingest_geoip;
mod ingest_waf;
mod injection;
mod parity_real;
mod props;
mod report;
mod tui;
