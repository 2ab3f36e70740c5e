//! What CloudWatch Logs would show for a function.
//!
//! Each invocation writes `START`, the function's own output, `END` and
//! `REPORT`, in the formats of the Lambda Developer Guide
//! (docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html,
//! "Log format"; the REPORT fields are tab-separated, `Init Duration` appears
//! on a cold start only, and `Billed Duration` is the duration rounded up to
//! the next millisecond). A timeout adds
//! `<timestamp> <request id> Task timed out after 15.02 seconds`.
//!
//! Lines go to a broadcast channel, so a report, a test and the console can
//! all read them; the console copy is prefixed with the function's name.

use std::time::Duration;

use tokio::sync::broadcast;

/// One line of a function's log stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The function's name (`tutorial-step-1-dev-api`).
    pub function: String,
    /// Wall-clock time, epoch milliseconds (from the [`crate::clock::Clock`]).
    pub at_epoch_millis: i64,
    pub text: String,
}

/// Where log lines go: subscribers, and the console when `echo` is on.
#[derive(Debug, Clone)]
pub struct Logs {
    sender: broadcast::Sender<LogLine>,
    echo: bool,
}

impl Logs {
    /// `echo`: also print each line to stderr as `[function] text`.
    pub fn new(echo: bool) -> Self {
        let (sender, _) = broadcast::channel(16_384);
        Self { sender, echo }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LogLine> {
        self.sender.subscribe()
    }

    pub fn emit(&self, line: LogLine) {
        if self.echo {
            eprintln!("[{}] {}", line.function, line.text);
        }
        // No subscriber is fine: the lines are then only printed.
        let _ = self.sender.send(line);
    }
}

pub fn start_line(request_id: &str) -> String {
    format!("START RequestId: {request_id} Version: $LATEST")
}

pub fn end_line(request_id: &str) -> String {
    format!("END RequestId: {request_id}")
}

/// The REPORT line. `max_memory_used_mb` is `None` when it cannot be measured
/// (in-process handlers share localcloud's memory).
pub fn report_line(
    request_id: &str,
    duration: Duration,
    memory_size_mb: u32,
    max_memory_used_mb: Option<u64>,
    init_duration: Option<Duration>,
) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    let billed = duration.as_micros().div_ceil(1000).max(1);
    let mut line = format!(
        "REPORT RequestId: {request_id}\tDuration: {millis:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {memory_size_mb} MB"
    );
    if let Some(used) = max_memory_used_mb {
        line.push_str(&format!("\tMax Memory Used: {used} MB"));
    }
    if let Some(init) = init_duration {
        line.push_str(&format!(
            "\tInit Duration: {:.2} ms",
            init.as_secs_f64() * 1000.0
        ));
    }
    line
}

/// `2024-01-01T00:00:15.020Z 8f5... Task timed out after 15.02 seconds`.
pub fn timeout_line(at_epoch_millis: i64, request_id: &str, after: Duration) -> String {
    let at = chrono::DateTime::from_timestamp_millis(at_epoch_millis).unwrap_or_default();
    format!(
        "{} {request_id} Task timed out after {:.2} seconds",
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        after.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_cloudwatch_shape() {
        let id = "8f5d1a2c-0000-4000-8000-000000000001";
        assert_eq!(
            start_line(id),
            "START RequestId: 8f5d1a2c-0000-4000-8000-000000000001 Version: $LATEST"
        );
        assert_eq!(
            end_line(id),
            "END RequestId: 8f5d1a2c-0000-4000-8000-000000000001"
        );
        assert_eq!(
            report_line(
                id,
                Duration::from_micros(12_341),
                1024,
                Some(20),
                Some(Duration::from_micros(25_204))
            ),
            "REPORT RequestId: 8f5d1a2c-0000-4000-8000-000000000001\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 20 MB\tInit Duration: 25.20 ms"
        );
        assert_eq!(
            timeout_line(1_700_000_015_020, id, Duration::from_millis(15_020)),
            "2023-11-14T22:13:35.020Z 8f5d1a2c-0000-4000-8000-000000000001 Task timed out after 15.02 seconds"
        );
    }

    #[test]
    fn billed_duration_rounds_up_to_the_millisecond() {
        let line = report_line("id", Duration::from_micros(1_001), 128, None, None);
        assert!(line.contains("Billed Duration: 2 ms"), "{line}");
        let line = report_line("id", Duration::from_micros(3_000), 128, None, None);
        assert!(line.contains("Billed Duration: 3 ms"), "{line}");
    }
}
