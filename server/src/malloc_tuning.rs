//! glibc malloc settings that keep the worker's resident memory bounded.
//!
//! The pipeline frees large buffers (decoded images, resize rows, encoder state) all the time. With glibc's
//! defaults two things keep that memory resident after it is freed: every thread that allocates gets an
//! arena of its own (up to 8 per core), and the mmap threshold rises to 32 MiB after the first large free,
//! so later multi-megabyte buffers come from those arenas instead of `mmap` and are never returned. Measured
//! with `bench/worker_rss.py` (docs/pipeline.md): the same hostile batch peaks at 305 MiB with the defaults
//! and about 150 MiB with two arenas and a fixed 128 KiB threshold, for no measurable loss of speed.
//!
//! This does what `MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072` would, unless the operator has set
//! either variable, in which case theirs is kept. Only glibc has these knobs; other C libraries and
//! allocators are left alone.

/// Most arenas; two is enough for a 2-core pod and still avoids contention between the API and the worker.
const ARENA_MAX: i32 = 2;
/// Allocations from this size up are mmapped and go back to the OS when freed.
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Applies the settings. Call first thing in `main`, before any thread is started.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn apply() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator parameters; it is called before other threads exist.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX) };
    }
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: as above. A fixed threshold also turns off glibc's dynamic adjustment of it.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn apply() {}
