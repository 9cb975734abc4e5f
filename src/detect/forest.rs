//! The isolation forest model and its fitting, with scikit-learn's `IsolationForest` semantics.
//!
//! Owns the parameters ([`ForestParams`] → [`ResolvedParams`]), the flat node arrays and the
//! tree-growing algorithm; batch scoring lives in `score.rs`, explanations in `explain.rs`. It must not
//! decide thresholds (that is `threshold.rs`) or know where the features came from.
//!
//! Semantics, matching scikit-learn 1.x exactly except for the random-number stream:
//! - per tree, `sample_size` rows (default `min(256, n)`; larger requests are clamped to `n`, as
//!   scikit-learn does) drawn **without** replacement; max depth `ceil(log2(max(sample_size, 2)))`;
//! - at each node a feature drawn uniformly among the node's non-constant features
//!   (`max − min > 1e-7`), threshold uniform in `[min, max)` (a draw equal to `max` becomes `min`),
//!   `x <= threshold` goes left; a node with one row, at max depth, or with no non-constant feature is
//!   a leaf storing `depth + c(n_leaf)`;
//! - score `s(x) = 2^(−E[h(x)] / c(sample_size))`; with `sample_size == 1` every score is 0.5.
//!
//! **Precision decision:** scikit-learn casts `X` to `float32` before fitting and scoring, draws the
//! threshold in `float64` and compares the `float32` value against it. We store features and
//! thresholds as `f32`: each drawn `f64` threshold is rounded *down* to the nearest `f32`, which for
//! any `f32` value `x` gives exactly the same `x <= t` outcome as scikit-learn's mixed comparison,
//! while halving the memory of nodes and of the per-block row buffers. Leaf path lengths and score
//! sums stay `f64`.
//!
//! **Determinism:** tree `t` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `t`, so trees (and
//! hence scores) are identical whatever the number of threads that fit or score them.

use super::{DetectError, FeatureMatrix};
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Euler–Mascheroni constant, as `numpy.euler_gamma`.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
/// A feature whose node range is at most this is treated as constant (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;

/// What the caller asks for. Anything `None` is derived from the data when fitting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ForestParams {
    /// Number of trees (default 100).
    pub trees: usize,
    /// Rows drawn per tree (default `min(256, rows)`; clamped to the row count).
    pub sample_size: Option<usize>,
    /// Master seed (default 42).
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            trees: 100,
            sample_size: None,
            seed: 42,
        }
    }
}

/// The parameters a forest was actually fitted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedParams {
    /// Number of trees.
    pub trees: usize,
    /// Rows drawn per tree.
    pub sample_size: usize,
    /// Maximum tree depth, `ceil(log2(max(sample_size, 2)))`.
    pub max_depth: u32,
    /// Master seed.
    pub seed: u64,
}

impl ForestParams {
    /// Resolves defaults against a row count, rejecting impossible values.
    pub fn resolve(&self, rows: usize) -> Result<ResolvedParams, DetectError> {
        if rows == 0 {
            return Err(DetectError::NoRows);
        }
        if self.trees == 0 {
            return Err(DetectError::InvalidParam {
                param: "trees",
                value: "0".into(),
                reason: "the forest needs at least one tree",
            });
        }
        if self.trees > u32::MAX as usize {
            return Err(DetectError::InvalidParam {
                param: "trees",
                value: self.trees.to_string(),
                reason: "at most 4294967295 trees",
            });
        }
        let sample_size = match self.sample_size {
            Some(0) => {
                return Err(DetectError::InvalidParam {
                    param: "sample size",
                    value: "0".into(),
                    reason: "each tree needs at least one row",
                });
            }
            Some(s) => s.min(rows),
            None => rows.min(256),
        };
        if sample_size > (u32::MAX / 2) as usize {
            return Err(DetectError::InvalidParam {
                param: "sample size",
                value: sample_size.to_string(),
                reason: "at most 2147483647 rows per tree",
            });
        }
        Ok(ResolvedParams {
            trees: self.trees,
            sample_size,
            max_depth: ceil_log2(sample_size.max(2)),
            seed: self.seed,
        })
    }
}

/// `ceil(log2(n))` for `n >= 1`, exact.
fn ceil_log2(n: usize) -> u32 {
    usize::BITS - (n - 1).leading_zeros()
}

/// Average path length of an unsuccessful binary-search-tree search among `n` points, `c(n)`:
/// `2·H(n−1) − 2(n−1)/n` with `H(i) ≈ ln(i) + γ`; `c(0) = c(1) = 0`, `c(2) = 1`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// One node of the flat forest. A leaf points at itself with an infinite threshold, so a row that
/// reaches it stays there: scoring can then step every row a fixed number of times without branching
/// on "is this a leaf". Children are adjacent: right = `left + 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub(crate) struct Node {
    /// Split value; `+inf` for a leaf.
    pub(crate) threshold: f32,
    /// Feature index; 0 for a leaf.
    pub(crate) feature: u32,
    /// Absolute index of the left child; the node's own index for a leaf.
    pub(crate) left: u32,
}

/// A fitted isolation forest. Cheap to clone relative to the data (about 12 bytes × 2·sample_size
/// per tree).
#[derive(Debug, Clone, PartialEq)]
pub struct IsolationForest {
    params: ResolvedParams,
    names: Vec<String>,
    /// All trees' nodes, tree after tree.
    pub(crate) nodes: Vec<Node>,
    /// Per node: `depth + c(n_leaf)` for leaves, 0 for splits.
    pub(crate) path_len: Vec<f64>,
    /// Per tree: index of its root in `nodes`.
    pub(crate) roots: Vec<u32>,
    /// Per tree: the depth of its deepest leaf (how many steps scoring needs).
    pub(crate) depths: Vec<u32>,
}

impl IsolationForest {
    /// Fits a forest on every row of `matrix`.
    pub fn fit(matrix: &FeatureMatrix, params: &ForestParams) -> Result<Self, DetectError> {
        matrix.check()?;
        let resolved = params.resolve(matrix.rows())?;
        let trees: Vec<TreeNodes> = (0..resolved.trees)
            .into_par_iter()
            .map(|t| grow_tree(matrix, &resolved, t as u64))
            .collect();
        let total: usize = trees.iter().map(|t| t.nodes.len()).sum();
        let mut forest = Self {
            params: resolved,
            names: matrix.names.clone(),
            nodes: Vec::with_capacity(total),
            path_len: Vec::with_capacity(total),
            roots: Vec::with_capacity(trees.len()),
            depths: Vec::with_capacity(trees.len()),
        };
        for tree in trees {
            // Node counts are bounded by 2·sample_size − 1 per tree; resolve() caps sample_size,
            // but the whole forest could still outgrow u32 indices.
            let base =
                u32::try_from(forest.nodes.len()).map_err(|_| DetectError::InvalidParam {
                    param: "trees × sample size",
                    value: format!("{} × {}", resolved.trees, resolved.sample_size),
                    reason: "the forest would exceed 4 billion nodes",
                })?;
            forest.roots.push(base);
            forest.depths.push(tree.depth);
            forest.nodes.extend(tree.nodes.iter().map(|n| Node {
                left: n.left + base,
                ..*n
            }));
            forest.path_len.extend_from_slice(&tree.path_len);
        }
        Ok(forest)
    }

    /// The parameters the forest was fitted with.
    pub fn params(&self) -> &ResolvedParams {
        &self.params
    }

    /// The feature names the forest was fitted on, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.names
    }

    /// Total node count over all trees.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// `c(sample_size) × trees`, the normaliser of the summed path lengths (0 when sample_size is 1).
    pub(crate) fn denominator(&self) -> f64 {
        self.params.trees as f64 * average_path_length(self.params.sample_size)
    }

    /// Turns a sum of path lengths over all trees into a score, as scikit-learn does (0.5 when the
    /// denominator is 0).
    #[inline]
    pub(crate) fn score_from_sum(sum: f64, denominator: f64) -> f64 {
        if denominator == 0.0 {
            0.5
        } else {
            (-(sum / denominator)).exp2()
        }
    }

    /// Walks one row (already as `f32`, one value per feature) through tree `t`, calling `visit` with
    /// each split feature, and returns the leaf's node index and depth.
    pub(crate) fn walk(&self, t: usize, x: &[f32], mut visit: impl FnMut(usize)) -> (usize, u32) {
        let mut i = self.roots[t] as usize;
        let mut depth = 0;
        loop {
            let n = self.nodes[i];
            if n.left as usize == i {
                return (i, depth);
            }
            let f = n.feature as usize;
            visit(f);
            i = n.left as usize + usize::from(x[f] > n.threshold);
            depth += 1;
        }
    }
}

/// The largest `f32` that is `<= v` (for finite `v` within the `f32` range). Comparing an `f32` `x`
/// with this value gives the same `x <= t` answer as comparing `f64::from(x)` with `v`.
pub(crate) fn f32_at_or_below(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) <= v {
        return f;
    }
    // `f` rounded up: step one ulp towards −∞.
    let bits = f.to_bits();
    if f == 0.0 {
        -f32::from_bits(1)
    } else if f > 0.0 {
        f32::from_bits(bits - 1)
    } else {
        f32::from_bits(bits + 1)
    }
}

/// One tree's nodes with tree-local indices.
struct TreeNodes {
    nodes: Vec<Node>,
    path_len: Vec<f64>,
    depth: u32,
}

/// Scratch state for growing one tree.
struct Grower {
    /// Sampled rows, column-major: feature `f` of sample `i` at `f * m + i`.
    data: Vec<f32>,
    m: usize,
    d: usize,
    max_depth: u32,
    rng: ChaCha8Rng,
    /// Sample positions, partitioned in place node by node.
    idx: Vec<u32>,
    /// Candidate (not known constant) features per depth level: level `k` at `k * d ..`.
    cand: Vec<u32>,
    cand_len: Vec<usize>,
    out: TreeNodes,
}

fn grow_tree(matrix: &FeatureMatrix, p: &ResolvedParams, t: u64) -> TreeNodes {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    rng.set_stream(t);
    let n = matrix.rows();
    let m = p.sample_size;
    let d = matrix.features();
    let rows = index::sample(&mut rng, n, m);
    let mut data = Vec::with_capacity(m * d);
    for col in &matrix.columns {
        data.extend(rows.iter().map(|r| col[r] as f32));
    }
    let levels = p.max_depth as usize + 1;
    let mut g = Grower {
        data,
        m,
        d,
        max_depth: p.max_depth,
        rng,
        idx: (0..m as u32).collect(),
        cand: vec![0; levels * d],
        cand_len: vec![0; levels],
        out: TreeNodes {
            nodes: Vec::with_capacity(2 * m),
            path_len: Vec::with_capacity(2 * m),
            depth: 0,
        },
    };
    g.out.nodes.push(leaf_node(0));
    g.out.path_len.push(0.0);
    g.grow(0, 0, m, 0);
    g.out
}

fn leaf_node(at: u32) -> Node {
    Node {
        threshold: f32::INFINITY,
        feature: 0,
        left: at,
    }
}

impl Grower {
    /// Grows the subtree of node `node`, which holds samples `idx[start..end]` at `depth`.
    fn grow(&mut self, node: usize, start: usize, end: usize, depth: u32) {
        let count = end - start;
        if count <= 1 || depth >= self.max_depth {
            return self.leaf(node, count, depth);
        }
        // Inherit the parent's candidate features (constant in the parent ⇒ constant here).
        let (d, lvl) = (self.d, depth as usize);
        if lvl == 0 {
            for (f, c) in self.cand[..d].iter_mut().enumerate() {
                *c = f as u32;
            }
            self.cand_len[0] = d;
        } else {
            let parent = self.cand_len[lvl - 1];
            self.cand
                .copy_within((lvl - 1) * d..(lvl - 1) * d + parent, lvl * d);
            self.cand_len[lvl] = parent;
        }
        // Draw features uniformly among the remaining candidates until one is not constant.
        let (feature, lo, hi) = loop {
            let len = self.cand_len[lvl];
            if len == 0 {
                return self.leaf(node, count, depth);
            }
            let j = self.rng.random_range(0..len);
            let f = self.cand[lvl * d + j] as usize;
            let col = &self.data[f * self.m..(f + 1) * self.m];
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for &i in &self.idx[start..end] {
                let v = col[i as usize];
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if f64::from(hi) <= f64::from(lo) + FEATURE_THRESHOLD {
                self.cand.swap(lvl * d + j, lvl * d + len - 1);
                self.cand_len[lvl] = len - 1;
                continue;
            }
            break (f, lo, hi);
        };
        let (lo64, hi64) = (f64::from(lo), f64::from(hi));
        let u: f64 = self.rng.random();
        let mut t = (hi64 - lo64) * u + lo64;
        if t >= hi64 {
            t = lo64;
        }
        let threshold = f32_at_or_below(t);
        // Partition: values <= threshold first.
        let col = &self.data[feature * self.m..(feature + 1) * self.m];
        let mut mid = start;
        for k in start..end {
            if col[self.idx[k] as usize] <= threshold {
                self.idx.swap(k, mid);
                mid += 1;
            }
        }
        if mid == start || mid == end {
            // Cannot happen with lo <= threshold < hi; a leaf is the safe answer if it ever did.
            return self.leaf(node, count, depth);
        }
        let left = self.out.nodes.len();
        self.out.nodes[node] = Node {
            threshold,
            feature: feature as u32,
            left: left as u32,
        };
        self.out
            .nodes
            .extend([leaf_node(left as u32), leaf_node(left as u32 + 1)]);
        self.out.path_len.extend([0.0, 0.0]);
        self.grow(left, start, mid, depth + 1);
        self.grow(left + 1, mid, end, depth + 1);
    }

    fn leaf(&mut self, node: usize, count: usize, depth: u32) {
        self.out.nodes[node] = leaf_node(node as u32);
        self.out.path_len[node] = f64::from(depth) + average_path_length(count);
        self.out.depth = self.out.depth.max(depth);
    }
}

#[cfg(test)]
#[path = "forest_tests.rs"]
mod tests;
