//! Load statistics, in one place: what a load run measured (latencies of the
//! successful requests, errors, elapsed time) and its percentiles. Used by
//! `lesson … loop` and by every `bench`.

use std::time::Duration;

/// What one load run measured.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// One entry per successful request.
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub elapsed: Duration,
}

impl LoadStats {
    pub fn requests_per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Latency percentile (nearest rank) over successful requests; `None`
    /// when nothing succeeded, so no one prints a latency of nothing.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1])
    }

    /// The percentile in milliseconds, `0.0` when nothing succeeded (for
    /// benchmark tables, where a row with errors says so in its own column).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        self.percentile(p).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(millis: &[u64]) -> LoadStats {
        LoadStats {
            latencies: millis.iter().map(|&m| Duration::from_millis(m)).collect(),
            errors: 0,
            elapsed: Duration::from_secs(1),
        }
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let s = stats(&[5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
        assert_eq!(s.percentile(50.0), Some(Duration::from_millis(5)));
        assert_eq!(s.percentile(99.0), Some(Duration::from_millis(10)));
        assert_eq!(s.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(s.requests_per_second(), 10.0);
    }

    #[test]
    fn nothing_succeeded_has_no_latency() {
        assert_eq!(stats(&[]).percentile(50.0), None);
        assert_eq!(stats(&[]).percentile_ms(50.0), 0.0);
    }
}
