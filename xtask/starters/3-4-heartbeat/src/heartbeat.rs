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
        // TODO(3-4-heartbeat): `every`마다 records의 메시지마다 ChangeMessageVisibility를 불러
        // 가시성 타임아웃을 다시 `seconds`초로 정하세요. 일이 끝나면 worker가 이 future를 버립니다.
        // TODO(3-4-heartbeat): every `every`, call ChangeMessageVisibility for each message of
        // `records`, setting its visibility timeout to `seconds` again. The worker drops this
        // future when the work is done.
        let _ = (records, seconds, log);
        let mut next = Instant::now();
        loop {
            next += every;
            sleep_until(next).await;
        }
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
