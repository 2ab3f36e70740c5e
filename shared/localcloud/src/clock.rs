//! Time, read only through tokio's clock.
//!
//! Everything in localcloud that depends on time (visibility timeouts, delays,
//! Lambda timeouts, timestamps in events and logs) asks a [`Clock`]. Its
//! monotonic side is `tokio::time::Instant`, so a test that calls
//! `tokio::time::pause()` runs a 15-second worker in microseconds and gets the
//! same timeline on every run. Its wall-clock side (epoch milliseconds, for
//! `SentTimestamp`, `timeEpoch`, log timestamps) is derived from the same
//! monotonic clock: a fixed epoch at start plus the tokio time elapsed since.

use tokio::time::{Duration, Instant};

/// A shared view of "now".
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    epoch_millis_at_start: i64,
}

impl Clock {
    /// Starts at the real wall-clock time.
    pub fn system() -> Self {
        let epoch_millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self::starting_at(epoch_millis)
    }

    /// Starts at a given wall-clock time: deterministic timestamps for tests.
    pub fn starting_at(epoch_millis: i64) -> Self {
        Self {
            start: Instant::now(),
            epoch_millis_at_start: epoch_millis,
        }
    }

    /// The monotonic now (tokio's clock: paused in tests).
    pub fn now(&self) -> Instant {
        Instant::now()
    }

    /// Time elapsed since this clock was made.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Wall-clock now, in milliseconds since the Unix epoch.
    pub fn epoch_millis(&self) -> i64 {
        self.epoch_millis_at(Instant::now())
    }

    /// The wall-clock time of a monotonic instant.
    pub fn epoch_millis_at(&self, instant: Instant) -> i64 {
        let since = instant.saturating_duration_since(self.start).as_millis() as i64;
        self.epoch_millis_at_start + since
    }

    /// Wall-clock now as a UTC date-time.
    pub fn utc_now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.epoch_millis()).unwrap_or_default()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn wall_clock_follows_paused_tokio_time() {
        let clock = Clock::starting_at(1_700_000_000_000);
        tokio::time::sleep(Duration::from_millis(15_020)).await;
        assert_eq!(clock.epoch_millis(), 1_700_000_015_020);
        assert_eq!(clock.elapsed(), Duration::from_millis(15_020));
    }
}
