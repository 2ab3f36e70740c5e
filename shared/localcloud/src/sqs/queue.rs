//! One standard queue: its messages and their visibility, in time.
//!
//! A message is *visible* (ready to be received), *delayed* (sent with a
//! delay), or *in flight* (received, hidden for the visibility timeout). The
//! times at which delayed and in-flight messages become visible again sit in
//! one ordered set, `(Instant, seq)`, and so do retention deadlines; the
//! queue catches up with the clock lazily, on every access ([`Queue::advance`]).
//! No timer runs per message (the mini-redis expiry pattern, without even the
//! background task: a waiting long poll sleeps until the earliest of these
//! instants). Receive, delete and visibility changes are O(log n).
//!
//! Rules (SQS-DG "Amazon SQS visibility timeout"): a receive hides the
//! message for the visibility timeout, increments `ApproximateReceiveCount`,
//! sets `ApproximateFirstReceiveTimestamp` the first time and issues a new
//! receipt handle; `DeleteMessage` must use the most recent handle, otherwise
//! "the request succeeds, but the message will not be deleted" (SQS-API
//! DeleteMessage); `ChangeMessageVisibility` counts from now, 0 makes the
//! message visible at once, and the total time in flight is capped at 12 h.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use super::attributes::{MAX_VISIBILITY_TIMEOUT, QueueSettings};
use super::error::{ErrorCode, SqsError, SqsResult};
use super::message::Attributes;

/// Most messages in flight per standard queue (SQS-DG quotas: ~120,000).
pub const MAX_IN_FLIGHT: usize = 120_000;

/// A message as stored.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: String,
    pub body: String,
    pub md5_of_body: String,
    pub attributes: Attributes,
    pub system_attributes: Attributes,
    pub sender_id: String,
    /// Epoch milliseconds of the original send (kept when moved to a DLQ).
    pub sent_timestamp: i64,
    pub first_receive_timestamp: Option<i64>,
    pub receive_count: u32,
    /// Set once the message was moved to a dead-letter queue.
    pub dead_letter_queue_source_arn: Option<String>,
    /// Retention counts from the original send, also in a DLQ (SQS-DG DLQs).
    pub enqueued_at: Instant,
    /// When retention drops it (set when it enters a queue).
    expires_at: Instant,
    state: State,
    /// The nonce of the most recent receipt handle.
    receipt_nonce: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Visible,
    Delayed {
        until: Instant,
    },
    InFlight {
        until: Instant,
        received_at: Instant,
    },
}

impl StoredMessage {
    /// A new message, not yet in a queue.
    pub fn new(
        id: String,
        body: String,
        attributes: Attributes,
        system_attributes: Attributes,
        sender_id: String,
        sent_timestamp: i64,
        now: Instant,
    ) -> Self {
        Self {
            md5_of_body: super::message::md5_of_body(&body),
            id,
            body,
            attributes,
            system_attributes,
            sender_id,
            sent_timestamp,
            first_receive_timestamp: None,
            receive_count: 0,
            dead_letter_queue_source_arn: None,
            enqueued_at: now,
            expires_at: now,
            state: State::Visible,
            receipt_nonce: None,
        }
    }
}

/// A receipt handle: which message, and which receive of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptHandle {
    pub seq: u64,
    pub nonce: u64,
}

impl ReceiptHandle {
    pub fn encode(&self, queue: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "localcloud:{queue}:{}:{:016x}",
            self.seq, self.nonce
        ))
    }

    /// Reads a handle; a malformed one is `ReceiptHandleIsInvalid`.
    pub fn decode(handle: &str, queue: &str) -> SqsResult<Self> {
        let invalid = || {
            SqsError::new(
                ErrorCode::ReceiptHandleIsInvalid,
                format!(
                    "The input receipt handle \"{}\" is not a valid receipt handle.",
                    handle.chars().take(200).collect::<String>()
                ),
            )
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(handle)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.rsplitn(3, ':');
        let nonce = parts.next().and_then(|n| u64::from_str_radix(n, 16).ok());
        let seq = parts.next().and_then(|s| s.parse().ok());
        let prefix = parts.next();
        match (prefix, seq, nonce) {
            (Some(p), Some(seq), Some(nonce)) if p == format!("localcloud:{queue}") => {
                Ok(Self { seq, nonce })
            }
            // A well-formed handle of another queue: AWS answers that it is invalid here.
            _ => Err(invalid()),
        }
    }
}

/// What a DeleteMessage did (it succeeds in all three cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The handle was the most recent one: the message is gone.
    Deleted { message_id: String },
    /// The message was received again since this handle was issued: it stays.
    StaleHandle { message_id: String },
    /// The message was received again since this handle was issued, and
    /// went all the same ([`super::StaleDelete::Delete`]).
    DeletedWithOlderHandle { message_id: String },
    /// No such message any more (deleted, moved, purged, expired).
    Gone,
}

/// One standard queue.
#[derive(Debug)]
pub struct Queue {
    pub name: String,
    pub arn: String,
    pub settings: QueueSettings,
    pub tags: BTreeMap<String, String>,
    /// Epoch milliseconds.
    pub created_timestamp: i64,
    pub last_modified_timestamp: i64,
    /// Wakes waiting long polls when a message may have become visible.
    pub notify: Arc<Notify>,
    messages: HashMap<u64, StoredMessage>,
    visible: BTreeSet<u64>,
    hidden: BTreeSet<(Instant, u64)>,
    expiry: BTreeSet<(Instant, u64)>,
    in_flight: usize,
    delayed: usize,
    next_seq: u64,
    last_purge: Option<Instant>,
}

/// The approximate counts of GetQueueAttributes (exact here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub visible: usize,
    pub in_flight: usize,
    pub delayed: usize,
}

impl Queue {
    pub fn new(name: String, arn: String, settings: QueueSettings, now_millis: i64) -> Self {
        Self {
            name,
            arn,
            settings,
            tags: BTreeMap::new(),
            created_timestamp: now_millis,
            last_modified_timestamp: now_millis,
            notify: Arc::new(Notify::new()),
            messages: HashMap::new(),
            visible: BTreeSet::new(),
            hidden: BTreeSet::new(),
            expiry: BTreeSet::new(),
            in_flight: 0,
            delayed: 0,
            next_seq: 0,
            last_purge: None,
        }
    }

    /// Catches up with the clock: delayed and in-flight messages whose time
    /// has come become visible; messages past retention are dropped.
    pub fn advance(&mut self, now: Instant) {
        let mut woke = false;
        while let Some(&(at, seq)) = self.hidden.first() {
            if at > now {
                break;
            }
            self.hidden.pop_first();
            if let Some(message) = self.messages.get_mut(&seq) {
                match message.state {
                    State::Delayed { .. } => self.delayed -= 1,
                    State::InFlight { .. } => self.in_flight -= 1,
                    State::Visible => {}
                }
                message.state = State::Visible;
                self.visible.insert(seq);
                woke = true;
            }
        }
        while let Some(&(at, seq)) = self.expiry.first() {
            if at > now {
                break;
            }
            self.expiry.pop_first();
            self.remove(seq);
        }
        if woke {
            self.notify.notify_waiters();
        }
    }

    /// When the next hidden message becomes visible, if any.
    pub fn next_wake(&self) -> Option<Instant> {
        self.hidden.first().map(|(at, _)| *at)
    }

    pub fn counts(&self) -> Counts {
        Counts {
            visible: self.visible.len(),
            in_flight: self.in_flight,
            delayed: self.delayed,
        }
    }

    /// Adds a message, visible after `delay`.
    pub fn push(&mut self, mut message: StoredMessage, delay: Duration, now: Instant) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let retention = Duration::from_secs(self.settings.message_retention_period.into());
        message.expires_at = message.enqueued_at + retention;
        self.expiry.insert((message.expires_at, seq));
        if delay.is_zero() {
            message.state = State::Visible;
            self.visible.insert(seq);
            self.notify.notify_waiters();
        } else {
            let until = now + delay;
            message.state = State::Delayed { until };
            self.hidden.insert((until, seq));
            self.delayed += 1;
        }
        message.receipt_nonce = None;
        self.messages.insert(seq, message);
        seq
    }

    /// The oldest visible message, if any.
    pub fn peek_visible(&self) -> Option<(u64, &StoredMessage)> {
        self.first_visible_except(&[])
    }

    /// The oldest visible message not in `taken` (the messages one receive
    /// call already returned: with a visibility timeout of 0 they are
    /// visible again at once, but a call returns each message once).
    pub fn first_visible_except(&self, taken: &[u64]) -> Option<(u64, &StoredMessage)> {
        let seq = *self.visible.iter().find(|s| !taken.contains(s))?;
        self.messages.get(&seq).map(|m| (seq, m))
    }

    pub fn in_flight_full(&self) -> bool {
        self.in_flight >= MAX_IN_FLIGHT
    }

    /// Receives a visible message: hides it for `visibility`, counts the
    /// receive, and returns the new receipt handle.
    pub fn receive(
        &mut self,
        seq: u64,
        visibility: Duration,
        now: Instant,
        now_millis: i64,
        nonce: u64,
    ) -> Option<(ReceiptHandle, &StoredMessage)> {
        let message = self.messages.get_mut(&seq)?;
        if message.state != State::Visible {
            return None;
        }
        self.visible.remove(&seq);
        message.receive_count += 1;
        message.first_receive_timestamp.get_or_insert(now_millis);
        message.receipt_nonce = Some(nonce);
        let until = now + visibility;
        if visibility.is_zero() {
            // Received and visible again at once.
            self.visible.insert(seq);
        } else {
            message.state = State::InFlight {
                until,
                received_at: now,
            };
            self.hidden.insert((until, seq));
            self.in_flight += 1;
        }
        Some((ReceiptHandle { seq, nonce }, message))
    }

    /// Takes a message out of the queue (to delete it or to move it).
    pub fn remove(&mut self, seq: u64) -> Option<StoredMessage> {
        let message = self.messages.remove(&seq)?;
        match message.state {
            State::Visible => {
                self.visible.remove(&seq);
            }
            State::Delayed { until } => {
                self.hidden.remove(&(until, seq));
                self.delayed -= 1;
            }
            State::InFlight { until, .. } => {
                self.hidden.remove(&(until, seq));
                self.in_flight -= 1;
            }
        }
        self.expiry.remove(&(message.expires_at, seq));
        Some(message)
    }

    /// DeleteMessage: deletes only with the most recent receipt handle; an
    /// older handle succeeds and deletes nothing (SQS-API DeleteMessage).
    /// Returns whether a message was deleted.
    pub fn delete(&mut self, handle: ReceiptHandle) -> bool {
        matches!(
            self.delete_outcome(handle, super::StaleDelete::Keep),
            Deletion::Deleted { .. }
        )
    }

    /// DeleteMessage, telling what happened. With an older handle AWS says
    /// the message "will not" (older pages) or "might not" (the current
    /// reference) be deleted: [`super::StaleDelete`] picks the reading.
    /// With [`super::StaleDelete::Delete`], an older handle deletes too
    /// (the other reading of "might not be deleted").
    pub fn delete_outcome(&mut self, handle: ReceiptHandle, stale: super::StaleDelete) -> Deletion {
        let Some(message) = self.messages.get(&handle.seq) else {
            return Deletion::Gone;
        };
        if message.receipt_nonce != Some(handle.nonce) {
            let message_id = message.id.clone();
            return match stale {
                super::StaleDelete::Keep => Deletion::StaleHandle { message_id },
                super::StaleDelete::Delete => match self.remove(handle.seq) {
                    Some(_) => Deletion::DeletedWithOlderHandle { message_id },
                    None => Deletion::Gone,
                },
            };
        }
        match self.remove(handle.seq) {
            Some(message) => Deletion::Deleted {
                message_id: message.id,
            },
            None => Deletion::Gone,
        }
    }

    /// ChangeMessageVisibility.
    pub fn change_visibility(
        &mut self,
        handle: ReceiptHandle,
        timeout: u32,
        now: Instant,
        handle_text: &str,
    ) -> SqsResult<()> {
        let Some(message) = self
            .messages
            .get_mut(&handle.seq)
            .filter(|m| m.receipt_nonce == Some(handle.nonce))
        else {
            return Err(SqsError::invalid_value(
                "ReceiptHandle",
                handle_text,
                "Message does not exist or is not available for visibility timeout change.",
            ));
        };
        let State::InFlight { until, received_at } = message.state else {
            return Err(SqsError::new(
                ErrorCode::MessageNotInflight,
                "Message not inflight.",
            ));
        };
        let total =
            now.saturating_duration_since(received_at) + Duration::from_secs(timeout.into());
        if total > Duration::from_secs(MAX_VISIBILITY_TIMEOUT.into()) {
            return Err(SqsError::invalid_value(
                "VisibilityTimeout",
                timeout,
                "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            ));
        }
        self.hidden.remove(&(until, handle.seq));
        if timeout == 0 {
            message.state = State::Visible;
            self.in_flight -= 1;
            self.visible.insert(handle.seq);
            self.notify.notify_waiters();
        } else {
            let until = now + Duration::from_secs(timeout.into());
            message.state = State::InFlight { until, received_at };
            self.hidden.insert((until, handle.seq));
        }
        Ok(())
    }

    /// PurgeQueue: every message goes; once per 60 s (SQS-API PurgeQueue).
    pub fn purge(&mut self, now: Instant) -> SqsResult<()> {
        if let Some(last) = self.last_purge
            && now.saturating_duration_since(last) < Duration::from_secs(60)
        {
            return Err(SqsError::new(
                ErrorCode::PurgeQueueInProgress,
                format!(
                    "Only one PurgeQueue operation on {} is allowed every 60 seconds.",
                    self.name
                ),
            ));
        }
        self.messages.clear();
        self.visible.clear();
        self.hidden.clear();
        self.expiry.clear();
        self.in_flight = 0;
        self.delayed = 0;
        self.last_purge = Some(now);
        Ok(())
    }

    pub fn get(&self, seq: u64) -> Option<&StoredMessage> {
        self.messages.get(&seq)
    }

    /// Up to `limit` in-flight messages with the instant each becomes
    /// visible again, soonest first (read off the ordered `hidden` set, so
    /// a look costs O(limit), not O(queue)).
    pub fn in_flight_messages(&self, limit: usize) -> Vec<(&StoredMessage, Instant)> {
        self.hidden
            .iter()
            .filter_map(|(until, seq)| {
                let message = self.messages.get(seq)?;
                matches!(message.state, State::InFlight { .. }).then_some((message, *until))
            })
            .take(limit)
            .collect()
    }

    /// Visible messages, oldest first (for a move task).
    pub fn visible_seqs(&self) -> Vec<u64> {
        self.visible.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(now: Instant) -> StoredMessage {
        StoredMessage::new(
            "id".into(),
            "body".into(),
            Attributes::new(),
            Attributes::new(),
            "sender".into(),
            0,
            now,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn visibility_timeout_hides_then_returns_the_message() {
        let now = Instant::now();
        let mut q = Queue::new("q".into(), "arn".into(), QueueSettings::default(), 0);
        let seq = q.push(message(now), Duration::ZERO, now);
        let (handle, m) = q.receive(seq, Duration::from_secs(10), now, 0, 1).unwrap();
        assert_eq!(m.receive_count, 1);
        assert_eq!(
            q.counts(),
            Counts {
                visible: 0,
                in_flight: 1,
                delayed: 0
            }
        );
        q.advance(now + Duration::from_millis(9_999));
        assert!(q.peek_visible().is_none());
        q.advance(now + Duration::from_secs(10));
        assert_eq!(q.peek_visible().map(|(s, _)| s), Some(seq));
        // The handle is still the most recent: it deletes.
        assert!(q.delete(handle));
        assert_eq!(q.counts(), Counts::default());
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_messages_come_soonest_first_without_the_delayed_ones() {
        let now = Instant::now();
        let mut q = Queue::new("q".into(), "arn".into(), QueueSettings::default(), 0);
        let late = q.push(message(now), Duration::ZERO, now);
        let soon = q.push(message(now), Duration::ZERO, now);
        q.push(message(now), Duration::from_secs(5), now);
        q.receive(late, Duration::from_secs(30), now, 0, 1).unwrap();
        q.receive(soon, Duration::from_secs(10), now, 0, 2).unwrap();
        let listed: Vec<(u32, Instant)> = q
            .in_flight_messages(10)
            .into_iter()
            .map(|(m, until)| (m.receive_count, until))
            .collect();
        assert_eq!(
            listed,
            [
                (1, now + Duration::from_secs(10)),
                (1, now + Duration::from_secs(30))
            ]
        );
        assert_eq!(q.in_flight_messages(1).len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_old_receipt_handle_deletes_nothing() {
        let now = Instant::now();
        let mut q = Queue::new("q".into(), "arn".into(), QueueSettings::default(), 0);
        let seq = q.push(message(now), Duration::ZERO, now);
        let (first, _) = q.receive(seq, Duration::from_secs(1), now, 0, 1).unwrap();
        let later = now + Duration::from_secs(1);
        q.advance(later);
        let (second, m) = q.receive(seq, Duration::from_secs(1), later, 0, 2).unwrap();
        assert_eq!(m.receive_count, 2);
        assert_eq!(
            q.delete_outcome(first, crate::sqs::StaleDelete::Keep),
            Deletion::StaleHandle {
                message_id: "id".into()
            }
        );
        assert!(!q.delete(first), "stale handle");
        assert_eq!(q.counts().in_flight, 1);
        assert!(q.delete(second));
        assert_eq!(
            q.delete_outcome(second, crate::sqs::StaleDelete::Keep),
            Deletion::Gone
        );
    }

    #[test]
    fn under_the_other_reading_an_older_handle_deletes() {
        let now = Instant::now();
        let mut q = Queue::new("q".into(), "arn".into(), QueueSettings::default(), 0);
        let seq = q.push(message(now), Duration::ZERO, now);
        let (first, _) = q.receive(seq, Duration::from_secs(1), now, 0, 1).unwrap();
        let later = now + Duration::from_secs(1);
        q.advance(later);
        let (second, _) = q.receive(seq, Duration::from_secs(1), later, 0, 2).unwrap();
        assert_eq!(
            q.delete_outcome(first, crate::sqs::StaleDelete::Delete),
            Deletion::DeletedWithOlderHandle {
                message_id: "id".into()
            }
        );
        assert_eq!(q.counts().in_flight, 0);
        assert_eq!(
            q.delete_outcome(second, crate::sqs::StaleDelete::Delete),
            Deletion::Gone
        );
    }

    #[test]
    fn receipt_handles_round_trip_and_reject_garbage() {
        let h = ReceiptHandle { seq: 42, nonce: 7 };
        assert_eq!(ReceiptHandle::decode(&h.encode("jobs"), "jobs").unwrap(), h);
        assert_eq!(
            ReceiptHandle::decode(&h.encode("jobs"), "other")
                .unwrap_err()
                .code,
            ErrorCode::ReceiptHandleIsInvalid
        );
        for bad in ["", "not-base64!", "bG9jYWxjbG91ZA"] {
            assert_eq!(
                ReceiptHandle::decode(bad, "jobs").unwrap_err().code,
                ErrorCode::ReceiptHandleIsInvalid
            );
        }
    }
}
