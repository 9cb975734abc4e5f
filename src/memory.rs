//! Process-wide memory settings for holding millions of rows in growing columns.
//!
//! glibc's allocator serves a block from its heap unless it is larger than a threshold that
//! it raises (up to 32 MiB) each time a large block is freed. A load frees many multi-MiB
//! buffers, so afterwards the columns it grows (tens of MiB each) come from the heap: each
//! growth copies the column to a new place and leaves a hole, and the process holds two to
//! three times the data at its peak. A fixed threshold keeps large blocks mapped on their
//! own, where they grow by remapping and return to the system when freed. Called once by the
//! binary (and the load benchmark) before any work; elsewhere it does nothing. It owns no
//! data and allocates nothing.

/// Blocks above this size are mapped on their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 1024 * 1024;

/// Applies the settings (glibc on Linux; a no-op elsewhere).
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters; it is called before the
    // program's threads start (a failure leaves the defaults, which is harmless).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
