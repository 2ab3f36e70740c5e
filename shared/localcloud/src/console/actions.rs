//! The console's actions, each one SQS API call (or two) through the API's
//! own dispatch ([`crate::sqs::protocol::dispatch`]), as the CLI's commands
//! make them (`cargo xtask lesson <step> send | visibility | dlq redrive |
//! dlq purge`): the same validation, the same error codes and messages.
//!
//! `POST /api/actions/<name>` with a JSON body naming the queue:
//!
//! | action | body | SQS call |
//! |---|---|---|
//! | `send` | `{"queue": "jobs", "body": "..."}` | SendMessage |
//! | `visibility` | `{"queue": "jobs", "seconds": 5}` | SetQueueAttributes VisibilityTimeout |
//! | `redrive` | `{"queue": "jobs-dlq"}` | StartMessageMoveTask (SourceArn: the queue) |
//! | `purge` | `{"queue": "jobs-dlq"}` | PurgeQueue |
//!
//! The answer is `{"operation", "summary", "result"}` (200), or
//! `{"operation", "error": {"code", "type", "message"}}` (400) with the
//! code the SDKs report and AWS's message.

use http::{Request, StatusCode};

use serde_json::{Value, json};

use crate::sqs::Sqs;
use crate::sqs::error::SqsError;
use crate::sqs::protocol::dispatch;

/// A message body may be 256 KiB; the rest is the JSON around it.
const MAX_REQUEST_BYTES: usize = 300 * 1024;

/// Reads the request's body and runs the action `name`.
pub async fn run<B>(sqs: &Sqs, name: &str, req: Request<B>) -> (StatusCode, String)
where
    B: hyper::body::Body,
    B::Error: std::fmt::Display,
{
    match crate::server::read_body(req.into_body(), MAX_REQUEST_BYTES).await {
        Ok(body) => run_json(sqs, name, &body).await,
        Err(crate::server::BodyError::TooLarge) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": format!("the request is larger than {MAX_REQUEST_BYTES} bytes")})
                .to_string(),
        ),
        Err(crate::server::BodyError::Unreadable(e)) => (
            StatusCode::BAD_REQUEST,
            json!({"error": format!("cannot read the request: {e}")}).to_string(),
        ),
    }
}

/// Runs the action `name` on a JSON body.
pub async fn run_json(sqs: &Sqs, name: &str, body: &[u8]) -> (StatusCode, String) {
    let request: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => return bad_request("the body must be a JSON object"),
    };
    let Some(queue) = request["queue"].as_str() else {
        return bad_request("the body must name the queue: {\"queue\": \"<name>\", ...}");
    };
    let url = queue_url(sqs, queue);
    let outcome = match name {
        "send" => send(sqs, &url, &request).await,
        "visibility" => visibility(sqs, &url, &request).await,
        "redrive" => redrive(sqs, queue, &url).await,
        "purge" => purge(sqs, &url).await,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                json!({"error": format!("no action {name:?}: send, visibility, redrive or purge")})
                    .to_string(),
            );
        }
    };
    match outcome {
        Ok((operation, summary, result)) => (
            StatusCode::OK,
            json!({"operation": operation, "summary": summary, "result": result}).to_string(),
        ),
        Err((operation, error)) => (
            StatusCode::BAD_REQUEST,
            json!({
                "operation": operation,
                "error": {
                    "code": error.code.query_code(),
                    "type": error.code.shape(),
                    "message": error.message,
                },
            })
            .to_string(),
        ),
    }
}

type Outcome = Result<(&'static str, String, Value), (&'static str, SqsError)>;

/// One call through the API's dispatch.
async fn call(
    sqs: &Sqs,
    operation: &'static str,
    body: Value,
) -> Result<Value, (&'static str, SqsError)> {
    let answer = dispatch(
        sqs,
        &format!("AmazonSQS.{operation}"),
        body.to_string().as_bytes(),
    )
    .await
    .map_err(|e| (operation, e))?;
    Ok(serde_json::from_slice(&answer).unwrap_or(Value::Null))
}

/// The queue's URL; for a name with no queue, the URL it would have (the
/// API then answers QueueDoesNotExist, as it does for the CLI).
fn queue_url(sqs: &Sqs, name: &str) -> String {
    sqs.queue_url(name).unwrap_or_else(|| {
        format!(
            "{}/{}/{name}",
            sqs.endpoint_url().trim_end_matches('/'),
            sqs.account_id()
        )
    })
}

async fn send(sqs: &Sqs, url: &str, request: &Value) -> Outcome {
    let mut body = json!({"QueueUrl": url});
    // No "body": the API's own MissingParameter answer.
    if let Some(message) = request.get("body") {
        body["MessageBody"] = message.clone();
    }
    let result = call(sqs, "SendMessage", body).await?;
    let summary = format!(
        "sent {} to {url}",
        result["MessageId"].as_str().unwrap_or("?")
    );
    Ok(("SendMessage", summary, result))
}

async fn visibility(sqs: &Sqs, url: &str, request: &Value) -> Outcome {
    let before = attributes(sqs, url).await?;
    // The attribute is a string in the API; a number typed in the page
    // becomes its text, anything else is passed as is for SQS to judge.
    let seconds = match &request["seconds"] {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    };
    let body = json!({"QueueUrl": url, "Attributes": {"VisibilityTimeout": seconds}});
    let result = call(sqs, "SetQueueAttributes", body).await?;
    let summary = format!(
        "VisibilityTimeout of {url}: {} s -> {} s",
        before["VisibilityTimeout"].as_str().unwrap_or("?"),
        seconds.as_str().unwrap_or("?")
    );
    Ok(("SetQueueAttributes", summary, result))
}

async fn redrive(sqs: &Sqs, queue: &str, url: &str) -> Outcome {
    let attributes = attributes(sqs, url).await?;
    let waiting = attributes["ApproximateNumberOfMessages"]
        .as_str()
        .unwrap_or("0");
    if waiting == "0" {
        return Ok((
            "StartMessageMoveTask",
            "the DLQ is empty: nothing to redrive".to_owned(),
            Value::Null,
        ));
    }
    let arn = attributes["QueueArn"].as_str().map_or_else(
        || format!("arn:aws:sqs:{}:{}:{queue}", sqs.region(), sqs.account_id()),
        str::to_owned,
    );
    let result = call(sqs, "StartMessageMoveTask", json!({"SourceArn": arn})).await?;
    let summary = format!("redrive started: {waiting} message(s) of {url} back to their queue");
    Ok(("StartMessageMoveTask", summary, result))
}

async fn purge(sqs: &Sqs, url: &str) -> Outcome {
    let before = attributes(sqs, url).await?;
    let result = call(sqs, "PurgeQueue", json!({"QueueUrl": url})).await?;
    let summary = format!(
        "purged {url}: {} message(s) deleted",
        before["ApproximateNumberOfMessages"]
            .as_str()
            .unwrap_or("?")
    );
    Ok(("PurgeQueue", summary, result))
}

async fn attributes(sqs: &Sqs, url: &str) -> Result<Value, (&'static str, SqsError)> {
    let answer = call(
        sqs,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    )
    .await?;
    Ok(answer["Attributes"].clone())
}

fn bad_request(message: &str) -> (StatusCode, String) {
    (
        StatusCode::BAD_REQUEST,
        json!({"error": message}).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sqs::SqsConfig;

    fn sqs() -> Sqs {
        let sqs = Sqs::new(SqsConfig::default());
        sqs.create_queue("jobs-dlq", &BTreeMap::new()).unwrap();
        sqs.create_queue("jobs", &BTreeMap::new()).unwrap();
        let policy = json!({
            "deadLetterTargetArn": sqs.queue_arn("jobs-dlq").unwrap(),
            "maxReceiveCount": 1,
        });
        sqs.set_queue_attributes(
            "jobs",
            BTreeMap::from([("RedrivePolicy".to_owned(), policy.to_string())]),
        )
        .unwrap();
        sqs
    }

    async fn act(sqs: &Sqs, name: &str, body: Value) -> (StatusCode, Value) {
        let (status, answer) = run_json(sqs, name, body.to_string().as_bytes()).await;
        (status, serde_json::from_str(&answer).unwrap())
    }

    /// What the SQS API answers to the same call, over the protocol.
    async fn api_error(sqs: &Sqs, operation: &str, body: Value) -> SqsError {
        dispatch(
            sqs,
            &format!("AmazonSQS.{operation}"),
            body.to_string().as_bytes(),
        )
        .await
        .unwrap_err()
    }

    #[tokio::test]
    async fn a_visibility_out_of_range_fails_with_the_api_s_own_error() {
        let sqs = sqs();
        let (status, answer) = act(
            &sqs,
            "visibility",
            json!({"queue": "jobs", "seconds": 43201}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let api = api_error(
            &sqs,
            "SetQueueAttributes",
            json!({"QueueUrl": sqs.queue_url("jobs").unwrap(),
                   "Attributes": {"VisibilityTimeout": "43201"}}),
        )
        .await;
        assert_eq!(answer["operation"], "SetQueueAttributes");
        assert_eq!(answer["error"]["code"], "InvalidAttributeValue");
        assert_eq!(answer["error"]["code"], api.code.query_code());
        assert_eq!(answer["error"]["message"], api.message.as_str());
        assert_eq!(
            sqs.queue_attributes("jobs").unwrap()["VisibilityTimeout"],
            "30"
        );

        let (status, answer) = act(
            &sqs,
            "visibility",
            json!({"queue": "jobs", "seconds": "soon"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"]["code"], "InvalidAttributeValue");

        let (status, answer) =
            act(&sqs, "visibility", json!({"queue": "jobs", "seconds": 5})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(
            answer["summary"]
                .as_str()
                .unwrap()
                .ends_with("/jobs: 30 s -> 5 s"),
            "{answer}"
        );
        assert_eq!(
            sqs.queue_attributes("jobs").unwrap()["VisibilityTimeout"],
            "5"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn send_purge_and_redrive_do_what_the_cli_does() {
        let sqs = sqs();
        let (status, answer) =
            act(&sqs, "send", json!({"queue": "jobs", "body": "not a job"})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(
            answer["summary"].as_str().unwrap().starts_with("sent "),
            "{answer}"
        );
        assert_eq!(sqs.counts("jobs").unwrap().visible, 1);
        let (_, empty) = act(&sqs, "redrive", json!({"queue": "jobs-dlq"})).await;
        assert_eq!(empty["summary"], "the DLQ is empty: nothing to redrive");

        // Received once, then moved to the DLQ at the next receive
        // (maxReceiveCount 1).
        let url = sqs.queue_url("jobs").unwrap();
        assert_eq!(sqs.receive_messages(&url, 1, 0).await.unwrap().len(), 1);
        tokio::time::advance(std::time::Duration::from_secs(31)).await;
        assert!(sqs.receive_messages(&url, 1, 0).await.unwrap().is_empty());
        assert_eq!(sqs.counts("jobs-dlq").unwrap().visible, 1);

        let (status, answer) = act(&sqs, "redrive", json!({"queue": "jobs-dlq"})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(answer["result"]["TaskHandle"].is_string(), "{answer}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(sqs.counts("jobs").unwrap().visible, 1, "moved back");

        let (status, answer) = act(&sqs, "purge", json!({"queue": "jobs"})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(
            answer["summary"]
                .as_str()
                .unwrap()
                .ends_with(": 1 message(s) deleted")
        );
        assert_eq!(sqs.counts("jobs").unwrap().visible, 0);
        // Once per 60 s, as the API says.
        let (status, answer) = act(&sqs, "purge", json!({"queue": "jobs"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            answer["error"]["code"],
            "AWS.SimpleQueueService.PurgeQueueInProgress"
        );
    }

    #[tokio::test]
    async fn mistakes_get_the_api_s_answers() {
        let sqs = sqs();
        let (status, answer) = act(&sqs, "send", json!({"queue": "jobs"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"]["code"], "MissingParameter");
        assert_eq!(
            answer["error"]["message"],
            "The request must contain the parameter MessageBody."
        );
        let (_, answer) = act(&sqs, "send", json!({"queue": "nope", "body": "x"})).await;
        assert_eq!(
            answer["error"]["code"],
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        let (_, answer) = act(&sqs, "send", json!({"queue": "jobs", "body": "\u{1}"})).await;
        assert_eq!(answer["error"]["code"], "InvalidMessageContents");
        let (_, answer) = act(&sqs, "redrive", json!({"queue": "nope"})).await;
        assert_eq!(
            answer["error"]["code"],
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        let (status, _) = act(&sqs, "delete-everything", json!({"queue": "jobs"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, answer) = act(&sqs, "send", json!(["jobs"])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"], "the body must be a JSON object");
    }
}
