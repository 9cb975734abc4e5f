//! `threatlens doctor`: what this build and machine will do, so a user can tell why two machines
//! differ — version, the scoring kernel chosen and why, the CPU and the vector extensions seen,
//! the thread count.
//!
//! Owns the wording of that account and nothing else: the kernel choice is the core's
//! (`detect::kernel_choice`), this file only asks and prints it. It must not score or load data.

use super::Failure;
use crate::detect::{KERNEL_ENV, cpu_features, kernel_choice};
use clap::Args;
use std::fmt::Write as _;

/// Features the kernel choice is reported for: the default detection features
/// (bytes_in, bytes_out, bytes_per_sec).
pub(super) const DEFAULT_FEATURES: usize = 3;

/// Options of `threatlens doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Report the kernel for this many detection features instead of the default three.
    #[arg(long, default_value_t = DEFAULT_FEATURES, value_name = "N")]
    pub features: usize,
}

/// Prints the account to stdout.
pub fn cmd_doctor(a: &DoctorArgs) -> Result<(), Failure> {
    let text = account(a.features)?;
    super::output::write_output(&super::output::Target::Stdout, text.as_bytes(), false)?;
    Ok(())
}

/// `threatlens VERSION` and a line end: what `--version` prints, and the account's first line.
pub(super) fn version_line() -> String {
    format!("threatlens {}\n", env!("CARGO_PKG_VERSION"))
}

/// The account as text, one `name: value` line each.
pub fn account(features: usize) -> Result<String, Failure> {
    if features == 0 {
        return Err(Failure::usage(
            "--features: detection needs at least one feature",
        ));
    }
    let choice = kernel_choice(features).map_err(|e| Failure::usage(e.to_string()))?;
    let mut out = String::new();
    let cpu = cpu_model().unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let seen = cpu_features();
    let seen = if seen.is_empty() {
        "none of sse4.2, avx2, avx512f".to_owned()
    } else {
        seen.join(" ")
    };
    let threads = rayon::current_num_threads();
    let why_threads = match std::env::var("RAYON_NUM_THREADS") {
        Ok(v) if !v.trim().is_empty() => {
            format!("RAYON_NUM_THREADS={}", crate::sanitize::inert(v.trim()))
        }
        _ => format!(
            "one per core: {} available",
            std::thread::available_parallelism().map_or(1, usize::from)
        ),
    };
    // Writing to a String cannot fail.
    out.push_str(&version_line());
    let _ = writeln!(
        out,
        "scoring kernel: {} ({features} features)",
        choice.kernel
    );
    let _ = writeln!(out, "  because: {}", choice.reason);
    let _ = writeln!(out, "  force with: {KERNEL_ENV}=avx512|avx2|portable");
    let _ = writeln!(out, "cpu: {cpu}");
    let _ = writeln!(out, "vector extensions: {seen}");
    let _ = writeln!(out, "threads: {threads} ({why_threads})");
    Ok(out)
}

/// The CPU's model name from /proc/cpuinfo (Linux), if there is one.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| crate::sanitize::inert(v.trim()).into_owned())
}
