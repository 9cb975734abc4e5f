//! Tab 5, Anomalies: the isolation forest's flagged rows, tuned live.
//!
//! `+`/`-` and `<`/`>` move the contamination, `c` types one, `k` flags the top
//! k: answered from the score index on the same keypress, no refit. `F` opens the
//! features panel (features, log1p, trees, sample size, seed), whose changes
//! refit in the background while the old results are shown as stale. Views: the
//! list, the score histogram with the threshold, a bytes-in/bytes-out scatter
//! (log axes, flagged in red) and per-source-IP figures. Enter drills down.

use crate::dataset::{Role, format_time};
use crate::detect::defaults;
use crate::detect::pipeline::available_features;
use crate::tui::action::Action;
use crate::tui::app::{App, InputKind, Popup, Threshold, fmt_pct, moved};
use crate::tui::widgets::{bar, cell, compact, pad, rpad};
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

/// Handles an Anomalies action.
pub fn update(app: &mut App, action: Action) {
    match action {
        Action::ContaminationStep(tenths) => {
            let current = match app.threshold {
                Threshold::Contamination(c) => c,
                Threshold::TopK(k) => {
                    k as f64 / app.ds.as_ref().map_or(1, |d| d.rows.max(1)) as f64
                }
                Threshold::Auto => 0.05,
            };
            // Steps of 0.1 percentage point, kept on the 0.1-point grid.
            let pm = (current * 1000.0).round() as i64 + i64::from(tenths);
            let c = (pm.clamp(1, 500) as f64) / 1000.0;
            app.set_threshold(Threshold::Contamination(c));
        }
        Action::TypeContamination => {
            let text = match app.threshold {
                Threshold::Contamination(c) => format!("{}%", fmt_pct(c)),
                Threshold::Auto => "auto".into(),
                Threshold::TopK(_) => String::new(),
            };
            app.input_mode(InputKind::Contamination, text);
        }
        Action::TopK => {
            let text = match app.threshold {
                Threshold::TopK(k) => k.to_string(),
                _ => String::new(),
            };
            app.input_mode(InputKind::TopK, text);
        }
        Action::FeaturesPanel => app.popup = Some(Popup::Features { cursor: 0 }),
        Action::NextView => app.anomalies.view = app.anomalies.view.next(),
        Action::Enter => {
            if let Some(&row) = app.flagged_rows.get(app.anomalies.cursor) {
                app.popup = Some(Popup::Detail {
                    row: row as usize,
                    scroll: 0,
                });
            }
        }
        a => {
            let n = app.flagged_rows.len();
            app.anomalies.cursor = moved(app.anomalies.cursor, &a, n, app.page());
        }
    }
}

/// Items of the features panel: features, then trees, sample size, seed.
fn panel_len(app: &App) -> usize {
    app.ds.as_ref().map_or(0, |d| available_features(d).len()) + 3
}

/// Handles an action while the features panel is open.
pub fn features_action(app: &mut App, cursor: usize, action: Action) {
    let Some(ds) = app.ds.clone() else { return };
    let feats = available_features(&ds);
    let n = feats.len();
    let mut refit = false;
    match action {
        Action::Close | Action::Enter | Action::FeaturesPanel => {
            app.popup = None;
            return;
        }
        Action::Toggle if cursor < n => {
            if let Some(f) = feats.get(cursor) {
                if let Some(i) = app.params.features.iter().position(|x| x == f) {
                    if app.params.features.len() > 1 {
                        app.params.features.remove(i);
                        refit = true;
                    } else {
                        app.status = Some("at least one feature is needed".into());
                    }
                } else {
                    app.params.features.push(f.clone());
                    refit = true;
                }
            }
        }
        Action::ToggleLog if cursor < n => {
            if let Some(f) = feats.get(cursor) {
                match app.params.log1p.iter().position(|x| x == f) {
                    Some(i) => {
                        app.params.log1p.remove(i);
                    }
                    None => app.params.log1p.push(f.clone()),
                }
                refit = app.params.features.contains(f);
            }
        }
        Action::Left | Action::Right => {
            let up = action == Action::Right;
            let p = &mut app.params;
            match cursor.checked_sub(n) {
                Some(0) => {
                    let (step, range) = (defaults::TREES_STEP, defaults::TREES_RANGE);
                    p.trees = if up {
                        (p.trees + step).min(*range.end())
                    } else {
                        p.trees.saturating_sub(step).max(*range.start())
                    }
                }
                Some(1) => {
                    let (auto, min) = (defaults::SAMPLE, defaults::SAMPLE_MIN);
                    let cur = p.sample.unwrap_or(auto);
                    p.sample = Some(if up {
                        (cur * 2).min(ds.rows.max(min))
                    } else {
                        (cur / 2).max(min)
                    });
                }
                Some(2) => {
                    p.seed = if up {
                        p.seed + 1
                    } else {
                        p.seed.saturating_sub(1)
                    }
                }
                _ => return,
            }
            refit = true;
        }
        a => {
            app.popup = Some(Popup::Features {
                cursor: moved(cursor, &a, panel_len(app), 10),
            });
            return;
        }
    }
    app.popup = Some(Popup::Features { cursor });
    if refit {
        app.request_detection();
    }
}

/// Draws the Anomalies tab.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    let Some(det) = app.det.as_ref() else {
        let msg = match &app.det_error {
            Some(e) => Line::styled(format!("detection failed: {}", cell(e, 200)), t.alert()),
            None => Line::styled("fitting the isolation forest…", t.stale()),
        };
        Paragraph::new(msg).render(area, buf);
        return;
    };
    let sel = app.selection;
    let total = sel.map_or(0, |s| s.count);
    let rows = app.ds.as_ref().map_or(0, |d| d.rows);
    let p = det.detection.params();
    let mut l1 = vec![
        Span::styled(format!("{} flagged", total), t.alert()),
        Span::raw(format!(
            " of {rows} ({:.2}%)",
            100.0 * total as f64 / rows.max(1) as f64
        )),
        Span::raw(format!(" · {}", app.threshold.describe())),
        Span::raw(format!(
            " · threshold {}",
            sel.map_or("—".into(), |s| format!("{:.4}", s.threshold))
        )),
    ];
    if app.view.as_ref().is_some_and(|v| v.filtered) {
        l1.push(Span::styled(
            format!(" · {} in the filtered view", app.flagged_rows.len()),
            t.warn(),
        ));
    }
    if app.det_stale {
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
            app.anomalies.view.label()
        ),
        t.dim(),
    );
    Paragraph::new(vec![Line::from(l1), l2]).render(head, buf);
    match app.anomalies.view {
        AnomalyView::List => render_list(app, body, buf),
        AnomalyView::Histogram => render_histogram(app, body, buf),
        AnomalyView::Scatter => render_scatter(app, body, buf),
        AnomalyView::ByIp => render_by_ip(app, body, buf),
    }
}

fn render_list(app: &App, area: Rect, buf: &mut Buffer) {
    let (Some(ds), Some(det)) = (app.ds.as_ref(), app.det.as_ref()) else {
        return;
    };
    let t = &app.theme;
    let text = |row: usize, r: Role| {
        ds.role_index(r)
            .map_or(String::new(), |i| ds.cell_text(row, i).into_owned())
    };
    let mut lines = vec![Line::styled(
        format!(
            "{:>5} {} {} {} {:>9} {:>9} {:>6}  why",
            "rank",
            pad("time", 20),
            pad("src_ip", 15),
            pad("cc", 3),
            "bytes in",
            "bytes out",
            "score"
        ),
        t.header(),
    )];
    let height = usize::from(area.height.saturating_sub(1));
    let offset = app
        .anomalies
        .cursor
        .saturating_sub(height.saturating_sub(1));
    for (i, &row) in app
        .flagged_rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
    {
        let row = row as usize;
        let rank = det.detection.index.rank_of(row).map_or(0, |r| r + 1);
        let time = ds.start_time(row).map(format_time).unwrap_or_default();
        let score = det.scores().get(row).copied().unwrap_or(0.0);
        let why = det.explanation_line(ds, row);
        let style = if i == app.anomalies.cursor {
            t.selected()
        } else {
            t.base()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{rank:>5} "), style),
            Span::raw(format!(
                "{} {} {} ",
                pad(&time, 20),
                pad(&cell(&text(row, Role::SrcIp), 15), 15),
                pad(&cell(&text(row, Role::Country), 3), 3)
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
            Span::styled(format!("{score:>6.3}  "), t.alert()),
            Span::styled(cell(&why, 80), t.dim()),
        ]));
    }
    if app.flagged_rows.is_empty() {
        lines.push(Line::styled("no flagged rows in this view", t.ok()));
    }
    Paragraph::new(lines).render(area, buf);
}

fn render_histogram(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(det) = app.det.as_ref() else { return };
    let t = &app.theme;
    let scores = det.scores();
    let bins = usize::from(area.height.saturating_sub(3)).clamp(4, 30);
    let h = crate::analysis::histogram::histogram(scores, bins, false);
    let max = h.counts.iter().copied().max().unwrap_or(1) as f64;
    let thr = app.selection.map(|s| s.threshold);
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

fn render_scatter(app: &App, area: Rect, buf: &mut Buffer) {
    let (Some(ds), Some(det), Some(sel)) =
        (app.ds.as_ref(), app.det.as_ref(), app.selection.as_ref())
    else {
        return;
    };
    let t = &app.theme;
    let (Some(bin), Some(bout)) = (ds.role(Role::BytesIn), ds.role(Role::BytesOut)) else {
        Paragraph::new(Line::styled(
            "the scatter needs bytes_in and bytes_out columns",
            t.warn(),
        ))
        .render(area, buf);
        return;
    };
    let rows: Vec<usize> = app
        .view
        .as_ref()
        .map_or_else(Vec::new, |v| v.rows.iter().map(|&r| r as usize).collect());
    let step = (rows.len() / 20_000).max(1);
    let lg = |x: f64| x.max(0.0).log10().max(0.0);
    let mut normal = Vec::new();
    let mut flagged = Vec::new();
    let mut max = (1.0f64, 1.0f64);
    for &r in rows.iter().step_by(step).chain(
        app.flagged_rows
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

fn render_by_ip(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let Some(view) = app.view.as_ref() else {
        return;
    };
    let Some(r) = view.rankings.iter().find(|r| r.dimension == "source IPs") else {
        Paragraph::new(Line::styled("no src_ip column", t.warn())).render(area, buf);
        return;
    };
    let mut rows: Vec<_> = r.rows.iter().filter(|e| e.flagged > 0).collect();
    rows.sort_by(|a, b| {
        b.flagged.cmp(&a.flagged).then(
            b.max_score
                .unwrap_or(0.0)
                .total_cmp(&a.max_score.unwrap_or(0.0)),
        )
    });
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

/// Draws the features panel (inside a popup area).
pub fn render_features(app: &App, cursor: usize, area: Rect, buf: &mut Buffer) {
    let Some(ds) = app.ds.as_ref() else { return };
    let t = &app.theme;
    let feats = available_features(ds);
    let mut lines = vec![Line::styled(
        "Space toggles a feature, L its log1p, ←/→ change numbers; changes refit in the background",
        t.dim(),
    )];
    for (i, f) in feats.iter().enumerate() {
        let on = app.params.features.contains(f);
        let log = app.params.log1p.contains(f);
        let style = if i == cursor { t.selected() } else { t.base() };
        lines.push(Line::styled(
            format!(
                "[{}] {}{}",
                if on { "x" } else { " " },
                pad(&cell(f, 24), 24),
                if log { " log1p" } else { "" }
            ),
            style,
        ));
    }
    let p = &app.params;
    let n = feats.len();
    let items = [
        format!("trees        ← {} →", p.trees),
        format!(
            "sample size  ← {} →",
            p.sample
                .map_or("auto (min(256, rows))".into(), |s| s.to_string())
        ),
        format!("seed         ← {} →", p.seed),
    ];
    for (k, text) in items.iter().enumerate() {
        let style = if cursor == n + k {
            t.selected()
        } else {
            t.base()
        };
        lines.push(Line::styled(text.clone(), style));
    }
    if app.det_stale {
        lines.push(Line::styled(
            format!(
                "refitting… {}",
                ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"][app.tick % 10]
            ),
            t.stale(),
        ));
    }
    let _ = rpad("", 0);
    Paragraph::new(lines).render(area, buf);
}
