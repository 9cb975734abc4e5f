//! The Pearson correlation matrix of many numeric sources, streamed over blocks of rows.
//!
//! Gives exactly the bits [`stats::pearson`] gives for every pair, without holding any
//! series in memory: two passes over blocks of rows, each block's values computed once for
//! all sources. Sums that pairs share are computed once: for two sources without missing
//! values, a pair's means and sums of squares are the sources' own; only pairs involving a
//! source with missing values need their own. The matrix is symmetric by construction (the
//! products commute). Pure, data-parallel over pairs.

use super::Rows;
use super::stats::{self, Neumaier, NeumaierLanes};
use super::wide;
use crate::dataset::{Dataset, NumericSource, SeriesReader};
use rayon::prelude::*;

/// Rows per block: small enough for all sources' blocks to stay in cache.
const BLOCK: usize = 8 * 1024;

/// Running sums for one source over its present values.
#[derive(Debug, Clone, Copy, Default)]
struct Own {
    /// Which source.
    s: usize,
    count: usize,
    sum: Neumaier,
    mean: f64,
    squares: Neumaier,
}

/// Running sums for one pair (i < j).
#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    i: usize,
    j: usize,
    /// Both sources complete: means and sums of squares are the sources' own.
    shared: bool,
    count: usize,
    sum_a: Neumaier,
    sum_b: Neumaier,
    mean_a: f64,
    mean_b: f64,
    products: Neumaier,
    squares_a: Neumaier,
    squares_b: Neumaier,
}

/// Adds `term(q, k)` to sum `q` for every `k` in `0..len` where it is `Some`, the `N` sums' additions
/// side by side (one lane each, see [`NeumaierLanes`]) so that their compensated sums (each a serial
/// chain) overlap in the CPU and vectorise instead of running one after another. Each sum still
/// sees its terms in order, so every sum is bit-for-bit what one at a time gives.
#[inline(always)]
fn interleaved<const N: usize>(
    acc: &mut [Neumaier; N],
    len: usize,
    term: impl Fn(usize, usize) -> Option<f64>,
) {
    let mut lanes = NeumaierLanes::<N>::from_sums(*acc);
    for k in 0..len {
        let t: [Option<f64>; N] = std::array::from_fn(|q| term(q, k));
        lanes.add_where(t.map(|t| t.unwrap_or(0.0)), t.map(|t| t.is_some()));
    }
    *acc = lanes.sums();
}

/// Sums of centred products for pairs of complete sources, four pairs at a time.
fn shared_products(group: &mut [Pair], b: &[Vec<f64>], len: usize) {
    #[inline(always)]
    fn run<const N: usize>(g: &mut [Pair], b: &[Vec<f64>], len: usize) {
        let xs: [&[f64]; N] = std::array::from_fn(|q| &b[g[q].i][..len]);
        let ys: [&[f64]; N] = std::array::from_fn(|q| &b[g[q].j][..len]);
        let ma: [f64; N] = std::array::from_fn(|q| g[q].mean_a);
        let mb: [f64; N] = std::array::from_fn(|q| g[q].mean_b);
        let mut lanes = NeumaierLanes::<N>::from_sums(std::array::from_fn(|q| g[q].products));
        for k in 0..len {
            lanes.add(std::array::from_fn(|q| {
                (xs[q][k] - ma[q]) * (ys[q][k] - mb[q])
            }));
        }
        for (p, a) in g.iter_mut().zip(lanes.sums()) {
            p.products = a;
        }
    }
    wide::run(|| match group.len() {
        4 => run::<4>(group, b, len),
        3 => run::<3>(group, b, len),
        2 => run::<2>(group, b, len),
        1 => run::<1>(group, b, len),
        _ => {}
    })
}

/// One source's values as a pass adds them: present values only, `f` of each.
fn own_sums(group: &mut [Own], b: &[Vec<f64>], len: usize, squares: bool) {
    #[inline(always)]
    fn run<const N: usize>(g: &mut [Own], b: &[Vec<f64>], len: usize, squares: bool) {
        let xs: [&[f64]; N] = std::array::from_fn(|q| &b[g[q].s][..len]);
        let m: [f64; N] = std::array::from_fn(|q| g[q].mean);
        if squares {
            let mut acc: [Neumaier; N] = std::array::from_fn(|q| g[q].squares);
            interleaved(&mut acc, len, |q, k| {
                let x = xs[q][k];
                (!x.is_nan()).then(|| (x - m[q]).powi(2))
            });
            for (o, a) in g.iter_mut().zip(acc) {
                o.squares = a;
            }
        } else {
            let mut acc: [Neumaier; N] = std::array::from_fn(|q| g[q].sum);
            interleaved(&mut acc, len, |q, k| {
                let x = xs[q][k];
                (!x.is_nan()).then_some(x)
            });
            for (o, (a, x)) in g.iter_mut().zip(acc.into_iter().zip(xs)) {
                o.sum = a;
                o.count += x.iter().filter(|v| !v.is_nan()).count();
            }
        }
    }
    wide::run(|| match group.len() {
        4 => run::<4>(group, b, len, squares),
        3 => run::<3>(group, b, len, squares),
        2 => run::<2>(group, b, len, squares),
        1 => run::<1>(group, b, len, squares),
        _ => {}
    })
}

/// Calls `f(block_values)` for each block of the selected rows, in order; `block_values[s]`
/// holds source `s`'s values for the block (`NaN` when missing).
fn for_blocks(
    readers: &[SeriesReader<'_>],
    rows: Rows<'_>,
    bufs: &mut [Vec<f64>],
    mut f: impl FnMut(&[Vec<f64>], usize),
) {
    let total = rows.len();
    let mut first = 0;
    while first < total {
        let len = BLOCK.min(total - first);
        bufs.par_iter_mut()
            .zip(readers)
            .for_each(|(buf, reader)| match rows {
                Rows::All(_) => reader.fill(first, &mut buf[..len]),
                Rows::Subset(s) => reader.fill_rows(&s[first..first + len], &mut buf[..len]),
            });
        f(bufs, len);
        first += len;
    }
}

/// The correlation matrix of `sources` over the selected rows: `m[a][b]` is
/// `stats::pearson(values(a), values(b))`. `complete[s]` says whether source `s` has a value on
/// every selected row (a `false` is always safe, only slower).
pub fn matrix(
    ds: &Dataset,
    sources: &[NumericSource],
    rows: Rows<'_>,
    complete: &[bool],
) -> Vec<Vec<Option<f64>>> {
    let k = sources.len();
    let readers: Vec<SeriesReader<'_>> =
        sources.iter().map(|&s| SeriesReader::new(ds, s)).collect();
    let complete = |s: usize| complete.get(s).copied().unwrap_or(false);
    let mut own: Vec<Own> = (0..k)
        .map(|s| Own {
            s,
            ..Own::default()
        })
        .collect();
    let mut pairs: Vec<Pair> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .map(|(i, j)| Pair {
            i,
            j,
            shared: complete(i) && complete(j),
            ..Pair::default()
        })
        .collect();
    let mut bufs = vec![vec![0.0; BLOCK]; k];

    // Pass 1: sums for the means.
    for_blocks(&readers, rows, &mut bufs, |b, len| {
        own.par_chunks_mut(4)
            .for_each(|g| own_sums(g, b, len, false));
        pairs.par_iter_mut().filter(|p| !p.shared).for_each(|p| {
            for (&x, &y) in b[p.i][..len].iter().zip(&b[p.j][..len]) {
                if !x.is_nan() && !y.is_nan() {
                    p.count += 1;
                    p.sum_a.add(x);
                    p.sum_b.add(y);
                }
            }
        });
    });
    for o in &mut own {
        o.mean = o.sum.value() / o.count as f64;
    }
    for p in &mut pairs {
        if p.shared {
            p.count = own[p.i].count;
            p.mean_a = own[p.i].mean;
            p.mean_b = own[p.j].mean;
        } else {
            let n = p.count as f64;
            p.mean_a = p.sum_a.value() / n;
            p.mean_b = p.sum_b.value() / n;
        }
    }

    // Pass 2: centred sums of products and squares. Pairs of complete sources (the common case)
    // come first, so they form groups of their own.
    pairs.sort_by_key(|p| !p.shared);
    let shared = pairs.iter().filter(|p| p.shared).count();
    for_blocks(&readers, rows, &mut bufs, |b, len| {
        own.par_chunks_mut(4)
            .for_each(|g| own_sums(g, b, len, true));
        let (complete_pairs, other) = pairs.split_at_mut(shared);
        complete_pairs
            .par_chunks_mut(4)
            .for_each(|g| shared_products(g, b, len));
        other.par_iter_mut().for_each(|p| {
            let (ma, mb) = (p.mean_a, p.mean_b);
            for (&x, &y) in b[p.i][..len].iter().zip(&b[p.j][..len]) {
                if !x.is_nan() && !y.is_nan() {
                    p.products.add((x - ma) * (y - mb));
                    p.squares_a.add((x - ma).powi(2));
                    p.squares_b.add((y - mb).powi(2));
                }
            }
        });
    });

    let mut m = vec![vec![None; k]; k];
    for (s, o) in own.iter().enumerate() {
        // pearson(a, a): the product (x − m)·(x − m) is the square, bit for bit.
        let ss = o.squares.value();
        m[s][s] = (o.count >= 2)
            .then(|| stats::pearson_from(ss, ss, ss))
            .flatten();
    }
    for p in &pairs {
        let (saa, sbb) = if p.shared {
            (own[p.i].squares.value(), own[p.j].squares.value())
        } else {
            (p.squares_a.value(), p.squares_b.value())
        };
        let r = (p.count >= 2)
            .then(|| stats::pearson_from(p.products.value(), saa, sbb))
            .flatten();
        m[p.i][p.j] = r;
        m[p.j][p.i] = r;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Column, ColumnData};

    fn dataset(cols: Vec<Vec<f64>>) -> Dataset {
        let rows = cols[0].len();
        Dataset {
            columns: cols
                .into_iter()
                .enumerate()
                .map(|(i, v)| Column {
                    name: format!("c{i}"),
                    role: None,
                    data: ColumnData::Float(v.into()),
                })
                .collect(),
            rows,
            ..Dataset::default()
        }
    }

    fn check(ds: &Dataset, rows: Rows<'_>, complete: &[bool]) {
        let sources: Vec<NumericSource> =
            (0..ds.columns.len()).map(NumericSource::Column).collect();
        let m = matrix(ds, &sources, rows, complete);
        let series: Vec<Vec<f64>> = sources
            .iter()
            .map(|&s| {
                let all = ds.values(s);
                match rows {
                    Rows::All(_) => all,
                    Rows::Subset(r) => r.iter().map(|&i| all[i as usize]).collect(),
                }
            })
            .collect();
        for (a, va) in series.iter().enumerate() {
            for (b, vb) in series.iter().enumerate() {
                assert_eq!(
                    m[a][b].map(f64::to_bits),
                    stats::pearson(va, vb).map(f64::to_bits),
                    "pair ({a}, {b})"
                );
            }
        }
    }

    #[test]
    fn streamed_matrix_equals_pairwise_pearson_bit_for_bit() {
        // Over several blocks, with missing values in some sources, a constant one and an
        // all-missing one.
        let n = 3 * BLOCK + 17;
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let a: Vec<f64> = (0..n).map(|_| next() * 1e6).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 0.5 + next() * 1e5).collect();
        let c: Vec<f64> = (0..n)
            .map(|i| if i % 7 == 0 { f64::NAN } else { next() - 0.5 })
            .collect();
        let d = vec![3.0; n];
        let e = vec![f64::NAN; n];
        let f: Vec<f64> = (0..n)
            .map(|i| if i % 11 == 3 { f64::NAN } else { a[i] + next() })
            .collect();
        let ds = dataset(vec![a, b, c, d, e, f]);
        let complete = [true, true, false, true, false, false];
        check(&ds, Rows::All(n), &complete);
        super::super::wide::portable(|| check(&ds, Rows::All(n), &complete));
        // Claiming nothing is complete only takes the slower path.
        check(&ds, Rows::All(n), &[false; 6]);
        let subset: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 1).collect();
        check(&ds, Rows::Subset(&subset), &complete);
        check(&ds, Rows::Subset(&[5]), &complete);
        check(&ds, Rows::Subset(&[]), &complete);
    }
}
