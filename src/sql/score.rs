//! A saved model as one scoring `SELECT` (`detect --emit-sql`, and the engine's scoring query).
//!
//! The query reads a relation, returns every one of its columns and then `score`. The model's
//! features are derived once per row in a `LATERAL` subquery (`bytes_per_sec` from the two
//! timestamps, which may be ISO-8601 strings or timestamps; `log1p`; the model's median for a
//! missing, undefined or non-finite value), and each tree is a `CASE` on those columns nested only
//! as deep as the tree (at most `max_depth` comparisons per row and tree). The forest compares
//! 32-bit floats: `f32(x) <= t` is written as the exactly equivalent `x <= m` (or `x < m`) on the
//! double `x`, with `m` the midpoint between `t` and the next `f32` (ties go to the even one, as
//! rounding does), so no engine needs a FLOAT cast. Path lengths are summed in tree order and
//! turned into `2^(−sum / (trees · c(sample_size)))`, as locally. Everything is written through
//! [`Dialect`]'s quoting; nothing from the model or the data is spliced.

use super::{Dialect, SqlError};
use crate::detect::average_path_length;
use crate::detect::model::{Input, Model, Tree, TreeNode};

/// Alias of the lateral subquery holding the features.
const FEATURES: &str = "__tl";

/// `SELECT <relation>.*, <score> AS score FROM <relation>, LATERAL (…)`, with `relation` a name
/// (quoted here).
pub fn scoring_select(model: &Model, d: Dialect, relation: &str) -> Result<String, SqlError> {
    let rel = d.ident(relation)?;
    let features: Vec<String> = feature_values(model, d, &rel)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| format!("{v} AS f{i}"))
        .collect();
    let score = score_expr(model, d)?;
    let lateral = match d {
        Dialect::Trino => " CROSS JOIN LATERAL",
        Dialect::Spark | Dialect::DuckDb => ", LATERAL",
    };
    Ok(format!(
        "SELECT {rel}.*, {score} AS {}\nFROM {rel}{lateral} (SELECT {}) AS {FEATURES}\n",
        d.ident("score")?,
        features.join(", ")
    ))
}

/// The engine's form: `SELECT <columns>, score FROM <relation>` with each tree's nested `CASE`
/// in a column of its own (`__tl_t0 …`) and the score summed from them one projection up, so
/// that every tree compiles to a small unit of its own instead of one expression of hundreds of
/// kilobytes. The features are a projection of their own below the trees (`__tl_f0 …`), not a
/// `LATERAL` subquery: an optimizer keeps a costly expression read many times in its own
/// projection, where a lateral one was copied into every comparison (Spark ran out of memory
/// generating the code). `columns` are the relation's column names (returned first, in order,
/// then `score`). Same features, comparisons and tree order as [`scoring_select`], so the same
/// scores.
pub fn columns_select(
    model: &Model,
    d: Dialect,
    relation: &str,
    columns: &[String],
) -> Result<String, SqlError> {
    let rel = d.ident(relation)?;
    let cols: Vec<String> = columns
        .iter()
        .map(|c| d.ident(c))
        .collect::<Result<_, _>>()?;
    let features: Vec<String> = feature_values(model, d, &rel)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| format!("{v} AS __tl_f{i}"))
        .collect();
    let mut trees = Vec::with_capacity(model.forest.len());
    for (t, tree) in model.forest.iter().enumerate() {
        let mut sql = String::new();
        write_tree_on(tree, 0, d, &format!("{FEATURES}.__tl_f"), &mut sql)?;
        trees.push(format!("{sql} AS __tl_t{t}"));
    }
    let keep = |qualifier: &str, extra: &[String]| -> String {
        cols.iter()
            .map(|c| format!("{qualifier}{c}"))
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let none = ["0 AS __tl_none".to_string()];
    let features = if features.is_empty() {
        &none[..]
    } else {
        &features[..]
    };
    let trees = if trees.is_empty() {
        &none[..]
    } else {
        &trees[..]
    };
    let score = format!("{} AS {}", ident_score(model, d)?, d.ident("score")?);
    Ok(format!(
        "SELECT {}\nFROM (SELECT {}\nFROM (SELECT {} FROM {rel}) AS {FEATURES}) AS __tl_trees\n",
        keep("__tl_trees.", std::slice::from_ref(&score)),
        keep(&format!("{FEATURES}."), trees),
        keep(&format!("{rel}."), features),
    ))
}

/// The score from the tree columns `__tl_t0 …` of [`columns_select`].
fn ident_score(model: &Model, d: Dialect) -> Result<String, SqlError> {
    let denominator = model.trees as f64 * average_path_length(model.sample_size);
    if denominator == 0.0 || model.forest.is_empty() {
        return d.number(0.5);
    }
    // Each tree column is read twice (`GREATEST(t, t)` is `t`): an optimizer folds a column read
    // once into the expression that reads it, which put all 100 trees back into one
    // expression, and Spark's code generator, which keeps the text of every level of the
    // left-deep `+`, ran the Connect server out of memory on 10 000 flow records. Read twice, a
    // costly column stays in its own projection. The sum stays left to right, as locally,
    // so the scores are the same bits.
    let sum: Vec<String> = (0..model.forest.len())
        .map(|t| format!("GREATEST(__tl_t{t},__tl_t{t})"))
        .collect();
    Ok(format!(
        "POWER(2e0,-(({})/{}))",
        sum.join("+"),
        d.number(denominator)?
    ))
}

/// Each model feature as SQL over `rel`'s columns (`rel` already quoted, or empty for
/// unqualified names): derived, transformed, and imputed with the model's median when missing,
/// undefined or not finite.
pub fn feature_values(model: &Model, d: Dialect, rel: &str) -> Result<Vec<String>, SqlError> {
    let max = d.number(f64::MAX)?;
    model
        .features
        .iter()
        .map(|f| {
            let raw = raw_value(d, rel, &f.input)?;
            let value = if f.log1p {
                format!("SIGN({raw})*LN(1e0+ABS({raw}))")
            } else {
                raw
            };
            Ok(format!(
                "COALESCE(CASE WHEN ABS({value})<={max} THEN {value} END,{})",
                d.number(f.median)?
            ))
        })
        .collect()
}

/// The score from the feature columns `__tl.f0 …`.
pub fn score_expr(model: &Model, d: Dialect) -> Result<String, SqlError> {
    let denominator = model.trees as f64 * average_path_length(model.sample_size);
    if denominator == 0.0 {
        return d.number(0.5);
    }
    let mut sum = String::new();
    for (t, tree) in model.forest.iter().enumerate() {
        if t > 0 {
            sum.push_str("\n+");
        }
        write_tree(tree, 0, d, &mut sum)?;
    }
    Ok(format!("POWER(2e0,-(({sum})/{}))", d.number(denominator)?))
}

/// Node `i` of a tree as a nested `CASE`, appended to `out`.
fn write_tree(tree: &Tree, i: usize, d: Dialect, out: &mut String) -> Result<(), SqlError> {
    write_tree_on(tree, i, d, &format!("{FEATURES}.f"), out)
}

/// [`write_tree`] with the features named `{prefix}0`, `{prefix}1`, ….
fn write_tree_on(
    tree: &Tree,
    i: usize,
    d: Dialect,
    prefix: &str,
    out: &mut String,
) -> Result<(), SqlError> {
    match tree.node(i) {
        TreeNode::Leaf(v) => out.push_str(&d.number(v)?),
        TreeNode::Split {
            feature,
            threshold,
            left,
            right,
        } => {
            let (op, bound) = f32_bound(threshold);
            let (mut l, mut r) = (String::new(), String::new());
            write_tree_on(tree, left, d, prefix, &mut l)?;
            write_tree_on(tree, right, d, prefix, &mut r)?;
            if l == r {
                // Both sides end in the same path lengths: the split changes nothing.
                out.push_str(&l);
            } else {
                out.push_str(&format!(
                    "CASE WHEN {prefix}{feature}{op}{} THEN {l} ELSE {r} END",
                    d.number(bound)?
                ));
            }
        }
    }
    Ok(())
}

/// For a finite `f32` threshold `t`: the comparison `op` and double `m` with
/// `(x as f32) <= t  ⇔  x op m` for every double `x` (round to nearest, ties to even).
pub fn f32_bound(t: f32) -> (&'static str, f64) {
    let bits = t.to_bits();
    // The next f32 towards +∞ (f32::MAX's is +∞, whose "midpoint" is MAX + half an ulp).
    let up = if t == 0.0 {
        f32::from_bits(1)
    } else if t > 0.0 {
        f32::from_bits(bits + 1)
    } else {
        f32::from_bits(bits - 1)
    };
    let (t64, up64) = (f64::from(t), f64::from(up));
    let m = if up.is_infinite() {
        t64 + (t64 - f64::from(f32::from_bits(bits - 1))) / 2.0
    } else {
        (t64 + up64) / 2.0
    };
    // At the midpoint x rounds to whichever of t and up has an even mantissa.
    let t_even = (t.to_bits() & 1 == 0) || t == 0.0;
    if t_even { ("<=", m) } else { ("<", m) }
}

/// Epoch milliseconds of a time column: ISO-8601 text or a timestamp, else a number read as
/// epoch seconds, or milliseconds from 1e11 on (as threatlens reads files); NULL when unreadable.
pub(crate) fn millis(d: Dialect, col: &str) -> String {
    let x = format!("TRY_CAST({col} AS DOUBLE)");
    format!(
        "COALESCE({}, CAST(ROUND(CASE WHEN ABS({x})>=1e11 THEN {x} ELSE {x}*1e3 END) AS BIGINT))",
        text_millis(d, col)
    )
}

fn text_millis(d: Dialect, col: &str) -> String {
    match d {
        Dialect::DuckDb => format!("epoch_ms(TRY_CAST({col} AS TIMESTAMPTZ))"),
        Dialect::Spark => format!("unix_millis(TRY_CAST({col} AS TIMESTAMP))"),
        Dialect::Trino => format!(
            "CAST(round(to_unixtime(TRY(from_iso8601_timestamp(CAST({col} AS VARCHAR))))*1e3) AS BIGINT)"
        ),
    }
}

/// A numeric column as DOUBLE, NULL when unreadable.
fn number(col: &str) -> String {
    format!("TRY_CAST({col} AS DOUBLE)")
}

/// The feature before transform and imputation (NULL when missing or undefined).
pub(crate) fn raw_value(d: Dialect, rel: &str, input: &Input) -> Result<String, SqlError> {
    // An empty `rel` leaves the names unqualified.
    let col = |name: &str| -> Result<String, SqlError> {
        let name = d.ident(name)?;
        Ok(if rel.is_empty() {
            name
        } else {
            format!("{rel}.{name}")
        })
    };
    let duration = |start: &str, end: &str| -> Result<String, SqlError> {
        Ok(format!(
            "CAST({}-{} AS DOUBLE)/1e3",
            millis(d, &col(end)?),
            millis(d, &col(start)?)
        ))
    };
    Ok(match input {
        Input::Column { column } => number(&col(column)?),
        Input::SessionDuration { start, end } => duration(start, end)?,
        Input::BytesPerSec {
            bytes_in,
            bytes_out,
            start,
            end,
        } => {
            let dur = duration(start, end)?;
            // Without a bytes_out column (a flow log) the rate is of the one byte count, as
            // locally.
            let out = if bytes_out.is_empty() {
                "0e0".to_string()
            } else {
                number(&col(bytes_out)?)
            };
            format!(
                "CASE WHEN {dur}>0e0 THEN ({}+{out})/({dur}) END",
                number(&col(bytes_in)?)
            )
        }
        Input::BytesPerPacket { bytes, packets } => {
            let p = number(&col(packets)?);
            format!("CASE WHEN {p}>0e0 THEN {}/{p} END", number(&col(bytes)?))
        }
        Input::InOutRatio {
            bytes_in,
            bytes_out,
        } => format!(
            "{}/({}+1e0)",
            number(&col(bytes_in)?),
            number(&col(bytes_out)?)
        ),
        Input::Hour { times } | Input::DayOfWeek { times } => {
            let ms: Vec<String> = times
                .iter()
                .map(|t| col(t).map(|c| millis(d, &c)))
                .collect::<Result<_, _>>()?;
            let ms = format!("COALESCE({})", ms.join(","));
            if matches!(input, Input::Hour { .. }) {
                format!(
                    "CAST(FLOOR(CAST((({ms}%86400000)+86400000)%86400000 AS DOUBLE)/3600000e0) AS DOUBLE)"
                )
            } else {
                format!(
                    "CAST(((CAST(FLOOR(CAST({ms} AS DOUBLE)/86400000e0) AS BIGINT)+3)%7+7)%7 AS DOUBLE)"
                )
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_without_bytes_out_names_no_empty_column() {
        let input = Input::BytesPerSec {
            bytes_in: "bytes".into(),
            bytes_out: String::new(),
            start: "start".into(),
            end: "end".into(),
        };
        for d in [Dialect::Spark, Dialect::DuckDb, Dialect::Trino] {
            let sql = raw_value(d, "", &input).unwrap();
            assert!(!sql.contains("``") && !sql.contains("\"\""), "{sql}");
            assert!(sql.contains("+0e0)"), "{sql}");
        }
        let with = Input::BytesPerSec {
            bytes_in: "bytes_in".into(),
            bytes_out: "bytes_out".into(),
            start: "start".into(),
            end: "end".into(),
        };
        assert!(
            raw_value(Dialect::Spark, "", &with)
                .unwrap()
                .contains("`bytes_out`")
        );
    }

    #[test]
    fn the_bound_agrees_with_rounding_to_f32_around_every_kind_of_threshold() {
        let thresholds = [
            0.0f32,
            -0.0,
            1.0,
            1.5,
            -1.5,
            13182.0,
            1.000_000_1,
            f32::MAX,
            -f32::MAX,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            -f32::from_bits(3),
            3.4e-39,
            123_456.79,
        ];
        for t in thresholds {
            let (op, m) = f32_bound(t);
            let mut probes = vec![m, f64::from(t)];
            for k in 1..4u64 {
                probes.push(f64::from_bits(m.to_bits() + k));
                probes.push(f64::from_bits(m.to_bits().wrapping_sub(k)));
            }
            for x in probes.into_iter().filter(|x| x.is_finite()) {
                let local = (x as f32) <= t;
                let sql = if op == "<=" { x <= m } else { x < m };
                assert_eq!(local, sql, "t={t:e} x={x:e} {op} {m:e}");
            }
        }
    }
}
