//! Tests for `forest.rs`: c(n), parameter resolution, f32 rounding and tree layout.

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
    let zero = ForestParams {
        trees: 0,
        ..p.clone()
    };
    assert!(
        zero.resolve(10)
            .unwrap_err()
            .to_string()
            .contains("trees = 0")
    );
    let huge = ForestParams {
        sample_size: Some(1 << 25),
        ..p
    };
    assert!(
        huge.resolve(1 << 26)
            .unwrap_err()
            .to_string()
            .contains("16777216")
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
fn layout_respects_tree_invariants() {
    let cols = vec![
        (0..500).map(|i| f64::from(i * 7 % 13)).collect(),
        (0..500).map(f64::from).collect(),
        vec![5.0; 500],
    ];
    let f = IsolationForest::fit(&matrix(cols), &ForestParams::default()).unwrap();
    assert_eq!(f.depth, 8);
    let internal = f.nodes_per_tree();
    assert_eq!(f.nodes.len(), 100 * internal);
    assert_eq!(f.leaves.len(), 100 * (internal + 1));
    for t in 0..f.trees() {
        let nodes = &f.nodes[t * internal..(t + 1) * internal];
        for (i, n) in nodes.iter().enumerate() {
            // The constant feature is never split on.
            assert!(n.threshold == f32::INFINITY || n.feature != 2);
            // Below a pass-through node everything is pass-through.
            if n.threshold == f32::INFINITY && 2 * i + 2 < internal {
                assert_eq!(nodes[2 * i + 1], PASS);
                assert_eq!(nodes[2 * i + 2], PASS);
            }
        }
        // Every bottom slot holds depth + c(n) with depth ≤ 8 and n ≤ 256.
        for &v in &f.leaves[t * (internal + 1)..(t + 1) * (internal + 1)] {
            assert!(v >= 1.0 && v <= 8.0 + average_path_length(256), "{v}");
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
    assert_eq!((f.depth, f.nodes.len(), f.leaves.len()), (0, 0, 100));
    assert!((f.leaves[0] - average_path_length(50)).abs() < 1e-12);
    assert_eq!(
        f.walk(3, &[3.0, -1.0], |_| {}),
        (average_path_length(50), 0)
    );
}

#[test]
fn walk_reports_leaf_depth_and_split_features() {
    // Two well-separated clusters on f0; f1 constant: every first split is on f0.
    let mut a: Vec<f64> = vec![0.0; 100];
    a.extend(vec![100.0; 100]);
    let m = matrix(vec![a, vec![1.0; 200]]);
    let f = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    for t in 0..f.trees() {
        let mut seen = vec![];
        let (len, depth) = f.walk(t, &[0.0, 1.0], |feat| seen.push(feat));
        // One split separates the clusters; the identical rows beneath form one leaf.
        assert_eq!((depth, seen.as_slice()), (1, &[0][..]));
        let n = len - 1.0; // c(n_leaf) for about half of the 200 rows
        assert!(
            n > average_path_length(90) && n < average_path_length(170),
            "{len}"
        );
    }
}

/// Walks a tree as grown (full `max_depth` layout, before the forest shrinks it to its deepest leaf).
fn walk_grown(tree: &TreeLayout, max_depth: u32, x: &[f32]) -> f64 {
    let internal = (1usize << max_depth) - 1;
    let mut i = 0;
    while i < internal {
        let n = tree.nodes[i];
        i = 2 * i + 1 + usize::from(x[n.feature as usize] > n.threshold);
    }
    tree.leaves[i - internal]
}

#[test]
fn shrinking_the_layout_keeps_every_path_length() {
    // Tight clusters isolate early, so the deepest leaf is shallower than the depth limit.
    let cols = vec![
        (0..120).map(|i| f64::from(i / 40) * 100.0).collect(),
        (0..120).map(|i| f64::from(i % 3)).collect(),
    ];
    let m = matrix(cols);
    let params = ForestParams {
        trees: 30,
        sample_size: Some(100),
        seed: 5,
    };
    let f = IsolationForest::fit(&m, &params).unwrap();
    let r = params.resolve(m.rows()).unwrap();
    assert!(f.depth < r.max_depth, "{} vs {}", f.depth, r.max_depth);
    let mut master = ChaCha8Rng::seed_from_u64(r.seed);
    for t in 0..r.trees {
        let grown = grow_tree(&m, &r, master.random());
        for row in [0, 41, 85, 119] {
            let x: Vec<f32> = m.row(row).unwrap().iter().map(|&v| v as f32).collect();
            assert_eq!(f.walk(t, &x, |_| {}).0, walk_grown(&grown, r.max_depth, &x));
        }
        // Values between and beyond the clusters too.
        for x in [[50.0f32, 0.5], [-1.0, 9.0], [250.0, 1.5]] {
            assert_eq!(f.walk(t, &x, |_| {}).0, walk_grown(&grown, r.max_depth, &x));
        }
    }
}
