//! Message operations: SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch),
//! ChangeMessageVisibility(Batch).
//!
//! FIFO sends (SQS-API SendMessage,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html>):
//! - `MessageGroupId` is required: "If you do not provide a MessageGroupId
//!   when sending a message to a FIFO queue, the action fails"
//!   (`MissingParameter`). On a standard queue it is accepted: "In
//!   standard queues, using MessageGroupId enables fair queues" (the same
//!   page, since July 2025); localcloud keeps it and returns it as the
//!   `MessageGroupId` system attribute, and delivers as any standard queue.
//! - `MessageDeduplicationId`, or with `ContentBasedDeduplication` "a
//!   SHA-256 hash to generate the MessageDeduplicationId using the body of
//!   the message (but not the attributes of the message)"; "If you don't
//!   provide a MessageDeduplicationId and the queue doesn't have
//!   ContentBasedDeduplication set, the action fails with an error"
//!   (`InvalidParameterValue`). It "applies only to FIFO" queues: on a
//!   standard queue it is refused (`InvalidParameterValue`).
//! - Both ids: up to 128 characters, "alphanumeric characters
//!   (a-z, A-Z, 0-9) and punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~)".
//! - A duplicate within "the 5-minute deduplication interval" is "accepted
//!   successfully but [isn't] delivered"; its answer carries the first
//!   message's `MessageId` and `SequenceNumber` (what AWS answers as other
//!   emulators record it, e.g. floci-io/floci#901, fauxqs's "returns
//!   original sequence number on duplicate" test). The scope is the queue,
//!   or the message group with `DeduplicationScope=messageGroup`.
//! - "When you set FifoQueue, you can't set DelaySeconds per message. You
//!   can set this parameter only on a queue level": a per-message
//!   `DelaySeconds` other than 0 is `InvalidParameterValue` (0, the value
//!   that changes nothing, is accepted).
//! - The answer carries `SequenceNumber`, "the large, non-consecutive
//!   number that Amazon SQS assigns to each message"
//!   ([`crate::sqs::queue::SEQUENCE_NUMBER_BASE`]).
//!
//! Each reports what it did on [`Sqs::events`]: a send, a delete that
//! removed the message or was ignored (and why), a visibility change that
//! took effect. Deliveries and DLQ moves are reported by the engine's
//! receive, which the event source mapping shares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::time::{Duration, Instant};

use super::{BatchResultErrorEntry, check_batch_ids, in_range};
use crate::events::{DeleteIgnoredReason, EventKind};
use crate::sqs::Sqs;
use crate::sqs::attributes::DeduplicationScope;
use crate::sqs::attributes::{
    DEFAULT_MAX_MESSAGE_SIZE, MAX_DELAY_SECONDS, MAX_VISIBILITY_TIMEOUT, MAX_WAIT_SECONDS,
};
use crate::sqs::engine::{Engine, Received};
use crate::sqs::error::{ErrorCode, SqsError, SqsResult};
use crate::sqs::message::{
    Attributes, MessageAttributeValue, attributes_size, check_attributes, check_body, hex,
    md5_digest, md5_of_attributes,
};
use crate::sqs::queue::{Deletion, GroupFields, ReceiptHandle, StoredMessage};

// ---------------------------------------------------------------- send

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageRequest {
    pub queue_url: String,
    #[serde(flatten)]
    pub entry: SendEntry,
}

/// What SendMessage and each SendMessageBatch entry carry.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendEntry {
    pub message_body: Option<String>,
    pub delay_seconds: Option<i64>,
    #[serde(default)]
    pub message_attributes: BTreeMap<String, MessageAttributeValue>,
    #[serde(default)]
    pub message_system_attributes: BTreeMap<String, MessageAttributeValue>,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageResponse {
    #[serde(rename = "MD5OfMessageBody")]
    pub md5_of_message_body: String,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_system_attributes: Option<String>,
    pub message_id: String,
    /// FIFO queues only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

/// A `MessageGroupId`, `MessageDeduplicationId` or
/// `ReceiveRequestAttemptId`: 1 to 128 characters, "alphanumeric characters
/// (a-z, A-Z, 0-9) and punctuation" (SQS-API SendMessage, ReceiveMessage).
pub(crate) fn check_token(parameter: &str, value: &str) -> SqsResult<()> {
    let ok = (1..=128).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_value(
            parameter,
            value,
            &format!(
                "{parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."
            ),
        ))
    }
}

/// The hex SHA-256 of a body: the deduplication id content-based
/// deduplication uses (SQS-API SendMessage, MessageDeduplicationId).
pub fn sha256_of_body(body: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn send_message(sqs: &Sqs, req: SendMessageRequest) -> SqsResult<SendMessageResponse> {
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let name = engine.name_from_url(&req.queue_url)?;
    send_one(&mut engine, &name, req.entry, now, now_millis)
}

/// Checks and enqueues one message.
fn send_one(
    engine: &mut Engine,
    name: &str,
    entry: SendEntry,
    now: Instant,
    now_millis: i64,
) -> SqsResult<SendMessageResponse> {
    let body = entry
        .message_body
        .ok_or_else(|| SqsError::missing("MessageBody"))?;
    let queue = engine.queue_mut_by_name(name, now)?;
    let fifo = queue.is_fifo();
    if !fifo && entry.message_deduplication_id.is_some() {
        return Err(SqsError::invalid_value(
            "MessageDeduplicationId",
            entry
                .message_deduplication_id
                .as_deref()
                .unwrap_or_default(),
            "The request include parameter that is not valid for this queue type. (MessageDeduplicationId applies only to FIFO queues.)",
        ));
    }
    let delay = match entry.delay_seconds {
        Some(d) => Some(in_range("DelaySeconds", d, 0, MAX_DELAY_SECONDS.into())?),
        None => None,
    };
    if fifo && delay.is_some_and(|d| d != 0) {
        return Err(SqsError::invalid_value(
            "DelaySeconds",
            delay.unwrap_or_default(),
            "The request include parameter that is not valid for this queue type. (On a FIFO queue only the queue's DelaySeconds applies.)",
        ));
    }
    if let Some(group) = &entry.message_group_id {
        check_token("MessageGroupId", group)?;
    }
    if let Some(dedup) = &entry.message_deduplication_id {
        check_token("MessageDeduplicationId", dedup)?;
    }
    let group = match (&entry.message_group_id, fifo) {
        (Some(group), _) => Some(group.clone()),
        (None, true) => return Err(SqsError::missing("MessageGroupId")),
        (None, false) => None,
    };
    let deduplication_id = match (&entry.message_deduplication_id, fifo) {
        (Some(id), _) => Some(id.clone()),
        (None, true) if queue.settings.content_based_deduplication => Some(sha256_of_body(&body)),
        (None, true) => {
            return Err(SqsError::invalid_value(
                "MessageDeduplicationId",
                "(none)",
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
        (None, false) => None,
    };
    check_body(&body)?;
    check_attributes(&entry.message_attributes, false)?;
    check_attributes(&entry.message_system_attributes, true)?;
    let max_size = queue.settings.maximum_message_size as usize;
    let size = body.len() + attributes_size(&entry.message_attributes);
    if size > max_size {
        return Err(SqsError::invalid_value(
            "MessageBody",
            "(too long)",
            &format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
            ),
        ));
    }
    let delay = if fifo {
        Duration::from_secs(queue.settings.delay_seconds.into())
    } else {
        Duration::from_secs(delay.unwrap_or(queue.settings.delay_seconds).into())
    };
    let md5_of_body = md5_digest(&body);
    let dedup_key = match (&deduplication_id, &group) {
        (Some(id), Some(group))
            if queue.settings.deduplication_scope == DeduplicationScope::MessageGroup =>
        {
            Some(format!("{group}\u{0}{id}"))
        }
        (Some(id), _) => Some(id.clone()),
        (None, _) => None,
    };
    if let Some(key) = &dedup_key
        && let Some(first) = queue.find_duplicate(key, now)
    {
        let response = SendMessageResponse {
            md5_of_message_body: hex(&md5_of_body),
            md5_of_message_attributes: md5_of_attributes(&entry.message_attributes),
            md5_of_message_system_attributes: md5_of_attributes(&entry.message_system_attributes),
            message_id: first.message_id.to_string(),
            sequence_number: Some(first.sequence_number.to_string()),
        };
        engine.events.emit(
            EventKind::MessageDeduplicated {
                queue: name.to_owned(),
                message_id: response.message_id.clone(),
                group_id: group.unwrap_or_default(),
                deduplication_id: deduplication_id.unwrap_or_default(),
            },
            now_millis,
        );
        return Ok(response);
    }
    let id = uuid::Uuid::new_v4();
    let sequence_number = fifo.then(|| queue.next_sequence_number());
    let response = SendMessageResponse {
        md5_of_message_body: hex(&md5_of_body),
        md5_of_message_attributes: md5_of_attributes(&entry.message_attributes),
        md5_of_message_system_attributes: md5_of_attributes(&entry.message_system_attributes),
        message_id: id.to_string(),
        sequence_number: sequence_number.map(|n| n.to_string()),
    };
    if let (Some(key), Some(number)) = (&dedup_key, sequence_number) {
        queue.remember_deduplication(key, id, number, now);
    }
    let mut message = StoredMessage::with_md5(
        id,
        md5_of_body,
        body,
        entry.message_attributes,
        entry.message_system_attributes,
        now_millis,
        now,
    );
    message.set_group(group.map(|group| GroupFields {
        group_id: group.into(),
        deduplication_id: deduplication_id.map(String::into_boxed_str),
        sequence_number: None,
    }));
    queue.push(message, delay, now);
    engine.events.emit(
        EventKind::MessageSent {
            queue: name.to_owned(),
            message_id: response.message_id.clone(),
        },
        now_millis,
    );
    Ok(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchRequest {
    pub queue_url: String,
    #[serde(default)]
    pub entries: Vec<SendBatchEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendBatchEntry {
    pub id: String,
    #[serde(flatten)]
    pub entry: SendEntry,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendBatchResultEntry {
    pub id: String,
    #[serde(flatten)]
    pub result: SendMessageResponse,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchResponse {
    pub successful: Vec<SendBatchResultEntry>,
    pub failed: Vec<BatchResultErrorEntry>,
}

pub fn send_message_batch(
    sqs: &Sqs,
    req: SendMessageBatchRequest,
) -> SqsResult<SendMessageBatchResponse> {
    check_batch_ids(
        "SendMessageBatchRequestEntry",
        req.entries.iter().map(|e| e.id.as_str()),
    )?;
    // The whole batch counts against one message's maximum size (1 MiB).
    let total: usize = req
        .entries
        .iter()
        .map(|e| {
            e.entry.message_body.as_ref().map_or(0, String::len)
                + attributes_size(&e.entry.message_attributes)
        })
        .sum();
    if total > DEFAULT_MAX_MESSAGE_SIZE as usize {
        return Err(SqsError::new(
            ErrorCode::BatchRequestTooLong,
            format!(
                "Batch requests cannot be longer than {DEFAULT_MAX_MESSAGE_SIZE} bytes. You have sent {total} bytes."
            ),
        ));
    }
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let name = engine.name_from_url(&req.queue_url)?;
    engine.queue_mut_by_name(&name, now)?;
    let mut response = SendMessageBatchResponse {
        successful: Vec::new(),
        failed: Vec::new(),
    };
    for SendBatchEntry { id, entry } in req.entries {
        match send_one(&mut engine, &name, entry, now, now_millis) {
            Ok(result) => response
                .successful
                .push(SendBatchResultEntry { id, result }),
            Err(e) if e.code == ErrorCode::QueueDoesNotExist => return Err(e),
            Err(e) => response.failed.push(BatchResultErrorEntry::new(&id, e)),
        }
    }
    Ok(response)
}

// ---------------------------------------------------------------- receive

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageRequest {
    pub queue_url: String,
    #[serde(default)]
    pub attribute_names: Vec<String>,
    #[serde(default)]
    pub message_system_attribute_names: Vec<String>,
    #[serde(default)]
    pub message_attribute_names: Vec<String>,
    pub max_number_of_messages: Option<i64>,
    pub visibility_timeout: Option<i64>,
    pub wait_time_seconds: Option<i64>,
    pub receive_request_attempt_id: Option<String>,
}

/// A received message, as ReceiveMessage returns it (also read back from
/// another SQS endpoint by the event source mapping).
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct MessageOut {
    pub message_id: String,
    pub receipt_handle: String,
    #[serde(rename = "MD5OfBody")]
    pub md5_of_body: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(
        default,
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub message_attributes: Attributes,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageOut>,
}

/// System attributes a receive can ask for (SQS-API ReceiveMessage,
/// MessageSystemAttributeNames); the FIFO ones are there on FIFO messages
/// (and `MessageGroupId` on a fair queue's).
const SYSTEM_ATTRIBUTES: [&str; 10] = [
    "All",
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
];

/// ReceiveMessage, with long polling: when nothing is visible and
/// `WaitTimeSeconds` (or the queue's `ReceiveMessageWaitTimeSeconds`) is
/// above zero, the call waits and returns the moment a message becomes
/// available, or empty at the deadline (SQS-DG "Amazon SQS short and long
/// polling"). While it waits it holds no lock: it sleeps on the queue's
/// `Notify` and until the queue's next delayed/in-flight message is due.
pub async fn receive_message(
    sqs: &Sqs,
    req: ReceiveMessageRequest,
) -> SqsResult<ReceiveMessageResponse> {
    let max = match req.max_number_of_messages {
        Some(m) => in_range("MaxNumberOfMessages", m, 1, 10)? as usize,
        None => 1,
    };
    let visibility = match req.visibility_timeout {
        Some(v) => Some(in_range(
            "VisibilityTimeout",
            v,
            0,
            MAX_VISIBILITY_TIMEOUT.into(),
        )?),
        None => None,
    };
    let wait = match req.wait_time_seconds {
        Some(w) => Some(in_range("WaitTimeSeconds", w, 0, MAX_WAIT_SECONDS.into())?),
        None => None,
    };
    let system_names: Vec<&String> = req
        .attribute_names
        .iter()
        .chain(req.message_system_attribute_names.iter())
        .collect();
    if let Some(bad) = system_names
        .iter()
        .find(|n| !SYSTEM_ATTRIBUTES.contains(&n.as_str()))
    {
        return Err(SqsError::new(
            ErrorCode::InvalidAttributeName,
            format!("Unknown Attribute {bad}."),
        ));
    }

    if let Some(attempt) = &req.receive_request_attempt_id {
        check_token("ReceiveRequestAttemptId", attempt)?;
    }
    let (started, _) = sqs.now();
    let (name, deadline) = {
        let mut engine = sqs.engine();
        let name = engine.name_from_url(&req.queue_url)?;
        let queue = engine.queue_mut_by_name(&name, started)?;
        let wait = wait.unwrap_or(queue.settings.receive_message_wait_time_seconds);
        (name, started + Duration::from_secs(wait.into()))
    };
    loop {
        let (now, now_millis) = sqs.now();
        let notify;
        let wake;
        {
            let mut engine = sqs.engine();
            let received = engine.receive_now(
                &name,
                max,
                visibility,
                req.receive_request_attempt_id.as_deref(),
                now,
                now_millis,
            )?;
            if !received.is_empty() || now >= deadline {
                let messages = received
                    .into_iter()
                    .map(|r| render(r, &system_names, &req.message_attribute_names))
                    .collect();
                return Ok(ReceiveMessageResponse { messages });
            }
            let queue = engine.queue_mut_by_name(&name, now)?;
            notify = queue.notify.clone();
            wake = queue.next_wake().map_or(deadline, |at| at.min(deadline));
        }
        // Registered before the next look, so a send between the unlock
        // above and the wait below is not missed.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if sqs
            .engine()
            .queues
            .get(&name)
            .is_some_and(|q| q.has_receivable())
        {
            continue;
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

/// A received message as the response shows it, with the requested
/// attributes only.
fn render(received: Received, system_names: &[&String], attribute_names: &[String]) -> MessageOut {
    let Received {
        receipt_handle,
        message,
        sender_id,
    } = received;
    let wants = |name: &str| system_names.iter().any(|n| *n == "All" || *n == name);
    let mut attributes = BTreeMap::new();
    let mut put = |name: &str, value: Option<String>| {
        if wants(name)
            && let Some(value) = value
        {
            attributes.insert(name.to_owned(), value);
        }
    };
    put("SenderId", Some(sender_id.to_string()));
    put("SentTimestamp", Some(message.sent_timestamp.to_string()));
    put(
        "ApproximateReceiveCount",
        Some(message.receive_count.to_string()),
    );
    put(
        "ApproximateFirstReceiveTimestamp",
        message.first_receive_timestamp().map(|t| t.to_string()),
    );
    put(
        "AWSTraceHeader",
        message
            .system_attributes()
            .get("AWSTraceHeader")
            .and_then(|v| v.string_value.clone()),
    );
    put(
        "DeadLetterQueueSourceArn",
        message.dead_letter_queue_source_arn().map(str::to_owned),
    );
    put("MessageGroupId", message.group_id().map(str::to_owned));
    put(
        "MessageDeduplicationId",
        message.deduplication_id().map(str::to_owned),
    );
    put(
        "SequenceNumber",
        message.sequence_number().map(|n| n.to_string()),
    );

    let message_attributes: Attributes = message
        .attributes()
        .iter()
        .filter(|(name, _)| {
            attribute_names.iter().any(|wanted| {
                wanted == "All"
                    || wanted == ".*"
                    || *wanted == **name
                    || wanted
                        .strip_suffix(".*")
                        .is_some_and(|prefix| name.starts_with(&format!("{prefix}.")))
            })
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    MessageOut {
        message_id: message.message_id(),
        receipt_handle,
        md5_of_body: message.md5_of_body(),
        md5_of_message_attributes: md5_of_attributes(&message_attributes),
        body: message.into_body(),
        attributes,
        message_attributes,
    }
}

// ---------------------------------------------------------------- delete

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageRequest {
    pub queue_url: String,
    pub receipt_handle: String,
}

/// DeleteMessage: "you must provide the most recently received
/// ReceiptHandle for the message"; with an older one the request succeeds
/// and the message "will not" or "might not" be deleted, as AWS's pages
/// have said it (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html>):
/// [`crate::sqs::StaleDelete`] picks the reading; the events tell them apart.
pub fn delete_message(sqs: &Sqs, req: DeleteMessageRequest) -> SqsResult<super::queues::Empty> {
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let name = engine.name_from_url(&req.queue_url)?;
    let handle = Engine::decode_handle(&name, &req.receipt_handle)?;
    let stale = engine.stale_delete;
    let deletion = engine
        .queue_mut_by_name(&name, now)?
        .delete_outcome(handle, stale);
    report_deletion(sqs, &name, deletion, now_millis);
    Ok(super::queues::Empty {})
}

/// [`EventKind::MessageDeleted`] or [`EventKind::DeleteIgnored`].
fn report_deletion(sqs: &Sqs, queue: &str, deletion: Deletion, now_millis: i64) {
    let queue = queue.to_owned();
    let kind = match deletion {
        Deletion::Deleted { message_id } | Deletion::DeletedWithOlderHandle { message_id } => {
            EventKind::MessageDeleted { queue, message_id }
        }
        Deletion::StaleHandle { message_id } => EventKind::DeleteIgnored {
            queue,
            message_id: Some(message_id),
            reason: DeleteIgnoredReason::StaleReceiptHandle,
        },
        Deletion::Gone => EventKind::DeleteIgnored {
            queue,
            message_id: None,
            reason: DeleteIgnoredReason::MessageGone,
        },
    };
    sqs.emit(kind, now_millis);
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchRequest {
    pub queue_url: String,
    #[serde(default)]
    pub entries: Vec<HandleEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandleEntry {
    pub id: String,
    pub receipt_handle: String,
    pub visibility_timeout: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdEntry {
    pub id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResponse {
    pub successful: Vec<IdEntry>,
    pub failed: Vec<BatchResultErrorEntry>,
}

pub fn delete_message_batch(sqs: &Sqs, req: DeleteMessageBatchRequest) -> SqsResult<BatchResponse> {
    check_batch_ids(
        "DeleteMessageBatchRequestEntry",
        req.entries.iter().map(|e| e.id.as_str()),
    )?;
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let name = engine.name_from_url(&req.queue_url)?;
    let stale = engine.stale_delete;
    let queue = engine.queue_mut_by_name(&name, now)?;
    let mut response = BatchResponse {
        successful: Vec::new(),
        failed: Vec::new(),
    };
    for entry in req.entries {
        match Engine::decode_handle(&name, &entry.receipt_handle) {
            Ok(handle) => {
                report_deletion(sqs, &name, queue.delete_outcome(handle, stale), now_millis);
                response.successful.push(IdEntry { id: entry.id });
            }
            Err(e) => response
                .failed
                .push(BatchResultErrorEntry::new(&entry.id, e)),
        }
    }
    Ok(response)
}

// ---------------------------------------------------------------- visibility

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityRequest {
    pub queue_url: String,
    pub receipt_handle: String,
    pub visibility_timeout: Option<i64>,
}

pub fn change_message_visibility(
    sqs: &Sqs,
    req: ChangeMessageVisibilityRequest,
) -> SqsResult<super::queues::Empty> {
    let timeout = req
        .visibility_timeout
        .ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
    let timeout = in_range(
        "VisibilityTimeout",
        timeout,
        0,
        MAX_VISIBILITY_TIMEOUT.into(),
    )?;
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let name = engine.name_from_url(&req.queue_url)?;
    let handle = Engine::decode_handle(&name, &req.receipt_handle)?;
    let queue = engine.queue_mut_by_name(&name, now)?;
    queue.change_visibility(handle, timeout, now, &req.receipt_handle)?;
    report_visibility(sqs, &name, queue, handle, timeout, now_millis);
    Ok(super::queues::Empty {})
}

/// [`EventKind::VisibilityChanged`], once a change took effect.
fn report_visibility(
    sqs: &Sqs,
    name: &str,
    queue: &crate::sqs::queue::Queue,
    handle: ReceiptHandle,
    timeout: u32,
    now_millis: i64,
) {
    if let Some(message) = queue.get(handle.seq) {
        sqs.emit(
            EventKind::VisibilityChanged {
                queue: name.to_owned(),
                message_id: message.message_id(),
                visible_again_at_epoch_millis: now_millis + i64::from(timeout) * 1000,
            },
            now_millis,
        );
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityBatchRequest {
    pub queue_url: String,
    #[serde(default)]
    pub entries: Vec<HandleEntry>,
}

pub fn change_message_visibility_batch(
    sqs: &Sqs,
    req: ChangeMessageVisibilityBatchRequest,
) -> SqsResult<BatchResponse> {
    check_batch_ids(
        "ChangeMessageVisibilityBatchRequestEntry",
        req.entries.iter().map(|e| e.id.as_str()),
    )?;
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let name = engine.name_from_url(&req.queue_url)?;
    let queue = engine.queue_mut_by_name(&name, now)?;
    let mut response = BatchResponse {
        successful: Vec::new(),
        failed: Vec::new(),
    };
    for entry in req.entries {
        let result = (|| {
            let timeout = entry
                .visibility_timeout
                .ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
            let timeout = in_range(
                "VisibilityTimeout",
                timeout,
                0,
                MAX_VISIBILITY_TIMEOUT.into(),
            )?;
            let handle = Engine::decode_handle(&name, &entry.receipt_handle)?;
            queue.change_visibility(handle, timeout, now, &entry.receipt_handle)?;
            Ok((handle, timeout))
        })();
        if let Ok((handle, timeout)) = result {
            report_visibility(sqs, &name, queue, handle, timeout, now_millis);
        }
        match result {
            Ok(_) => response.successful.push(IdEntry { id: entry.id }),
            Err(e) => response
                .failed
                .push(BatchResultErrorEntry::new(&entry.id, e)),
        }
    }
    Ok(response)
}
