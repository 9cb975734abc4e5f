//! The random forest: CART trees on bootstrap samples with √d features tried per split, grown to
//! purity, probabilities averaged — scikit-learn's `RandomForestClassifier` defaults.
//!
//! Owns [`Forest`] and its trees. Each tree draws `n` rows with replacement (kept as per-row
//! weights, as scikit-learn does), then splits nodes depth-first: at each node it visits the
//! features in a fresh random order until `max(1, ⌊√d⌋)` non-constant ones have been tried, sorts
//! the node's rows by each, and takes the threshold (midway between neighbouring distinct values)
//! with the largest weighted Gini decrease. A node stops when it is pure or no split separates
//! anything. A leaf's value is its weighted share of positives; the forest's probability is the
//! mean over trees. Importances are the weighted Gini decreases per feature, normalised per tree
//! and averaged (mean decrease in impurity). Trees are fitted in parallel; each has its own seed.
//! Only plain vectors cross this file's boundary.

use super::ClassifyError;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const LEAF: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Split feature, or [`LEAF`].
    feature: u32,
    threshold: f64,
    left: u32,
    right: u32,
    /// Weighted share of positives (leaves).
    value: f64,
}

#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
    importance: Vec<f64>,
}

/// A fitted forest.
#[derive(Debug, Clone)]
pub struct Forest {
    trees: Vec<Tree>,
    features: usize,
}

fn gini(pos: f64, total: f64) -> f64 {
    if total <= 0.0 {
        return 0.0;
    }
    let p = pos / total;
    2.0 * p * (1.0 - p)
}

/// The best split of one node on one feature: (weighted impurity decrease, threshold).
fn best_split(
    column: &[f64],
    rows: &[usize],
    w: &[f64],
    y: &[bool],
    buf: &mut Vec<(f64, usize)>,
    parent: (f64, f64),
) -> Option<(f64, f64)> {
    buf.clear();
    buf.extend(rows.iter().map(|&r| (column[r], r)));
    buf.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    if buf.first()?.0 == buf.last()?.0 {
        return None;
    }
    let (pos_all, total) = parent;
    let parent_imp = total * gini(pos_all, total);
    let (mut lp, mut lt) = (0.0, 0.0);
    let mut best: Option<(f64, f64)> = None;
    for i in 0..buf.len() - 1 {
        let (v, r) = buf[i];
        lt += w[r];
        if y[r] {
            lp += w[r];
        }
        let next = buf[i + 1].0;
        if next == v {
            continue;
        }
        let (rp, rt) = (pos_all - lp, total - lt);
        let gain = parent_imp - lt * gini(lp, lt) - rt * gini(rp, rt);
        if best.is_none_or(|b| gain > b.0) {
            let mut threshold = v + (next - v) / 2.0;
            if threshold >= next || !threshold.is_finite() {
                threshold = v;
            }
            best = Some((gain, threshold));
        }
    }
    best
}

fn fit_tree(columns: &[Vec<f64>], y: &[bool], train: &[usize], seed: u64) -> Tree {
    let d = columns.len();
    let mtry = ((d as f64).sqrt().floor() as usize).clamp(1, d);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = vec![0.0; y.len()];
    for _ in 0..train.len() {
        w[train[rng.random_range(0..train.len())]] += 1.0;
    }
    let mut rows: Vec<usize> = train.iter().copied().filter(|&r| w[r] > 0.0).collect();
    rows.sort_unstable();
    rows.dedup();
    let mut nodes: Vec<Node> = Vec::new();
    let mut importance = vec![0.0; d];
    let mut order: Vec<usize> = (0..d).collect();
    let mut buf = Vec::new();
    // (node index, start, end) of the rows segment each pending node owns.
    let mut stack = vec![(0usize, 0usize, rows.len())];
    nodes.push(leaf(0.0));
    while let Some((id, start, end)) = stack.pop() {
        let seg = &rows[start..end];
        let (pos, total) = seg.iter().fold((0.0, 0.0), |(p, t), &r| {
            (p + if y[r] { w[r] } else { 0.0 }, t + w[r])
        });
        nodes[id] = leaf(if total > 0.0 { pos / total } else { 0.0 });
        if pos == 0.0 || pos == total || total < 2.0 {
            continue;
        }
        order.shuffle(&mut rng);
        let mut tried = 0;
        let mut best: Option<(f64, f64, usize)> = None;
        for &f in &order {
            if tried >= mtry {
                break;
            }
            if let Some((gain, t)) = best_split(&columns[f], seg, &w, y, &mut buf, (pos, total)) {
                tried += 1;
                if best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, t, f));
                }
            }
        }
        let Some((gain, threshold, f)) = best else {
            continue;
        };
        let seg = &mut rows[start..end];
        let mut split = 0;
        for i in 0..seg.len() {
            if columns[f][seg[i]] <= threshold {
                seg.swap(i, split);
                split += 1;
            }
        }
        if split == 0 || split == seg.len() {
            continue;
        }
        importance[f] += gain.max(0.0);
        let left = nodes.len();
        nodes.push(leaf(0.0));
        nodes.push(leaf(0.0));
        nodes[id] = Node {
            feature: f as u32,
            threshold,
            left: left as u32,
            right: left as u32 + 1,
            value: pos / total,
        };
        stack.push((left + 1, start + split, end));
        stack.push((left, start, start + split));
    }
    let sum: f64 = importance.iter().sum();
    if sum > 0.0 {
        importance.iter_mut().for_each(|v| *v /= sum);
    }
    Tree { nodes, importance }
}

fn leaf(value: f64) -> Node {
    Node {
        feature: LEAF,
        threshold: 0.0,
        left: 0,
        right: 0,
        value,
    }
}

impl Tree {
    fn predict(&self, columns: &[Vec<f64>], row: usize) -> f64 {
        let mut i = 0usize;
        loop {
            let Some(n) = self.nodes.get(i) else {
                return 0.0;
            };
            if n.feature == LEAF {
                return n.value;
            }
            i = if columns[n.feature as usize][row] <= n.threshold {
                n.left as usize
            } else {
                n.right as usize
            };
        }
    }
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
        if columns.is_empty() || train.is_empty() {
            return Err(ClassifyError::Model(
                "no features or no training rows".into(),
            ));
        }
        let trees = (0..trees)
            .into_par_iter()
            .map(|t| {
                let s = seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                fit_tree(columns, y, train, s)
            })
            .collect();
        Ok(Forest {
            trees,
            features: columns.len(),
        })
    }

    /// The probability of the positive class for each of `rows` (mean of the trees' leaves).
    pub fn predict_proba(&self, columns: &[Vec<f64>], rows: &[usize]) -> Vec<f64> {
        let n = self.trees.len().max(1) as f64;
        rows.par_iter()
            .map(|&r| {
                self.trees
                    .iter()
                    .map(|t| t.predict(columns, r))
                    .sum::<f64>()
                    / n
            })
            .collect()
    }

    /// Mean decrease in impurity per feature, averaged over trees (sums to 1 unless no tree split).
    pub fn importances(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.features];
        let n = self.trees.len().max(1) as f64;
        for t in &self.trees {
            for (o, v) in out.iter_mut().zip(&t.importance) {
                *o += v / n;
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_threshold_is_found_and_leaves_are_pure() {
        let x = vec![(0..100).map(f64::from).collect::<Vec<_>>()];
        let y: Vec<bool> = (0..100).map(|i| i >= 70).collect();
        let train: Vec<usize> = (0..100).collect();
        let f = Forest::fit(&x, &y, &train, 10, 1).unwrap();
        let p = f.predict_proba(&x, &[0, 50, 69, 71, 99]);
        assert!(p[0] < 0.01 && p[1] < 0.01 && p[4] > 0.99, "{p:?}");
        assert!((f.importances()[0] - 1.0).abs() < 1e-12);
        assert!(
            best_split(
                &[1.0, 1.0],
                &[0, 1],
                &[1.0, 1.0],
                &[true, false],
                &mut Vec::new(),
                (1.0, 2.0)
            )
            .is_none()
        );
    }
}
