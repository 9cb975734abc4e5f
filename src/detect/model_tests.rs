#![allow(clippy::unwrap_used)]

use super::*;
use crate::detect::RunControl;
use crate::detect::pipeline::DetectParams;

fn demo(rows: usize, seed: u64) -> Dataset {
    let mut csv = Vec::new();
    crate::demo::write_demo(&mut csv, rows, seed).unwrap();
    crate::ingest::load_bytes("demo.csv", &csv).unwrap()
}

fn saved(ds: &Dataset, params: &DetectParams) -> (DetectionRun, Model) {
    let run = DetectionRun::run(ds, params, &RunControl::default()).unwrap();
    let model = Model::from_run(ds, &run, Contamination::default(), 0.6);
    (run, Model::from_json(&model.to_json()).unwrap())
}

#[test]
fn a_loaded_model_is_the_fitted_forest_and_scores_bit_identically() {
    let ds = demo(5_000, 3);
    let mut params = DetectParams::defaults_for(&ds);
    for (log1p, sample, seed) in [(vec![], None, 42), (vec!["bytes_out".into()], Some(77), 5)] {
        params.log1p = log1p;
        params.sample = sample;
        params.seed = seed;
        params.features.push("session_duration".into());
        let (run, model) = saved(&ds, &params);
        assert_eq!(&model.forest().unwrap(), &run.detection.forest);
        // On the fitted data and on other data, the loaded model gives the very same bits.
        for other in [&ds, &demo(3_000, 11)] {
            let fitted = run.detection.forest.score_rows(
                &crate::detect::FeatureMatrix::new(
                    run.feature_names.clone(),
                    (0..run.feature_names.len())
                        .map(|f| {
                            (0..other.rows)
                                .map(|r| run.row_values(other, r)[f])
                                .collect()
                        })
                        .collect(),
                )
                .unwrap(),
                &RunControl::default(),
            );
            let loaded = DetectionRun::run_model(other, &model, &RunControl::default()).unwrap();
            let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fitted.unwrap()), bits(loaded.scores()));
        }
        let again = DetectionRun::run_model(&ds, &model, &RunControl::default()).unwrap();
        assert_eq!(again.scores(), run.scores());
        assert_eq!(again.medians, run.medians);
    }
}

#[test]
fn the_file_says_how_each_feature_is_computed() {
    let ds = demo(500, 1);
    let (_, model) = saved(&ds, &DetectParams::defaults_for(&ds));
    let names: Vec<&str> = model.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["bytes_in", "bytes_out", "bytes_per_sec"]);
    assert_eq!(
        model.features[2].input,
        Input::BytesPerSec {
            bytes_in: "bytes_in".into(),
            bytes_out: "bytes_out".into(),
            start: "creation_time".into(),
            end: "end_time".into(),
        }
    );
    assert_eq!(model.threshold.contamination, "0.05");
    assert_eq!(model.forest.len(), 100);
    let json = model.to_json();
    assert!(json.contains("\"format\": \"threatlens-isolation-forest\""));
}

#[test]
fn a_constant_feature_gives_single_leaf_trees_that_survive_the_round_trip() {
    let ds = crate::ingest::load_bytes("c.csv", b"x,y\n1,2\n1,2\n1,2\n").unwrap();
    let (run, model) = saved(&ds, &DetectParams::defaults_for(&ds));
    assert!(model.forest.iter().all(|t| t.len() == 1));
    assert_eq!(model.forest().unwrap(), run.detection.forest);
}

fn err(text: &str) -> ModelError {
    Model::from_json(text).unwrap_err()
}

#[test]
fn foreign_old_and_damaged_files_are_named_as_such() {
    assert!(matches!(err("not json"), ModelError::Parse { line: 1, .. }));
    assert!(matches!(
        err("{\"format\": \"onnx\"}"),
        ModelError::Foreign { .. }
    ));
    assert!(matches!(err("[1, 2]"), ModelError::Foreign { .. }));
    let ds = demo(300, 2);
    let (_, model) = saved(&ds, &DetectParams::defaults_for(&ds));
    let mut v: serde_json::Value = serde_json::from_str(&model.to_json()).unwrap();
    v["version"] = 9.into();
    assert_eq!(err(&v.to_string()), ModelError::Version { found: 9 });
    let damage = |f: &dyn Fn(&mut Model)| {
        let mut m = model.clone();
        f(&mut m);
        match err(&m.to_json()) {
            ModelError::Invalid(msg) => msg,
            other => panic!("{other:?}"),
        }
    };
    let first_split = model.forest[0]
        .feature
        .iter()
        .position(|&f| f >= 0)
        .unwrap();
    let msg = damage(&|m| m.forest[0].left[first_split] = 10_000);
    assert!(msg.contains("tree 0") && msg.contains("child"), "{msg}");
    let msg = damage(&|m| m.forest[0].threshold[first_split] = 0.1);
    assert!(msg.contains("32-bit"), "{msg}");
    let msg = damage(&|m| m.forest[0].feature[first_split] = 7);
    assert!(msg.contains("feature 7"), "{msg}");
    let msg = damage(&|m| {
        m.forest.pop();
    });
    assert!(msg.contains("100 trees"), "{msg}");
    let msg = damage(&|m| m.max_depth = 3);
    assert!(msg.contains("max_depth"), "{msg}");
    let msg = damage(&|m| m.threshold.contamination = "most".into());
    assert!(msg.contains("contamination"), "{msg}");
    // A node shared by two parents is not a tree.
    let msg = damage(&|m| {
        let t = &mut m.forest[0];
        let (l, r) = (t.left[first_split], t.right[first_split]);
        let _ = r;
        t.right[first_split] = l;
    });
    assert!(msg.contains("twice") || msg.contains("reachable"), "{msg}");
}
