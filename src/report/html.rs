//! The findings as one self-contained HTML file: inline CSS, inline SVG charts of
//! the timeline and the countries, no scripts and nothing loaded from elsewhere.
//! Every data value is HTML-escaped (after the sanitiser), so hostile text shows
//! as text. Pure string building.

use super::findings::Findings;
use super::table::bytes;
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

/// Renders the report as HTML.
pub fn render(f: &Findings) -> String {
    // The Markdown body's structure, rebuilt with escaped HTML.
    let mut o = String::new();
    let ov = &f.overview;
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>threatlens findings: {}</title><style>{CSS}</style></head><body>",
        esc(&ov.source)
    );
    let _ = write!(o, "<h1>threatlens findings: {}</h1>", esc(&ov.source));
    let _ = write!(
        o,
        "<h2>Overview</h2><p><b>{}</b> sessions from <b>{}</b> source IPs in <b>{}</b> countries, {} to {} (UTC). Traffic {} in, {} out. Rejected rows: {}.</p>",
        ov.rows,
        ov.unique_src_ips,
        ov.countries,
        esc(ov.first.as_deref().unwrap_or("—")),
        esc(ov.last.as_deref().unwrap_or("—")),
        bytes(ov.bytes_in),
        bytes(ov.bytes_out),
        ov.rejected
    );
    if let Some(t) = super::scope_text(ov) {
        let _ = write!(o, "<p><b>{}</b></p>", esc(&t));
    }
    if !ov.notes.is_empty() {
        o.push_str("<ul>");
        for n in &ov.notes {
            let _ = write!(o, "<li class=\"muted\">{}</li>", esc(n));
        }
        o.push_str("</ul>");
    }
    let a = &f.anomalies;
    let _ = write!(
        o,
        "<h2>Anomaly overview</h2><p>The isolation forest ({} trees × {} samples, seed {}, features {}) flags <b class=\"alert\">{} sessions ({:.1}%)</b> at {}: scores strictly above {:.4}. Scores: min {:.4}, median {:.4}, p95 {:.4}, p99 {:.4}, max {:.4}.</p>",
        a.trees,
        a.sample_size,
        a.seed,
        esc(&a.features.join(", ")),
        a.flagged,
        a.share * 100.0,
        esc(&a.rule),
        a.threshold,
        a.score_min,
        a.score_median,
        a.score_p95,
        a.score_p99,
        a.score_max
    );
    if f.time.is_some() {
        let _ = write!(
            o,
            "<h2>Timeline</h2><p class=\"muted\">Sessions per bucket; flagged sessions in red.</p>{}",
            timeline_svg(f)
        );
    }
    o.push_str("<h2>Common anomaly patterns</h2>");
    if f.patterns.is_empty() {
        o.push_str("<p>No flagged session matches a named pattern.</p>");
    }
    for p in &f.patterns {
        let _ = write!(
            o,
            "<h3>{}</h3><p>{} flagged sessions ({} {}): {}. Sources: {}.</p><table><tr><th>row</th><th>time</th><th>src_ip</th><th>country</th><th>bytes_in</th><th>bytes_out</th><th>port</th><th>score</th></tr>",
            esc(&p.pattern),
            p.flagged_rows,
            p.all_rows,
            super::scope_name(ov),
            esc(&p.description),
            esc(&p.source_ips.join(", "))
        );
        for e in &p.examples {
            let n = |x: Option<f64>| x.map_or("—".into(), crate::dataset::format_number);
            let _ = write!(
                o,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.4}</td></tr>",
                e.row,
                esc(e.time.as_deref().unwrap_or("")),
                esc(e.src_ip.as_deref().unwrap_or("")),
                esc(e.country.as_deref().unwrap_or("")),
                n(e.bytes_in),
                n(e.bytes_out),
                n(e.dst_port),
                e.score
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Suspicious source IPs</h2>");
    if f.suspicious_ips.is_empty() {
        o.push_str("<p>No source IP has a flagged session.</p>");
    } else {
        o.push_str("<table><tr><th>src_ip</th><th>flagged</th><th>sessions</th><th>share</th><th>max score</th><th>countries</th><th>bytes in</th><th>first seen</th><th>last seen</th></tr>");
        for ip in &f.suspicious_ips {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.0}%</td><td class=\"n\">{:.4}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&ip.src_ip),
                ip.flagged,
                ip.sessions,
                ip.share_flagged * 100.0,
                ip.max_score,
                esc(&ip.countries.join(", ")),
                bytes(ip.bytes_in),
                esc(ip.first_seen.as_deref().unwrap_or("")),
                esc(ip.last_seen.as_deref().unwrap_or(""))
            );
        }
        o.push_str("</table>");
    }
    o.push_str(&super::sources::html(&f.suspicious_sources));
    if !f.geography.is_empty() {
        let _ = write!(
            o,
            "<h2>Geographic trends</h2>{}<table><tr><th>country</th><th>sessions</th><th>share</th><th>bytes in</th><th>flagged</th><th>share of flagged</th></tr>",
            countries_svg(f)
        );
        for c in f.geography.iter().take(15) {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td></tr>",
                esc(&c.country),
                c.sessions,
                c.session_share * 100.0,
                bytes(c.bytes_in),
                c.flagged,
                c.flagged_share * 100.0
            );
        }
        o.push_str("</table>");
    }
    if let Some(t) = &f.time {
        let _ = write!(
            o,
            "<h2>Time trends</h2><ul><li>Busiest {} window: {} ({} sessions).</li><li>Busiest by bytes in: {} ({}).</li>",
            esc(&t.bucket),
            esc(t.busiest_start.as_deref().unwrap_or("—")),
            t.busiest_sessions,
            esc(t.busiest_bytes_start.as_deref().unwrap_or("—")),
            bytes(t.busiest_bytes_in)
        );
        if !t.spikes.is_empty() {
            let _ = write!(
                o,
                "<li>Spikes (bytes in above mean + 3σ): {}.</li>",
                esc(&t.spikes.join(", "))
            );
        }
        for (a, b) in &t.quiet_gaps {
            let _ = write!(
                o,
                "<li>Quiet gap: no traffic from {} to {}.</li>",
                esc(a),
                esc(b)
            );
        }
        o.push_str("</ul>");
    }
    if let Some(h) = &f.heuristic {
        let _ = write!(
            o,
            "<h2>Heuristic alert beside the model</h2><p>The rule {} (above {:.0} bytes) fires on {} sessions; the model flags {} of them, and {} sessions the rule misses.</p>",
            esc(&h.rule),
            h.cutoff,
            h.rows,
            h.also_flagged_by_model,
            h.model_only
        );
    }
    if let Some(e) = &f.evaluation {
        let _ = write!(
            o,
            "<h2>Evaluation</h2><p>{}</p>",
            esc(&super::evaluation_text(e))
        );
    }
    o.push_str("<h2>Recommendations</h2><ol>");
    for r in &f.recommendations {
        let _ = write!(o, "<li>{}</li>", esc(r));
    }
    o.push_str("</ol></body></html>\n");
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
