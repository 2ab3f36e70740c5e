//! The AWS JSON 1.0 protocol: `POST /` with `X-Amz-Target: AmazonSQS.<Op>`
//! and a JSON body (SQS-API "Making requests using the JSON protocol").
//! [`dispatch`] reads the body into the operation's request shape, runs the
//! operation and writes its response shape; every failure becomes an
//! [`SqsError`] with AWS's code, never a panic.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Sqs;
use super::error::{ErrorCode, SqsError, SqsResult};
use super::ops::{messages, move_tasks, queues};

/// Every operation localcloud serves, by its `X-Amz-Target` name.
pub const OPERATIONS: [&str; 23] = [
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "DeleteQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "PurgeQueue",
    "ListDeadLetterSourceQueues",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "StartMessageMoveTask",
    "ListMessageMoveTasks",
    "CancelMessageMoveTask",
    "AddPermission",
    "RemovePermission",
];

/// Runs the operation `target` names (`AmazonSQS.SendMessage`) on `body`.
pub async fn dispatch(sqs: &Sqs, target: &str, body: &[u8]) -> SqsResult<Bytes> {
    let operation = target
        .strip_prefix("AmazonSQS.")
        .ok_or_else(|| unknown(target))?;
    match operation {
        "CreateQueue" => respond(queues::create_queue(sqs, parse(body)?)),
        "GetQueueUrl" => respond(queues::get_queue_url(sqs, parse(body)?)),
        "ListQueues" => respond(queues::list_queues(sqs, parse(body)?)),
        "DeleteQueue" => respond(queues::delete_queue(sqs, parse(body)?)),
        "GetQueueAttributes" => respond(queues::get_queue_attributes(sqs, parse(body)?)),
        "SetQueueAttributes" => respond(queues::set_queue_attributes(sqs, parse(body)?)),
        "PurgeQueue" => respond(queues::purge_queue(sqs, parse(body)?)),
        "ListDeadLetterSourceQueues" => {
            respond(queues::list_dead_letter_source_queues(sqs, parse(body)?))
        }
        "TagQueue" => respond(queues::tag_queue(sqs, parse(body)?)),
        "UntagQueue" => respond(queues::untag_queue(sqs, parse(body)?)),
        "ListQueueTags" => respond(queues::list_queue_tags(sqs, parse(body)?)),
        "SendMessage" => respond(messages::send_message(sqs, parse(body)?)),
        "SendMessageBatch" => respond(messages::send_message_batch(sqs, parse(body)?)),
        "ReceiveMessage" => respond(messages::receive_message(sqs, parse(body)?).await),
        "DeleteMessage" => respond(messages::delete_message(sqs, parse(body)?)),
        "DeleteMessageBatch" => respond(messages::delete_message_batch(sqs, parse(body)?)),
        "ChangeMessageVisibility" => {
            respond(messages::change_message_visibility(sqs, parse(body)?))
        }
        "ChangeMessageVisibilityBatch" => {
            respond(messages::change_message_visibility_batch(sqs, parse(body)?))
        }
        "StartMessageMoveTask" => respond(move_tasks::start_message_move_task(sqs, parse(body)?)),
        "ListMessageMoveTasks" => respond(move_tasks::list_message_move_tasks(sqs, parse(body)?)),
        "CancelMessageMoveTask" => respond(move_tasks::cancel_message_move_task(sqs, parse(body)?)),
        "AddPermission" | "RemovePermission" => Err(SqsError::new(
            ErrorCode::UnsupportedOperation,
            format!("{operation} is not supported by localcloud: it keeps no IAM permissions."),
        )),
        _ => Err(unknown(target)),
    }
}

fn unknown(target: &str) -> SqsError {
    SqsError::new(
        ErrorCode::UnknownOperation,
        format!(
            "X-Amz-Target {:?} names no SQS operation (expected AmazonSQS.<Operation>, e.g. AmazonSQS.SendMessage).",
            target.chars().take(100).collect::<String>()
        ),
    )
}

fn respond<T: Serialize>(result: SqsResult<T>) -> SqsResult<Bytes> {
    let value = result?;
    serde_json::to_vec(&value)
        .map(Bytes::from)
        .map_err(|e| SqsError::new(ErrorCode::SerializationException, e.to_string()))
}

/// Reads a request shape. A missing required member is `MissingParameter`;
/// anything else wrong with the JSON is a `SerializationException`.
fn parse<T: DeserializeOwned>(body: &[u8]) -> SqsResult<T> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        if let Some(rest) = text.strip_prefix("missing field `")
            && let Some((field, _)) = rest.split_once('`')
        {
            return SqsError::missing(field);
        }
        SqsError::new(
            ErrorCode::SerializationException,
            format!("The request body is not a valid request for this operation: {text}"),
        )
    })
}
