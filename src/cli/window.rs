//! `--since`/`--until` (the time window of the headless commands' input) and `--flow-format`.
//!
//! Parses the two options into an [`ingest::LoadOptions`](crate::ingest::LoadOptions); the
//! rules (timestamps or ages such as `24h`, files skipped by their path) live in
//! [`crate::ingest::window`]. This module only turns arguments into options and errors.

use crate::ingest::LoadOptions;
use crate::ingest::window::{TimeWindow, parse_bound};
use clap::Args;

/// Which times to read.
#[derive(Debug, Args, Default, Clone)]
pub struct WindowArgs {
    /// Keep only rows from this time on: a timestamp (2024-04-25T23:00:00Z, epoch seconds) or an
    /// age (30m, 24h, 7d). In a folder, files whose S3 or Hive partition path (or the time stamp
    /// in their name) lies wholly before it are not opened.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Keep only rows before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// The flow-log fields of a CloudWatch Logs Insights export's @message lines, space-separated
    /// (default: the version 2 format "version account-id interface-id srcaddr …").
    #[arg(long, value_name = "FIELDS")]
    pub flow_format: Option<String>,
    /// A MaxMind country database (.mmdb: GeoLite2-Country or -City, DB-IP) to add src_country and
    /// dst_country from the addresses; private and reserved ranges are labelled as such. Default:
    /// $THREATLENS_GEOIP.
    #[arg(long, value_name = "PATH")]
    pub geoip: Option<std::path::PathBuf>,
}

impl WindowArgs {
    /// The load options, or a message naming the bad option.
    pub fn options(&self) -> Result<LoadOptions, String> {
        let now = chrono::Utc::now().timestamp_millis();
        let parse = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|v| parse_bound(v, now).map_err(|e| format!("{flag}: {e}")))
                .transpose()
        };
        let window = TimeWindow {
            since: parse("--since", &self.since)?,
            until: parse("--until", &self.until)?,
        };
        if let (Some(s), Some(u)) = (window.since, window.until)
            && s >= u
        {
            return Err("--since must be before --until".into());
        }
        if let Some(f) = &self.flow_format
            && let Some(bad) = f
                .split_whitespace()
                .find(|n| !crate::ingest::flowlog::is_field(n))
        {
            return Err(format!(
                "--flow-format: '{}' is not a flow-log field (version, srcaddr, dstaddr, bytes, start, …)",
                crate::sanitize::inert(bad)
            ));
        }
        Ok(LoadOptions {
            window,
            flow_format: self.flow_format.clone(),
            geoip: self.geoip.clone(),
        })
    }
}
