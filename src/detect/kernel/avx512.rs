//! The AVX-512 kernel: sixteen rows per instruction through the first `WIDE_LEVELS` levels of each
//! tree with in-register table lookups (`vpermt2ps`), the bottom slots' path lengths gathered and
//! added per row in tree order, deeper levels by the portable code. Same `f32` comparisons and
//! `f64` additions as the portable kernel, so bit-identical sums. This file must not decide when
//! it runs (see `dispatch`).

// Intrinsics are `unsafe fn`s up to Rust 1.86 and safe inside `#[target_feature]` functions from
// 1.87: the `unsafe` blocks below are needed by the first and redundant for the second.
#![allow(unused_unsafe)]

use super::{Block, INTERLEAVE, LANES, Prepared, WIDE_LEVELS, WIDE_MAX_FEATURES};
use std::arch::x86_64::*;

/// The AVX-512 kernel: sixteen rows (one lane group) per instruction through the first
/// `WIDE_LEVELS` levels of each tree, looking splits up with two-register permutes
/// (`vpermt2ps`: a 32-entry table per instruction) and selecting each lane's feature value the
/// same way from the group's feature rows, then the path length of the bottom slot added per
/// row in tree order. Same `f32` comparisons and `f64` additions as the scalar kernel.
///
/// # Safety
/// AVX-512F must be available, `block` must come from `p.block()`, `p.d <= WIDE_MAX_FEATURES`,
/// the tables must hold `p.table_stride` entries per tree (≥ 32, ≥ the entries of the levels
/// taken here), and every offset must be `<= (d − 1)·LANES` (all guaranteed by `Prepared`).
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn path_sums_wide(p: &Prepared<'_>, block: &mut Block) {
    // SAFETY (all arms): this function's contract, with `D == p.d`.
    unsafe {
        match p.d {
            1 => wide::<1>(p, block),
            2 => wide::<2>(p, block),
            3 => wide::<3>(p, block),
            4 => wide::<4>(p, block),
            5 => wide::<5>(p, block),
            6 => wide::<6>(p, block),
            7 => wide::<7>(p, block),
            8 => wide::<8>(p, block),
            9 => wide::<9>(p, block),
            10 => wide::<10>(p, block),
            11 => wide::<11>(p, block),
            12 => wide::<12>(p, block),
            13 => wide::<13>(p, block),
            14 => wide::<14>(p, block),
            15 => wide::<15>(p, block),
            _ => wide::<16>(p, block),
        }
    }
}

/// [`path_sums_wide`] for `D` features.
#[target_feature(enable = "avx512f")]
unsafe fn wide<const D: usize>(p: &Prepared<'_>, block: &mut Block) {
    const {
        assert!(D >= 1 && D <= WIDE_MAX_FEATURES && LANES == 16);
        assert!(super::BLOCK.is_multiple_of(INTERLEAVE * LANES));
    };
    assert_eq!(p.d, D, "kernel instantiated for another feature count");
    let width = 1usize << p.depth;
    let levels = p.depth.min(WIDE_LEVELS);
    let stride = p.table_stride;
    assert!(
        stride >= 32 && stride >= 1 << levels,
        "split tables too short"
    );
    let trees = p
        .steps
        .chunks_exact(width)
        .zip(p.leaves.chunks_exact(width))
        .zip(
            p.thresholds
                .chunks_exact(stride)
                .zip(p.offsets.chunks_exact(stride)),
        );
    for ((steps, leaves), (thr, off)) in trees {
        // SAFETY: AVX-512F is available; `thr` and `off` hold `stride >= 32` entries.
        let top = unsafe {
            (
                (
                    _mm512_loadu_ps(thr.as_ptr()),
                    _mm512_loadu_ps(thr.as_ptr().add(16)),
                ),
                (
                    _mm512_loadu_si512(off.as_ptr().cast()),
                    _mm512_loadu_si512(off.as_ptr().add(16).cast()),
                ),
            )
        };
        // INTERLEAVE lane groups at a time: their walks are independent chains of dependent
        // permutes and compares, which the core overlaps.
        let groups = block.rows.chunks_exact(INTERLEAVE * LANES * D);
        let lanes = block
            .at
            .chunks_exact_mut(INTERLEAVE * LANES)
            .zip(block.sums.chunks_exact_mut(INTERLEAVE * LANES));
        for (group, (at, sums)) in groups.zip(lanes) {
            // SAFETY: as above; `group` holds INTERLEAVE groups of `D` rows of 16 values, the
            // tables the entries of `levels` levels, offsets are checked multiples of 16
            // below `16·D`.
            let a = unsafe { walk::<D>(group, top, thr, off, levels) };
            if levels == p.depth {
                // Each row's bottom slot `a − 2^depth` (after `depth` steps from 1, `a` is in
                // [2^depth, 2^(depth+1)), so the slot is in `0..leaves.len()`): its path
                // length gathered and added to the row's sum, eight rows per instruction.
                let w = _mm512_set1_epi32(width as i32);
                for (rows, a) in sums.chunks_exact_mut(LANES).zip(&a) {
                    let slot = _mm512_sub_epi32(*a, w);
                    let halves = [
                        _mm512_castsi512_si256(slot),
                        _mm512_extracti64x4_epi64::<1>(slot),
                    ];
                    for (eight, idx) in rows.chunks_exact_mut(8).zip(halves) {
                        let at = eight.as_mut_ptr();
                        // SAFETY: every index is a slot in `0..leaves.len()` (above); `at`
                        // points to 8 `f64`.
                        unsafe {
                            let leaf = _mm512_i32gather_pd::<8>(idx, leaves.as_ptr().cast());
                            _mm512_storeu_pd(at, _mm512_add_pd(_mm512_loadu_pd(at), leaf));
                        }
                    }
                }
            } else {
                let mut slots = [0u32; INTERLEAVE * LANES];
                for (k, a) in a.iter().enumerate() {
                    // SAFETY: `slots[16k..16k + 16]` is in bounds (k < INTERLEAVE).
                    unsafe { _mm512_storeu_si512(slots.as_mut_ptr().add(k * LANES).cast(), *a) };
                }
                at.copy_from_slice(&slots);
            }
        }
        if levels < p.depth {
            p.finish_tree(steps, leaves, block, levels);
        }
    }
}

type Tables = ((__m512, __m512), (__m512i, __m512i));

/// Walks INTERLEAVE lane groups (`groups`: each `D` feature rows of 16 values) through levels
/// `0..levels` of one tree (`top`: its entries 0–31 in registers; `thr`, `off`: its tables);
/// returns the split numbers reached.
///
/// # Safety
/// AVX-512F must be available; `groups.len() == INTERLEAVE·16·D`; `thr` and `off` hold at
/// least `max(32, 2^levels)` entries; offsets are multiples of 16 below `16·D`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn walk<const D: usize>(
    groups: &[f32],
    top: Tables,
    thr: &[f32],
    off: &[i32],
    levels: u32,
) -> [__m512i; INTERLEAVE] {
    debug_assert!(groups.len() == INTERLEAVE * LANES * D && thr.len() >= 1 << levels);
    unsafe {
        let rows: [[__m512; D]; INTERLEAVE] = std::array::from_fn(|g| {
            std::array::from_fn(|f| _mm512_loadu_ps(groups.as_ptr().add((g * D + f) * LANES)))
        });
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let one = _mm512_set1_epi32(1);
        let ((t_lo, t_hi), (o_lo, o_hi)) = top;
        let mut a = [one; INTERLEAVE];
        for level in 0..levels {
            for (a, rows) in a.iter_mut().zip(&rows) {
                // Entries of this level: [2^level, 2^(level+1)); a permute takes a's low five
                // bits.
                let (t, o) = match level {
                    0..=4 => (
                        _mm512_permutex2var_ps(t_lo, *a, t_hi),
                        _mm512_permutex2var_epi32(o_lo, *a, o_hi),
                    ),
                    5 => wide_lookup::<1>(thr, off, 32, *a),
                    6 => wide_lookup::<2>(thr, off, 64, *a),
                    7 => wide_lookup::<4>(thr, off, 128, *a),
                    8 => wide_lookup::<8>(thr, off, 256, *a),
                    _ => wide_lookup::<16>(thr, off, 512, *a),
                };
                let x = select::<D>(rows, o, iota);
                let right = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, t);
                let twice = _mm512_add_epi32(*a, *a);
                *a = _mm512_mask_add_epi32(twice, right, twice, one);
            }
        }
        a
    }
}

/// Each lane's threshold and offset for split `a` of a level whose `N` blocks of 32 entries
/// start at `base`: one permute per block, then blends on bits 5, 6, … of `a` pick the block.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn wide_lookup<const N: usize>(
    thr: &[f32],
    off: &[i32],
    base: usize,
    a: __m512i,
) -> (__m512, __m512i) {
    debug_assert!(thr.len() >= base + 32 * N && off.len() >= base + 32 * N);
    unsafe {
        let mut t: [__m512; N] = std::array::from_fn(|j| {
            let p = thr.as_ptr().add(base + 32 * j);
            _mm512_permutex2var_ps(_mm512_loadu_ps(p), a, _mm512_loadu_ps(p.add(16)))
        });
        let mut o: [__m512i; N] = std::array::from_fn(|j| {
            let p = off.as_ptr().add(base + 32 * j);
            _mm512_permutex2var_epi32(
                _mm512_loadu_si512(p.cast()),
                a,
                _mm512_loadu_si512(p.add(16).cast()),
            )
        });
        let (mut n, mut bit) = (N, 32);
        while n > 1 {
            let upper = _mm512_test_epi32_mask(a, _mm512_set1_epi32(bit));
            for i in 0..n / 2 {
                t[i] = _mm512_mask_blend_ps(upper, t[2 * i], t[2 * i + 1]);
                o[i] = _mm512_mask_blend_epi32(upper, o[2 * i], o[2 * i + 1]);
            }
            n /= 2;
            bit *= 2;
        }
        (t[0], o[0])
    }
}

/// Each lane's value of its feature: `offsets` holds `feature·16`, so `offset + lane` indexes
/// the group's feature rows two at a time (a permute per pair of rows, its bit 4 the feature's
/// low bit), and blends on the offset's bits 5, 6, … pick the pair.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn select<const D: usize>(rows: &[__m512; D], offsets: __m512i, iota: __m512i) -> __m512 {
    if D == 1 {
        return rows[0];
    }
    let idx = _mm512_add_epi32(offsets, iota);
    let mut v = [_mm512_setzero_ps(); WIDE_MAX_FEATURES / 2];
    let pairs = D.div_ceil(2);
    for (k, v) in v.iter_mut().enumerate().take(pairs) {
        *v = _mm512_permutex2var_ps(rows[2 * k], idx, rows[(2 * k + 1).min(D - 1)]);
    }
    let (mut n, mut bit) = (pairs, 32);
    while n > 1 {
        let upper = _mm512_test_epi32_mask(offsets, _mm512_set1_epi32(bit));
        for i in 0..n / 2 {
            v[i] = _mm512_mask_blend_ps(upper, v[2 * i], v[2 * i + 1]);
        }
        if n % 2 == 1 {
            v[n / 2] = v[n - 1];
        }
        n = n.div_ceil(2);
        bit *= 2;
    }
    v[0]
}
