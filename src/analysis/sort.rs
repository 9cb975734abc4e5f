//! Sorting `f64` values in their total order (`f64::total_cmp`), and items by a 64-bit key, by radix.
//!
//! Statistics sort every numeric column once; at millions of rows a comparison sort is the
//! largest part of `describe`. A most-significant-digit radix sort over the order-preserving bit
//! image of each value splits the values into up to 2048 buckets by the highest bits on which
//! they differ (bits every value shares are skipped), and each bucket again by its own highest
//! differing bits until it is small enough for a comparison sort in cache: one or two scatters
//! instead of the five to eight of a byte-wise LSD sort. Buckets are filled in input order, so the
//! sort is stable; equal keys are identical bit patterns, so floats come out exactly as
//! `sort_unstable_by(f64::total_cmp)` gives them. Pure; one scratch buffer of the input's size.

/// Below this, a comparison sort is faster than building histograms.
const SMALL: usize = 2048;

/// Most bits a bucket split looks at (2048 buckets: their counters stay in the L1 cache).
const SPLIT_BITS: u32 = 11;

/// Buckets of at most this many items are finished by a (stable) comparison sort.
const LEAF: usize = 192;

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
    let mut scratch = vec![0u64; n];
    msd(&mut keys, &mut scratch, &|&k: &u64| k);
    drop(scratch);
    keys.into_iter().map(unkey).collect()
}

/// Sorts `items` ascending by a 64-bit `key`, stably (items with equal keys keep their order): the
/// result is exactly what `sort_by_key(key)` gives. One scratch buffer of the input's size.
pub fn sort_by_u64_key<T: Copy + Default>(items: &mut [T], key: impl Fn(&T) -> u64) {
    let n = items.len();
    if n < SMALL {
        items.sort_by_key(|t| key(t));
        return;
    }
    let mut scratch = vec![T::default(); n];
    msd(items, &mut scratch, &key);
}

/// The stable MSD radix sort of `items` by `key` (`scratch` as long as `items`).
fn msd<T: Copy>(items: &mut [T], scratch: &mut [T], key: &impl Fn(&T) -> u64) {
    let n = items.len();
    if n <= LEAF {
        items.sort_by_key(key);
        return;
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for t in items.iter() {
        let k = key(t);
        lo = lo.min(k);
        hi = hi.max(k);
    }
    if lo == hi {
        return;
    }
    // The bits below the highest one on which the keys differ; about log2(n) of them, so a
    // small bucket is not spread over mostly empty counters.
    let differing = u64::BITS - (lo ^ hi).leading_zeros();
    let bits = (usize::BITS - n.leading_zeros())
        .saturating_sub(1)
        .clamp(4, SPLIT_BITS);
    let shift = differing.saturating_sub(bits);
    let buckets = 1usize << (differing - shift);
    let mask = (buckets - 1) as u64;
    let bucket = |t: &T| ((key(t) >> shift) & mask) as usize;
    let mut starts = vec![0usize; buckets + 1];
    for t in items.iter() {
        if let Some(c) = starts.get_mut(bucket(t) + 1) {
            *c += 1;
        }
    }
    for i in 1..=buckets {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    for t in items.iter() {
        let b = bucket(t);
        scratch[next[b]] = *t;
        next[b] += 1;
    }
    items.copy_from_slice(scratch);
    // With no bits left below the split, each bucket holds one key.
    if shift == 0 {
        return;
    }
    for w in starts.windows(2) {
        let (s, e) = (w[0], w[1]);
        if e - s > 1 {
            msd(&mut items[s..e], &mut scratch[s..e], key);
        }
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

/// Slots of the counting path's table: four times [`FEW`], so that a probe rarely goes past its
/// first slot and always finds a free one.
const SLOTS: usize = 4 * FEW;

/// A counting sort for columns of few distinct values (hours, weekdays, ports, status codes,
/// durations in whole minutes, labels): one pass counting each bit pattern in a small
/// open-addressing table (a multiplicative hash, linear probing; it stays in the L1 cache), one
/// writing them out in order. `None` as soon as there are more than [`FEW`] distinct values (the
/// radix sort is then the better choice).
fn few_distinct(values: &[f64]) -> Option<Vec<f64>> {
    let mut keys = vec![0u64; SLOTS];
    // A count of 0 marks a free slot.
    let mut counts = vec![0usize; SLOTS];
    let mut used = 0usize;
    for &x in values {
        let k = key(x);
        // The top bits of the product depend on every bit of the key.
        let mut slot = (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize;
        loop {
            slot &= SLOTS - 1;
            if counts[slot] == 0 {
                used += 1;
                if used > FEW {
                    return None;
                }
                keys[slot] = k;
                counts[slot] = 1;
                break;
            }
            if keys[slot] == k {
                counts[slot] += 1;
                break;
            }
            slot += 1;
        }
    }
    let mut distinct: Vec<(u64, usize)> = keys
        .into_iter()
        .zip(counts)
        .filter(|&(_, n)| n > 0)
        .collect();
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
            // One key for almost every item, a few far away: one bucket split again and again.
            (0..60_000)
                .map(|i| if i % 97 == 0 { next() } else { 1 << 63 })
                .collect(),
            // Keys differing only in their lowest bits, or only in their highest ones.
            (0..60_000).map(|_| u64::MAX - next() % 5).collect(),
            (0..60_000).map(|_| (next() % 4) << 62).collect(),
            // Already sorted and reversed.
            (0..60_000).collect(),
            (0..60_000).rev().collect(),
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
