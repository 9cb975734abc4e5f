//! The one home of the detection defaults and limits: the CLI's options, the config
//! file and the explorer's features panel all read them from here, so a default or
//! an allowed range is written once. Constants only; no logic lives here.

use std::ops::RangeInclusive;

/// Trees in the forest (scikit-learn's default).
pub const TREES: usize = 100;
/// Allowed tree counts, everywhere a count can be given.
pub const TREES_RANGE: RangeInclusive<usize> = 1..=100_000;
/// How far one step of the features panel moves the tree count.
pub const TREES_STEP: usize = 25;
/// The master seed (the notebooks' `random_state=42`).
pub const SEED: u64 = 42;
/// Rows drawn per tree when none is asked for: `min(SAMPLE, rows)` (scikit-learn's `auto`).
pub const SAMPLE: usize = 256;
/// The fewest rows a tree may be drawn from.
pub const SAMPLE_MIN: usize = 2;
/// The share of rows flagged by default (the notebooks' `contamination=0.05`).
pub const CONTAMINATION: f64 = 0.05;
