//! The random forest: bagged smartcore decision trees grown to purity, probabilities averaged.
//!
//! Owns [`Forest`]. Each tree is fitted on a bootstrap sample (drawn with replacement, as many rows
//! as the training part) from its own seed, in parallel; a tree's probability for a row is its
//! leaf's class, so the forest's probability is the share of trees voting positive, which is what
//! scikit-learn's averaged leaf probabilities are for pure leaves. Importances are smartcore's
//! per-tree mean decrease in impurity, normalised and averaged. Only plain vectors cross this
//! file's boundary; smartcore types stay inside.

use super::ClassifyError;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters,
};

type Tree = DecisionTreeClassifier<f64, u32, DenseMatrix<f64>, Vec<u32>>;

/// One fitted tree and whether its bootstrap held both classes (else it always answers `only`).
enum Member {
    Tree(Box<Tree>),
    Constant(bool),
}

/// A fitted forest.
pub struct Forest {
    members: Vec<Member>,
    features: usize,
}

fn matrix(columns: &[Vec<f64>], rows: &[usize]) -> Result<DenseMatrix<f64>, ClassifyError> {
    let values: Vec<Vec<f64>> = rows
        .iter()
        .map(|&r| columns.iter().map(|c| c[r]).collect())
        .collect();
    DenseMatrix::from_2d_vec(&values).map_err(|e| ClassifyError::Model(e.to_string()))
}

impl Forest {
    /// Fits `trees` trees on the `train` rows of `columns` (one vector per feature) and `y`.
    pub fn fit(
        columns: &[Vec<f64>],
        y: &[bool],
        train: &[usize],
        trees: usize,
        seed: u64,
    ) -> Result<Forest, ClassifyError> {
        let members = (0..trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let sample: Vec<usize> = (0..train.len())
                    .map(|_| train[rng.random_range(0..train.len())])
                    .collect();
                let labels: Vec<u32> = sample.iter().map(|&r| u32::from(y[r])).collect();
                let positives = labels.iter().filter(|l| **l == 1).count();
                if positives == 0 || positives == labels.len() {
                    return Ok(Member::Constant(positives > 0));
                }
                let params = DecisionTreeClassifierParameters {
                    seed: Some(rng.random()),
                    ..Default::default()
                };
                let x = matrix(columns, &sample)?;
                Tree::fit(&x, &labels, params)
                    .map(|t| Member::Tree(Box::new(t)))
                    .map_err(|e| ClassifyError::Model(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Forest {
            members,
            features: columns.len(),
        })
    }

    /// The probability of the positive class for each of `rows` (share of trees voting positive).
    pub fn predict_proba(&self, columns: &[Vec<f64>], rows: &[usize]) -> Vec<f64> {
        let Ok(x) = matrix(columns, rows) else {
            return vec![0.0; rows.len()];
        };
        let votes: Vec<Vec<f64>> = self
            .members
            .par_iter()
            .map(|m| match m {
                Member::Constant(p) => vec![f64::from(u8::from(*p)); rows.len()],
                Member::Tree(t) => match t.predict_proba(&x) {
                    Ok(p) => (0..rows.len()).map(|i| *p.get((i, 1))).collect(),
                    Err(_) => vec![0.0; rows.len()],
                },
            })
            .collect();
        let n = self.members.len().max(1) as f64;
        (0..rows.len())
            .map(|i| votes.iter().map(|v| v[i]).sum::<f64>() / n)
            .collect()
    }

    /// Mean decrease in impurity per feature, averaged over trees (sums to 1 unless no tree split).
    pub fn importances(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.features];
        let n = self.members.len().max(1) as f64;
        for m in &self.members {
            if let Member::Tree(t) = m {
                let imp = t.compute_feature_importances(false);
                let total: f64 = imp.iter().sum();
                if total > 0.0 {
                    for (o, v) in out.iter_mut().zip(imp) {
                        *o += v / total / n;
                    }
                }
            }
        }
        out
    }
}
