//! The findings as Markdown: the notebooks' written report, with the real numbers.
//!
//! Data text is made inert and Markdown-escaped (table pipes, backticks, angle
//! brackets), so a hostile field cannot break the document or inject HTML when
//! the Markdown is rendered. Pure string building.

use super::findings::Findings;
use super::table::bytes;
use crate::sanitize::inert;
use std::fmt::Write;

/// Escapes text for a Markdown table cell or paragraph: every character that could start markup
/// (table pipes, code, emphasis, links, HTML, a heading, an escape) gets a backslash, and only
/// those, so `src_ip` stays `src_ip`. An underscore inside a word cannot open or close emphasis
/// (CommonMark's flanking rules), so it is left alone; one at a word's edge is escaped. `#` starts
/// a heading only at the start of a line.
pub fn md(s: &str) -> String {
    let text = inert(s);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '|' | '`' | '*' | '[' | ']' | '<' | '>' | '\\' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            '#' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or("—".into(), md)
}

/// Renders the report.
pub fn render(f: &Findings) -> String {
    let mut o = String::new();
    let ov = &f.overview;
    let _ = writeln!(o, "# threatlens findings: {}\n", md(&ov.source));
    let _ = writeln!(o, "## Overview\n");
    if let Some(t) = super::scope_text(ov) {
        let _ = writeln!(o, "- {}", md(&t));
    }
    let _ = writeln!(
        o,
        "- **{}** sessions from **{}** source IPs in **{}** countries, {} to {} (UTC).",
        ov.rows,
        ov.unique_src_ips,
        ov.countries,
        opt(&ov.first),
        opt(&ov.last)
    );
    let _ = writeln!(
        o,
        "- Traffic: {} in, {} out.",
        bytes(ov.bytes_in),
        bytes(ov.bytes_out)
    );
    let _ = writeln!(o, "- Rejected rows: {}.", ov.rejected);
    for n in &ov.notes {
        let _ = writeln!(o, "- Note: {}", md(n));
    }
    let q = &f.summary.data_quality;
    let _ = writeln!(
        o,
        "- Data quality: {} duplicate rows, {} missing cells, constant columns: {}.",
        q.duplicate_rows,
        q.missing.iter().map(|(_, n)| n).sum::<usize>(),
        if q.constant_columns.is_empty() {
            "none".into()
        } else {
            md(&q.constant_columns.join(", "))
        }
    );

    let a = &f.anomalies;
    let _ = writeln!(o, "\n## Anomaly overview\n");
    let _ = writeln!(
        o,
        "The isolation forest ({} trees × {} samples, seed {}, features {}) flags **{} sessions ({:.1}%)** at {}: scores strictly above **{:.4}**.\n",
        a.trees,
        a.sample_size,
        a.seed,
        md(&a.features.join(", ")),
        a.flagged,
        a.share * 100.0,
        md(&a.rule),
        a.threshold
    );
    let _ = writeln!(
        o,
        "Score distribution: min {:.4}, median {:.4}, 95th percentile {:.4}, 99th {:.4}, max {:.4} (higher is more anomalous; 0.5 is the usual line).",
        a.score_min, a.score_median, a.score_p95, a.score_p99, a.score_max
    );

    let _ = writeln!(o, "\n## Common anomaly patterns\n");
    if f.patterns.is_empty() {
        let _ = writeln!(
            o,
            "No flagged session matches a named pattern (exfiltration, high rate, suspicious port, repetitive short sessions)."
        );
    }
    for p in &f.patterns {
        let _ = writeln!(
            o,
            "### {}\n\n{} flagged sessions ({} {}): {}. Sources: {}.\n",
            md(&p.pattern),
            p.flagged_rows,
            p.all_rows,
            super::scope_name(ov),
            md(&p.description),
            md(&p.source_ips.join(", "))
        );
        let _ = writeln!(
            o,
            "| row | time | src_ip | country | bytes_in | bytes_out | port | score |\n|---:|---|---|---|---:|---:|---:|---:|"
        );
        for e in &p.examples {
            let n = |x: Option<f64>| x.map_or("—".into(), crate::dataset::format_number);
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {:.4} |",
                e.row,
                opt(&e.time),
                opt(&e.src_ip),
                opt(&e.country),
                n(e.bytes_in),
                n(e.bytes_out),
                n(e.dst_port),
                e.score
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Suspicious source IPs\n");
    if f.suspicious_ips.is_empty() {
        let _ = writeln!(o, "No source IP has a flagged session.");
    } else {
        let _ = writeln!(
            o,
            "| src_ip | flagged | sessions | share | max score | top-3 mean | countries | bytes in | first seen | last seen |\n|---|---:|---:|---:|---:|---:|---|---:|---|---|"
        );
        for ip in &f.suspicious_ips {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.0}% | {:.4} | {:.4} | {} | {} | {} | {} |",
                md(&ip.src_ip),
                ip.flagged,
                ip.sessions,
                ip.share_flagged * 100.0,
                ip.max_score,
                ip.top3_mean,
                md(&ip.countries.join(", ")),
                bytes(ip.bytes_in),
                opt(&ip.first_seen),
                opt(&ip.last_seen)
            );
        }
    }

    o.push_str(&super::sources::markdown(&f.suspicious_sources));

    if !f.geography.is_empty() {
        let _ = writeln!(o, "\n## Geographic trends\n");
        let _ = writeln!(
            o,
            "| country | sessions | share of sessions | bytes in | share of bytes in | flagged | share of flagged |\n|---|---:|---:|---:|---:|---:|---:|"
        );
        for c in f.geography.iter().take(15) {
            let _ = writeln!(
                o,
                "| {} | {} | {:.1}% | {} | {:.1}% | {} | {:.1}% |",
                if c.country.is_empty() {
                    "(none)".into()
                } else {
                    md(&c.country)
                },
                c.sessions,
                c.session_share * 100.0,
                bytes(c.bytes_in),
                c.bytes_in_share * 100.0,
                c.flagged,
                c.flagged_share * 100.0
            );
        }
    }

    if let Some(t) = &f.time {
        let _ = writeln!(o, "\n## Time trends\n");
        let _ = writeln!(
            o,
            "- Busiest {} window by sessions: {} ({} sessions).",
            t.bucket,
            opt(&t.busiest_start),
            t.busiest_sessions
        );
        let _ = writeln!(
            o,
            "- Busiest by bytes in: {} ({}).",
            opt(&t.busiest_bytes_start),
            bytes(t.busiest_bytes_in)
        );
        if t.spikes.is_empty() {
            let _ = writeln!(o, "- No {} window has bytes in above mean + 3σ.", t.bucket);
        } else {
            let _ = writeln!(
                o,
                "- Spikes (bytes in above mean + 3σ): {}.",
                md(&t.spikes.join(", "))
            );
        }
        for (a, b) in &t.quiet_gaps {
            let _ = writeln!(o, "- Quiet gap: no traffic from {a} to {b}.");
        }
    }

    if let Some(h) = &f.heuristic {
        let _ = writeln!(o, "\n## Heuristic alert beside the model\n");
        let _ = writeln!(
            o,
            "The notebooks' rule {} (above {:.0} bytes) fires on {} sessions; the model flags {} of them, and {} sessions the rule misses.",
            md(&h.rule),
            h.cutoff,
            h.rows,
            h.also_flagged_by_model,
            h.model_only
        );
    }

    if let Some(e) = &f.evaluation {
        let _ = writeln!(o, "\n## Evaluation\n\n{}", md(&super::evaluation_text(e)));
    }

    let _ = writeln!(o, "\n## Recommendations\n");
    if f.recommendations.is_empty() {
        let _ = writeln!(
            o,
            "Nothing in this data calls for action at the current threshold."
        );
    }
    for (i, r) in f.recommendations.iter().enumerate() {
        let _ = writeln!(o, "{}. {}", i + 1, md(r));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn names_that_need_no_escaping_are_left_alone_and_markup_is_still_inert() {
        assert_eq!(
            md("src_ip, bytes_in, dst_port"),
            "src_ip, bytes_in, dst_port"
        );
        assert_eq!(md("rule_names"), "rule_names");
        // Emphasis, code, links, HTML, tables and headings from data stay text.
        assert_eq!(md("_x_"), "\\_x\\_");
        assert_eq!(md("*bold*"), "\\*bold\\*");
        assert_eq!(
            md("a|b `c` [l](u) <img>"),
            "a\\|b \\`c\\` \\[l\\](u) \\<img\\>"
        );
        assert_eq!(md("# title"), "\\# title");
        assert_eq!(md("issue #5"), "issue #5");
        assert_eq!(md("a\\b"), "a\\\\b");
        assert_eq!(md("__init__"), "\\_\\_init\\_\\_");
        // Terminal escapes are made visible first, then their backslash escaped.
        assert_eq!(md("\x1b[2J"), "\\\\x1b\\[2J");
    }
}
