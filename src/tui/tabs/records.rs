//! Tab 1, Records: the raw rows with virtual scrolling (only visible rows are
//! drawn), column cursor, sort, search (run on the worker: the next match and how
//! many rows match), and flagged rows highlighted with score. The columns come in
//! order of importance (`crate::tui::columns`); `-` hides the one under the
//! cursor and `U` shows them all again.

use super::{Ctx, Effect, moved};
use crate::source::search::SearchHit;
use crate::tui::action::Action;
use crate::tui::columns;
use crate::tui::popup::Popup;
use crate::tui::prompt::InputKind;
use crate::tui::widgets::{cell, pad, rpad};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The Records tab's state.
#[derive(Debug, Clone, Default)]
pub struct RecordsState {
    /// Index into the view's rows.
    pub cursor: usize,
    pub offset: usize,
    /// The column cursor: a position in the display order (`columns::order`).
    pub col: usize,
    /// Dataset columns the user hid, in the order hidden.
    pub hidden: Vec<usize>,
    pub sort: Option<(usize, bool)>,
    pub search: Option<String>,
    /// The last search answer from the worker: how many rows of the view match.
    pub hits: Option<SearchHit>,
    /// Rows a page shows (kept from the last `update`, for scrolling).
    page: usize,
}

impl RecordsState {
    /// Handles a Records action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        let n = ctx.view.rows.len();
        let order = columns::order(ctx.ds, &self.hidden);
        let ncols = order.len();
        self.col = self.col.min(ncols.saturating_sub(1));
        let cur = order.get(self.col).copied().unwrap_or(0);
        self.page = ctx.page;
        match action {
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col = (self.col + 1).min(ncols.saturating_sub(1)),
            Action::HideColumn => return self.hide(ctx, cur, ncols),
            Action::ShowColumns => return self.show_all(ctx, cur),
            Action::Sort | Action::SortReverse => {
                let desc = action == Action::SortReverse;
                self.sort = match self.sort {
                    Some((c, d)) if c == cur && d == desc => None,
                    _ => Some((cur, desc)),
                };
                self.cursor = 0;
                self.hits = None;
                return vec![Effect::RequestView];
            }
            Action::OpenSearch => {
                let text = self.search.clone().unwrap_or_default();
                return vec![Effect::Prompt(InputKind::Search, text)];
            }
            Action::Copy => {
                let text = ctx
                    .view
                    .rows
                    .get(self.cursor)
                    .map(|&row| ctx.ds.cell_text(row as usize, cur).into_owned());
                return text.map(Effect::Copy).into_iter().collect();
            }
            Action::SearchNext => return vec![Effect::Search { forward: true }],
            Action::SearchPrev => return vec![Effect::Search { forward: false }],
            Action::Enter => {
                return ctx
                    .view
                    .rows
                    .get(self.cursor)
                    .map(|&row| {
                        Effect::Open(Popup::Detail {
                            row: row as usize,
                            scroll: 0,
                        })
                    })
                    .into_iter()
                    .collect();
            }
            a => self.cursor = moved(self.cursor, &a, n, ctx.page),
        }
        self.keep_visible();
        Vec::new()
    }

    /// Hides the column under the cursor (never the last one shown).
    fn hide(&mut self, ctx: &Ctx<'_>, cur: usize, shown: usize) -> Vec<Effect> {
        let name = |c: usize| ctx.ds.columns.get(c).map_or("", |col| col.name.as_str());
        if shown <= 1 {
            return vec![Effect::Status(format!(
                "{} is the only column shown; U shows the hidden ones",
                crate::sanitize::inert(name(cur))
            ))];
        }
        self.hidden.push(cur);
        self.col = self.col.min(shown - 2);
        vec![Effect::Status(format!(
            "hid {} ({} hidden; U shows them again)",
            crate::sanitize::inert(name(cur)),
            self.hidden.len()
        ))]
    }

    /// Shows every hidden column again, the cursor staying on its column.
    fn show_all(&mut self, ctx: &Ctx<'_>, cur: usize) -> Vec<Effect> {
        let n = std::mem::take(&mut self.hidden).len();
        let order = columns::order(ctx.ds, &self.hidden);
        self.col = order.iter().position(|&c| c == cur).unwrap_or(0);
        let text = match n {
            0 => "no columns are hidden (- hides the one under the cursor)".to_string(),
            1 => "showing the hidden column again".to_string(),
            n => format!("showing the {n} hidden columns again"),
        };
        vec![Effect::Status(text)]
    }

    /// The worker's answer to a search: moves to the match, or says there is none.
    pub fn on_search(&mut self, hit: SearchHit, page: usize) -> Option<String> {
        self.page = page;
        let status = match hit.index {
            Some(i) => {
                self.cursor = i;
                self.keep_visible();
                Some(format!(
                    "match {} of {} for '{}'",
                    hit.ordinal,
                    hit.matches,
                    crate::sanitize::inert(&hit.needle)
                ))
            }
            None => Some(format!(
                "no match for '{}'",
                crate::sanitize::inert(&hit.needle)
            )),
        };
        self.hits = Some(hit);
        status
    }

    /// Moves to the last of `n` rows (following a growing file's end, like `less +F`).
    pub fn follow_end(&mut self, n: usize, page: usize) {
        self.page = page;
        self.cursor = n.saturating_sub(1);
        self.keep_visible();
    }

    /// Puts the cursor on row `i` of the view (the row it was on, moved by new rows).
    pub fn put_cursor(&mut self, i: usize, page: usize) {
        self.page = page;
        self.cursor = i;
        self.keep_visible();
    }

    /// Adjusts the scroll offset so the cursor row is on screen.
    fn keep_visible(&mut self) {
        let h = self.page.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
    }

    /// Draws the Records tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let (ds, view) = (ctx.ds, ctx.view);
        let t = ctx.theme;
        let rows = &view.rows;
        let height = usize::from(area.height.saturating_sub(1));
        let offset = self.offset.min(rows.len().saturating_sub(1));
        let visible: Vec<usize> = rows
            .iter()
            .skip(offset)
            .take(height)
            .map(|&r| r as usize)
            .collect();
        let det = ctx.det;
        let flagged = |row: usize| ctx.is_flagged(row);
        // Columns by importance, measured on the visible cells only; the cursor's fits.
        let order = columns::order(ds, &self.hidden);
        let sorted = self.sort.map(|(c, _)| c);
        let cur_pos = self.col.min(order.len().saturating_sub(1));
        let cur = order.get(cur_pos).copied().unwrap_or(0);
        let row_w = ds.rows.saturating_sub(1).to_string().len().max(3);
        let score_w = if det.is_some() { 7 } else { 0 };
        let avail = usize::from(area.width).saturating_sub(score_w + row_w + 1);
        let shown = columns::fit(
            &columns::measure(ds, &order, &visible, sorted),
            cur_pos,
            avail,
        );
        let mut lines = Vec::with_capacity(height + 1);
        let mut head = vec![Span::styled(format!("{:>row_w$} ", "row"), t.header())];
        if det.is_some() {
            head.push(Span::styled(format!("{:>6} ", "score"), t.header()));
        }
        for col in &shown {
            let (c, w) = (col.col, col.width);
            let arrow = match self.sort {
                Some((s, false)) if s == c => "▲",
                Some((s, true)) if s == c => "▼",
                _ => "",
            };
            // The arrow always shows: the name gives up a cell for it.
            let room = w.saturating_sub(arrow.chars().count());
            let text = pad(&format!("{}{arrow}", cell(&col.head, room)), w);
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
            let at_cursor = offset + i == self.cursor;
            let is_flagged = flagged(row);
            let mut spans = vec![Span::styled(format!("{row:>row_w$} "), t.dim())];
            if let Some(d) = det {
                let s = d.scores().get(row).copied().unwrap_or(0.0);
                let style = if is_flagged { t.alert() } else { t.dim() };
                spans.push(Span::styled(format!("{s:>6.3} "), style));
            }
            for col in &shown {
                let (c, w) = (col.col, col.width);
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
                line = line.style(
                    ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::BOLD),
                );
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
}
