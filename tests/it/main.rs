//! The one integration-test binary: each file beside this one is a module, so the suite links once.
// All of this binary is test code, but clippy's `allow-unwrap-in-tests` only sees `#[test]`
// functions: one allow here covers the shared helpers of every module.
#![allow(clippy::unwrap_used)]

mod classify;
mod cli;
mod common;
mod detect_bench;
mod detect_realdata;
mod entity;
mod filter_props;
mod filter_real;
mod follow;
mod hostile;
mod ingest;
mod ingest_flowlog;
mod ingest_geoip;
mod ingest_parquet;
mod ingest_waf;
mod injection;
mod model_cli;
mod parity_real;
mod props;
mod report;
mod shell;
mod spark;
mod sql_duckdb;
mod tui;
mod tui_entities;
mod tui_follow;
mod tui_supervised;
mod walk;
mod walk3;
mod walk4;
