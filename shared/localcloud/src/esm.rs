//! The Lambda event source mapping for SQS: pollers that take messages off a
//! queue and invoke a function with them.
//!
//! Follows the Lambda Developer Guide, "Using Lambda with Amazon SQS"
//! (docs.aws.amazon.com/lambda/latest/dg/with-sqs.html and the pages
//! `services-sqs-configure`, `services-sqs-scaling`, `services-sqs-errorhandling`):
//!
//! - Creating a mapping whose queue visibility timeout is below the function
//!   timeout is refused (`InvalidParameterValueException`). Changing the
//!   queue's timeout later is not checked again.
//! - Pollers long-poll. A batch is sent when it holds `BatchSize` messages,
//!   or when the batching window (`MaximumBatchingWindowInSeconds`) since the
//!   first message runs out, or, with no window, as soon as a receive returns.
//! - Success: the whole batch is deleted. A function error or timeout:
//!   nothing is deleted; the messages come back after their visibility
//!   timeout. With `ReportBatchItemFailures`, only the listed
//!   `batchItemFailures` stay; an empty list or null means all succeeded; an
//!   unknown or empty `itemIdentifier` fails the whole batch.
//! - Scaling: five concurrent batches to start; while messages wait and every
//!   poller is busy, up to five more each second (300 a minute), up to
//!   `MaximumConcurrency`, the function's concurrency limit, or 1,000.
//!   Idle pollers above five stop.
//!
//! - FIFO queues (L-DG "Using Lambda with Amazon SQS", with-sqs.html, and
//!   `services-sqs-scaling`): the queue itself hands out each message
//!   group in order and keeps a group's later messages back while one of
//!   its messages is in flight ([`crate::sqs::queue`]), so a batch holds
//!   each group's messages in send order and a group is in one batch at a
//!   time. "For FIFO queues, Lambda scales ... [with] the number of active
//!   message groups": pollers are added only while some group can
//!   deliver, at most one per such group. `BatchSize` is at most 10
//!   ("For FIFO queues, the maximum is 10", CreateEventSourceMapping,
//!   BatchSize). With `ReportBatchItemFailures`, "your function should stop
//!   processing messages after the first failure and return all failed and
//!   unprocessed messages in batchItemFailures. This helps preserve the
//!   ordering of messages in your queue": the mapping does with the list
//!   what it does on a standard queue, deletes every message not in it;
//!   the listed ones stay in flight (their group blocked) until their
//!   visibility timeout, then come back first in their group. A function
//!   that lists only the failed message and not the ones after it gets
//!   those deleted, as on AWS.
//!
//! Time is tokio's, so the whole loop runs under a paused clock in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::client::HttpClient;
use crate::events::{BatchMessage, EventKind};
use crate::lambda::{Lambda, Outcome};
use crate::server::CancellationToken;
use crate::sqs::Sqs;
use crate::sqs::ops::messages::MessageOut;

/// Where a mapping reads its queue: localcloud's SQS in this process, or any
/// SQS endpoint over the AWS JSON protocol (moto's server, in the benchmark
/// that compares the two under the same pipeline).
#[derive(Clone)]
pub enum QueueAccess {
    Local(Sqs),
    Remote {
        client: HttpClient,
        endpoint: String,
        /// The region requests are signed for (SQS servers such as moto keep
        /// queues per region).
        region: String,
    },
}

impl QueueAccess {
    async fn call(&self, operation: &str, body: Value) -> Result<Value, String> {
        let QueueAccess::Remote {
            client,
            endpoint,
            region,
        } = self
        else {
            return Err("not a remote queue".into());
        };
        let target = format!("AmazonSQS.{operation}");
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDLOCALCLOUD/20260101/{region}/sqs/aws4_request, SignedHeaders=host, Signature=0"
        );
        let answer = client
            .send(
                http::Method::POST,
                endpoint,
                &[
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amz-target", &target),
                    ("authorization", &authorization),
                ],
                body.to_string(),
            )
            .await
            .map_err(|e| e.to_string())?;
        if !answer.status.is_success() {
            return Err(answer.body_text());
        }
        serde_json::from_slice(&answer.body).map_err(|e| e.to_string())
    }

    async fn receive(
        &self,
        queue_url: &str,
        max: u32,
        wait: u32,
    ) -> Result<Vec<MessageOut>, String> {
        match self {
            QueueAccess::Local(sqs) => sqs
                .receive_messages(queue_url, max, wait)
                .await
                .map_err(|e| e.to_string()),
            QueueAccess::Remote { .. } => {
                let answer = self
                    .call(
                        "ReceiveMessage",
                        json!({"QueueUrl": queue_url, "MaxNumberOfMessages": max, "WaitTimeSeconds": wait,
                               "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}),
                    )
                    .await?;
                match answer.get("Messages") {
                    None => Ok(Vec::new()),
                    Some(messages) => {
                        serde_json::from_value(messages.clone()).map_err(|e| e.to_string())
                    }
                }
            }
        }
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) {
        match self {
            QueueAccess::Local(sqs) => {
                let _ = sqs.delete_message(queue_url, receipt_handle);
            }
            QueueAccess::Remote { .. } => {
                let _ = self
                    .call(
                        "DeleteMessage",
                        json!({"QueueUrl": queue_url, "ReceiptHandle": receipt_handle}),
                    )
                    .await;
            }
        }
    }

    /// How many more batches could start now: on localcloud's FIFO queue,
    /// the message groups that can deliver; otherwise the visible messages
    /// (`ApproximateNumberOfMessages`).
    async fn waiting(&self, queue_url: &str) -> usize {
        if let QueueAccess::Local(sqs) = self
            && let Some(name) = queue_url.rsplit('/').next()
            && let Some(count) = sqs.receivable(name)
        {
            return count;
        }
        self.attributes(queue_url)
            .await
            .map_or(0, |(_, visible)| visible)
    }

    /// `VisibilityTimeout` and `ApproximateNumberOfMessages`.
    async fn attributes(&self, queue_url: &str) -> Option<(u64, usize)> {
        let attributes = match self {
            QueueAccess::Local(sqs) => {
                let name = queue_url.rsplit('/').next()?;
                sqs.queue_attributes(name).ok()?
            }
            QueueAccess::Remote { .. } => {
                let answer = self
                    .call(
                        "GetQueueAttributes",
                        json!({"QueueUrl": queue_url, "AttributeNames": ["All"]}),
                    )
                    .await
                    .ok()?;
                serde_json::from_value(answer.get("Attributes")?.clone()).ok()?
            }
        };
        let number = |key: &str| attributes.get(key).and_then(|v: &String| v.parse().ok());
        Some((
            number("VisibilityTimeout")?,
            number("ApproximateNumberOfMessages").unwrap_or(0) as usize,
        ))
    }
}

/// The queue a mapping reads, as Lambda knows it.
#[derive(Debug, Clone)]
pub struct QueueRef {
    pub url: String,
    pub arn: String,
    pub region: String,
}

/// Pollers to start with, and the most added per second.
const INITIAL_POLLERS: usize = 5;
/// Lambda's ceiling of concurrent batches per mapping.
const MAX_POLLERS: usize = 1_000;

/// One mapping's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSpec {
    pub function_name: String,
    pub queue_name: String,
    pub batch_size: u32,
    pub maximum_batching_window_seconds: u32,
    pub report_batch_item_failures: bool,
    /// `ScalingConfig.MaximumConcurrency`.
    pub maximum_concurrency: Option<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    /// Lambda's own words (CreateEventSourceMapping).
    #[error(
        "InvalidParameterValueException: Queue visibility timeout: {queue} seconds is less than Function timeout: {function} seconds"
    )]
    VisibilityBelowTimeout { queue: u64, function: u64 },
    #[error("ResourceNotFoundException: {0}")]
    NotFound(String),
    /// Another refused parameter, in Lambda's words.
    #[error("InvalidParameterValueException: {0}")]
    InvalidParameter(String),
}

/// A running mapping; `stop` (or the shutdown token) ends its pollers.
pub struct EventSourceMapping {
    pub spec: MappingSpec,
    shutdown: CancellationToken,
    pollers: Arc<AtomicUsize>,
}

struct Shared {
    spec: MappingSpec,
    access: QueueAccess,
    lambda: Lambda,
    queue_url: String,
    queue_arn: String,
    region: String,
    shutdown: CancellationToken,
    pollers: Arc<AtomicUsize>,
    busy: AtomicUsize,
    min_pollers: usize,
}

impl EventSourceMapping {
    /// Checks the mapping as CreateEventSourceMapping does, then starts it
    /// on a queue of localcloud's SQS.
    pub async fn start(
        spec: MappingSpec,
        sqs: Sqs,
        lambda: Lambda,
        shutdown: CancellationToken,
    ) -> Result<Self, MappingError> {
        let queue = QueueRef {
            url: sqs.queue_url(&spec.queue_name).ok_or_else(|| {
                MappingError::NotFound(format!("Queue not found: {}", spec.queue_name))
            })?,
            arn: sqs.queue_arn(&spec.queue_name).unwrap_or_default(),
            region: sqs.region(),
        };
        Self::start_with(spec, QueueAccess::Local(sqs), queue, lambda, shutdown).await
    }

    /// The same, on any queue `access` reaches.
    pub async fn start_with(
        spec: MappingSpec,
        access: QueueAccess,
        queue: QueueRef,
        lambda: Lambda,
        shutdown: CancellationToken,
    ) -> Result<Self, MappingError> {
        let function = lambda.function(&spec.function_name).ok_or_else(|| {
            MappingError::NotFound(format!("Function not found: {}", spec.function_name))
        })?;
        let (visibility, _) = access.attributes(&queue.url).await.ok_or_else(|| {
            MappingError::NotFound(format!("Queue not found: {}", spec.queue_name))
        })?;
        if queue.url.ends_with(".fifo") && spec.batch_size > 10 {
            return Err(MappingError::InvalidParameter(format!(
                "BatchSize {} is not supported for FIFO queues: the maximum is 10.",
                spec.batch_size
            )));
        }
        let function_timeout = function.timeout.as_secs();
        if visibility < function_timeout {
            return Err(MappingError::VisibilityBelowTimeout {
                queue: visibility,
                function: function_timeout,
            });
        }
        let limit = spec
            .maximum_concurrency
            .map_or(MAX_POLLERS, |m| m as usize)
            .min(function.max_concurrency.unwrap_or(MAX_POLLERS))
            .min(lambda.settings().default_max_concurrency)
            .clamp(1, MAX_POLLERS);
        let pollers = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            queue_url: queue.url,
            queue_arn: queue.arn,
            region: queue.region,
            spec: spec.clone(),
            access,
            lambda,
            shutdown: shutdown.clone(),
            pollers: pollers.clone(),
            busy: AtomicUsize::new(0),
            min_pollers: INITIAL_POLLERS.min(limit),
        });
        for _ in 0..shared.min_pollers {
            spawn_poller(shared.clone());
        }
        tokio::spawn(scale(shared, limit));
        Ok(Self {
            spec,
            shutdown,
            pollers,
        })
    }

    /// How many pollers (concurrent batches) run now.
    pub fn pollers(&self) -> usize {
        self.pollers.load(Ordering::SeqCst)
    }

    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

/// Adds pollers while messages wait and every poller is busy.
async fn scale(shared: Arc<Shared>, limit: usize) {
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let pollers = shared.pollers.load(Ordering::SeqCst);
        let busy = shared.busy.load(Ordering::SeqCst);
        let waiting = shared.access.waiting(&shared.queue_url).await;
        if waiting > 0 && busy >= pollers && pollers < limit {
            for _ in 0..INITIAL_POLLERS.min(limit - pollers).min(waiting) {
                spawn_poller(shared.clone());
            }
        }
    }
}

fn spawn_poller(shared: Arc<Shared>) {
    shared.pollers.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(async move {
        poll(&shared).await;
        shared.pollers.fetch_sub(1, Ordering::SeqCst);
    });
}

async fn poll(shared: &Shared) {
    let spec = &shared.spec;
    let batch_size = spec.batch_size.max(1) as usize;
    let window = Duration::from_secs(spec.maximum_batching_window_seconds.into());
    loop {
        let first = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            r = shared.access.receive(&shared.queue_url, batch_size.min(10) as u32, 20) => r,
        };
        let mut batch = match first {
            Ok(messages) if !messages.is_empty() => messages,
            Ok(_) => {
                // Idle: extra pollers stop, the first five keep polling.
                if shared.pollers.load(Ordering::SeqCst) > shared.min_pollers {
                    return;
                }
                continue;
            }
            // The queue was deleted: the mapping has nothing to read.
            Err(_) => return,
        };
        if !window.is_zero() {
            let deadline = tokio::time::Instant::now() + window;
            while batch.len() < batch_size {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                let wait = left.as_secs().clamp(1, 20) as u32;
                let more = tokio::select! {
                    _ = shared.shutdown.cancelled() => return,
                    _ = tokio::time::sleep_until(deadline) => break,
                    r = shared.access.receive(&shared.queue_url, (batch_size - batch.len()).min(10) as u32, wait) => r,
                };
                match more {
                    Ok(messages) => batch.extend(messages),
                    Err(_) => break,
                }
            }
        }
        shared.busy.fetch_add(1, Ordering::SeqCst);
        invoke_with(shared, batch).await;
        shared.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Invokes the function with one batch and deletes what succeeded.
async fn invoke_with(shared: &Shared, batch: Vec<MessageOut>) {
    let event = sqs_event(shared, &batch);
    let payload = Bytes::from(event.to_string());
    let Ok(invocation) = shared
        .lambda
        .invoke(&shared.spec.function_name, payload)
        .await
    else {
        return;
    };
    shared.lambda.events().emit(
        EventKind::BatchInvoked {
            function: shared.spec.function_name.clone(),
            queue: shared.spec.queue_name.clone(),
            request_id: invocation.request_id.clone(),
            messages: batch
                .iter()
                .map(|m| BatchMessage {
                    message_id: m.message_id.clone(),
                    receive_count: m
                        .attributes
                        .get("ApproximateReceiveCount")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0),
                })
                .collect(),
        },
        shared.lambda.settings().clock.epoch_millis(),
    );
    let Outcome::Success(result) = invocation.outcome else {
        // Error or timeout: nothing is deleted.
        return;
    };
    let failed = if shared.spec.report_batch_item_failures {
        match batch_item_failures(&result, &batch) {
            Some(failed) => failed,
            // An unusable answer fails the whole batch.
            None => return,
        }
    } else {
        Vec::new()
    };
    for message in &batch {
        if !failed.contains(&message.message_id) {
            shared
                .access
                .delete(&shared.queue_url, &message.receipt_handle)
                .await;
        }
    }
}

/// The ids in `{"batchItemFailures": [{"itemIdentifier": "..."}]}`; `None`
/// when the answer names an id that is empty or not in the batch.
fn batch_item_failures(result: &[u8], batch: &[MessageOut]) -> Option<Vec<String>> {
    let value: Value = match serde_json::from_slice(result) {
        Ok(v) => v,
        // Not JSON at all: treated as success with no failures listed, as
        // Lambda does for a response that is not a batch response.
        Err(_) => return Some(Vec::new()),
    };
    let failures = match value.get("batchItemFailures") {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return None,
    };
    let mut ids = Vec::new();
    for item in failures {
        let id = item.get("itemIdentifier").and_then(Value::as_str)?;
        if id.is_empty() || !batch.iter().any(|m| m.message_id == id) {
            return None;
        }
        ids.push(id.to_owned());
    }
    Some(ids)
}

/// The `SqsEvent` Lambda sends (L-DG "Example standard queue message event").
fn sqs_event(shared: &Shared, batch: &[MessageOut]) -> Value {
    let records: Vec<Value> = batch
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes
                .iter()
                .filter(|(k, _)| {
                    matches!(
                        k.as_str(),
                        "ApproximateReceiveCount"
                            | "SentTimestamp"
                            | "SenderId"
                            | "ApproximateFirstReceiveTimestamp"
                            | "AWSTraceHeader"
                            | "DeadLetterQueueSourceArn"
                            | "SequenceNumber"
                            | "MessageGroupId"
                            | "MessageDeduplicationId"
                    )
                })
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let message_attributes: serde_json::Map<String, Value> = m
                .message_attributes
                .iter()
                .map(|(name, v)| {
                    let mut a = serde_json::Map::new();
                    if let Some(s) = &v.string_value {
                        a.insert("stringValue".into(), json!(s));
                    }
                    if let Some(b) = &v.binary_value {
                        a.insert("binaryValue".into(), json!(b));
                    }
                    a.insert("stringListValues".into(), json!([]));
                    a.insert("binaryListValues".into(), json!([]));
                    a.insert("dataType".into(), json!(v.data_type));
                    (name.clone(), Value::Object(a))
                })
                .collect();
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": shared.queue_arn,
                "awsRegion": shared.region,
            })
        })
        .collect();
    json!({ "Records": records })
}
