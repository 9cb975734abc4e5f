//! Every sentence of the findings report, written once into a [`Doc`].
//!
//! The Markdown and HTML reports both render [`document`], so a sentence, a table column or a
//! section exists in one place and the formats say the same thing (JSON carries the findings
//! themselves). Text stays raw here: the renderers escape it. Pure.

use super::doc::{Block, Chart, Doc, Line, MISSING, Span, b, col, num, or_missing, t};
use super::findings::{Findings, PatternFinding};
use super::table::bytes;
use crate::dataset::format_number;

/// The report's title.
pub fn title(f: &Findings) -> String {
    format!("threatlens findings: {}", f.overview.source)
}

/// The whole report, in reading order.
pub fn document(f: &Findings) -> Doc {
    let mut d = Doc::default();
    d.push(Block::Title(title(f)));
    overview(&mut d, f);
    anomalies(&mut d, f);
    if f.time.is_some() {
        d.push(Block::Figure {
            heading: "Timeline".into(),
            caption: "Sessions per bucket; flagged sessions in red.".into(),
            chart: Chart::Timeline,
        });
    }
    patterns(&mut d, f);
    suspicious_ips(&mut d, f);
    d.extend(super::sources::doc(&f.suspicious_sources));
    geography(&mut d, f);
    time_trends(&mut d, f);
    if let Some(h) = &f.heuristic {
        d.heading("Heuristic alert beside the model");
        d.text(format!(
            "The notebooks' rule {} (above {:.0} bytes) fires on {} sessions; the model flags {} of them, and {} sessions the rule misses.",
            h.rule, h.cutoff, h.rows, h.also_flagged_by_model, h.model_only
        ));
    }
    if let Some(e) = &f.evaluation {
        d.heading("Evaluation");
        d.text(super::evaluation_text(e));
    }
    d.heading("Recommendations");
    if f.recommendations.is_empty() {
        d.text("Nothing in this data calls for action at the current threshold.");
    } else {
        d.push(Block::Numbered(
            f.recommendations.iter().map(|r| vec![t(r)]).collect(),
        ));
    }
    d
}

fn overview(d: &mut Doc, f: &Findings) {
    let ov = &f.overview;
    d.heading("Overview");
    let mut items: Vec<Line> = Vec::new();
    if let Some(s) = super::scope_text(ov) {
        items.push(vec![b(s)]);
    }
    items.push(vec![
        b(ov.rows.to_string()),
        t(" sessions from "),
        b(ov.unique_src_ips.to_string()),
        t(" source IPs in "),
        b(ov.countries.to_string()),
        t(format!(
            " countries, {} to {} (UTC).",
            or_missing(&ov.first),
            or_missing(&ov.last)
        )),
    ]);
    items.push(vec![t(match ov.bytes_out {
        Some(out) => format!("Traffic: {} in, {} out.", bytes(ov.bytes_in), bytes(out)),
        // A flow-log record has one byte count: there is no "out" to report.
        None => format!("Traffic: {}.", bytes(ov.bytes_in)),
    })]);
    items.push(vec![t(format!("Rejected rows: {}.", ov.rejected))]);
    items.extend(ov.notes.iter().map(|n| vec![t(format!("Note: {n}"))]));
    let q = &f.summary.data_quality;
    items.push(vec![t(format!(
        "Data quality: {} duplicate rows, {} missing cells, constant columns: {}.",
        q.duplicate_rows,
        q.missing.iter().map(|(_, n)| n).sum::<usize>(),
        if q.constant_columns.is_empty() {
            "none".into()
        } else {
            q.constant_columns.join(", ")
        }
    ))]);
    d.push(Block::Bullets(items));
}

fn anomalies(d: &mut Doc, f: &Findings) {
    let a = &f.anomalies;
    d.heading("Anomaly overview");
    d.paragraph(vec![
        t(format!(
            "The isolation forest ({} trees × {} samples, seed {}, features {}) flags ",
            a.trees,
            a.sample_size,
            a.seed,
            a.features.join(", ")
        )),
        Span::Alert(format!("{} sessions ({:.1}%)", a.flagged, a.share * 100.0)),
        t(format!(" at {}: scores strictly above ", a.rule)),
        b(format!("{:.4}", a.threshold)),
        t("."),
    ]);
    d.text(format!(
        "Score distribution: min {:.4}, median {:.4}, 95th percentile {:.4}, 99th {:.4}, max {:.4} (higher is more anomalous; 0.5 is the usual line).",
        a.score_min, a.score_median, a.score_p95, a.score_p99, a.score_max
    ));
}

fn patterns(d: &mut Doc, f: &Findings) {
    d.heading("Common anomaly patterns");
    if f.patterns.is_empty() {
        d.text("No flagged session matches a named pattern (exfiltration, high rate, suspicious port, repetitive short sessions).");
    }
    for p in &f.patterns {
        pattern(d, f, p);
    }
}

fn pattern(d: &mut Doc, f: &Findings, p: &PatternFinding) {
    d.push(Block::Subheading(p.pattern.clone()));
    d.text(format!(
        "{} flagged sessions ({} {}): {}. Sources: {}.",
        p.flagged_rows,
        p.all_rows,
        super::scope_name(&f.overview),
        p.description,
        p.source_ips.join(", ")
    ));
    let n = |x: Option<f64>| x.map_or(MISSING.into(), format_number);
    d.push(Block::Table {
        columns: vec![
            num("row"),
            col("time"),
            col("src_ip"),
            col("country"),
            num("bytes_in"),
            num("bytes_out"),
            num("port"),
            num("score"),
        ],
        rows: p
            .examples
            .iter()
            .map(|e| {
                vec![
                    e.row.to_string(),
                    or_missing(&e.time),
                    or_missing(&e.src_ip),
                    or_missing(&e.country),
                    n(e.bytes_in),
                    n(e.bytes_out),
                    n(e.dst_port),
                    format!("{:.4}", e.score),
                ]
            })
            .collect(),
    });
}

fn suspicious_ips(d: &mut Doc, f: &Findings) {
    d.heading("Suspicious source IPs");
    if f.suspicious_ips.is_empty() {
        d.text("No source IP has a flagged session.");
        return;
    }
    d.push(Block::Table {
        columns: vec![
            col("src_ip"),
            num("flagged"),
            num("sessions"),
            num("share"),
            num("max score"),
            num("top-3 mean"),
            col("countries"),
            num("bytes in"),
            col("first seen"),
            col("last seen"),
        ],
        rows: f
            .suspicious_ips
            .iter()
            .map(|ip| {
                vec![
                    ip.src_ip.clone(),
                    ip.flagged.to_string(),
                    ip.sessions.to_string(),
                    format!("{:.0}%", ip.share_flagged * 100.0),
                    format!("{:.4}", ip.max_score),
                    format!("{:.4}", ip.top3_mean),
                    ip.countries.join(", "),
                    bytes(ip.bytes_in),
                    or_missing(&ip.first_seen),
                    or_missing(&ip.last_seen),
                ]
            })
            .collect(),
    });
}

fn geography(d: &mut Doc, f: &Findings) {
    if f.geography.is_empty() {
        return;
    }
    d.heading("Geographic trends");
    d.push(Block::Figure {
        heading: String::new(),
        caption: String::new(),
        chart: Chart::Countries,
    });
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    d.push(Block::Table {
        columns: vec![
            col("country"),
            num("sessions"),
            num("share of sessions"),
            num("bytes in"),
            num("share of bytes in"),
            num("flagged"),
            num("share of flagged"),
        ],
        rows: f
            .geography
            .iter()
            .take(15)
            .map(|c| {
                vec![
                    if c.country.is_empty() {
                        "(none)".into()
                    } else {
                        c.country.clone()
                    },
                    c.sessions.to_string(),
                    pct(c.session_share),
                    bytes(c.bytes_in),
                    pct(c.bytes_in_share),
                    c.flagged.to_string(),
                    pct(c.flagged_share),
                ]
            })
            .collect(),
    });
}

fn time_trends(d: &mut Doc, f: &Findings) {
    let Some(tt) = &f.time else {
        return;
    };
    d.heading("Time trends");
    let mut items = vec![
        vec![t(format!(
            "Busiest {} window by sessions: {} ({} sessions).",
            tt.bucket,
            or_missing(&tt.busiest_start),
            tt.busiest_sessions
        ))],
        vec![t(format!(
            "Busiest by bytes in: {} ({}).",
            or_missing(&tt.busiest_bytes_start),
            bytes(tt.busiest_bytes_in)
        ))],
    ];
    items.push(vec![t(if tt.spikes.is_empty() {
        format!("No {} window has bytes in above mean + 3σ.", tt.bucket)
    } else {
        format!(
            "Spikes (bytes in above mean + 3σ): {}.",
            tt.spikes.join(", ")
        )
    })]);
    items.extend(
        tt.quiet_gaps
            .iter()
            .map(|(a, z)| vec![t(format!("Quiet gap: no traffic from {a} to {z}."))]),
    );
    d.push(Block::Bullets(items));
}
