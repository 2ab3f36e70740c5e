//! The producer: validate, then send to the queue.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use lesson_kit::{ErrorBody, Job};

/// The message group of every job sent to a FIFO queue.
pub const FIFO_GROUP: &str = "jobs";

/// What the producer needs: an SQS client and the queue's URL.
#[derive(Clone)]
pub struct Producer {
    client: Client,
    queue_url: String,
}

impl Producer {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The client from the environment (`aws-config`: region, credentials,
    /// `AWS_ENDPOINT_URL_SQS`) and `QUEUE_URL`, which serverless.yml sets to
    /// `${construct:jobs.queueUrl}`.
    pub async fn from_env() -> Result<Self, Error> {
        let queue_url = std::env::var("QUEUE_URL").map_err(
            |_| "QUEUE_URL is not set: serverless.yml sets it to ${construct:jobs.queueUrl}",
        )?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Self::new(Client::new(&config), queue_url))
    }

    /// The answer to one request body: status and JSON text.
    pub async fn produce(&self, body: &[u8]) -> (StatusCode, String) {
        let job = match Job::from_json_bytes(body) {
            Ok(job) => job,
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    ErrorBody::new(e.to_string()).to_json(),
                );
            }
        };
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(job.to_json());
        if self.queue_url.ends_with(".fifo") {
            // A FIFO queue (Lift's `fifo: true`) needs a message group: the
            // jobs of one group are delivered one at a time, in order. Here
            // every job is in one group, as one account's transfers would be;
            // Lift turns content-based deduplication on, so no dedup id.
            send = send.message_group_id(FIFO_GROUP);
        }
        let sent = send.send().await;
        match sent {
            Ok(output) => {
                let message_id = output.message_id.unwrap_or_default();
                lambda_http::tracing::info!(message_id, input = %job.input, "queued");
                let answer = format!(
                    r#"{{"messageId":{},"input":{}}}"#,
                    serde_json::Value::String(message_id),
                    job.input
                );
                (StatusCode::OK, answer)
            }
            Err(e) => {
                // The client did nothing wrong: a 502, with what SQS said.
                let reason = match &e {
                    SdkError::ServiceError(service) => format!(
                        "{}: {}",
                        service.err().code().unwrap_or("error"),
                        service.err().message().unwrap_or("")
                    ),
                    other => other.to_string(),
                };
                lambda_http::tracing::error!(%reason, "SendMessage failed");
                let message = format!("The job could not be put on the queue ({reason}).");
                (StatusCode::BAD_GATEWAY, ErrorBody::new(message).to_json())
            }
        }
    }

    /// The Lambda handler for `POST /produce`.
    pub async fn handle(&self, request: Request) -> Result<Response<Body>, Error> {
        let (status, json) = self.produce(request.body().as_ref()).await;
        Ok(Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::Text(json))?)
    }
}
