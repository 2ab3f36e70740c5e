//! FIFO queues driven by the real `aws-sdk-sqs` client, in memory and under
//! tokio's paused clock: creation and attributes, the send rules and their
//! errors, deduplication over the 5-minute interval, order and the group
//! lock, receive request attempt ids, dead-letter queues and redrive.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput;
use aws_sdk_sqs::types::{
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use localcloud::clock::Clock;
use localcloud::sqs::{Sqs, SqsConfig};

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

fn code<E: ProvideErrorMetadata, R: std::fmt::Debug>(result: Result<R, E>) -> String {
    match result {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => e.code().unwrap_or("(none)").to_owned(),
    }
}

async fn queue(client: &Client, name: &str, attributes: &[(QueueAttributeName, &str)]) -> String {
    let mut request = client.create_queue().queue_name(name);
    for (k, v) in attributes {
        request = request.attributes(k.clone(), *v);
    }
    request.send().await.unwrap().queue_url.unwrap()
}

async fn fifo(client: &Client, name: &str, more: &[(QueueAttributeName, &str)]) -> String {
    let mut attributes = vec![(QueueAttributeName::FifoQueue, "true")];
    attributes.extend(more.iter().cloned());
    queue(client, name, &attributes).await
}

/// Sends `body` in `group` with the deduplication id `body` (explicit).
async fn send(client: &Client, url: &str, group: &str, body: &str) -> (String, String) {
    let out = client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .message_deduplication_id(body)
        .send()
        .await
        .unwrap();
    (out.message_id.unwrap(), out.sequence_number.unwrap())
}

async fn receive(client: &Client, url: &str, max: i32) -> ReceiveMessageOutput {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
}

fn bodies(out: &ReceiveMessageOutput) -> Vec<String> {
    out.messages()
        .iter()
        .map(|m| m.body().unwrap().to_owned())
        .collect()
}

async fn delete_all(client: &Client, url: &str, out: &ReceiveMessageOutput) {
    for m in out.messages() {
        client
            .delete_message()
            .queue_url(url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn fifo_queues_are_created_with_their_attributes_and_their_name_rules() {
    let (_, client) = setup();
    let url = fifo(
        &client,
        "orders.fifo",
        &[(QueueAttributeName::ContentBasedDeduplication, "true")],
    )
    .await;
    assert_eq!(url, "http://127.0.0.1:9324/000000000000/orders.fifo");
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes[&QueueAttributeName::FifoQueue], "true");
    assert_eq!(
        attributes[&QueueAttributeName::ContentBasedDeduplication],
        "true"
    );
    assert_eq!(attributes[&QueueAttributeName::DeduplicationScope], "queue");
    assert_eq!(
        attributes[&QueueAttributeName::FifoThroughputLimit],
        "perQueue"
    );
    // Same attributes again: the same queue.
    assert_eq!(
        fifo(
            &client,
            "orders.fifo",
            &[(QueueAttributeName::ContentBasedDeduplication, "true")]
        )
        .await,
        url
    );
    // High throughput mode, changed after creation.
    client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
        .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .send()
        .await
        .unwrap();
    // The type is fixed at creation.
    assert_eq!(
        code(
            client
                .set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::FifoQueue, "false")
                .send()
                .await
        ),
        "InvalidAttributeName"
    );
    assert_eq!(
        code(
            client
                .set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::DeduplicationScope, "queue")
                .send()
                .await
        ),
        "InvalidAttributeValue",
        "perMessageGroupId needs DeduplicationScope=messageGroup"
    );
    // Names and types must agree.
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("orders2.fifo")
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("orders")
                .attributes(QueueAttributeName::FifoQueue, "true")
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    // FIFO attributes on a standard queue are unknown there.
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("plain")
                .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
                .send()
                .await
        ),
        "InvalidAttributeName"
    );
    let plain = queue(&client, "plain", &[]).await;
    let attributes = client
        .get_queue_attributes()
        .queue_url(&plain)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert!(!attributes.contains_key(&QueueAttributeName::FifoQueue));
}

#[tokio::test(start_paused = true)]
async fn sends_need_a_group_and_a_deduplication_id_and_get_sequence_numbers() {
    let (_, client) = setup();
    let url = fifo(&client, "q.fifo", &[]).await;
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("x")
                .message_deduplication_id("d")
                .send()
                .await
        ),
        "MissingParameter"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("x")
                .message_group_id("g")
                .send()
                .await
        ),
        "InvalidParameterValue",
        "no deduplication id and no content-based deduplication"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("x")
                .message_group_id("g")
                .message_deduplication_id("d")
                .delay_seconds(5)
                .send()
                .await
        ),
        "InvalidParameterValue",
        "per-message delay on a FIFO queue"
    );
    for bad in ["", "with space", &"x".repeat(129), "é"] {
        assert_eq!(
            code(
                client
                    .send_message()
                    .queue_url(&url)
                    .message_body("x")
                    .message_group_id(bad)
                    .message_deduplication_id("d")
                    .send()
                    .await
            ),
            "InvalidParameterValue",
            "group id {bad:?}"
        );
    }
    let (_, first) = send(&client, &url, "g", "a").await;
    let (_, second) = send(&client, &url, "g", "b").await;
    assert!(first.len() >= 20, "{first}");
    assert!(
        second.parse::<u128>().unwrap() > first.parse::<u128>().unwrap(),
        "{first} < {second}"
    );
    // A per-message delay of 0 changes nothing and is accepted.
    client
        .send_message()
        .queue_url(&url)
        .message_body("c")
        .message_group_id("g")
        .message_deduplication_id("c")
        .delay_seconds(0)
        .send()
        .await
        .unwrap();

    // Standard queues: MessageGroupId is a fair queue's tenant; the
    // deduplication id is FIFO's only.
    let plain = queue(&client, "plain", &[]).await;
    let sent = client
        .send_message()
        .queue_url(&plain)
        .message_body("x")
        .message_group_id("tenant-1")
        .send()
        .await
        .unwrap();
    assert!(sent.sequence_number.is_none());
    let got = receive(&client, &plain, 1).await;
    assert_eq!(
        got.messages()[0].attributes().unwrap()[&MessageSystemAttributeName::MessageGroupId],
        "tenant-1"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&plain)
                .message_body("x")
                .message_deduplication_id("d")
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_within_five_minutes_is_accepted_and_not_delivered() {
    let (_, client) = setup();
    let url = fifo(
        &client,
        "q.fifo",
        &[(QueueAttributeName::ContentBasedDeduplication, "true")],
    )
    .await;
    let first = client
        .send_message()
        .queue_url(&url)
        .message_body("pay 10")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    // The same body (content-based) and later an explicit id equal to the
    // SHA-256 of that body: both duplicates, both answered with the first
    // message's id and sequence number.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let again = client
        .send_message()
        .queue_url(&url)
        .message_body("pay 10")
        .message_group_id("other")
        .send()
        .await
        .unwrap();
    assert_eq!(again.message_id, first.message_id);
    assert_eq!(again.sequence_number, first.sequence_number);
    let sha = localcloud::sqs::ops::messages::sha256_of_body("pay 10");
    assert_eq!(sha.len(), 64);
    let explicit = client
        .send_message()
        .queue_url(&url)
        .message_body("a different body")
        .message_group_id("g")
        .message_deduplication_id(&sha)
        .send()
        .await
        .unwrap();
    assert_eq!(explicit.message_id, first.message_id);
    // Received and deleted: still remembered.
    let got = receive(&client, &url, 10).await;
    assert_eq!(bodies(&got), ["pay 10"]);
    let attributes = got.messages()[0].attributes().unwrap();
    assert_eq!(attributes[&MessageSystemAttributeName::MessageGroupId], "g");
    assert_eq!(
        attributes[&MessageSystemAttributeName::MessageDeduplicationId],
        sha
    );
    assert_eq!(
        attributes[&MessageSystemAttributeName::SequenceNumber],
        first.sequence_number.as_deref().unwrap()
    );
    delete_all(&client, &url, &got).await;
    tokio::time::sleep(Duration::from_millis(239_999)).await;
    let still = client
        .send_message()
        .queue_url(&url)
        .message_body("pay 10")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.message_id, first.message_id,
        "4:59.999 after the first"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
    let new = client
        .send_message()
        .queue_url(&url)
        .message_body("pay 10")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    assert_ne!(new.message_id, first.message_id, "5:00 after the first");
    assert_eq!(bodies(&receive(&client, &url, 10).await), ["pay 10"]);
}

#[tokio::test(start_paused = true)]
async fn with_message_group_scope_a_deduplication_id_is_unique_per_group() {
    let (_, client) = setup();
    let url = fifo(
        &client,
        "q.fifo",
        &[(QueueAttributeName::DeduplicationScope, "messageGroup")],
    )
    .await;
    for (group, body) in [("a", "1"), ("b", "2"), ("a", "3")] {
        client
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id("same")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(bodies(&receive(&client, &url, 10).await), ["1", "2"]);
}

#[tokio::test(start_paused = true)]
async fn a_group_is_delivered_in_order_and_locked_while_a_message_is_in_flight() {
    let (_, client) = setup();
    let url = fifo(
        &client,
        "q.fifo",
        &[(QueueAttributeName::VisibilityTimeout, "10")],
    )
    .await;
    for (group, body) in [
        ("a", "a1"),
        ("b", "b1"),
        ("a", "a2"),
        ("a", "a3"),
        ("b", "b2"),
    ] {
        send(&client, &url, group, body).await;
    }
    // As many of one group as possible first, then the next group.
    let got = receive(&client, &url, 4).await;
    assert_eq!(bodies(&got), ["a1", "a2", "a3", "b1"]);
    // Both groups are in flight: nothing, although b2 is visible.
    assert!(receive(&client, &url, 10).await.messages().is_empty());
    // Deleting b1 frees b.
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(got.messages()[3].receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(bodies(&receive(&client, &url, 10).await), ["b2"]);
    // a1 is deleted, a2 and a3 time out: a2 comes back first, received twice.
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(got.messages()[0].receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    assert!(receive(&client, &url, 10).await.messages().is_empty());
    tokio::time::sleep(Duration::from_secs(10)).await;
    send(&client, &url, "a", "a4").await;
    let again = receive(&client, &url, 1).await;
    assert_eq!(bodies(&again), ["a2"]);
    assert_eq!(
        again.messages()[0].attributes().unwrap()
            [&MessageSystemAttributeName::ApproximateReceiveCount],
        "2"
    );
    // A visibility change to 0 frees the group at once, a2 still first (b2,
    // received at 0 s for 10 s, is visible again too).
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(again.messages()[0].receipt_handle().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        bodies(&receive(&client, &url, 10).await),
        ["a2", "a3", "a4", "b2"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_wakes_when_the_group_is_freed() {
    let (_, client) = setup();
    let url = fifo(&client, "q.fifo", &[]).await;
    send(&client, &url, "g", "1").await;
    send(&client, &url, "g", "2").await;
    let first = receive(&client, &url, 1).await;
    let handle = first.messages()[0].receipt_handle().unwrap().to_owned();
    let poll = {
        let client = client.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let out = client
                .receive_message()
                .queue_url(&url)
                .wait_time_seconds(20)
                .send()
                .await
                .unwrap();
            (bodies(&out), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(handle)
        .send()
        .await
        .unwrap();
    let (got, waited) = poll.await.unwrap();
    assert_eq!(got, ["2"]);
    assert_eq!(waited, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_retried_receive_with_the_same_attempt_id_returns_the_same_messages() {
    let (_, client) = setup();
    let url = fifo(
        &client,
        "q.fifo",
        &[(QueueAttributeName::VisibilityTimeout, "30")],
    )
    .await;
    for body in ["1", "2", "3"] {
        send(&client, &url, "g", body).await;
    }
    send(&client, &url, "h", "h1").await;
    let attempt = |id: &'static str| {
        client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(2)
            .receive_request_attempt_id(id)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
    };
    let first = attempt("try-1").await.unwrap();
    assert_eq!(bodies(&first), ["1", "2"]);
    tokio::time::sleep(Duration::from_secs(20)).await;
    let retry = attempt("try-1").await.unwrap();
    assert_eq!(bodies(&retry), ["1", "2"]);
    let handles = |o: &ReceiveMessageOutput| {
        o.messages()
            .iter()
            .map(|m| m.receipt_handle().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(handles(&retry), handles(&first));
    // The retry restarted the visibility timeout: still hidden 29 s later.
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert_eq!(bodies(&receive(&client, &url, 10).await), ["h1"]);
    // Another attempt id is another receive.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let other = attempt("try-2").await.unwrap();
    assert_eq!(bodies(&other), ["1", "2"]);
    assert_ne!(handles(&other), handles(&first));
    // Once a message was deleted, the attempt id receives anew.
    delete_all(&client, &url, &other).await;
    let fresh = attempt("try-2").await.unwrap();
    assert_eq!(bodies(&fresh), ["3"]);
    assert_eq!(
        code(
            client
                .receive_message()
                .queue_url(&url)
                .receive_request_attempt_id("has space")
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
}

#[tokio::test(start_paused = true)]
async fn send_message_batch_to_a_fifo_queue() {
    let (_, client) = setup();
    let url = fifo(
        &client,
        "q.fifo",
        &[(QueueAttributeName::ContentBasedDeduplication, "true")],
    )
    .await;
    let entry = |id: &str, body: &str, group: Option<&str>| {
        SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body(body)
            .set_message_group_id(group.map(str::to_owned))
            .build()
            .unwrap()
    };
    let out = client
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "1", Some("g")))
        .entries(entry("b", "2", None))
        .entries(entry("c", "3", Some("g")))
        .entries(entry("d", "1", Some("g")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed().len(), 1);
    assert_eq!(out.failed()[0].id(), "b");
    assert_eq!(out.failed()[0].code(), "MissingParameter");
    let ok = out.successful();
    assert_eq!(ok.len(), 3);
    assert!(ok.iter().all(|e| e.sequence_number().is_some()));
    assert_eq!(ok[0].message_id(), ok[2].message_id(), "d repeats a's body");
    assert_eq!(bodies(&receive(&client, &url, 10).await), ["1", "3"]);
}

#[tokio::test(start_paused = true)]
async fn dead_letter_queues_match_the_type_and_keep_the_group() {
    let (_, client) = setup();
    let standard_dlq = queue(&client, "dlq", &[]).await;
    let fifo_dlq = fifo(&client, "dlq.fifo", &[]).await;
    let arn = |name: &str| format!("arn:aws:sqs:us-east-1:000000000000:{name}");
    let policy = |name: &str| {
        format!(
            r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":1}}"#,
            arn(name)
        )
    };
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("q.fifo")
                .attributes(QueueAttributeName::FifoQueue, "true")
                .attributes(QueueAttributeName::RedrivePolicy, policy("dlq"))
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    let plain = queue(&client, "plain", &[]).await;
    assert_eq!(
        code(
            client
                .set_queue_attributes()
                .queue_url(&plain)
                .attributes(QueueAttributeName::RedrivePolicy, policy("dlq.fifo"))
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    let url = fifo(
        &client,
        "q.fifo",
        &[
            (QueueAttributeName::RedrivePolicy, &policy("dlq.fifo")),
            (QueueAttributeName::VisibilityTimeout, "5"),
        ],
    )
    .await;
    let (first_id, _) = send(&client, &url, "g", "1").await;
    send(&client, &url, "g", "2").await;
    assert_eq!(bodies(&receive(&client, &url, 10).await), ["1", "2"]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Each was received once (maxReceiveCount 1): both move, in order.
    assert!(receive(&client, &url, 10).await.messages().is_empty());
    let moved = receive(&client, &fifo_dlq, 10).await;
    assert_eq!(bodies(&moved), ["1", "2"]);
    let attributes = moved.messages()[0].attributes().unwrap();
    assert_eq!(attributes[&MessageSystemAttributeName::MessageGroupId], "g");
    assert_eq!(
        attributes[&MessageSystemAttributeName::MessageDeduplicationId],
        first_id,
        "a FIFO DLQ replaces the deduplication id with the message id"
    );
    assert_eq!(moved.messages()[0].message_id(), Some(first_id.as_str()));
    // Redrive: a FIFO DLQ to a FIFO queue, never to a standard one.
    assert_eq!(
        code(
            client
                .start_message_move_task()
                .source_arn(arn("dlq.fifo"))
                .destination_arn(arn("plain"))
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    // (Visible again in the DLQ after its 30 s visibility timeout.)
    tokio::time::sleep(Duration::from_secs(30)).await;
    client
        .start_message_move_task()
        .source_arn(arn("dlq.fifo"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let back = receive(&client, &url, 10).await;
    assert_eq!(bodies(&back), ["1", "2"]);
    assert_ne!(back.messages()[0].message_id(), Some(first_id.as_str()));
    let _ = standard_dlq;
}
