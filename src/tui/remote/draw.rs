//! Draws the remote explorer from its state: title, tabs, the current tab's answer, the status
//! line (spinner while the engine works) and the key hints. Reads, never computes or asks;
//! every text from the data passes through `sanitize::inert`.

use super::keys::HINTS;
use super::{Answer, RemoteApp, TABS, ViewKey};
use crate::sanitize::inert;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

impl Widget for &RemoteApp {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [title, tabs, body, status, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let filter = match (&self.input, &self.filter) {
            (Some(t), _) => format!("  filter> {}▏", inert(t)),
            (None, Some(f)) => format!("  filter: {}", inert(f)),
            (None, None) => String::new(),
        };
        Paragraph::new(format!("threatlens{filter} — {}", inert(&self.name())))
            .style(Style::new().add_modifier(Modifier::BOLD))
            .render(title, buf);
        let spans: Vec<Span<'_>> = TABS
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let text = format!(" {} {t} ", i + 1);
                if i == self.tab {
                    Span::styled(text, Style::new().add_modifier(Modifier::REVERSED))
                } else {
                    Span::raw(text)
                }
            })
            .collect();
        Line::from(spans).render(tabs, buf);
        Paragraph::new(self.body_lines(body.width as usize))
            .scroll((self.scroll.min(u16::MAX as usize) as u16, 0))
            .render(body, buf);
        Paragraph::new(self.status_text()).render(status, buf);
        let hints: Vec<String> = HINTS
            .iter()
            .map(|(k, what)| format!("{k} {what}"))
            .collect();
        Paragraph::new(hints.join("  "))
            .style(Style::new().add_modifier(Modifier::DIM))
            .render(footer, buf);
    }
}

impl RemoteApp {
    fn status_text(&self) -> String {
        if let Some(key) = self.running() {
            let what = match key {
                ViewKey::Anomalies => "detecting in Spark (sample, fit, score every row)",
                _ => "querying Spark",
            };
            return format!(
                "{} {what}… (Esc cancels)",
                SPINNER[self.spinner % SPINNER.len()]
            );
        }
        self.status.clone().unwrap_or_default()
    }

    fn body_lines(&self, width: usize) -> Vec<Line<'static>> {
        if self.tab >= 5 && self.detail.is_none() {
            return vec![Line::from(format!(
                "The {} tab is not computed over an engine yet: open the rows as a file for it (the other tabs ask Spark).",
                TABS[self.tab]
            ))];
        }
        if self.tab == 3 && self.dims.is_empty() {
            return vec![Line::from(
                "No column to rank by: map one with --map src_ip=COLUMN.",
            )];
        }
        let Some(answer) = self.answer() else {
            return vec![Line::from(match (&self.error, self.busy()) {
                (Some(e), _) => format!("Not answered: {e}"),
                (None, true) => "Asking the engine…".to_string(),
                (None, false) => String::new(),
            })];
        };
        match answer {
            Answer::Records(p) => self.records_lines(p, width),
            Answer::Summary(s) => crate::report::summary::render_text(s)
                .lines()
                .map(|l| Line::from(inert(l).into_owned()))
                .collect(),
            Answer::Timeline(t) => timeline_lines(t, width),
            Answer::Ranking(r) => self.ranking_lines(r),
            Answer::Anomalies(a) => self.anomaly_lines(a, width),
            Answer::Detail(d) => detail_lines(d),
        }
    }

    fn records_lines(&self, p: &crate::source::RecordsPage, width: usize) -> Vec<Line<'static>> {
        let columns = self.columns();
        let mut out = vec![Line::from(format!(
            "rows {}–{} of {}  (ordered by every column; scores are in the Anomalies tab)",
            (p.offset + 1).min(p.total),
            p.offset + p.rows.len(),
            p.total
        ))];
        let cells: Vec<Vec<String>> = p.rows.iter().map(|r| r.cells.clone()).collect();
        out.extend(grid(&columns, &cells, self.cursor, width));
        out
    }

    fn ranking_lines(&self, r: &crate::source::Ranking) -> Vec<Line<'static>> {
        let label = self.dims.get(self.dim).map_or("", |(l, _)| l.as_str());
        let mut out = vec![Line::from(format!(
            "{label} by sessions ({} distinct; ←/→ other rankings; flagged counts are not computed in the engine)",
            r.distinct
        ))];
        out.push(Line::from(format!(
            "{:<40} {:>10} {:>16} {:>16}",
            "key", "sessions", "bytes in", "bytes out"
        )));
        for (i, row) in r.rows.iter().enumerate() {
            out.push(marked(
                format!(
                    "{:<40} {:>10} {:>16} {:>16}",
                    clip(&inert(&row.key), 40),
                    row.sessions,
                    or_dash(row.bytes_in),
                    or_dash(row.bytes_out)
                ),
                i == self.cursor,
            ));
        }
        out
    }

    fn anomaly_lines(&self, a: &crate::source::AnomalyList, width: usize) -> Vec<Line<'static>> {
        let mut out = vec![Line::from(format!(
            "{} rows flagged by the engine (threshold {:.6}); the {} highest scores:",
            a.total,
            a.threshold,
            a.rows.len()
        ))];
        for (i, r) in a.rows.iter().enumerate() {
            let text = format!(
                "#{:<4} {:.4}  {}  {}",
                r.rank,
                r.score,
                clip(&inert(&r.cells.join(" ")), width.saturating_sub(60).max(20)),
                inert(&r.why)
            );
            out.push(marked(clip(&text, width), i == self.cursor));
        }
        out
    }
}

fn marked(text: String, on: bool) -> Line<'static> {
    if on {
        Line::styled(text, Style::new().add_modifier(Modifier::REVERSED))
    } else {
        Line::from(text)
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A header and rows of cells in columns as wide as their text (at most 24).
fn grid(
    columns: &[String],
    rows: &[Vec<String>],
    cursor: usize,
    width: usize,
) -> Vec<Line<'static>> {
    let widths: Vec<usize> = (0..columns.len())
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .chain(columns.get(c))
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(0)
                .min(24)
        })
        .collect();
    let line = |cells: &[String]| {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(t, w)| format!("{:<w$}", clip(&inert(t), *w), w = *w))
            .collect();
        clip(&text.join(" │ "), width)
    };
    let mut out = vec![Line::styled(
        line(columns),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    out.extend(
        rows.iter()
            .enumerate()
            .map(|(i, r)| marked(line(r), i == cursor)),
    );
    out
}

fn timeline_lines(t: &crate::source::Timeline, width: usize) -> Vec<Line<'static>> {
    let s = &t.series;
    let max = s
        .buckets
        .iter()
        .map(|b| b.sessions)
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = width.saturating_sub(52).max(10);
    let mut out = vec![Line::from(format!(
        "{} buckets of {} (flagged per bucket is not computed in the engine)",
        s.buckets.len(),
        crate::analysis::timeseries::width_name(s.width_secs)
    ))];
    out.push(Line::from(format!(
        "{:<20}  {:>8}  {:>14}",
        "bucket start", "sessions", "bytes in"
    )));
    for b in &s.buckets {
        let n = (b.sessions as usize * bar).div_ceil(max as usize);
        out.push(Line::from(format!(
            "{}  {:>8}  {:>14}  {}",
            crate::dataset::format_time(b.start),
            b.sessions,
            b.bytes_in,
            "█".repeat(n)
        )));
    }
    out
}

fn detail_lines(d: &crate::source::RecordDetail) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        "Record (Esc closes)".to_string(),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    for (k, v) in &d.fields {
        out.push(Line::from(format!("  {:<24} {}", inert(k), inert(v))));
    }
    for (k, v) in &d.derived {
        let v = or_dash(*v);
        out.push(Line::from(format!("  {:<24} {v}", inert(k))));
    }
    if let Some(score) = d.record.score {
        out.push(Line::from(format!(
            "  score {score:.4}{}",
            if d.record.flagged { "  (flagged)" } else { "" }
        )));
    }
    if let Some(e) = &d.explanation {
        for c in e.contributions.iter().take(4) {
            out.push(Line::from(format!(
                "  why: {} {:.0}% (value {}, median {})",
                inert(&c.name),
                c.share,
                c.value,
                c.median
            )));
        }
    }
    if let Some(s) = &d.same_source {
        out.push(Line::from(format!(
            "Sessions of {} in the table: {} (first {} shown)",
            inert(&s.ip),
            s.total,
            s.sessions.len()
        )));
        for x in &s.sessions {
            out.push(Line::from(format!(
                "  {}  in {}  out {}",
                x.start.map_or("—".into(), crate::dataset::format_time),
                or_dash(x.bytes_in),
                or_dash(x.bytes_out),
            )));
        }
    }
    out
}

/// A value, or a dash when there is none.
fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_string(), |v| v.to_string())
}
