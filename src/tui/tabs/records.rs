//! Tab 1, Records: the raw rows with virtual scrolling (only visible rows are
//! drawn), column cursor, sort, search, and flagged rows highlighted with score.

use crate::tui::action::Action;
use crate::tui::app::{App, InputKind, Popup, moved};
use crate::tui::widgets::{cell, pad, rpad};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Handles a Records action.
pub fn update(app: &mut App, action: Action) {
    let n = app.view_rows().len();
    let ncols = app.ds.as_ref().map_or(0, |d| d.columns.len());
    let page = app.page();
    let r = &mut app.records;
    match action {
        Action::Left => r.col = r.col.saturating_sub(1),
        Action::Right => r.col = (r.col + 1).min(ncols.saturating_sub(1)),
        Action::Sort | Action::SortReverse => {
            let desc = action == Action::SortReverse;
            r.sort = match r.sort {
                Some((c, d)) if c == r.col && d == desc => None,
                _ => Some((r.col, desc)),
            };
            r.cursor = 0;
            app.request_view();
            return;
        }
        Action::OpenSearch => {
            let text = r.search.clone().unwrap_or_default();
            return app.input_mode(InputKind::Search, text);
        }
        Action::SearchNext => return app.search(true, false),
        Action::SearchPrev => return app.search(false, false),
        Action::Enter => {
            if let Some(&row) = app.view_rows().get(app.records.cursor) {
                app.popup = Some(Popup::Detail {
                    row: row as usize,
                    scroll: 0,
                });
            }
            return;
        }
        a => r.cursor = moved(r.cursor, &a, n, page),
    }
    keep_visible(app);
}

/// Adjusts the scroll offset so the cursor row is on screen.
pub fn keep_visible(app: &mut App) {
    let h = app.page();
    let r = &mut app.records;
    if r.cursor < r.offset {
        r.offset = r.cursor;
    } else if r.cursor >= r.offset + h {
        r.offset = r.cursor + 1 - h;
    }
}

/// Draws the Records tab.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let (Some(ds), Some(view)) = (app.ds.as_ref(), app.view.as_ref()) else {
        return;
    };
    let t = &app.theme;
    let rows = &view.rows;
    let height = usize::from(area.height.saturating_sub(1));
    let offset = app.records.offset.min(rows.len().saturating_sub(1));
    let visible: Vec<usize> = rows
        .iter()
        .skip(offset)
        .take(height)
        .map(|&r| r as usize)
        .collect();
    let det = app.det.as_ref();
    let flagged = |row: usize| matches!((det, &app.selection), (Some(d), Some(s)) if d.detection.index.is_flagged(s, row));
    // Column widths from the header and the visible cells only.
    let widths: Vec<usize> = ds
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let head = crate::sanitize::display_width(&crate::sanitize::inert(&col.name));
            let cells = visible
                .iter()
                .map(|&r| {
                    crate::sanitize::display_width(&crate::sanitize::inert(&ds.cell_text(r, c)))
                })
                .max()
                .unwrap_or(0);
            head.max(cells).clamp(3, 32)
        })
        .collect();
    // Pick the first column so that the cursor column fits.
    let score_w = if det.is_some() { 7 } else { 0 };
    let avail = usize::from(area.width).saturating_sub(score_w + 8);
    let cur = app.records.col.min(ds.columns.len().saturating_sub(1));
    let mut first = 0;
    while first < cur
        && widths
            .get(first..=cur)
            .map_or(0, |w| w.iter().map(|x| x + 1).sum::<usize>())
            > avail
    {
        first += 1;
    }
    let mut shown = Vec::new();
    let mut used = 0;
    for (c, &w) in widths.iter().enumerate().skip(first) {
        if used + w + 1 > avail && !shown.is_empty() {
            break;
        }
        shown.push(c);
        used += w + 1;
    }
    let mut lines = Vec::with_capacity(height + 1);
    let mut head = vec![Span::styled(format!("{:>7} ", "row"), t.header())];
    if det.is_some() {
        head.push(Span::styled(format!("{:>6} ", "score"), t.header()));
    }
    for &c in &shown {
        let name = ds.columns.get(c).map_or("", |col| col.name.as_str());
        let arrow = match app.records.sort {
            Some((s, false)) if s == c => "↑",
            Some((s, true)) if s == c => "↓",
            _ => "",
        };
        let w = widths.get(c).copied().unwrap_or(3);
        let text = pad(&format!("{}{arrow}", cell(name, w)), w);
        let style = if c == cur {
            t.header().patch(t.selected())
        } else {
            t.header()
        };
        head.push(Span::styled(text, style));
        head.push(Span::raw(" "));
    }
    lines.push(Line::from(head));
    for (i, &row) in visible.iter().enumerate() {
        let at_cursor = offset + i == app.records.cursor;
        let is_flagged = flagged(row);
        let mut spans = vec![Span::styled(format!("{:>7} ", row), t.dim())];
        if let Some(d) = det {
            let s = d.scores().get(row).copied().unwrap_or(0.0);
            let style = if is_flagged { t.alert() } else { t.dim() };
            spans.push(Span::styled(format!("{s:>6.3} "), style));
        }
        for &c in &shown {
            let w = widths.get(c).copied().unwrap_or(3);
            let text = cell(&ds.cell_text(row, c), w);
            let numeric = ds.columns.get(c).is_some_and(|col| col.data.is_numeric());
            let text = if numeric {
                rpad(&text, w)
            } else {
                pad(&text, w)
            };
            let mut style = if is_flagged { t.alert() } else { t.base() };
            if at_cursor && c == cur {
                style = style.patch(t.selected());
            }
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        let mut line = Line::from(spans);
        if at_cursor {
            line = line
                .style(ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::BOLD));
        }
        lines.push(line);
    }
    if rows.is_empty() {
        lines.push(Line::styled(
            "  no rows match the filter (f to change it, Backspace on an empty line clears it)",
            t.warn(),
        ));
    }
    Paragraph::new(lines).render(area, buf);
}
