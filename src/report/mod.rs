//! Reports: the text forms of summaries and findings, built as plain strings.
//!
//! Pure functions from analysis values to text; every data value passes
//! through the sanitiser. No terminal, no files (the CLI decides where text goes).

pub mod doc;
pub mod export;
pub mod file;
pub mod findings;
pub mod html;
pub mod json;
pub mod markdown;
pub mod prose;
pub mod sources;
pub mod summary;
pub mod table;

use crate::detect::Evaluation;

/// Which rows a report covers, in one sentence, when the explorer had a filter on (`None` for
/// the whole file). Raw data text: each format escapes it.
pub fn scope_text(ov: &findings::Overview) -> Option<String> {
    ov.filter.as_ref().map(|f| {
        format!(
            "Filtered view: {f} ({} of the file's {} sessions). The model and threshold are the explorer's, fitted on the whole file; row numbers are the explorer's and the CSV export's (0-based).",
            ov.rows, ov.file_rows
        )
    })
}

/// Where a pattern's "all rows" count was taken: the whole file or the filtered view.
pub fn scope_name(ov: &findings::Overview) -> &'static str {
    if ov.filter.is_some() {
        "in the filtered view"
    } else {
        "in the whole file"
    }
}

/// Evaluation in words: one whole sentence (capitalised, ending in a full stop) that every output
/// format prints as it is, so no caller has to frame it.
pub fn evaluation_text(e: &Evaluation) -> String {
    match e {
        Evaluation::ConstantLabel { anomalous, rows } => format!(
            "The label is the same ({}) for all {rows} rows, so it cannot score the detector (an accuracy on it would be meaningless).",
            if *anomalous { "anomalous" } else { "normal" }
        ),
        Evaluation::Scored(m) => {
            let c = &m.confusion;
            format!(
                "Against the label, the detector has ROC AUC {:.4} and PR AUC {:.4}; at this threshold precision {}, recall {:.3}, F1 {:.3} ({} true positives, {} false positives, {} false negatives, {} true negatives).",
                m.roc_auc,
                m.pr_auc,
                m.precision.map_or("—".into(), |p| format!("{p:.3}")),
                m.recall,
                m.f1,
                c.true_positives,
                c.false_positives,
                c.false_negatives,
                c.true_negatives
            )
        }
    }
}
