//! The SQS event source mapping under tokio's paused clock: creation
//! checks, what is deleted for each kind of answer, the batching window,
//! and scaling with a backlog.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use localcloud::config::ServerlessConfig;
use localcloud::lambda::{Handler, HandlerError, InvokeContext, LambdaSettings};
use localcloud::server::CancellationToken;
use localcloud::stack::{CodeSource, Stack, StackOptions};

fn service(visibility: u32, function_timeout: u32, batch: &str) -> String {
    format!(
        r#"
service: esm
provider:
  name: aws
  runtime: provided.al2023
functions:
  worker:
    handler: bootstrap
    timeout: {function_timeout}
    events:
      - sqs:
          arn: !GetAtt Jobs.Arn
          {batch}
          functionResponseType: ReportBatchItemFailures
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: {visibility}
"#
    )
}

fn stack(text: &str, handler: Arc<dyn Handler>) -> Stack {
    let config = ServerlessConfig::from_str_at(text, Path::new("serverless.yml")).unwrap();
    let code = BTreeMap::from([("worker".to_owned(), CodeSource::Handler(handler))]);
    Stack::new(
        config,
        StackOptions {
            code,
            lambda: LambdaSettings::default(),
            sqs: None,
        },
    )
    .unwrap()
}

async fn send(stack: &Stack, bodies: &[&str]) {
    let url = stack.sqs.queue_url("esm-dev-Jobs").unwrap();
    for body in bodies {
        let answer = localcloud::sqs::ops::messages::send_message(
            &stack.sqs,
            serde_json::from_value(serde_json::json!({"QueueUrl": url, "MessageBody": body}))
                .unwrap(),
        );
        answer.unwrap();
    }
}

fn left(stack: &Stack) -> usize {
    let c = stack.sqs.counts("esm-dev-Jobs").unwrap();
    c.visible + c.in_flight + c.delayed
}

#[tokio::test(start_paused = true)]
async fn a_visibility_timeout_below_the_function_timeout_is_refused_at_creation_only() {
    let ok: Arc<dyn Handler> =
        Arc::new(|_: Bytes, _: InvokeContext| async { Ok(Bytes::from_static(b"{}")) });
    let refused = stack(&service(10, 30, "batchSize: 1"), ok.clone());
    let error = refused
        .start_event_sources(CancellationToken::new())
        .await
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "serverless.yml: functions.worker: event source mapping: InvalidParameterValueException: Queue visibility timeout: 10 seconds is less than Function timeout: 30 seconds"
    );
    // Created while the timeout was long enough; shortening it later is allowed.
    let allowed = stack(&service(40, 30, "batchSize: 1"), ok);
    allowed
        .start_event_sources(CancellationToken::new())
        .await
        .unwrap();
    allowed
        .sqs
        .set_queue_attributes(
            "esm-dev-Jobs",
            BTreeMap::from([("VisibilityTimeout".to_owned(), "5".to_owned())]),
        )
        .unwrap();
}

/// A handler that answers each batch with `answer(ids)`.
fn answering(answer: fn(&[String]) -> Result<String, ()>) -> Arc<dyn Handler> {
    Arc::new(move |event: Bytes, _: InvokeContext| async move {
        let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
        let ids: Vec<String> = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["messageId"].as_str().unwrap().to_owned())
            .collect();
        match answer(&ids) {
            Ok(json) => Ok(Bytes::from(json)),
            Err(()) => Err(HandlerError {
                error_type: "Boom".into(),
                error_message: "failed".into(),
            }),
        }
    })
}

async fn run_once(answer: fn(&[String]) -> Result<String, ()>) -> usize {
    let stack = stack(
        &service(30, 5, "batchSize: 3\n          maximumBatchingWindow: 1"),
        answering(answer),
    );
    send(&stack, &["a", "b", "c"]).await;
    stack
        .start_event_sources(CancellationToken::new())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    left(&stack)
}

#[tokio::test(start_paused = true)]
async fn what_is_deleted_for_each_answer() {
    assert_eq!(
        run_once(|_| Ok("{}".into())).await,
        0,
        "success: the batch is deleted"
    );
    assert_eq!(
        run_once(|_| Ok(r#"{"batchItemFailures": []}"#.into())).await,
        0,
        "an empty list: all succeeded"
    );
    assert_eq!(
        run_once(|_| Ok(r#"{"batchItemFailures": null}"#.into())).await,
        0,
        "null: all succeeded"
    );
    assert_eq!(
        run_once(|ids| Ok(format!(
            r#"{{"batchItemFailures": [{{"itemIdentifier": "{}"}}]}}"#,
            ids[0]
        )))
        .await,
        1,
        "only the listed message stays"
    );
    assert_eq!(
        run_once(|_| Ok(
            r#"{"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}"#.into()
        ))
        .await,
        3,
        "an unknown id fails the whole batch"
    );
    assert_eq!(
        run_once(|_| Ok(r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#.into())).await,
        3,
        "an empty id fails the whole batch"
    );
    assert_eq!(
        run_once(|_| Err(())).await,
        3,
        "a function error deletes nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn the_batching_window_gathers_a_batch() {
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let handler: Arc<dyn Handler> = Arc::new(move |event: Bytes, _: InvokeContext| {
        let seen = seen.clone();
        async move {
            let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
            seen.lock()
                .unwrap()
                .push(event["Records"].as_array().unwrap().len());
            Ok(Bytes::from_static(b"{}"))
        }
    });
    let stack = stack(
        &service(60, 5, "batchSize: 10\n          maximumBatchingWindow: 3"),
        handler,
    );
    stack
        .start_event_sources(CancellationToken::new())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Messages trickle in within the window: one batch, not four.
    for body in ["1", "2", "3", "4"] {
        send(&stack, &[body]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(sizes.lock().unwrap().iter().sum::<usize>(), 4);
    // The poller holding the first message keeps gathering until the window
    // closes at 3 s, so the four arrive as one batch.
    assert_eq!(*sizes.lock().unwrap(), [4]);
    assert_eq!(left(&stack), 0);
}

#[tokio::test(start_paused = true)]
async fn pollers_scale_up_with_a_backlog() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (r, p) = (running.clone(), peak.clone());
    let slow: Arc<dyn Handler> = Arc::new(move |_: Bytes, _: InvokeContext| {
        let (r, p) = (r.clone(), p.clone());
        async move {
            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(2)).await;
            r.fetch_sub(1, Ordering::SeqCst);
            Ok(Bytes::from_static(b"{}"))
        }
    });
    let stack = stack(&service(60, 5, "batchSize: 1"), slow);
    let bodies: Vec<String> = (0..60).map(|i| i.to_string()).collect();
    send(
        &stack,
        &bodies.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let mappings = stack
        .start_event_sources(CancellationToken::new())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        peak.load(Ordering::SeqCst),
        5,
        "five batches at a time to start"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    // localcloud's default concurrency per function is 10.
    assert_eq!(mappings[0].pollers(), 10, "scaled up while messages waited");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(left(&stack), 0);
}

/// A FIFO queue's mapping: each batch holds its groups in order, a group is
/// in one batch at a time, and with ReportBatchItemFailures the failed
/// message and those after it come back first in their group.
#[tokio::test(start_paused = true)]
async fn a_fifo_queue_is_processed_group_by_group_in_order() {
    use std::sync::Mutex;
    let text = r#"
service: esm
provider:
  name: aws
  runtime: provided.al2023
functions:
  worker:
    handler: bootstrap
    timeout: 5
    events:
      - sqs:
          arn: !GetAtt Jobs.Arn
          batchSize: 2
          functionResponseType: ReportBatchItemFailures
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        FifoQueue: true
        ContentBasedDeduplication: true
        VisibilityTimeout: 30
"#;
    #[derive(Default)]
    struct Seen {
        active: Vec<String>,
        done: Vec<String>,
        batches: Vec<Vec<String>>,
        failed_once: bool,
        overlap: bool,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler: Arc<dyn Handler> = {
        let seen = seen.clone();
        Arc::new(move |event: Bytes, _: InvokeContext| {
            let seen = seen.clone();
            async move {
                let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
                let records: Vec<(String, String, String)> = event["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let attributes = &r["attributes"];
                        assert!(attributes["SequenceNumber"].is_string(), "{r}");
                        assert!(attributes["MessageDeduplicationId"].is_string(), "{r}");
                        (
                            attributes["MessageGroupId"].as_str().unwrap().to_owned(),
                            r["body"].as_str().unwrap().to_owned(),
                            r["messageId"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                let groups: Vec<String> = records.iter().map(|r| r.0.clone()).collect();
                {
                    let mut s = seen.lock().unwrap();
                    if groups.iter().any(|g| s.active.contains(g)) {
                        s.overlap = true;
                    }
                    s.active.extend(groups.iter().cloned());
                    s.batches
                        .push(records.iter().map(|r| r.1.clone()).collect());
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                let mut s = seen.lock().unwrap();
                s.active.retain(|g| !groups.contains(g));
                // The documented FIFO rule: stop at the first failure and
                // report it and every message after it.
                let mut failures = Vec::new();
                for (_, body, id) in &records {
                    if !failures.is_empty() || (body == "a2" && !s.failed_once) {
                        s.failed_once = true;
                        failures.push(serde_json::json!({"itemIdentifier": id}));
                    } else {
                        s.done.push(body.clone());
                    }
                }
                Ok(Bytes::from(
                    serde_json::json!({"batchItemFailures": failures}).to_string(),
                ))
            }
        })
    };
    let stack = stack(text, handler);
    let url = stack.sqs.queue_url("esm-dev-Jobs.fifo").unwrap();
    for (group, body) in [
        ("a", "a1"),
        ("a", "a2"),
        ("a", "a3"),
        ("b", "b1"),
        ("b", "b2"),
        ("b", "b3"),
    ] {
        localcloud::sqs::ops::messages::send_message(
            &stack.sqs,
            serde_json::from_value(serde_json::json!(
                {"QueueUrl": url, "MessageBody": body, "MessageGroupId": group}
            ))
            .unwrap(),
        )
        .unwrap();
    }
    stack
        .start_event_sources(CancellationToken::new())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    {
        let s = seen.lock().unwrap();
        // a2 failed: a1 done; a2 and a3 wait in flight for their visibility timeout.
        let a: Vec<&String> = s.done.iter().filter(|b| b.starts_with('a')).collect();
        assert_eq!(a, ["a1"], "{:?}", s.batches);
        let b: Vec<&String> = s.done.iter().filter(|b| b.starts_with('b')).collect();
        assert_eq!(b, ["b1", "b2", "b3"], "{:?}", s.batches);
    }
    tokio::time::sleep(Duration::from_secs(40)).await;
    let s = seen.lock().unwrap();
    let a: Vec<&String> = s.done.iter().filter(|b| b.starts_with('a')).collect();
    assert_eq!(a, ["a1", "a2", "a3"], "{:?}", s.batches);
    assert!(
        !s.overlap,
        "a group was in two batches at once: {:?}",
        s.batches
    );
    assert!(s.batches.iter().all(|b| b.len() <= 2));
    drop(s);
    assert_eq!(left_in(&stack, "esm-dev-Jobs.fifo"), 0);
}

fn left_in(stack: &Stack, name: &str) -> usize {
    let c = stack.sqs.counts(name).unwrap();
    c.visible + c.in_flight + c.delayed
}
