//! Tab 5, Anomalies: the isolation forest's flagged rows, tuned live.
//!
//! `+`/`-` and `<`/`>` move the contamination, `c` types one, `k` flags the top
//! k: answered from the score index on the same keypress, no refit. `F` opens the
//! features panel (features, log1p, trees, sample size, seed), whose changes
//! refit in the background while the old results are shown as stale. Views: the
//! list, the score histogram with the threshold, a bytes-in/bytes-out scatter
//! (log axes, flagged in red) and per-source-IP figures. Enter drills down. `b` switches
//! between rows and entities (source IPs scored on their behaviour, `tabs::entities`).

use super::{Ctx, Effect, moved};
use crate::dataset::{Role, format_time};
use crate::source::view::ViewData;
use crate::tui::action::Action;
use crate::tui::popup::Popup;
use crate::tui::prompt::InputKind;
use crate::tui::threshold::{Threshold, fmt_pct};
use crate::tui::widgets::{bar, cell, compact, pad};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Points};
use ratatui::widgets::{Block, Paragraph, Widget};

/// Which anomaly view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnomalyView {
    #[default]
    List,
    Histogram,
    Scatter,
    ByIp,
}

impl AnomalyView {
    fn next(self) -> Self {
        match self {
            AnomalyView::List => AnomalyView::Histogram,
            AnomalyView::Histogram => AnomalyView::Scatter,
            AnomalyView::Scatter => AnomalyView::ByIp,
            AnomalyView::ByIp => AnomalyView::List,
        }
    }
    fn label(self) -> &'static str {
        match self {
            AnomalyView::List => "list",
            AnomalyView::Histogram => "score histogram",
            AnomalyView::Scatter => "bytes in vs out",
            AnomalyView::ByIp => "per source IP",
        }
    }
}

/// The Anomalies tab's state.
#[derive(Debug, Clone, Default)]
pub struct AnomaliesState {
    pub cursor: usize,
    pub view: AnomalyView,
    /// Entities (source IPs scored on their behaviour) instead of rows.
    pub by_entity: bool,
    pub entity_cursor: usize,
    /// The source IPs with flagged sessions, most flagged first (indices into the
    /// view's source-IP ranking), and the view they were sorted for.
    by_ip: Vec<u32>,
    by_ip_for: Option<usize>,
}

impl AnomaliesState {
    /// Sorts the per-source-IP figures when the view changed (the app calls it after
    /// every message, so drawing never sorts).
    pub fn sync(&mut self, view: &std::sync::Arc<ViewData>) {
        let key = std::sync::Arc::as_ptr(view) as usize;
        if self.by_ip_for == Some(key) {
            return;
        }
        self.by_ip_for = Some(key);
        self.by_ip.clear();
        let Some(r) = view.rankings.iter().find(|r| r.dimension == "source IPs") else {
            return;
        };
        let rows = &r.rows;
        self.by_ip = (0..rows.len() as u32)
            .filter(|&i| rows.get(i as usize).is_some_and(|e| e.flagged > 0))
            .collect();
        let score = |i: u32| {
            rows.get(i as usize)
                .map_or((0, 0.0), |e| (e.flagged, e.max_score.unwrap_or(0.0)))
        };
        self.by_ip.sort_by(|&a, &b| {
            let (fa, sa) = score(a);
            let (fb, sb) = score(b);
            fb.cmp(&fa).then(sb.total_cmp(&sa))
        });
    }

    /// Handles an Anomalies action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        let effect = match action {
            Action::ContaminationStep(tenths) => {
                let current = match ctx.threshold {
                    Threshold::Contamination(c) => c,
                    Threshold::TopK(k) => k as f64 / ctx.ds.rows.max(1) as f64,
                    Threshold::Auto => 0.05,
                };
                // Steps of 0.1 percentage point, kept on the 0.1-point grid.
                let pm = (current * 1000.0).round() as i64 + i64::from(tenths);
                let c = (pm.clamp(1, 500) as f64) / 1000.0;
                Effect::Threshold(Threshold::Contamination(c))
            }
            Action::TypeContamination => {
                let text = match ctx.threshold {
                    Threshold::Contamination(c) => format!("{}%", fmt_pct(c)),
                    Threshold::Auto => "auto".into(),
                    Threshold::TopK(_) => String::new(),
                };
                Effect::Prompt(InputKind::Contamination, text)
            }
            Action::TopK => {
                let text = match ctx.threshold {
                    Threshold::TopK(k) => k.to_string(),
                    _ => String::new(),
                };
                Effect::Prompt(InputKind::TopK, text)
            }
            Action::FeaturesPanel => Effect::Open(Popup::Features { cursor: 0 }),
            Action::NextView => {
                self.view = self.view.next();
                return Vec::new();
            }
            Action::ToggleEntities => {
                self.by_entity = !self.by_entity;
                if !self.by_entity {
                    return Vec::new();
                }
                Effect::Entities
            }
            Action::Evaluation => Effect::Open(Popup::Evaluation { scroll: 0 }),
            a if self.by_entity => return self.update_entities(a, ctx),
            Action::Copy => match ctx.flagged_rows.get(self.cursor) {
                Some(&row) => {
                    let score = ctx.det.and_then(|d| d.scores().get(row as usize).copied());
                    let threshold = ctx.selection.map(|s| s.threshold);
                    Effect::Copy(crate::tui::columns::session_text(
                        ctx.ds,
                        row as usize,
                        score.zip(threshold),
                    ))
                }
                None => return Vec::new(),
            },
            Action::Enter => match ctx.flagged_rows.get(self.cursor) {
                Some(&row) => Effect::Open(Popup::Detail {
                    row: row as usize,
                    scroll: 0,
                }),
                None => return Vec::new(),
            },
            a => {
                self.cursor = moved(self.cursor, &a, ctx.flagged_rows.len(), ctx.page);
                return Vec::new();
            }
        };
        vec![effect]
    }
}

impl AnomaliesState {
    /// An action in the entity view: move, or open the entity under the cursor.
    fn update_entities(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        match action {
            Action::Enter => super::entities::flagged_at(ctx, self.entity_cursor)
                .map(|entity| Effect::Open(Popup::Entity { entity, scroll: 0 }))
                .into_iter()
                .collect(),
            a => {
                let n = super::entities::flagged_count(ctx);
                self.entity_cursor = moved(self.entity_cursor, &a, n, ctx.page);
                Vec::new()
            }
        }
    }

    /// Draws the Anomalies tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let [head, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        let Some(det) = ctx.det else {
            let msg = match ctx.det_error {
                Some(e) => Line::styled(format!("detection failed: {}", cell(e, 200)), t.alert()),
                None => Line::styled("fitting the isolation forest…", t.stale()),
            };
            Paragraph::new(msg).render(area, buf);
            return;
        };
        let sel = ctx.selection;
        let total = sel.map_or(0, |s| s.count);
        let rows = ctx.ds.rows;
        let p = det.detection.params();
        let mut l1 = vec![
            Span::styled(format!("{} flagged", total), t.alert()),
            Span::raw(format!(
                " of {rows} ({:.2}%)",
                100.0 * total as f64 / rows.max(1) as f64
            )),
            Span::raw(format!(" · {}", ctx.threshold.describe())),
            Span::raw(format!(
                " · threshold {}",
                sel.map_or("—".into(), |s| format!("{:.4}", s.threshold))
            )),
        ];
        if ctx.view.filtered {
            l1.push(Span::styled(
                format!(" · {} in the filtered view", ctx.flagged_rows.len()),
                t.warn(),
            ));
        }
        if ctx.det_stale {
            l1.push(Span::styled(
                " · refitting… (results below are stale)",
                t.stale(),
            ));
        }
        let l2 = Line::styled(
            format!(
                "features {} · trees {} · sample {} · depth {} · seed {} · view: {} (v)",
                det.feature_names
                    .iter()
                    .map(|f| if det.params.log1p.contains(f) {
                        format!("log1p({f})")
                    } else {
                        f.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                p.trees,
                p.sample_size,
                p.max_depth,
                p.seed,
                self.view.label()
            ),
            t.dim(),
        );
        if ctx.ds.role(Role::Label).is_some() {
            l1.push(Span::styled(
                match ctx.classifier {
                    Some(c) => format!(" · classifier ROC AUC {:.3} (E)", c.roc_auc),
                    None => " · E: vs label".into(),
                },
                t.warn(),
            ));
        }
        Paragraph::new(vec![Line::from(l1), l2]).render(head, buf);
        if self.by_entity {
            return super::entities::draw(self.entity_cursor, ctx, body, buf);
        }
        match self.view {
            AnomalyView::List => self.render_list(ctx, body, buf),
            AnomalyView::Histogram => render_histogram(ctx, body, buf),
            AnomalyView::Scatter => render_scatter(ctx, body, buf),
            AnomalyView::ByIp => self.render_by_ip(ctx, body, buf),
        }
    }

    fn render_list(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let (ds, Some(det)) = (ctx.ds, ctx.det) else {
            return;
        };
        let t = ctx.theme;
        let text = |row: usize, r: Role| {
            ds.role_index(r)
                .map_or(String::new(), |i| ds.cell_text(row, i).into_owned())
        };
        let proba = ctx.classifier.map(|c| c.probability.as_slice());
        // Below 100 columns the time loses its year and zone and the country goes, so
        // that the why column keeps room for a piece.
        let narrow = area.width < 100;
        let (time_w, cc_w) = if narrow { (14, 0) } else { (20, 3) };
        let mut lines = vec![Line::styled(
            format!(
                "{:>5} {} {} {}{:>9} {:>9} {:>6}{}  why",
                "rank",
                pad("time", time_w),
                pad("src_ip", 15),
                if narrow {
                    String::new()
                } else {
                    format!("{} ", pad("cc", 3))
                },
                "bytes in",
                "bytes out",
                "score",
                if proba.is_some() { "     P" } else { "" }
            ),
            t.header(),
        )];
        let height = usize::from(area.height.saturating_sub(1));
        let offset = self.cursor.saturating_sub(height.saturating_sub(1));
        // rank, time, src_ip, cc, bytes in and out, score (and P), then two spaces.
        let fixed = 6
            + time_w
            + 1
            + 16
            + cc_w
            + usize::from(cc_w > 0)
            + 10
            + 10
            + 6
            + if proba.is_some() { 6 } else { 0 }
            + 2;
        let why_width = usize::from(area.width).saturating_sub(fixed);
        for (i, &row) in ctx
            .flagged_rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
        {
            let row = row as usize;
            let rank = det.detection.index.rank_of(row).map_or(0, |r| r + 1);
            let time = ds.start_time(row).map(format_time).unwrap_or_default();
            // "2024-04-25T19:10:00Z" → "04-25 19:10:00" when narrow.
            let time = match time.get(5..19) {
                Some(short) if narrow => short.replacen('T', " ", 1),
                _ => time,
            };
            let score = det.scores().get(row).copied().unwrap_or(0.0);
            let (parts, words) =
                det.explanation_parts(det.explain(ds, row).as_ref(), &det.patterns(ds, row));
            let why = fit_why(&parts, &words, why_width);
            let style = if i == self.cursor {
                t.selected()
            } else {
                t.base()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{rank:>5} "), style),
                Span::raw(format!(
                    "{} {} {}",
                    pad(&time, time_w),
                    pad(&cell(&text(row, Role::SrcIp), 15), 15),
                    if narrow {
                        String::new()
                    } else {
                        format!("{} ", pad(&cell(&text(row, Role::Country), 3), 3))
                    }
                )),
                Span::raw(format!(
                    "{:>9} {:>9} ",
                    compact(
                        ds.role(Role::BytesIn)
                            .and_then(|c| c.data.number(row))
                            .unwrap_or(f64::NAN)
                    ),
                    compact(
                        ds.role(Role::BytesOut)
                            .and_then(|c| c.data.number(row))
                            .unwrap_or(f64::NAN)
                    )
                )),
                Span::styled(format!("{score:>6.3}"), t.alert()),
                Span::styled(
                    proba.map_or(String::new(), |p| {
                        p.get(row).map_or("     —".into(), |p| format!(" {p:>5.2}"))
                    }),
                    t.warn(),
                ),
                Span::styled(format!("  {why}"), t.dim()),
            ]));
        }
        if ctx.flagged_rows.is_empty() {
            lines.push(Line::styled("no flagged rows in this view", t.ok()));
        }
        Paragraph::new(lines).render(area, buf);
    }
}

fn render_histogram(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let Some(det) = ctx.det else { return };
    let t = ctx.theme;
    let scores = det.scores();
    let bins = usize::from(area.height.saturating_sub(3)).clamp(4, 30);
    let h = crate::analysis::histogram::histogram(scores, bins, false);
    let max = h.counts.iter().copied().max().unwrap_or(1) as f64;
    let thr = ctx.selection.map(|s| s.threshold);
    let bar_w = usize::from(area.width).saturating_sub(30);
    let mut lines = vec![Line::styled(
        "score distribution (── threshold: rows above it are flagged)",
        t.header(),
    )];
    let mut drew_threshold = false;
    for (i, &c) in h.counts.iter().enumerate().rev() {
        let lo = h.edges.get(i).copied().unwrap_or(0.0);
        let hi = h.edges.get(i + 1).copied().unwrap_or(1.0);
        let above = thr.is_some_and(|th| lo >= th);
        if let Some(th) = thr
            && !drew_threshold
            && th >= lo
            && th < hi
        {
            lines.push(Line::styled(
                format!("{} threshold {th:.4}", "─".repeat(bar_w / 2)),
                t.alert(),
            ));
            drew_threshold = true;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{lo:.3}–{hi:.3} "), t.dim()),
            Span::styled(
                pad(&bar(c as f64, max, bar_w), bar_w),
                if above { t.alert() } else { t.accent() },
            ),
            Span::raw(format!(" {c}")),
        ]));
    }
    Paragraph::new(lines).render(area, buf);
}

fn render_scatter(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let (ds, Some(det), Some(sel)) = (ctx.ds, ctx.det, ctx.selection.as_ref()) else {
        return;
    };
    let t = ctx.theme;
    let (Some(bin), Some(bout)) = (ds.role(Role::BytesIn), ds.role(Role::BytesOut)) else {
        Paragraph::new(Line::styled(
            "the scatter needs bytes_in and bytes_out columns",
            t.warn(),
        ))
        .render(area, buf);
        return;
    };
    let rows: Vec<usize> = ctx.view.rows.iter().map(|&r| r as usize).collect();
    let step = (rows.len() / 20_000).max(1);
    let lg = |x: f64| x.max(0.0).log10().max(0.0);
    let mut normal = Vec::new();
    let mut flagged = Vec::new();
    let mut max = (1.0f64, 1.0f64);
    for &r in rows.iter().step_by(step).chain(
        ctx.flagged_rows
            .iter()
            .map(|&r| r as usize)
            .collect::<Vec<_>>()
            .iter(),
    ) {
        let (Some(x), Some(y)) = (bin.data.number(r), bout.data.number(r)) else {
            continue;
        };
        let p = (lg(x), lg(y));
        max = (max.0.max(p.0), max.1.max(p.1));
        if det.detection.index.is_flagged(sel, r) {
            flagged.push(p)
        } else {
            normal.push(p)
        }
    }
    let red = if t.color { Color::Red } else { Color::Reset };
    let dim = if t.color { Color::Gray } else { Color::Reset };
    Canvas::default()
        .block(Block::bordered().title(Span::styled(
            " log10 bytes_in (x) vs log10 bytes_out (y); flagged in red (×) ",
            t.title(),
        )))
        .x_bounds([0.0, max.0.ceil()])
        .y_bounds([0.0, max.1.ceil()])
        .marker(ratatui::symbols::Marker::Braille)
        .paint(|ctx| {
            ctx.draw(&Points {
                coords: &normal,
                color: dim,
            });
            ctx.layer();
            for &(x, y) in &flagged {
                ctx.print(
                    x,
                    y,
                    Span::styled("×", ratatui::style::Style::new().fg(red)),
                );
            }
        })
        .render(area, buf);
}

impl AnomaliesState {
    fn render_by_ip(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let t = ctx.theme;
        let view = ctx.view;
        let Some(r) = view.rankings.iter().find(|r| r.dimension == "source IPs") else {
            Paragraph::new(Line::styled("no src_ip column", t.warn())).render(area, buf);
            return;
        };
        let rows: Vec<_> = self
            .by_ip
            .iter()
            .filter_map(|&i| r.rows.get(i as usize))
            .collect();
        let mut lines = vec![Line::styled(
            format!(
                "{} {:>8} {:>8} {:>7} {:>6}",
                pad("src_ip", 40),
                "flagged",
                "sessions",
                "share",
                "max"
            ),
            t.header(),
        )];
        for e in rows.iter().take(usize::from(area.height.saturating_sub(1))) {
            lines.push(Line::from(vec![
                Span::raw(pad(&cell(&e.row.key, 40), 40)),
                Span::styled(format!(" {:>8}", e.flagged), t.alert()),
                Span::raw(format!(
                    " {:>8} {:>6.1}% {:>6}",
                    e.row.sessions,
                    100.0 * e.flagged as f64 / e.row.sessions.max(1) as f64,
                    e.max_score.map_or("—".into(), |s| format!("{s:.3}"))
                )),
            ]));
        }
        if rows.is_empty() {
            lines.push(Line::styled("no flagged sessions in this view", t.ok()));
        }
        Paragraph::new(lines).render(area, buf);
    }
}

/// The why column in `width` cells: whole pieces only (a feature and its share, a pattern's
/// short form), the patterns after a `·`; `…` says pieces were left out. Never a cut word.
pub fn fit_why(parts: &[String], words: &[String], width: usize) -> String {
    let width_of = |s: &str| unicode_width::UnicodeWidthStr::width(s);
    // Names come from the data's header: made inert before they are measured.
    let pieces: Vec<(&str, String)> = parts
        .iter()
        .map(|p| (" ", crate::sanitize::inert(p).into_owned()))
        .chain(words.iter().enumerate().map(|(i, w)| {
            (
                if i == 0 { " · " } else { ", " },
                crate::sanitize::inert(w).into_owned(),
            )
        }))
        .collect();
    let mut out = String::new();
    for (i, (sep, piece)) in pieces.iter().enumerate() {
        let sep = if out.is_empty() { "" } else { sep };
        // Keep a cell for the ellipsis unless this is the last piece.
        let reserve = usize::from(i + 1 < pieces.len());
        if width_of(&out) + width_of(sep) + width_of(piece) + reserve > width {
            if width_of(&out) < width {
                out.push('…');
            }
            return out;
        }
        out.push_str(sep);
        out.push_str(piece);
    }
    out
}

#[cfg(test)]
mod why_tests {
    use super::fit_why;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn the_why_column_keeps_whole_pieces() {
        let parts = s(&["bytes_in↑ 52%", "bytes_out↑ 31%"]);
        let words = s(&["exfiltration", "DDoS"]);
        let all = "bytes_in↑ 52% bytes_out↑ 31% · exfiltration, DDoS";
        assert_eq!(fit_why(&parts, &words, 80), all);
        assert_eq!(fit_why(&parts, &words, all.chars().count()), all);
        assert_eq!(fit_why(&parts, &words, 14), "bytes_in↑ 52%…");
        assert_eq!(fit_why(&parts, &words, 30), "bytes_in↑ 52% bytes_out↑ 31%…");
        // Too narrow for the first piece: only the ellipsis, never "bytes".
        assert_eq!(fit_why(&parts, &words, 6), "…");
        assert_eq!(fit_why(&parts, &words, 0), "");
        assert_eq!(fit_why(&[], &words, 20), "exfiltration, DDoS");
    }
}
