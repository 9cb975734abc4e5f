//! Recommendations derived from the figures found: each one cites what it rests on.

use super::Findings;
use crate::detect::Evaluation;

/// Recommendations derived from the figures (each cites what it rests on).
pub(super) fn recommendations(f: &Findings) -> Vec<String> {
    let mut out: Vec<String> = f.flow_patterns.iter().map(|p| p.sentence.clone()).collect();
    out.extend(source_advice(f));
    out.extend(pattern_advice(f));
    if let Some(c) = f
        .geography
        .iter()
        .filter(|c| c.flagged > 0)
        .max_by(|a, b| a.flagged_share.total_cmp(&b.flagged_share))
        && c.flagged_share > c.session_share * 1.5
    {
        out.push(format!(
            "Review traffic from {}: {:.0}% of the flagged sessions but {:.0}% of all sessions; consider geo-based rules if the business has no users there.",
            c.country,
            c.flagged_share * 100.0,
            c.session_share * 100.0
        ));
    }
    if let Some(h) = &f.heuristic
        && h.model_only > 0
    {
        out.push(format!(
            "Keep the model beside the simple threshold: {} of the {} flagged sessions stay under the bytes_in > mean + 3σ rule ({} rows exceed it).",
            h.model_only, f.anomalies.flagged, h.rows
        ));
    }
    // A gap in a filtered view is the filter's doing, not the collector's.
    if let Some(t) = &f.time
        && f.overview.filter.is_none()
        && let Some((a, b)) = t.quiet_gaps.first()
    {
        out.push(format!(
            "Check the collection pipeline for {a} to {b}: no traffic at all was logged then, which may be a logging gap rather than a quiet network."
        ));
    }
    if let Some(Evaluation::ConstantLabel { rows, .. }) = &f.evaluation {
        out.push(format!("Do not use the label column to judge the detector: it has one value for all {rows} rows."));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Block (outside) or investigate (internal) each source with many or mostly flagged sessions.
fn source_advice(f: &Findings) -> Vec<String> {
    let mut out = Vec::new();
    let mb = |b: u128| format!("{:.0} MB", b as f64 / 1e6);
    for ip in f
        .suspicious_ips
        .iter()
        .filter(|ip| ip.share_flagged >= 0.25 || ip.flagged >= 5)
        .take(5)
    {
        // One of the network's own hosts is investigated, not blocked.
        let internal = ip.src_ip.parse().is_ok_and(crate::geoip::is_internal);
        out.push(format!(
            "{} {}: {} of its {} sessions flagged ({:.0}%), {} in, {} out, max score {:.3}, active {} to {}.",
            if internal { "Investigate internal host" } else { "Block or rate-limit" },
            ip.src_ip,
            ip.flagged,
            ip.sessions,
            ip.share_flagged * 100.0,
            mb(ip.bytes_in),
            mb(ip.bytes_out),
            ip.max_score,
            ip.first_seen.as_deref().unwrap_or("?"),
            ip.last_seen.as_deref().unwrap_or("?")
        ));
    }
    out
}

/// What to do about each pattern found among flagged sessions.
fn pattern_advice(f: &Findings) -> Vec<String> {
    let mut out = Vec::new();
    for p in &f.patterns {
        let ips = p
            .source_ips
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let advice = match p.pattern.as_str() {
            "high bytes in, low bytes out" => {
                "inspect the payloads and apply data-loss-prevention rules or an upload size limit"
            }
            "bursts in short sessions" => {
                "apply per-source rate limits and check for volumetric attacks"
            }
            "very high rate" => {
                "confirm the transfers are expected and apply per-source rate limits"
            }
            "suspicious destination port" => {
                "close or restrict these ports to known addresses and require multi-factor authentication"
            }
            _ => "add login throttling or fail2ban-style blocking for repeated short sessions",
        };
        out.push(format!(
            "{}: {} flagged sessions ({} in all) from {}: {advice}.",
            capitalise(&p.pattern),
            p.flagged_rows,
            p.all_rows,
            if ips.is_empty() {
                "unknown sources".into()
            } else {
                ips
            }
        ));
    }
    out
}
