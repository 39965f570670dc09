//! Allocator tuning for work that allocates and frees the same large buffers over and over.
//!
//! `cracks detect` runs the detector on tens of thousands of images, each needing a few dozen
//! buffers of 1–12 MB (a 2048 × 1536 image in f32). glibc's malloc serves allocations above its
//! mmap threshold (128 KB at start, adapting up to 32 MB) with fresh `mmap`s and returns them to the
//! system on `free`, and it trims the heap top above 128 KB; so every image faulted its buffers
//! in again: about 7 900 page faults and 30 ms of system time per 2048 × 1536 image, a quarter of
//! the per-image CPU (docs/benchmarks/cracks.md). Raising both thresholds keeps the freed buffers
//! in the process for the next image. Peak memory is unchanged in kind: the retained pages are the
//! ones the next image needs anyway.

/// Keep freed buffers of up to 32 MB inside the process instead of handing them back to the
/// system after every image. Only glibc is tuned; elsewhere this does nothing.
pub fn keep_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes malloc parameters; it is called before the worker threads
    // allocate the buffers it concerns, and an unsupported parameter merely returns 0.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20); // glibc's maximum on 64-bit
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}
