//! The drill-down popup's text, drawn from a [`RecordDetail`] the source computed
//! once when the popup opened (on the worker): first the plain facts (score against the
//! threshold, each feature among all sessions, the nearest session across the threshold —
//! worded in `crate::source::facts`), then the row's fields, its score and rank,
//! why it is unusual, and every session of its source IP. Pure: it formats what it is
//! given and never looks at rows, so a redraw costs the same at ten million rows as at
//! ten. Every data value passes the sanitiser (through [`cell`]).

use super::theme::Theme;
use super::widgets::{bar, cell, compact, pad, spark};
use crate::dataset::{format_number, format_time};
use crate::detect::Direction;
use crate::source::RecordDetail;
use crate::source::facts::PlainFacts;
use ratatui::text::{Line, Span};

/// The lines of the drill-down of one session, for a popup `width` columns wide.
pub fn lines(d: &RecordDetail, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut lines = vec![header(d, t)];
    if let Some(f) = &d.facts {
        plain(d, f, t, usize::from(width), &mut lines);
    }
    let name_w = d
        .fields
        .iter()
        .map(|(name, _)| crate::sanitize::display_width(&cell(name, 24)))
        .max()
        .unwrap_or(8);
    let value_w = usize::from(width).saturating_sub(name_w + 2).max(10);
    for (name, value) in &d.fields {
        lines.push(Line::from(vec![
            Span::styled(pad(&cell(name, 24), name_w + 1), t.dim()),
            Span::raw(cell(value, value_w)),
        ]));
    }
    for (name, value) in &d.derived {
        let v = value.map_or("—".to_string(), format_number);
        lines.push(Line::from(vec![
            Span::styled(pad(name, name_w + 1), t.dim()),
            Span::raw(v),
        ]));
    }
    if d.record.score.is_some() {
        shares(d, t, &mut lines);
    }
    same_source(d, t, &mut lines);
    lines
}

fn header(d: &RecordDetail, t: &Theme) -> Line<'static> {
    let row = d.record.id;
    let Some(score) = d.record.score else {
        return Line::styled(format!("row {row}"), t.header());
    };
    let (rank, of) = d.rank.unwrap_or((0, 0));
    Line::from(vec![
        Span::styled(
            format!("row {row} · score {score:.4} · rank {rank} of {of}"),
            t.header(),
        ),
        if d.record.flagged {
            Span::styled("  FLAGGED", t.alert())
        } else {
            Span::styled("  not flagged", t.ok())
        },
    ])
}

/// The plain facts first: the score against the threshold, each feature among all sessions,
/// the source's sessions, the nearest session across the threshold, the patterns.
fn plain(
    d: &RecordDetail,
    f: &PlainFacts,
    t: &Theme,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let style = if f.flagged { t.alert() } else { t.ok() };
    lines.push(Line::styled(cell(&f.score_sentence(), width), style));
    let name_w = f
        .features
        .iter()
        .map(|x| crate::sanitize::display_width(&cell(&x.name, 20)))
        .max()
        .unwrap_or(8);
    lines.push(Line::styled(
        "why: each feature among all sessions",
        t.header(),
    ));
    for x in &f.features {
        lines.push(Line::from(vec![
            Span::styled(pad(&cell(&x.name, 20), name_w + 2), t.dim()),
            Span::raw(cell(&x.sentence(), width.saturating_sub(name_w + 2))),
        ]));
    }
    if !d.patterns.is_empty() {
        lines.push(Line::styled("pattern", t.header()));
        for p in &d.patterns {
            lines.push(Line::styled(
                format!("  {}", cell(p, width.saturating_sub(2))),
                t.warn(),
            ));
        }
    }
    let source = f.source_sentence();
    let contrast = f.contrast_lines();
    if source.is_some() || !contrast.is_empty() {
        lines.push(Line::styled("unlike its neighbours", t.header()));
    }
    if let Some(s) = source {
        lines.push(Line::raw(cell(&s, width)));
    }
    for (i, c) in contrast.iter().enumerate() {
        let text = if i == 0 {
            cell(c, width)
        } else {
            format!("  {}", cell(c, width.saturating_sub(2)))
        };
        let style = if c.ends_with("differs most") {
            t.warn()
        } else {
            t.base()
        };
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
}

fn shares(d: &RecordDetail, t: &Theme, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "model detail: share of isolation per feature (how often its splits isolate the row)",
        t.header(),
    ));
    for c in d.explanation.iter().flat_map(|e| &e.contributions) {
        let dir = match c.direction {
            Direction::Above => "above median",
            Direction::Below => "below median",
            Direction::AtMedian => "at median",
        };
        lines.push(Line::from(vec![
            Span::raw(pad(&cell(&c.name, 18), 19)),
            Span::styled(pad(&bar(c.share, 100.0, 20), 20), t.alert()),
            Span::raw(format!(
                " {:>5.1}%  {} ({} vs median {})",
                c.share,
                dir,
                compact(c.value),
                compact(c.median)
            )),
        ]));
    }
    if d.facts.is_none() && !d.patterns.is_empty() {
        lines.push(Line::styled("pattern", t.header()));
        for p in &d.patterns {
            lines.push(Line::styled(format!("  {}", cell(p, 200)), t.warn()));
        }
    }
}

fn same_source(d: &RecordDetail, t: &Theme, lines: &mut Vec<Line<'static>>) {
    let Some(same) = d.same_source.as_ref().filter(|s| !s.ip.is_empty()) else {
        return;
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "all {} sessions of {} (f filters every tab to it)",
            same.total,
            cell(&same.ip, 45)
        ),
        t.header(),
    ));
    if let Some((a, b)) = same.span {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", format_time(a)), t.dim()),
            Span::styled(spark(&same.activity), t.ok()),
            Span::styled(format!(" {}", format_time(b)), t.dim()),
        ]));
    }
    for s in &same.sessions {
        let score = s.score.map_or(String::new(), |s| format!("{s:.3}"));
        lines.push(Line::styled(
            format!(
                "  {} {:>9} in {:>9} out  score {score}{}{}",
                s.start.map(format_time).unwrap_or_default(),
                compact(s.bytes_in.unwrap_or(f64::NAN)),
                compact(s.bytes_out.unwrap_or(f64::NAN)),
                if s.flagged { "  flagged" } else { "" },
                if s.id == d.record.id {
                    "  ◀ this row"
                } else {
                    ""
                }
            ),
            if s.flagged { t.alert() } else { t.base() },
        ));
    }
}

/// The session as text for the clipboard: `name: value` per field, then the plain facts.
pub fn row_text(d: &RecordDetail) -> String {
    let mut out = format!("row {}\n", d.record.id);
    for (name, value) in &d.fields {
        out.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(f) = &d.facts {
        out.push_str(&f.score_sentence());
        out.push('\n');
        for x in &f.features {
            out.push_str(&format!("{} {}\n", x.name, x.sentence()));
        }
    }
    out
}
