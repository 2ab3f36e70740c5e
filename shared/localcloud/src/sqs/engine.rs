//! All queues of one account and region, behind one lock.
//!
//! The engine is plain data and plain functions over it: no I/O, no await.
//! [`super::Sqs`] holds it in a `std::sync::Mutex` and never awaits while
//! holding the lock (a long poll drops it and waits on the queue's `Notify`).
//! Work that spans queues lives here: the move of a message to its
//! dead-letter queue at receive time, and DLQ redrive.
//!
//! The engine reports deliveries, DLQ moves and redriven messages on its
//! [`Events`] (the [`super::Sqs`]'s), at the `now_millis` it is given.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::time::{Duration, Instant};

use super::attributes::QueueSettings;
use super::error::{ErrorCode, SqsError, SqsResult};
use super::queue::{Queue, ReceiptHandle, StoredMessage};
use crate::events::{EventKind, Events};

/// A queue name cannot be reused for 60 s after DeleteQueue (SQS-API DeleteQueue).
const NAME_REUSE_DELAY: Duration = Duration::from_secs(60);

/// What a receive hands back for one message.
#[derive(Debug, Clone)]
pub struct Received {
    pub receipt_handle: String,
    pub message: StoredMessage,
    /// `SenderId`: the account ([`Engine::sender_id`]).
    pub sender_id: Arc<str>,
}

pub struct Engine {
    pub account_id: String,
    pub region: String,
    /// `http://127.0.0.1:9324`: the start of every queue URL.
    pub endpoint_url: String,
    pub queues: BTreeMap<String, Queue>,
    /// Where deliveries, DLQ moves and redrives are reported.
    pub events: Events,
    /// What a DeleteMessage with an older receipt handle does.
    pub stale_delete: super::StaleDelete,
    deleted_at: HashMap<String, Instant>,
    nonce: u64,
    /// The account id, shared by every message sent ([`Self::sender_id`]).
    sender_id: Arc<str>,
}

impl Engine {
    pub fn new(account_id: String, region: String, endpoint_url: String) -> Self {
        Self {
            sender_id: account_id.as_str().into(),
            account_id,
            region,
            endpoint_url,
            queues: BTreeMap::new(),
            events: Events::new(),
            stale_delete: super::StaleDelete::Keep,
            deleted_at: HashMap::new(),
            nonce: 0,
        }
    }

    /// The `SenderId` of every message: the account (one principal sends
    /// everything here), so messages do not store it.
    pub fn sender_id(&mut self) -> Arc<str> {
        if *self.sender_id != *self.account_id {
            self.sender_id = self.account_id.as_str().into();
        }
        self.sender_id.clone()
    }

    pub fn queue_url(&self, name: &str) -> String {
        format!(
            "{}/{}/{name}",
            self.endpoint_url.trim_end_matches('/'),
            self.account_id
        )
    }

    pub fn queue_arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account_id)
    }

    /// The queue name in a QueueUrl (`http://host/<account>/<name>`); the
    /// host is not checked, so `localhost` and `127.0.0.1` both work.
    pub fn name_from_url(&self, url: &str) -> SqsResult<String> {
        let invalid = || {
            SqsError::new(
                ErrorCode::InvalidAddress,
                format!("The address {url} is not valid for this endpoint."),
            )
        };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(invalid)?;
        let mut parts = rest.splitn(2, '/');
        parts.next();
        let path = parts.next().ok_or_else(invalid)?;
        let (account, name) = path
            .trim_end_matches('/')
            .split_once('/')
            .ok_or_else(invalid)?;
        if name.contains('/') || name.is_empty() {
            return Err(invalid());
        }
        if account != self.account_id {
            return Err(SqsError::queue_does_not_exist());
        }
        Ok(name.to_owned())
    }

    /// The queue a QueueUrl names, caught up with `now`.
    pub fn queue_mut(&mut self, url: &str, now: Instant) -> SqsResult<&mut Queue> {
        let name = self.name_from_url(url)?;
        let queue = self
            .queues
            .get_mut(&name)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        queue.advance(now);
        Ok(queue)
    }

    /// The queue of that name, caught up with `now`.
    pub fn queue_mut_by_name(&mut self, name: &str, now: Instant) -> SqsResult<&mut Queue> {
        let queue = self
            .queues
            .get_mut(name)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        queue.advance(now);
        Ok(queue)
    }

    pub fn name_by_arn(&self, arn: &str) -> Option<String> {
        let prefix = format!("arn:aws:sqs:{}:{}:", self.region, self.account_id);
        arn.strip_prefix(&prefix)
            .filter(|name| self.queues.contains_key(*name))
            .map(str::to_owned)
    }

    /// CreateQueue: a new queue, or the existing one if its attributes match.
    pub fn create_queue(
        &mut self,
        name: &str,
        attributes: &BTreeMap<String, String>,
        tags: &BTreeMap<String, String>,
        now: Instant,
        now_millis: i64,
    ) -> SqsResult<String> {
        let settings = QueueSettings::for_new_queue(name, attributes)?;
        self.check_redrive_target(&settings)?;
        if let Some(existing) = self.queues.get(name) {
            let current = existing.settings.to_map();
            for (key, value) in settings.to_map() {
                let asked = attributes.contains_key(key);
                if asked && current.get(key) != Some(&value) {
                    return Err(SqsError::new(
                        ErrorCode::QueueNameExists,
                        format!(
                            "A queue already exists with the same name and a different value for attribute {key}"
                        ),
                    ));
                }
            }
            return Ok(self.queue_url(name));
        }
        if let Some(deleted) = self.deleted_at.get(name)
            && now.saturating_duration_since(*deleted) < NAME_REUSE_DELAY
        {
            return Err(SqsError::new(
                ErrorCode::QueueDeletedRecently,
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            ));
        }
        let mut queue = Queue::new(name.to_owned(), self.queue_arn(name), settings, now_millis);
        queue.tags = tags.clone();
        self.queues.insert(name.to_owned(), queue);
        Ok(self.queue_url(name))
    }

    /// A redrive policy must name an existing queue (SQS answers
    /// "Dead letter target does not exist") of the same type: "The
    /// dead-letter queue of a FIFO queue must also be a FIFO queue.
    /// Similarly, the dead-letter queue of a standard queue must also be a
    /// standard queue" (SQS-DG "Using dead-letter queues",
    /// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>).
    pub fn check_redrive_target(&self, settings: &QueueSettings) -> SqsResult<()> {
        let Some(policy) = &settings.redrive_policy else {
            return Ok(());
        };
        let Some(target) = self
            .name_by_arn(&policy.dead_letter_target_arn)
            .and_then(|name| self.queues.get(&name))
        else {
            return Err(SqsError::invalid_value(
                "RedrivePolicy",
                policy.to_json(),
                "Dead letter target does not exist.",
            ));
        };
        if target.is_fifo() != settings.fifo {
            return Err(SqsError::invalid_value(
                "RedrivePolicy",
                policy.to_json(),
                if settings.fifo {
                    "Dead-letter target must be a FIFO queue: the dead-letter queue of a FIFO queue must also be a FIFO queue."
                } else {
                    "Dead-letter target must be a standard queue: the dead-letter queue of a standard queue must also be a standard queue."
                },
            ));
        }
        Ok(())
    }

    pub fn delete_queue(&mut self, url: &str, now: Instant) -> SqsResult<()> {
        let name = self.name_from_url(url)?;
        self.queues
            .remove(&name)
            .ok_or_else(SqsError::queue_does_not_exist)?
            .notify
            .notify_waiters();
        self.deleted_at.insert(name, now);
        Ok(())
    }

    /// Receives up to `max` visible messages now (no waiting). A message
    /// whose receive count has reached its queue's `maxReceiveCount` is moved
    /// to the dead-letter queue instead of being delivered: SQS moves it when
    /// it would be received the (maxReceiveCount + 1)-th time (SQS-DG
    /// "Using dead-letter queues": "When the ReceiveCount for a message
    /// exceeds the maxReceiveCount for a queue, Amazon SQS moves the message
    /// to a dead-letter queue").
    ///
    /// On a FIFO queue the messages come group by group in order, as many
    /// of one group as possible first ([`Queue::fifo_next`]), and a
    /// `ReceiveRequestAttemptId` seen in the last 5 minutes returns the
    /// same messages and receipt handles when none of them changed since
    /// ([`Queue::retry_attempt`]; such a retry is not a new delivery and
    /// emits no event). On a standard queue the attempt id is ignored: it
    /// "applies only to FIFO (first-in-first-out) queues" (SQS-API
    /// ReceiveMessage).
    ///
    /// Emits [`EventKind::MovedToDeadLetterQueue`] for each move and
    /// [`EventKind::MessageReceived`] for each delivery.
    pub fn receive_now(
        &mut self,
        name: &str,
        max: usize,
        visibility: Option<u32>,
        attempt_id: Option<&str>,
        now: Instant,
        now_millis: i64,
    ) -> SqsResult<Vec<Received>> {
        let mut received = Vec::new();
        let mut taken = Vec::new();
        let mut handles = Vec::new();
        let mut last_group: Option<Arc<str>> = None;
        let sender_id = self.sender_id();
        if let Some(attempt_id) = attempt_id {
            let queue = self
                .queues
                .get_mut(name)
                .ok_or_else(SqsError::queue_does_not_exist)?;
            queue.advance(now);
            let timeout = visibility.unwrap_or(queue.settings.visibility_timeout);
            if let Some(again) =
                queue.retry_attempt(attempt_id, Duration::from_secs(timeout.into()), now)
            {
                return Ok(again
                    .into_iter()
                    .filter_map(|(seq, handle)| {
                        Some(Received {
                            receipt_handle: handle.encode(name),
                            message: queue.get(seq)?.clone(),
                            sender_id: sender_id.clone(),
                        })
                    })
                    .collect());
            }
        }
        while received.len() < max {
            let queue = self
                .queues
                .get_mut(name)
                .ok_or_else(SqsError::queue_does_not_exist)?;
            queue.advance(now);
            let next = if queue.is_fifo() {
                queue.fifo_next(&taken, last_group.as_ref())
            } else {
                queue.first_visible_except(&taken)
            };
            let Some((seq, message)) = next else {
                break;
            };
            let group = message.group().map(|g| g.group_id.clone());
            let receive_count = message.receive_count;
            let message_id = message.message_id();
            let policy = queue.settings.redrive_policy.clone();
            let in_flight_full = queue.in_flight_full();
            let default_timeout = queue.settings.visibility_timeout;
            if let Some(policy) = policy
                && receive_count >= policy.max_receive_count
                && let Some(dlq) = self.name_by_arn(&policy.dead_letter_target_arn)
                && dlq != name
            {
                self.move_to_dead_letter_queue(name, seq, &dlq, now);
                self.events.emit(
                    EventKind::MovedToDeadLetterQueue {
                        queue: name.to_owned(),
                        dead_letter_queue: dlq,
                        message_id,
                        receive_count,
                        max_receive_count: policy.max_receive_count,
                    },
                    now_millis,
                );
                continue;
            }
            if in_flight_full {
                if received.is_empty() {
                    return Err(SqsError::new(
                        ErrorCode::OverLimit,
                        "Too many messages in flight for this queue (the limit is 120000).",
                    ));
                }
                break;
            }
            let timeout = visibility.unwrap_or(default_timeout);
            let visible_again_at_epoch_millis = now_millis + i64::from(timeout) * 1000;
            self.nonce = self.nonce.wrapping_add(1);
            let nonce = self.nonce ^ (u64::from(uuid::Uuid::new_v4().as_u128() as u32) << 32);
            let queue = self
                .queues
                .get_mut(name)
                .ok_or_else(SqsError::queue_does_not_exist)?;
            let Some((handle, message)) = queue.receive(
                seq,
                Duration::from_secs(timeout.into()),
                now,
                now_millis,
                nonce,
            ) else {
                break;
            };
            self.events.emit(
                EventKind::MessageReceived {
                    queue: name.to_owned(),
                    message_id,
                    receive_count: message.receive_count,
                    visible_again_at_epoch_millis,
                    group_id: message.group_id().map(str::to_owned),
                },
                now_millis,
            );
            received.push(Received {
                receipt_handle: handle.encode(name),
                message: message.clone(),
                sender_id: sender_id.clone(),
            });
            handles.push(handle);
            taken.push(seq);
            last_group = group;
        }
        if let Some(attempt_id) = attempt_id
            && let Some(queue) = self.queues.get_mut(name)
        {
            queue.record_attempt(attempt_id, &handles, now);
        }
        Ok(received)
    }

    fn move_to_dead_letter_queue(&mut self, source: &str, seq: u64, dlq: &str, now: Instant) {
        let Some(source_queue) = self.queues.get_mut(source) else {
            return;
        };
        let source_arn = source_queue.arn.clone();
        let Some(mut message) = source_queue.remove(seq) else {
            return;
        };
        message.set_dead_letter_queue_source_arn(Some(source_arn));
        // The group stays (a FIFO DLQ keeps the order of each group); the
        // deduplication id becomes the message id (SQS-DG, DLQ redrive).
        message.replace_deduplication_id_with_message_id();
        if let Some(dlq) = self.queues.get_mut(dlq) {
            dlq.advance(now);
            dlq.push(message, Duration::ZERO, now);
        }
    }

    /// Moves up to `limit` visible messages of a dead-letter queue back to
    /// where they came from (or to `destination`); returns how many moved.
    /// A redriven message is a new message: a new id, sent now (its
    /// retention starts over), receive count 0. Each arrival is a
    /// [`EventKind::MessageSent`] to its new queue. A FIFO message keeps its
    /// group and deduplication id and joins the end of its group in the
    /// destination: "the destination queue ingests the redriven messages,
    /// as well as new messages from other producers, according to the
    /// order in which it receives them" (SQS-DG "Configure a dead-letter
    /// queue redrive"); it is not checked against the destination's
    /// deduplication ids.
    pub fn redrive(
        &mut self,
        source: &str,
        destination: Option<&str>,
        limit: usize,
        now: Instant,
        now_millis: i64,
    ) -> Result<usize, String> {
        let Some(queue) = self.queues.get_mut(source) else {
            return Err("The source queue was deleted.".into());
        };
        queue.advance(now);
        let seqs: Vec<u64> = queue.visible_seqs().into_iter().take(limit).collect();
        let mut moved = 0;
        for seq in seqs {
            let target = match destination {
                Some(d) => Some(d.to_owned()),
                None => self
                    .queues
                    .get(source)
                    .and_then(|q| q.get(seq))
                    .and_then(|m| m.dead_letter_queue_source_arn())
                    .and_then(|arn| self.name_by_arn(arn)),
            };
            let Some(target) = target.filter(|t| self.queues.contains_key(t)) else {
                return Err("The destination queue does not exist.".into());
            };
            let Some(mut message) = self.queues.get_mut(source).and_then(|q| q.remove(seq)) else {
                continue;
            };
            // "The redrive task resets the retention period. All redriven
            // messages are considered new messages, and the system assigns
            // them a new messageID and enqueueTime" (SQS-DG "Configure a
            // dead-letter queue redrive", sqs-configure-dead-letter-queue-redrive).
            message.renew(uuid::Uuid::new_v4(), now, now_millis);
            if let Some(queue) = self.queues.get_mut(&target) {
                let message_id = message.message_id();
                queue.advance(now);
                queue.push(message, Duration::ZERO, now);
                moved += 1;
                self.events.emit(
                    EventKind::MessageSent {
                        queue: target,
                        message_id,
                    },
                    now_millis,
                );
            }
        }
        Ok(moved)
    }

    /// A receipt handle of the queue `name`.
    pub fn decode_handle(name: &str, handle: &str) -> SqsResult<ReceiptHandle> {
        ReceiptHandle::decode(handle, name)
    }
}
