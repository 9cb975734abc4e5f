//! Tab 3, Timeline: sessions, bytes in and bytes out per time bucket as
//! sparklines, bucket width adjustable, zoom around the cursor, buckets holding
//! anomalies marked, quiet gaps and 3-sigma spikes called out in words. Marking a
//! start and an end bucket filters every tab to that time range.

use super::{Ctx, Effect, moved};
use crate::analysis::timeseries::{self, WIDTHS};
use crate::dataset::format_time;
use crate::source::view::ViewData;
use crate::tui::action::Action;
use crate::tui::widgets::compact;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline, Widget};

/// The Timeline tab's state.
#[derive(Debug, Clone, Default)]
pub struct TimelineState {
    /// Index into `WIDTHS`; `None` is automatic.
    pub width: Option<usize>,
    pub cursor: usize,
    pub mark: Option<usize>,
    pub zoom: Option<(i64, i64)>,
}

fn current_width(view: &ViewData) -> usize {
    let secs = view.series.width_secs;
    WIDTHS
        .iter()
        .position(|w| *w >= secs)
        .unwrap_or(WIDTHS.len() - 1)
}

impl TimelineState {
    /// The bucket width asked of the view, in seconds (`None`: automatic).
    pub fn bucket_secs(&self) -> Option<i64> {
        self.width.and_then(|i| WIDTHS.get(i).copied())
    }

    /// Handles a Timeline action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        let v = ctx.view;
        let buckets = v.series.buckets.len();
        match action {
            Action::WiderBuckets => {
                self.width = Some((current_width(v) + 1).min(WIDTHS.len() - 1));
                return vec![Effect::RequestView];
            }
            Action::NarrowerBuckets => {
                self.width = Some(current_width(v).saturating_sub(1));
                return vec![Effect::RequestView];
            }
            Action::Left => self.cursor = self.cursor.saturating_sub(1),
            Action::Right => self.cursor = (self.cursor + 1).min(buckets.saturating_sub(1)),
            Action::ZoomIn => {
                let w = v.series.width_secs * 1000;
                let n = v.series.buckets.len() as i64;
                let c = v.series.buckets.get(self.cursor).map_or(0, |b| b.start);
                let half = (w * n / 4).max(w * 4);
                self.zoom = Some((c - half, c + half));
                self.width = None;
                self.cursor = 0;
                return vec![Effect::RequestView];
            }
            Action::ZoomOut => {
                self.zoom = None;
                self.width = None;
                return vec![Effect::RequestView];
            }
            Action::JumpBusiest => {
                let busiest = v
                    .series
                    .buckets
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, b)| b.sessions);
                self.cursor = busiest.map_or(self.cursor, |(i, _)| i);
            }
            Action::MarkRange | Action::Enter => return self.mark(v),
            a => self.cursor = moved(self.cursor, &a, buckets, ctx.page),
        }
        Vec::new()
    }

    fn mark(&mut self, v: &ViewData) -> Vec<Effect> {
        let cur = self.cursor;
        match self.mark.take() {
            None => {
                self.mark = Some(cur);
                vec![Effect::Status(
                    "start marked: move to the end bucket and press m again".into(),
                )]
            }
            Some(start) => {
                let (a, b) = (start.min(cur), start.max(cur));
                let w = v.series.width_secs * 1000;
                let (Some(first), Some(last)) = (v.series.buckets.get(a), v.series.buckets.get(b))
                else {
                    return Vec::new();
                };
                let range = crate::filter::clause::time_range(
                    &format_time(first.start),
                    &format_time(last.start + w),
                );
                vec![Effect::Narrow(range)]
            }
        }
    }

    /// Draws the Timeline tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let view = ctx.view;
        let t = ctx.theme;
        let s = &view.series;
        if s.buckets.is_empty() {
            Paragraph::new(Line::styled("no timestamps in this view (the file has no creation_time/time column, or the filter left no rows)", t.warn())).render(area, buf);
            return;
        }
        let [charts, axis, info] = Layout::vertical([
            Constraint::Min(6),
            Constraint::Length(1),
            Constraint::Length(6),
        ])
        .areas(area);
        let inner_w = usize::from(charts.width.saturating_sub(2)).max(1);
        // Window of buckets around the cursor that fits the width.
        let n = s.buckets.len();
        let start = self
            .cursor
            .saturating_sub(inner_w / 2)
            .min(n.saturating_sub(inner_w));
        let window = s
            .buckets
            .get(start..(start + inner_w).min(n))
            .unwrap_or(&[]);
        let width_ms = s.width_secs * 1000;
        let flagged_at = |i: usize| view.bucket_flagged.get(i).copied().unwrap_or(0);
        // A bucket is marked when anomalies concentrate there: its flagged share at least twice the
        // view's (at 5% contamination nearly every bucket holds some, and marking them all says
        // nothing).
        let (all_flagged, all_sessions) = s
            .buckets
            .iter()
            .enumerate()
            .fold((0u64, 0u64), |(f, n), (i, b)| {
                (f + flagged_at(i), n + b.sessions)
            });
        let concentrated = |i: usize, sessions: u64| {
            let f = flagged_at(i);
            f > 0
                && sessions > 0
                && u128::from(f) * u128::from(all_sessions)
                    >= 2 * u128::from(all_flagged) * u128::from(sessions)
        };
        let series: [(&str, Vec<u64>, ratatui::style::Style); 3] = [
            (
                "sessions",
                window.iter().map(|b| b.sessions).collect(),
                t.accent(),
            ),
            (
                "bytes in",
                window
                    .iter()
                    .map(|b| u64::try_from(b.bytes_in).unwrap_or(u64::MAX))
                    .collect(),
                t.ok(),
            ),
            (
                "bytes out",
                window
                    .iter()
                    .map(|b| u64::try_from(b.bytes_out).unwrap_or(u64::MAX))
                    .collect(),
                t.warn(),
            ),
        ];
        let rows = Layout::vertical([Constraint::Ratio(1, 3); 3]).split(charts);
        for ((name, data, style), area) in series.iter().zip(rows.iter()) {
            let total: u64 = data.iter().sum();
            let block = Block::bordered().title(Span::styled(
                format!(
                    " {name}: max {} per {} bucket, total {} ",
                    compact(data.iter().copied().max().unwrap_or(0) as f64),
                    timeseries::width_name(s.width_secs),
                    compact(total as f64)
                ),
                t.title(),
            ));
            let inner = block.inner(*area);
            block.render(*area, buf);
            Sparkline::default()
                .data(data.as_slice())
                .style(*style)
                .render(inner, buf);
            // Cursor and anomaly markers on the bottom border.
            let y = area.y + area.height.saturating_sub(1);
            for (i, b) in window.iter().enumerate() {
                let x = inner.x + i as u16;
                if x >= inner.x + inner.width {
                    break;
                }
                if start + i == self.cursor {
                    buf.set_string(x, y, "▲", t.key());
                } else if self.mark == Some(start + i) {
                    buf.set_string(x, y, "◆", t.key());
                } else if concentrated(start + i, b.sessions) {
                    buf.set_string(x, y, "●", t.alert());
                }
            }
        }
        draw_axis(window, axis.x + 1, axis, buf, t.dim());
        // Words: cursor bucket, busiest window, gaps and spikes.
        let mut lines = Vec::new();
        if let Some(b) = s.buckets.get(self.cursor) {
            lines.push(Line::from(vec![
                Span::styled("cursor  ", t.dim()),
                Span::raw(format!(
                    "{} +{}: {} sessions, {} B in, {} B out, {} flagged",
                    format_time(b.start),
                    timeseries::width_name(s.width_secs),
                    b.sessions,
                    compact(b.bytes_in as f64),
                    compact(b.bytes_out as f64),
                    flagged_at(self.cursor)
                )),
            ]));
        }
        if let Some((i, b)) = s.buckets.iter().enumerate().max_by_key(|(_, b)| b.sessions) {
            let _ = i;
            lines.push(Line::from(vec![
                Span::styled("busiest ", t.dim()),
                Span::raw(format!(
                    "{} ({} sessions; b moves the cursor there)",
                    format_time(b.start),
                    b.sessions
                )),
            ]));
        }
        let min_gap = ((3600 / s.width_secs.max(1)) as usize).max(2);
        let gaps = timeseries::quiet_gaps(s, min_gap);
        for (g, len) in gaps.iter().take(2) {
            if let Some(b) = s.buckets.get(*g) {
                lines.push(Line::from(vec![
                    Span::styled("quiet   ", t.warn()),
                    Span::raw(format!(
                        "no traffic from {} to {} ({} buckets)",
                        format_time(b.start),
                        format_time(b.start + *len as i64 * width_ms),
                        len
                    )),
                ]));
            }
        }
        let bytes: Vec<f64> = s.buckets.iter().map(|b| b.bytes_in as f64).collect();
        let spikes = timeseries::spikes(&bytes);
        if !spikes.is_empty() {
            let when: Vec<String> = spikes
                .iter()
                .take(3)
                .filter_map(|&i| s.buckets.get(i))
                .map(|b| format_time(b.start))
                .collect();
            lines.push(Line::from(vec![
                Span::styled("spike   ", t.alert()),
                Span::raw(format!("bytes in above mean + 3σ at {}", when.join(", "))),
            ]));
        }
        let marked = (0..s.buckets.len())
            .filter(|&i| concentrated(i, s.buckets.get(i).map_or(0, |b| b.sessions)))
            .count();
        if marked > 0 {
            lines.push(Line::from(vec![
            Span::styled("●       ", t.alert()),
            Span::raw(format!(
                "{marked} bucket{} where flagged sessions are at least twice as common as overall",
                if marked == 1 { "" } else { "s" }
            )),
        ]));
        }
        if self.zoom.is_some() {
            lines.push(Line::styled("zoomed in (Z zooms out)", t.dim()));
        }
        Paragraph::new(lines).render(info, buf);
    }
}

/// Time ticks under the charts: the start of every few buckets at its column,
/// `HH:MM` when the window lies within one day, else `MM-DD HH:MM`; a tick that
/// would run past the edge is left out.
fn draw_axis(
    window: &[timeseries::Bucket],
    x0: u16,
    area: Rect,
    buf: &mut Buffer,
    style: ratatui::style::Style,
) {
    let text = format_time;
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return;
    };
    let one_day = text(first.start).get(..10) == text(last.start).get(..10);
    let tick = |ms: i64| -> String {
        let full = text(ms);
        let (date, clock) = (
            full.get(5..10).unwrap_or(""),
            full.get(11..16).unwrap_or(""),
        );
        if one_day {
            format!("╵{clock}")
        } else {
            format!("╵{date} {clock}")
        }
    };
    let w = tick(first.start).chars().count();
    let step = w + 3;
    let right = usize::from(area.right().saturating_sub(1));
    for (i, b) in window.iter().enumerate().step_by(step) {
        let x = usize::from(x0) + i;
        if x + w > right {
            break;
        }
        buf.set_string(x as u16, area.y, tick(b.start), style);
    }
}
