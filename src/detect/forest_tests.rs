//! Tests for `forest.rs`: c(n), parameter resolution, f32 rounding and tree structure.

#![allow(clippy::unwrap_used)]

use super::*;

fn matrix(cols: Vec<Vec<f64>>) -> FeatureMatrix {
    let names = (0..cols.len()).map(|i| format!("f{i}")).collect();
    FeatureMatrix::new(names, cols).unwrap()
}

#[test]
fn c_of_n_matches_the_reference_values() {
    assert_eq!(average_path_length(0), 0.0);
    assert_eq!(average_path_length(1), 0.0);
    assert_eq!(average_path_length(2), 1.0);
    assert!((average_path_length(256) - 10.2448).abs() < 5e-5);
    // 2(ln 2 + γ) − 4/3, by hand.
    assert!((average_path_length(3) - 1.207_392_357_589_6).abs() < 1e-12);
}

#[test]
fn resolve_derives_sample_size_and_depth() {
    let p = ForestParams::default();
    let r = p.resolve(1000).unwrap();
    assert_eq!(
        (r.sample_size, r.max_depth, r.trees, r.seed),
        (256, 8, 100, 42)
    );
    assert_eq!(p.resolve(282).unwrap().max_depth, 8);
    assert_eq!(p.resolve(257).unwrap().sample_size, 256);
    assert_eq!(p.resolve(100).unwrap().max_depth, 7);
    assert_eq!(p.resolve(1).unwrap().max_depth, 1);
    let big = ForestParams {
        sample_size: Some(1000),
        ..p.clone()
    };
    assert_eq!(big.resolve(300).unwrap().sample_size, 300);
    assert_eq!(big.resolve(5000).unwrap().max_depth, 10);
    assert_eq!(p.resolve(0), Err(DetectError::NoRows));
    let zero = ForestParams { trees: 0, ..p };
    assert!(
        zero.resolve(10)
            .unwrap_err()
            .to_string()
            .contains("trees = 0")
    );
}

#[test]
fn rounding_down_to_f32_preserves_the_comparison() {
    for v in [
        0.1f64,
        -0.1,
        1e-40,
        -1e-40,
        0.0,
        3.0,
        16_777_217.0,
        -16_777_217.0,
    ] {
        let t = f32_at_or_below(v);
        assert!(f64::from(t) <= v, "{v}");
        // The next f32 up is above v, so no f32 lies strictly between t and v.
        let up = if t >= 0.0 {
            f32::from_bits(t.to_bits() + 1)
        } else if t == -f32::from_bits(1) {
            0.0
        } else {
            f32::from_bits(t.to_bits() - 1)
        };
        assert!(f64::from(up) > v || (v == 0.0 && t == 0.0), "{v} {t} {up}");
    }
}

#[test]
fn trees_respect_structure_invariants() {
    let cols = vec![
        (0..500).map(|i| f64::from(i * 7 % 13)).collect(),
        (0..500).map(f64::from).collect(),
        vec![5.0; 500],
    ];
    let f = IsolationForest::fit(&matrix(cols), &ForestParams::default()).unwrap();
    assert_eq!(f.roots.len(), 100);
    for (t, &root) in f.roots.iter().enumerate() {
        let end = f.roots.get(t + 1).map_or(f.nodes.len(), |&r| r as usize);
        assert!(end - (root as usize) < 2 * 256);
        assert!(f.depths[t] <= 8);
        for i in root as usize..end {
            let n = f.nodes[i];
            if n.left as usize == i {
                assert!(f.path_len[i] >= 0.0 && n.threshold == f32::INFINITY);
            } else {
                // The constant feature is never split on; children stay inside the tree.
                assert_ne!(n.feature, 2);
                assert!((n.left as usize) > i && (n.left as usize) + 1 < end);
            }
        }
    }
}

#[test]
fn fitting_is_deterministic_and_seed_dependent() {
    let cols = vec![(0..300).map(|i| f64::from(i * i % 101)).collect()];
    let m = matrix(cols);
    let a = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    let b = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    assert_eq!(a, b);
    let other = ForestParams {
        seed: 7,
        ..ForestParams::default()
    };
    assert_ne!(a, IsolationForest::fit(&m, &other).unwrap());
}

#[test]
fn identical_rows_make_single_leaf_trees() {
    let m = matrix(vec![vec![3.0; 50], vec![-1.0; 50]]);
    let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    assert_eq!(f.node_count(), 100);
    assert!((f.path_len[0] - average_path_length(50)).abs() < 1e-12);
}
