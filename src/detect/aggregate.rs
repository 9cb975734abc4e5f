//! Per-group summaries of a detection run (per source IP, per country, …): how many sessions were
//! flagged, what share, the highest score and the mean of the top three.
//!
//! Owns [`GroupSummary`] and the ordering "most suspicious first". Groups come in as a `u32` code per
//! row plus one label per code (the dataset layer's dictionary encoding), so this file needs no
//! strings per row and must not know which column the groups came from.

use super::DetectError;

/// One group's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupSummary {
    /// The group's code.
    pub code: u32,
    /// The group's label (an IP address, a country code, …).
    pub label: String,
    /// Rows in the group.
    pub sessions: usize,
    /// Flagged rows in the group.
    pub flagged: usize,
    /// `flagged / sessions`, in [0, 1].
    pub share_flagged: f64,
    /// Highest score in the group.
    pub max_score: f64,
    /// Mean of the group's three highest scores (of all its scores when it has fewer than three).
    pub top3_mean: f64,
}

/// Summarises every group that has at least one row, most suspicious first: more flagged rows first,
/// then a higher top-3 mean, then a higher max score, then the label alphabetically.
///
/// `codes` and `scores` have one entry per row; `labels[code]` names each group; `flagged(row)` says
/// whether a row is flagged (for instance `|r| index.is_flagged(&selection, r)`).
pub fn aggregate<S: AsRef<str>>(
    codes: &[u32],
    labels: &[S],
    scores: &[f64],
    flagged: impl Fn(usize) -> bool,
) -> Result<Vec<GroupSummary>, DetectError> {
    if codes.len() != scores.len() {
        return Err(DetectError::LengthMismatch {
            what: "group codes",
            expected: scores.len(),
            found: codes.len(),
        });
    }
    #[derive(Clone, Copy)]
    struct Acc {
        sessions: usize,
        flagged: usize,
        /// Descending; `NEG_INFINITY` marks an empty slot.
        top: [f64; 3],
    }
    let mut acc = vec![
        Acc {
            sessions: 0,
            flagged: 0,
            top: [f64::NEG_INFINITY; 3],
        };
        labels.len()
    ];
    for (row, (&code, &score)) in codes.iter().zip(scores).enumerate() {
        let a = acc.get_mut(code as usize).ok_or(DetectError::GroupCode {
            row,
            code,
            labels: labels.len(),
        })?;
        a.sessions += 1;
        a.flagged += usize::from(flagged(row));
        if score > a.top[2] {
            a.top[2] = score;
            if a.top[2] > a.top[1] {
                a.top.swap(1, 2);
                if a.top[1] > a.top[0] {
                    a.top.swap(0, 1);
                }
            }
        }
    }
    let mut out: Vec<GroupSummary> = acc
        .iter()
        .enumerate()
        .filter(|(_, a)| a.sessions > 0)
        .map(|(code, a)| {
            let top: Vec<f64> = a.top.iter().copied().filter(|s| s.is_finite()).collect();
            GroupSummary {
                code: code as u32,
                label: labels[code].as_ref().to_owned(),
                sessions: a.sessions,
                flagged: a.flagged,
                share_flagged: a.flagged as f64 / a.sessions as f64,
                max_score: top.first().copied().unwrap_or(f64::NAN),
                top3_mean: if top.is_empty() {
                    f64::NAN
                } else {
                    top.iter().sum::<f64>() / top.len() as f64
                },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.flagged
            .cmp(&a.flagged)
            .then(b.top3_mean.total_cmp(&a.top3_mean))
            .then(b.max_score.total_cmp(&a.max_score))
            .then_with(|| a.label.cmp(&b.label))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_and_orders_groups() {
        let labels = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "unused"];
        let codes = [0, 1, 1, 1, 1, 2, 0, 2];
        let scores = [0.40, 0.70, 0.65, 0.30, 0.60, 0.80, 0.45, 0.35];
        let flagged = |r: usize| scores[r] > 0.6;
        let g = aggregate(&codes, &labels, &scores, flagged).unwrap();
        let order: Vec<&str> = g.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(order, ["10.0.0.2", "10.0.0.3", "10.0.0.1"]);
        let ip2 = &g[0];
        assert_eq!((ip2.code, ip2.sessions, ip2.flagged), (1, 4, 2));
        assert_eq!(ip2.share_flagged, 0.5);
        assert_eq!(ip2.max_score, 0.70);
        assert!((ip2.top3_mean - (0.70 + 0.65 + 0.60) / 3.0).abs() < 1e-12);
        // Fewer than three scores: mean of those there are.
        assert!((g[2].top3_mean - 0.425).abs() < 1e-12);
        assert_eq!(g[2].flagged, 0);
    }

    #[test]
    fn ties_on_flagged_fall_back_to_scores_then_label() {
        let g = aggregate(&[0, 1, 2], &["b", "a", "c"], &[0.5, 0.5, 0.9], |_| false).unwrap();
        let order: Vec<&str> = g.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn bad_input_is_an_error() {
        let e = aggregate(&[0, 5], &["x"], &[0.1, 0.2], |_| false).unwrap_err();
        assert!(e.to_string().contains("group code 5"), "{e}");
        assert!(aggregate(&[0], &["x"], &[0.1, 0.2], |_| false).is_err());
        assert!(
            aggregate::<&str>(&[], &[], &[], |_| false)
                .unwrap()
                .is_empty()
        );
    }
}
