//! Compiling the statistics' inner loops for the machine's vector unit.
//!
//! The binary targets baseline x86-64 (SSE2), so a loop over four compensated sums runs on
//! two-lane registers at best. [`run`] executes a closure through a function compiled with AVX2
//! when the CPU has it (detected at run time): the closure and the `#[inline(always)]` helpers it
//! calls are inlined into that function and vectorised for four lanes. The same IEEE operations run
//! in the same order either way — no fused multiply-add is formed, none is asked for — so the
//! results are bit-identical with and without AVX2 (tests check both). Pure; no state but the
//! CPU-feature check, which the standard library caches.

/// Runs `f`, compiled for AVX2 when this CPU has it.
#[inline]
pub fn run<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && !forced_portable() {
        // SAFETY: AVX2 was detected on this CPU just now.
        return unsafe { avx2(f) };
    }
    f()
}

/// Tests running [`portable`] now (the pool's threads must see it too, so it is process-wide;
/// other tests running meanwhile take the portable build and get the same bits).
#[cfg(test)]
static PORTABLE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Whether a test asked this thread for the portable build ([`portable`]).
#[inline]
fn forced_portable() -> bool {
    #[cfg(test)]
    return PORTABLE.load(std::sync::atomic::Ordering::SeqCst) > 0;
    #[cfg(not(test))]
    false
}

/// Runs `f` with every [`run`] taking the portable build (tests compare the two).
#[cfg(test)]
pub fn portable<R>(f: impl FnOnce() -> R) -> R {
    use std::sync::atomic::Ordering::SeqCst;
    PORTABLE.fetch_add(1, SeqCst);
    let r = f();
    PORTABLE.fetch_sub(1, SeqCst);
    r
}

/// `f()` in a function compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector-compiled and the portable build of the same compensated sums agree bit for
    /// bit (terms of mixed signs and magnitudes, where the compensation matters).
    #[test]
    fn the_avx2_build_gives_the_portable_bits() {
        use crate::analysis::stats::NeumaierLanes;
        let mut state = 3u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((state % 17) as i32)
        };
        let terms: Vec<[f64; 4]> = (0..20_000)
            .map(|_| std::array::from_fn(|_| next()))
            .collect();
        let sum = || {
            let mut acc = NeumaierLanes::<4>::default();
            for t in &terms {
                acc.add(*t);
            }
            acc.values()
        };
        let portable = portable(|| run(sum));
        let wide = run(sum);
        assert_eq!(portable.map(f64::to_bits), wide.map(f64::to_bits));
    }
}
