//! The report of a table that stays in an engine (`report --engine`): what the engine's views
//! answered — the summary (statistics, rankings, hourly totals, computed there), the detection
//! over every row (count, threshold) and the top flagged rows it sent back, explained locally —
//! as Markdown, HTML or JSON.
//!
//! Owns [`EngineReport`] (the facts) and its [`document`] (a [`Doc`] that the Markdown and HTML
//! renderers share, as the file report's does) so both formats say the same things. It never claims what the engine did
//! not compute: figures over flagged rows (per-source counts) are over the rows sent back and say
//! so; the file report's patterns, per-country flagged shares and heuristics, which need every
//! flagged row, are left out with a note. Data text is escaped by the renderers. Pure: no I/O,
//! no SQL.

use super::doc::{Block, Doc, col, t};
use super::table::{bytes, num};
use crate::analysis::summary::Summary;
use serde::Serialize;

/// Everything `report --engine` says.
#[derive(Debug, Clone, Serialize)]
pub struct EngineReport {
    /// The endpoint and table (no secrets).
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub anomalies: EngineAnomalies,
    /// The top flagged rows the engine sent back, most anomalous first.
    pub flagged: Vec<FlaggedRow>,
    pub summary: Summary,
    pub notes: Vec<String>,
}

/// Detection over every row of the table, in the engine.
#[derive(Debug, Clone, Serialize)]
pub struct EngineAnomalies {
    pub rows: usize,
    pub flagged: usize,
    pub share: f64,
    pub threshold: f64,
    pub rule: String,
    pub features: Vec<String>,
    pub trees: usize,
    pub sample_size: usize,
    pub seed: u64,
}

/// One flagged row, explained.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedRow {
    pub rank: usize,
    pub score: f64,
    pub time: Option<String>,
    pub src_ip: Option<String>,
    pub country: Option<String>,
    pub bytes_in: Option<f64>,
    pub bytes_out: Option<f64>,
    pub explanation: String,
}

/// Most flagged rows and sources the documents list (JSON has every row sent back).
const LISTED: usize = 50;

/// One block of a section: plain text, turned into the report document's [`Block`]s.
enum Part {
    Para(String),
    List(Vec<String>),
    Table {
        header: Vec<&'static str>,
        rows: Vec<Vec<String>>,
    },
}

impl Part {
    fn block(self) -> Block {
        match self {
            Part::Para(s) => Block::Paragraph(vec![t(s)]),
            Part::List(items) => Block::Bullets(items.into_iter().map(|i| vec![t(i)]).collect()),
            Part::Table { header, rows } => Block::Table {
                columns: header.into_iter().map(col).collect(),
                rows,
            },
        }
    }
}

/// The report as a [`Doc`], shared by the Markdown and HTML renderers.
pub fn document(r: &EngineReport) -> Doc {
    let mut d = Doc::default();
    d.push(Block::Title(title(r)));
    for (heading, parts) in outline(r) {
        d.heading(heading);
        d.blocks.extend(parts.into_iter().map(Part::block));
    }
    d
}

fn title(r: &EngineReport) -> String {
    format!("threatlens findings: {}", r.source)
}

/// The report's outline: (heading, parts).
fn outline(r: &EngineReport) -> Vec<(&'static str, Vec<Part>)> {
    vec![
        ("Overview", overview(r)),
        ("Anomalies", anomalies(r)),
        ("Flagged sources", sources(r)),
        ("Geography and top sources", rankings(&r.summary)),
        ("Busiest hours", hours(&r.summary)),
        ("Numeric columns", numeric(&r.summary)),
    ]
}

fn overview(r: &EngineReport) -> Vec<Part> {
    let s = &r.summary;
    let (first, last) = s
        .time_range
        .as_ref()
        .map_or(("—", "—"), |t| (t.first.as_str(), t.last.as_str()));
    let mut out = vec![Part::Para(format!(
        "{} sessions from {} source IPs, {first} to {last} (UTC). Computed in the engine; only results were transferred.",
        r.anomalies.rows, s.unique_src_ips
    ))];
    if let Some(f) = &r.filter {
        out.push(Part::Para(format!("Filter: {f}")));
    }
    let notes: Vec<String> = r.notes.iter().chain(&s.notes).cloned().collect();
    if !notes.is_empty() {
        out.push(Part::List(notes));
    }
    out
}

fn anomalies(r: &EngineReport) -> Vec<Part> {
    let a = &r.anomalies;
    let mut out = vec![Part::Para(format!(
        "{} of {} sessions ({:.2} %) score above {:.4} ({}). Isolation forest of {} trees × {} rows on {}, seed {}; every row scored in the engine.",
        a.flagged,
        a.rows,
        a.share * 100.0,
        a.threshold,
        a.rule,
        a.trees,
        a.sample_size,
        a.features.join(", "),
        a.seed
    ))];
    if r.flagged.is_empty() {
        out.push(Part::Para("No row is flagged at this threshold.".into()));
        return out;
    }
    let rows = r
        .flagged
        .iter()
        .take(LISTED)
        .map(|f| {
            vec![
                f.rank.to_string(),
                format!("{:.4}", f.score),
                f.time.clone().unwrap_or_default(),
                f.src_ip.clone().unwrap_or_default(),
                f.country.clone().unwrap_or_default(),
                num(f.bytes_in),
                num(f.bytes_out),
                f.explanation.clone(),
            ]
        })
        .collect();
    out.push(Part::Table {
        header: vec![
            "rank",
            "score",
            "time",
            "src_ip",
            "country",
            "bytes_in",
            "bytes_out",
            "why",
        ],
        rows,
    });
    if a.flagged > r.flagged.len().min(LISTED) {
        out.push(Part::Para(format!(
            "The top {} of {} flagged rows.",
            r.flagged.len().min(LISTED),
            a.flagged
        )));
    }
    out
}

/// Flagged rows per source IP among the rows sent back.
fn sources(r: &EngineReport) -> Vec<Part> {
    let mut by: Vec<(String, usize, f64)> = Vec::new();
    for f in &r.flagged {
        let ip = f.src_ip.clone().unwrap_or_default();
        match by.iter_mut().find(|(k, _, _)| *k == ip) {
            Some(e) => {
                e.1 += 1;
                e.2 = e.2.max(f.score);
            }
            None => by.push((ip, 1, f.score)),
        }
    }
    by.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
    if by.is_empty() {
        return vec![Part::Para("No flagged rows.".into())];
    }
    vec![
        Part::Para(format!(
            "Among the {} flagged rows sent back by the engine:",
            r.flagged.len()
        )),
        Part::Table {
            header: vec!["src_ip", "flagged rows", "max score"],
            rows: by
                .into_iter()
                .take(LISTED)
                .map(|(ip, n, s)| vec![ip, n.to_string(), format!("{s:.4}")])
                .collect(),
        },
    ]
}

fn rankings(s: &Summary) -> Vec<Part> {
    vec![
        Part::Table {
            header: vec!["country", "sessions", "bytes_in"],
            rows: s
                .countries
                .iter()
                .map(|c| {
                    vec![
                        c.country.clone(),
                        c.sessions.to_string(),
                        bytes(c.bytes_in.sum),
                    ]
                })
                .collect(),
        },
        Part::Para(format!("Source IPs by {}:", s.src_ips_by)),
        Part::Table {
            header: vec!["src_ip", "sessions", "bytes_in"],
            rows: s
                .src_ips
                .iter()
                .map(|i| {
                    vec![
                        i.src_ip.clone(),
                        i.sessions.to_string(),
                        i.bytes_in.map_or("—".into(), bytes),
                    ]
                })
                .collect(),
        },
    ]
}

fn hours(s: &Summary) -> Vec<Part> {
    let mut h: Vec<_> = s.hourly_totals.iter().collect();
    h.sort_by(|a, b| b.sessions.cmp(&a.sessions).then(a.hour.cmp(&b.hour)));
    vec![Part::Table {
        header: vec!["hour (UTC)", "sessions", "bytes_in", "bytes_out"],
        rows: h
            .into_iter()
            .take(5)
            .map(|t| {
                vec![
                    t.hour.clone(),
                    t.sessions.to_string(),
                    bytes(t.bytes_in),
                    bytes(t.bytes_out),
                ]
            })
            .collect(),
    }]
}

fn numeric(s: &Summary) -> Vec<Part> {
    vec![Part::Table {
        header: vec!["column", "count", "mean", "std", "min", "median", "max"],
        rows: s
            .numeric
            .0
            .iter()
            .map(|(name, st)| {
                vec![
                    name.clone(),
                    st.count.to_string(),
                    num(st.mean),
                    num(st.std),
                    num(st.min),
                    num(st.median),
                    num(st.max),
                ]
            })
            .collect(),
    }]
}

/// The report as Markdown.
pub fn markdown(r: &EngineReport) -> String {
    super::markdown::render_doc(&document(r))
}

/// The report as one HTML page (no charts: the engine sends no per-bucket series).
pub fn html(r: &EngineReport) -> String {
    super::html::render_doc(&title(r), &document(r), &|_| String::new())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn report(ip: &str) -> EngineReport {
        let mut csv = Vec::new();
        crate::demo::write_demo(&mut csv, 500, 1).unwrap();
        let ds = crate::ingest::load_bytes("demo", &csv).unwrap();
        let summary = crate::report::findings::summary_for(&ds);
        EngineReport {
            source: "sc://127.0.0.1:15002 · logs".into(),
            filter: Some("country = US".into()),
            anomalies: EngineAnomalies {
                rows: summary.rows,
                flagged: 3,
                share: 3.0 / summary.rows as f64,
                threshold: 0.61,
                rule: "contamination 0.05".into(),
                features: vec!["bytes_in".into()],
                trees: 100,
                sample_size: 256,
                seed: 42,
            },
            flagged: (1..=3)
                .map(|rank| FlaggedRow {
                    rank,
                    score: 0.7 - rank as f64 / 100.0,
                    time: None,
                    src_ip: Some(if rank < 3 {
                        ip.into()
                    } else {
                        "10.0.0.9".into()
                    }),
                    country: None,
                    bytes_in: Some(1.0),
                    bytes_out: None,
                    explanation: "bytes_in high".into(),
                })
                .collect(),
            summary,
            notes: vec![],
        }
    }

    #[test]
    fn both_formats_say_the_same_facts() {
        let r = report("10.0.0.1");
        let (m, h) = (markdown(&r), html(&r));
        for fact in [
            "3 of",
            "0.6100",
            "contamination 0.05",
            "10.0.0.1",
            "Flagged sources",
        ] {
            assert!(m.contains(fact), "markdown lacks {fact}");
            assert!(h.contains(fact), "html lacks {fact}");
        }
        // Per-source counts are over the rows sent back: 10.0.0.1 twice, first.
        let at = m.find("| 10.0.0.1 | 2 |").unwrap();
        assert!(at < m.find("| 10.0.0.9 | 1 |").unwrap(), "{m}");
    }

    #[test]
    fn hostile_text_is_escaped_in_both_formats() {
        let r = report("<script>x</script>| `a` \u{1b}[31m");
        let (m, h) = (markdown(&r), html(&r));
        assert!(!h.contains("<script>"), "{h}");
        assert!(!m.contains("<script>") && !m.contains("| `a`"), "{m}");
        assert!(!m.contains('\u{1b}') && !h.contains('\u{1b}'));
    }
}
