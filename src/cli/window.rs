//! How to read the input: `--since`/`--until` (the headless commands' time window),
//! `--flow-format`, `--geoip` and the input kind (`--input-format` on the headless commands,
//! `--format` on the explorer).
//!
//! Parses these options into an [`ingest::LoadOptions`](crate::ingest::LoadOptions); the
//! rules (timestamps or ages such as `24h`, files skipped by their path) live in
//! [`crate::ingest::window`]. The country database is the first of `--geoip`,
//! `$THREATLENS_GEOIP` and `geoip = "PATH"` in config.toml. This module only turns arguments
//! into options and errors.

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
    /// Read the input as this kind instead of detecting it from the content: csv, cloudwatch,
    /// vpc-flow, insights, waf or parquet.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<crate::ingest::format::InputFormat>,
    /// The `--config` file in effect, for its `geoip` setting (set by the command line runner).
    #[arg(skip)]
    pub config: Option<std::path::PathBuf>,
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
            geoip: geoip_db(self.geoip.as_deref(), self.config.as_deref()),
            format: self.input_format,
        })
    }
}

/// The country database in effect: `--geoip`, else `$THREATLENS_GEOIP`, else config.toml's
/// `geoip`.
pub fn geoip_db(
    flag: Option<&std::path::Path>,
    config: Option<&std::path::Path>,
) -> Option<std::path::PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(crate::geoip::ENV).filter(|v| !v.is_empty()) {
        return Some(p.into());
    }
    crate::tui::config::load(config).geoip
}

/// How the explorer reads its file or folder.
#[derive(Debug, Args, Default, Clone)]
pub struct ExplorerInputArgs {
    /// Read the input as this kind instead of detecting it from the content: csv, cloudwatch,
    /// vpc-flow, insights, waf or parquet.
    #[arg(long, visible_alias = "input-format", value_name = "FORMAT")]
    pub format: Option<crate::ingest::format::InputFormat>,
    /// A MaxMind country database (.mmdb) for src_country and dst_country (default:
    /// $THREATLENS_GEOIP, then geoip = "PATH" in config.toml).
    #[arg(long, value_name = "PATH")]
    pub geoip: Option<std::path::PathBuf>,
    /// The flow-log fields of headerless flow records or Logs Insights @message lines.
    #[arg(long, value_name = "FIELDS")]
    pub flow_format: Option<String>,
}

impl ExplorerInputArgs {
    /// The load options, or a message naming the bad option.
    pub fn options(&self, config: Option<&std::path::Path>) -> Result<LoadOptions, String> {
        WindowArgs {
            flow_format: self.flow_format.clone(),
            geoip: self.geoip.clone(),
            input_format: self.format,
            config: config.map(std::path::Path::to_path_buf),
            ..WindowArgs::default()
        }
        .options()
    }
}
