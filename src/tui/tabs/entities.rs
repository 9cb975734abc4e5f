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
    let mut lines = vec![
        Line::styled(head, t.dim()),
        Line::styled(
            format!(
                "{:>5} {} {:>8} {:>7}  {}  why",
                "rank",
                pad("src_ip", 40),
                "sessions",
                "score",
                pad("behaviour", 14)
            ),
            t.header(),
        ),
    ];
    let height = usize::from(area.height.saturating_sub(2));
    let offset = cursor.saturating_sub(height.saturating_sub(1));
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
                pad(&cell(&run.grouping.label(e), 40), 40),
                run.rows(e).len()
            )),
            Span::styled(format!("{score:>7.3}  "), t.alert()),
            Span::styled(pad(&cell(&behaviour, 14), 14), t.warn()),
            Span::styled(format!("  {}", cell(&contributors(run, e), 80)), t.dim()),
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
fn contributors(run: &crate::detect::entity::EntityRun, e: usize) -> String {
    let Some(x) = run.explain(e) else {
        return String::new();
    };
    x.contributions
        .iter()
        .filter(|c| c.share >= 10.0)
        .take(3)
        .filter_map(|c| run.fitted.get(c.feature).map(|f| f.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
