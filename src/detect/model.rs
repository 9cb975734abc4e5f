//! Portable models: a fitted isolation forest with everything needed to score other data the same
//! way, as JSON (`detect --save-model`, `detect --model`, `detect --emit-sql`).
//!
//! Owns the file format ([`Model`], format tag [`FORMAT`], [`VERSION`]), its validation, and the
//! exact conversion between the forest's complete-tree layout and the explicit trees stored in the
//! file (scikit-learn's shape: per node a feature or −1 for a leaf, a threshold, left/right child
//! and a leaf path length). A loaded model rebuilds the *identical* forest, so its scores are
//! bit-identical to the fitted one's. Each feature records how it is computed from input columns
//! ([`Input`]), its `log1p` flag and its imputation median, so a SQL engine can derive it too.
//! It must not read or write files (the CLI does) nor decide how scores are shown.

use super::forest::{Node, PASS};
use super::pipeline::DetectionRun;
use super::{Contamination, IsolationForest, ResolvedParams};
use crate::dataset::{Dataset, Derived, NumericSource, Role};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The `format` tag of every threatlens model file.
pub const FORMAT: &str = "threatlens-isolation-forest";
/// The model format version this build reads and writes.
pub const VERSION: u32 = 1;
/// Largest accepted rows-per-tree, as when fitting.
const MAX_SAMPLE_SIZE: usize = 1 << 24;

/// A saved model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The threatlens version that wrote it.
    pub written_by: String,
    /// Features in the forest's order.
    pub features: Vec<FeatureSpec>,
    /// Number of trees.
    pub trees: usize,
    /// Rows drawn per tree.
    pub sample_size: usize,
    /// `ceil(log2(max(sample_size, 2)))`.
    pub max_depth: u32,
    /// Master seed of the fit.
    pub seed: u64,
    /// How rows are flagged.
    pub threshold: ThresholdRule,
    /// Rows the forest was fitted on.
    pub fitted_rows: usize,
    /// One entry per tree.
    pub forest: Vec<Tree>,
}

/// One feature: its name, how to compute it, its transform and its imputation value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Feature name (a column or a derived feature).
    pub name: String,
    /// How it is computed from the input columns.
    pub input: Input,
    /// `sign(x)·ln(1 + |x|)` before fitting.
    pub log1p: bool,
    /// Median of the transformed feature on the fitted data: the value of a missing or undefined one.
    pub median: f64,
}

/// How a feature is computed from input columns (names as in the fitted data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Input {
    /// A numeric column as it is.
    Column { column: String },
    /// `end − start` in seconds.
    SessionDuration { start: String, end: String },
    /// `(bytes_in + bytes_out) / (end − start)`, undefined unless the duration is positive.
    BytesPerSec {
        bytes_in: String,
        bytes_out: String,
        start: String,
        end: String,
    },
    /// `bytes_in / (bytes_out + 1)`.
    InOutRatio { bytes_in: String, bytes_out: String },
    /// `bytes / packets`, undefined unless packets is positive (flow logs).
    BytesPerPacket { bytes: String, packets: String },
    /// Hour of the first present of `times` (UTC).
    Hour { times: Vec<String> },
    /// Day of week (Monday = 0) of the first present of `times` (UTC).
    DayOfWeek { times: Vec<String> },
}

/// The contamination rule and the threshold it gave on the fitted data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRule {
    /// `auto` or a fraction such as `0.05`: rows scoring above the (1 − c) quantile are flagged.
    pub contamination: String,
    /// The threshold on the fitted data.
    pub fitted_threshold: f64,
}

/// One tree, nodes in pre-order from the root (node 0), as parallel arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// Feature index of a split, −1 for a leaf.
    pub feature: Vec<i64>,
    /// Split value (an `f32` written exactly); `x <= threshold` goes left. 0 for a leaf.
    pub threshold: Vec<f64>,
    /// Left child of a split; 0 for a leaf.
    pub left: Vec<usize>,
    /// Right child of a split; 0 for a leaf.
    pub right: Vec<usize>,
    /// Path length of a leaf (`depth + c(n_leaf)`); 0 for a split.
    pub value: Vec<f64>,
}

/// A node of a [`Tree`], read through [`Tree::node`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TreeNode {
    /// `x[feature] <= threshold` → `left`, else `right`.
    Split {
        feature: usize,
        threshold: f32,
        left: usize,
        right: usize,
    },
    /// A leaf with its path length.
    Leaf(f64),
}

/// Why a model file cannot be used, worded for the person who gave it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// Not JSON, or not shaped as a model.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    /// Another kind of file.
    #[error(
        "this is not a threatlens model ({found}; expected the format '{FORMAT}'): write one with `threatlens detect FILE --save-model PATH`"
    )]
    Foreign { found: String },
    /// A newer or older format.
    #[error(
        "model format version {found} is not supported (this threatlens reads version {VERSION}): refit and save it again"
    )]
    Version { found: u32 },
    /// Inconsistent contents.
    #[error("the model is damaged: {0}")]
    Invalid(String),
    /// The data lacks a feature the model needs.
    #[error("the model needs the feature '{name}', which this data lacks: {hint}")]
    MissingFeature { name: String, hint: String },
}

impl Tree {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.feature.len()
    }

    /// Whether the tree has no node (never true for a valid tree).
    pub fn is_empty(&self) -> bool {
        self.feature.is_empty()
    }

    /// Node `i` (call on a validated tree; out-of-range reads give a zero leaf).
    pub fn node(&self, i: usize) -> TreeNode {
        match usize::try_from(self.feature.get(i).copied().unwrap_or(-1)) {
            Ok(feature) => TreeNode::Split {
                feature,
                threshold: self.threshold.get(i).copied().unwrap_or(0.0) as f32,
                left: self.left.get(i).copied().unwrap_or(0),
                right: self.right.get(i).copied().unwrap_or(0),
            },
            Err(_) => TreeNode::Leaf(self.value.get(i).copied().unwrap_or(0.0)),
        }
    }

    /// Explicit tree `t` of a forest's layout.
    fn from_layout(forest: &IsolationForest, t: usize) -> Tree {
        let internal = forest.nodes_per_tree();
        let nodes = &forest.nodes[t * internal..(t + 1) * internal];
        let leaves = &forest.leaves[t * (internal + 1)..(t + 1) * (internal + 1)];
        let mut tree = Tree {
            feature: Vec::new(),
            threshold: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            value: Vec::new(),
        };
        tree.push_layout(nodes, leaves, 0);
        tree
    }

    /// Appends the subtree at layout position `pos` in pre-order; returns its index.
    fn push_layout(&mut self, nodes: &[Node], leaves: &[f64], pos: usize) -> usize {
        let at = self.len();
        let internal = nodes.len();
        self.feature.push(-1);
        self.threshold.push(0.0);
        self.left.push(0);
        self.right.push(0);
        self.value.push(0.0);
        match nodes.get(pos).filter(|n| n.threshold != f32::INFINITY) {
            Some(n) => {
                self.feature[at] = i64::from(n.feature);
                self.threshold[at] = f64::from(n.threshold);
                let left = self.push_layout(nodes, leaves, 2 * pos + 1);
                let right = self.push_layout(nodes, leaves, 2 * pos + 2);
                self.left[at] = left;
                self.right[at] = right;
            }
            None => {
                // A leaf's bottom slot is its leftmost descendant.
                let mut i = pos;
                while i < internal {
                    i = 2 * i + 1;
                }
                self.value[at] = leaves[i - internal];
            }
        }
        at
    }

    /// Checks shape and values; returns the depth of the deepest leaf.
    fn check(&self, features: usize, max_depth: u32, max_leaves: usize) -> Result<u32, String> {
        let n = self.len();
        if n == 0 {
            return Err("it has no node".into());
        }
        let lens = [
            self.threshold.len(),
            self.left.len(),
            self.right.len(),
            self.value.len(),
        ];
        if lens.iter().any(|&l| l != n) {
            return Err(format!(
                "its node arrays differ in length ({n}, {lens:?}): each needs one entry per node"
            ));
        }
        let mut seen = vec![false; n];
        let (mut deepest, mut leaves) = (0, 0usize);
        let mut stack = vec![(0usize, 0u32)];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("node {i} is reached twice"));
            }
            match self.node(i) {
                TreeNode::Leaf(v) => {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!("leaf {i} has the path length {v}"));
                    }
                    deepest = deepest.max(depth);
                    leaves += 1;
                }
                TreeNode::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let t = self.threshold[i];
                    if feature >= features {
                        return Err(format!(
                            "node {i} splits on feature {feature} of {features}"
                        ));
                    }
                    if !threshold.is_finite() || f64::from(threshold) != t {
                        return Err(format!(
                            "node {i} has the threshold {t}, which is not a 32-bit float"
                        ));
                    }
                    if depth >= max_depth {
                        return Err(format!("node {i} is deeper than max_depth {max_depth}"));
                    }
                    for c in [left, right] {
                        if c <= i || c >= n {
                            return Err(format!("node {i} has the child {c} of {n} nodes"));
                        }
                        stack.push((c, depth + 1));
                    }
                }
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(format!("node {i} is not reachable from the root"));
        }
        if leaves > max_leaves {
            return Err(format!(
                "it has {leaves} leaves, more than its {max_leaves} sampled rows allow"
            ));
        }
        Ok(deepest)
    }

    /// Writes the tree into a complete layout of `depth` levels.
    fn fill_layout(&self, depth: u32, nodes: &mut [Node], leaves: &mut [f64]) {
        let mut stack = vec![(0usize, 0usize, 0u32)];
        while let Some((i, pos, d)) = stack.pop() {
            match self.node(i) {
                TreeNode::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    nodes[pos] = Node {
                        threshold,
                        feature: feature as u32,
                    };
                    stack.push((left, 2 * pos + 1, d + 1));
                    stack.push((right, 2 * pos + 2, d + 1));
                }
                TreeNode::Leaf(v) => {
                    let within = pos + 1 - (1 << d);
                    let span = 1usize << (depth - d);
                    leaves[within * span..(within + 1) * span].fill(v);
                }
            }
        }
    }
}

impl Model {
    /// The model of a finished run on `ds`, flagging with `contamination` (threshold `threshold`
    /// on the fitted data).
    pub fn from_run(
        ds: &Dataset,
        run: &DetectionRun,
        contamination: Contamination,
        threshold: f64,
    ) -> Model {
        let forest = &run.detection.forest;
        let p = forest.params();
        let features = run
            .feature_names
            .iter()
            .zip(run.log1p_flags())
            .zip(&run.medians)
            .map(|((name, &log1p), &median)| FeatureSpec {
                name: name.clone(),
                input: input_of(ds, name),
                log1p,
                median,
            })
            .collect();
        Model {
            format: FORMAT.into(),
            version: VERSION,
            written_by: format!("threatlens {}", env!("CARGO_PKG_VERSION")),
            features,
            trees: p.trees,
            sample_size: p.sample_size,
            max_depth: p.max_depth,
            seed: p.seed,
            threshold: ThresholdRule {
                contamination: contamination.to_string(),
                fitted_threshold: threshold,
            },
            fitted_rows: ds.rows,
            forest: (0..p.trees).map(|t| Tree::from_layout(forest, t)).collect(),
        }
    }

    /// The model as pretty JSON text.
    pub fn to_json(&self) -> String {
        // A model holds only finite numbers and strings: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads and validates a model from JSON text.
    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        // Look at the tag first, so a foreign JSON file is named as such rather than as a shape error.
        let value: serde_json::Value = serde_json::from_str(text).map_err(parse_error)?;
        let found = value.get("format").and_then(|f| f.as_str());
        if found != Some(FORMAT) {
            let found = match found {
                Some(f) => format!("its format is '{}'", crate::sanitize::inert(f)),
                None => "it has no \"format\" field".into(),
            };
            return Err(ModelError::Foreign { found });
        }
        if let Some(v) = value.get("version").and_then(|v| v.as_u64())
            && v != u64::from(VERSION)
        {
            return Err(ModelError::Version {
                found: u32::try_from(v).unwrap_or(u32::MAX),
            });
        }
        let model: Model = serde_json::from_str(text).map_err(parse_error)?;
        model.forest_checked()?;
        Ok(model)
    }

    /// The contamination rule.
    pub fn contamination(&self) -> Result<Contamination, ModelError> {
        self.threshold
            .contamination
            .parse()
            .map_err(|e: super::DetectError| ModelError::Invalid(e.to_string()))
    }

    /// The forest, rebuilt exactly as it was fitted.
    pub fn forest(&self) -> Result<IsolationForest, ModelError> {
        self.forest_checked()
    }

    fn forest_checked(&self) -> Result<IsolationForest, ModelError> {
        let bad = |m: String| ModelError::Invalid(m);
        let d = self.features.len();
        if d == 0 {
            return Err(bad("it has no features".into()));
        }
        if self.trees == 0 || self.forest.len() != self.trees {
            return Err(bad(format!(
                "it says {} trees but holds {}",
                self.trees,
                self.forest.len()
            )));
        }
        if self.sample_size == 0 || self.sample_size > MAX_SAMPLE_SIZE {
            return Err(bad(format!(
                "sample_size {} is out of range",
                self.sample_size
            )));
        }
        let expected_depth = usize::BITS - (self.sample_size.max(2) - 1).leading_zeros();
        if self.max_depth != expected_depth {
            return Err(bad(format!(
                "max_depth {} does not match sample_size {} (expected {expected_depth})",
                self.max_depth, self.sample_size
            )));
        }
        for f in &self.features {
            if !f.median.is_finite() {
                return Err(bad(format!(
                    "feature '{}' has the median {}",
                    f.name, f.median
                )));
            }
        }
        self.contamination()?;
        let mut depth = 0;
        for (t, tree) in self.forest.iter().enumerate() {
            let deepest = tree
                .check(d, self.max_depth, self.sample_size)
                .map_err(|e| bad(format!("tree {t}: {e}")))?;
            depth = depth.max(deepest);
        }
        let internal = (1usize << depth) - 1;
        let mut nodes = vec![PASS; self.trees * internal];
        let mut leaves = vec![0.0; self.trees * (internal + 1)];
        for (t, tree) in self.forest.iter().enumerate() {
            tree.fill_layout(
                depth,
                &mut nodes[t * internal..(t + 1) * internal],
                &mut leaves[t * (internal + 1)..(t + 1) * (internal + 1)],
            );
        }
        let params = ResolvedParams {
            trees: self.trees,
            sample_size: self.sample_size,
            max_depth: self.max_depth,
            seed: self.seed,
        };
        let names = self.features.iter().map(|f| f.name.clone()).collect();
        IsolationForest::from_layout(params, names, depth, nodes, leaves)
            .ok_or_else(|| bad("its trees do not fit its layout".into()))
    }
}

fn parse_error(e: serde_json::Error) -> ModelError {
    ModelError::Parse {
        line: e.line(),
        column: e.column(),
        message: crate::sanitize::inert(&e.to_string()).into_owned(),
    }
}

/// How feature `name` of `ds` is computed, in terms of `ds`'s column names.
pub(crate) fn input_of(ds: &Dataset, name: &str) -> Input {
    let col = |r: Role| ds.role(r).map(|c| c.name.clone()).unwrap_or_default();
    match ds.numeric_source(name) {
        Some(NumericSource::Derived(d)) => match d {
            Derived::SessionDuration => Input::SessionDuration {
                start: col(Role::Start),
                end: col(Role::End),
            },
            Derived::BytesPerSec => Input::BytesPerSec {
                bytes_in: col(Role::BytesIn),
                bytes_out: col(Role::BytesOut),
                start: col(Role::Start),
                end: col(Role::End),
            },
            Derived::InOutRatio => Input::InOutRatio {
                bytes_in: col(Role::BytesIn),
                bytes_out: col(Role::BytesOut),
            },
            Derived::BytesPerPacket => Input::BytesPerPacket {
                bytes: col(Role::BytesIn),
                packets: col(Role::Packets),
            },
            Derived::Hour | Derived::DayOfWeek => {
                let times = [Role::Start, Role::Time, Role::End]
                    .into_iter()
                    .filter_map(|r| ds.role(r).map(|c| c.name.clone()))
                    .collect();
                if d == Derived::Hour {
                    Input::Hour { times }
                } else {
                    Input::DayOfWeek { times }
                }
            }
        },
        Some(NumericSource::Column(i)) => Input::Column {
            column: ds
                .columns
                .get(i)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        },
        None => Input::Column {
            column: name.to_string(),
        },
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
