//! The findings as one self-contained HTML file: inline CSS, inline SVG charts of
//! the timeline and the countries, no scripts and nothing loaded from elsewhere.
//! Every data value is HTML-escaped (after the sanitiser), so hostile text shows
//! as text. Pure string building.

use super::doc::{Block, Chart, Column, Doc, Line, Span};
use super::findings::Findings;
use crate::sanitize::inert;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in inert(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;background:#fff}\
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}.alert{color:#b00020;font-weight:600}\
svg{background:#fafafa;border:1px solid #eee}.muted{color:#666}@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}\
th{background:#222}th,td{border-color:#333}svg{background:#1a1a1a;border-color:#333}}";

fn timeline_svg(f: &Findings) -> String {
    let Some(t) = &f.time else {
        return String::new();
    };
    let b = &t.series.buckets;
    if b.is_empty() {
        return String::new();
    }
    let (w, h) = (1000.0, 200.0);
    let max = b.iter().map(|x| x.sessions).max().unwrap_or(1).max(1) as f64;
    let bw = w / b.len() as f64;
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {}\" width=\"100%\" role=\"img\" aria-label=\"sessions per {} bucket\">",
        h + 20.0,
        esc(&t.bucket)
    );
    for (i, x) in b.iter().enumerate() {
        let bh = x.sessions as f64 / max * h;
        let flagged = t.flagged_per_bucket.get(i).copied().unwrap_or(0);
        let fh = flagged as f64 / max * h;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#4a7fd6\"><title>{}: {} sessions, {} flagged</title></rect>",
            i as f64 * bw,
            h - bh,
            (bw - 1.0).max(0.5),
            bh,
            esc(&crate::dataset::format_time(x.start)),
            x.sessions,
            flagged
        );
        if flagged > 0 {
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#d62728\"/>",
                i as f64 * bw,
                h - fh,
                (bw - 1.0).max(0.5),
                fh
            );
        }
    }
    if let (Some(a), Some(z)) = (b.first(), b.last()) {
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"12\" fill=\"#888\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"12\" fill=\"#888\" text-anchor=\"end\">{}</text>",
            h + 16.0,
            esc(&crate::dataset::format_time(a.start)),
            h + 16.0,
            esc(&crate::dataset::format_time(z.start))
        );
    }
    s.push_str("</svg>");
    s
}

fn countries_svg(f: &Findings) -> String {
    let rows: Vec<_> = f.geography.iter().take(12).collect();
    if rows.is_empty() {
        return String::new();
    }
    let max = rows.iter().map(|c| c.sessions).max().unwrap_or(1).max(1) as f64;
    let row_h = 22.0;
    let mut s = format!(
        "<svg viewBox=\"0 0 700 {}\" width=\"700\" role=\"img\" aria-label=\"sessions by country\">",
        rows.len() as f64 * row_h + 4.0
    );
    for (i, c) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let w = c.sessions as f64 / max * 480.0;
        let fw = c.flagged as f64 / max * 480.0;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#888\">{}</text>",
            y + 15.0,
            esc(if c.country.is_empty() {
                "(none)"
            } else {
                &c.country
            })
        );
        let _ = write!(
            s,
            "<rect x=\"70\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"#4a7fd6\"/><rect x=\"70\" y=\"{y:.1}\" width=\"{fw:.1}\" height=\"18\" fill=\"#d62728\"/>"
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#888\">{} sessions, {} flagged</text>",
            76.0 + w,
            y + 14.0,
            c.sessions,
            c.flagged
        );
    }
    s.push_str("</svg>");
    s
}

fn line(l: &Line) -> String {
    l.iter()
        .map(|s| match s {
            Span::Text(x) => esc(x),
            Span::Strong(x) => format!("<b>{}</b>", esc(x)),
            Span::Alert(x) => format!("<b class=\"alert\">{}</b>", esc(x)),
        })
        .collect()
}

fn table(o: &mut String, columns: &[Column], rows: &[Vec<String>]) {
    o.push_str("<table><tr>");
    for c in columns {
        let _ = write!(o, "<th>{}</th>", esc(c.name));
    }
    o.push_str("</tr>");
    for r in rows {
        o.push_str("<tr>");
        for (c, cell) in columns.iter().zip(r) {
            let class = if c.numeric { " class=\"n\"" } else { "" };
            let _ = write!(o, "<td{class}>{}</td>", esc(cell));
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>");
}

/// Renders a document's blocks as HTML body content; `f` supplies the charts' data.
fn body(o: &mut String, d: &Doc, f: &Findings) {
    let list = |o: &mut String, tag: &str, items: &[Line]| {
        let _ = write!(o, "<{tag}>");
        for l in items {
            let _ = write!(o, "<li>{}</li>", line(l));
        }
        let _ = write!(o, "</{tag}>");
    };
    for block in &d.blocks {
        match block {
            Block::Title(x) => _ = write!(o, "<h1>{}</h1>", esc(x)),
            Block::Heading(x) => _ = write!(o, "<h2>{}</h2>", esc(x)),
            Block::Subheading(x) => _ = write!(o, "<h3>{}</h3>", esc(x)),
            Block::Paragraph(l) => _ = write!(o, "<p>{}</p>", line(l)),
            Block::Bullets(items) => list(o, "ul", items),
            Block::Numbered(items) => list(o, "ol", items),
            Block::Table { columns, rows } => table(o, columns, rows),
            Block::Figure {
                heading,
                caption,
                chart,
            } => {
                if !heading.is_empty() {
                    let _ = write!(o, "<h2>{}</h2>", esc(heading));
                }
                if !caption.is_empty() {
                    let _ = write!(o, "<p class=\"muted\">{}</p>", esc(caption));
                }
                o.push_str(&match chart {
                    Chart::Timeline => timeline_svg(f),
                    Chart::Countries => countries_svg(f),
                });
            }
        }
    }
}

/// Renders the report as HTML: the report's [`Doc`] (written once in [`super::prose`]) with its
/// charts drawn inline.
pub fn render(f: &Findings) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(&super::prose::title(f))
    );
    body(&mut o, &super::prose::document(f), f);
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            esc("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert!(!esc("a\x1b]2;t\x07").contains('\x1b'));
    }
}
