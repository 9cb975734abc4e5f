//! The report's "suspicious sources" section: per-source entity detection, flagged sources first.
//!
//! Owns [`suspicious_sources`] (which runs [`EntityRun`] by `src_ip` with the report's forest
//! parameters and contamination) and the section's blocks of the report document. The entity facts come from
//! [`crate::detect::entity`]; this file only picks the flagged ones and writes them (the renderers
//! escape every key, attacker-controlled, for the output it goes to).

use super::doc::{Block, Doc, MISSING, col, num};
use crate::dataset::{Dataset, Role, format_number};
use crate::detect::entity::{EntityParams, EntityReport, EntityRun};
use crate::detect::{Contamination, Rule, RunControl};

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

/// The section as document blocks (nothing when there are no flagged sources).
pub fn doc(sources: &[EntityReport]) -> Doc {
    let mut d = Doc::default();
    if sources.is_empty() {
        return d;
    }
    d.heading("Suspicious sources");
    d.text("Sources whose behaviour as a whole (sessions, ports, destinations, bytes, timing) stands out, from per-source detection:");
    d.push(Block::Table {
        columns: vec![
            col("source"),
            num("score"),
            num("sessions"),
            col("behaviour"),
            col("why"),
        ],
        rows: sources
            .iter()
            .map(|r| {
                vec![
                    r.key.clone(),
                    format!("{:.3}", r.score),
                    sessions(r),
                    r.behaviour
                        .map_or_else(|| MISSING.to_string(), |b| b.to_string()),
                    r.explanation.clone(),
                ]
            })
            .collect(),
    });
    d
}
