//! ROC AUC of the isolation forest on every labelled benchmark in `$THREATLENS_SHARED/bench`, against
//! scikit-learn's reference: the mean over seeds 0–4 must be at least the reference mean minus 0.01.
//! Skips (with a note on stderr) when `THREATLENS_SHARED` is not set.

use crate::common::bench_csv;
use std::collections::BTreeSet;
use threatlens::detect::{ForestParams, IsolationForest, RunControl, roc_auc};

const TOLERANCE: f64 = 0.01;

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn roc_auc_matches_scikit_learn_on_every_benchmark() {
    let dir = crate::common::shared("benchmark ROC AUC").join("bench");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sklearn_reference.json")).unwrap())
            .unwrap();
    let datasets = reference["datasets"].as_object().unwrap();
    let seeds: Vec<u64> = reference["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(seeds, [0, 1, 2, 3, 4]);

    // Every benchmark file has a reference and every reference a file: nothing is skipped silently.
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".csv.gz").map(str::to_owned)
        })
        .collect();
    let referenced: BTreeSet<String> = datasets.keys().cloned().collect();
    assert_eq!(files, referenced);

    let mut failures = vec![];
    for (name, r) in datasets {
        let data = bench_csv::load(&dir.join(format!("{name}.csv.gz"))).unwrap();
        assert_eq!(
            data.matrix.rows() as u64,
            r["rows"].as_u64().unwrap(),
            "{name}"
        );
        let mut aucs = vec![];
        for &seed in &seeds {
            let params = ForestParams {
                seed,
                ..ForestParams::default()
            };
            let forest = IsolationForest::fit(&data.matrix, &params).unwrap();
            let scores = forest.score(&data.matrix, &RunControl::default()).unwrap();
            aucs.push(roc_auc(&data.labels, &scores).unwrap());
        }
        let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
        let want = r["roc_auc_mean"].as_f64().unwrap();
        eprintln!("{name:12} ROC AUC mean {mean:.4} (scikit-learn {want:.4}) per seed {aucs:.4?}");
        if mean < want - TOLERANCE {
            failures.push(format!("{name}: {mean:.4} < {want:.4} − {TOLERANCE}"));
        }
    }
    assert!(failures.is_empty(), "below the reference: {failures:?}");
}
