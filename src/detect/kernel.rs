//! The scoring hot loop: path-length sums for one block of rows through every tree.
//!
//! Owns the kernel's data layout ([`Prepared`] splits, the [`Block`] buffers) and its two
//! implementations: portable scalar code, and an AVX2 version (x86-64, chosen at run time) that takes
//! the first five levels of every tree eight rows per instruction. Both compare the same `f32` values
//! with the same `>` and add the same `f64` path lengths in tree order, so they give bit-identical
//! sums (a test checks this). Callers (`score.rs`) own parallelism, progress and cancellation; this
//! file must not.
//!
//! Layout: a block is `BLOCK` rows in groups of `LANES`; inside a group values are feature-major
//! (`group[f * LANES + lane]`), so a step reads `group[offset + lane]` with `offset = f * LANES`
//! stored in the split. Splits are numbered from 1 per tree (children of `i` at `2i` and `2i + 1`, slot
//! 0 unused), so one step is `a = 2a + (x > threshold)`; after `depth` steps `a − 2^depth` is the
//! bottom slot. Steps are taken level by level over the whole block: the rows' walks are independent,
//! so the CPU overlaps hundreds of them instead of waiting on each one's chain of loads.

#[cfg(test)]
use super::FeatureMatrix;
use super::forest::IsolationForest;
use super::{DetectError, FeatureRows};

/// Rows per block: big enough to amortise walking all trees' nodes through the cache, small enough
/// for the buffers to stay in L1/L2 and for cancellation to be noticed within microseconds.
pub(crate) const BLOCK: usize = 512;
/// Rows per lane group of the block layout.
const LANES: usize = 16;
/// Above this many features the vector kernel's per-feature masking costs more than it saves
/// (measured on the benchmarks: faster with 3 and 6 features, slower with 9 and 10).
const SIMD_MAX_FEATURES: usize = 6;
/// The AVX-512 kernel keeps a lane group's feature rows in registers: up to this many features.
const WIDE_MAX_FEATURES: usize = 16;
/// Levels the AVX-512 kernel takes with in-register table lookups (deeper ones are scalar): level
/// `l` reads 2^(l−5) pairs of registers per table from level 5 on.
const WIDE_LEVELS: u32 = 10;
/// Lane groups the AVX-512 kernel walks together (`BLOCK` is a multiple of `INTERLEAVE · LANES`).
const INTERLEAVE: usize = 4;

/// One split as the kernel reads it.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Step {
    threshold: f32,
    /// `feature * LANES`: where the feature's values start inside a lane group.
    offset: u32,
}

/// The forest's splits re-laid for the kernel, built once per scoring call.
pub(crate) struct Prepared<'f> {
    steps: Vec<Step>,
    leaves: &'f [f64],
    depth: u32,
    d: usize,
    /// Use the AVX2 kernel (only ever true on x86-64).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    avx2: bool,
    /// The splits again as two flat tables (thresholds; offsets) for the AVX-512 kernel, each tree
    /// padded to `table_stride` entries; empty when that kernel is not used.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    thresholds: Vec<f32>,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    offsets: Vec<i32>,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    table_stride: usize,
}

/// Per-thread buffers for one block.
pub(crate) struct Block {
    /// Feature values in the kernel layout, `BLOCK · d`.
    rows: Vec<f32>,
    /// Each row's current split number.
    at: Vec<u32>,
    /// Each row's path-length sum over the trees so far.
    pub(crate) sums: Vec<f64>,
    /// One feature's values for the block, as read from the source.
    scratch: Vec<f64>,
}

impl<'f> Prepared<'f> {
    /// Re-lays `forest` for scoring rows of `d` features.
    pub(crate) fn new(forest: &'f IsolationForest, d: usize) -> Result<Self, DetectError> {
        let internal = forest.nodes_per_tree();
        let mut steps = Vec::with_capacity(forest.trees() * (internal + 1));
        for t in 0..forest.trees() {
            steps.push(Step {
                threshold: f32::INFINITY,
                offset: 0,
            });
            for n in &forest.nodes[t * internal..(t + 1) * internal] {
                let feature = n.feature as usize;
                // A forest is built with features < d; the kernels' unchecked reads rely on it, so
                // it is checked here rather than trusted.
                let offset = u32::try_from(feature * LANES)
                    .ok()
                    .filter(|_| feature < d)
                    .ok_or_else(|| DetectError::FeatureMismatch {
                        expected: forest.feature_names().join(", "),
                        found: format!("a split on feature #{feature}"),
                    })?;
                steps.push(Step {
                    threshold: n.threshold,
                    offset,
                });
            }
        }
        let depth = forest.depth;
        let width = 1usize << depth;
        let wide = d <= WIDE_MAX_FEATURES && avx512_available();
        // Entries of levels 0..WIDE_LEVELS (numbers below 2^WIDE_LEVELS), at least 32 (one pair
        // of registers) so the first table load is always in bounds.
        let table_stride = if wide {
            width.clamp(32, 1 << WIDE_LEVELS)
        } else {
            0
        };
        let mut thresholds = Vec::new();
        let mut offsets = Vec::new();
        if wide {
            thresholds.reserve(forest.trees() * table_stride);
            offsets.reserve(forest.trees() * table_stride);
            for tree in steps.chunks_exact(width) {
                for i in 0..table_stride {
                    let s = tree.get(i).copied().unwrap_or(Step {
                        threshold: f32::INFINITY,
                        offset: 0,
                    });
                    thresholds.push(s.threshold);
                    // At most (WIDE_MAX_FEATURES − 1)·LANES: fits an i32.
                    offsets.push(s.offset as i32);
                }
            }
        }
        Ok(Self {
            steps,
            leaves: &forest.leaves,
            depth,
            d,
            avx2: !wide && d <= SIMD_MAX_FEATURES && avx2_available(),
            thresholds,
            offsets,
            table_stride,
        })
    }

    /// Whether the AVX-512 kernel scores with this preparation.
    #[cfg(test)]
    fn wide(&self) -> bool {
        self.table_stride > 0
    }

    /// Fresh buffers for one block.
    pub(crate) fn block(&self) -> Block {
        Block {
            rows: vec![0.0; BLOCK * self.d],
            at: vec![0; BLOCK],
            sums: vec![0.0; BLOCK],
            scratch: vec![0.0; BLOCK],
        }
    }

    /// Loads rows `first..first + len` of `source` (`len <= BLOCK`) and sums their path lengths over
    /// all trees into `block.sums` (entries past `len` are padding).
    pub(crate) fn run<R: FeatureRows + ?Sized>(
        &self,
        source: &R,
        first: usize,
        len: usize,
        block: &mut Block,
    ) {
        // The kernels' unchecked reads rely on these sizes (a block made for another `d` would
        // break them), so they are asserted, not assumed.
        assert!(
            block.rows.len() == BLOCK * self.d
                && block.at.len() == BLOCK
                && block.sums.len() == BLOCK
                && block.scratch.len() == BLOCK
                && len <= BLOCK
                && source.names().len() == self.d,
            "block buffers do not match the prepared forest"
        );
        load_block(source, self.d, first, len, block);
        block.sums.fill(0.0);
        #[cfg(target_arch = "x86_64")]
        if self.table_stride > 0 {
            // SAFETY: AVX-512F was detected at run time (`table_stride > 0` only then),
            // `d <= WIDE_MAX_FEATURES`, the buffers were sized by `block()` for this `d`, the
            // tables hold `table_stride` entries per tree, and `new` checked every offset.
            return unsafe { x86::path_sums_wide(self, block) };
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: AVX2 was detected at run time, `d <= SIMD_MAX_FEATURES`, the buffers were
            // sized by `block()` for this `d`, and `new` checked every offset.
            return unsafe { x86::path_sums(self, block) };
        }
        self.path_sums_scalar(block);
    }

    /// The portable kernel.
    fn path_sums_scalar(&self, block: &mut Block) {
        let width = 1usize << self.depth;
        let trees = self
            .steps
            .chunks_exact(width)
            .zip(self.leaves.chunks_exact(width));
        for (steps, leaves) in trees {
            block.at.fill(1);
            self.finish_tree(steps, leaves, block, 0);
        }
    }

    /// Takes every row of the block from level `from` (its split number in `block.at`) to the bottom
    /// of one tree and adds the bottom slot's path length to the row's sum. Levels are taken one at
    /// a time over the whole block; the last one is fused with the addition.
    #[inline]
    fn finish_tree(&self, steps: &[Step], leaves: &[f64], block: &mut Block, from: u32) {
        debug_assert_eq!(steps.len(), 1 << self.depth);
        let width = leaves.len();
        let Block { rows, at, sums, .. } = block;
        let groups = || rows.chunks_exact(LANES * self.d);
        let step = |group: &[f32], l: usize, i: usize| -> usize {
            debug_assert!(i < steps.len());
            // SAFETY: `steps.len() == 2^depth` and after k < depth steps `i < 2^(k+1)`.
            let n = unsafe { *steps.get_unchecked(i) };
            let o = n.offset as usize + l;
            debug_assert!(o < group.len());
            // SAFETY: `offset <= (d − 1)·LANES` (checked in `new`), `l < LANES`, and
            // `group.len() == LANES·d`.
            let x = unsafe { *group.get_unchecked(o) };
            2 * i + usize::from(x > n.threshold)
        };
        if from >= self.depth {
            for (s, &a) in sums.iter_mut().zip(at.iter()) {
                *s += leaves[a as usize - width];
            }
            return;
        }
        for _ in from..self.depth - 1 {
            for (group, at) in groups().zip(at.chunks_exact_mut(LANES)) {
                for (l, a) in at.iter_mut().enumerate() {
                    *a = step(group, l, *a as usize) as u32;
                }
            }
        }
        let lanes = at.chunks_exact(LANES).zip(sums.chunks_exact_mut(LANES));
        for (group, (at, sums)) in groups().zip(lanes) {
            for (l, (&a, s)) in at.iter().zip(sums.iter_mut()).enumerate() {
                *s += leaves[step(group, l, a as usize) - width];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn avx512_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx512_available() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_available() -> bool {
    false
}

/// Copies rows `first..first + len` of `source` into `block.rows` as `f32` in the kernel's layout,
/// zero-filling the rest of the block.
fn load_block<R: FeatureRows + ?Sized>(
    source: &R,
    d: usize,
    first: usize,
    len: usize,
    block: &mut Block,
) {
    let buf = &mut block.rows;
    buf.fill(0.0);
    let scratch = &mut block.scratch[..len];
    for f in 0..d {
        source.fill(f, first, scratch);
        for (i, &v) in scratch.iter().enumerate() {
            buf[(i / LANES) * LANES * d + f * LANES + i % LANES] = v as f32;
        }
    }
}

#[cfg(target_arch = "x86_64")]
// Intrinsics are `unsafe fn`s up to Rust 1.86 and safe inside `#[target_feature]` functions from
// 1.87: the `unsafe` blocks below are needed by the first and redundant for the second.
#[allow(unused_unsafe)]
mod x86 {
    use super::{
        Block, INTERLEAVE, LANES, Prepared, SIMD_MAX_FEATURES, WIDE_LEVELS, WIDE_MAX_FEATURES,
    };
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
                        unsafe {
                            _mm512_storeu_si512(slots.as_mut_ptr().add(k * LANES).cast(), *a)
                        };
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
    unsafe fn select<const D: usize>(
        rows: &[__m512; D],
        offsets: __m512i,
        iota: __m512i,
    ) -> __m512 {
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

    /// Levels the vector code takes: the splits of levels 0–4 (numbers 1–31) fit in four 8-entry
    /// tables, looked up with in-register permutes rather than memory gathers (slow on many CPUs).
    const TABLE_LEVELS: u32 = 5;

    /// The AVX2 kernel: levels 0–4 eight rows per instruction, deeper levels scalar.
    ///
    /// # Safety
    /// AVX2 must be available, `block` must come from `p.block()`, `p.d <= SIMD_MAX_FEATURES`, and
    /// every step's offset must be `<= (d − 1)·LANES` (all guaranteed by `Prepared::run`).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn path_sums(p: &Prepared<'_>, block: &mut Block) {
        debug_assert!(p.d <= SIMD_MAX_FEATURES);
        let width = 1usize << p.depth;
        let table_levels = p.depth.min(TABLE_LEVELS);
        let trees = p
            .steps
            .chunks_exact(width)
            .zip(p.leaves.chunks_exact(width));
        for (steps, leaves) in trees {
            let mut thresholds = [f32::INFINITY; 32];
            let mut offsets = [0i32; 32];
            for (i, s) in steps.iter().take(32).enumerate() {
                thresholds[i] = s.threshold;
                offsets[i] = s.offset as i32;
            }
            // SAFETY: each load reads 8 values inside a 32-value array.
            let tables: [(__m256, __m256i); 4] = std::array::from_fn(|k| unsafe {
                (
                    _mm256_loadu_ps(thresholds.as_ptr().add(8 * k)),
                    _mm256_loadu_si256(offsets.as_ptr().add(8 * k).cast()),
                )
            });
            let groups = block.rows.chunks_exact(LANES * p.d);
            for (group, at) in groups.zip(block.at.chunks_exact_mut(LANES)) {
                for (half, at) in at.chunks_exact_mut(8).enumerate() {
                    // SAFETY: AVX2 is available (this function's contract); `group[half * 8..]`
                    // holds `d` feature rows of `LANES` values from `half * 8`.
                    let a = unsafe { table_walk(&tables, &group[half * 8..], p.d, table_levels) };
                    // SAFETY: `at` has exactly 8 `u32`.
                    unsafe { _mm256_storeu_si256(at.as_mut_ptr().cast(), a) };
                }
            }
            p.finish_tree(steps, leaves, block, table_levels);
        }
    }

    /// Steps eight rows (lanes `0..8` of `lanes`, a lane group from some offset) through the first
    /// `levels` (≤ 5) levels using the four split tables; returns their split numbers.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn table_walk(
        tables: &[(__m256, __m256i); 4],
        lanes: &[f32],
        d: usize,
        levels: u32,
    ) -> __m256i {
        unsafe {
            let one = _mm256_set1_epi32(1);
            if levels == 0 {
                return one;
            }
            // Level 0: every row is at the root, so its split applies to all lanes.
            let root = lookup(tables[0], one);
            let mut a = step(one, root, select_values(lanes, d, root.1));
            for level in 1..levels {
                let split = match level {
                    1 | 2 => lookup(tables[0], a),
                    3 => lookup(tables[1], a),
                    _ => {
                        let (t2, o2) = lookup(tables[2], a);
                        let (t3, o3) = lookup(tables[3], a);
                        // Splits 16–23 or 24–31: bit 3 of the number.
                        let eight = _mm256_set1_epi32(8);
                        let upper = _mm256_cmpeq_epi32(_mm256_and_si256(a, eight), eight);
                        (
                            _mm256_blendv_ps(t2, t3, _mm256_castsi256_ps(upper)),
                            _mm256_blendv_epi8(o2, o3, upper),
                        )
                    }
                };
                a = step(a, split, select_values(lanes, d, split.1));
            }
            a
        }
    }

    /// One level: `a = 2a + (x > threshold)`, the comparison's all-ones mask being −1.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn step(a: __m256i, (t, _): (__m256, __m256i), x: __m256) -> __m256i {
        unsafe {
            let right = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_GT_OQ>(x, t));
            _mm256_sub_epi32(_mm256_add_epi32(a, a), right)
        }
    }

    /// Threshold and offset of split `a` (its low three bits) from one 8-entry table.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn lookup((t, o): (__m256, __m256i), a: __m256i) -> (__m256, __m256i) {
        unsafe {
            (
                _mm256_permutevar8x32_ps(t, a),
                _mm256_permutevar8x32_epi32(o, a),
            )
        }
    }

    /// Each lane's value of the feature whose offset it holds: the lane group's feature rows masked
    /// by "this lane's offset is this feature's" and OR-ed together (a shallower dependency chain
    /// than a sequence of blends).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn select_values(lanes: &[f32], d: usize, offsets: __m256i) -> __m256 {
        let masked = |f: usize| -> __m256 {
            let v = &lanes[f * LANES..f * LANES + 8];
            // SAFETY: `v` has exactly 8 elements; the rest are register operations.
            unsafe {
                let here = _mm256_cmpeq_epi32(offsets, _mm256_set1_epi32((f * LANES) as i32));
                _mm256_and_ps(_mm256_loadu_ps(v.as_ptr()), _mm256_castsi256_ps(here))
            }
        };
        let (mut even, mut odd) = (masked(0), unsafe { _mm256_setzero_ps() });
        for f in 1..d {
            if f % 2 == 1 {
                odd = unsafe { _mm256_or_ps(odd, masked(f)) };
            } else {
                even = unsafe { _mm256_or_ps(even, masked(f)) };
            }
        }
        unsafe { _mm256_or_ps(even, odd) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::ForestParams;

    /// `n` rows of `d` features with negatives, zeros of both signs, repeats and large magnitudes.
    fn awkward_matrix(n: usize, d: usize) -> FeatureMatrix {
        let columns = (0..d)
            .map(|f| {
                (0..n)
                    .map(|i| {
                        let k = (i * (2 * f + 7) + f * 13) % 97;
                        match k % 5 {
                            0 => -0.0,
                            1 => 0.0,
                            2 => -(k as f64) * 1.5e6,
                            _ => (k as f64).powi(3) / 7.0,
                        }
                    })
                    .collect()
            })
            .collect();
        FeatureMatrix::new((0..d).map(|f| format!("f{f}")).collect(), columns).unwrap()
    }

    fn sums(p: &Prepared<'_>, m: &FeatureMatrix) -> Vec<u64> {
        let mut block = p.block();
        let mut out = vec![];
        for first in (0..m.rows()).step_by(BLOCK) {
            let len = BLOCK.min(m.rows() - first);
            p.run(m, first, len, &mut block);
            out.extend(block.sums[..len].iter().map(|s| s.to_bits()));
        }
        out
    }

    /// The three kernels of one forest: (AVX-512 if this CPU has it, AVX2 if it has it, scalar).
    fn kernels<'f>(
        forest: &'f IsolationForest,
        d: usize,
    ) -> (Option<Prepared<'f>>, Option<Prepared<'f>>, Prepared<'f>) {
        let base = || Prepared::new(forest, d).unwrap();
        let wide = Some(base()).filter(Prepared::wide);
        let avx2 = (d <= SIMD_MAX_FEATURES && avx2_available()).then(|| {
            let mut p = base();
            p.table_stride = 0;
            p.avx2 = true;
            p
        });
        let mut scalar = base();
        scalar.table_stride = 0;
        scalar.avx2 = false;
        (wide, avx2, scalar)
    }

    #[test]
    fn vector_and_scalar_kernels_agree_bit_for_bit() {
        if !avx2_available() && !avx512_available() {
            eprintln!(
                "skipped: this CPU has neither AVX2 nor AVX-512, only the scalar kernel runs"
            );
            return;
        }
        if !avx512_available() {
            eprintln!("note: no AVX-512 on this CPU, only the AVX2 kernel is compared");
        }
        // Depths 0 (identical rows), 1, 4 (< the five register-table levels), 5, 8, 10 (the
        // last AVX-512 table level) and 11 (past it); 1 to WIDE_MAX_FEATURES features (odd and
        // even counts, for the pairwise feature selection).
        let cases = [
            (1, 256),
            (3, 2),
            (3, 16),
            (2, 32),
            (3, 256),
            (5, 256),
            (6, 1024),
            (7, 256),
            (9, 512),
            (10, 256),
            (13, 2048),
            (16, 256),
        ];
        for (d, sample) in cases {
            let m = awkward_matrix(1500, d);
            let params = ForestParams {
                trees: 20,
                sample_size: Some(sample),
                seed: d as u64,
            };
            let forest = IsolationForest::fit(&m, &params).unwrap();
            let (wide, avx2, scalar) = kernels(&forest, d);
            assert_eq!(wide.is_some(), avx512_available());
            let expected = sums(&scalar, &m);
            if let Some(w) = &wide {
                assert_eq!(sums(w, &m), expected, "AVX-512, d = {d}, sample = {sample}");
            }
            if let Some(v) = &avx2 {
                assert_eq!(sums(v, &m), expected, "AVX2, d = {d}, sample = {sample}");
            }
        }
        let same = FeatureMatrix::new(vec!["a".into()], vec![vec![2.5; 40]]).unwrap();
        let forest = IsolationForest::fit(&same, &ForestParams::default()).unwrap();
        assert_eq!(forest.depth, 0);
        let (wide, avx2, scalar) = kernels(&forest, 1);
        let expected = sums(&scalar, &same);
        for p in wide.iter().chain(&avx2) {
            assert_eq!(sums(p, &same), expected);
        }
    }

    #[test]
    fn a_forest_is_checked_against_the_feature_count() {
        let m = awkward_matrix(300, 3);
        let forest = IsolationForest::fit(&m, &ForestParams::default()).unwrap();
        assert!(Prepared::new(&forest, 3).is_ok());
        assert!(matches!(
            Prepared::new(&forest, 1),
            Err(DetectError::FeatureMismatch { .. })
        ));
    }
}
