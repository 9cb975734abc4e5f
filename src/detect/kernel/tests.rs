//! The kernels against each other: every vector kernel this CPU has must give the portable
//! kernel's sums to the last bit.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::detect::FeatureMatrix;
use crate::detect::ForestParams;

/// `n` rows of `d` features with negatives, zeros of both signs, repeats and large magnitudes.
fn awkward_matrix(n: usize, d: usize) -> FeatureMatrix {
    let columns = (0..d)
        .map(|f| {
            (0..n)
                .map(|i| {
                    let k = (i * (2 * f + 7) + f * 13) % 97;
                    match k % 5 {
                        0 => -0.0,
                        1 => 0.0,
                        2 => -(k as f64) * 1.5e6,
                        _ => (k as f64).powi(3) / 7.0,
                    }
                })
                .collect()
        })
        .collect();
    FeatureMatrix::new((0..d).map(|f| format!("f{f}")).collect(), columns).unwrap()
}

fn sums(p: &Prepared<'_>, m: &FeatureMatrix) -> Vec<u64> {
    let mut block = p.block();
    let mut out = vec![];
    for first in (0..m.rows()).step_by(BLOCK) {
        let len = BLOCK.min(m.rows() - first);
        p.run(m, first, len, &mut block);
        out.extend(block.sums[..len].iter().map(|s| s.to_bits()));
    }
    out
}

/// Every kernel this CPU can run on one forest, the portable one first.
fn kernels(forest: &IsolationForest, d: usize) -> Vec<Prepared<'_>> {
    [Kernel::Portable, Kernel::Avx2, Kernel::Avx512]
        .into_iter()
        .filter(|k| k.available())
        .map(|k| {
            let p = Prepared::with_kernel(forest, d, k).unwrap();
            assert_eq!(p.kernel, k, "{k} refused a forest of {d} features");
            p
        })
        .collect()
}

/// `m`'s rows, then rows made of the forest's own thresholds and their neighbouring `f32`s (the
/// values where `>` and the quantised ranks must agree exactly).
fn with_thresholds(m: &FeatureMatrix, forest: &IsolationForest) -> FeatureMatrix {
    let d = m.features();
    let mut columns: Vec<Vec<f64>> = (0..d).map(|f| m.columns[f].clone()).collect();
    let mut k = 0usize;
    for n in forest.nodes.iter().filter(|n| n.threshold.is_finite()) {
        let t = n.threshold;
        for v in [t, t.next_down(), t.next_up()] {
            for (f, c) in columns.iter_mut().enumerate() {
                // Row k puts the threshold on its own feature and lets the others vary.
                let other = m.columns[f][k % m.rows()];
                c.push(if f == n.feature as usize {
                    f64::from(v)
                } else {
                    other
                });
            }
            k += 1;
        }
    }
    FeatureMatrix::new(m.names.clone(), columns).unwrap()
}

#[test]
fn vector_and_scalar_kernels_agree_bit_for_bit() {
    if !Kernel::Avx2.available() && !Kernel::Avx512.available() {
        eprintln!("skipped: this CPU has neither AVX2 nor AVX-512, only the scalar kernel runs");
        return;
    }
    if !Kernel::Avx512.available() {
        eprintln!("note: no AVX-512 on this CPU, only the AVX2 kernel is compared");
    }
    // Depths 0 (identical rows), 1, 4, 5, 7, 8 (the last AVX2 permute level, the default
    // forest), 9 (AVX2 gathers), 10 (the last AVX-512 table level) and 11 (past it); 1 to 16
    // features (odd and even counts, for the feature selection).
    let cases = [
        (1, 256),
        (3, 2),
        (3, 16),
        (2, 32),
        (3, 128),
        (3, 256),
        (4, 512),
        (5, 256),
        (6, 1024),
        (7, 256),
        (8, 100),
        (9, 512),
        (10, 256),
        (11, 64),
        (13, 2048),
        (16, 256),
    ];
    for (d, sample) in cases {
        let params = ForestParams {
            trees: 20,
            sample_size: Some(sample),
            seed: d as u64,
        };
        let fitted = awkward_matrix(1500, d);
        let forest = IsolationForest::fit(&fitted, &params).unwrap();
        let m = with_thresholds(&fitted, &forest);
        let all = kernels(&forest, d);
        let expected = sums(&all[0], &m);
        for p in &all[1..] {
            assert_eq!(
                sums(p, &m),
                expected,
                "{}, d = {d}, sample = {sample}",
                p.kernel
            );
        }
    }
    let same = FeatureMatrix::new(vec!["a".into()], vec![vec![2.5; 40]]).unwrap();
    let forest = IsolationForest::fit(&same, &ForestParams::default()).unwrap();
    assert_eq!(forest.depth, 0);
    let all = kernels(&forest, 1);
    let expected = sums(&all[0], &same);
    for p in &all[1..] {
        assert_eq!(sums(p, &same), expected);
    }
}

#[test]
fn the_default_kernel_is_the_best_this_cpu_has() {
    let m = awkward_matrix(300, 3);
    let forest = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    let p = Prepared::with_kernel(&forest, 3, dispatch::choose(3, None).kernel).unwrap();
    let best = if Kernel::Avx512.available() {
        Kernel::Avx512
    } else if Kernel::Avx2.available() {
        Kernel::Avx2
    } else {
        Kernel::Portable
    };
    assert_eq!(p.kernel, best);
}

#[test]
fn a_forest_is_checked_against_the_feature_count() {
    let m = awkward_matrix(300, 3);
    let forest = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
    assert!(Prepared::new(&forest, 3).is_ok());
    assert!(matches!(
        Prepared::new(&forest, 1),
        Err(DetectError::FeatureMismatch { .. })
    ));
}
