//! Reused block buffers for the streaming readers.
//!
//! Reading a series block by block needs a few buffers of decoded column values per block.
//! Allocating them afresh zeroes them every time (a large share of a block read); a
//! [`Block`] instead takes a buffer from its thread's small pool and gives it back when
//! dropped, so a thread zeroes a buffer only when it first needs one that long. A block's
//! contents are unspecified until written: callers fill every value they read. Pure memory
//! management; it knows nothing of columns.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Buffers longer than this are not kept (a whole-series read is not a block).
const KEEP_MAX: usize = 1 << 16;
/// Buffers kept per thread and type (a block read holds at most a handful at once).
const KEEP: usize = 8;

type Pool<T> = RefCell<Vec<Vec<T>>>;

thread_local! {
    static U64S: Pool<u64> = const { RefCell::new(Vec::new()) };
    static I64S: Pool<i64> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` values from the thread's pool, back in the pool on drop.
pub(crate) struct Block<T: 'static + Copy + Default> {
    values: Vec<T>,
    pool: &'static LocalKey<Pool<T>>,
}

impl<T: 'static + Copy + Default> Block<T> {
    fn take(pool: &'static LocalKey<Pool<T>>, len: usize) -> Self {
        let mut values = pool
            .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
            .ok()
            .flatten()
            .unwrap_or_default();
        if values.len() < len {
            values.resize(len, T::default());
        }
        values.truncate(len);
        Block { values, pool }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.values
    }
}

impl<T: 'static + Copy + Default> std::ops::Deref for Block<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.values
    }
}

impl<'a, T: 'static + Copy + Default> IntoIterator for &'a Block<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.values.iter()
    }
}

impl Block<u64> {
    /// `len` unsigned values, contents unspecified.
    pub(crate) fn u64s(len: usize) -> Self {
        Block::take(&U64S, len)
    }
}

impl Block<i64> {
    /// `len` signed values, contents unspecified.
    pub(crate) fn i64s(len: usize) -> Self {
        Block::take(&I64S, len)
    }
}

impl<T: 'static + Copy + Default> Drop for Block<T> {
    fn drop(&mut self) {
        if self.values.capacity() > KEEP_MAX {
            return;
        }
        let values = std::mem::take(&mut self.values);
        let _ = self.pool.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut()
                && p.len() < KEEP
            {
                p.push(values);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_have_the_asked_length_and_are_reused() {
        let mut a = Block::u64s(100);
        assert_eq!(a.len(), 100);
        a.as_mut_slice().fill(7);
        let ptr = a.as_ptr();
        drop(a);
        // The same buffer comes back, shorter or longer as asked.
        let b = Block::u64s(40);
        assert_eq!(b.len(), 40);
        assert_eq!(b.as_ptr(), ptr);
        drop(b);
        let c = Block::u64s(200);
        assert_eq!(c.len(), 200);
        let d = Block::i64s(3);
        assert_eq!(d.len(), 3);
    }
}
