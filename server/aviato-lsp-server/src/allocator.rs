//! The process's allocator: jemalloc. A language server allocates and frees a
//! large file's syntax tree and semantic model on every edit, and keeps a little
//! of each revision (its diagnostics, its functions' facts). glibc's malloc left
//! those long-lived chunks scattered over pages it could then not return: after
//! `bench/soak.py` the server held 1.5 to 1.7 times its size after the open,
//! and 45 MB while busy. jemalloc groups allocations by size and returns free
//! pages one by one: 1.3 times, 22 MB while busy, and the edits take less time
//! (docs/benchmarks.md).

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Gives the pages the allocator holds free back to the system. jemalloc returns
/// them over some seconds on its own; once the server is idle there is no reason
/// to wait.
pub(crate) fn release_free_memory() {
    // `MALLCTL_ARENAS_ALL`: every arena.
    const PURGE_ALL: &std::ffi::CStr = c"arena.4096.purge";
    // SAFETY: a purge reads and writes nothing: the pointers are null and the
    // length zero, as jemalloc's `mallctl` documents for it.
    let failed = unsafe {
        tikv_jemalloc_sys::mallctl(
            PURGE_ALL.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    if failed != 0 {
        tracing::debug!("jemalloc did not purge its arenas (error {failed})");
    }
}
