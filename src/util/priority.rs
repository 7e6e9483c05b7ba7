//! Thread priorities for background work: checkpoints, merges and reclaiming dropped storage
//! take the CPU (and, derived from the nice value, the IO priority) that connection threads
//! leave over, instead of delaying commits.

/// Sets the calling thread's nice value (only this thread's: on Linux the nice value is per
/// thread). Raising one's own nice value needs no privilege; if it fails all the same, the
/// thread keeps running at normal priority and the failure is logged at debug level.
pub fn lower_current_thread(nice: i32) {
    let thread = rustix::thread::gettid();
    if let Err(err) = rustix::process::setpriority_process(Some(thread), nice) {
        tracing::debug!(%err, nice, "could not lower the thread's priority");
    }
}
