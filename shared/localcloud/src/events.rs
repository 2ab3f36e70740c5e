//! What happens inside localcloud, as a typed stream of [`Event`]s.
//!
//! SQS and Lambda report each step of a message's life and of an
//! invocation: a send, every delivery (ReceiveMessage and the event source
//! mapping's pollers share the same code), a delete that worked or was
//! ignored (and why), a visibility change, the move to a dead-letter queue,
//! attribute changes and purges, and each invocation's start and end in its
//! execution environment. A per-message timeline, a live console or `up`'s
//! "moved to the DLQ" line all read the same stream.
//!
//! The stream is a `tokio::sync::broadcast` channel: emitting never waits,
//! works with no subscriber at all, and a subscriber that falls more than
//! [`CAPACITY`] events behind gets `RecvError::Lagged` instead of slowing
//! the emulator. Every event carries the wall-clock time of the
//! [`crate::clock::Clock`] of whoever emitted it, so under tokio's paused
//! clock the times are exact. A [`crate::stack::Stack`] gives its SQS and
//! its Lambda one [`Events`] (and one clock), so a single subscriber sees
//! both in order.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// How many events a subscriber may fall behind before it loses some.
pub const CAPACITY: usize = 65_536;

/// Where events go; clone it freely (clones share the channel).
///
/// The channel is made at the first [`Events::subscribe`]: a broadcast
/// channel allocates all its [`CAPACITY`] slots up front (megabytes), and
/// most `Events` (every `SqsConfig::default()`, every test's SQS) are never
/// subscribed to. Until then [`Events::emit`] drops events at once.
#[derive(Clone, Debug, Default)]
pub struct Events {
    sender: Arc<OnceLock<broadcast::Sender<Event>>>,
}

impl Events {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender
            .get_or_init(|| broadcast::channel(CAPACITY).0)
            .subscribe()
    }

    /// Sends an event to every subscriber; with none, it is dropped. Never
    /// waits, so it may be called while holding a lock.
    pub fn emit(&self, kind: EventKind, at_epoch_millis: i64) {
        if let Some(sender) = self.sender.get() {
            let _ = sender.send(Event {
                at_epoch_millis,
                kind,
            });
        }
    }
}

/// One thing that happened, and when (epoch milliseconds, from the emitter's
/// [`crate::clock::Clock`]).
///
/// As JSON (both ways: a step-3 experiment run in another process hands
/// its record over as JSON): `{"at_epoch_millis": 1767225600000, "kind": "message_received",
/// "queue": "jobs", ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at_epoch_millis: i64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. Queues are named by queue name, functions by their
/// deployed name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A message entered a queue: SendMessage, each successful
    /// SendMessageBatch entry, or a redrive (StartMessageMoveTask) moving it
    /// back out of a dead-letter queue (the message keeps its id).
    MessageSent { queue: String, message_id: String },
    /// A delivery: ReceiveMessage (long poll or not) or an event source
    /// mapping's poller. The message stays hidden until
    /// `visible_again_at_epoch_millis` (equal to the event's time with a
    /// visibility timeout of 0).
    MessageReceived {
        queue: String,
        message_id: String,
        receive_count: u32,
        visible_again_at_epoch_millis: i64,
        /// The message's `MessageGroupId` (FIFO queues, and fair queues).
        /// Absent from the JSON when there is none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<String>,
    },
    /// A send to a FIFO queue repeated a deduplication id of the last 5
    /// minutes: "accepted successfully but ... not delivered" (SQS-API
    /// SendMessage, MessageDeduplicationId). `message_id` is the first
    /// send's, which the duplicate's answer carries too.
    MessageDeduplicated {
        queue: String,
        message_id: String,
        group_id: String,
        deduplication_id: String,
    },
    /// DeleteMessage (or a DeleteMessageBatch entry) removed the message.
    MessageDeleted { queue: String, message_id: String },
    /// DeleteMessage succeeded, as AWS answers, but deleted nothing.
    DeleteIgnored {
        queue: String,
        /// Known when the message is still in the queue.
        message_id: Option<String>,
        reason: DeleteIgnoredReason,
    },
    /// ChangeMessageVisibility (or a batch entry) took effect.
    VisibilityChanged {
        queue: String,
        message_id: String,
        visible_again_at_epoch_millis: i64,
    },
    /// A receive found the message over its queue's `maxReceiveCount` and
    /// moved it to the dead-letter queue instead of delivering it.
    /// `receive_count` is the count it had (deliveries so far).
    MovedToDeadLetterQueue {
        queue: String,
        dead_letter_queue: String,
        message_id: String,
        receive_count: u32,
        max_receive_count: u32,
    },
    /// SetQueueAttributes, with the attributes it set.
    QueueAttributesChanged {
        queue: String,
        attributes: BTreeMap<String, String>,
    },
    /// PurgeQueue removed every message.
    QueuePurged { queue: String },
    /// An invocation began in execution environment `environment` (numbered
    /// 1, 2, ... per function); `cold_start` when that environment is new.
    InvocationStarted {
        function: String,
        request_id: String,
        environment: u64,
        cold_start: bool,
    },
    /// An invocation ended. After a timeout or a crash its environment is
    /// gone: the next invocation gets a new one.
    InvocationFinished {
        function: String,
        request_id: String,
        environment: u64,
        outcome: InvocationResult,
        duration_ms: f64,
    },
    /// An event source mapping's invocation ended: which messages its batch
    /// held (with the receive count each was delivered with), so an
    /// invocation can be tied to the messages it worked on. Emitted when
    /// the invocation has finished, before the mapping's deletes.
    BatchInvoked {
        function: String,
        queue: String,
        request_id: String,
        messages: Vec<BatchMessage>,
    },
    /// A DynamoDB table was created (CreateTable, or a stack's
    /// `AWS::DynamoDB::Table`).
    TableCreated { table: String },
    /// DeleteTable.
    TableDeleted { table: String },
    /// PutItem, UpdateItem or DeleteItem changed an item (`operation`);
    /// `key` reads `id=job-1` (or `pk=a, sk=3`).
    ItemWritten {
        table: String,
        operation: String,
        key: String,
    },
    /// A write's `ConditionExpression` was false: nothing changed, and the
    /// caller got `ConditionalCheckFailedException`. For an idempotent
    /// worker, this is a duplicate caught.
    ConditionalCheckFailed {
        table: String,
        operation: String,
        key: String,
    },
    /// Time to Live deleted an expired item.
    ItemExpired { table: String, key: String },
}

/// One message of a batch an event source mapping handed to a function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMessage {
    pub message_id: String,
    pub receive_count: u32,
}

/// Why a DeleteMessage deleted nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteIgnoredReason {
    /// The message is still in the queue but was received again after this
    /// receipt handle was issued. "You must provide the most recently
    /// received ReceiptHandle for the message (otherwise, the request
    /// succeeds, but the message will not be deleted)"
    /// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html>).
    StaleReceiptHandle,
    /// The message is no longer in the queue: already deleted, moved to a
    /// dead-letter queue, purged or expired.
    MessageGone,
}

/// How an invocation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvocationResult {
    /// The function returned a result.
    Success,
    /// The function reported an error.
    Error,
    /// The function ran past its timeout.
    Timeout,
    /// The runtime crashed or failed to start.
    Crash,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_flat_with_a_snake_case_kind() {
        let event = Event {
            at_epoch_millis: 1_767_225_600_000,
            kind: EventKind::DeleteIgnored {
                queue: "jobs".into(),
                message_id: Some("m-1".into()),
                reason: DeleteIgnoredReason::StaleReceiptHandle,
            },
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({
                "at_epoch_millis": 1_767_225_600_000_i64,
                "kind": "delete_ignored",
                "queue": "jobs",
                "message_id": "m-1",
                "reason": "stale_receipt_handle",
            })
        );
        let finished = EventKind::InvocationFinished {
            function: "f".into(),
            request_id: "r".into(),
            environment: 2,
            outcome: InvocationResult::Timeout,
            duration_ms: 3000.0,
        };
        assert_eq!(
            serde_json::to_value(Event {
                at_epoch_millis: 0,
                kind: finished
            })
            .unwrap()["outcome"],
            "timeout"
        );
    }

    #[test]
    fn emitting_without_a_subscriber_is_fine_and_subscribers_see_later_events() {
        let events = Events::new();
        events.emit(EventKind::QueuePurged { queue: "a".into() }, 1);
        let mut rx = events.subscribe();
        events
            .clone()
            .emit(EventKind::QueuePurged { queue: "b".into() }, 2);
        assert_eq!(
            rx.try_recv().unwrap(),
            Event {
                at_epoch_millis: 2,
                kind: EventKind::QueuePurged { queue: "b".into() }
            }
        );
        assert!(rx.try_recv().is_err());
    }
}
