//! The event stream ([`localcloud::events`]) under tokio's paused clock:
//! what SQS reports for receives, stale and current deletes, visibility
//! changes, DLQ moves, redrive, attribute changes and purges; what Lambda
//! reports per execution environment; and a stack's single stream.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;
use bytes::Bytes;
use localcloud::clock::Clock;
use localcloud::config::ServerlessConfig;
use localcloud::events::{BatchMessage, DeleteIgnoredReason, Event, EventKind, InvocationResult};
use localcloud::lambda::{
    Code, FunctionSpec, Handler, HandlerError, InvokeContext, Lambda, LambdaSettings,
};
use localcloud::server::CancellationToken;
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};
use tokio::sync::broadcast;

const EPOCH: i64 = 1_767_225_600_000;

fn setup() -> (Sqs, Client) {
    let sqs = Sqs::new(SqsConfig {
        clock: Clock::starting_at(EPOCH),
        ..Default::default()
    });
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDLOCAL", "secret", None, None, "test"))
        .endpoint_url("http://127.0.0.1:9324")
        .http_client(sqs.sdk_http_client())
        .build();
    (sqs, Client::from_conf(config))
}

/// Every event received so far.
fn drain(rx: &mut broadcast::Receiver<Event>) -> Vec<Event> {
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}

fn at(millis: i64, kind: EventKind) -> Event {
    Event {
        at_epoch_millis: EPOCH + millis,
        kind,
    }
}

async fn queue(client: &Client, name: &str, attributes: &[(QueueAttributeName, &str)]) -> String {
    let mut request = client.create_queue().queue_name(name);
    for (k, v) in attributes {
        request = request.attributes(k.clone(), *v);
    }
    request.send().await.unwrap().queue_url.unwrap()
}

/// Receives one message (no wait): its receipt handle, or `None`.
async fn receive(client: &Client, url: &str) -> Option<String> {
    client
        .receive_message()
        .queue_url(url)
        .send()
        .await
        .unwrap()
        .messages
        .and_then(|mut m| m.remove(0).receipt_handle)
}

async fn delete(client: &Client, url: &str, handle: &str) {
    client
        .delete_message()
        .queue_url(url)
        .receipt_handle(handle)
        .send()
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stale_receipt_handle_is_ignored_and_the_current_one_deletes() {
    let (sqs, client) = setup();
    let url = queue(
        &client,
        "jobs",
        &[(QueueAttributeName::VisibilityTimeout, "30")],
    )
    .await;
    let mut rx = sqs.events().subscribe();
    let id = client
        .send_message()
        .queue_url(&url)
        .message_body("job")
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap();
    let first = receive(&client, &url).await.unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let second = receive(&client, &url).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The first handle is no longer the most recent: the call succeeds and
    // the message stays.
    delete(&client, &url, &first).await;
    assert_eq!(sqs.counts("jobs").unwrap().in_flight, 1);
    // A change with the stale handle fails and reports nothing; with the
    // current one it takes effect.
    assert!(
        client
            .change_message_visibility()
            .queue_url(&url)
            .receipt_handle(&first)
            .visibility_timeout(5)
            .send()
            .await
            .is_err()
    );
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&second)
        .visibility_timeout(5)
        .send()
        .await
        .unwrap();
    delete(&client, &url, &second).await;
    assert_eq!(sqs.counts("jobs").unwrap(), Default::default());
    // Deleting again: the message is gone.
    delete(&client, &url, &second).await;

    let queue = || "jobs".to_owned();
    assert_eq!(
        drain(&mut rx),
        [
            at(
                0,
                EventKind::MessageSent {
                    queue: queue(),
                    message_id: id.clone()
                }
            ),
            at(
                0,
                EventKind::MessageReceived {
                    queue: queue(),
                    message_id: id.clone(),
                    receive_count: 1,
                    visible_again_at_epoch_millis: EPOCH + 30_000,
                    group_id: None,
                }
            ),
            at(
                30_000,
                EventKind::MessageReceived {
                    queue: queue(),
                    message_id: id.clone(),
                    receive_count: 2,
                    visible_again_at_epoch_millis: EPOCH + 60_000,
                    group_id: None,
                }
            ),
            at(
                31_000,
                EventKind::DeleteIgnored {
                    queue: queue(),
                    message_id: Some(id.clone()),
                    reason: DeleteIgnoredReason::StaleReceiptHandle,
                }
            ),
            at(
                31_000,
                EventKind::VisibilityChanged {
                    queue: queue(),
                    message_id: id.clone(),
                    visible_again_at_epoch_millis: EPOCH + 36_000,
                }
            ),
            at(
                31_000,
                EventKind::MessageDeleted {
                    queue: queue(),
                    message_id: id.clone()
                }
            ),
            at(
                31_000,
                EventKind::DeleteIgnored {
                    queue: queue(),
                    message_id: None,
                    reason: DeleteIgnoredReason::MessageGone,
                }
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_receive_past_max_receive_count_moves_the_message_to_the_dlq() {
    let (sqs, client) = setup();
    queue(&client, "work-dlq", &[]).await;
    let url = queue(
        &client,
        "work",
        &[(QueueAttributeName::VisibilityTimeout, "10")],
    )
    .await;
    let mut rx = sqs.events().subscribe();
    let dlq_arn = sqs.queue_arn("work-dlq").unwrap();
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":2}}"#);
    client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::RedrivePolicy, &policy)
        .send()
        .await
        .unwrap();
    let id = client
        .send_message()
        .queue_url(&url)
        .message_body("poison")
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap();
    assert!(receive(&client, &url).await.is_some());
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(receive(&client, &url).await.is_some());
    tokio::time::sleep(Duration::from_secs(10)).await;
    // The third attempt finds the message received twice already: moved.
    assert!(receive(&client, &url).await.is_none());
    assert_eq!(sqs.counts("work-dlq").unwrap().visible, 1);

    let work = || "work".to_owned();
    assert_eq!(
        drain(&mut rx),
        [
            at(
                0,
                EventKind::QueueAttributesChanged {
                    queue: work(),
                    attributes: BTreeMap::from([("RedrivePolicy".to_owned(), policy.clone())]),
                }
            ),
            at(
                0,
                EventKind::MessageSent {
                    queue: work(),
                    message_id: id.clone()
                }
            ),
            at(
                0,
                EventKind::MessageReceived {
                    queue: work(),
                    message_id: id.clone(),
                    receive_count: 1,
                    visible_again_at_epoch_millis: EPOCH + 10_000,
                    group_id: None,
                }
            ),
            at(
                10_000,
                EventKind::MessageReceived {
                    queue: work(),
                    message_id: id.clone(),
                    receive_count: 2,
                    visible_again_at_epoch_millis: EPOCH + 20_000,
                    group_id: None,
                }
            ),
            at(
                20_000,
                EventKind::MovedToDeadLetterQueue {
                    queue: work(),
                    dead_letter_queue: "work-dlq".to_owned(),
                    message_id: id.clone(),
                    receive_count: 2,
                    max_receive_count: 2,
                }
            ),
        ]
    );

    // Redrive: the message arrives back in its source queue as a new
    // message, with a new id (SQS-DG, DLQ redrive).
    client
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.purge_queue().queue_url(&url).send().await.unwrap();
    let events = drain(&mut rx);
    let [redriven, purged] = &events[..] else {
        panic!("{events:#?}");
    };
    let EventKind::MessageSent { queue, message_id } = &redriven.kind else {
        panic!("{redriven:?}");
    };
    assert_eq!(
        (queue.as_str(), redriven.at_epoch_millis),
        ("work", EPOCH + 20_000)
    );
    assert_ne!(message_id, &id, "a redriven message is a new message");
    assert_eq!(
        purged,
        &at(20_500, EventKind::QueuePurged { queue: work() })
    );
    assert_eq!(sqs.counts("work-dlq").unwrap(), Default::default());
}

/// A handler that sleeps for the milliseconds its event (or the body of an
/// SQS event's first record) names, or fails when it is `fail`.
fn sleeper() -> Arc<dyn Handler> {
    Arc::new(|event: Bytes, _: InvokeContext| async move {
        let text = std::str::from_utf8(&event).unwrap();
        let json: Option<serde_json::Value> = serde_json::from_str(text).ok();
        let text = match json.as_ref().and_then(|v| v["Records"][0]["body"].as_str()) {
            Some(body) => body,
            None => text,
        };
        if text == "fail" {
            return Err(HandlerError {
                error_type: "Boom".into(),
                error_message: "failed".into(),
            });
        }
        let millis: u64 = text.parse().unwrap();
        tokio::time::sleep(Duration::from_millis(millis)).await;
        Ok(Bytes::from_static(b"{}"))
    })
}

#[tokio::test(start_paused = true)]
async fn a_timeout_discards_the_in_process_environment_and_success_keeps_it() {
    let lambda = Lambda::new(LambdaSettings {
        clock: Clock::starting_at(EPOCH),
        ..Default::default()
    });
    lambda.add_function(FunctionSpec {
        name: "worker".into(),
        handler: "bootstrap".into(),
        timeout: Duration::from_secs(3),
        memory_size_mb: 128,
        environment: BTreeMap::new(),
        max_concurrency: None,
        code: Code::InProcess(sleeper()),
    });
    let mut rx = lambda.events().subscribe();
    let invoke = |event: &'static str| {
        let lambda = lambda.clone();
        async move {
            lambda
                .invoke("worker", Bytes::from_static(event.as_bytes()))
                .await
                .unwrap()
                .request_id
        }
    };
    let started = |id: &str, environment, cold_start| EventKind::InvocationStarted {
        function: "worker".into(),
        request_id: id.to_owned(),
        environment,
        cold_start,
    };
    let finished = |id: &str, environment, outcome, duration_ms| EventKind::InvocationFinished {
        function: "worker".into(),
        request_id: id.to_owned(),
        environment,
        outcome,
        duration_ms,
    };

    let timed_out = invoke("5000").await;
    let cold = invoke("250").await;
    let failed = invoke("fail").await;
    let warm = invoke("100").await;
    assert_eq!(
        drain(&mut rx),
        [
            at(0, started(&timed_out, 1, true)),
            at(
                3_000,
                finished(&timed_out, 1, InvocationResult::Timeout, 3_000.0)
            ),
            // Environment 1 is gone: a new one, cold.
            at(3_000, started(&cold, 2, true)),
            at(3_250, finished(&cold, 2, InvocationResult::Success, 250.0)),
            // Success kept environment 2 warm; an error keeps it too.
            at(3_250, started(&failed, 2, false)),
            at(3_250, finished(&failed, 2, InvocationResult::Error, 0.0)),
            at(3_250, started(&warm, 2, false)),
            at(3_350, finished(&warm, 2, InvocationResult::Success, 100.0)),
        ]
    );

    // Two at once: the warm environment and a new one.
    tokio::join!(invoke("100"), invoke("100"));
    let mut environments: Vec<(u64, bool)> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::InvocationStarted {
                environment,
                cold_start,
                ..
            } => Some((environment, cold_start)),
            _ => None,
        })
        .collect();
    environments.sort();
    assert_eq!(environments, [(2, false), (3, true)]);
}

const SERVICE: &str = r#"
service: esm
provider:
  name: aws
  runtime: provided.al2023
functions:
  worker:
    handler: bootstrap
    timeout: 10
    events:
      - sqs:
          arn: !GetAtt Jobs.Arn
          batchSize: 1
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 30
"#;

/// Sends one message through the stack's mapping and checks that one
/// subscriber saw its whole life.
async fn one_message_through(stack: Stack, mut rx: broadcast::Receiver<Event>) {
    stack
        .start_event_sources(CancellationToken::new())
        .await
        .unwrap();
    let url = stack.sqs.queue_url("esm-dev-Jobs").unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    localcloud::sqs::ops::messages::send_message(
        &stack.sqs,
        serde_json::from_value(serde_json::json!({"QueueUrl": url, "MessageBody": "50"})).unwrap(),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = drain(&mut rx);
    let [sent, received, started, finished, batch, deleted] = &events[..] else {
        panic!("{events:#?}");
    };
    let EventKind::MessageSent { message_id, .. } = &sent.kind else {
        panic!("{sent:?}");
    };
    assert_eq!(sent.at_epoch_millis, EPOCH + 1_000);
    assert_eq!(
        received,
        &at(
            1_000,
            EventKind::MessageReceived {
                queue: "esm-dev-Jobs".into(),
                message_id: message_id.clone(),
                receive_count: 1,
                visible_again_at_epoch_millis: EPOCH + 31_000,
                group_id: None,
            }
        )
    );
    let EventKind::InvocationStarted {
        function,
        request_id,
        environment: 1,
        cold_start: true,
    } = &started.kind
    else {
        panic!("{started:?}");
    };
    assert_eq!(function, "esm-dev-worker");
    assert_eq!(started.at_epoch_millis, EPOCH + 1_000);
    assert_eq!(
        finished,
        &at(
            1_050,
            EventKind::InvocationFinished {
                function: function.clone(),
                request_id: request_id.clone(),
                environment: 1,
                outcome: InvocationResult::Success,
                duration_ms: 50.0,
            }
        )
    );
    // The mapping says which messages the invocation had, then deletes.
    assert_eq!(
        batch,
        &at(
            1_050,
            EventKind::BatchInvoked {
                function: function.clone(),
                queue: "esm-dev-Jobs".into(),
                request_id: request_id.clone(),
                messages: vec![BatchMessage {
                    message_id: message_id.clone(),
                    receive_count: 1,
                }],
            }
        )
    );
    assert_eq!(
        deleted,
        &at(
            1_050,
            EventKind::MessageDeleted {
                queue: "esm-dev-Jobs".into(),
                message_id: message_id.clone(),
            }
        )
    );
}

fn config() -> ServerlessConfig {
    ServerlessConfig::from_str_at(SERVICE, Path::new("serverless.yml")).unwrap()
}

fn code() -> BTreeMap<String, CodeSource> {
    BTreeMap::from([("worker".to_owned(), CodeSource::Handler(sleeper()))])
}

#[tokio::test(start_paused = true)]
async fn a_stack_given_an_sqs_reports_its_lambda_on_the_sqs_stream() {
    let clock = Clock::starting_at(EPOCH);
    let sqs = Sqs::new(SqsConfig {
        clock,
        ..Default::default()
    });
    let rx = sqs.events().subscribe();
    let stack = Stack::new(
        config(),
        StackOptions {
            code: code(),
            lambda: LambdaSettings {
                clock,
                ..Default::default()
            },
            sqs: Some(sqs),
        },
    )
    .unwrap();
    one_message_through(stack, rx).await;
}

#[tokio::test(start_paused = true)]
async fn a_stack_without_an_sqs_reports_both_on_the_lambda_stream() {
    let lambda = LambdaSettings {
        clock: Clock::starting_at(EPOCH),
        ..Default::default()
    };
    let rx = lambda.events.subscribe();
    let stack = Stack::new(
        config(),
        StackOptions {
            code: code(),
            lambda,
            sqs: None,
        },
    )
    .unwrap();
    one_message_through(stack, rx).await;
}
