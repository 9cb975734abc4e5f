//! The scoring hot loop: path-length sums for one block of rows through every tree.
//!
//! Owns the kernel's data layout ([`Prepared`] splits, the [`Block`] buffers) and its three
//! implementations: portable scalar code here, an AVX2 kernel on quantised features
//! ([`avx2`], [`quantise`]) and an AVX-512 one ([`avx512`]), chosen at run time by [`dispatch`]
//! (CPU features, `THREATLENS_KERNEL`). All of them answer each split with the same `x > threshold`
//! on the same `f32` values and add the same `f64` path lengths in tree order, so they give
//! bit-identical sums (a test checks this on many forest shapes). Callers (`score.rs`) own
//! parallelism, progress and cancellation; this file must not.
//!
//! Layout: a block is `BLOCK` rows in groups of `LANES`; inside a group values are feature-major
//! (`group[f * LANES + lane]`), so a step reads `group[offset + lane]` with `offset = f * LANES`
//! stored in the split. Splits are numbered from 1 per tree (children of `i` at `2i` and `2i + 1`, slot
//! 0 unused), so one step is `a = 2a + (x > threshold)`; after `depth` steps `a − 2^depth` is the
//! bottom slot. Steps are taken level by level over the whole block: the rows' walks are independent,
//! so the CPU overlaps hundreds of them instead of waiting on each one's chain of loads.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub(crate) mod dispatch;
mod quantise;
#[cfg(test)]
mod tests;

use super::forest::IsolationForest;
use super::{DetectError, FeatureRows};
use dispatch::{Kernel, KernelChoice};
use quantise::Quantised;

/// Rows per block: big enough to amortise walking all trees' nodes through the cache, small enough
/// for the buffers to stay in L1/L2 and for cancellation to be noticed within microseconds.
pub(crate) const BLOCK: usize = 512;
/// Rows per lane group of the block layout.
const LANES: usize = 16;
/// The AVX-512 kernel keeps a lane group's feature rows in registers: up to this many features.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const WIDE_MAX_FEATURES: usize = dispatch::VECTOR_MAX_FEATURES;
/// Levels the AVX-512 kernel takes with in-register table lookups (deeper ones are scalar): level
/// `l` reads 2^(l−5) pairs of registers per table from level 5 on.
const WIDE_LEVELS: u32 = 10;
/// Lane groups the AVX-512 kernel walks together (`BLOCK` is a multiple of `INTERLEAVE · LANES`).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
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
    /// The kernel that runs (only one this CPU has).
    kernel: Kernel,
    /// The splits again as two flat tables (thresholds; offsets) for the AVX-512 kernel, each tree
    /// padded to `table_stride` entries; empty when that kernel is not used.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    thresholds: Vec<f32>,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    offsets: Vec<i32>,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    table_stride: usize,
    /// The splits as codes for the AVX2 kernel; `None` when that kernel is not used.
    quantised: Option<Quantised>,
}

/// Per-thread buffers for one block.
pub(crate) struct Block {
    /// Feature values in the kernel layout, `BLOCK · d`.
    rows: Vec<f32>,
    /// The values as codes (AVX2 kernel only, else empty), same layout.
    codes: Vec<i32>,
    /// Each row's current split number.
    at: Vec<u32>,
    /// Each row's path-length sum over the trees so far.
    pub(crate) sums: Vec<f64>,
    /// One feature's values for the block, as read from the source.
    scratch: Vec<f64>,
}

/// The kernel that scores rows of `d` features on this machine, and why (`THREATLENS_KERNEL` read
/// now).
pub fn kernel_choice(d: usize) -> Result<KernelChoice, DetectError> {
    let request = dispatch::requested().map_err(DetectError::KernelRequest)?;
    Ok(dispatch::choose(d, request))
}

impl<'f> Prepared<'f> {
    /// Re-lays `forest` for scoring rows of `d` features with the kernel [`kernel_choice`] picks.
    pub(crate) fn new(forest: &'f IsolationForest, d: usize) -> Result<Self, DetectError> {
        Self::with_kernel(forest, d, kernel_choice(d)?.kernel)
    }

    /// Re-lays `forest` for `kernel`, or for the portable kernel if this CPU or forest cannot use
    /// that one.
    fn with_kernel(
        forest: &'f IsolationForest,
        d: usize,
        kernel: Kernel,
    ) -> Result<Self, DetectError> {
        let steps = steps(forest, d)?;
        let depth = forest.depth;
        let usable = kernel.available() && d <= dispatch::VECTOR_MAX_FEATURES;
        let mut kernel = if usable { kernel } else { Kernel::Portable };
        let quantised = if kernel == Kernel::Avx2 {
            Quantised::new(&steps, depth, d)
        } else {
            None
        };
        if kernel == Kernel::Avx2 && quantised.is_none() {
            kernel = Kernel::Portable;
        }
        let (thresholds, offsets, table_stride) = if kernel == Kernel::Avx512 {
            wide_tables(&steps, depth)
        } else {
            (Vec::new(), Vec::new(), 0)
        };
        Ok(Self {
            steps,
            leaves: &forest.leaves,
            depth,
            d,
            kernel,
            thresholds,
            offsets,
            table_stride,
            quantised,
        })
    }

    /// Fresh buffers for one block.
    pub(crate) fn block(&self) -> Block {
        let codes = if self.quantised.is_some() {
            BLOCK * self.d
        } else {
            0
        };
        Block {
            rows: vec![0.0; BLOCK * self.d],
            codes: vec![0; codes],
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
                && block.codes.len() == self.quantised.as_ref().map_or(0, |_| BLOCK * self.d)
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
        match (self.kernel, &self.quantised) {
            // SAFETY: AVX-512F was detected at run time (`with_kernel` keeps this kernel only
            // then), `d <= WIDE_MAX_FEATURES`, the buffers were sized by `block()` for this `d`,
            // the tables hold `table_stride` entries per tree, and `steps` checked every offset.
            (Kernel::Avx512, _) => return unsafe { avx512::path_sums_wide(self, block) },
            (Kernel::Avx2, Some(q)) => {
                // SAFETY: AVX2 was detected at run time (as above), `q` was built from these
                // steps for `d <= 16` features, the buffers were sized by `block()`.
                return unsafe {
                    avx2::encode(q, &block.rows, &mut block.codes);
                    avx2::path_sums(self, q, block)
                };
            }
            _ => {}
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

/// The forest's splits as kernel steps, `2^depth` per tree (entry 0 a dummy), each feature checked
/// against `d`.
fn steps(forest: &IsolationForest, d: usize) -> Result<Vec<Step>, DetectError> {
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
    Ok(steps)
}

/// The AVX-512 kernel's tables: entries of levels 0..WIDE_LEVELS (numbers below 2^WIDE_LEVELS)
/// per tree, at least 32 (one pair of registers) so the first table load is always in bounds.
fn wide_tables(steps: &[Step], depth: u32) -> (Vec<f32>, Vec<i32>, usize) {
    let width = 1usize << depth;
    let stride = width.clamp(32, 1 << WIDE_LEVELS);
    let trees = steps.len() / width;
    let mut thresholds = Vec::with_capacity(trees * stride);
    let mut offsets = Vec::with_capacity(trees * stride);
    for tree in steps.chunks_exact(width) {
        for i in 0..stride {
            let s = tree.get(i).copied().unwrap_or(Step {
                threshold: f32::INFINITY,
                offset: 0,
            });
            thresholds.push(s.threshold);
            // At most (WIDE_MAX_FEATURES − 1)·LANES: fits an i32.
            offsets.push(s.offset as i32);
        }
    }
    (thresholds, offsets, stride)
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
