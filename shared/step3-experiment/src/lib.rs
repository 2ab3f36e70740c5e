//! The step-3 experiment's engine, shared by `cargo xtask lesson step3 run`
//! and the step-3 exercises' checks: one scenario of the lesson's stack,
//! `jobs` jobs sent through `POST /produce`, everything localcloud does to
//! them recorded from its event stream and the worker's log, until every
//! job has ended and no invocation runs.
//!
//! Two modes, one code path:
//! - **virtual**: the handlers in process, localcloud's SQS in memory, the
//!   whole stack under tokio's paused clock; minutes of timeline play out
//!   in milliseconds, the same on every run;
//! - **real**: the `bootstrap` processes, SQS over TCP on 127.0.0.1, real
//!   seconds.
//!
//! The worker is the caller's: the lesson's for the lesson, the learner's
//! for an exercise (the exercise crate's check binary links this crate with
//! the learner's code), so the same record is judged by the same rules
//! ([`scenario`]) either way. A [`Record`] goes between processes as JSON.

pub mod scenario;
pub mod watchdog;

/// For the exercises' check programs, which name only this crate.
pub use localcloud;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use localcloud::clock::Clock;
use localcloud::config::{QueueSpec, ResolveContext, ServerlessConfig};
use localcloud::events::{DeleteIgnoredReason, Event, EventKind, InvocationResult};
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::lambda::{HandlerError, InvokeContext, LambdaSettings, adapters};
use localcloud::server::CancellationToken;
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::TryRecvError;

use scenario::{Scenario, Setting};

/// The virtual clock's start: 2026-01-01T00:00:00Z.
pub const EPOCH_MILLIS: i64 = 1_767_225_600_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Virtual,
    Real,
}

/// Everything that happened in one run, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub scenario: Scenario,
    pub mode: Mode,
    pub setting: Setting,
    /// Epoch millis of the first job sent: time 0 of the timeline.
    pub t0: i64,
    /// Job input (1..) -> its message id.
    pub jobs: BTreeMap<u32, String>,
    pub queue: String,
    pub worker: String,
    pub events: Vec<Event>,
    /// The worker's commit lines: (epoch millis, message id, receive count).
    pub commits: Vec<(i64, String, u32)>,
    /// The idempotent worker's other lines: `duplicate` (the job was
    /// committed before: acknowledged), `busy` (another invocation is
    /// working on it: back to the queue) and `idempotency` (the table
    /// refused the claim), as (epoch millis, message id, receive count,
    /// the line).
    #[serde(default)]
    pub skips: Vec<(i64, String, u32, String)>,
}

/// A commit line of the step-3 worker:
/// `commit <messageId> receive <n>: input <x> -> output <y>`.
pub fn parse_commit(text: &str) -> Option<(String, u32)> {
    let rest = text.strip_prefix("commit ")?;
    let (id, rest) = rest.split_once(" receive ")?;
    let (count, _) = rest.split_once(':')?;
    Some((id.to_owned(), count.parse().ok()?))
}

/// A line of the idempotent worker that is not a commit:
/// `duplicate <messageId> receive <n>: ...`, `busy <messageId> receive <n>: ...`
/// or `idempotency <messageId> receive <n>: ...`: (message id, receive
/// count, the line).
pub fn parse_skip(text: &str) -> Option<(String, u32, String)> {
    let (word, rest) = text.split_once(' ')?;
    if !SKIP_WORDS.contains(&word) {
        return None;
    }
    let (id, rest) = rest.split_once(" receive ")?;
    let (count, _) = rest.split_once(':')?;
    Some((id.to_owned(), count.parse().ok()?, text.to_owned()))
}

/// The first words of the idempotent worker's lines that are not commits.
pub const SKIP_WORDS: [&str; 3] = ["duplicate", "busy", "idempotency"];

/// The scenario's setting as its serverless.yml makes it, checked, and the
/// worker function.
pub fn setting_of(
    config: &ServerlessConfig,
    scenario: Scenario,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: localcloud::sqs::StaleDelete,
) -> Result<(Setting, localcloud::config::Function)> {
    let queue = work_queue(config)?;
    let redrive = queue.redrive.as_ref().context("the queue has no DLQ")?;
    let worker = config
        .functions
        .iter()
        .find(|f| !f.sqs_events.is_empty())
        .context("no function reads the queue")?;
    let file_visibility: u32 = queue
        .attributes
        .get("VisibilityTimeout")
        .and_then(|v| v.parse().ok())
        .context("the queue has no VisibilityTimeout")?;
    let setting = Setting {
        work_seconds,
        function_timeout_seconds: worker.timeout_seconds,
        file_visibility_seconds: file_visibility,
        visibility_seconds: if scenario.lowers_visibility() {
            lowered_visibility
        } else {
            file_visibility
        },
        max_receive_count: redrive.max_receive_count,
        heartbeat: worker.environment.get("HEARTBEAT").map(String::as_str) == Some("on"),
        stale_delete,
        idempotent: worker.environment.get("IDEMPOTENCY").map(String::as_str) == Some("on"),
        crash_after_commit: worker
            .environment
            .get("CRASH_AFTER_COMMIT")
            .map(String::as_str)
            == Some("first-receive"),
        fifo: queue.name.ends_with(".fifo"),
    };
    setting.check(scenario)?;
    Ok((setting, worker.clone()))
}

/// Reads a scenario's serverless.yml, its queues resolved against localcloud.
pub type MakeConfig<'a> = dyn Fn(&ResolveContext) -> Result<ServerlessConfig> + Sync + 'a;

/// Makes the scenario's stack: the lesson's (or the learner's) code, in
/// process or as processes, for the config, Lambda settings and SQS given;
/// the `&str` is the worker function's key.
pub type MakeStack<'a> =
    dyn Fn(ServerlessConfig, LambdaSettings, Sqs, &str) -> Result<Stack> + Sync + 'a;

/// Told, while a scenario plays, of the record so far and of the clock's
/// now (epoch millis): `lesson step3 run --real` prints each event the
/// moment it happens. Called about every 100 ms of the scenario's clock.
pub type Watch<'a> = dyn Fn(&Record, i64) + Sync + 'a;

/// Runs one scenario to its end.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    scenario: Scenario,
    mode: Mode,
    jobs: u32,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: localcloud::sqs::StaleDelete,
    make_config: &MakeConfig<'_>,
    make_stack: &MakeStack<'_>,
) -> Result<Record> {
    run_watched(
        scenario,
        mode,
        jobs,
        work_seconds,
        lowered_visibility,
        stale_delete,
        make_config,
        make_stack,
        None,
    )
    .await
}

/// [`run`], with a [`Watch`] told of the record as it grows.
#[allow(clippy::too_many_arguments)]
pub async fn run_watched(
    scenario: Scenario,
    mode: Mode,
    jobs: u32,
    work_seconds: u32,
    lowered_visibility: u32,
    stale_delete: localcloud::sqs::StaleDelete,
    make_config: &MakeConfig<'_>,
    make_stack: &MakeStack<'_>,
    watch: Option<&Watch<'_>>,
) -> Result<Record> {
    let shutdown = CancellationToken::new();
    let clock = match mode {
        Mode::Virtual => Clock::starting_at(EPOCH_MILLIS),
        Mode::Real => Clock::system(),
    };
    let sqs = match mode {
        Mode::Virtual => Sqs::new(SqsConfig {
            clock,
            stale_delete,
            ..Default::default()
        }),
        Mode::Real => {
            let config = SqsConfig {
                stale_delete,
                ..Default::default()
            };
            localcloud::sqs::serve_loopback_with(0, &shutdown, config).await?
        }
    };
    let context = ResolveContext {
        sqs_endpoint_url: sqs.endpoint_url(),
        account_id: sqs.account_id(),
        ..Default::default()
    };
    let config = make_config(&context)?;
    let (setting, worker) = setting_of(
        &config,
        scenario,
        work_seconds,
        lowered_visibility,
        stale_delete,
    )?;
    let queue = work_queue(&config)?.clone();
    let worker_key = worker.key.clone();

    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let mut event_rx = sqs.events().subscribe();
    let lambda = LambdaSettings {
        clock,
        logs,
        // AWS's default account concurrency: a job's duplicates never wait
        // for a free environment.
        default_max_concurrency: match mode {
            Mode::Virtual => 1_000,
            Mode::Real => (jobs as usize * 4).clamp(10, 200),
        },
        ..Default::default()
    };
    let stack = make_stack(config, lambda, sqs.clone(), &worker_key)?;
    let _mappings = stack.start_event_sources(shutdown.clone()).await?;
    if scenario.lowers_visibility() {
        sqs.set_queue_attributes(
            &queue.name,
            BTreeMap::from([(
                "VisibilityTimeout".to_owned(),
                lowered_visibility.to_string(),
            )]),
        )
        .map_err(|e| anyhow::anyhow!("SetQueueAttributes: {e}"))?;
    }

    let t0 = clock.epoch_millis();
    let mut sent = BTreeMap::new();
    for input in 1..=jobs {
        let message_id = produce(&stack, input).await?;
        sent.insert(input, message_id);
    }

    // Play until every job has ended and no invocation runs; bounded by
    // the longest the rules allow, plus a margin.
    let longest = u64::from(setting.max_receive_count + 1)
        * u64::from(
            setting
                .visibility_seconds
                .max(setting.function_timeout_seconds),
        )
        + u64::from(setting.function_timeout_seconds)
        + 60;
    // On a FIFO queue the jobs of the one group take turns.
    let longest = if setting.fifo {
        longest * u64::from(jobs)
    } else {
        longest
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(longest);
    let mut events = Vec::new();
    let mut commits = Vec::new();
    let mut skips = Vec::new();
    loop {
        drain(&mut event_rx, &mut events)?;
        while let Ok(line) = log_rx.try_recv() {
            collect_commit(&line, &mut commits);
            if let Some((id, count, text)) = parse_skip(&line.text) {
                skips.push((line.at_epoch_millis, id, count, text));
            }
        }
        if let Some(watch) = watch {
            let so_far = Record {
                scenario,
                mode,
                setting,
                t0,
                jobs: sent.clone(),
                queue: queue.name.clone(),
                worker: worker.name.clone(),
                events: events.clone(),
                commits: commits.clone(),
                skips: skips.clone(),
            };
            watch(&so_far, clock.epoch_millis());
        }
        if finished(&events, &sent, &queue.name) {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "{}: not every job ended within {longest} s (the rules allow less): see the timeline",
                scenario.name()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    stack.lambda.stop_all();
    Ok(Record {
        scenario,
        mode,
        setting,
        t0,
        jobs: sent,
        queue: queue.name,
        worker: worker.name,
        events,
        commits,
        skips,
    })
}

fn drain(rx: &mut tokio::sync::broadcast::Receiver<Event>, into: &mut Vec<Event>) -> Result<()> {
    loop {
        match rx.try_recv() {
            Ok(event) => into.push(event),
            Err(TryRecvError::Empty) => return Ok(()),
            Err(TryRecvError::Lagged(n)) => bail!("lost {n} events of the timeline"),
            Err(TryRecvError::Closed) => return Ok(()),
        }
    }
}

fn collect_commit(line: &LogLine, into: &mut Vec<(i64, String, u32)>) {
    if let Some((id, count)) = parse_commit(&line.text) {
        into.push((line.at_epoch_millis, id, count));
    }
}

/// Every job deleted or in the DLQ, and every invocation finished.
fn finished(events: &[Event], jobs: &BTreeMap<u32, String>, queue: &str) -> bool {
    let mut running = 0i64;
    let mut ended = std::collections::BTreeSet::new();
    for event in events {
        match &event.kind {
            EventKind::InvocationStarted { .. } => running += 1,
            EventKind::InvocationFinished { .. } => running -= 1,
            EventKind::MessageDeleted {
                queue: q,
                message_id,
            } if q == queue => {
                ended.insert(message_id.as_str());
            }
            EventKind::MovedToDeadLetterQueue {
                queue: q,
                message_id,
                ..
            } if q == queue => {
                ended.insert(message_id.as_str());
            }
            _ => {}
        }
    }
    running == 0 && jobs.values().all(|id| ended.contains(id.as_str()))
}

/// `POST /produce {"input": n}` through the stack's HTTP API (in memory, no
/// socket; the producer itself runs in process or as a process).
async fn produce(stack: &Stack, input: u32) -> Result<String> {
    let request = http::Request::post("/produce")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(format!(r#"{{"input": {input}}}"#))))?;
    let response = stack.http_api.handle(request).await;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    match answer["messageId"].as_str() {
        Some(id) if status == 200 => Ok(id.to_owned()),
        _ => bail!(
            "POST /produce {{\"input\": {input}}}: {status} {}",
            String::from_utf8_lossy(&body)
        ),
    }
}

/// Where a worker writes its lines (the function's log stream).
pub type Log = Arc<dyn Fn(String) + Send + Sync>;

/// A worker's batch handler: an event and the invocation's deadline in,
/// the batch response out, or `Err` when the invocation crashes (the
/// worker's `CRASH_AFTER_COMMIT`).
pub type WorkerFn = Arc<
    dyn Fn(
            SqsEvent,
            InvocationDeadline,
            Log,
        ) -> Pin<Box<dyn Future<Output = Result<SqsBatchResponse, String>> + Send>>
        + Send
        + Sync,
>;

/// An invocation's deadline on both clocks (the worker's `Deadline`).
#[derive(Clone, Copy, Debug)]
pub struct InvocationDeadline {
    pub epoch_millis: i64,
    pub instant: tokio::time::Instant,
}

/// What a worker is made from: clients that reach localcloud's SQS and
/// DynamoDB, and the environment serverless.yml gives the function.
pub struct WorkerSetup {
    pub client: aws_sdk_sqs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub environment: BTreeMap<String, String>,
}

/// The scenario's stack with handlers in process: step 2's producer and
/// the worker `make_worker` builds (the lesson's or the learner's), their
/// SQS client the real aws-sdk-sqs reaching localcloud in memory.
pub fn in_process_stack(
    config: ServerlessConfig,
    lambda: LambdaSettings,
    sqs: Sqs,
    worker_key: &str,
    make_worker: &dyn Fn(WorkerSetup) -> Result<WorkerFn>,
) -> Result<Stack> {
    let client = sdk_client(&sqs, &config.provider.region);
    let function = |key: &str| {
        config
            .function(key)
            .with_context(|| format!("no function {key}"))
    };
    let producer_queue = function("producer")?
        .environment
        .get("QUEUE_URL")
        .cloned()
        .context("the producer has no QUEUE_URL")?;
    let worker = make_worker(WorkerSetup {
        client: client.clone(),
        dynamodb: dynamodb_client(&sqs, &config.provider.region),
        environment: function(worker_key)?.environment.clone(),
    })?;
    let clock = lambda.clock;
    let producer = step2_sqs::producer::Producer::new(client, producer_queue);
    let mut code = BTreeMap::new();
    code.insert(
        "producer".to_owned(),
        CodeSource::Handler(adapters::http(move |request| {
            let producer = producer.clone();
            async move { producer.handle(request).await }
        })),
    );
    // As lambda_runtime runs the worker: the event read as JSON, the
    // response written as JSON; a crash ends the invocation as a process
    // exit does (Runtime.ExitError, the environment gone).
    let handler = move |payload: Bytes, context: InvokeContext| {
        let worker = worker.clone();
        async move {
            let event: SqsEvent = serde_json::from_slice(&payload).map_err(|e| HandlerError {
                error_type: "Runtime.InvalidEvent".into(),
                error_message: e.to_string(),
            })?;
            let deadline = InvocationDeadline {
                epoch_millis: clock.epoch_millis_at(context.deadline),
                instant: context.deadline,
            };
            let log: Log = Arc::new(move |line: String| context.log(line));
            match worker(event, deadline, log).await {
                Ok(response) => {
                    serde_json::to_vec(&response)
                        .map(Bytes::from)
                        .map_err(|e| HandlerError {
                            error_type: "Runtime.SerializationError".into(),
                            error_message: e.to_string(),
                        })
                }
                Err(crash) => Err(HandlerError {
                    error_type: localcloud::lambda::EXIT_ERROR.into(),
                    error_message: crash,
                }),
            }
        }
    };
    code.insert(
        worker_key.to_owned(),
        CodeSource::Handler(Arc::new(handler)),
    );
    Ok(Stack::new(
        config,
        StackOptions {
            code,
            lambda,
            sqs: Some(sqs),
        },
    )?)
}

/// The work queue of a scenario's config.
fn work_queue(config: &ServerlessConfig) -> Result<&QueueSpec> {
    config
        .queue_with_dlq()
        .context("the serverless.yml defines no queue with a dead-letter queue")
}

/// A DynamoDB client reaching the DynamoDB served beside `sqs`, in memory.
pub fn dynamodb_client(sqs: &Sqs, region: &str) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            "AKIDLOCALCLOUD",
            "localcloud",
            None,
            None,
            "localcloud",
        ))
        .endpoint_url(sqs.endpoint_url())
        .http_client(sqs.sdk_http_client())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

pub fn sdk_client(sqs: &Sqs, region: &str) -> aws_sdk_sqs::Client {
    use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            "AKIDLOCALCLOUD",
            "localcloud",
            None,
            None,
            "localcloud",
        ))
        .endpoint_url(sqs.endpoint_url())
        .http_client(sqs.sdk_http_client())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// What the events say about one invocation of the worker.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub environment: u64,
    pub start: i64,
    pub end: Option<i64>,
    pub outcome: Option<InvocationResult>,
    /// (message id, receive count) of its batch.
    pub messages: Vec<(String, u32)>,
}

impl Record {
    /// The worker's invocations, in the order they started.
    pub fn invocations(&self) -> Vec<Invocation> {
        let mut by_id: BTreeMap<&str, Invocation> = BTreeMap::new();
        let mut order = Vec::new();
        for event in &self.events {
            match &event.kind {
                EventKind::InvocationStarted {
                    function,
                    request_id,
                    environment,
                    ..
                } if *function == self.worker => {
                    order.push(request_id.as_str());
                    by_id.insert(
                        request_id,
                        Invocation {
                            environment: *environment,
                            start: event.at_epoch_millis,
                            end: None,
                            outcome: None,
                            messages: Vec::new(),
                        },
                    );
                }
                EventKind::InvocationFinished {
                    request_id,
                    outcome,
                    ..
                } => {
                    if let Some(i) = by_id.get_mut(request_id.as_str()) {
                        i.end = Some(event.at_epoch_millis);
                        i.outcome = Some(*outcome);
                    }
                }
                EventKind::BatchInvoked {
                    request_id,
                    messages,
                    ..
                } => {
                    if let Some(i) = by_id.get_mut(request_id.as_str()) {
                        i.messages = messages
                            .iter()
                            .map(|m| (m.message_id.clone(), m.receive_count))
                            .collect();
                    }
                }
                _ => {}
            }
        }
        order
            .into_iter()
            .filter_map(|id| by_id.remove(id))
            .collect()
    }

    /// Why a delete deleted nothing, in words.
    pub fn ignored_reason(reason: DeleteIgnoredReason) -> &'static str {
        match reason {
            DeleteIgnoredReason::StaleReceiptHandle => "stale receipt handle",
            DeleteIgnoredReason::MessageGone => "message already gone",
        }
    }
}

/// A [`WorkerFn`] factory for a crate with step 3's worker module
/// (`Worker`, `parse_work_seconds`, `parse_heartbeat`): the lesson
/// (`step3_dlq_visibility`) or an exercise's copy of it. A macro, because
/// each crate's `Worker` is a type of its own.
#[macro_export]
macro_rules! worker_of {
    ($krate:ident) => {
        |setup: $crate::WorkerSetup| -> ::anyhow::Result<$crate::WorkerFn> {
            let environment = &setup.environment;
            let setting = |name: &str| environment.get(name).map(String::as_str);
            let work = $krate::worker::parse_work_seconds(setting("WORK_SECONDS"))
                .map_err(::anyhow::Error::msg)?;
            let heartbeat = $krate::worker::parse_heartbeat(setting("HEARTBEAT"))
                .map_err(::anyhow::Error::msg)?;
            let idempotent = $krate::worker::parse_idempotency(setting("IDEMPOTENCY"))
                .map_err(::anyhow::Error::msg)?;
            let crash = $krate::worker::parse_crash_after_commit(setting("CRASH_AFTER_COMMIT"))
                .map_err(::anyhow::Error::msg)?;
            let mut worker = $krate::worker::Worker::new(
                setup.client,
                environment.get("QUEUE_URL").cloned().unwrap_or_default(),
                work,
                heartbeat,
            )
            .with_crash_after_commit(crash);
            if idempotent {
                let table = environment
                    .get("IDEMPOTENCY_TABLE")
                    .cloned()
                    .ok_or_else(|| ::anyhow::anyhow!("IDEMPOTENCY=on needs IDEMPOTENCY_TABLE"))?;
                worker = worker
                    .with_idempotency($krate::idempotency::Idempotency::new(setup.dynamodb, table));
            }
            let worker = ::std::sync::Arc::new(worker);
            Ok(::std::sync::Arc::new(
                move |event, deadline: $crate::InvocationDeadline, log: $crate::Log| {
                    let worker = worker.clone();
                    Box::pin(async move {
                        let deadline = $krate::worker::Deadline {
                            epoch_millis: deadline.epoch_millis,
                            instant: deadline.instant,
                        };
                        worker
                            .handle(&event, deadline, &*log)
                            .await
                            .map_err(|crash| crash.0)
                    })
                },
            ))
        }
    };
}

/// The worker's environment an exercise check sets for `scenario`: the
/// work (the problem's given), the heartbeat, and what the scenario turns
/// on (IDEMPOTENCY, CRASH_AFTER_COMMIT), whatever the learner's file says.
pub fn worker_environment(
    scenario: Scenario,
    work_seconds: u32,
    heartbeat: bool,
) -> Vec<(&'static str, String)> {
    let on_off = |on: bool| if on { "on" } else { "off" }.to_owned();
    vec![
        ("WORK_SECONDS", work_seconds.to_string()),
        ("HEARTBEAT", on_off(heartbeat)),
        ("IDEMPOTENCY", on_off(scenario.idempotent())),
        (
            "CRASH_AFTER_COMMIT",
            if scenario.crashes() {
                "first-receive"
            } else {
                "off"
            }
            .to_owned(),
        ),
    ]
}

/// An exercise's serverless.yml as the checks run it: the worker's
/// environment set to `environment` (the work is the problem's given, 15 s,
/// whatever the learner's file says; the heartbeat is on for its exercise).
pub fn config_with_worker_env(
    path: &std::path::Path,
    context: &ResolveContext,
    environment: &[(&str, String)],
) -> Result<ServerlessConfig> {
    let mut config = ServerlessConfig::from_file_with(path, context)?;
    for function in &mut config.functions {
        if !function.sqs_events.is_empty() {
            for (key, value) in environment {
                function
                    .environment
                    .insert((*key).to_owned(), value.clone());
            }
        }
    }
    Ok(config)
}
