//! Virtual time stops when the runtime blocks: a worker that calls
//! `std::thread::sleep` (or loops without awaiting) holds the one thread of
//! the paused-clock runtime, so real seconds pass while virtual time does
//! not, and the experiment then reports that "nothing waited".
//!
//! [`watched_runtime`] builds the experiment's current-thread runtime in
//! virtual time with a watchdog: the runtime marks each time it goes idle
//! (`on_thread_park`) or wakes; a thread of the watchdog's own sees when no
//! such mark came for [`Watchdog::limit`] of real time (a virtual run
//! parks every few milliseconds), and then says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the watchdog says when the runtime was blocked.
pub const BLOCKED: &str = "the worker blocked the runtime: real time passed while virtual time stood still (std::thread::sleep, or a loop that never awaits); use tokio::time::sleep(...).await";

/// The watchdog of one runtime; dropping it stops its thread.
pub struct Watchdog {
    fired: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    notify: Arc<tokio::sync::Notify>,
    pub limit: Duration,
}

impl Watchdog {
    /// Whether the runtime was blocked for `limit` at some point.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Resolves once the runtime was blocked (to race the experiment with).
    pub async fn blocked(&self) {
        loop {
            let notified = self.notify.notified();
            if self.fired() {
                return;
            }
            notified.await;
        }
    }

    /// Runs `future` on `runtime`, or stops it (once the blocking call
    /// returns) with [`BLOCKED`] if the runtime was blocked.
    pub fn block_on<T>(
        &self,
        runtime: &tokio::runtime::Runtime,
        future: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let result = runtime.block_on(async {
            tokio::select! {
                biased;
                () = self.blocked() => Err(anyhow::anyhow!(BLOCKED)),
                result = future => result,
            }
        });
        if self.fired() {
            anyhow::bail!(BLOCKED);
        }
        result
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A current-thread runtime with the paused clock, and its watchdog, which
/// fires when the runtime neither parks nor wakes for `limit` of real time;
/// `on_fire` runs then, on the watchdog's thread (the check program exits
/// there).
pub fn watched_runtime(
    limit: Duration,
    on_fire: impl Fn() + Send + 'static,
) -> std::io::Result<(tokio::runtime::Runtime, Watchdog)> {
    let started = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let mark = {
        let last = last.clone();
        move || last.store(started.elapsed().as_millis() as u64, Ordering::SeqCst)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .on_thread_park(mark.clone())
        .on_thread_unpark(mark)
        .build()?;
    let watchdog = Watchdog {
        fired: Arc::new(AtomicBool::new(false)),
        stop: Arc::new(AtomicBool::new(false)),
        notify: Arc::new(tokio::sync::Notify::new()),
        limit,
    };
    let (fired, stop, notify) = (
        watchdog.fired.clone(),
        watchdog.stop.clone(),
        watchdog.notify.clone(),
    );
    std::thread::Builder::new()
        .name("virtual-time-watchdog".to_owned())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
                let now = started.elapsed().as_millis() as u64;
                if now.saturating_sub(last.load(Ordering::SeqCst)) > limit.as_millis() as u64 {
                    fired.store(true, Ordering::SeqCst);
                    notify.notify_waiters();
                    on_fire();
                    return;
                }
            }
        })?;
    Ok((runtime, watchdog))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_sleep_is_seen_and_stopped() {
        let (runtime, watchdog) = watched_runtime(Duration::from_millis(500), || {}).unwrap();
        let begun = Instant::now();
        let result = watchdog.block_on(&runtime, async {
            tokio::time::sleep(Duration::from_secs(60)).await; // virtual: instant
            std::thread::sleep(Duration::from_millis(1500)); // real: blocks
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        assert!(format!("{}", result.unwrap_err()).contains("std::thread::sleep"));
        assert!(begun.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn virtual_waits_are_not_blocking() {
        let (runtime, watchdog) = watched_runtime(Duration::from_millis(500), || {}).unwrap();
        let result = watchdog.block_on(&runtime, async {
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Ok(7)
        });
        assert_eq!(result.unwrap(), 7);
        assert!(!watchdog.fired());
    }
}
