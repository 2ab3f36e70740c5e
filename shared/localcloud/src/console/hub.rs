//! The console's one reader of localcloud's streams: it turns events and
//! log lines into batches, one every [`FLUSH_EVERY`] at most, and keeps a
//! bounded history so a page opened late still sees what came before.
//!
//! A batch carries the events and log lines since the last one and, when
//! it changed, the *state*: every queue's counts and in-flight messages
//! and every function's environments, read from the emulator's own
//! snapshots. The state is never derived from the events, so a missed
//! event (`RecvError::Lagged`: the hub fell more than a channel's capacity
//! behind) costs a gap in the timeline, counted and shown, and never a
//! wrong count. Each batch is serialised once, for every page.
//!
//! Log lines carry no request id; an execution environment runs one
//! invocation at a time, so a line belongs to the request of the last
//! `START RequestId: ...` line of its (function, environment).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

use super::body::sse_frame;
use super::{FLUSH_EVERY, Sources};
use crate::events::Event;
use crate::lambda::FunctionSnapshot;
use crate::lambda::logs::LogLine;
use crate::server::CancellationToken;
use crate::sqs::QueueSnapshot;

/// In-flight messages listed per queue (the counts are always whole).
pub const IN_FLIGHT_SHOWN: usize = 500;
/// Events and log lines kept for pages opened later.
pub const HISTORY: usize = 5_000;
/// Most events in one batch (5,000 a second): more than anyone can watch,
/// and few enough that following thousands of jobs a second costs the
/// emulator's machine little. More are counted as missed, not serialised.
pub const BATCH_EVENTS: usize = 1_000;
/// Most log lines in one batch; more are counted as missed.
pub const BATCH_LOGS: usize = 500;
/// A log line longer than this is cut (a function printing megabytes).
const LOG_TEXT_MAX: usize = 4_000;

/// A batch, ready to send: its number and its server-sent event.
pub struct Batch {
    pub seq: u64,
    pub frame: Bytes,
}

pub struct Hub {
    sources: Sources,
    history: Mutex<History>,
    batches: broadcast::Sender<Arc<Batch>>,
}

#[derive(Default)]
struct History {
    /// The number of the last batch sent.
    seq: u64,
    events: VecDeque<Arc<str>>,
    logs: VecDeque<Arc<str>>,
    missed_events: u64,
    missed_logs: u64,
    /// The state the last batch carried.
    last_state: String,
}

/// What arrived since the last batch.
#[derive(Default)]
struct Pending {
    events: Vec<Arc<str>>,
    logs: Vec<Arc<str>>,
    missed_events: u64,
    missed_logs: u64,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.logs.is_empty()
            && self.missed_events == 0
            && self.missed_logs == 0
    }
}

/// Items shown per DynamoDB table (the first ones, in key order).
const ITEMS_SHOWN: usize = 50;

/// The state part of a batch or snapshot.
#[derive(Serialize)]
struct State<'a> {
    queues: &'a [QueueSnapshot],
    functions: Vec<FunctionView>,
    tables: Vec<crate::dynamodb::TableSnapshot>,
}

#[derive(Serialize)]
struct FunctionView {
    #[serde(flatten)]
    snapshot: FunctionSnapshot,
    /// Queues whose event source mapping invokes this function.
    event_sources: Vec<String>,
}

#[derive(Serialize)]
struct LogView<'a> {
    at_epoch_millis: i64,
    function: &'a str,
    environment: Option<u64>,
    request_id: Option<&'a str>,
    text: &'a str,
}

impl Hub {
    /// Subscribes to the streams now (nothing emitted after this returns
    /// is missed) and starts the task that batches them.
    pub fn start(sources: Sources, shutdown: CancellationToken) -> Arc<Self> {
        let events = sources.sqs.events().subscribe();
        let logs = sources.lambda.as_ref().map(|l| l.logs().subscribe());
        let hub = Arc::new(Self {
            sources,
            history: Mutex::default(),
            batches: broadcast::channel(16).0,
        });
        tokio::spawn(hub.clone().run(events, logs, shutdown));
        hub
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// Every batch from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Batch>> {
        self.batches.subscribe()
    }

    /// The number of the last batch it includes, and the snapshot's JSON:
    /// the state now and the history.
    pub fn snapshot(&self) -> (u64, String) {
        let history = self.lock();
        let (now, state) = self.state();
        let json = format!(
            r#"{{"type":"snapshot","seq":{},"now":{now},"state":{state},"events":[{}],"logs":[{}],"missed":{{"events":{},"logs":{}}}}}"#,
            history.seq,
            join(history.events.iter()),
            join(history.logs.iter()),
            history.missed_events,
            history.missed_logs,
        );
        (history.seq, json)
    }

    fn lock(&self) -> MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The SQS clock's now and the state's JSON.
    fn state(&self) -> (i64, String) {
        let sqs = self.sources.sqs.snapshot(IN_FLIGHT_SHOWN);
        let functions = self
            .sources
            .lambda
            .as_ref()
            .map(|l| l.snapshot())
            .unwrap_or_default()
            .into_iter()
            .map(|snapshot| FunctionView {
                event_sources: self
                    .sources
                    .event_sources
                    .get(&snapshot.name)
                    .cloned()
                    .unwrap_or_default(),
                snapshot,
            })
            .collect();
        let state = State {
            queues: &sqs.queues,
            functions,
            tables: self.sources.sqs.dynamodb().snapshot(ITEMS_SHOWN),
        };
        let json = serde_json::to_string(&state).unwrap_or_else(|_| "null".into());
        (sqs.now_epoch_millis, json)
    }

    async fn run(
        self: Arc<Self>,
        mut events: broadcast::Receiver<Event>,
        mut logs: Option<broadcast::Receiver<LogLine>>,
        shutdown: CancellationToken,
    ) {
        let mut pending = Pending::default();
        // (function, environment) -> the request running there.
        let mut requests: HashMap<(String, u64), String> = HashMap::new();
        // The first flush after one period, not at once: what happens in
        // the first moments goes in one batch.
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + FLUSH_EVERY, FLUSH_EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut events_open = true;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => self.flush(&mut pending),
                event = events.recv(), if events_open => match event {
                    Ok(event) if pending.events.len() < BATCH_EVENTS => {
                        if let Ok(json) = serde_json::to_string(&event) {
                            pending.events.push(json.into());
                        }
                    }
                    Ok(_) => pending.missed_events += 1,
                    Err(RecvError::Lagged(n)) => pending.missed_events += n,
                    Err(RecvError::Closed) => events_open = false,
                },
                line = next_line(&mut logs) => match line {
                    Ok(line) => {
                        let request_id = tag(&mut requests, &line);
                        if pending.logs.len() < BATCH_LOGS {
                            pending.logs.push(log_json(&line, request_id.as_deref()).into());
                        } else {
                            pending.missed_logs += 1;
                        }
                    }
                    Err(RecvError::Lagged(n)) => pending.missed_logs += n,
                    Err(RecvError::Closed) => logs = None,
                },
            }
        }
    }

    /// Sends what is pending, with the state when it changed; nothing when
    /// nothing happened.
    fn flush(&self, pending: &mut Pending) {
        let (now, state) = self.state();
        let mut guard = self.lock();
        let history = &mut *guard;
        let changed = state != history.last_state;
        if pending.is_empty() && !changed {
            return;
        }
        history.seq += 1;
        let json = format!(
            r#"{{"type":"batch","seq":{},"now":{now},"state":{},"events":[{}],"logs":[{}],"missed":{{"events":{},"logs":{}}}}}"#,
            history.seq,
            if changed { state.as_str() } else { "null" },
            join(pending.events.iter()),
            join(pending.logs.iter()),
            pending.missed_events,
            pending.missed_logs,
        );
        for (from, into) in [
            (&mut pending.events, &mut history.events),
            (&mut pending.logs, &mut history.logs),
        ] {
            into.extend(from.drain(..));
            let over = into.len().saturating_sub(HISTORY);
            into.drain(..over);
        }
        history.missed_events += std::mem::take(&mut pending.missed_events);
        history.missed_logs += std::mem::take(&mut pending.missed_logs);
        if changed {
            history.last_state = state;
        }
        // Sent under the lock: a snapshot is either before this batch or
        // includes it, never half of it. No page listening is fine.
        let _ = self.batches.send(Arc::new(Batch {
            seq: history.seq,
            frame: sse_frame("batch", &json),
        }));
    }
}

async fn next_line(logs: &mut Option<broadcast::Receiver<LogLine>>) -> Result<LogLine, RecvError> {
    match logs {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The request a log line belongs to (see the module's doc).
fn tag(requests: &mut HashMap<(String, u64), String>, line: &LogLine) -> Option<String> {
    let environment = line.environment?;
    let key = (line.function.clone(), environment);
    if let Some(rest) = line.text.strip_prefix("START RequestId: ") {
        let id = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        requests.insert(key.clone(), id);
    }
    let id = requests.get(&key).cloned();
    if line.text.starts_with("REPORT RequestId: ") {
        requests.remove(&key);
    }
    id
}

fn log_json(line: &LogLine, request_id: Option<&str>) -> String {
    let text = match line.text.char_indices().nth(LOG_TEXT_MAX) {
        Some((cut, _)) => &line.text[..cut],
        None => &line.text,
    };
    serde_json::to_string(&LogView {
        at_epoch_millis: line.at_epoch_millis,
        function: &line.function,
        environment: line.environment,
        request_id,
        text,
    })
    .unwrap_or_else(|_| "null".into())
}

fn join<'a>(items: impl Iterator<Item = &'a Arc<str>>) -> String {
    let mut out = String::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde_json::Value;

    use super::*;
    use crate::clock::Clock;
    use crate::events::EventKind;
    use crate::lambda::logs::Logs;
    use crate::lambda::{Lambda, LambdaSettings};
    use crate::sqs::{Sqs, SqsConfig};

    const EPOCH: i64 = 1_767_225_600_000;

    fn sources() -> Sources {
        let clock = Clock::starting_at(EPOCH);
        let sqs = Sqs::new(SqsConfig {
            clock,
            ..SqsConfig::default()
        });
        let lambda = Lambda::new(LambdaSettings {
            clock,
            logs: Logs::new(false),
            events: sqs.events(),
            ..LambdaSettings::default()
        });
        sqs.create_queue(
            "jobs",
            &BTreeMap::from([("VisibilityTimeout".to_owned(), "10".to_owned())]),
        )
        .unwrap();
        Sources {
            sqs,
            lambda: Some(lambda),
            event_sources: BTreeMap::new(),
        }
    }

    fn parse(frame: &Bytes) -> (String, Value) {
        let text = std::str::from_utf8(frame).unwrap();
        let (event, data) = text
            .strip_prefix("event: ")
            .and_then(|t| t.split_once("\ndata: "))
            .unwrap();
        assert!(data.ends_with("\n\n"), "{text}");
        (
            event.to_owned(),
            serde_json::from_str(data.trim_end()).unwrap(),
        )
    }

    fn send(sources: &Sources, body: &str) {
        let url = sources.sqs.queue_url("jobs").unwrap();
        crate::sqs::ops::messages::send_message(
            &sources.sqs,
            serde_json::from_value(serde_json::json!({"QueueUrl": url, "MessageBody": body}))
                .unwrap(),
        )
        .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_events_is_one_batch_with_the_state() {
        let sources = sources();
        let hub = Hub::start(sources.clone(), CancellationToken::new());
        let mut batches = hub.subscribe();
        for i in 0..900 {
            send(&sources, &i.to_string());
        }
        let url = sources.sqs.queue_url("jobs").unwrap();
        sources.sqs.receive_messages(&url, 10, 0).await.unwrap();
        let batch = batches.recv().await.unwrap();
        let (kind, json) = parse(&batch.frame);
        assert_eq!(kind, "batch");
        assert_eq!(json["seq"], 1);
        let events = json["events"].as_array().unwrap();
        assert_eq!(events.len(), 910, "900 sends and 10 receives, in one batch");
        assert_eq!(events[0]["kind"], "message_sent");
        assert_eq!(events[909]["kind"], "message_received");
        let jobs = &json["state"]["queues"][0];
        assert_eq!(jobs["name"], "jobs");
        assert_eq!(
            (jobs["visible"].as_u64(), jobs["in_flight"].as_u64()),
            (Some(890), Some(10))
        );
        let in_flight = jobs["in_flight_messages"].as_array().unwrap();
        assert_eq!(in_flight.len(), 10);
        assert_eq!(in_flight[0]["receive_count"], 1);
        assert_eq!(
            in_flight[0]["visible_again_at_epoch_millis"],
            EPOCH + 10_000
        );
        assert_eq!(json["missed"]["events"], 0);

        // Nothing happens, nothing changes: no batch. When the visibility
        // timeout runs out the counts change with no event: a batch with
        // the state alone.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(matches!(
            batches.try_recv(),
            Err(broadcast::error::TryRecvError::Empty)
        ));
        tokio::time::sleep(Duration::from_secs(6)).await;
        let (_, json) = parse(&batches.recv().await.unwrap().frame);
        assert_eq!(json["events"].as_array().unwrap().len(), 0);
        assert_eq!(json["state"]["queues"][0]["visible"], 900);
        assert_eq!(json["state"]["queues"][0]["in_flight"], 0);
        assert!(matches!(
            batches.try_recv(),
            Err(broadcast::error::TryRecvError::Empty)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn the_snapshot_holds_the_history_and_the_batches_it_includes() {
        let sources = sources();
        let hub = Hub::start(sources.clone(), CancellationToken::new());
        let mut batches = hub.subscribe();
        send(&sources, "a");
        let first = batches.recv().await.unwrap();
        let (seq, snapshot) = hub.snapshot();
        assert_eq!(seq, first.seq);
        let json: Value = serde_json::from_str(&snapshot).unwrap();
        assert_eq!(json["type"], "snapshot");
        assert_eq!(json["now"], EPOCH + FLUSH_EVERY.as_millis() as i64);
        assert_eq!(json["events"][0]["kind"], "message_sent");
        assert_eq!(json["state"]["queues"][0]["visible"], 1);
        assert_eq!(json["state"]["functions"], serde_json::json!([]));
    }

    #[tokio::test(start_paused = true)]
    async fn log_lines_get_the_request_of_their_environment() {
        let sources = sources();
        let hub = Hub::start(sources.clone(), CancellationToken::new());
        let mut batches = hub.subscribe();
        let logs = sources.lambda.as_ref().unwrap().logs().clone();
        let line = |environment, text: &str| LogLine {
            function: "worker".into(),
            environment: Some(environment),
            at_epoch_millis: EPOCH,
            text: text.into(),
        };
        for l in [
            line(1, "START RequestId: r-1 Version: $LATEST"),
            line(2, "START RequestId: r-2 Version: $LATEST"),
            line(1, "working on 1"),
            line(2, "working on 2"),
            line(1, "REPORT RequestId: r-1\tDuration: 1.00 ms"),
            line(1, "after the invocation"),
        ] {
            logs.emit(l);
        }
        let (_, json) = parse(&batches.recv().await.unwrap().frame);
        let tagged: Vec<(String, Value)> = json["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["text"].as_str().unwrap().to_owned(),
                    l["request_id"].clone(),
                )
            })
            .collect();
        assert_eq!(tagged[2], ("working on 1".into(), "r-1".into()));
        assert_eq!(tagged[3], ("working on 2".into(), "r-2".into()));
        assert_eq!(tagged[4].1, "r-1");
        assert_eq!(tagged[5].1, Value::Null);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hub_that_fell_behind_counts_what_it_missed_and_the_state_stays_right() {
        let sources = sources();
        let hub = Hub::start(sources.clone(), CancellationToken::new());
        let mut batches = hub.subscribe();
        // The hub's task does not run while this test emits: it falls
        // more than the channel's capacity behind.
        let events = sources.sqs.events();
        for i in 0..crate::events::CAPACITY + 100 {
            events.emit(
                EventKind::QueuePurged {
                    queue: format!("q{i}"),
                },
                EPOCH,
            );
        }
        send(&sources, "after the flood");
        let mut seen = 0;
        let mut missed = 0;
        let mut visible = None;
        while let Ok(Ok(batch)) = tokio::time::timeout(Duration::from_secs(1), batches.recv()).await
        {
            let (_, json) = parse(&batch.frame);
            seen += json["events"].as_array().unwrap().len() as u64;
            missed += json["missed"]["events"].as_u64().unwrap();
            if !json["state"].is_null() {
                visible = json["state"]["queues"][0]["visible"].as_u64();
            }
        }
        assert_eq!(seen + missed, crate::events::CAPACITY as u64 + 101);
        assert!(missed >= 101, "missed {missed}");
        assert_eq!(
            visible,
            Some(1),
            "the counts come from SQS, not from the events"
        );
        let (_, snapshot) = hub.snapshot();
        let json: Value = serde_json::from_str(&snapshot).unwrap();
        assert_eq!(json["events"].as_array().unwrap().len(), BATCH_EVENTS);
        assert_eq!(json["missed"]["events"].as_u64(), Some(missed));
    }
}
