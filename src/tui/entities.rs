//! The explorer's per-entity detection (issue 15): the Anomalies tab's entity view asks for it,
//! the worker computes it ([`crate::detect::entity::EntityRun`] grouped by the source-IP
//! column, over the rows of the current filter, with the forest parameters of row detection), and an entity's drill-down shows its
//! explanation, its behaviour, its features against the population median and its sessions.
//!
//! Part of `App` (an `impl App` block) plus the drill-down's text. It computes nothing itself
//! beyond one entity's report when its drill-down opens (a walk of the forest for one vector);
//! it never draws a tab (the list is `tabs::entities`) and never touches the terminal.

use super::app::{App, Popup};
use super::theme::Theme;
use super::widgets::{cell, compact, pad, spark};
use super::worker::{JobResult, Slot};
use crate::dataset::{Dataset, Role, format_number, format_time};
use crate::detect::RunControl;
use crate::detect::entity::{Activity, EntityParams, EntityReport, EntityRun};
use ratatui::text::{Line, Span};
use std::sync::Arc;

/// Sessions listed in an entity's drill-down (the rest are counted).
pub const SESSIONS_SHOWN: usize = 200;

/// Intervals of an entity's activity line in its drill-down.
pub const ACTIVITY_BUCKETS: usize = 60;

/// What an entity's drill-down shows, computed once when it opens.
#[derive(Debug, Clone)]
pub struct EntityDetail {
    pub report: EntityReport,
    /// Its sessions over its active time (`None` without start times).
    pub activity: Option<Activity>,
}

impl App {
    /// The entity view wants per-entity detection: computes it unless it exists or is coming.
    pub(super) fn want_entities(&mut self) {
        if self.entities.is_none() && !self.entities_stale {
            self.request_entities();
        }
    }

    /// Submits per-entity detection by source IP with the current forest parameters.
    pub(super) fn request_entities(&mut self) {
        let Some(ds) = self.ds.clone() else { return };
        let Some(by) = ds.role(Role::SrcIp).map(|c| c.name.clone()) else {
            self.entities_error = Some("no source-IP column: nothing to group by".into());
            return;
        };
        self.gens.entities += 1;
        self.entities_stale = true;
        self.entities_filter = self.filter.clone();
        let generation = self.gens.entities;
        // Under a filter, the entities are made of the view's rows only.
        let rows = self
            .view
            .as_ref()
            .filter(|v| v.filtered)
            .map(|v| v.rows.clone());
        let params = EntityParams {
            by: vec![by],
            features: Vec::new(),
            log1p: Vec::new(),
            trees: self.params.trees,
            sample: self.params.sample,
            seed: self.params.seed,
        };
        self.worker.submit(Slot::Entities, move |cancel| {
            let control = RunControl {
                cancel: Some(cancel),
                progress: None,
            };
            JobResult::Entities {
                generation,
                result: EntityRun::run_in(
                    &ds,
                    rows.as_deref().map(Vec::as_slice),
                    &params,
                    &control,
                )
                .map(Arc::new),
            }
        });
    }

    /// A view arrived: entities computed under another filter are recomputed (when shown) or
    /// dropped, so the entity view always scores the rows the other tabs show.
    pub(super) fn entities_follow_view(&mut self) {
        if self.entities_filter == self.filter {
            return;
        }
        if self.tabs.anomalies.by_entity {
            self.request_entities();
        } else {
            self.entities = None;
            self.entity_report = None;
            self.entities_stale = false;
            self.gens.entities += 1;
        }
    }

    /// A per-entity run arrived (older ones are dropped).
    pub(super) fn on_entities(&mut self, generation: u64, result: Result<Arc<EntityRun>, String>) {
        if generation != self.gens.entities {
            return;
        }
        self.entities_stale = false;
        match result {
            Ok(run) => {
                self.entities = Some(run);
                self.entities_error = None;
                self.entity_report = None;
                let n = self
                    .ctx()
                    .and_then(|c| c.entity_selection)
                    .map_or(0, |s| s.count);
                let cursor = &mut self.tabs.anomalies.entity_cursor;
                *cursor = (*cursor).min(n.saturating_sub(1));
            }
            Err(e) => self.entities_error = Some(e),
        }
    }

    /// The model was refitted: entities follow its parameters (recomputed now if shown).
    pub(super) fn entities_after_refit(&mut self) {
        if self.tabs.anomalies.by_entity {
            self.request_entities();
        } else {
            self.entities = None;
            self.entity_report = None;
        }
    }

    /// Opens a popup; an entity's drill-down computes that entity's report first.
    pub(super) fn open_popup(&mut self, popup: Popup) {
        if matches!(popup, Popup::Evaluation { .. }) {
            return self.open_evaluation(popup);
        }
        if let (Popup::Entity { entity, .. }, Some(run)) = (&popup, &self.entities) {
            let sel = run.select(self.threshold.rule());
            let activity = self
                .ds
                .as_ref()
                .and_then(|ds| run.activity(ds, *entity, ACTIVITY_BUCKETS));
            let detail = EntityDetail {
                report: run.report(*entity, &sel),
                activity,
            };
            self.entity_report = Some((*entity, Arc::new(detail)));
        }
        self.popup = Some(popup);
    }

    /// Narrows every tab to one entity's rows (its filter clause) and closes the drill-down.
    pub(super) fn filter_to_entity(&mut self, entity: usize) {
        let Some(clause) = self.entities.as_ref().and_then(|r| r.filter_clause(entity)) else {
            return;
        };
        self.popup = None;
        self.narrow_filter(clause);
    }
}

/// The drill-down of one entity: behaviour, explanation, features (value and population
/// median) and its sessions.
pub fn lines(
    run: &EntityRun,
    e: usize,
    detail: &EntityDetail,
    ds: &Dataset,
    t: &Theme,
) -> Vec<Line<'static>> {
    let report = &detail.report;
    let rows = run.rows(e);
    let mut lines = vec![Line::from(vec![
        Span::styled(cell(&report.key, 60), t.title()),
        Span::raw(format!("  score {:.4}", report.score)),
        if report.anomaly {
            Span::styled("  flagged", t.alert())
        } else {
            Span::styled("  not flagged", t.ok())
        },
        Span::raw(format!("  · {} sessions", rows.len())),
    ])];
    lines.push(match report.behaviour {
        Some(b) => Line::styled(format!("behaviour: {b}"), t.alert()),
        None => Line::styled("behaviour: no named pattern matches", t.dim()),
    });
    if !report.explanation.is_empty() {
        lines.push(Line::raw(format!(
            "why: {}",
            cell(&report.explanation, 200)
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{} {:>14} {:>14}", pad("feature", 24), "value", "median"),
        t.header(),
    ));
    for (i, (name, v)) in report.features.0.iter().enumerate() {
        let median = run.raw_medians.get(i).copied().unwrap_or(f64::NAN);
        lines.push(Line::from(vec![
            Span::styled(pad(name, 24), t.dim()),
            Span::raw(format!(
                " {:>14} {:>14}",
                format_number(*v),
                format_number(median)
            )),
        ]));
    }
    lines.push(Line::raw(""));
    if let Some(a) = &detail.activity {
        activity(a, t, &mut lines);
    }
    sessions(rows, ds, t, &mut lines);
    lines
}

/// The entity's timeline: sessions per interval from its first session to its last.
fn activity(a: &Activity, t: &Theme, lines: &mut Vec<Line<'static>>) {
    let span_s = (a.last - a.first) / 1000;
    let each = span_s as f64 / a.counts.len() as f64;
    lines.push(Line::styled(
        format!(
            "timeline: {} to {} ({} intervals of {}; busiest {} sessions)",
            format_time(a.first),
            format_time(a.last),
            a.counts.len(),
            interval(each),
            a.counts.iter().max().copied().unwrap_or(0)
        ),
        t.header(),
    ));
    lines.push(Line::styled(format!("│{}│", spark(&a.counts)), t.alert()));
    lines.push(Line::raw(""));
}

/// A duration in seconds, in the largest unit that keeps it readable.
fn interval(secs: f64) -> String {
    match secs {
        s if s < 1.0 => "under a second".into(),
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.1} days", s / 86_400.0),
    }
}

fn sessions(rows: &[u32], ds: &Dataset, t: &Theme, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::styled(
        format!(
            "sessions (Enter or f filters every tab to this source; first {} shown)",
            SESSIONS_SHOWN.min(rows.len())
        ),
        t.header(),
    ));
    let text = |row: usize, r: Role| {
        ds.role_index(r)
            .map_or(String::new(), |i| ds.cell_text(row, i).into_owned())
    };
    let number = |row: usize, r: Role| {
        ds.role(r)
            .and_then(|c| c.data.number(row))
            .unwrap_or(f64::NAN)
    };
    for &row in rows.iter().take(SESSIONS_SHOWN) {
        let row = row as usize;
        let time = ds.start_time(row).map(format_time).unwrap_or_default();
        lines.push(Line::raw(format!(
            "{:>8} {} {} {:>6} {:>9} {:>9}",
            row + 1,
            pad(&time, 20),
            pad(&cell(&text(row, Role::DstIp), 15), 15),
            cell(&text(row, Role::DstPort), 6),
            compact(number(row, Role::BytesIn)),
            compact(number(row, Role::BytesOut)),
        )));
    }
    if rows.len() > SESSIONS_SHOWN {
        lines.push(Line::styled(
            format!("… and {} more", rows.len() - SESSIONS_SHOWN),
            t.dim(),
        ));
    }
}
