//! The flagging rule the user chose on the Anomalies tab (a contamination, auto, or
//! the top k), how it reads in the header, and how it becomes a core
//! [`Rule`]. Types only; choosing one is answered from the score index without a refit.

use crate::detect::{Contamination, Rule};

/// The flagging rule the user chose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Contamination(f64),
    Auto,
    TopK(usize),
}

impl Threshold {
    pub fn rule(self) -> Rule {
        match self {
            Threshold::Contamination(c) => Rule::Contamination(Contamination::Fraction(c)),
            Threshold::Auto => Rule::Contamination(Contamination::Auto),
            Threshold::TopK(k) => Rule::TopK(k),
        }
    }
    pub fn describe(self) -> String {
        match self {
            Threshold::Contamination(c) => format!("contamination {}%", fmt_pct(c)),
            Threshold::Auto => "contamination auto (score > 0.5)".into(),
            Threshold::TopK(k) => format!("top {k}"),
        }
    }
}

/// A percentage without trailing zeros (`6.5`, `5`, `0.25`).
pub fn fmt_pct(c: f64) -> String {
    let s = format!("{:.2}", c * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
