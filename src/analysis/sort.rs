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
