//! The text form of a [`Summary`]: aligned sections for a terminal.
//!
//! Every value that comes from the data passes through the sanitiser (via
//! [`Table`] or `inert`). Pure: returns a `String`.

use super::table::{Table, bytes, num};
use crate::analysis::summary::Summary;
use crate::sanitize::inert;
use std::fmt::Write;

/// Renders the summary as text.
pub fn render_text(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "threatlens summary of {}", inert(&s.source));
    let _ = writeln!(
        o,
        "  rows        {} loaded, {} rejected",
        s.rows, s.rejected.total
    );
    if let Some(t) = &s.time_range {
        let span = (t.last_ms - t.first_ms) / 1000;
        let _ = writeln!(
            o,
            "  time range  {} … {} ({}h {:02}m)",
            t.first,
            t.last,
            span / 3600,
            (span % 3600) / 60
        );
    }
    let _ = writeln!(o, "  schema      {:?}", s.mode);
    if s.files > 1 {
        let _ = writeln!(o, "  files       {}", s.files);
    }
    if !s.data_quality.log_status.is_empty() {
        let list: Vec<String> = s
            .data_quality
            .log_status
            .iter()
            .map(|(k, n)| format!("{} {n}", inert(k)))
            .collect();
        let _ = writeln!(o, "  log status  {}", list.join(", "));
    }
    if s.unique_src_ips > 0 {
        let _ = writeln!(o, "  source IPs  {} distinct", s.unique_src_ips);
    }

    let _ = writeln!(o, "\nStatistics");
    let mut t = Table::new(&[
        "column", "count", "mean", "std", "min", "q1", "median", "q3", "max", "mode", "skew",
        "kurt",
    ])
    .right_align(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (name, st) in &s.numeric.0 {
        t.row(&[
            name.clone(),
            st.count.to_string(),
            num(st.mean),
            num(st.std),
            num(st.min),
            num(st.q1),
            num(st.median),
            num(st.q3),
            num(st.max),
            num(st.mode),
            num(st.skewness),
            num(st.kurtosis),
        ]);
    }
    if t.is_empty() {
        let _ = writeln!(o, "  no numeric column to describe");
    } else {
        o.push_str(&t.render("  "));
    }

    // Correlations only among columns that vary.
    let varying: Vec<&String> = s
        .numeric
        .0
        .iter()
        .filter(|(_, st)| st.std.is_some_and(|x| x > 0.0))
        .map(|(n, _)| n)
        .collect();
    if varying.len() > 1 {
        let _ = writeln!(o, "\nPearson correlation (columns that vary)");
        let mut header = vec![String::new()];
        header.extend(varying.iter().map(|n| n.to_string()));
        let mut t = Table::new(&header).right_align(&(1..header.len()).collect::<Vec<_>>());
        for a in &varying {
            let mut row = vec![a.to_string()];
            for b in &varying {
                let r = s
                    .pearson_correlation
                    .get(a)
                    .and_then(|m| m.get(b))
                    .copied()
                    .flatten();
                row.push(r.map_or("—".into(), |r| format!("{r:.3}")));
            }
            t.row(&row);
        }
        o.push_str(&t.render("  "));
    }

    if !s.countries.is_empty() {
        let _ = writeln!(o, "\nTop countries (by sessions)");
        let mut t = Table::new(&["country", "sessions", "share", "bytes in", "bytes out"])
            .right_align(&[1, 2, 3, 4]);
        for c in &s.countries {
            t.row(&[
                if c.country.is_empty() {
                    "(none)".into()
                } else {
                    c.country.clone()
                },
                c.sessions.to_string(),
                format!("{:.1}%", 100.0 * c.sessions as f64 / s.rows.max(1) as f64),
                known_bytes(c.bytes_in.count > 0, c.bytes_in.sum),
                known_bytes(c.bytes_out.count > 0, c.bytes_out.sum),
            ]);
        }
        o.push_str(&t.render("  "));
    }
    if !s.src_ips.is_empty() {
        let by = s.src_ips_by.replace('_', " ");
        let _ = writeln!(o, "\nTop source IPs (by {by})");
        let mut t =
            Table::new(&["src_ip", "sessions", "bytes in", "bytes out"]).right_align(&[1, 2, 3]);
        for r in &s.src_ips {
            t.row(&[
                if r.src_ip.is_empty() {
                    "(none)".into()
                } else {
                    r.src_ip.clone()
                },
                r.sessions.to_string(),
                r.bytes_in.map_or_else(|| "—".into(), bytes),
                r.bytes_out.map_or_else(|| "—".into(), bytes),
            ]);
        }
        o.push_str(&t.render("  "));
    }

    let q = &s.data_quality;
    let _ = writeln!(o, "\nData quality");
    let _ = writeln!(o, "  duplicate rows    {}", q.duplicate_rows);
    if q.missing.is_empty() {
        let _ = writeln!(o, "  missing values    none");
    } else {
        let list: Vec<String> = q
            .missing
            .iter()
            .map(|(c, n)| format!("{} {n}", inert(c)))
            .collect();
        let _ = writeln!(o, "  missing values    {}", list.join(", "));
    }
    if !q.constant_columns.is_empty() {
        let list: Vec<String> = q
            .constant_columns
            .iter()
            .map(|c| inert(c).into_owned())
            .collect();
        let _ = writeln!(o, "  constant columns  {}", list.join(", "));
    }
    for out in q.outliers.iter().filter(|x| x.below + x.above > 0) {
        let _ = writeln!(
            o,
            "  IQR outliers      {}: {} above {}, {} below {}",
            inert(&out.column),
            out.above,
            num(Some(out.high_fence)),
            out.below,
            num(Some(out.low_fence))
        );
    }
    for n in &s.notes {
        let _ = writeln!(o, "  note              {}", inert(n));
    }
    if s.rejected.total > 0 {
        let _ = writeln!(o, "\nRejected rows: {}", s.rejected.total);
        for (kind, n) in &s.rejected.by_reason {
            let _ = writeln!(o, "  {n:>8}  {}", inert(kind));
        }
        for r in &s.rejected.first {
            let _ = writeln!(o, "  {}", inert(&crate::ingest::describe_reject(r)));
        }
        if s.rejected.total as usize > s.rejected.first.len() {
            let _ = writeln!(
                o,
                "  … {} more (see the reject list in the explorer, key r)",
                s.rejected.total as usize - s.rejected.first.len()
            );
        }
    }
    o
}

/// A byte total, or `—` when no value went into it.
fn known_bytes(known: bool, sum: u128) -> String {
    if known { bytes(sum) } else { "—".into() }
}
