//! Finding every delimiter and line feed of a plain chunk in one vectorised pass.
//!
//! A log line is mostly short fields (a port, a country code, an address), so searching for the
//! next separator one call at a time (`memchr2_iter`) restarts a vector search every dozen
//! bytes. Here each 64-byte stretch is compared with both bytes at once and turned into a bit
//! mask; the set bits are the separators, visited in order with a count of trailing zeros. SSE2
//! is part of every x86-64 CPU, so no run-time dispatch is needed; elsewhere `memchr2_iter` does
//! the work. Pure; no allocation.

/// Calls `f(i)` for every `i` with `bytes[i] == a || bytes[i] == b`, in ascending order.
#[inline]
pub fn for_each2(bytes: &[u8], a: u8, b: u8, mut f: impl FnMut(usize)) {
    #[cfg(target_arch = "x86_64")]
    {
        let mut base = 0;
        for block in bytes.chunks_exact(64) {
            let mut mask = mask64(block, a, b);
            while mask != 0 {
                f(base + mask.trailing_zeros() as usize);
                mask &= mask - 1;
            }
            base += 64;
        }
        let tail = bytes.get(base..).unwrap_or_default();
        for (i, &x) in tail.iter().enumerate() {
            if x == a || x == b {
                f(base + i);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in memchr::memchr2_iter(a, b, bytes) {
        f(i);
    }
}

/// Bit `k` set when `block[k]` is `a` or `b`; `block` holds 64 bytes.
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask64(block: &[u8], a: u8, b: u8) -> u64 {
    use std::arch::x86_64::*;
    assert!(block.len() >= 64);
    // SAFETY: SSE2 is in the x86-64 baseline; the four unaligned loads read bytes 0..64 of
    // `block`, which holds at least 64 (checked above).
    unsafe {
        let (va, vb) = (_mm_set1_epi8(a as i8), _mm_set1_epi8(b as i8));
        let p = block.as_ptr();
        let mut mask = 0u64;
        for k in 0..4 {
            let v = _mm_loadu_si128(p.add(16 * k).cast());
            let hit = _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb));
            mask |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn positions(bytes: &[u8], a: u8, b: u8) -> Vec<usize> {
        let mut v = Vec::new();
        for_each2(bytes, a, b, |i| v.push(i));
        v
    }

    #[test]
    fn finds_separators_across_block_edges_and_in_the_tail() {
        let mut bytes = vec![b'x'; 200];
        for i in [0, 15, 16, 63, 64, 65, 127, 128, 191, 192, 199] {
            bytes[i] = if i % 2 == 0 { b',' } else { b'\n' };
        }
        assert_eq!(
            positions(&bytes, b',', b'\n'),
            vec![0, 15, 16, 63, 64, 65, 127, 128, 191, 192, 199]
        );
        assert!(positions(b"", b',', b'\n').is_empty());
        // High bytes (signed in the comparison) are compared exactly.
        assert_eq!(positions(b"\xff\xfe;\xff", 0xff, b';'), vec![0, 2, 3]);
    }

    proptest! {
        #[test]
        fn equals_memchr2(bytes in proptest::collection::vec(
            prop_oneof![Just(b','), Just(b'\n'), Just(b'a'), Just(0xe9u8), any::<u8>()], 0..400)) {
            let want: Vec<usize> = memchr::memchr2_iter(b',', b'\n', &bytes).collect();
            prop_assert_eq!(positions(&bytes, b',', b'\n'), want);
        }
    }
}
