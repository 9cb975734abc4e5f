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
//! **Determinism:** as in scikit-learn, a master generator (`ChaCha8Rng::seed_from_u64(seed)`) first
//! draws one 64-bit seed per tree, and tree `t` then grows from its own `ChaCha8Rng` seeded with the
//! `t`-th draw; trees (and hence scores) are therefore identical whatever the number of threads that
//! fit or score them.

use super::{DetectError, FeatureMatrix, FeatureRows};
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Euler–Mascheroni constant, as `numpy.euler_gamma`.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
/// A feature whose node range is at most this is treated as constant (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;
/// Largest accepted sample size: keeps the complete-tree layout (≤ 32 bytes × sample size per tree)
/// and its `u32`-free index arithmetic far from any limit.
const MAX_SAMPLE_SIZE: usize = 1 << 24;

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
            trees: super::defaults::TREES,
            sample_size: None,
            seed: super::defaults::SEED,
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
        let sample_size = match self.sample_size {
            Some(0) => {
                return Err(DetectError::InvalidParam {
                    param: "sample size",
                    value: "0".into(),
                    reason: "each tree needs at least one row",
                });
            }
            Some(s) => s.min(rows),
            None => rows.min(super::defaults::SAMPLE),
        };
        if sample_size > MAX_SAMPLE_SIZE {
            return Err(DetectError::InvalidParam {
                param: "sample size",
                value: sample_size.to_string(),
                reason: "at most 16777216 rows per tree (the default is 256)",
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

/// One split of the flat forest. Trees are stored as complete binary trees (node `i` has children
/// `2i + 1` and `2i + 2`), so nodes carry no child pointers. A leaf shallower than the layout depth
/// becomes a chain of *pass-through* nodes (threshold `+inf`: every finite value goes left) ending in
/// a bottom slot that holds its path length; scoring then steps every row exactly `depth` times
/// with no branch on "is this a leaf".
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub(crate) struct Node {
    /// Split value; `+inf` for a pass-through node.
    pub(crate) threshold: f32,
    /// Feature index; 0 for a pass-through node.
    pub(crate) feature: u32,
}

pub(crate) const PASS: Node = Node {
    threshold: f32::INFINITY,
    feature: 0,
};

/// A fitted isolation forest: every tree laid out as a complete binary tree of the same depth (the
/// deepest leaf of any tree): `2^depth − 1` split nodes of 8 bytes plus `2^depth` bottom slots of
/// 8 bytes per tree. As `2^depth < 2·sample_size`, that is under 32 bytes × sample_size per tree
/// (8 KB for the default 256).
#[derive(Debug, Clone, PartialEq)]
pub struct IsolationForest {
    params: ResolvedParams,
    names: Vec<String>,
    /// Layout depth: the number of steps from a root to a bottom slot.
    pub(crate) depth: u32,
    /// All trees' split nodes, `2^depth − 1` per tree, tree after tree.
    pub(crate) nodes: Vec<Node>,
    /// All trees' bottom slots, `2^depth` per tree: `leaf depth + c(n_leaf)` of the leaf above.
    pub(crate) leaves: Vec<f64>,
}

impl IsolationForest {
    /// Fits a forest on every row of `matrix`.
    pub fn fit(matrix: &FeatureMatrix, params: &ForestParams) -> Result<Self, DetectError> {
        matrix.check()?;
        Self::fit_rows(matrix, params)
    }

    /// Fits a forest on every row of `rows` (see [`FeatureRows`] for what it must guarantee). Reads
    /// only the sampled rows: at most `trees × sample_size` values per feature.
    pub fn fit_rows<R: FeatureRows + ?Sized>(
        rows: &R,
        params: &ForestParams,
    ) -> Result<Self, DetectError> {
        if rows.names().is_empty() {
            return Err(DetectError::NoFeatures);
        }
        let resolved = params.resolve(rows.rows())?;
        // As scikit-learn does, a master generator draws one seed per tree up front; each tree then
        // has its own generator, so trees can grow on any thread in any order.
        let mut master = ChaCha8Rng::seed_from_u64(resolved.seed);
        let tree_seeds: Vec<u64> = (0..resolved.trees).map(|_| master.random()).collect();
        let trees: Vec<TreeLayout> = tree_seeds
            .into_par_iter()
            .map(|seed| grow_tree(rows, &resolved, seed))
            .collect();
        // Shrink every tree to the deepest leaf in the forest: the top levels of a complete layout
        // are a prefix of it, and the bottom slot under a node at that depth is the leftmost slot of
        // its grown subtree (a leaf fills every slot beneath it).
        let depth = trees.iter().map(|t| t.depth).max().unwrap_or(0);
        let (internal, slots) = ((1usize << depth) - 1, 1usize << depth);
        let shift = resolved.max_depth - depth;
        let mut nodes = Vec::with_capacity(resolved.trees * internal);
        let mut leaves = Vec::with_capacity(resolved.trees * slots);
        for tree in &trees {
            nodes.extend_from_slice(&tree.nodes[..internal]);
            leaves.extend((0..slots).map(|j| tree.leaves[j << shift]));
        }
        Ok(Self {
            params: resolved,
            names: rows.names().to_vec(),
            depth,
            nodes,
            leaves,
        })
    }

    /// Rebuilds a forest from its parts (a saved model): `nodes` holds `2^depth − 1` split nodes per
    /// tree and `leaves` `2^depth` bottom slots per tree, as [`IsolationForest::fit_rows`] lays them
    /// out. The caller (`model.rs`) checks the shapes; `None` when they disagree.
    pub(crate) fn from_layout(
        params: ResolvedParams,
        names: Vec<String>,
        depth: u32,
        nodes: Vec<Node>,
        leaves: Vec<f64>,
    ) -> Option<Self> {
        let internal = (1usize << depth) - 1;
        let ok = nodes.len() == params.trees * internal
            && leaves.len() == params.trees * (internal + 1)
            && nodes
                .iter()
                .all(|n| (n.feature as usize) < names.len().max(1));
        ok.then_some(Self {
            params,
            names,
            depth,
            nodes,
            leaves,
        })
    }

    /// The parameters the forest was fitted with.
    pub fn params(&self) -> &ResolvedParams {
        &self.params
    }

    /// The feature names the forest was fitted on, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.names
    }

    /// Number of trees.
    pub fn trees(&self) -> usize {
        self.params.trees
    }

    /// Split nodes per tree in the layout (`2^depth − 1`).
    pub(crate) fn nodes_per_tree(&self) -> usize {
        (1 << self.depth) - 1
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
    /// each split feature, and returns the path length (`leaf depth + c(n_leaf)`) and the leaf depth.
    pub(crate) fn walk(&self, t: usize, x: &[f32], mut visit: impl FnMut(usize)) -> (f64, u32) {
        let internal = self.nodes_per_tree();
        let nodes = &self.nodes[t * internal..(t + 1) * internal];
        let (mut i, mut depth) = (0, 0);
        while i < internal && nodes[i].threshold != f32::INFINITY {
            let n = nodes[i];
            let f = n.feature as usize;
            visit(f);
            i = 2 * i + 1 + usize::from(x[f] > n.threshold);
            depth += 1;
        }
        // Reached a leaf: its bottom slot is its leftmost descendant.
        while i < internal {
            i = 2 * i + 1;
        }
        (self.leaves[t * (internal + 1) + i - internal], depth)
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

/// One tree as grown: a complete layout of depth `max_depth`.
struct TreeLayout {
    nodes: Vec<Node>,
    leaves: Vec<f64>,
    /// Depth of the deepest leaf.
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
    out: TreeLayout,
}

fn grow_tree<R: FeatureRows + ?Sized>(source: &R, p: &ResolvedParams, seed: u64) -> TreeLayout {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = source.rows();
    let m = p.sample_size;
    let d = source.names().len();
    let rows = index::sample(&mut rng, n, m);
    let mut data = Vec::with_capacity(m * d);
    for f in 0..d {
        data.extend(rows.iter().map(|r| source.value(f, r) as f32));
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
        out: TreeLayout {
            nodes: vec![PASS; (1 << p.max_depth) - 1],
            leaves: vec![0.0; 1 << p.max_depth],
            depth: 0,
        },
    };
    g.grow(0, 0, m, 0);
    g.out
}

impl Grower {
    /// Grows the subtree at layout position `pos` (at `depth`), holding samples `idx[start..end]`.
    fn grow(&mut self, pos: usize, start: usize, end: usize, depth: u32) {
        let count = end - start;
        if count <= 1 || depth >= self.max_depth {
            return self.leaf(pos, count, depth);
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
                return self.leaf(pos, count, depth);
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
            return self.leaf(pos, count, depth);
        }
        self.out.nodes[pos] = Node {
            threshold,
            feature: feature as u32,
        };
        self.grow(2 * pos + 1, start, mid, depth + 1);
        self.grow(2 * pos + 2, mid, end, depth + 1);
    }

    /// Makes `pos` a leaf: its descendants stay pass-through and every bottom slot beneath it gets
    /// its path length.
    fn leaf(&mut self, pos: usize, count: usize, depth: u32) {
        let value = f64::from(depth) + average_path_length(count);
        let within_level = pos + 1 - (1 << depth);
        let span = 1usize << (self.max_depth - depth);
        self.out.leaves[within_level * span..(within_level + 1) * span].fill(value);
        self.out.depth = self.out.depth.max(depth);
    }
}

#[cfg(test)]
#[path = "forest_tests.rs"]
mod tests;
