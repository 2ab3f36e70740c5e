//! SQS standard and FIFO queues, faithful to AWS where the workshop looks.
//!
//! What it emulates, with the AWS page each rule comes from in the module
//! that applies it:
//! - [`queue`]: visibility timeout, receive counts, receipt handles, delays,
//!   retention, purge (SQS Developer Guide, API Reference); FIFO message
//!   groups, deduplication and receive attempts;
//! - [`engine`]: queues of one account, the move to a dead-letter queue,
//!   redrive;
//! - [`attributes`], [`message`]: every limit and validation, MD5s;
//! - [`ops`]: one file per family of operations;
//! - [`protocol`], [`error`]: the AWS JSON 1.0 protocol and AWS's errors;
//! - [`service`]: a `tower::Service`, over TCP or in memory for the AWS SDK;
//! - [`snapshot`]: every queue at one instant, in-flight messages included
//!   (for the live console).
//!
//! Time comes only from tokio's clock (through [`Clock`]), so a test can
//! pause it and play minutes of visibility timeouts in microseconds.
//!
//! Every send, delivery, delete (done or ignored), visibility change, DLQ
//! move, attribute change and purge is also reported on [`Sqs::events`]
//! ([`crate::events`]), stamped with the same clock.

pub mod attributes;
pub mod engine;
pub mod error;
pub mod message;
pub mod ops;
pub mod protocol;
pub mod queue;
pub mod service;
pub mod snapshot;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::time::Instant;

use crate::clock::Clock;
use crate::dynamodb::{DynamoConfig, DynamoDb};
use crate::events::Events;
pub use error::{ErrorCode, SqsError, SqsResult};
pub use queue::Counts;
pub use service::{InMemoryHttpClient, SqsService, serve};
pub use snapshot::{InFlightMessage, QueueSnapshot, SqsSnapshot};

/// The default port of `cargo xtask localcloud up` (ElasticMQ's, which
/// tools already know).
pub const DEFAULT_PORT: u16 = 9324;

/// Account, region and endpoint of the emulated SQS.
#[derive(Debug, Clone)]
pub struct SqsConfig {
    pub account_id: String,
    pub region: String,
    /// The start of every queue URL, e.g. `http://127.0.0.1:9324`.
    pub endpoint_url: String,
    pub clock: Clock,
    /// Where what happens is reported (a new, unobserved stream by default).
    pub events: Events,
    /// What a DeleteMessage with an older receipt handle does.
    pub stale_delete: StaleDelete,
    /// How long after its expiry the DynamoDB served beside this SQS
    /// deletes an expired item ([`crate::dynamodb::DEFAULT_TTL_DELETE_AFTER`]).
    pub ttl_delete_after: std::time::Duration,
}

/// What DeleteMessage does with a receipt handle older than the message's
/// latest receive. AWS's API reference has said it two ways:
///
/// - "you must provide the most recently received ReceiptHandle for the
///   message (otherwise, the request succeeds, but the message will not be
///   deleted)": the older page, still in boto3's reference
///   (<https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/sqs/client/delete_message.html>);
/// - "… the request succeeds, but the message might not be deleted": the
///   current page
///   (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html>).
///
/// Both are settings here; neither is what AWS promises every time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaleDelete {
    /// "Will not be deleted": the message stays (the default).
    #[default]
    Keep,
    /// "Might not be deleted", read the other way: the message goes.
    Delete,
}

impl StaleDelete {
    pub fn name(self) -> &'static str {
        match self {
            StaleDelete::Keep => "keep",
            StaleDelete::Delete => "delete",
        }
    }
}

impl std::str::FromStr for StaleDelete {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "keep" => Ok(StaleDelete::Keep),
            "delete" => Ok(StaleDelete::Delete),
            other => Err(format!("{other:?}: keep or delete")),
        }
    }
}

impl Default for SqsConfig {
    fn default() -> Self {
        Self {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            endpoint_url: format!("http://127.0.0.1:{DEFAULT_PORT}"),
            clock: Clock::system(),
            events: Events::new(),
            stale_delete: StaleDelete::Keep,
            ttl_delete_after: crate::dynamodb::DEFAULT_TTL_DELETE_AFTER,
        }
    }
}

/// A handle to one emulated SQS; clone it freely.
#[derive(Clone)]
pub struct Sqs {
    shared: Arc<Shared>,
}

struct Shared {
    clock: Clock,
    events: Events,
    /// All queues. A `std` mutex: no await happens while it is held.
    engine: Mutex<engine::Engine>,
    move_tasks: Mutex<Vec<ops::move_tasks::MoveTask>>,
    /// DynamoDB, served on the same endpoint (see [`SqsService`]).
    dynamodb: DynamoDb,
}

impl Sqs {
    pub fn new(config: SqsConfig) -> Self {
        let dynamodb = DynamoDb::new(DynamoConfig {
            account_id: config.account_id.clone(),
            region: config.region.clone(),
            clock: config.clock,
            events: config.events.clone(),
            ttl_delete_after: config.ttl_delete_after,
        });
        let mut engine = engine::Engine::new(config.account_id, config.region, config.endpoint_url);
        engine.events = config.events.clone();
        engine.stale_delete = config.stale_delete;
        Self {
            shared: Arc::new(Shared {
                clock: config.clock,
                events: config.events,
                engine: Mutex::new(engine),
                move_tasks: Mutex::new(Vec::new()),
                dynamodb,
            }),
        }
    }

    /// What happens in this SQS, as a stream ([`crate::events`]).
    pub fn events(&self) -> Events {
        self.shared.events.clone()
    }

    /// The DynamoDB served on the same endpoint.
    pub fn dynamodb(&self) -> DynamoDb {
        self.shared.dynamodb.clone()
    }

    /// The API as a tower service.
    pub fn service(&self) -> SqsService {
        SqsService::new(self.clone())
    }

    /// An HTTP client for `aws_sdk_sqs::Config::builder().http_client(..)`
    /// that reaches this SQS in memory.
    pub fn sdk_http_client(&self) -> InMemoryHttpClient {
        InMemoryHttpClient::new(self.clone())
    }

    /// Changes the start of queue URLs (once the real port is known).
    pub fn set_endpoint_url(&self, url: impl Into<String>) {
        self.engine().endpoint_url = url.into();
    }

    pub fn endpoint_url(&self) -> String {
        self.engine().endpoint_url.clone()
    }

    /// Creates a queue (as CreateQueue would) and returns its URL.
    pub fn create_queue(
        &self,
        name: &str,
        attributes: &BTreeMap<String, String>,
    ) -> SqsResult<String> {
        let (now, now_millis) = self.now();
        self.engine()
            .create_queue(name, attributes, &BTreeMap::new(), now, now_millis)
    }

    pub fn queue_url(&self, name: &str) -> Option<String> {
        let engine = self.engine();
        engine
            .queues
            .contains_key(name)
            .then(|| engine.queue_url(name))
    }

    pub fn queue_arn(&self, name: &str) -> Option<String> {
        let engine = self.engine();
        engine
            .queues
            .contains_key(name)
            .then(|| engine.queue_arn(name))
    }

    /// Visible, in-flight and delayed messages of a queue, now.
    pub fn counts(&self, name: &str) -> Option<Counts> {
        let (now, _) = self.now();
        let mut engine = self.engine();
        engine.queue_mut_by_name(name, now).ok().map(|q| q.counts())
    }

    /// How many receives could get a message now: a FIFO queue's ready
    /// message groups, a standard queue's visible messages.
    pub fn receivable(&self, name: &str) -> Option<usize> {
        let (now, _) = self.now();
        let mut engine = self.engine();
        engine
            .queue_mut_by_name(name, now)
            .ok()
            .map(|q| q.receivable_groups())
    }

    /// Sets attributes of a queue (as SetQueueAttributes would).
    pub fn set_queue_attributes(
        &self,
        name: &str,
        attributes: BTreeMap<String, String>,
    ) -> SqsResult<()> {
        let queue_url = self
            .queue_url(name)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        ops::queues::set_queue_attributes(
            self,
            ops::queues::SetQueueAttributesRequest {
                queue_url,
                attributes,
            },
        )
        .map(|_| ())
    }

    /// ReceiveMessage with every system attribute and message attribute,
    /// through the same code as the API (long polling included): what the
    /// Lambda event source mapping's pollers call.
    pub async fn receive_messages(
        &self,
        queue_url: &str,
        max: u32,
        wait_seconds: u32,
    ) -> SqsResult<Vec<ops::messages::MessageOut>> {
        let request = ops::messages::ReceiveMessageRequest {
            queue_url: queue_url.to_owned(),
            attribute_names: Vec::new(),
            message_system_attribute_names: vec!["All".to_owned()],
            message_attribute_names: vec!["All".to_owned()],
            max_number_of_messages: Some(max.into()),
            visibility_timeout: None,
            wait_time_seconds: Some(wait_seconds.into()),
            receive_request_attempt_id: None,
        };
        Ok(ops::messages::receive_message(self, request)
            .await?
            .messages)
    }

    /// DeleteMessage.
    pub fn delete_message(&self, queue_url: &str, receipt_handle: &str) -> SqsResult<()> {
        ops::messages::delete_message(
            self,
            ops::messages::DeleteMessageRequest {
                queue_url: queue_url.to_owned(),
                receipt_handle: receipt_handle.to_owned(),
            },
        )
        .map(|_| ())
    }

    /// A queue's current attributes (`All`), as GetQueueAttributes returns them.
    pub fn queue_attributes(&self, name: &str) -> SqsResult<BTreeMap<String, String>> {
        let queue_url = self
            .queue_url(name)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        ops::queues::get_queue_attributes(
            self,
            ops::queues::GetQueueAttributesRequest {
                queue_url,
                attribute_names: vec!["All".to_owned()],
            },
        )
        .map(|r| r.attributes)
    }

    /// Changes the region in ARNs (a stack uses its service's region).
    pub fn set_region(&self, region: impl Into<String>) {
        let region = region.into();
        self.shared.dynamodb.set_region(region.clone());
        self.engine().region = region;
    }

    pub fn region(&self) -> String {
        self.engine().region.clone()
    }

    pub fn account_id(&self) -> String {
        self.engine().account_id.clone()
    }

    pub(crate) fn now(&self) -> (Instant, i64) {
        let now = self.shared.clock.now();
        (now, self.shared.clock.epoch_millis_at(now))
    }

    /// Reports an event on [`Sqs::events`].
    pub(crate) fn emit(&self, kind: crate::events::EventKind, at_epoch_millis: i64) {
        self.shared.events.emit(kind, at_epoch_millis);
    }

    pub(crate) fn engine(&self) -> MutexGuard<'_, engine::Engine> {
        // A panic while holding the lock cannot leave half-applied state that
        // matters more than serving on; recover the guard.
        self.shared.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn move_tasks(&self) -> MutexGuard<'_, Vec<ops::move_tasks::MoveTask>> {
        self.shared
            .move_tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// localcloud's SQS on 127.0.0.1:`port` (0: a free port), served until
/// `shutdown`; its queue URLs name that address.
pub async fn serve_loopback(
    port: u16,
    shutdown: &crate::server::CancellationToken,
) -> std::io::Result<Sqs> {
    serve_loopback_with(port, shutdown, SqsConfig::default()).await
}

/// [`serve_loopback`] with `config` (its `endpoint_url` is the address).
pub async fn serve_loopback_with(
    port: u16,
    shutdown: &crate::server::CancellationToken,
    config: SqsConfig,
) -> std::io::Result<Sqs> {
    let listener = crate::server::bind_loopback(port).await?;
    let sqs = Sqs::new(SqsConfig {
        endpoint_url: format!("http://{}", listener.local_addr()?),
        ..config
    });
    tokio::spawn(serve(listener, sqs.clone(), shutdown.clone()));
    Ok(sqs)
}
