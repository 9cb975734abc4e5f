//! Drawing the frame: header, tab bar, the active tab, input/status line,
//! footer hints and popups (help, rejects, drill-down, features). Pure: reads
//! the [`App`], writes only the buffer. Every data value passes the sanitiser.

use super::action::Tab;
use super::app::{App, InputKind, Mode, Popup};
use super::keymap::Scope;
use super::widgets::{cell, pad};
use crate::ingest::describe_reject;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Widget, Wrap};

/// The smallest usable terminal.
pub const MIN_SIZE: (u16, u16) = (40, 12);

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The tab bar for a terminal `width` wide with `current` open: each tab's
/// label and x range on row 1 (also for mouse clicks). When the full titles do
/// not fit, the other tabs shrink to their number key (` 6 `), then the open
/// one too, so that all seven stay visible and reachable.
pub fn tab_spans(width: u16, current: Tab) -> Vec<(Tab, String, u16, u16)> {
    let label = |i: usize, t: Tab, full: bool| {
        if full {
            format!(" {} {} ", i + 1, t.title())
        } else {
            format!(" {} ", i + 1)
        }
    };
    let layout = |full: &dyn Fn(Tab) -> bool| {
        let mut x = 0u16;
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let text = label(i, *t, full(*t));
                let w = text.chars().count() as u16;
                let span = (*t, text, x, x + w);
                x += w + 1;
                span
            })
            .collect::<Vec<_>>()
    };
    let fits = |v: &[(Tab, String, u16, u16)]| v.last().is_some_and(|l| l.3 <= width);
    let all = layout(&|_| true);
    if fits(&all) {
        return all;
    }
    let open = layout(&|t| t == current);
    if fits(&open) {
        return open;
    }
    layout(&|_| false)
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(self, area, buf);
    }
}

/// Draws everything.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        Paragraph::new(vec![
            Line::styled("terminal too small", t.warn()),
            Line::raw(format!(
                "need {}×{}, have {}×{}",
                MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
            )),
        ])
        .wrap(Wrap { trim: true })
        .render(area, buf);
        return;
    }
    let [header, tabs_row, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(app, header, buf);
    draw_tabs(app, tabs_row, buf);
    if let Some(p) = &app.loading {
        let ratio = p.fraction().unwrap_or(0.0).clamp(0.0, 1.0);
        let rows = p.rows.load(std::sync::atomic::Ordering::Relaxed);
        let [msg, gauge] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(1)]).areas(body);
        Paragraph::new(Line::raw(format!(
            "{} loading {} — {} rows so far (Esc cancels)",
            SPINNER[app.tick % SPINNER.len()],
            cell(&app.source.name(), 60),
            rows
        )))
        .render(msg, buf);
        Gauge::default()
            .ratio(ratio)
            .label(format!("{:.0}%", ratio * 100.0))
            .gauge_style(t.accent())
            .render(gauge, buf);
    } else if let Some(e) = &app.load_error {
        Paragraph::new(vec![
            Line::styled("could not load the data", t.alert()),
            Line::raw(cell(e, 400)),
            Line::raw(""),
            Line::styled("q quits", t.dim()),
        ])
        .wrap(Wrap { trim: false })
        .render(body, buf);
    } else if app.view.is_none() {
        Paragraph::new(Line::styled(
            format!("{} computing…", SPINNER[app.tick % SPINNER.len()]),
            t.stale(),
        ))
        .render(body, buf);
    } else {
        match app.ctx() {
            Some(ctx) if ctx.view.complete || app.tab == Tab::Records => {
                app.tabs.draw(app.tab, &ctx, body, buf)
            }
            _ => Paragraph::new(Line::styled(
                format!(
                    "{} computing statistics, rankings and the timeline… (Records are ready: 1)",
                    SPINNER[app.tick % SPINNER.len()]
                ),
                t.stale(),
            ))
            .render(body, buf),
        }
    }
    draw_status(app, status, buf);
    draw_footer(app, footer, buf);
    if let Some(popup) = &app.popup {
        draw_popup(app, popup, body, buf);
    }
}

fn draw_header(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut spans = vec![
        Span::styled("threatlens ", t.title()),
        Span::raw(cell(&app.source.name(), 40)),
    ];
    if let Some(ds) = &app.ds {
        let shown = app.view.as_ref().map_or(ds.rows, |v| v.rows.len());
        let rows = super::follow::rows_read(app).unwrap_or(ds.rows as u64);
        spans.push(Span::raw(format!(" · {rows} rows")));
        spans.extend(super::follow::header_spans(app));
        if ds.rejects.total > 0 {
            spans.push(Span::styled(
                format!(" · {} rejected (r)", ds.rejects.total),
                t.warn(),
            ));
        }
        if let Some(f) = &app.filter {
            spans.push(Span::styled(
                format!(" · filter: {} ({shown})", cell(f, 40)),
                t.key(),
            ));
        }
        if let Some(d) = &app.det {
            let p = d.detection.params();
            spans.push(Span::styled(
                format!(
                    " · iforest {} · {} trees · seed {}",
                    app.threshold.describe(),
                    p.trees,
                    p.seed
                ),
                t.dim(),
            ));
        }
    }
    if app.busy() {
        spans.push(Span::styled(
            format!(" {}", SPINNER[app.tick % SPINNER.len()]),
            t.stale(),
        ));
        if app.view_stale || app.det_stale {
            spans.push(Span::styled(" stale", t.stale()));
        }
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn draw_tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut spans = Vec::new();
    for (tab, text, _, _) in tab_spans(area.width, app.tab) {
        let style = if tab == app.tab {
            t.selected().patch(t.title())
        } else {
            t.dim()
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn draw_status(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let line = match app.mode {
        Mode::Input(kind) => {
            let label = match kind {
                InputKind::Filter => "filter> ",
                InputKind::Search => "search> ",
                InputKind::Contamination => "contamination (0.05, 5%, auto)> ",
                InputKind::TopK => "top k> ",
                InputKind::Export => "export to (.csv or .json)> ",
                InputKind::Report => "report to (.md, .html or .json)> ",
                InputKind::ConfirmOverwrite => "the file exists: replace it? (y/n) ",
                InputKind::Command => ":",
            };
            // The text stays editable after an error; the error is shown under it (footer).
            let text = cell(&app.input.text, 300);
            let text = if app.input.selected {
                Span::styled(text, t.selected())
            } else {
                Span::raw(text)
            };
            Line::from(vec![
                Span::styled(label, t.key()),
                text,
                Span::styled("▏", t.key()),
            ])
        }
        Mode::Normal => match (app.status.as_ref().or(app.follow_status()), &app.det_error) {
            (Some(s), _) => Line::styled(cell(s, 300), t.warn()),
            (None, Some(e)) => Line::styled(format!("detection: {}", cell(e, 300)), t.alert()),
            _ => Line::raw(""),
        },
    };
    Paragraph::new(line).render(area, buf);
}

fn draw_footer(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let scope = match app.mode {
        Mode::Input(_) if app.input.error.is_some() => {
            let e = app.input.error.as_deref().unwrap_or_default();
            Paragraph::new(Line::styled(cell(e, 300), t.alert())).render(area, buf);
            return;
        }
        Mode::Input(kind) => {
            // Only the filter line has a history and clears on Backspace; a y/n question takes
            // one key.
            let hints: &[&str] = match kind {
                InputKind::Filter => &[
                    "Enter apply · Esc cancel · ↑/↓ history · Ctrl-U/Ctrl-W delete · Home/End · Backspace on empty clears the filter",
                    "Enter apply · Esc cancel · ↑/↓ history · Backspace on empty clears the filter",
                    "Enter apply · Esc cancel · ↑/↓ history",
                    "Enter apply · Esc cancel",
                ],
                InputKind::Command => &[
                    "Enter run · Esc cancel · Tab completes · Ctrl-U/Ctrl-W delete · :help lists the commands",
                    "Enter run · Esc cancel · Tab completes",
                ],
                InputKind::ConfirmOverwrite => &[
                    "y replace the file · any other key keeps it",
                    "y replace · other key keeps",
                ],
                _ => &[
                    "Enter apply · Esc cancel · Ctrl-U/Ctrl-W delete · Home/End",
                    "Enter apply · Esc cancel",
                ],
            };
            let hint = hints
                .iter()
                .copied()
                .find(|h| unicode_width::UnicodeWidthStr::width(*h) <= usize::from(area.width))
                .unwrap_or("Enter · Esc");
            Paragraph::new(Line::styled(hint, t.dim())).render(area, buf);
            return;
        }
        Mode::Normal => app.scope(),
    };
    let mut hints = app.keymap.hints(scope);
    if app.popup.is_some() {
        // The quit key closes a popup (see `event_action`): say so.
        for h in hints.iter_mut().filter(|h| h.1 == "quit") {
            h.1 = "close";
        }
    }
    let spans = footer_hints(hints, usize::from(area.width))
        .into_iter()
        .flat_map(|(key, help)| {
            [
                Span::styled(key, t.key()),
                Span::styled(format!(" {help}  "), t.dim()),
            ]
        })
        .collect::<Vec<_>>();
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The hints that fit in `width` columns, whole (never cut mid-word). When not all fit, the help
/// key comes first, so a narrow terminal still says where the rest are, then the others in keymap
/// order.
pub fn footer_hints(
    mut hints: Vec<(String, &'static str)>,
    width: usize,
) -> Vec<(String, &'static str)> {
    use unicode_width::UnicodeWidthStr;
    let total: usize = hints
        .iter()
        .map(|(k, h)| k.width() + 1 + h.width() + 2)
        .sum();
    if total.saturating_sub(2) <= width {
        return hints;
    }
    if let Some(i) = hints.iter().position(|(k, _)| k == "?") {
        let help = hints.remove(i);
        hints.insert(0, help);
    }
    let mut used = 0;
    hints
        .into_iter()
        .filter(|(key, help)| {
            // "key help" plus two spaces; the last one may do without them.
            let w = key.width() + 1 + help.width();
            let fits = used + w <= width;
            if fits {
                used += w + 2;
            }
            fits
        })
        .collect()
}

fn popup_area(area: Rect, w_pct: u16, h_pct: u16) -> Rect {
    let w = (area.width * w_pct / 100).max(30).min(area.width);
    let h = (area.height * h_pct / 100).max(6).min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_popup(app: &App, popup: &Popup, body: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let (title, area) = match popup {
        Popup::Help { .. } => (" help — keys (Esc closes) ", popup_area(body, 90, 95)),
        Popup::Rejects { .. } => (" rejected rows (Esc closes) ", popup_area(body, 90, 90)),
        Popup::Detail { .. } => (
            " session detail (f filters to this IP, Esc closes) ",
            popup_area(body, 94, 96),
        ),
        Popup::Features { .. } => (
            " detection parameters (Enter/Esc closes) ",
            popup_area(body, 70, 80),
        ),
        Popup::Entity { .. } => (
            " source IP behaviour (Enter or f filters every tab to it, Esc closes) ",
            popup_area(body, 94, 96),
        ),
        Popup::Evaluation { .. } => (
            " evaluation against the label (Esc closes) ",
            popup_area(body, 94, 80),
        ),
    };
    Clear.render(area, buf);
    let block = Block::bordered().title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let (lines, scroll) = match popup {
        Popup::Help { scroll } => (help_lines(app), *scroll),
        Popup::Rejects { scroll } => (reject_lines(app), *scroll),
        Popup::Detail { row, scroll } => match &app.detail {
            Some((key, d)) if key.row == *row => (super::detail::lines(d, t, inner.width), *scroll),
            _ => (vec![Line::styled("reading the session…", t.dim())], 0),
        },
        Popup::Entity { entity, scroll } => match (&app.entity_report, &app.entities, &app.ds) {
            (Some((e, detail)), Some(run), Some(ds)) if e == entity => {
                (super::entities::lines(run, *e, detail, ds, t), *scroll)
            }
            _ => (vec![Line::styled("no entity run", t.dim())], 0),
        },
        Popup::Evaluation { scroll } => (
            super::supervised::lines(&app.supervised, &app.threshold.describe(), t),
            *scroll,
        ),
        Popup::Features { cursor } => {
            if let Some(ctx) = app.ctx() {
                super::features::draw(*cursor, &ctx, inner, buf);
            }
            return;
        }
    };
    // Never past the last full page: a page-down at the end shows the end, not a blank page.
    let scroll = scroll.min(lines.len().saturating_sub(usize::from(inner.height).max(1)));
    let text = Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>());
    // A reject's reason and its hint are long sentences: wrapped, not cut at the border.
    if matches!(popup, Popup::Rejects { .. }) {
        text.wrap(ratatui::widgets::Wrap { trim: false })
            .render(inner, buf);
    } else {
        text.render(inner, buf);
    }
}

/// The help text, generated from the keymap.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    let scopes: Vec<(Scope, String)> = std::iter::once((Scope::Global, "everywhere".to_string()))
        .chain(
            Tab::ALL
                .iter()
                .map(|tab| (Scope::Tab(*tab), format!("{} tab", tab.title()))),
        )
        .chain(std::iter::once((
            Scope::Drilldown,
            "drill-down and features panel".to_string(),
        )))
        .collect();
    for (scope, label) in scopes {
        lines.push(Line::styled(label, t.header()));
        for b in app.keymap.bindings.iter().filter(|b| b.scope == scope) {
            let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
            lines.push(Line::from(vec![
                Span::styled(pad(&keys.join(" "), 16), t.key()),
                Span::raw(b.help),
            ]));
        }
    }
    lines.extend(super::command::help_lines(t));
    lines.push(Line::styled("filter examples", t.header()));
    for ex in [
        "country = US and bytes_in > 1000000",
        "src_ip in 155.91.45.0/24 or anomaly",
        "time >= 2024-04-26T08:00 and not (dst_port in (80, 443))",
        "rule_names ~ \"suspicious\"    src_ip ~ /^165\\.225\\./",
    ] {
        lines.push(Line::raw(format!("  {ex}")));
    }
    lines
}

fn reject_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(ds) = &app.ds else { return Vec::new() };
    let mut lines = vec![Line::styled(
        format!("{} rows rejected", ds.rejects.total),
        t.header(),
    )];
    for (k, n) in &ds.rejects.by_kind {
        lines.push(Line::raw(format!("  {n:>8}  {}", cell(k, 60))));
    }
    lines.push(Line::raw(""));
    for r in &ds.rejects.details {
        lines.push(Line::raw(cell(&describe_reject(r), 400)));
    }
    if ds.rejects.total as usize > ds.rejects.details.len() {
        lines.push(Line::styled(
            format!(
                "… and {} more (details are kept for the first {})",
                ds.rejects.total as usize - ds.rejects.details.len(),
                ds.rejects.details.len()
            ),
            t.dim(),
        ));
    }
    if ds.rejects.total == 0 {
        lines.push(Line::styled("no row was rejected", t.ok()));
    }
    lines
}
