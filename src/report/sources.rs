//! The report's "suspicious sources" section: per-source entity detection, flagged sources first.
//!
//! Owns [`suspicious_sources`] (which runs [`EntityRun`] by `src_ip` with the report's forest
//! parameters and contamination) and the section's Markdown and HTML. The entity facts come from
//! [`crate::detect::entity`]; this file only picks the flagged ones and writes them, escaping
//! every key (attacker-controlled) for the output it goes to.

use super::html::esc;
use super::markdown::md;
use crate::dataset::{Dataset, Role, format_number};
use crate::detect::entity::{EntityParams, EntityReport, EntityRun};
use crate::detect::{Contamination, Rule, RunControl};
use std::fmt::Write;

/// At most this many sources are listed.
pub const SHOWN: usize = 20;

/// The flagged sources by `src_ip`, most anomalous first; empty without a source-IP column or
/// when entity detection cannot run (too few sources: the row findings still stand).
pub fn suspicious_sources(
    ds: &Dataset,
    mut params: EntityParams,
    contamination: Contamination,
) -> Vec<EntityReport> {
    let Some(col) = ds.role(Role::SrcIp) else {
        return Vec::new();
    };
    params.by = vec![col.name.clone()];
    match EntityRun::run(ds, &params, &RunControl::default()) {
        Ok(run) => run.flagged(&run.select(Rule::Contamination(contamination)), SHOWN),
        Err(_) => Vec::new(),
    }
}

fn sessions(r: &EntityReport) -> String {
    r.features
        .0
        .iter()
        .find(|f| f.0 == "sessions")
        .map_or_else(String::new, |f| format_number(f.1))
}

/// The section as Markdown (nothing when there are no flagged sources).
pub fn markdown(sources: &[EntityReport]) -> String {
    let mut o = String::new();
    if sources.is_empty() {
        return o;
    }
    let _ = writeln!(
        o,
        "\n## Suspicious sources\n\nSources whose behaviour as a whole (sessions, ports, destinations, bytes, timing) stands out, from per-source detection:\n\n| source | score | sessions | behaviour | why |\n|---|---:|---:|---|---|"
    );
    for r in sources {
        let _ = writeln!(
            o,
            "| {} | {:.3} | {} | {} | {} |",
            md(&r.key),
            r.score,
            sessions(r),
            r.behaviour
                .map_or_else(|| "—".to_string(), |b| b.to_string()),
            md(&r.explanation)
        );
    }
    o
}

/// The section as HTML (nothing when there are no flagged sources).
pub fn html(sources: &[EntityReport]) -> String {
    let mut o = String::new();
    if sources.is_empty() {
        return o;
    }
    o.push_str("<h2>Suspicious sources</h2><p>Sources whose behaviour as a whole stands out, from per-source detection.</p><table><tr><th>source</th><th>score</th><th>sessions</th><th>behaviour</th><th>why</th></tr>");
    for r in sources {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.key),
            r.score,
            sessions(r),
            r.behaviour.map_or_else(String::new, |b| b.to_string()),
            esc(&r.explanation)
        );
    }
    o.push_str("</table>");
    o
}
