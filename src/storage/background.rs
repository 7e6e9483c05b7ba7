//! The background checkpointer: one thread per engine that checkpoints when the memtable
//! reaches its threshold (woken by writers) or on a timer, so writers never do that work.
//! The thread runs at a lower priority than connection threads ([`CHECKPOINTER_NICE`]).

use super::Engine;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Signal {
    wanted: Mutex<bool>,
    wake: Condvar,
    stop: AtomicBool,
}

/// Handle to the checkpointer thread; dropping it (with the engine) stops the thread.
#[derive(Debug, Default)]
pub(super) struct Background {
    signal: Arc<Signal>,
    thread: parking_lot::Mutex<Option<JoinHandle<()>>>,
}

impl Background {
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// Starts the thread. It holds only a weak reference, so it never keeps the engine alive.
    pub(super) fn spawn(&self, engine: Weak<Engine>) {
        let signal = self.signal.clone();
        let spawned = std::thread::Builder::new()
            .name("quorumdb-checkpointer".into())
            .spawn(move || run(engine, signal));
        match spawned {
            Ok(handle) => *self.thread.lock() = Some(handle),
            Err(err) => tracing::error!(error = %err, "could not start the checkpointer thread"),
        }
    }

    /// Stops the thread and waits for it, including any checkpoint it is in the middle of.
    pub(super) fn stop_and_join(&self) {
        self.signal.stop.store(true, Ordering::SeqCst);
        self.signal.wake.notify_one();
        let handle = self.thread.lock().take();
        if let Some(handle) = handle
            && handle.thread().id() != std::thread::current().id()
            && handle.join().is_err()
        {
            tracing::error!("the checkpointer thread panicked");
        }
    }

    /// Asks the thread to check for work now.
    pub(super) fn wake(&self) {
        *self.signal.wanted.lock() = true;
        self.signal.wake.notify_one();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.signal.stop.store(true, Ordering::SeqCst);
        self.signal.wake.notify_one();
    }
}

/// How often mapped checkpoint-file pages are given back to the kernel.
pub(super) const RELEASE_PAGES_EVERY: Duration = Duration::from_millis(500);

/// The checkpointer's nice value. Checkpoints and merges are background work: with a lower
/// CPU (and, derived from it, IO) priority they take what the connection threads leave over
/// instead of delaying commits, and the memory limit still bounds how far they can fall
/// behind (writers wait for them at the limit, which frees the CPU for them).
const CHECKPOINTER_NICE: i32 = 10;

fn run(engine: Weak<Engine>, signal: Arc<Signal>) {
    crate::util::priority::lower_current_thread(CHECKPOINTER_NICE);
    let mut last_checkpoint = Instant::now();
    let mut last_release = Instant::now();
    while !signal.stop.load(Ordering::SeqCst) {
        let Some(engine) = engine.upgrade() else { return };
        if last_release.elapsed() >= RELEASE_PAGES_EVERY {
            engine.release_mapped_pages();
            last_release = Instant::now();
        }
        let levels = engine.current_levels();
        let interval = engine.options.checkpoint_interval;
        let memory_due =
            levels.active.approx_bytes() >= engine.freeze_threshold() || !levels.frozen.is_empty();
        let timer_due = last_checkpoint.elapsed() >= interval && !levels.active.is_empty();
        drop(levels);
        if memory_due || timer_due {
            match engine.checkpoint() {
                Ok(()) => last_checkpoint = Instant::now(),
                Err(err) => {
                    tracing::error!(error = %err, "background checkpoint failed; will retry");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            continue;
        }
        drop(engine);
        let mut wanted = signal.wanted.lock();
        if !*wanted && !signal.stop.load(Ordering::SeqCst) {
            signal.wake.wait_for(&mut wanted, interval.min(RELEASE_PAGES_EVERY));
        }
        *wanted = false;
    }
}
