//! The Anomalies tab's entity view (`b`): source IPs scored on their behaviour
//! ([`crate::detect::entity`]), the flagged ones first, with the named behaviour and why.
//!
//! Drawing only: the run arrives computed from the worker and the flagged entities are read
//! in score order straight from its score index (one page of them per draw). Enter on an
//! entity opens its drill-down (`tui::entities`); the cursor lives in the tab's state.

use super::Ctx;
use crate::tui::widgets::{cell, pad};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The flagged entity at a position of the list (most anomalous first).
pub fn flagged_at(ctx: &Ctx<'_>, pos: usize) -> Option<usize> {
    let (run, sel) = (ctx.entities?, ctx.entity_selection.as_ref()?);
    run.detection.index.flagged(sel).nth(pos)
}

/// How many entities are flagged now.
pub fn flagged_count(ctx: &Ctx<'_>) -> usize {
    ctx.entity_selection.map_or(0, |s| s.count)
}

/// Draws the list of flagged entities with the cursor at `cursor`.
pub fn draw(cursor: usize, ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let (Some(run), Some(sel)) = (ctx.entities, ctx.entity_selection.as_ref()) else {
        let msg = match ctx.entities_error {
            Some(e) => Line::styled(
                format!("entity detection failed: {}", cell(e, 200)),
                t.alert(),
            ),
            None => Line::styled("scoring source IPs on their behaviour…", t.stale()),
        };
        Paragraph::new(msg).render(area, buf);
        return;
    };
    let mut head = format!(
        "{} of {} source IPs flagged on their behaviour in {} sessions{} (threshold {:.4}; b: back to rows, Enter opens one)",
        sel.count,
        run.len(),
        run.grouping.grouped_rows(),
        if ctx.view.filtered {
            " of this filter"
        } else {
            ""
        },
        sel.threshold
    );
    if ctx.entities_stale {
        head.push_str(" · recomputing…");
    }
    let height = usize::from(area.height.saturating_sub(2));
    let offset = cursor.saturating_sub(height.saturating_sub(1));
    // The label column is as wide as the longest label on screen (an IPv6 address takes 39).
    let label_w = run
        .detection
        .index
        .flagged(sel)
        .skip(offset)
        .take(height)
        .map(|e| unicode_width::UnicodeWidthStr::width(cell(&run.grouping.label(e), 40).as_str()))
        .max()
        .unwrap_or(0)
        .clamp(15, 40);
    let mut lines = vec![
        Line::styled(head, t.dim()),
        Line::styled(
            format!(
                "{:>5} {} {:>8} {:>7}  {}  why",
                "rank",
                pad("src_ip", label_w),
                "sessions",
                "score",
                pad("behaviour", 14)
            ),
            t.header(),
        ),
    ];
    // rank, label, sessions, score, behaviour, then two spaces: the reasons get the rest, whole.
    let why_width = usize::from(area.width).saturating_sub(6 + label_w + 1 + 9 + 9 + 14 + 2);
    for (i, e) in run
        .detection
        .index
        .flagged(sel)
        .enumerate()
        .skip(offset)
        .take(height)
    {
        let style = if i == cursor { t.selected() } else { t.base() };
        let behaviour = run
            .behaviours
            .get(e)
            .copied()
            .flatten()
            .map_or(String::new(), |b| b.to_string());
        let score = run.scores().get(e).copied().unwrap_or(f64::NAN);
        lines.push(Line::from(vec![
            Span::styled(format!("{:>5} ", i + 1), style),
            Span::raw(format!(
                "{} {:>8} ",
                pad(&cell(&run.grouping.label(e), 40), label_w),
                run.rows(e).len()
            )),
            Span::styled(format!("{score:>7.3}  "), t.alert()),
            Span::styled(pad(&cell(&behaviour, 14), 14), t.warn()),
            Span::styled(
                format!(
                    "  {}",
                    super::anomalies::fit_why(&[], &contributors(run, e), why_width)
                ),
                t.dim(),
            ),
        ]));
    }
    if sel.count == 0 {
        lines.push(Line::styled(
            "no source IP is flagged under this rule",
            t.ok(),
        ));
    }
    Paragraph::new(lines).render(area, buf);
}

/// The fitted features that set this entity apart most (by the forest's contributions).
fn contributors(run: &crate::detect::entity::EntityRun, e: usize) -> Vec<String> {
    let Some(x) = run.explain(e) else {
        return Vec::new();
    };
    x.contributions
        .iter()
        .filter(|c| c.share >= 10.0)
        .take(3)
        .filter_map(|c| run.fitted.get(c.feature).map(|f| f.name().to_string()))
        .collect()
}
