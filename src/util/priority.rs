//! Thread priorities and scheduling policies. Background work (checkpoints, merges,
//! reclaiming dropped storage) takes the CPU (and, derived from the nice value, the IO
//! priority) that connection threads leave over, instead of delaying commits; connection
//! threads run under `SCHED_BATCH`, so that waking one does not preempt the thread that woke
//! it.

/// Sets the calling thread's nice value (only this thread's: on Linux the nice value is per
/// thread). Raising one's own nice value needs no privilege; if it fails all the same, the
/// thread keeps running at normal priority and the failure is logged at debug level.
pub fn lower_current_thread(nice: i32) {
    let thread = rustix::thread::gettid();
    if let Err(err) = rustix::process::setpriority_process(Some(thread), nice) {
        tracing::debug!(%err, nice, "could not lower the thread's priority");
    }
}

/// Puts the calling thread under Linux's `SCHED_BATCH` policy, at nice 0: scheduled like any
/// other thread, except that when it is woken it does not preempt the running thread
/// (the kernel treats it as throughput-bound, and the tick decides when it runs).
///
/// Why: serving a commit, a connection thread wakes others all the time: the group-commit
/// writer wakes the committers it made durable, a reply wakes the client, the client's next
/// query wakes the connection thread. With wake-up preemption each of those switches the CPU
/// to the woken thread at once and back soon after, so a thread that had only a few
/// microseconds left before blocking anyway pays two extra context switches. On the 2-core VM
/// of docs/performance.md: insert-heavy pgbench +5%, TPC-B-like +5%. Needs no privilege; if
/// it fails, the thread keeps the default policy and the failure is logged at debug level.
pub fn batch_current_thread() {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    use thread_priority::{ThreadPriority, ThreadPriorityOsValue};
    // The library sets the nice value with the policy: leave a thread that runs at another
    // nice value (the operator started the server with `nice`) as it is.
    let thread = rustix::thread::gettid();
    if rustix::process::getpriority_process(Some(thread)) != Ok(0) {
        return;
    }
    let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    let nice_zero = ThreadPriority::Os(ThreadPriorityOsValue::default());
    if let Err(err) = set_thread_priority_and_policy(thread_native_id(), nice_zero, batch) {
        tracing::debug!(?err, "could not put the thread under SCHED_BATCH");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
    };

    fn on_new_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::spawn(f).join().expect("thread panicked")
    }

    #[test]
    fn a_connection_thread_runs_under_sched_batch_at_nice_zero() {
        let (policy, nice) = on_new_thread(|| {
            batch_current_thread();
            let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid()));
            (thread_schedule_policy().ok(), nice.ok())
        });
        assert_eq!(policy, Some(ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch)));
        assert_eq!(nice, Some(0));
    }

    #[test]
    fn a_thread_at_another_nice_value_is_left_alone() {
        let (policy, nice) = on_new_thread(|| {
            lower_current_thread(5);
            batch_current_thread();
            let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid()));
            (thread_schedule_policy().ok(), nice.ok())
        });
        assert_eq!(policy, Some(ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other)));
        assert_eq!(nice, Some(5));
    }
}
