//! The step-3 worker under tokio's paused clock, against localcloud's SQS in
//! memory and the real `aws-sdk-sqs` client: the work takes exactly
//! `WORK_SECONDS`, the heartbeat keeps a message hidden past the queue's
//! visibility timeout, and without it a second consumer gets the message.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use localcloud::clock::Clock;
use localcloud::sqs::ops::messages::MessageOut;
use localcloud::sqs::{Sqs, SqsConfig};
use step3_dlq_visibility::worker::{Deadline, Worker};
use tokio::time::{Instant, sleep_until};

const EPOCH: i64 = 1_767_225_600_000;
const QUEUE: &str = "jobs";

/// An invocation's deadline 20 s (the lesson's worker timeout) from now.
fn deadline() -> Deadline {
    Deadline {
        epoch_millis: EPOCH + 20_000,
        instant: Instant::now() + Duration::from_secs(20),
    }
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

/// An SQS in memory on the paused clock, with one queue of the given
/// visibility timeout, and a client for it.
fn setup(visibility_seconds: u32) -> (Sqs, String, aws_sdk_sqs::Client) {
    let sqs = Sqs::new(SqsConfig {
        clock: Clock::starting_at(EPOCH),
        ..Default::default()
    });
    let url = sqs
        .create_queue(
            QUEUE,
            &BTreeMap::from([(
                "VisibilityTimeout".to_owned(),
                visibility_seconds.to_string(),
            )]),
        )
        .unwrap();
    let client = sdk_client(&sqs);
    (sqs, url, client)
}

/// Sends `body` and receives it once, as the event source mapping would.
async fn send_and_receive(
    sqs: &Sqs,
    url: &str,
    client: &aws_sdk_sqs::Client,
    body: &str,
) -> MessageOut {
    client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .unwrap();
    let mut received = sqs.receive_messages(url, 1, 0).await.unwrap();
    assert_eq!(received.len(), 1);
    received.remove(0)
}

/// The event Lambda builds from received messages (the fields the worker reads).
fn event_of(messages: &[&MessageOut]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = Some(m.message_id.clone());
            record.receipt_handle = Some(m.receipt_handle.clone());
            record.body = Some(m.body.clone());
            record.attributes = m
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            record.event_source = Some("aws:sqs".into());
            record
        })
        .collect();
    event
}

/// A log sink that keeps each line with the time it was written, from `start`.
#[derive(Clone)]
struct Lines {
    start: Instant,
    lines: Arc<Mutex<Vec<(Duration, String)>>>,
}

impl Lines {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            lines: Arc::default(),
        }
    }

    fn sink(&self) -> impl Fn(String) + Send + Sync + 'static {
        let this = self.clone();
        move |line| {
            let at = this.start.elapsed();
            this.lines.lock().unwrap().push((at, line));
        }
    }

    fn taken(&self) -> Vec<(Duration, String)> {
        self.lines.lock().unwrap().clone()
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test(start_paused = true)]
async fn a_valid_job_is_committed_after_the_work_with_an_exact_plus_one() {
    let (sqs, url, client) = setup(120);
    let message = send_and_receive(&sqs, &url, &client, r#"{"input": 9007199254740993}"#).await;
    let worker = Worker::new(client, url, secs(15), false);
    let lines = Lines::new();
    let sink = lines.sink();

    let response = worker
        .handle(&event_of(&[&message]), deadline(), &sink)
        .await
        .unwrap();

    assert_eq!(
        lines.start.elapsed(),
        secs(15),
        "the work takes WORK_SECONDS"
    );
    assert_eq!(
        lines.taken(),
        [(
            secs(15),
            format!(
                "commit {} receive 1: input 9007199254740993 -> output 9007199254740994",
                message.message_id
            )
        )]
    );
    assert!(response.batch_item_failures.is_empty());
}

#[tokio::test(start_paused = true)]
async fn fractional_work_seconds_and_no_work_at_all() {
    let (sqs, url, client) = setup(30);
    let message = send_and_receive(&sqs, &url, &client, r#"{"input": 1.5}"#).await;
    let event = event_of(&[&message]);
    for (work, expected) in [("0.5", Duration::from_millis(500)), ("0", Duration::ZERO)] {
        let work = step3_dlq_visibility::worker::parse_work_seconds(Some(work)).unwrap();
        let worker = Worker::new(client.clone(), url.clone(), work, false);
        let lines = Lines::new();
        let response = worker
            .handle(&event, deadline(), &lines.sink())
            .await
            .unwrap();
        assert_eq!(lines.start.elapsed(), expected);
        let taken = lines.taken();
        assert_eq!(taken.len(), 1);
        assert!(
            taken[0].1.ends_with(": input 1.5 -> output 2.5"),
            "{taken:?}"
        );
        assert!(response.batch_item_failures.is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_bad_body_is_rejected_and_reported_in_batch_item_failures() {
    let (sqs, url, client) = setup(30);
    let bad = send_and_receive(&sqs, &url, &client, "not a job").await;
    let good = send_and_receive(&sqs, &url, &client, r#"{"input": 1}"#).await;
    let worker = Worker::new(client, url, secs(15), false);
    let lines = Lines::new();

    let response = worker
        .handle(&event_of(&[&bad, &good]), deadline(), &lines.sink())
        .await
        .unwrap();

    let ids: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(ids, [bad.message_id.as_str()]);
    let taken: Vec<String> = lines.taken().into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        taken,
        [
            format!(
                "rejected {} receive 1: the message body is not valid JSON (expected ident at line 1 column 2)",
                bad.message_id
            ),
            format!("commit {} receive 1: input 1 -> output 2", good.message_id),
        ]
    );
}

/// Runs `handle` on one message of a queue whose visibility timeout is 10 s,
/// 15 s of work, while a second consumer tries to receive the message at
/// 11 s and 14 s. Returns the worker's lines and what the probe got.
async fn race(
    heartbeat: bool,
) -> (
    Vec<(Duration, String)>,
    Vec<(u64, Vec<MessageOut>)>,
    MessageOut,
) {
    let (sqs, url, client) = setup(10);
    let message = send_and_receive(&sqs, &url, &client, r#"{"input": 41}"#).await;
    let worker = Worker::new(client, url.clone(), secs(15), heartbeat);
    let lines = Lines::new();
    let sink = lines.sink();
    let event = event_of(&[&message]);
    let start = lines.start;

    let probe = async {
        let mut got = Vec::new();
        for at in [11, 14] {
            sleep_until(start + secs(at)).await;
            got.push((at, sqs.receive_messages(&url, 10, 0).await.unwrap()));
        }
        got
    };
    let (response, got) = tokio::join!(worker.handle(&event, deadline(), &sink), probe);
    let response = response.unwrap();

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(start.elapsed(), secs(15));
    (lines.taken(), got, message)
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_keeps_the_message_hidden_past_the_visibility_timeout() {
    let (lines, got, message) = race(true).await;
    let id = &message.message_id;
    assert_eq!(
        lines,
        [
            (secs(5), format!("heartbeat {id}: visible again in 10 s")),
            (secs(10), format!("heartbeat {id}: visible again in 10 s")),
            (
                secs(15),
                format!("commit {id} receive 1: input 41 -> output 42")
            ),
        ],
        "a beat every 5 s, none after the work"
    );
    for (at, messages) in &got {
        assert!(
            messages.is_empty(),
            "at {at} s nobody else gets it: {messages:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn without_the_heartbeat_a_second_consumer_gets_the_message_during_the_work() {
    let (lines, got, message) = race(false).await;
    let id = &message.message_id;
    assert_eq!(
        lines,
        [(
            secs(15),
            format!("commit {id} receive 1: input 41 -> output 42")
        )]
    );
    let (at, messages) = &got[0];
    assert_eq!(*at, 11);
    assert_eq!(messages.len(), 1, "visible again at 10 s");
    assert_eq!(&messages[0].message_id, id);
    assert_eq!(messages[0].attributes["ApproximateReceiveCount"], "2");
    // The second consumer now holds it (until 21 s): at 14 s it is hidden.
    assert!(got[1].1.is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_reads_the_live_timeout_and_a_zero_timeout_means_no_beat() {
    let (sqs, url, client) = setup(0);
    let message = send_and_receive(&sqs, &url, &client, r#"{"input": 1}"#).await;
    let worker = Worker::new(client, url, secs(15), true);
    let lines = Lines::new();
    worker
        .handle(&event_of(&[&message]), deadline(), &lines.sink())
        .await
        .unwrap();
    let taken = lines.taken();
    assert_eq!(taken.len(), 2, "{taken:?}");
    assert_eq!(taken[0].0, Duration::ZERO);
    assert!(
        taken[0]
            .1
            .starts_with("heartbeat off for this batch: the queue's VisibilityTimeout is 0 s"),
        "{taken:?}"
    );
    assert_eq!(
        taken[1],
        (
            secs(15),
            format!(
                "commit {} receive 1: input 1 -> output 2",
                message.message_id
            )
        )
    );

    // A queue changed after the deploy: the worker uses what it reads now.
    let (sqs, url, client) = setup(120);
    let message = send_and_receive(&sqs, &url, &client, r#"{"input": 1}"#).await;
    sqs.set_queue_attributes(
        QUEUE,
        BTreeMap::from([("VisibilityTimeout".to_owned(), "4".to_owned())]),
    )
    .unwrap();
    let worker = Worker::new(client, url, secs(5), true);
    let lines = Lines::new();
    worker
        .handle(&event_of(&[&message]), deadline(), &lines.sink())
        .await
        .unwrap();
    let beats: Vec<Duration> = lines
        .taken()
        .into_iter()
        .filter(|(_, l)| l.ends_with(": visible again in 4 s"))
        .map(|(at, _)| at)
        .collect();
    assert_eq!(beats, [secs(2), secs(4)]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_heartbeat_is_logged_and_the_work_goes_on() {
    let (sqs, url, client) = setup(10);
    let message = send_and_receive(&sqs, &url, &client, r#"{"input": 1}"#).await;
    let worker = Worker::new(client, url.clone(), secs(8), true);
    let lines = Lines::new();
    let id = message.message_id.clone();
    let handle = message.receipt_handle.clone();
    let event = event_of(&[&message]);
    // Someone deletes the message at 2 s: the beat at 5 s has nothing to extend.
    let deleter = async {
        tokio::time::sleep(secs(2)).await;
        sqs.delete_message(&url, &handle).unwrap();
    };
    let sink = lines.sink();
    let (response, ()) = tokio::join!(worker.handle(&event, deadline(), &sink), deleter);
    let response = response.unwrap();
    let taken = lines.taken();
    assert_eq!(taken.len(), 2, "{taken:?}");
    assert_eq!(taken[0].0, secs(5));
    assert!(
        taken[0].1.starts_with(&format!("heartbeat {id} failed: ")),
        "{taken:?}"
    );
    assert_eq!(
        taken[1],
        (
            secs(8),
            format!("commit {id} receive 1: input 1 -> output 2")
        )
    );
    assert!(response.batch_item_failures.is_empty());

    // An unknown queue: the heartbeat is off for the batch, the commit happens.
    let worker = Worker::new(
        sdk_client(&sqs),
        format!("{}/000000000000/no-such-queue", sqs.endpoint_url()),
        secs(1),
        true,
    );
    let lines = Lines::new();
    worker
        .handle(&event, deadline(), &lines.sink())
        .await
        .unwrap();
    let taken = lines.taken();
    assert_eq!(taken.len(), 2, "{taken:?}");
    assert!(
        taken[0]
            .1
            .starts_with("heartbeat off for this batch: GetQueueAttributes failed: "),
        "{taken:?}"
    );
    assert!(taken[1].1.starts_with(&format!("commit {id} ")));
}
