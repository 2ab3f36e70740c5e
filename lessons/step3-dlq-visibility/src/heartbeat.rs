//! The heartbeat (`HEARTBEAT=on`): keep the batch's messages hidden while
//! the worker works on them.
//!
//! A receive hides a message for the queue's visibility timeout; when it
//! runs out, SQS hands the message to another worker, whoever is still
//! working on it. So, at the start of each batch, the worker reads the
//! queue's live `VisibilityTimeout` V ([`Heartbeat::visibility_timeout`],
//! GetQueueAttributes) and, while it works, [`Heartbeat::beat`] calls
//! ChangeMessageVisibility(V) for every message of the batch every V/2. A
//! new timeout counts from the call (SQS-API ChangeMessageVisibility), so
//! the messages stay hidden as long as the worker is alive and working; if
//! it crashes, the heartbeat stops with it and the messages come back after
//! at most V.
//!
//! The worker (`worker.rs`, `work_on`) runs `beat` and the work together
//! in a `tokio::select!` and drops `beat` when the work ends: `beat` itself
//! never returns.

use std::convert::Infallible;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsMessage;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::QueueAttributeName;
use tokio::time::{Instant, sleep_until};

use crate::worker::LogSink;

/// The queue the worker reads, and an SQS client to call it.
#[derive(Clone, Debug)]
pub struct Heartbeat {
    client: Client,
    queue_url: String,
}

impl Heartbeat {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The queue's `VisibilityTimeout` now (it may have been changed since
    /// the deploy); `None`, logged, when it cannot be read.
    pub async fn visibility_timeout(&self, log: LogSink<'_>) -> Option<u32> {
        let answer = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::VisibilityTimeout)
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(e) => {
                log(format!(
                    "heartbeat off for this batch: GetQueueAttributes failed: {}",
                    describe(&e)
                ));
                return None;
            }
        };
        let value = output
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::VisibilityTimeout));
        match value.map(|v| v.parse::<u32>()) {
            Some(Ok(seconds)) => Some(seconds),
            _ => {
                log(format!(
                    "heartbeat off for this batch: GetQueueAttributes gave no VisibilityTimeout (got {value:?})"
                ));
                None
            }
        }
    }

    /// Extends every message's visibility by `seconds`, `every` so often,
    /// until the caller drops this future (when the work ends).
    pub async fn beat(
        &self,
        records: &[SqsMessage],
        seconds: u32,
        every: Duration,
        log: LogSink<'_>,
    ) -> Infallible {
        // exercise 3-4-heartbeat: begin
        let mut next = Instant::now();
        loop {
            next += every;
            sleep_until(next).await;
            for record in records {
                let id = record.message_id.as_deref().unwrap_or("?");
                let Some(handle) = record.receipt_handle.as_deref() else {
                    log(format!(
                        "heartbeat {id} failed: the record has no receiptHandle"
                    ));
                    continue;
                };
                let answer = self
                    .client
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    // At most 43,200 s, which fits an i32.
                    .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
                    .send()
                    .await;
                match answer {
                    Ok(_) => log(format!("heartbeat {id}: visible again in {seconds} s")),
                    // Not fatal: the work goes on; at worst the message is
                    // received again, which idempotency must absorb anyway.
                    Err(e) => log(format!("heartbeat {id} failed: {}", describe(&e))),
                }
            }
        }
        // exercise 3-4-heartbeat: end
    }
}

/// What SQS said (`AWS.SimpleQueueService.MessageNotInflight: ...`), or why
/// the call did not reach it.
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => format!(
            "{}: {}",
            service.err().code().unwrap_or("error"),
            service.err().message().unwrap_or("")
        ),
        other => DisplayErrorContext(other).to_string(),
    }
}
