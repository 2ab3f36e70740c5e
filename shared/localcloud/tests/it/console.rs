//! The live console over real TCP: its page and snapshot, the event stream
//! (a snapshot, then batches, a burst in one), the refusal of other sites
//! and other Host names, and actions that fail as the SQS API does.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use localcloud::client::HttpClient;
use localcloud::console::{self, RunningConsole, Sources};
use localcloud::server::CancellationToken;
use localcloud::sqs::{Sqs, SqsConfig};
use serde_json::{Value, json};

/// An SQS with the step-2 queues and a console on a free port.
async fn console() -> (Sqs, RunningConsole, CancellationToken) {
    let sqs = Sqs::new(SqsConfig::default());
    sqs.create_queue("jobs-dlq", &BTreeMap::new()).unwrap();
    sqs.create_queue("jobs", &BTreeMap::new()).unwrap();
    let policy =
        json!({"deadLetterTargetArn": sqs.queue_arn("jobs-dlq").unwrap(), "maxReceiveCount": 3});
    sqs.set_queue_attributes(
        "jobs",
        BTreeMap::from([("RedrivePolicy".to_owned(), policy.to_string())]),
    )
    .unwrap();
    let shutdown = CancellationToken::new();
    let running = console::serve(Sources::sqs_only(&sqs), 0, shutdown.clone())
        .await
        .unwrap();
    (sqs, running, shutdown)
}

async fn send(sqs: &Sqs, body: &str) {
    let url = sqs.queue_url("jobs").unwrap();
    localcloud::sqs::protocol::dispatch(
        sqs,
        "AmazonSQS.SendMessage",
        json!({"QueueUrl": url, "MessageBody": body})
            .to_string()
            .as_bytes(),
    )
    .await
    .unwrap();
}

async fn get(url: &str) -> localcloud::client::HttpAnswer {
    HttpClient::new()
        .send(Method::GET, url, &[], Bytes::new())
        .await
        .unwrap()
}

async fn post(
    console: &RunningConsole,
    action: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (StatusCode, Value) {
    let answer = HttpClient::new()
        .send(
            Method::POST,
            &format!("{}api/actions/{action}", console.url),
            headers,
            body.to_string(),
        )
        .await
        .unwrap();
    (
        answer.status,
        serde_json::from_slice(&answer.body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_page_and_the_snapshot_are_served() {
    let (sqs, console, shutdown) = console().await;
    assert!(console.url.starts_with("http://127.0.0.1:"));
    send(&sqs, "a").await;
    let page = get(&console.url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body_text().contains("<script src=\"/console.js\""));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    for asset in ["console.js", "console.css"] {
        let answer = get(&format!("{}{asset}", console.url)).await;
        assert_eq!(answer.status, StatusCode::OK, "{asset}");
    }
    let snapshot = get(&format!("{}api/snapshot", console.url)).await;
    let json: Value = serde_json::from_slice(&snapshot.body).unwrap();
    assert_eq!(json["type"], "snapshot");
    let jobs = &json["state"]["queues"][0];
    assert_eq!(jobs["name"], "jobs");
    assert_eq!(jobs["visible"], 1);
    assert_eq!(jobs["dead_letter_queue"], "jobs-dlq");
    assert_eq!(jobs["max_receive_count"], 3);
    let missing = get(&format!("{}nothing-here", console.url)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    shutdown.cancel();
}

/// The frames of a server-sent event stream, as they arrive.
struct Frames {
    body: hyper::body::Incoming,
    buffer: String,
}

impl Frames {
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = None;
                for line in frame.lines() {
                    if let Some(name) = line.strip_prefix("event: ") {
                        event = Some(name.to_owned());
                    } else if let Some(json) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(json).unwrap());
                    }
                }
                if let (Some(event), Some(data)) = (event, data) {
                    return (event, data);
                }
                continue; // retry: and comments
            }
            let frame = tokio::time::timeout(Duration::from_secs(5), self.body.frame())
                .await
                .expect("a frame within 5 s")
                .expect("the stream goes on")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }
}

async fn follow(console: &RunningConsole) -> Frames {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(format!("{}api/events", console.url))
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    Frames {
        body: response.into_body(),
        buffer: String::new(),
    }
}

#[tokio::test]
async fn the_stream_starts_with_a_snapshot_then_batches_a_burst() {
    let (sqs, console, shutdown) = console().await;
    send(&sqs, "before").await;
    // Let the hub put the first send in its history.
    tokio::time::sleep(console::FLUSH_EVERY * 2).await;
    let mut frames = follow(&console).await;
    let (event, snapshot) = frames.next().await;
    assert_eq!(event, "snapshot");
    assert_eq!(snapshot["events"][0]["kind"], "message_sent");
    assert_eq!(snapshot["state"]["queues"][0]["visible"], 1);

    for i in 0..500 {
        send(&sqs, &i.to_string()).await;
    }
    let url = sqs.queue_url("jobs").unwrap();
    let received = sqs.receive_messages(&url, 10, 0).await.unwrap();
    let mut events = 0;
    let mut batches = 0;
    let mut last_state = Value::Null;
    while events < 510 {
        let (event, batch) = frames.next().await;
        assert_eq!(event, "batch");
        assert!(batch["seq"].as_u64().unwrap() > snapshot["seq"].as_u64().unwrap());
        events += batch["events"].as_array().unwrap().len();
        batches += 1;
        if !batch["state"].is_null() {
            last_state = batch["state"].clone();
        }
    }
    assert_eq!(events, 510);
    assert!(
        batches <= 2,
        "510 events in {batches} batches: they are sent together"
    );
    let jobs = &last_state["queues"][0];
    assert_eq!(
        (jobs["visible"].as_u64(), jobs["in_flight"].as_u64()),
        (Some(491), Some(10))
    );
    let listed: Vec<&str> = jobs["in_flight_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    for message in &received {
        assert!(listed.contains(&message.message_id.as_str()));
    }
    shutdown.cancel();
}

#[tokio::test]
async fn another_site_cannot_purge_the_queue() {
    let (sqs, console, shutdown) = console().await;
    send(&sqs, "keep me").await;
    let own_host = format!("127.0.0.1:{}", console.port);
    let own_origin = format!("http://{own_host}");

    let (status, answer) = post(
        &console,
        "purge",
        &[
            ("origin", "http://evil.example"),
            ("content-type", "application/json"),
        ],
        json!({"queue": "jobs"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("not from \"http://evil.example\""),
        "{answer}"
    );
    assert_eq!(
        sqs.counts("jobs").unwrap().visible,
        1,
        "the queue is untouched"
    );

    // A request the browser marks cross-site, a form post, no Origin at all.
    for headers in [
        vec![
            ("origin", own_origin.as_str()),
            ("sec-fetch-site", "cross-site"),
            ("content-type", "application/json"),
        ],
        vec![
            ("origin", own_origin.as_str()),
            ("content-type", "text/plain"),
        ],
        vec![("content-type", "application/json")],
    ] {
        let (status, _) = post(&console, "purge", &headers, json!({"queue": "jobs"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    // DNS rebinding: another name for 127.0.0.1 in Host, even with a
    // matching Origin, and even to read.
    let rebound = [
        ("host", "evil.example:9325"),
        ("origin", "http://evil.example:9325"),
        ("content-type", "application/json"),
    ];
    let (status, _) = post(&console, "purge", &rebound, json!({"queue": "jobs"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let read = HttpClient::new()
        .send(
            Method::GET,
            &format!("{}api/snapshot", console.url),
            &[("host", "evil.example:9325")],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(read.status, StatusCode::FORBIDDEN);
    assert_eq!(sqs.counts("jobs").unwrap().visible, 1, "still untouched");

    // The console's own page may.
    let (status, answer) = post(
        &console,
        "purge",
        &[
            ("origin", own_origin.as_str()),
            ("sec-fetch-site", "same-origin"),
            ("content-type", "application/json"),
        ],
        json!({"queue": "jobs"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(sqs.counts("jobs").unwrap().visible, 0);
    shutdown.cancel();
}

#[tokio::test]
async fn a_visibility_of_43201_gets_the_sqs_api_s_error() {
    let (sqs, console, shutdown) = console().await;
    let origin = format!("http://127.0.0.1:{}", console.port);
    let (status, answer) = post(
        &console,
        "visibility",
        &[
            ("origin", origin.as_str()),
            ("content-type", "application/json"),
        ],
        json!({"queue": "jobs", "seconds": 43201}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The same call through the SQS API.
    let api = localcloud::sqs::protocol::dispatch(
        &sqs,
        "AmazonSQS.SetQueueAttributes",
        json!({"QueueUrl": sqs.queue_url("jobs").unwrap(),
               "Attributes": {"VisibilityTimeout": "43201"}})
        .to_string()
        .as_bytes(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        answer,
        json!({
            "operation": "SetQueueAttributes",
            "error": {
                "code": api.code.query_code(),
                "type": api.code.shape(),
                "message": api.message,
            },
        })
    );
    assert_eq!(answer["error"]["code"], "InvalidAttributeValue");
    assert_eq!(
        sqs.queue_attributes("jobs").unwrap()["VisibilityTimeout"],
        "30"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn the_snapshot_shows_dynamodb_tables_and_their_items() {
    let (sqs, console, shutdown) = console().await;
    let db = sqs.dynamodb();
    db.create_table_from_json(&json!({
        "TableName": "idempotency",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": true},
    }))
    .unwrap();
    let put = json!({
        "TableName": "idempotency",
        "Item": {"id": {"S": "input=1"}, "status": {"S": "COMPLETED"}},
        "ConditionExpression": "attribute_not_exists(id)",
    })
    .to_string();
    let target = "DynamoDB_20120810.PutItem";
    localcloud::dynamodb::protocol::dispatch(&db, target, put.as_bytes()).unwrap();
    let again = localcloud::dynamodb::protocol::dispatch(&db, target, put.as_bytes());
    assert!(again.is_err());
    // The hub takes events from the stream on its own task: wait (bounded)
    // until it has the failed write.
    let json = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let snapshot = get(&format!("{}api/snapshot", console.url)).await;
            let json: Value = serde_json::from_slice(&snapshot.body).unwrap();
            let caught = json["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "conditional_check_failed");
            if caught {
                return json;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the failed conditional write reaches the console");
    let table = &json["state"]["tables"][0];
    assert_eq!(table["name"], "idempotency");
    assert_eq!(table["key"], "id");
    assert_eq!(table["ttl_attribute"], "expires");
    assert_eq!(table["item_count"], 1);
    assert_eq!(table["items"][0]["status"], json!({"S": "COMPLETED"}));
    let kinds: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"conditional_check_failed"), "{kinds:?}");
    shutdown.cancel();
}
