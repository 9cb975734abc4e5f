//! The AVX2 kernel: eight rows per instruction through every level of every tree, on quantised
//! features ([`super::quantise`]), so that one lookup gives a lane its split and feature and one
//! integer comparison takes the step.
//!
//! Levels 0–6 (splits 1–127) are looked up with in-register permutes (`vpermd`, eight entries
//! each) and a blend tree on the split number's bits; from level 7 on (splits 128–255 of a default
//! 256-sample tree, and deeper) a gather is cheaper than the 16-permute tree (measured, see
//! `GATHER_FROM`); the bottom slots' path lengths are gathered too. Row values are quantised per
//! block by sixteen-lane branch-free binary searches (`encode`). Rows are walked two groups of
//! eight at a time (independent chains the core overlaps).
//! The path lengths are added per row in tree order, as the portable kernel does, so the sums are
//! bit-identical. This file must not decide when it runs (see `dispatch`).

// Intrinsics are `unsafe fn`s up to Rust 1.86 and safe inside `#[target_feature]` functions from
// 1.87: the `unsafe` blocks below are needed by the first and redundant for the second.
#![allow(unused_unsafe)]

use super::quantise::{FEATURE_BITS, Quantised};
use super::{Block, LANES, Prepared};
use std::arch::x86_64::*;

/// First level whose splits are gathered rather than permuted from registers. Measured on http
/// (3 features, depth 8) with the AVX2 kernel forced on an Intel Xeon, rows per CPU-second under
/// load: all levels permuted 1.98 M, gathers from level 7 2.48 M, from 6 2.47 M, from 5 2.43 M.
/// Level 7 keeps gathers (slow on some AVX2 CPUs, e.g. older AMD) to one per row and tree and
/// replaces the costliest permute tree (16 permutes, 15 blends).
const GATHER_FROM: u32 = 7;
/// Rows walked side by side (a multiple of 16 dividing `BLOCK`).
const WALKED: usize = 32;
const _: () = assert!(WALKED.is_multiple_of(16) && super::BLOCK.is_multiple_of(WALKED));
const _: () = assert!(GATHER_FROM == 7, "levels() permutes exactly levels 0..7");

/// Sums the path lengths of the block's rows (`block.codes` filled by `q.encode`).
///
/// # Safety
/// AVX2 must be available, `block` must come from `p.block()`, `q` from the same steps as `p`
/// with `p.d` features (`1..=16`).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn path_sums(p: &Prepared<'_>, q: &Quantised, block: &mut Block) {
    // SAFETY (all arms): this function's contract, with `D == p.d`.
    unsafe {
        match p.d {
            1 => walk::<1>(p, q, block),
            2 => walk::<2>(p, q, block),
            3 => walk::<3>(p, q, block),
            4 => walk::<4>(p, q, block),
            5 => walk::<5>(p, q, block),
            6 => walk::<6>(p, q, block),
            7 => walk::<7>(p, q, block),
            8 => walk::<8>(p, q, block),
            9 => walk::<9>(p, q, block),
            10 => walk::<10>(p, q, block),
            11 => walk::<11>(p, q, block),
            12 => walk::<12>(p, q, block),
            13 => walk::<13>(p, q, block),
            14 => walk::<14>(p, q, block),
            15 => walk::<15>(p, q, block),
            _ => walk::<16>(p, q, block),
        }
    }
}

/// [`path_sums`] for `D` features.
#[target_feature(enable = "avx2")]
unsafe fn walk<const D: usize>(p: &Prepared<'_>, q: &Quantised, block: &mut Block) {
    const { assert!(D >= 1 && D <= 16 && LANES == 16) };
    let width = 1usize << p.depth;
    let stride = q.stride;
    assert!(
        p.d == D && stride >= width.max(8) && q.table.len() == p.leaves.len() / width * stride,
        "quantised tables do not match the prepared forest"
    );
    assert!(block.codes.len() == block.sums.len() * D);
    let trees = q
        .table
        .chunks_exact(stride)
        .zip(p.leaves.chunks_exact(width));
    let top_width = unsafe { _mm256_set1_epi32(width as i32) };
    for (table, leaves) in trees {
        // SAFETY: `table` holds `stride >= 8` codes.
        let top = unsafe { _mm256_loadu_si256(table.as_ptr().cast()) };
        let groups = block.codes.chunks_exact(WALKED / 16 * LANES * D);
        for (group, sums) in groups.zip(block.sums.chunks_exact_mut(WALKED)) {
            // SAFETY: `group` holds WALKED/16 lane groups of `D` feature rows of 16 codes; each
            // load reads 8 of them.
            let x: [[__m256i; D]; WALKED / 8] = std::array::from_fn(|h| {
                let at = (h / 2) * LANES * D + (h % 2) * 8;
                std::array::from_fn(|f| unsafe {
                    _mm256_loadu_si256(group.as_ptr().add(at + f * LANES).cast())
                })
            });
            // SAFETY: AVX2; the table holds `stride >= max(8, 2^depth)` codes.
            let a = unsafe { levels::<D>(table, top, &x, p.depth) };
            for (a, sums) in a.iter().zip(sums.chunks_exact_mut(8)) {
                // SAFETY: after `depth` steps `a` is in [2^depth, 2^(depth+1)), so each slot
                // `a − 2^depth` is in `0..leaves.len()`; `sums` holds 8 `f64`.
                unsafe {
                    let slot = _mm256_sub_epi32(*a, top_width);
                    for (k, idx) in [
                        _mm256_castsi256_si128(slot),
                        _mm256_extracti128_si256::<1>(slot),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        let at = sums.as_mut_ptr().add(4 * k);
                        let leaf = _mm256_i32gather_pd::<8>(leaves.as_ptr(), idx);
                        _mm256_storeu_pd(at, _mm256_add_pd(_mm256_loadu_pd(at), leaf));
                    }
                }
            }
        }
    }
}

/// Writes the code of every value of `rows` (the block layout) into `codes`: per lane group and
/// feature, sixteen branch-free binary searches over the feature's thresholds side by side, eight
/// per gather (the step sizes depend only on the number of thresholds, so all lanes take the same
/// steps). Each lane ends at `#{t : t < x}`, as `quantise::below` states it.
///
/// # Safety
/// AVX2; `rows.len() == codes.len()`, a multiple of `16 · d` for `d = q.cuts.len()`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn encode(q: &Quantised, rows: &[f32], codes: &mut [i32]) {
    const { assert!(FEATURE_BITS == 4) };
    let d = q.cuts.len();
    assert!(rows.len() == codes.len() && rows.len().is_multiple_of(LANES * d.max(1)));
    let groups = rows
        .chunks_exact(LANES * d)
        .zip(codes.chunks_exact_mut(LANES * d));
    for (rows, codes) in groups {
        let features = q
            .cuts
            .iter()
            .zip(rows.chunks_exact(LANES))
            .zip(codes.chunks_exact_mut(LANES));
        for ((cuts, x), out) in features {
            // SAFETY: `x` and `out` hold 16 values; every gathered index is below `cuts.len()`
            // (`base + half − 1 < base + n <= len`, and `base < len` when `n == 1`).
            unsafe {
                let x = [
                    _mm256_loadu_ps(x.as_ptr()),
                    _mm256_loadu_ps(x.as_ptr().add(8)),
                ];
                let p = cuts.as_ptr();
                let mut base = [_mm256_setzero_si256(); 2];
                let mut n = cuts.len();
                while n > 1 {
                    let half = n / 2;
                    let (step, back) = (_mm256_set1_epi32(half as i32), half as i32 - 1);
                    for (b, &x) in base.iter_mut().zip(&x) {
                        let at = _mm256_add_epi32(*b, _mm256_set1_epi32(back));
                        let t = _mm256_i32gather_ps::<4>(p, at);
                        let below = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(t, x));
                        *b = _mm256_add_epi32(*b, _mm256_and_si256(below, step));
                    }
                    n -= half;
                }
                for (k, (b, &x)) in base.iter_mut().zip(&x).enumerate() {
                    if n == 1 {
                        let t = _mm256_i32gather_ps::<4>(p, *b);
                        let below = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(t, x));
                        *b = _mm256_sub_epi32(*b, below);
                    }
                    let code = _mm256_slli_epi32::<4>(*b);
                    _mm256_storeu_si256(out.as_mut_ptr().add(8 * k).cast(), code);
                }
            }
        }
    }
}

/// Walks two groups of eight rows (their codes `x`) from the root through all `depth` levels of
/// one tree; returns their split numbers. Straight-line code for levels 0–6 (each level's lookup
/// fixed at compile time, the split numbers kept in registers), gathers from `GATHER_FROM` on.
///
/// # Safety
/// AVX2; `table` holds at least `max(8, 2^depth)` codes; `top` is its first eight.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn levels<const D: usize>(
    table: &[i32],
    top: __m256i,
    x: &[[__m256i; D]; WALKED / 8],
    depth: u32,
) -> [__m256i; WALKED / 8] {
    debug_assert!(table.len() >= 8 && table.len() >= 1 << depth);
    unsafe {
        let base = table.as_ptr();
        let mut a = [_mm256_set1_epi32(1); WALKED / 8];
        macro_rules! level {
            ($lookup:expr) => {
                for (a, x) in a.iter_mut().zip(x) {
                    let split = $lookup(*a);
                    let right = _mm256_cmpgt_epi32(select::<D>(x, split), split);
                    *a = _mm256_sub_epi32(_mm256_add_epi32(*a, *a), right);
                }
            };
        }
        let top3 = |a| _mm256_permutevar8x32_epi32(top, a);
        if depth > 0 {
            level!(top3);
        }
        if depth > 1 {
            level!(top3);
        }
        if depth > 2 {
            level!(top3);
        }
        if depth > 3 {
            level!(|a| permuted::<1>(base.add(8), a));
        }
        if depth > 4 {
            level!(|a| permuted::<2>(base.add(16), a));
        }
        if depth > 5 {
            level!(|a| permuted::<4>(base.add(32), a));
        }
        if depth > 6 {
            level!(|a| permuted::<8>(base.add(64), a));
        }
        for _ in GATHER_FROM..depth {
            level!(|a| _mm256_i32gather_epi32::<4>(base, a));
        }
        a
    }
}

/// Code `a mod 8N` of the `8N` codes at `p`: one permute per eight, then blends on bits 3, 4, …
/// of `a` pick the eight.
///
/// # Safety
/// AVX2; `p` points to `8N` readable codes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn permuted<const N: usize>(p: *const i32, a: __m256i) -> __m256i {
    unsafe {
        let mut v: [__m256; N] = std::array::from_fn(|j| {
            _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(
                _mm256_loadu_si256(p.add(8 * j).cast()),
                a,
            ))
        });
        let mut n = N;
        let mut bit = 3;
        while n > 1 {
            let upper = _mm256_castsi256_ps(_mm256_sllv_epi32(a, _mm256_set1_epi32(31 - bit)));
            for i in 0..n / 2 {
                v[i] = _mm256_blendv_ps(v[2 * i], v[2 * i + 1], upper);
            }
            n /= 2;
            bit += 1;
        }
        _mm256_castps_si256(v[0])
    }
}

/// Each lane's code of the feature in its split's low four bits: blends on bits 0, 1, … of the
/// split code pick it from the `D` feature rows.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn select<const D: usize>(x: &[__m256i; D], split: __m256i) -> __m256i {
    if D == 1 {
        return x[0];
    }
    unsafe {
        let mut v: [__m256; D] = std::array::from_fn(|f| _mm256_castsi256_ps(x[f]));
        let (mut n, mut bit) = (D, 0);
        while n > 1 {
            let upper = _mm256_castsi256_ps(_mm256_sllv_epi32(split, _mm256_set1_epi32(31 - bit)));
            for i in 0..n / 2 {
                v[i] = _mm256_blendv_ps(v[2 * i], v[2 * i + 1], upper);
            }
            if n % 2 == 1 {
                v[n / 2] = v[n - 1];
            }
            n = n.div_ceil(2);
            bit += 1;
        }
        _mm256_castps_si256(v[0])
    }
}
