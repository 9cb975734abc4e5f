//! threatlens: a terminal explorer for web-threat interaction logs.
//!
//! The crate is a pure core under a thin shell. Data flows
//! `ingest` → [`dataset::Dataset`] → `analysis` / `detect` → `report` / `tui`.
//! The core modules (`ingest`, `dataset`, `analysis`, `detect`, `report`,
//! `sanitize`, `demo`) never touch the terminal; `cli` and `tui` are the only
//! places with I/O policy.

pub mod analysis;
pub mod classify;
pub mod cli;
pub mod clipboard;
pub mod dataset;
pub mod demo;
pub mod demo_flow;
pub mod detect;
pub mod filter;
pub mod follow;
pub mod geoip;
pub mod ingest;
pub mod memory;
pub mod report;
pub mod sanitize;
pub mod source;
pub mod sql;
pub mod timing;
pub mod tui;
