//! Read buffers kept between the files a thread loads, so a folder of a thousand small gzip
//! files does not map, fault in and unmap fresh buffers for each one.
//!
//! A [`Block`] is a byte buffer that goes back to its thread's short list when dropped
//! (cleared, its capacity kept) and is taken from that list when a loader starts. At most
//! [`KEEP`] buffers of up to [`KEEP_BYTES`] are kept per thread, and [`release_all`] frees
//! them when a load ends, so nothing stays held between loads. It owns no data between uses
//! and never reads input itself.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Buffers kept per thread.
const KEEP: usize = 2;
/// Largest capacity kept: a 16 MiB read block with what a record cut at its end adds.
const KEEP_BYTES: usize = 32 * 1024 * 1024;

thread_local! {
    static KEPT: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Frees the buffers kept by every thread of the thread pool and by this one.
pub fn release_all() {
    rayon::broadcast(|_| release());
    release();
}

fn release() {
    let _ = KEPT.try_with(|k| k.borrow_mut().clear());
}

/// A byte buffer returned to its thread's list when dropped.
#[derive(Debug, Default)]
pub struct Block(Vec<u8>);

impl Block {
    /// An empty buffer, with the capacity of one this thread used before if it kept one.
    pub fn take() -> Self {
        let kept = KEPT.try_with(|k| k.borrow_mut().pop()).ok().flatten();
        Block(kept.unwrap_or_default())
    }
}

impl Deref for Block {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for Block {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        if v.capacity() == 0 || v.capacity() > KEEP_BYTES {
            return;
        }
        v.clear();
        // During thread teardown the list may be gone: the buffer is then simply freed.
        let _ = KEPT.try_with(|k| {
            let mut k = k.borrow_mut();
            if k.len() < KEEP {
                k.push(v);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_taken_again_empty_with_its_capacity() {
        // Own thread: the list starts empty and no other test shares it.
        std::thread::spawn(|| {
            let mut b = Block::take();
            assert_eq!(b.capacity(), 0);
            b.extend_from_slice(&[7; 100_000]);
            let cap = b.capacity();
            let ptr = b.as_ptr();
            drop(b);
            let again = Block::take();
            assert!(again.is_empty());
            assert_eq!((again.capacity(), again.as_ptr()), (cap, ptr));
            // Only one was kept.
            assert_eq!(Block::take().capacity(), 0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn large_buffers_and_more_than_the_limit_are_freed() {
        std::thread::spawn(|| {
            let mut big = Block::take();
            big.reserve(KEEP_BYTES + 1);
            drop(big);
            assert_eq!(Block::take().capacity(), 0);
            let blocks: Vec<Block> = (0..KEEP + 2)
                .map(|_| {
                    let mut b = Block::take();
                    b.reserve(1000);
                    b
                })
                .collect();
            drop(blocks);
            let kept: Vec<Block> = (0..KEEP + 2).map(|_| Block::take()).collect();
            let with_room = kept.iter().filter(|b| b.capacity() > 0).count();
            assert_eq!(with_room, KEEP);
            drop(kept);
            release();
            assert_eq!(Block::take().capacity(), 0);
        })
        .join()
        .unwrap();
    }
}
