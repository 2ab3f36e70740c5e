//! The lesson's serverless.yml as localcloud reads it, and the
//! retrospective's story end to end under tokio's paused clock: the stack
//! from that file (HTTP API, queue, DLQ, event source mapping), the real
//! producer and worker in process, one `POST /produce`. With the visibility
//! timeout cut to 10 s the transfer happens three times and the message
//! still ends in the DLQ; with Lift's 120 s, or with the heartbeat, it
//! happens once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;
use http_body_util::Full;
use localcloud::clock::Clock;
use localcloud::config::{HttpApiRoute, HttpMethod, ServerlessConfig};
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::lambda::{InvokeContext, LambdaSettings, adapters};
use localcloud::server::CancellationToken;
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};
use step2_sqs::producer::Producer;
use step3_dlq_visibility::worker::{Deadline, Worker};

const EPOCH: i64 = 1_767_225_600_000;

fn config() -> ServerlessConfig {
    ServerlessConfig::from_file(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("serverless.yml"))
        .unwrap()
}

#[test]
fn localcloud_reads_the_lesson_file_as_serverless_and_lift_deploy_it() {
    let config = config();
    assert_eq!(config.service, "tutorial-step-3");
    assert_eq!(config.provider.region, "ap-northeast-2");

    let [dlq, queue] = &config.queues[..] else {
        panic!("{:?}", config.queues)
    };
    assert_eq!(dlq.name, "tutorial-step-3-dev-jobs-dlq");
    assert_eq!(queue.name, "tutorial-step-3-dev-jobs");
    assert_eq!(
        queue.attributes["VisibilityTimeout"], "120",
        "6 x timeout 20"
    );
    let redrive = queue.redrive.as_ref().unwrap();
    assert_eq!(redrive.dead_letter_queue, dlq.name);
    assert_eq!(redrive.max_receive_count, 3);

    let queue_url = "http://127.0.0.1:9324/000000000000/tutorial-step-3-dev-jobs";
    let worker = config.function("jobsWorker").unwrap();
    assert_eq!(worker.name, "tutorial-step-3-dev-jobsWorker");
    assert_eq!(worker.timeout_seconds, 20);
    assert_eq!(
        worker.environment,
        BTreeMap::from([
            ("CRASH_AFTER_COMMIT".to_owned(), "off".to_owned()),
            ("HEARTBEAT".to_owned(), "off".to_owned()),
            ("IDEMPOTENCY".to_owned(), "off".to_owned()),
            // !Ref of an AWS::DynamoDB::Table: its name.
            (
                "IDEMPOTENCY_TABLE".to_owned(),
                "tutorial-step-3-dev-IdempotencyTable".to_owned()
            ),
            ("QUEUE_URL".to_owned(), queue_url.to_owned()),
            ("WORK_SECONDS".to_owned(), "15".to_owned()),
        ])
    );
    // The table, with TTL on `expires`, and the IAM statement naming its ARN.
    let [table] = &config.tables[..] else {
        panic!("{:?}", config.tables)
    };
    assert_eq!(table.name, "tutorial-step-3-dev-IdempotencyTable");
    assert_eq!(
        table.properties["TimeToLiveSpecification"]["AttributeName"],
        "expires"
    );
    let statements = &config.provider.iam_statements;
    assert_eq!(
        statements[1].resources,
        ["arn:aws:dynamodb:ap-northeast-2:000000000000:table/tutorial-step-3-dev-IdempotencyTable"]
    );
    assert_eq!(
        statements[0].resources,
        ["arn:aws:sqs:ap-northeast-2:000000000000:tutorial-step-3-dev-jobs"]
    );
    let [source] = &worker.sqs_events[..] else {
        panic!("{:?}", worker.sqs_events)
    };
    assert_eq!(source.queue, queue.name);
    assert_eq!(source.batch_size, 1);
    assert!(source.report_batch_item_failures);
    assert!(
        worker
            .artifact
            .as_ref()
            .unwrap()
            .ends_with("target/lambda/step3-worker/step3-worker.zip")
    );

    let producer = config.function("producer").unwrap();
    assert_eq!(producer.environment["QUEUE_URL"], queue_url);
    assert_eq!(
        producer.http_api,
        [HttpApiRoute::Route {
            method: Some(HttpMethod::Post),
            path: "/produce".into()
        }]
    );
    assert!(
        producer
            .artifact
            .as_ref()
            .unwrap()
            .ends_with("target/lambda/step3-producer/step3-producer.zip")
    );
}

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

/// What one run of the story left behind.
struct Story {
    /// `<seconds> <line>`, the worker's commit and heartbeat lines.
    lines: Vec<String>,
    in_dlq: usize,
    left_in_queue: usize,
}

/// The stack from serverless.yml with the worker in process (15 s of work),
/// the queue's visibility timeout set to `visibility` after the mapping was
/// created (AWS does not re-check it then), one job, 60 s of timeline.
async fn story(visibility: Option<u32>, heartbeat: bool) -> Story {
    let config = config();
    let queue = config.queues[1].name.clone();
    let dlq = config.queues[0].name.clone();
    let clock = Clock::starting_at(EPOCH);
    let sqs = Sqs::new(SqsConfig {
        clock,
        ..Default::default()
    });
    let client = sdk_client(&sqs);
    let worker = Worker::new(
        client.clone(),
        config.function("jobsWorker").unwrap().environment["QUEUE_URL"].clone(),
        Duration::from_secs(15),
        heartbeat,
    );
    let producer = Producer::new(
        client.clone(),
        config.function("producer").unwrap().environment["QUEUE_URL"].clone(),
    );
    let code = BTreeMap::from([
        (
            "jobsWorker".to_owned(),
            CodeSource::Handler(adapters::event(
                move |event: SqsEvent, context: InvokeContext| {
                    let worker = worker.clone();
                    async move {
                        let log = |line: String| context.log(line);
                        let deadline = Deadline {
                            epoch_millis: clock.epoch_millis_at(context.deadline),
                            instant: context.deadline,
                        };
                        worker.handle(&event, deadline, &log).await.map_err(|c| c.0)
                    }
                },
            )),
        ),
        (
            "producer".to_owned(),
            CodeSource::Handler(adapters::http(move |request| {
                let producer = producer.clone();
                async move { producer.handle(request).await }
            })),
        ),
    ]);
    let logs = Logs::new(false);
    let mut rx = logs.subscribe();
    let stack = Stack::new(
        config,
        StackOptions {
            code,
            lambda: LambdaSettings {
                clock,
                logs,
                ..Default::default()
            },
            sqs: Some(sqs),
        },
    )
    .unwrap();
    let shutdown = CancellationToken::new();
    stack.start_event_sources(shutdown.clone()).await.unwrap();
    if let Some(seconds) = visibility {
        stack
            .sqs
            .set_queue_attributes(
                &queue,
                BTreeMap::from([("VisibilityTimeout".to_owned(), seconds.to_string())]),
            )
            .unwrap();
    }
    let request = http::Request::post("/produce")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"input": 41}"#)))
        .unwrap();
    assert_eq!(stack.http_api.handle(request).await.status(), 200);

    let mut lines: Vec<LogLine> = Vec::new();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        while let Ok(line) = rx.try_recv() {
            lines.push(line);
        }
    }
    let in_dlq = stack.sqs.counts(&dlq).unwrap().visible;
    let counts = stack.sqs.counts(&queue).unwrap();
    shutdown.cancel();
    let lines = lines
        .into_iter()
        .filter(|l| l.text.starts_with("commit ") || l.text.starts_with("heartbeat "))
        .map(|l| {
            // `commit <id> receive 1: ...` -> `commit receive 1: ...`
            let mut words: Vec<&str> = l.text.split(' ').collect();
            words.remove(1);
            format!(
                "{:>2} s  {}",
                (l.at_epoch_millis - EPOCH) / 1000,
                words.join(" ")
            )
        })
        .collect();
    Story {
        lines,
        in_dlq,
        left_in_queue: counts.visible + counts.in_flight + counts.delayed,
    }
}

#[tokio::test(start_paused = true)]
async fn a_ten_second_timeout_makes_three_transfers_and_still_ends_in_the_dlq() {
    let story = story(Some(10), false).await;
    assert_eq!(
        story.lines,
        [
            "15 s  commit receive 1: input 41 -> output 42",
            "25 s  commit receive 2: input 41 -> output 42",
            "35 s  commit receive 3: input 41 -> output 42",
        ]
    );
    assert_eq!((story.in_dlq, story.left_in_queue), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn lifts_timeout_of_120_seconds_makes_one_transfer() {
    let story = story(None, false).await;
    assert_eq!(
        story.lines,
        ["15 s  commit receive 1: input 41 -> output 42"]
    );
    assert_eq!((story.in_dlq, story.left_in_queue), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_makes_one_transfer_even_with_a_ten_second_timeout() {
    let story = story(Some(10), true).await;
    assert_eq!(
        story.lines,
        [
            " 5 s  heartbeat visible again in 10 s",
            "10 s  heartbeat visible again in 10 s",
            "15 s  commit receive 1: input 41 -> output 42",
        ]
    );
    assert_eq!((story.in_dlq, story.left_in_queue), (0, 0));
}
