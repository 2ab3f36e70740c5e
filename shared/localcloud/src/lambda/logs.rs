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
//! all read them; the console copy is prefixed with the function's name and
//! prints each invocation as one block ([`Echo`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

/// One line of a function's log stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The function's name (`tutorial-step-1-dev-api`).
    pub function: String,
    /// The execution environment that wrote it (its log stream, in
    /// CloudWatch's terms); `None` for lines of no environment.
    pub environment: Option<u64>,
    /// Wall-clock time, epoch milliseconds (from the [`crate::clock::Clock`]).
    pub at_epoch_millis: i64,
    pub text: String,
}

/// The console lines of running invocations, per (function, environment).
type OpenBlocks = HashMap<(String, u64), Vec<String>>;

/// What the console copy of the logs shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Nothing is printed; subscribers still get every line.
    Off,
    /// Each invocation's own lines, printed together when it ends.
    Compact,
    /// Each invocation's START, own lines, END and REPORT, printed together
    /// when it ends.
    Verbose,
}

/// Where log lines go: subscribers, and the console (stderr) per [`Echo`].
///
/// On the console, an invocation's lines are held until its REPORT line and
/// then printed as one block, `[function] text` each: CloudWatch keeps one
/// stream per execution environment, so concurrent invocations never mix
/// there, and they do not mix here either.
#[derive(Debug, Clone)]
pub struct Logs {
    sender: broadcast::Sender<LogLine>,
    echo: Echo,
    /// Lines of invocations still running, per (function, environment).
    open: Arc<Mutex<OpenBlocks>>,
}

impl Logs {
    /// `echo`: also print to stderr, as [`Echo::Verbose`].
    pub fn new(echo: bool) -> Self {
        Self::with_echo(if echo { Echo::Verbose } else { Echo::Off })
    }

    pub fn with_echo(echo: Echo) -> Self {
        let (sender, _) = broadcast::channel(16_384);
        Self {
            sender,
            echo,
            open: Arc::default(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LogLine> {
        self.sender.subscribe()
    }

    pub fn emit(&self, line: LogLine) {
        if self.echo != Echo::Off
            && let Some(text) = self.console_text(&line)
        {
            // One write per block, so nothing else lands inside it.
            eprint!("{text}");
        }
        // No subscriber is fine: the lines are then only printed.
        let _ = self.sender.send(line);
    }

    /// What the console shows once `line` is in: nothing while an
    /// invocation runs, its whole block at its REPORT line, other lines at once.
    fn console_text(&self, line: &LogLine) -> Option<String> {
        let prefixed = |texts: &[String]| {
            let mut out = String::new();
            for text in texts {
                for part in text.lines() {
                    out.push_str(&format!("[{}] {part}\n", line.function));
                }
            }
            (!out.is_empty()).then_some(out)
        };
        let Some(environment) = line.environment else {
            return prefixed(std::slice::from_ref(&line.text));
        };
        let key = (line.function.clone(), environment);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if line.text.starts_with("START RequestId: ") {
            open.insert(key.clone(), Vec::new());
        }
        let Some(block) = open.get_mut(&key) else {
            // Outside an invocation (init output): at once.
            return prefixed(std::slice::from_ref(&line.text));
        };
        let frame = ["START RequestId: ", "END RequestId: ", "REPORT RequestId: "]
            .iter()
            .any(|p| line.text.starts_with(p));
        if self.echo == Echo::Verbose || !frame {
            block.push(line.text.clone());
        }
        if line.text.starts_with("REPORT RequestId: ") {
            return open.remove(&key).and_then(|block| prefixed(&block));
        }
        None
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

    fn line(environment: u64, text: &str) -> LogLine {
        LogLine {
            function: "f".into(),
            environment: Some(environment),
            at_epoch_millis: 0,
            text: text.into(),
        }
    }

    #[test]
    fn the_console_prints_each_invocation_as_one_block() {
        for (echo, expected) in [
            (Echo::Compact, "[f] one\n[f] two\n"),
            (
                Echo::Verbose,
                "[f] START RequestId: a Version: $LATEST\n[f] one\n[f] two\n[f] END RequestId: a\n[f] REPORT RequestId: a\tDuration: 1.00 ms\n",
            ),
        ] {
            let logs = Logs::with_echo(echo);
            let shown: Vec<Option<String>> = [
                line(1, "START RequestId: a Version: $LATEST"),
                line(1, "one"),
                // Another environment's invocation, in between.
                line(2, "START RequestId: b Version: $LATEST"),
                line(2, "other"),
                line(1, "two"),
                line(1, "END RequestId: a"),
                line(1, "REPORT RequestId: a\tDuration: 1.00 ms"),
            ]
            .iter()
            .map(|l| logs.console_text(l))
            .collect();
            assert_eq!(shown[..6], [None, None, None, None, None, None]);
            assert_eq!(shown[6].as_deref(), Some(expected));
        }
        // Lines outside an invocation (init) show at once.
        let logs = Logs::with_echo(Echo::Compact);
        assert_eq!(
            logs.console_text(&line(3, "init says hi")).as_deref(),
            Some("[f] init says hi\n")
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
