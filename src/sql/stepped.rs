//! A saved forest as Spark SQL that a JVM compiles well: trees as constant arrays walked one level
//! at a time, instead of one nested `CASE` per tree.
//!
//! The nested form ([`super::score`]) is exact and portable, but for 100 trees it is hundreds of
//! kilobytes of SQL whose generated Java exceeds the JVM's 64 KB method limit, so Spark falls back
//! to slow paths. Here each tree is four constant arrays (split feature, bound, left child, right
//! child) plus the path lengths of its leaves; a leaf points to itself, so every tree takes the
//! same number of steps. One projection per level moves every tree's node index one step down
//! (`IF(f[feature[i]] <= bound[i], left[i], right[i])`); its code is a few lines per tree, and the
//! optimizer keeps the levels apart because each index is read four times by the next level. The
//! last projection sums the leaves' path lengths in tree order and turns them into the score as
//! locally. Comparisons are the nested form's: `f32(x) <= t` as `x <= m` (a strict `<` written as
//! `<=` the next double below). Same features, medians and quoting ([`Dialect::ident`]); Spark only.

use super::score::{f32_bound, feature_values};
use super::{Dialect, SqlError};
use crate::detect::average_path_length;
use crate::detect::model::{Model, Tree, TreeNode};

const D: Dialect = Dialect::Spark;

/// `SELECT <columns>, score FROM <relation>` in the stepped form; `columns` are the relation's
/// column names (returned first, in order, then `score`).
pub fn scoring_select(
    model: &Model,
    relation: &str,
    columns: &[String],
) -> Result<String, SqlError> {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| D.ident(c))
        .collect::<Result<_, _>>()?;
    let keep = cols.join(", ");
    let sep = if keep.is_empty() { "" } else { ", " };
    let k = model.features.len();
    let fs: Vec<String> = (0..k).map(|i| format!("__tl_f{i}")).collect();
    let features: Vec<String> = feature_values(model, D, "")?
        .into_iter()
        .zip(&fs)
        .map(|(v, n)| format!("{v} AS {n}"))
        .collect();
    let mut sql = format!(
        "SELECT {keep}{sep}{} FROM {}",
        features.join(", "),
        D.ident(relation)?
    );
    let arrays: Vec<Arrays> = model
        .forest
        .iter()
        .map(Arrays::of)
        .collect::<Result<_, _>>()?;
    let levels = model.forest.iter().map(depth).max().unwrap_or(0);
    let carried = format!("{keep}{sep}{}", fs.join(", "));
    for level in 0..levels {
        let steps: Vec<String> = arrays
            .iter()
            .enumerate()
            .map(|(t, a)| {
                let at = if level == 0 {
                    "1".to_string()
                } else {
                    format!("__tl_n{t}+1")
                };
                format!("{} AS __tl_n{t}", a.step(&at, &fs))
            })
            .collect();
        sql = format!(
            "SELECT {carried}, {} FROM ({sql}) AS __tl_l{level}",
            steps.join(", ")
        );
    }
    let denominator = model.trees as f64 * average_path_length(model.sample_size);
    let score = if denominator == 0.0 || levels == 0 {
        D.number(0.5)?
    } else {
        let sum: Vec<String> = arrays
            .iter()
            .enumerate()
            .map(|(t, a)| format!("element_at({}, __tl_n{t}+1)", a.value))
            .collect();
        format!(
            "POWER(2e0,-(({})/{}))",
            sum.join("+"),
            D.number(denominator)?
        )
    };
    Ok(format!(
        "SELECT {keep}{sep}{score} AS {} FROM ({sql}) AS __tl_scored\n",
        D.ident("score")?
    ))
}

/// One tree's arrays as Spark array literals.
struct Arrays {
    feature: String,
    bound: String,
    left: String,
    right: String,
    value: String,
}

impl Arrays {
    fn of(tree: &Tree) -> Result<Arrays, SqlError> {
        let n = tree.len();
        let (mut feature, mut bound, mut left, mut right, mut value) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for i in 0..n {
            match tree.node(i) {
                TreeNode::Leaf(v) => {
                    // A leaf stays where it is: any comparison leads back to it.
                    feature.push("0".to_string());
                    bound.push(D.number(f64::MAX)?);
                    left.push(i.to_string());
                    right.push(i.to_string());
                    value.push(D.number(v)?);
                }
                TreeNode::Split {
                    feature: f,
                    threshold,
                    left: l,
                    right: r,
                } => {
                    let (op, m) = f32_bound(threshold);
                    // x < m ⇔ x <= the next double below m.
                    let m = if op == "<" { next_down(m) } else { m };
                    feature.push(f.to_string());
                    bound.push(D.number(m)?);
                    left.push(l.to_string());
                    right.push(r.to_string());
                    value.push(D.number(0.0)?);
                }
            }
        }
        let arr = |v: Vec<String>| format!("array({})", v.join(","));
        Ok(Arrays {
            feature: arr(feature),
            bound: arr(bound),
            left: arr(left),
            right: arr(right),
            value: arr(value),
        })
    }

    /// The next node index from the node at 1-based position `at`.
    fn step(&self, at: &str, fs: &[String]) -> String {
        let x = if fs.len() == 1 {
            fs[0].clone()
        } else {
            let arms: String = fs
                .iter()
                .enumerate()
                .map(|(i, f)| format!(" WHEN {i} THEN {f}"))
                .collect();
            format!("CASE element_at({}, {at}){arms} END", self.feature)
        };
        format!(
            "IF({x} <= element_at({}, {at}), element_at({}, {at}), element_at({}, {at}))",
            self.bound, self.left, self.right
        )
    }
}

/// The largest double below `x` (finite, positive or negative).
fn next_down(x: f64) -> f64 {
    if x == 0.0 {
        -f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}

/// Comparisons from the root to the deepest leaf.
fn depth(tree: &Tree) -> usize {
    fn walk(tree: &Tree, i: usize, d: usize) -> usize {
        match tree.node(i) {
            TreeNode::Leaf(_) => d,
            TreeNode::Split { left, right, .. } if d < 64 => {
                walk(tree, left, d + 1).max(walk(tree, right, d + 1))
            }
            TreeNode::Split { .. } => d,
        }
    }
    if tree.is_empty() { 0 } else { walk(tree, 0, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_down_is_the_neighbour_below() {
        for x in [1.0f64, -1.0, 13182.5, 1e-300, -1e300] {
            let y = next_down(x);
            assert!(y < x);
            assert_eq!(f64::from_bits(y.to_bits()), y);
            // Nothing lies between them.
            assert!(!(y < (x + y) / 2.0 && (x + y) / 2.0 < x));
        }
        assert!(next_down(0.0) < 0.0);
    }
}
