//! One standard queue: its messages and their visibility, in time.
//!
//! A message is *visible* (ready to be received), *delayed* (sent with a
//! delay), or *in flight* (received, hidden for the visibility timeout). The
//! times at which delayed and in-flight messages become visible again sit in
//! one ordered set, `(instant, seq)`, and so do retention deadlines; the
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
//!
//! A FIFO queue adds, behind one optional pointer ([`FifoState`]):
//! - message groups: "Messages within the same message group are always
//!   processed one at a time, in strict order, ensuring that no two
//!   messages from the same group are processed simultaneously"
//!   (SQS-DG "Using the message group ID",
//!   <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagegroupid-property.html>).
//!   A group is *ready* when its oldest message is visible and none of its
//!   messages is in flight; the ready groups sit in an ordered set by their
//!   oldest message, so a receive finds the next message in O(log n) even
//!   when one blocked group holds a million. A message whose visibility
//!   timeout runs out is still its group's oldest: it comes first again.
//!   "When receiving messages from a FIFO queue with multiple message group
//!   IDs, Amazon SQS first attempts to return as many messages with the
//!   same message group ID as possible" (SQS-DG "FIFO queue delivery
//!   logic", FIFO-queues-understanding-logic.html): [`Queue::fifo_next`]
//!   prefers the group a receive already took from.
//! - the deduplication ids of the last 5 minutes, kept after the message is
//!   received and deleted ("Amazon SQS continues tracking the deduplication
//!   ID even after the message has been received and deleted", SQS-DG
//!   "FIFO queue key terms");
//! - the receive request attempt ids of the last 5 minutes (SQS-API
//!   ReceiveMessage, `ReceiveRequestAttemptId`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};
use uuid::Uuid;

use super::attributes::{MAX_VISIBILITY_TIMEOUT, QueueSettings};
use super::error::{ErrorCode, SqsError, SqsResult};
use super::message::Attributes;

/// Most messages in flight per standard queue (SQS-DG quotas: ~120,000).
pub const MAX_IN_FLIGHT: usize = 120_000;

/// An instant as signed nanoseconds from a process-wide origin: 8 bytes
/// where an [`Instant`] takes 16, exact both ways (an `Instant` counts
/// nanoseconds), and ordered as the instants are. A stored message holds
/// four of them and the queue's ordered sets one each per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Tick(i64);

impl Tick {
    fn origin() -> Instant {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        *ORIGIN.get_or_init(Instant::now)
    }

    fn at(instant: Instant) -> Self {
        let origin = Self::origin();
        match instant.checked_duration_since(origin) {
            Some(after) => Self(after.as_nanos() as i64),
            None => Self(-(origin.duration_since(instant).as_nanos() as i64)),
        }
    }

    fn instant(self) -> Instant {
        let origin = Self::origin();
        let offset = Duration::from_nanos(self.0.unsigned_abs());
        if self.0 >= 0 {
            origin + offset
        } else {
            origin - offset
        }
    }
}

/// A message as stored: what a million of them cost is the point of its
/// layout (`cargo xtask bench sqs`, issue 19). The id and the body's MD5
/// are their 16 bytes (formatted when answered), the body one allocation
/// of its exact length, the instants [`Tick`]s, and what most messages
/// lack (message and system attributes, the dead-letter source) behind one
/// pointer that is null when they are absent. The sender is not stored:
/// one principal, the account, sends everything here, and the engine says
/// so at receive ([`super::engine::Received::sender_id`]). The queue keeps
/// each message in a box of its own, so its hash table holds a pointer per
/// slot, not a message.
///
/// FIFO's group id, deduplication id and sequence number are in
/// [`Extras`] (behind a further pointer, [`GroupFields`]): nothing on a
/// standard message without them.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    id: Uuid,
    md5_of_body: [u8; 16],
    body: Box<str>,
    extras: Option<Box<Extras>>,
    /// Epoch milliseconds of the original send (kept when moved to a DLQ).
    pub sent_timestamp: i64,
    /// Epoch milliseconds; [`NEVER`] until the first receive.
    first_receive_timestamp: i64,
    /// Retention counts from the original send, also in a DLQ (SQS-DG DLQs).
    enqueued_at: Tick,
    /// When retention drops it (set when it enters a queue).
    expires_at: Tick,
    /// Delayed or in flight: when it becomes visible again.
    until: Tick,
    /// In flight: when it was received (the 12 h cap counts from then).
    received_at: Tick,
    /// The nonce of the most recent receipt handle, if `has_nonce`.
    receipt_nonce: u64,
    pub receive_count: u32,
    state: State,
    has_nonce: bool,
}

/// No `ApproximateFirstReceiveTimestamp` yet.
const NEVER: i64 = i64::MIN;

/// What few messages have, out of line.
#[derive(Debug, Clone, Default)]
struct Extras {
    attributes: Attributes,
    system_attributes: Attributes,
    /// Set once the message was moved to a dead-letter queue: its source
    /// queue's ARN, shared with the queue.
    dead_letter_queue_source_arn: Option<Arc<str>>,
    /// FIFO (or a fair queue's group id on a standard queue).
    group: Option<Box<GroupFields>>,
}

impl Extras {
    fn is_empty(&self) -> bool {
        self.attributes.is_empty()
            && self.system_attributes.is_empty()
            && self.dead_letter_queue_source_arn.is_none()
            && self.group.is_none()
    }
}

/// A message's `MessageGroupId`, `MessageDeduplicationId` and
/// `SequenceNumber` (SQS-API ReceiveMessage, MessageSystemAttributeNames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    /// Shared with the queue's group table.
    pub group_id: Arc<str>,
    pub deduplication_id: Option<Box<str>>,
    /// Set when the message enters a FIFO queue.
    pub sequence_number: Option<u128>,
}

/// Where sequence numbers start: "the large, non-consecutive number that
/// Amazon SQS assigns to each message" is 128 bits (SQS-API SendMessage,
/// `SequenceNumber`); AWS's read like `18849496460467696128` (20 digits).
/// Here: this base plus the queue's arrival counter, so each queue's are
/// increasing (not spaced out as AWS's are).
pub const SEQUENCE_NUMBER_BASE: u128 = 18_000_000_000_000_000_000;

/// How long a deduplication id and a receive request attempt id count:
/// "the 5-minute deduplication interval" (SQS-API SendMessage,
/// MessageDeduplicationId) and "You can use ReceiveRequestAttemptId only
/// for 5 minutes after a ReceiveMessage action" (SQS-API ReceiveMessage).
pub const DEDUPLICATION_INTERVAL: Duration = Duration::from_secs(300);

/// A FIFO queue's groups, deduplication ids and receive attempts.
#[derive(Debug, Default)]
struct FifoState {
    groups: HashMap<Arc<str>, Group>,
    /// Groups that can deliver now, by their oldest message.
    ready: BTreeSet<(u64, Arc<str>)>,
    dedup: HashMap<Box<str>, Duplicate>,
    /// Deduplication keys in the order they were sent (each counts 5 minutes).
    dedup_order: VecDeque<(Tick, Box<str>)>,
    attempts: HashMap<Box<str>, Attempt>,
}

#[derive(Debug, Default)]
struct Group {
    /// Every message of the group in the queue, oldest first.
    seqs: BTreeSet<u64>,
    in_flight: u32,
    /// The key under which the group sits in `ready`, if it does.
    ready_head: Option<u64>,
}

/// What a duplicate send answers: the first message's id and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicate {
    pub message_id: Uuid,
    pub sequence_number: u128,
    until: Tick,
}

/// One ReceiveMessage with a `ReceiveRequestAttemptId`: what it returned.
#[derive(Debug, Clone)]
struct Attempt {
    until: Tick,
    /// (seq, receipt nonce, visible again at) of each message returned.
    messages: Vec<(u64, u64, Tick)>,
}

/// Where a message is; the instants that go with it are the message's
/// `until` and `received_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Visible,
    /// Sent with a delay, visible at `until`.
    Delayed,
    /// Received, visible again at `until`.
    InFlight,
}

static NO_ATTRIBUTES: Attributes = BTreeMap::new();

impl StoredMessage {
    /// A new message, not yet in a queue.
    pub fn new(
        id: Uuid,
        body: String,
        attributes: Attributes,
        system_attributes: Attributes,
        sent_timestamp: i64,
        now: Instant,
    ) -> Self {
        Self::with_md5(
            id,
            super::message::md5_digest(&body),
            body,
            attributes,
            system_attributes,
            sent_timestamp,
            now,
        )
    }

    /// [`Self::new`] with the body's MD5 already computed.
    pub fn with_md5(
        id: Uuid,
        md5_of_body: [u8; 16],
        body: String,
        attributes: Attributes,
        system_attributes: Attributes,
        sent_timestamp: i64,
        now: Instant,
    ) -> Self {
        let extras = (!attributes.is_empty() || !system_attributes.is_empty()).then(|| {
            Box::new(Extras {
                attributes,
                system_attributes,
                dead_letter_queue_source_arn: None,
                group: None,
            })
        });
        let now = Tick::at(now);
        Self {
            id,
            md5_of_body,
            body: body.into_boxed_str(),
            extras,
            sent_timestamp,
            first_receive_timestamp: NEVER,
            enqueued_at: now,
            expires_at: now,
            until: now,
            received_at: now,
            receipt_nonce: 0,
            receive_count: 0,
            state: State::Visible,
            has_nonce: false,
        }
    }

    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The id as SQS writes it (lowercase, hyphenated).
    pub fn message_id(&self) -> String {
        self.id.to_string()
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body, without a copy.
    pub fn into_body(self) -> String {
        self.body.into_string()
    }

    /// `MD5OfBody`, in hex.
    pub fn md5_of_body(&self) -> String {
        super::message::hex(&self.md5_of_body)
    }

    pub fn attributes(&self) -> &Attributes {
        self.extras
            .as_ref()
            .map_or(&NO_ATTRIBUTES, |e| &e.attributes)
    }

    pub fn system_attributes(&self) -> &Attributes {
        self.extras
            .as_ref()
            .map_or(&NO_ATTRIBUTES, |e| &e.system_attributes)
    }

    pub fn dead_letter_queue_source_arn(&self) -> Option<&str> {
        self.extras
            .as_ref()
            .and_then(|e| e.dead_letter_queue_source_arn.as_deref())
    }

    /// Marks the message as moved to a dead-letter queue from `source_arn`
    /// (`None`: no longer).
    pub fn set_dead_letter_queue_source_arn(&mut self, source_arn: Option<Arc<str>>) {
        match (&mut self.extras, source_arn) {
            (Some(extras), arn) => {
                extras.dead_letter_queue_source_arn = arn;
                if extras.is_empty() {
                    self.extras = None;
                }
            }
            (None, Some(arn)) => {
                self.extras = Some(Box::new(Extras {
                    dead_letter_queue_source_arn: Some(arn),
                    ..Extras::default()
                }));
            }
            (None, None) => {}
        }
    }

    /// The FIFO fields (or a fair queue's group id), if any.
    pub fn group(&self) -> Option<&GroupFields> {
        self.extras.as_ref().and_then(|e| e.group.as_deref())
    }

    pub fn group_id(&self) -> Option<&str> {
        self.group().map(|g| &*g.group_id)
    }

    pub fn sequence_number(&self) -> Option<u128> {
        self.group().and_then(|g| g.sequence_number)
    }

    pub fn deduplication_id(&self) -> Option<&str> {
        self.group().and_then(|g| g.deduplication_id.as_deref())
    }

    /// Sets (or clears) the group fields.
    pub fn set_group(&mut self, group: Option<GroupFields>) {
        match (&mut self.extras, group) {
            (Some(extras), group) => {
                extras.group = group.map(Box::new);
                if extras.is_empty() {
                    self.extras = None;
                }
            }
            (None, Some(group)) => {
                self.extras = Some(Box::new(Extras {
                    group: Some(Box::new(group)),
                    ..Extras::default()
                }));
            }
            (None, None) => {}
        }
    }

    fn group_mut(&mut self) -> Option<&mut GroupFields> {
        self.extras.as_mut().and_then(|e| e.group.as_deref_mut())
    }

    /// "When a message is moved from a FIFO queue to a FIFO DLQ, the
    /// original message's deduplication ID will be replaced with the
    /// original message's ID" (SQS-DG "Configure a dead-letter queue
    /// redrive", sqs-configure-dead-letter-queue-redrive.html).
    pub fn replace_deduplication_id_with_message_id(&mut self) {
        let id = self.message_id();
        if let Some(group) = self.group_mut() {
            group.deduplication_id = Some(id.into_boxed_str());
        }
    }

    /// Epoch milliseconds of the first receive, if received.
    pub fn first_receive_timestamp(&self) -> Option<i64> {
        (self.first_receive_timestamp != NEVER).then_some(self.first_receive_timestamp)
    }

    /// A redriven message is a new message: a new id, sent now (its
    /// retention starts over), never received, from no dead-letter queue.
    pub fn renew(&mut self, id: Uuid, now: Instant, now_millis: i64) {
        self.id = id;
        self.sent_timestamp = now_millis;
        self.enqueued_at = Tick::at(now);
        self.receive_count = 0;
        self.first_receive_timestamp = NEVER;
        self.set_dead_letter_queue_source_arn(None);
    }

    /// The nonce of the most recent receipt handle.
    fn nonce(&self) -> Option<u64> {
        self.has_nonce.then_some(self.receipt_nonce)
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
    /// Shared with the messages moved from here to a dead-letter queue.
    pub arn: Arc<str>,
    pub settings: QueueSettings,
    pub tags: BTreeMap<String, String>,
    /// Epoch milliseconds.
    pub created_timestamp: i64,
    pub last_modified_timestamp: i64,
    /// Wakes waiting long polls when a message may have become visible.
    pub notify: Arc<Notify>,
    /// Each message boxed: the table's slots (twice the messages, at
    /// worst) hold a pointer, not a message.
    messages: HashMap<u64, Box<StoredMessage>>,
    visible: BTreeSet<u64>,
    hidden: BTreeSet<(Tick, u64)>,
    expiry: BTreeSet<(Tick, u64)>,
    in_flight: usize,
    delayed: usize,
    next_seq: u64,
    last_purge: Option<Instant>,
    /// FIFO queues only.
    fifo: Option<Box<FifoState>>,
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
        let settings_fifo = settings.fifo;
        Self {
            name,
            arn: arn.into(),
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
            fifo: settings_fifo.then(Box::default),
        }
    }

    pub fn is_fifo(&self) -> bool {
        self.fifo.is_some()
    }

    /// The group of a message in this queue (FIFO queues only).
    fn fifo_group_of(&self, seq: u64) -> Option<Arc<str>> {
        self.fifo.as_ref()?;
        self.messages
            .get(&seq)
            .and_then(|m| m.group())
            .map(|g| g.group_id.clone())
    }

    /// Puts a FIFO group in or out of the ready set after a change to it.
    fn refresh_group(&mut self, group: &Arc<str>) {
        let Some(fifo) = self.fifo.as_deref_mut() else {
            return;
        };
        let Some(g) = fifo.groups.get_mut(group) else {
            return;
        };
        if let Some(head) = g.ready_head.take() {
            fifo.ready.remove(&(head, group.clone()));
        }
        let Some(&head) = g.seqs.first() else {
            fifo.groups.remove(group);
            return;
        };
        let visible = self
            .messages
            .get(&head)
            .is_some_and(|m| m.state == State::Visible);
        if g.in_flight == 0 && visible {
            g.ready_head = Some(head);
            fifo.ready.insert((head, group.clone()));
        }
    }

    /// Counts a FIFO message going in (+1) or out (-1) of flight.
    fn count_group_in_flight(&mut self, group: &Arc<str>, entering: bool) {
        if let Some(g) = self
            .fifo
            .as_deref_mut()
            .and_then(|f| f.groups.get_mut(group))
        {
            if entering {
                g.in_flight += 1;
            } else {
                g.in_flight = g.in_flight.saturating_sub(1);
            }
        }
    }

    /// Whether a receive would find a message now: a visible one, or on a
    /// FIFO queue a ready group.
    pub fn has_receivable(&self) -> bool {
        match &self.fifo {
            Some(fifo) => !fifo.ready.is_empty(),
            None => !self.visible.is_empty(),
        }
    }

    /// How many FIFO groups could deliver now (what the event source
    /// mapping scales on); on a standard queue, the visible messages.
    pub fn receivable_groups(&self) -> usize {
        match &self.fifo {
            Some(fifo) => fifo.ready.len(),
            None => self.visible.len(),
        }
    }

    /// The next message a FIFO receive takes: the next message of
    /// `prefer` (the group this receive already took from) when it is
    /// visible, otherwise the oldest message of the oldest ready group;
    /// never one in `taken` (a visibility timeout of 0 leaves them visible).
    pub fn fifo_next(
        &self,
        taken: &[u64],
        prefer: Option<&Arc<str>>,
    ) -> Option<(u64, &StoredMessage)> {
        let fifo = self.fifo.as_deref()?;
        let next_in = |group: &Group| -> Option<u64> {
            for &seq in &group.seqs {
                if taken.contains(&seq) {
                    continue;
                }
                return self
                    .messages
                    .get(&seq)
                    .is_some_and(|m| m.state == State::Visible)
                    .then_some(seq);
            }
            None
        };
        let preferred = prefer.and_then(|p| fifo.groups.get(p)).and_then(&next_in);
        let seq = preferred.or_else(|| {
            fifo.ready
                .iter()
                .filter_map(|(_, group)| fifo.groups.get(group))
                .find_map(&next_in)
        })?;
        self.messages.get(&seq).map(|m| (seq, &**m))
    }

    /// A duplicate of `key` sent within the last 5 minutes, if any
    /// (deduplication ids older than that are forgotten first).
    pub fn find_duplicate(&mut self, key: &str, now: Instant) -> Option<Duplicate> {
        let fifo = self.fifo.as_deref_mut()?;
        let now = Tick::at(now);
        while let Some((until, _)) = fifo.dedup_order.front() {
            if *until > now {
                break;
            }
            if let Some((until, key)) = fifo.dedup_order.pop_front()
                && fifo.dedup.get(&key).is_some_and(|d| d.until == until)
            {
                fifo.dedup.remove(&key);
            }
        }
        fifo.dedup.get(key).copied()
    }

    /// Remembers a sent message's deduplication key for 5 minutes.
    pub fn remember_deduplication(
        &mut self,
        key: &str,
        message_id: Uuid,
        sequence_number: u128,
        now: Instant,
    ) {
        let Some(fifo) = self.fifo.as_deref_mut() else {
            return;
        };
        let until = Tick::at(now + DEDUPLICATION_INTERVAL);
        fifo.dedup.insert(
            key.into(),
            Duplicate {
                message_id,
                sequence_number,
                until,
            },
        );
        fifo.dedup_order.push_back((until, key.into()));
    }

    /// A retried FIFO receive (SQS-API ReceiveMessage,
    /// `ReceiveRequestAttemptId`): "During a visibility timeout, subsequent
    /// calls with the same ReceiveRequestAttemptId return the same messages
    /// and receipt handles. If a retry occurs within the deduplication
    /// interval, it resets the visibility timeout", and "It is possible to
    /// retry ... if none of the messages have been modified (deleted or had
    /// their visibility changes)". Returns the messages' (seq, handle) when
    /// the attempt is known, under 5 minutes old, and none of its messages
    /// was deleted, made visible or had its visibility changed; their
    /// visibility timeout starts over for `visibility`. Otherwise forgets
    /// the attempt and returns `None` (the caller receives anew).
    pub fn retry_attempt(
        &mut self,
        attempt_id: &str,
        visibility: Duration,
        now: Instant,
    ) -> Option<Vec<(u64, ReceiptHandle)>> {
        let fifo = self.fifo.as_deref_mut()?;
        let tick = Tick::at(now);
        fifo.attempts.retain(|_, a| a.until > tick);
        let attempt = fifo.attempts.get(attempt_id)?.clone();
        let unchanged = attempt.messages.iter().all(|(seq, nonce, until)| {
            self.messages.get(seq).is_some_and(|m| {
                m.state == State::InFlight && m.nonce() == Some(*nonce) && m.until == *until
            })
        });
        if !unchanged || visibility.is_zero() {
            fifo.attempts.remove(attempt_id);
            return None;
        }
        let until = Tick::at(now + visibility);
        let mut handles = Vec::new();
        let mut renewed = Vec::new();
        for (seq, nonce, old) in attempt.messages {
            if let Some(message) = self.messages.get_mut(&seq) {
                self.hidden.remove(&(old, seq));
                message.until = until;
                self.hidden.insert((until, seq));
            }
            handles.push((seq, ReceiptHandle { seq, nonce }));
            renewed.push((seq, nonce, until));
        }
        if let Some(a) = fifo.attempts.get_mut(attempt_id) {
            a.messages = renewed;
        }
        Some(handles)
    }

    /// Records what a receive with a `ReceiveRequestAttemptId` returned.
    pub fn record_attempt(&mut self, attempt_id: &str, handles: &[ReceiptHandle], now: Instant) {
        let Some(fifo) = self.fifo.as_deref_mut() else {
            return;
        };
        let messages: Vec<(u64, u64, Tick)> = handles
            .iter()
            .filter_map(|h| {
                let m = self.messages.get(&h.seq)?;
                (m.state == State::InFlight).then_some((h.seq, h.nonce, m.until))
            })
            .collect();
        if messages.is_empty() {
            return;
        }
        fifo.attempts.insert(
            attempt_id.into(),
            Attempt {
                until: Tick::at(now + DEDUPLICATION_INTERVAL),
                messages,
            },
        );
    }

    /// Catches up with the clock: delayed and in-flight messages whose time
    /// has come become visible; messages past retention are dropped.
    pub fn advance(&mut self, now: Instant) {
        let now = Tick::at(now);
        let mut woke = false;
        while let Some(&(at, seq)) = self.hidden.first() {
            if at > now {
                break;
            }
            self.hidden.pop_first();
            let group = self.fifo_group_of(seq);
            if let Some(message) = self.messages.get_mut(&seq) {
                let was = message.state;
                match was {
                    State::Delayed => self.delayed -= 1,
                    State::InFlight => self.in_flight -= 1,
                    State::Visible => {}
                }
                message.state = State::Visible;
                self.visible.insert(seq);
                woke = true;
                if let Some(group) = group {
                    if was == State::InFlight {
                        self.count_group_in_flight(&group, false);
                    }
                    self.refresh_group(&group);
                }
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
        self.hidden.first().map(|(at, _)| at.instant())
    }

    pub fn counts(&self) -> Counts {
        Counts {
            visible: self.visible.len(),
            in_flight: self.in_flight,
            delayed: self.delayed,
        }
    }

    /// Adds a message, visible after `delay`.
    /// On a FIFO queue the message joins its group (a message without one,
    /// which the API never sends here, joins the group `""`) and gets its
    /// sequence number ([`Queue::sequence_number`]).
    pub fn push(&mut self, message: StoredMessage, delay: Duration, now: Instant) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut message = Box::new(message);
        let group = if self.fifo.is_some() {
            if message.group().is_none() {
                message.set_group(Some(GroupFields {
                    group_id: "".into(),
                    deduplication_id: None,
                    sequence_number: None,
                }));
            }
            let fields = message.group_mut().expect("a group was just set");
            fields.sequence_number = Some(Self::sequence_number(seq));
            Some(fields.group_id.clone())
        } else {
            None
        };
        let retention = Duration::from_secs(self.settings.message_retention_period.into());
        message.expires_at = Tick::at(message.enqueued_at.instant() + retention);
        self.expiry.insert((message.expires_at, seq));
        if delay.is_zero() {
            message.state = State::Visible;
            self.visible.insert(seq);
            self.notify.notify_waiters();
        } else {
            let until = Tick::at(now + delay);
            message.state = State::Delayed;
            message.until = until;
            self.hidden.insert((until, seq));
            self.delayed += 1;
        }
        message.has_nonce = false;
        self.messages.insert(seq, message);
        if let Some(group) = group {
            // The queue's groups share one allocation per group id.
            let fifo = self.fifo.as_deref_mut().expect("a FIFO queue");
            let key = match fifo.groups.get_key_value(&group) {
                Some((key, _)) => key.clone(),
                None => group,
            };
            if let Some(fields) = self.messages.get_mut(&seq).and_then(|m| m.group_mut()) {
                fields.group_id = key.clone();
            }
            fifo.groups.entry(key.clone()).or_default().seqs.insert(seq);
            self.refresh_group(&key);
        }
        seq
    }

    /// The `SequenceNumber` of the message with arrival number `seq`.
    pub fn sequence_number(seq: u64) -> u128 {
        SEQUENCE_NUMBER_BASE + u128::from(seq)
    }

    /// The sequence number the next message pushed will get.
    pub fn next_sequence_number(&self) -> u128 {
        Self::sequence_number(self.next_seq)
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
        self.messages.get(&seq).map(|m| (seq, &**m))
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
        let group = self.fifo_group_of(seq);
        let message = self.messages.get_mut(&seq)?;
        if message.state != State::Visible {
            return None;
        }
        self.visible.remove(&seq);
        message.receive_count += 1;
        if message.first_receive_timestamp == NEVER {
            message.first_receive_timestamp = now_millis;
        }
        message.receipt_nonce = nonce;
        message.has_nonce = true;
        if visibility.is_zero() {
            // Received and visible again at once.
            self.visible.insert(seq);
        } else {
            let until = Tick::at(now + visibility);
            message.state = State::InFlight;
            message.until = until;
            message.received_at = Tick::at(now);
            self.hidden.insert((until, seq));
            self.in_flight += 1;
            if let Some(group) = &group {
                self.count_group_in_flight(group, true);
                self.refresh_group(group);
            }
        }
        let message = self.messages.get(&seq)?;
        Some((ReceiptHandle { seq, nonce }, &**message))
    }

    /// Takes a message out of the queue (to delete it or to move it).
    pub fn remove(&mut self, seq: u64) -> Option<StoredMessage> {
        let group = self.fifo_group_of(seq);
        let message = self.messages.remove(&seq)?;
        match message.state {
            State::Visible => {
                self.visible.remove(&seq);
            }
            State::Delayed => {
                self.hidden.remove(&(message.until, seq));
                self.delayed -= 1;
            }
            State::InFlight => {
                self.hidden.remove(&(message.until, seq));
                self.in_flight -= 1;
            }
        }
        self.expiry.remove(&(message.expires_at, seq));
        if let Some(group) = group {
            if message.state == State::InFlight {
                self.count_group_in_flight(&group, false);
            }
            if let Some(g) = self
                .fifo
                .as_deref_mut()
                .and_then(|f| f.groups.get_mut(&group))
            {
                g.seqs.remove(&seq);
            }
            self.refresh_group(&group);
            // The group may deliver again: wake the long polls.
            if self.has_receivable() {
                self.notify.notify_waiters();
            }
        }
        Some(*message)
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
        if message.nonce() != Some(handle.nonce) {
            let message_id = message.message_id();
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
                message_id: message.message_id(),
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
            .filter(|m| m.nonce() == Some(handle.nonce))
        else {
            return Err(SqsError::invalid_value(
                "ReceiptHandle",
                handle_text,
                "Message does not exist or is not available for visibility timeout change.",
            ));
        };
        if message.state != State::InFlight {
            return Err(SqsError::new(
                ErrorCode::MessageNotInflight,
                "Message not inflight.",
            ));
        }
        let total = now.saturating_duration_since(message.received_at.instant())
            + Duration::from_secs(timeout.into());
        if total > Duration::from_secs(MAX_VISIBILITY_TIMEOUT.into()) {
            return Err(SqsError::invalid_value(
                "VisibilityTimeout",
                timeout,
                "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            ));
        }
        self.hidden.remove(&(message.until, handle.seq));
        if timeout == 0 {
            message.state = State::Visible;
            self.in_flight -= 1;
            self.visible.insert(handle.seq);
            if let Some(group) = self.fifo_group_of(handle.seq) {
                self.count_group_in_flight(&group, false);
                self.refresh_group(&group);
            }
            self.notify.notify_waiters();
        } else {
            let until = Tick::at(now + Duration::from_secs(timeout.into()));
            message.until = until;
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
        // Deduplication ids stay: SQS tracks them "even after the message
        // has been received and deleted".
        if let Some(fifo) = self.fifo.as_deref_mut() {
            fifo.groups.clear();
            fifo.ready.clear();
            fifo.attempts.clear();
        }
        Ok(())
    }

    pub fn get(&self, seq: u64) -> Option<&StoredMessage> {
        self.messages.get(&seq).map(|m| &**m)
    }

    /// Up to `limit` in-flight messages with the instant each becomes
    /// visible again, soonest first (read off the ordered `hidden` set, so
    /// a look costs O(limit), not O(queue)).
    pub fn in_flight_messages(&self, limit: usize) -> Vec<(&StoredMessage, Instant)> {
        self.hidden
            .iter()
            .filter_map(|(until, seq)| {
                let message = self.messages.get(seq)?;
                (message.state == State::InFlight).then_some((&**message, until.instant()))
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

    const ID: Uuid = Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);

    fn message(now: Instant) -> StoredMessage {
        StoredMessage::new(
            ID,
            "body".into(),
            Attributes::new(),
            Attributes::new(),
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
                message_id: ID.to_string()
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
                message_id: ID.to_string()
            }
        );
        assert_eq!(q.counts().in_flight, 0);
        assert_eq!(
            q.delete_outcome(second, crate::sqs::StaleDelete::Delete),
            Deletion::Gone
        );
    }

    #[test]
    fn a_stored_message_stays_small() {
        // A million queued messages is the bench's depth row (issue 19):
        // each costs this, its box's and its body's allocator overhead, a
        // hash slot and its entries in the ordered sets.
        assert!(
            std::mem::size_of::<StoredMessage>() <= 120,
            "{} bytes",
            std::mem::size_of::<StoredMessage>()
        );
    }

    #[test]
    fn ticks_are_exact_and_ordered_as_instants() {
        let now = Instant::now();
        let mut instants = vec![
            now,
            now + Duration::from_nanos(1),
            now + Duration::from_secs(14 * 24 * 3600),
        ];
        instants.extend(now.checked_sub(Duration::from_millis(1)));
        instants.extend(Tick::origin().checked_sub(Duration::from_nanos(7)));
        for a in &instants {
            assert_eq!(Tick::at(*a).instant(), *a);
            for b in &instants {
                assert_eq!(Tick::at(*a).cmp(&Tick::at(*b)), a.cmp(b));
            }
        }
    }

    #[test]
    fn attributes_and_the_dead_letter_source_are_kept_when_present() {
        let now = Instant::now();
        let plain = message(now);
        assert!(plain.extras.is_none());
        assert!(plain.attributes().is_empty() && plain.system_attributes().is_empty());
        assert_eq!(plain.message_id(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(
            plain.md5_of_body(),
            super::super::message::md5_of_body("body")
        );
        assert_eq!(plain.first_receive_timestamp(), None);

        let mut moved = message(now);
        moved.set_dead_letter_queue_source_arn(Some("arn:q".into()));
        assert_eq!(moved.dead_letter_queue_source_arn(), Some("arn:q"));
        moved.renew(Uuid::nil(), now, 5);
        assert_eq!(moved.dead_letter_queue_source_arn(), None);
        assert!(moved.extras.is_none());
        assert_eq!(
            (moved.message_id(), moved.sent_timestamp),
            (Uuid::nil().to_string(), 5)
        );

        let value = super::super::message::MessageAttributeValue {
            data_type: "String".into(),
            string_value: Some("v".into()),
            binary_value: None,
            string_list_values: None,
            binary_list_values: None,
        };
        let attributes = Attributes::from([("k".to_owned(), value)]);
        let mut with = StoredMessage::new(
            ID,
            "body".into(),
            attributes.clone(),
            Attributes::new(),
            0,
            now,
        );
        with.set_dead_letter_queue_source_arn(Some("arn:q".into()));
        with.renew(ID, now, 0);
        assert_eq!(with.attributes(), &attributes);
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
