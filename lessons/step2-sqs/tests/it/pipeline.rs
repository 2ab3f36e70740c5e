//! The whole step-2 pipeline in memory, under tokio's paused clock: the
//! lesson's real handlers (producer with the real `aws-sdk-sqs` client over
//! localcloud's in-memory connection; worker through the event source
//! mapping), the queues and the mapping read from the lesson's serverless.yml.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use localcloud::clock::Clock;
use localcloud::config::ServerlessConfig;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::lambda::{InvokeContext, LambdaSettings, adapters};
use localcloud::server::CancellationToken;
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};
use step2_sqs::producer::Producer;
use tokio::sync::broadcast;

const EPOCH: i64 = 1_767_225_600_000;

fn sdk_client(sqs: &Sqs) -> aws_sdk_sqs::Client {
    use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-northeast-2"))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .endpoint_url(sqs.endpoint_url())
        .http_client(sqs.sdk_http_client())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// The lesson's stack with its handlers in process.
fn stack() -> (Stack, broadcast::Receiver<LogLine>, aws_sdk_sqs::Client) {
    let clock = Clock::starting_at(EPOCH);
    let sqs = Sqs::new(SqsConfig {
        clock,
        ..Default::default()
    });
    let config = ServerlessConfig::from_file(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("serverless.yml"),
    )
    .unwrap();
    let client = sdk_client(&sqs);
    let producer = Producer::new(
        client.clone(),
        config.function("producer").unwrap().environment["QUEUE_URL"].clone(),
    );
    let mut code = BTreeMap::new();
    code.insert(
        "producer".to_owned(),
        CodeSource::Handler(adapters::http(move |request| {
            let producer = producer.clone();
            async move { producer.handle(request).await }
        })),
    );
    code.insert(
        "jobsWorker".to_owned(),
        CodeSource::Handler(adapters::event(
            |event: SqsEvent, context: InvokeContext| async move {
                let (response, outcomes) = step2_sqs::worker::work(&event);
                for outcome in outcomes {
                    context.log(outcome.log_line());
                }
                Ok::<_, Infallible>(response)
            },
        )),
    );
    let logs = Logs::new(false);
    let rx = logs.subscribe();
    let lambda = LambdaSettings {
        clock,
        logs,
        ..Default::default()
    };
    let stack = Stack::new(
        config,
        StackOptions {
            code,
            lambda,
            sqs: Some(sqs),
        },
    )
    .unwrap();
    (stack, rx, client)
}

async fn produce(stack: &Stack, body: &str) -> (u16, String) {
    let request = http::Request::post("/produce")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = stack.http_api.handle(request).await;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn job_lines(rx: &mut broadcast::Receiver<LogLine>, into: &mut Vec<LogLine>) {
    while let Ok(line) = rx.try_recv() {
        if line.text.starts_with("job ") {
            into.push(line);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_hundred_jobs_each_processed_once_with_the_right_output() {
    let (stack, mut rx, _) = stack();
    let shutdown = CancellationToken::new();
    stack.start_event_sources(shutdown.clone()).await.unwrap();
    for i in 1..=100 {
        let (status, body) = produce(&stack, &format!(r#"{{"input": {i}}}"#)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!(r#""input":{i}}}"#)), "{body}");
    }
    let mut lines = Vec::new();
    for _ in 0..600 {
        job_lines(&mut rx, &mut lines);
        if lines.len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut outputs: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for line in &lines {
        // job <id> receive 1: input 7 -> output 8
        let (_, rest) = line.text.split_once("input ").unwrap();
        let (input, output) = rest.split_once(" -> output ").unwrap();
        outputs
            .entry(input.parse().unwrap())
            .or_default()
            .push(output.parse().unwrap());
        assert!(
            line.text.contains(" receive 1: "),
            "processed once: {}",
            line.text
        );
    }
    assert_eq!(outputs.len(), 100);
    for (input, outs) in outputs {
        assert_eq!(outs, [input + 1], "input {input}");
    }
    let queue = &stack.config.queues[1].name;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts = stack.sqs.counts(queue).unwrap();
    assert_eq!(
        (counts.visible, counts.in_flight, counts.delayed),
        (0, 0, 0),
        "every job deleted"
    );
    assert_eq!(
        stack
            .sqs
            .counts(&stack.config.queues[0].name)
            .unwrap()
            .visible,
        0,
        "nothing in the DLQ"
    );
    shutdown.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_poison_message_is_received_max_retries_times_then_lands_in_the_dlq() {
    let (stack, mut rx, client) = stack();
    let shutdown = CancellationToken::new();
    stack.start_event_sources(shutdown.clone()).await.unwrap();
    let queue_url = stack.sqs.queue_url(&stack.config.queues[1].name).unwrap();
    let dlq = stack.config.queues[0].name.clone();
    client
        .send_message()
        .queue_url(&queue_url)
        .message_body("not a job")
        .send()
        .await
        .unwrap();
    // A good job in the same queue goes through untouched.
    assert_eq!(produce(&stack, r#"{"input": 41}"#).await.0, 200);

    let mut lines = Vec::new();
    for _ in 0..300 {
        job_lines(&mut rx, &mut lines);
        if stack.sqs.counts(&dlq).unwrap().visible == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    job_lines(&mut rx, &mut lines);
    let poison_id = lines
        .iter()
        .find(|l| l.text.contains("rejected"))
        .map(|l| l.text.split(' ').nth(1).unwrap().to_owned())
        .unwrap();
    let mut timeline: Vec<String> = lines
        .iter()
        .map(|l| {
            let text = l.text.replace(&poison_id, "<poison>");
            let text = match text
                .split_once("job ")
                .and_then(|(_, rest)| rest.split_once(' '))
            {
                Some((id, rest)) if id != "<poison>" => format!("job <good> {rest}"),
                _ => text,
            };
            format!("{:>7} ms  {text}", l.at_epoch_millis - EPOCH)
        })
        .collect();
    timeline.push(format!(
        "in the DLQ: {} message(s); in the queue: {:?}",
        stack.sqs.counts(&dlq).unwrap().visible,
        stack.sqs.counts(&stack.config.queues[1].name).unwrap()
    ));
    insta::assert_snapshot!(timeline.join("\n"));
    shutdown.cancel();
}

#[tokio::test(start_paused = true)]
async fn bad_bodies_get_the_step1_answers_and_nothing_is_queued() {
    let (stack, _, _) = stack();
    for body in ["", "{", r#"{"input": "1"}"#, r#"{"input": 1, "x": 2}"#] {
        let (status, answer) = produce(&stack, body).await;
        assert_eq!(status, 400, "{body:?}");
        assert!(answer.starts_with(r#"{"message":""#), "{answer}");
    }
    let counts = stack.sqs.counts(&stack.config.queues[1].name).unwrap();
    assert_eq!(counts.visible + counts.in_flight + counts.delayed, 0);
}

#[tokio::test(start_paused = true)]
async fn an_sqs_failure_is_a_502_that_says_what_sqs_said() {
    let sqs = Sqs::new(SqsConfig::default());
    let producer = Producer::new(
        sdk_client(&sqs),
        "http://127.0.0.1:9324/000000000000/no-such-queue",
    );
    let (status, body) = producer.produce(br#"{"input": 1}"#).await;
    assert_eq!(status.as_u16(), 502);
    insta::assert_snapshot!(body, @r#"{"message":"The job could not be put on the queue (AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist.)."}"#);
}
