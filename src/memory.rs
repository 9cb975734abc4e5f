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
const MMAP_THRESHOLD: i32 = 256 * 1024;

/// Applies the settings (glibc on Linux; a no-op elsewhere).
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters; it is called before the
    // program's threads start (a failure leaves the defaults, which is harmless).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Blocks up to this size come from the allocator's heap once [`for_analysis`] has run.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ANALYSIS_MMAP_THRESHOLD: i32 = 32 * 1024 * 1024;

/// Free heap memory the allocator keeps for reuse once [`for_analysis`] has run.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ANALYSIS_TRIM_THRESHOLD: i32 = 1024 * 1024 * 1024;

/// Switches to settings for the phase after a one-shot load: the data no longer grows, and
/// statistics and detection allocate and free many short-lived buffers of a column's size
/// (megabytes each). Mapped on their own, each would be returned to the system when freed and
/// its pages faulted in and zeroed again by the next one; kept in the heap, they are reused.
/// Only for headless commands that load once and then analyse (a followed or explored dataset
/// keeps growing, and keeps [`tune`]'s settings).
pub fn for_analysis() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` takes the allocator's lock and only changes two of its thresholds
    // (glibc itself raises them from `free` while threads run); a failure leaves the
    // current settings, which is harmless.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, ANALYSIS_MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, ANALYSIS_TRIM_THRESHOLD);
    }
}
