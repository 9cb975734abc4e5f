//! Sorting `f64` values in their total order (`f64::total_cmp`), by radix.
//!
//! Statistics sort every numeric column once; at millions of rows a comparison sort is the
//! largest part of `describe`. An LSD radix sort over the order-preserving bit image of each
//! value needs at most eight linear passes and skips the bytes every value shares (the high
//! bytes of byte counts, the low mantissa bytes of small integers), so it usually needs far
//! fewer. Equal keys are identical bit patterns, so the result is exactly what
//! `sort_unstable_by(f64::total_cmp)` gives. Pure; one scratch buffer of the input's size.

/// Below this, a comparison sort is faster than building histograms.
const SMALL: usize = 2048;

/// Maps a float to a `u64` whose unsigned order is the float's total order.
#[inline]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

#[inline]
fn unkey(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sorts `values` ascending in `f64::total_cmp` order, reusing their allocation.
pub fn sort_floats(mut values: Vec<f64>) -> Vec<f64> {
    let n = values.len();
    if n < SMALL {
        values.sort_unstable_by(f64::total_cmp);
        return values;
    }
    if let Some(sorted) = few_distinct(&values) {
        return sorted;
    }
    // In place: the Vec<f64> becomes the Vec<u64> of keys and back (same size and alignment).
    let mut keys: Vec<u64> = values.into_iter().map(key).collect();
    let mut counts = vec![[0usize; 256]; 8];
    for &k in &keys {
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * d)) & 0xff) as usize] += 1;
        }
    }
    let mut scratch = vec![0u64; n];
    for (d, c) in counts.iter_mut().enumerate() {
        // Every value has the same byte here: this pass would not move anything.
        if c.contains(&n) {
            continue;
        }
        let mut at = 0;
        for slot in c.iter_mut() {
            let here = *slot;
            *slot = at;
            at += here;
        }
        for &k in &keys {
            let slot = &mut c[((k >> (8 * d)) & 0xff) as usize];
            scratch[*slot] = k;
            *slot += 1;
        }
        std::mem::swap(&mut keys, &mut scratch);
    }
    drop(scratch);
    keys.into_iter().map(unkey).collect()
}

/// Sorts `items` ascending by a 64-bit `key`, stably (items with equal keys keep their order), by
/// LSD radix: one pass counting every byte of every key, then one scatter per byte position on
/// which the keys differ. The result is exactly what `sort_by_key(key)` gives. One scratch buffer
/// of the input's size.
pub fn sort_by_u64_key<T: Copy + Default>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let n = items.len();
    if n < SMALL {
        items.sort_by_key(|t| key(t));
        return;
    }
    let mut counts = vec![[0usize; 256]; 8];
    for t in items.iter() {
        let k = key(t);
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * d)) & 0xff) as usize] += 1;
        }
    }
    let mut scratch: Vec<T> = Vec::new();
    for (d, c) in counts.iter_mut().enumerate() {
        // Every key has the same byte here: this pass would not move anything.
        if c.contains(&n) {
            continue;
        }
        if scratch.is_empty() {
            scratch = vec![T::default(); n];
        }
        let mut at = 0;
        for slot in c.iter_mut() {
            let here = *slot;
            *slot = at;
            at += here;
        }
        for t in items.iter() {
            let slot = &mut c[((key(t) >> (8 * d)) & 0xff) as usize];
            scratch[*slot] = *t;
            *slot += 1;
        }
        std::mem::swap(items, &mut scratch);
    }
}

/// The `u64` whose unsigned order is `x`'s `f64::total_cmp` order (what [`sort_by_u64_key`]
/// sorts floats by), and its inverse.
#[inline]
pub fn total_order_key(x: f64) -> u64 {
    key(x)
}

/// The float of a [`total_order_key`].
#[inline]
pub fn from_total_order_key(k: u64) -> f64 {
    unkey(k)
}

/// At most this many distinct values for the counting path.
const FEW: usize = 1024;

/// A counting sort for columns of few distinct values (hours, weekdays, ports, status codes,
/// labels): one pass counting each bit pattern, one writing them out in order. `None` as soon
/// as there are more than [`FEW`] distinct values (the radix sort is then the better choice).
fn few_distinct(values: &[f64]) -> Option<Vec<f64>> {
    let mut counts: rustc_hash::FxHashMap<u64, usize> = Default::default();
    let mut last: Option<(u64, usize)> = None;
    for &x in values {
        let k = key(x);
        // Runs of one value are common (sorted logs, constant columns): count them without
        // hashing each one.
        match &mut last {
            Some((lk, n)) if *lk == k => *n += 1,
            _ => {
                if let Some((lk, n)) = last.take() {
                    *counts.entry(lk).or_default() += n;
                    if counts.len() > FEW {
                        return None;
                    }
                }
                last = Some((k, 1));
            }
        }
    }
    if let Some((lk, n)) = last {
        *counts.entry(lk).or_default() += n;
    }
    let mut distinct: Vec<(u64, usize)> = counts.into_iter().collect();
    distinct.sort_unstable_by_key(|&(k, _)| k);
    let mut out = Vec::with_capacity(values.len());
    for (k, n) in distinct {
        out.extend(std::iter::repeat_n(unkey(k), n));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(v: &[f64]) -> Vec<u64> {
        let mut s = v.to_vec();
        s.sort_unstable_by(f64::total_cmp);
        s.into_iter().map(f64::to_bits).collect()
    }

    /// The keyed radix sort gives exactly the stable comparison sort: same order, ties kept in
    /// input order, on random keys, keys sharing most bytes, constant keys and short inputs.
    #[test]
    fn keyed_radix_sort_is_the_stable_sort() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        let cases: Vec<Vec<u64>> = vec![
            (0..60_000).map(|_| next()).collect(),
            (0..60_000).map(|_| next() % 3_000).collect(),
            (0..60_000).map(|_| (next() % 50) << 40).collect(),
            vec![9; 5_000],
            (0..100).map(|_| next() % 7).collect(),
            vec![],
        ];
        for keys in cases {
            let mut items: Vec<(u64, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, &k)| (k, i as u32))
                .collect();
            let mut want = items.clone();
            want.sort_by_key(|t| t.0);
            sort_by_u64_key(&mut items, |t| t.0);
            assert_eq!(items, want);
        }
        for x in [0.0, -0.0, 1.5, -2.25, f64::INFINITY, f64::MIN, 5e-324] {
            assert_eq!(
                from_total_order_key(total_order_key(x)).to_bits(),
                x.to_bits()
            );
        }
    }

    #[test]
    fn radix_order_is_total_cmp_order() {
        let mut state = 1u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        let specials = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            5e-324,
            -5e-324,
            f64::NAN,
            -f64::NAN,
        ];
        let cases: Vec<Vec<f64>> = vec![
            // Small integers (byte counts): most bytes shared.
            (0..50_000).map(|_| (next() % 100_000) as f64).collect(),
            // Arbitrary bit patterns, NaNs of every sign and payload included.
            (0..50_000).map(|_| f64::from_bits(next())).collect(),
            // Mixed signs and magnitudes plus the special values, several times over.
            (0..30_000)
                .map(|i| {
                    if i % 10 == 0 {
                        specials[i / 10 % specials.len()]
                    } else {
                        ((next() % 2_000_000) as f64 - 1e6) * 1e-3
                    }
                })
                .collect(),
            vec![7.0; 10_000],
            // Few distinct values (the counting path), with both zeros and NaNs among them.
            (0..40_000)
                .map(|i| specials[i * 7 % specials.len()])
                .collect(),
            (0..40_000).map(|_| (next() % 24) as f64).collect(),
            // Just over the counting path's limit, then far over it.
            (0..40_000).map(|i| (i % (FEW + 1)) as f64 * 0.25).collect(),
            (0..40_000)
                .map(|i| f64::from(i as u32 % 1000) + if i > 30_000 { 0.5 } else { 0.0 })
                .collect(),
            (0..100).map(|i| f64::from(i) * -0.5).collect(),
            vec![],
        ];
        for v in cases {
            let want = reference(&v);
            let got: Vec<u64> = sort_floats(v).into_iter().map(f64::to_bits).collect();
            assert_eq!(got, want);
        }
    }
}
