//! The slow worker: `WORK_SECONDS` of work per batch, then one commit per job.
//!
//! The work is [`crate::slow_work::work`], a `tokio::time::sleep`, so tests
//! play it under a paused clock.
//! The commit is the side effect that must happen once (the retrospective's
//! money transfer); here it is one log line per job, so the number of
//! transfers is the number of `commit <messageId>` lines.
//!
//! With `HEARTBEAT=on` the worker reads the queue's live `VisibilityTimeout`
//! (GetQueueAttributes) at the start of each batch and, while it works, calls
//! ChangeMessageVisibility for every message of the batch every half of that
//! timeout ([`crate::heartbeat`]; `work_on` below runs the two together). A
//! new timeout counts from the call (SQS-API ChangeMessageVisibility), so
//! the messages stay hidden as long as the worker is alive and working; if
//! it crashes, the heartbeat stops with it and the messages come back after
//! at most one timeout.
//!
//! With `IDEMPOTENCY=on` each job is first claimed in a DynamoDB table
//! (`IDEMPOTENCY_TABLE`, see [`crate::idempotency`]): a job committed
//! before is acknowledged without a second commit, one another invocation
//! is working on goes back to the queue.
//!
//! `CRASH_AFTER_COMMIT=first-receive` makes the invocation fail *after* its
//! commits, when it handled a message's first delivery: the process exits
//! before Lambda can delete the message (step 3's `crash-after-commit`
//! scenario: at-least-once delivery with the right configuration).

use std::time::Duration;

use crate::heartbeat::Heartbeat;
use crate::idempotency::{Claim, Idempotency};
use crate::slow_work;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::Client;
use lesson_kit::Job;
use tokio::time::Instant;

/// The retrospective's `await delay(15000)`.
pub const DEFAULT_WORK_SECONDS: u64 = 15;

/// Where the worker writes its lines: `println!` in the Lambda binary, the
/// function's log stream when an emulator runs the handler in process.
pub type LogSink<'a> = &'a (dyn Fn(String) + Send + Sync);

/// The worker: how long a batch takes, the heartbeat (an SQS client and the
/// queue it reads) if it is on, the idempotency table (if any) and the crash
/// it plays (if any).
#[derive(Clone, Debug)]
pub struct Worker {
    work: Duration,
    heartbeat: Option<Heartbeat>,
    idempotency: Option<Idempotency>,
    crash: CrashAfterCommit,
}

/// `CRASH_AFTER_COMMIT`: whether the invocation fails after its commits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CrashAfterCommit {
    /// `off` (the default).
    #[default]
    Off,
    /// `first-receive`: fail when the batch held a message's first
    /// delivery (`ApproximateReceiveCount` 1), after committing it; the
    /// next delivery succeeds.
    FirstReceive,
}

/// The invocation failed on purpose (`CRASH_AFTER_COMMIT`): the Lambda
/// binary exits, as a process that dies does; Lambda then deletes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crash(pub String);

/// The invocation's deadline on both clocks: epoch milliseconds (what the
/// idempotency record stores) and tokio's `Instant` (what the worker's
/// timers use). "Now" is the deadline minus the time left, so under tokio's
/// paused clock (localcloud's virtual time) it follows virtual time.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    pub epoch_millis: i64,
    pub instant: Instant,
}

impl Deadline {
    /// From the Runtime API's deadline (`Lambda-Runtime-Deadline-Ms`,
    /// `lambda_runtime::Context::deadline`).
    pub fn from_epoch_millis(epoch_millis: u64) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let left = u128::from(epoch_millis).saturating_sub(now);
        Self {
            epoch_millis: i64::try_from(epoch_millis).unwrap_or(i64::MAX),
            instant: Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(0)),
        }
    }

    /// Now, in epoch milliseconds.
    pub fn now_epoch_millis(&self) -> i64 {
        let left = self.instant.saturating_duration_since(Instant::now());
        self.epoch_millis - i64::try_from(left.as_millis()).unwrap_or(0)
    }
}

impl Worker {
    /// `queue_url` is only used by the heartbeat (GetQueueAttributes and
    /// ChangeMessageVisibility).
    pub fn new(
        client: Client,
        queue_url: impl Into<String>,
        work: Duration,
        heartbeat: bool,
    ) -> Self {
        Self {
            work,
            heartbeat: heartbeat.then(|| Heartbeat::new(client, queue_url)),
            idempotency: None,
            crash: CrashAfterCommit::Off,
        }
    }

    /// Claims each job in `idempotency`'s table before the work.
    pub fn with_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = Some(idempotency);
        self
    }

    /// Fails the invocation after its commits, as `crash` says.
    pub fn with_crash_after_commit(mut self, crash: CrashAfterCommit) -> Self {
        self.crash = crash;
        self
    }

    /// The settings from the environment serverless.yml gives the worker:
    /// `WORK_SECONDS` (default 15), `HEARTBEAT` (`on`/`off`, default `off`),
    /// `QUEUE_URL` (`${construct:jobs.queueUrl}`, needed when the heartbeat
    /// is on), `IDEMPOTENCY` (`on`/`off`, default `off`),
    /// `IDEMPOTENCY_TABLE` (the table's name, needed when it is on),
    /// `CRASH_AFTER_COMMIT` (`off`/`first-receive`). The clients come from
    /// `aws-config` (region, credentials, `AWS_ENDPOINT_URL_SQS`,
    /// `AWS_ENDPOINT_URL_DYNAMODB`), as the producer's does. A bad value is
    /// an init error that says what is accepted.
    pub async fn from_env() -> Result<Self, lambda_runtime::Error> {
        let work = parse_work_seconds(env_var("WORK_SECONDS")?.as_deref())?;
        let heartbeat = parse_heartbeat(env_var("HEARTBEAT")?.as_deref())?;
        let idempotent = parse_idempotency(env_var("IDEMPOTENCY")?.as_deref())?;
        let crash = parse_crash_after_commit(env_var("CRASH_AFTER_COMMIT")?.as_deref())?;
        let table = env_var("IDEMPOTENCY_TABLE")?;
        if idempotent && table.is_none() {
            return Err(
                "IDEMPOTENCY_TABLE is not set: IDEMPOTENCY=on needs it (serverless.yml sets it to !Ref IdempotencyTable)"
                    .into(),
            );
        }
        let queue_url = match env_var("QUEUE_URL")? {
            Some(url) => url,
            None if heartbeat => {
                return Err(
                    "QUEUE_URL is not set: HEARTBEAT=on needs it (serverless.yml sets it to ${construct:jobs.queueUrl})"
                        .into(),
                );
            }
            None => String::new(),
        };
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let mut worker = Self::new(Client::new(&config), queue_url, work, heartbeat)
            .with_crash_after_commit(crash);
        if let (true, Some(table)) = (idempotent, table) {
            let client = aws_sdk_dynamodb::Client::new(&config);
            worker = worker.with_idempotency(Idempotency::new(client, table));
        }
        Ok(worker)
    }

    pub fn work(&self) -> Duration {
        self.work
    }

    pub fn heartbeat(&self) -> bool {
        self.heartbeat.is_some()
    }

    /// One batch: claim each job (when idempotency is on), work (with the
    /// heartbeat if it is on), commit each claimed job; invalid bodies and
    /// jobs another invocation is working on go in `batchItemFailures`.
    /// `Err` when the invocation must crash (`CRASH_AFTER_COMMIT`).
    pub async fn handle(
        &self,
        event: &SqsEvent,
        deadline: Deadline,
        log: LogSink<'_>,
    ) -> Result<SqsBatchResponse, Crash> {
        let mut response = SqsBatchResponse::default();
        let mut claimed = Vec::new();
        for record in &event.records {
            match Outcome::of(record) {
                rejected @ Outcome::Rejected { .. } => {
                    log(rejected.log_line());
                    fail(&mut response, record);
                }
                committed => match self.claim(record, deadline, log).await {
                    Some(true) => claimed.push(committed),
                    // Done before: acknowledged, not committed again.
                    Some(false) => {}
                    None => fail(&mut response, record),
                },
            }
        }
        if claimed.is_empty() {
            return Ok(response);
        }
        self.work_on(event, log).await;
        for outcome in &claimed {
            log(outcome.log_line());
            if let (Some(idempotency), Outcome::Committed { input, .. }) =
                (&self.idempotency, outcome)
                && let Err(e) = idempotency
                    .complete(&job_key(input), deadline.now_epoch_millis())
                    .await
            {
                log(format!(
                    "idempotency: marking {} completed failed: {e}",
                    job_key(input)
                ));
            }
        }
        let first_delivery = claimed.iter().any(|outcome| {
            matches!(outcome, Outcome::Committed { receive_count, .. } if receive_count == "1")
        });
        if self.crash == CrashAfterCommit::FirstReceive && first_delivery {
            let message = "crash after commit (CRASH_AFTER_COMMIT=first-receive): the invocation fails before Lambda deletes the message".to_owned();
            log(message.clone());
            return Err(Crash(message));
        }
        Ok(response)
    }

    /// Whether to work on `record`'s job: `Some(true)` to commit it,
    /// `Some(false)` when it was committed before, `None` when it goes back
    /// to the queue (in progress elsewhere, or the table could not be
    /// reached). Always `Some(true)` without idempotency.
    async fn claim(
        &self,
        record: &SqsMessage,
        deadline: Deadline,
        log: LogSink<'_>,
    ) -> Option<bool> {
        let Some(idempotency) = &self.idempotency else {
            return Some(true);
        };
        let Outcome::Committed {
            message_id,
            receive_count,
            input,
            ..
        } = Outcome::of(record)
        else {
            return None;
        };
        let key = job_key(&input);
        let claim = idempotency
            .claim(&key, deadline.now_epoch_millis(), deadline.epoch_millis)
            .await;
        match claim {
            Ok(Claim::Claimed) => Some(true),
            Ok(Claim::Completed) => {
                log(format!(
                    "duplicate {message_id} receive {receive_count}: {key} was committed before; acknowledged without a second commit"
                ));
                Some(false)
            }
            Ok(Claim::InProgress) => {
                log(format!(
                    "busy {message_id} receive {receive_count}: {key} is being worked on by another invocation; back to the queue"
                ));
                None
            }
            Err(e) => {
                log(format!(
                    "idempotency {message_id} receive {receive_count}: claiming {key} failed: {e}; back to the queue"
                ));
                None
            }
        }
    }

    /// The batch's work ([`slow_work::work`], `WORK_SECONDS`), with the
    /// heartbeat if it is on.
    async fn work_on(&self, event: &SqsEvent, log: LogSink<'_>) {
        let Some(heartbeat) = &self.heartbeat else {
            slow_work::work(self.work).await;
            return;
        };
        match heartbeat.visibility_timeout(log).await {
            Some(0) => {
                log("heartbeat off for this batch: the queue's VisibilityTimeout is 0 s, so its messages are visible to other consumers at once and there is no timeout to extend".to_owned());
                slow_work::work(self.work).await;
            }
            Some(seconds) => {
                // Every half of the timeout: a late call still lands before
                // the previous extension runs out.
                let every = Duration::from_millis(u64::from(seconds) * 500);
                tokio::select! {
                    // `biased`: when the work ends at the very instant a beat
                    // is due, the work wins and no beat is sent.
                    biased;
                    () = slow_work::work(self.work) => {}
                    never = heartbeat.beat(&event.records, seconds, every, log) => match never {},
                }
            }
            None => slow_work::work(self.work).await,
        }
    }
}

/// What happened to one message, for the log and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The side effect happened.
    Committed {
        message_id: String,
        receive_count: String,
        input: String,
        output: String,
    },
    /// Not a job; reported in `batchItemFailures`.
    Rejected {
        message_id: String,
        receive_count: String,
        reason: String,
    },
}

impl Outcome {
    /// One message's outcome: `{"input": <number>}` is committed with
    /// input + 1 (exact), anything else is rejected.
    pub fn of(record: &SqsMessage) -> Outcome {
        let message_id = record.message_id.clone().unwrap_or_default();
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .cloned()
            .unwrap_or_else(|| "?".into());
        match Job::from_json_str(record.body.as_deref().unwrap_or("")) {
            Ok(job) => {
                let answer = job.answer();
                Outcome::Committed {
                    message_id,
                    receive_count,
                    input: answer.input.to_string(),
                    output: answer.output.to_string(),
                }
            }
            Err(e) => Outcome::Rejected {
                message_id,
                receive_count,
                reason: e.as_message_body(),
            },
        }
    }

    /// `commit <id> receive 1: input 1 -> output 2` or
    /// `rejected <id> receive 1: the message body is empty`.
    pub fn log_line(&self) -> String {
        match self {
            Outcome::Committed {
                message_id,
                receive_count,
                input,
                output,
            } => format!(
                "commit {message_id} receive {receive_count}: input {input} -> output {output}"
            ),
            Outcome::Rejected {
                message_id,
                receive_count,
                reason,
            } => format!("rejected {message_id} receive {receive_count}: {reason}"),
        }
    }
}

/// The commits of a batch without work or idempotency: one log line per
/// record; the rejected ones go in `batchItemFailures` (with
/// `ReportBatchItemFailures`, Lambda deletes the rest).
pub fn commit(event: &SqsEvent, log: LogSink<'_>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        let outcome = Outcome::of(record);
        log(outcome.log_line());
        if let Outcome::Rejected { .. } = outcome {
            fail(&mut response, record);
        }
    }
    response
}

/// Reports `record` in `batchItemFailures`: Lambda leaves it in the queue.
fn fail(response: &mut SqsBatchResponse, record: &SqsMessage) {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = record.message_id.clone().unwrap_or_default();
    response.batch_item_failures.push(failure);
}

/// A job's idempotency key: the job itself, from the message body
/// (`input=41`), never the message id (a redriven or re-sent message has a
/// new id). A real transfer would carry its own id in the body.
pub fn job_key(input: &str) -> String {
    format!("input={input}")
}

/// `WORK_SECONDS`: a non-negative number of seconds, fractions allowed
/// (`15`, `0.5`); unset means [`DEFAULT_WORK_SECONDS`].
pub fn parse_work_seconds(value: Option<&str>) -> Result<Duration, String> {
    let Some(text) = value else {
        return Ok(Duration::from_secs(DEFAULT_WORK_SECONDS));
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            format!(
                "WORK_SECONDS must be a non-negative number of seconds, such as 15 or 0.5, got {text:?}"
            )
        })
}

/// `IDEMPOTENCY`: `on` or `off`; unset means `off`.
pub fn parse_idempotency(value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("off") => Ok(false),
        Some("on") => Ok(true),
        Some(other) => Err(format!(
            "IDEMPOTENCY must be \"on\" or \"off\" (unset means off), got {other:?}"
        )),
    }
}

/// `CRASH_AFTER_COMMIT`: `off` or `first-receive`; unset means `off`.
pub fn parse_crash_after_commit(value: Option<&str>) -> Result<CrashAfterCommit, String> {
    match value {
        None | Some("off") => Ok(CrashAfterCommit::Off),
        Some("first-receive") => Ok(CrashAfterCommit::FirstReceive),
        Some(other) => Err(format!(
            "CRASH_AFTER_COMMIT must be \"off\" or \"first-receive\" (unset means off), got {other:?}"
        )),
    }
}

/// `HEARTBEAT`: `on` or `off`; unset means `off`.
pub fn parse_heartbeat(value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("off") => Ok(false),
        Some("on") => Ok(true),
        Some(other) => Err(format!(
            "HEARTBEAT must be \"on\" or \"off\" (unset means off), got {other:?}"
        )),
    }
}

fn env_var(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid Unicode")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lesson_kit::PayloadError;

    #[test]
    fn work_seconds_are_non_negative_numbers_with_fractions() {
        assert_eq!(parse_work_seconds(None), Ok(Duration::from_secs(15)));
        assert_eq!(parse_work_seconds(Some("15")), Ok(Duration::from_secs(15)));
        assert_eq!(
            parse_work_seconds(Some("0.5")),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(parse_work_seconds(Some("0")), Ok(Duration::ZERO));
        for bad in ["", "-1", "abc", "15s", "NaN", "inf", "1e400", "1e30"] {
            let message = parse_work_seconds(Some(bad)).unwrap_err();
            assert!(
                message.starts_with("WORK_SECONDS must be a non-negative number"),
                "{bad:?}: {message}"
            );
        }
    }

    #[test]
    fn heartbeat_is_on_or_off() {
        assert_eq!(parse_heartbeat(None), Ok(false));
        assert_eq!(parse_heartbeat(Some("off")), Ok(false));
        assert_eq!(parse_heartbeat(Some("on")), Ok(true));
        for bad in ["", "ON", "true", "1", "yes"] {
            assert_eq!(
                parse_heartbeat(Some(bad)),
                Err(format!(
                    "HEARTBEAT must be \"on\" or \"off\" (unset means off), got {bad:?}"
                ))
            );
        }
    }

    #[test]
    fn every_reason_speaks_of_the_message_body() {
        for body in [
            "",
            "{",
            r#"{"input": 1} x"#,
            "[1]",
            "{}",
            r#"{"input": 1, "input": 2}"#,
            r#"{"input": 1, "x": 2}"#,
            r#"{"input": "1"}"#,
            r#"{"input": 1e400}"#,
        ] {
            let reason = Job::from_json_str(body).unwrap_err().as_message_body();
            assert!(reason.starts_with("the message body"), "{body:?}: {reason}");
            assert!(!reason.contains("request"), "{body:?}: {reason}");
        }
        assert_eq!(
            PayloadError::NotUtf8 { valid_up_to: 3 }.as_message_body(),
            "the message body is not UTF-8 text (invalid byte at position 3)"
        );
    }
}
