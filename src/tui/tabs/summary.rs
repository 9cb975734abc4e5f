//! Tab 2, Summary: the statistics table of every numeric and derived column, a
//! correlation heatmap, histogram and box plot of the selected column (linear
//! or log), and the data-quality panel (the notebooks' preprocessing checks).

use super::{Ctx, Effect};
use crate::analysis::histogram;
use crate::report::table::num;
use crate::tui::action::Action;
use crate::tui::widgets::{abbreviate, bar, cell, compact, pad, rpad};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

/// The Summary tab's state.
#[derive(Debug, Clone, Default)]
pub struct SummaryState {
    /// The column whose histogram is shown.
    pub col: usize,
    pub log_hist: bool,
}

impl SummaryState {
    /// Handles a Summary action.
    pub fn update(&mut self, action: Action, ctx: &Ctx<'_>) -> Vec<Effect> {
        let n = ctx.view.summary.numeric.0.len();
        match action {
            Action::Left | Action::Up => self.col = self.col.saturating_sub(1),
            Action::Right | Action::Down => self.col = (self.col + 1).min(n.saturating_sub(1)),
            Action::ToggleLog => self.log_hist = !self.log_hist,
            _ => {}
        }
        Vec::new()
    }

    /// Draws the Summary tab.
    pub fn draw(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let view = ctx.view;
        let t = ctx.theme;
        let s = &view.summary;
        let stats_h = (s.numeric.0.len() as u16 + 1).min(area.height / 2).max(2);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(stats_h), Constraint::Min(0)]).areas(area);
        let mut lines = vec![Line::styled(
            format!(
                "{} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}",
                pad("column", 16),
                "count",
                "mean",
                "std",
                "min",
                "q1",
                "median",
                "q3",
                "max",
                "skew",
                "kurt"
            ),
            t.header(),
        )];
        for (i, (name, st)) in s.numeric.0.iter().enumerate() {
            let f = |x: Option<f64>| x.map_or("—".into(), compact);
            let text = format!(
                "{} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}",
                pad(&cell(name, 16), 16),
                st.count,
                f(st.mean),
                f(st.std),
                f(st.min),
                f(st.q1),
                f(st.median),
                f(st.q3),
                f(st.max),
                st.skewness.map_or("—".into(), |x| format!("{x:.2}")),
                st.kurtosis.map_or("—".into(), |x| format!("{x:.2}")),
            );
            let style = if i == self.col {
                t.selected()
            } else {
                t.base()
            };
            lines.push(Line::styled(text, style));
        }
        Paragraph::new(lines).render(top, buf);

        let [corr, hist, quality] = Layout::horizontal([
            Constraint::Percentage(36),
            Constraint::Percentage(34),
            Constraint::Percentage(30),
        ])
        .areas(bottom);
        render_corr(ctx, corr, buf);
        self.render_hist(ctx, hist, buf);
        render_quality(ctx, quality, buf);
    }
}

fn render_corr(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let view = ctx.view;
    let t = ctx.theme;
    let s = &view.summary;
    let names: Vec<&String> = s
        .numeric
        .0
        .iter()
        .filter(|(_, st)| st.std.is_some_and(|x| x > 0.0))
        .map(|(n, _)| n)
        .collect();
    let block = Block::bordered().title(Span::styled(" correlation (Pearson) ", t.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let plain: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    let (heads, rows) = (abbreviate(&plain, 6), abbreviate(&plain, 9));
    // Only whole columns: a header cut by the border could read as another.
    let ncols = usize::from(inner.width).saturating_sub(10) / 7;
    let mut lines = vec![Line::from(
        std::iter::once(Span::raw(pad("", 10)))
            .chain(
                heads
                    .iter()
                    .take(ncols)
                    .map(|n| Span::styled(rpad(n, 7), t.dim())),
            )
            .collect::<Vec<_>>(),
    )];
    for (a, label) in names.iter().zip(&rows) {
        let mut spans = vec![Span::raw(pad(label, 10))];
        for b in names.iter().take(ncols) {
            let r = s
                .pearson_correlation
                .get(a)
                .and_then(|m| m.get(b))
                .copied()
                .flatten();
            spans.push(match r {
                Some(r) => Span::styled(format!("{r:>7.2}"), t.heat(r)),
                None => Span::raw(format!("{:>7}", "—")),
            });
        }
        lines.push(Line::from(spans));
    }
    if names.len() < 2 {
        lines.push(Line::styled("fewer than two columns vary", t.dim()));
    }
    Paragraph::new(lines).render(inner, buf);
}

impl SummaryState {
    fn render_hist(&self, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
        let view = ctx.view;
        let t = ctx.theme;
        let Some((name, st)) = view.summary.numeric.0.get(self.col) else {
            return;
        };
        let title = format!(
            " {} — {} (L: {}) ",
            cell(name, 20),
            if self.log_hist { "log" } else { "linear" },
            if self.log_hist { "linear" } else { "log" }
        );
        let block = Block::bordered().title(Span::styled(title, t.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        let Some(pair) = view.histograms.get(self.col) else {
            return;
        };
        let bins = usize::from(inner.height.saturating_sub(2)).clamp(1, histogram::VIEW_BINS);
        let h = if self.log_hist { &pair.1 } else { &pair.0 }.merged(bins);
        let max = h.counts.iter().copied().max().unwrap_or(0) as f64;
        let label_w = 9;
        let bar_w = usize::from(inner.width).saturating_sub(label_w + 8);
        let mut lines: Vec<Line<'_>> = h
            .counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let lo = h.edges.get(i).copied().unwrap_or(f64::NAN);
                Line::from(vec![
                    Span::styled(rpad(&compact(lo), label_w - 1), t.dim()),
                    Span::raw(" "),
                    Span::styled(pad(&bar(c as f64, max, bar_w), bar_w), t.accent()),
                    Span::raw(format!(" {c}")),
                ])
            })
            .collect();
        // A box plot on one line: whiskers at min/max, box q1–q3, | at the median.
        if let (Some(min), Some(q1), Some(med), Some(q3), Some(max)) =
            (st.min, st.q1, st.median, st.q3, st.max)
        {
            let w = usize::from(inner.width).saturating_sub(2).max(4);
            let tf = |x: f64| if self.log_hist { x.max(0.0).ln_1p() } else { x };
            let (a, b) = (tf(min), tf(max));
            let pos = |x: f64| {
                if b > a {
                    (((tf(x) - a) / (b - a)) * (w - 1) as f64).round() as usize
                } else {
                    0
                }
            };
            let mut chars = vec![' '; w];
            for (i, ch) in chars.iter_mut().enumerate() {
                if i >= pos(q1) && i <= pos(q3) {
                    *ch = '█';
                } else if i >= pos(min) && i <= pos(max) {
                    *ch = '─';
                }
            }
            if let Some(c) = chars.get_mut(pos(med)) {
                *c = '┃';
            }
            lines.push(Line::styled(
                format!(" {}", chars.into_iter().collect::<String>()),
                t.ok(),
            ));
            lines.push(Line::styled(
                format!(
                    " min {}  q1 {}  med {}  q3 {}  max {}",
                    num(Some(min)),
                    num(Some(q1)),
                    num(Some(med)),
                    num(Some(q3)),
                    num(Some(max))
                ),
                t.dim(),
            ));
        }
        Paragraph::new(lines).render(inner, buf);
    }
}

fn render_quality(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let (ds, view) = (ctx.ds, ctx.view);
    let t = ctx.theme;
    let q = &view.summary.data_quality;
    let block = Block::bordered().title(Span::styled(" data quality ", t.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = vec![Line::from(vec![
        Span::raw("rejected rows  "),
        Span::styled(
            ds.rejects.total.to_string(),
            if ds.rejects.total > 0 {
                t.warn()
            } else {
                t.ok()
            },
        ),
    ])];
    for (kind, n) in &ds.rejects.by_kind {
        lines.push(Line::raw(format!("  {n:>6} {}", cell(kind, 24))));
    }
    lines.push(Line::raw(format!("duplicates     {}", q.duplicate_rows)));
    let missing: usize = q.missing.iter().map(|(_, n)| n).sum();
    lines.push(Line::raw(format!("missing cells  {missing}")));
    for (c, n) in q.missing.iter().take(4) {
        lines.push(Line::raw(format!("  {n:>6} {}", cell(c, 24))));
    }
    for o in q.outliers.iter().filter(|o| o.above + o.below > 0) {
        lines.push(Line::raw(format!(
            "IQR outliers   {} {}",
            o.above + o.below,
            cell(&o.column, 18)
        )));
    }
    if !q.constant_columns.is_empty() {
        lines.push(Line::styled(
            format!("constant ({})", q.constant_columns.len()),
            t.dim(),
        ));
        lines.push(Line::styled(
            format!(
                "  {}",
                cell(&q.constant_columns.join(", "), usize::from(inner.width) * 2)
            ),
            t.dim(),
        ));
    }
    for n in &ds.notes {
        lines.push(Line::styled(cell(n, 200), t.warn()));
    }
    Paragraph::new(lines)
        .wrap(ratatui::widgets::Wrap { trim: false })
        .render(inner, buf);
}
