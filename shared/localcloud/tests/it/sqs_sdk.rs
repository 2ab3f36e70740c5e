//! localcloud's SQS driven by the real `aws-sdk-sqs` client, in memory and
//! under tokio's paused clock: every operation, every error the SDK can see,
//! and the timeline rules (visibility, receive counts, DLQ moves, long polls)
//! to the exact millisecond.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use localcloud::clock::Clock;
use localcloud::sqs::{Sqs, SqsConfig};
use tokio::time::Instant;

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

/// The SDK's error code for a failed call.
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

async fn attribute(client: &Client, url: &str, name: QueueAttributeName) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&name]
        .clone()
}

#[tokio::test(start_paused = true)]
async fn send_receive_delete_round_trip_with_md5s_checked_by_the_sdk() {
    let (_, client) = setup();
    let url = queue(&client, "jobs", &[]).await;
    assert_eq!(url, "http://127.0.0.1:9324/000000000000/jobs");
    let sent = client
        .send_message()
        .queue_url(&url)
        .message_body(r#"{"input": 1}"#)
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("job")
                .build()
                .unwrap(),
        )
        .message_attributes(
            "blob",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(aws_sdk_sqs::primitives::Blob::new(vec![0, 1, 2, 255]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // The SDK verifies MD5OfMessageBody and MD5OfMessageAttributes itself.
    let received = client
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let messages = received.messages.unwrap();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.message_id, sent.message_id);
    assert_eq!(m.body.as_deref(), Some(r#"{"input": 1}"#));
    let attrs = m.attributes.as_ref().unwrap();
    assert_eq!(
        attrs[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );
    assert_eq!(
        attrs[&MessageSystemAttributeName::SentTimestamp],
        EPOCH.to_string()
    );
    assert_eq!(
        attrs[&MessageSystemAttributeName::ApproximateFirstReceiveTimestamp],
        EPOCH.to_string()
    );
    let message_attributes = m.message_attributes.as_ref().unwrap();
    assert_eq!(
        message_attributes["kind"].string_value.as_deref(),
        Some("job")
    );
    assert_eq!(
        message_attributes["blob"]
            .binary_value
            .as_ref()
            .unwrap()
            .as_ref(),
        &[0, 1, 2, 255]
    );

    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(m.receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "0"
    );
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        "0"
    );
}

#[tokio::test(start_paused = true)]
async fn message_attribute_names_filter_by_name_and_prefix() {
    let (_, client) = setup();
    let url = queue(&client, "attrs", &[]).await;
    let string = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    client
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_attributes("order.id", string("1"))
        .message_attributes("order.kind", string("a"))
        .message_attributes("other", string("b"))
        .send()
        .await
        .unwrap();
    let m = client
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("order.*")
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let mut names: Vec<_> = m.message_attributes.unwrap().into_keys().collect();
    names.sort();
    assert_eq!(names, ["order.id", "order.kind"]);
    let m = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    assert!(
        m.message_attributes.is_none(),
        "no names asked, none returned"
    );
}

#[tokio::test(start_paused = true)]
async fn visibility_timeout_receive_count_and_the_move_to_the_dlq_on_time() {
    let (_, client) = setup();
    let dlq = queue(
        &client,
        "jobs-dlq",
        &[(QueueAttributeName::MessageRetentionPeriod, "1209600")],
    )
    .await;
    let dlq_arn = attribute(&client, &dlq, QueueAttributeName::QueueArn).await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":3}}"#);
    let url = queue(
        &client,
        "jobs",
        &[
            (QueueAttributeName::VisibilityTimeout, "10"),
            (QueueAttributeName::RedrivePolicy, &policy),
        ],
    )
    .await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("poison")
        .send()
        .await
        .unwrap();

    let start = Instant::now();
    let mut receives = Vec::new();
    // A worker that never deletes: it receives at 0, 10, 20 s. Its next long
    // poll starts at 20 s; at 30 s the message is visible again, but it has
    // been received maxReceiveCount times, so SQS moves it to the DLQ instead
    // of delivering it, and the poll ends empty at 40 s.
    for _ in 0..4 {
        let answer = client
            .receive_message()
            .queue_url(&url)
            .wait_time_seconds(20)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        let Some(messages) = answer.messages else {
            receives.push((start.elapsed().as_millis(), "none".to_owned()));
            continue;
        };
        let count = messages[0].attributes.as_ref().unwrap()
            [&MessageSystemAttributeName::ApproximateReceiveCount]
            .clone();
        receives.push((start.elapsed().as_millis(), format!("receive #{count}")));
    }
    assert_eq!(
        receives,
        [
            (0, "receive #1".to_owned()),
            (10_000, "receive #2".to_owned()),
            (20_000, "receive #3".to_owned()),
            (40_000, "none".to_owned()),
        ]
    );
    let moved = client
        .receive_message()
        .queue_url(&dlq)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    assert_eq!(moved.body.as_deref(), Some("poison"));
    let attrs = moved.attributes.unwrap();
    assert_eq!(
        attrs[&MessageSystemAttributeName::SentTimestamp],
        EPOCH.to_string(),
        "original send time kept"
    );
    assert_eq!(
        attrs[&MessageSystemAttributeName::DeadLetterQueueSourceArn],
        "arn:aws:sqs:us-east-1:000000000000:jobs"
    );
    let sources = client
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap();
    assert_eq!(sources.queue_urls, [url]);
}

#[tokio::test(start_paused = true)]
async fn a_delete_with_an_old_receipt_handle_succeeds_and_deletes_nothing() {
    let (_, client) = setup();
    let url = queue(
        &client,
        "transfers",
        &[(QueueAttributeName::VisibilityTimeout, "10")],
    )
    .await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("transfer 100")
        .send()
        .await
        .unwrap();
    let first = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let second = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    assert_eq!(
        first.message_id, second.message_id,
        "the same message, delivered twice"
    );
    assert_ne!(first.receipt_handle, second.receipt_handle);
    // The first worker finishes late and deletes with its (old) handle.
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(first.receipt_handle.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        "1"
    );
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(second.receipt_handle.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        "0"
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_returns_the_instant_a_message_arrives() {
    let (_, client) = setup();
    let url = queue(&client, "wait", &[]).await;
    let sender = client.clone();
    let send_url = url.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(7_250)).await;
        sender
            .send_message()
            .queue_url(send_url)
            .message_body("late")
            .send()
            .await
            .unwrap();
    });
    let start = Instant::now();
    let answer = client
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .send()
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(7_250));
    assert_eq!(answer.messages.unwrap()[0].body.as_deref(), Some("late"));

    // Nothing arrives: empty after exactly WaitTimeSeconds.
    let start = Instant::now();
    let answer = client
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(3)
        .send()
        .await
        .unwrap();
    assert!(answer.messages.is_none());
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_wakes_when_a_delayed_or_in_flight_message_becomes_visible() {
    let (_, client) = setup();
    let url = queue(&client, "delayed", &[]).await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("d")
        .delay_seconds(5)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed
        )
        .await,
        "1"
    );
    let start = Instant::now();
    let m = client
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .visibility_timeout(4)
        .send()
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert!(m.messages.is_some());
    let m = client
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(20)
        .send()
        .await
        .unwrap();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(9),
        "back after the 4 s visibility timeout"
    );
    assert!(m.messages.is_some());
}

#[tokio::test(start_paused = true)]
async fn change_message_visibility_rules() {
    let (_, client) = setup();
    let url = queue(
        &client,
        "vis",
        &[(QueueAttributeName::VisibilityTimeout, "30")],
    )
    .await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();
    let m = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let handle = m.receipt_handle.unwrap();
    // 0 makes it visible at once.
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "1"
    );
    // Now it is not in flight.
    assert_eq!(
        code(
            client
                .change_message_visibility()
                .queue_url(&url)
                .receipt_handle(&handle)
                .visibility_timeout(5)
                .send()
                .await
        ),
        "AWS.SimpleQueueService.MessageNotInflight"
    );
    let m = client
        .receive_message()
        .queue_url(&url)
        .visibility_timeout(200)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap()
        .remove(0);
    let handle2 = m.receipt_handle.unwrap();
    // The old handle no longer names the current receive.
    assert_eq!(
        code(
            client
                .change_message_visibility()
                .queue_url(&url)
                .receipt_handle(&handle)
                .visibility_timeout(5)
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    // Total time in flight is capped at 12 h.
    tokio::time::sleep(Duration::from_secs(100)).await;
    assert_eq!(
        code(
            client
                .change_message_visibility()
                .queue_url(&url)
                .receipt_handle(&handle2)
                .visibility_timeout(43_200)
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle2)
        .visibility_timeout(43_100)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            client
                .change_message_visibility()
                .queue_url(&url)
                .receipt_handle("garbage")
                .visibility_timeout(5)
                .send()
                .await
        ),
        "ReceiptHandleIsInvalid"
    );
}

#[tokio::test(start_paused = true)]
async fn batch_operations_and_their_errors() {
    let (_, client) = setup();
    let url = queue(&client, "batch", &[]).await;
    let entry = |id: &str, body: &str| {
        SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body(body)
            .build()
            .unwrap()
    };
    let sent = client
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two"))
        .entries(entry("c", "bad \u{0} char"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.successful.len(), 2);
    assert_eq!(sent.failed.len(), 1);
    assert_eq!(sent.failed[0].id, "c");
    assert_eq!(sent.failed[0].code, "InvalidMessageContents");
    assert!(sent.failed[0].sender_fault);

    assert_eq!(
        code(client.send_message_batch().queue_url(&url).send().await),
        "AWS.SimpleQueueService.EmptyBatchRequest"
    );
    let mut too_many = client.send_message_batch().queue_url(&url);
    for i in 0..11 {
        too_many = too_many.entries(entry(&format!("e{i}"), "x"));
    }
    assert_eq!(
        code(too_many.send().await),
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    );
    assert_eq!(
        code(
            client
                .send_message_batch()
                .queue_url(&url)
                .entries(entry("same", "x"))
                .entries(entry("same", "y"))
                .send()
                .await
        ),
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    );
    assert_eq!(
        code(
            client
                .send_message_batch()
                .queue_url(&url)
                .entries(entry("bad id!", "x"))
                .send()
                .await
        ),
        "AWS.SimpleQueueService.InvalidBatchEntryId"
    );
    let big = "x".repeat(600_000);
    assert_eq!(
        code(
            client
                .send_message_batch()
                .queue_url(&url)
                .entries(entry("a", &big))
                .entries(entry("b", &big))
                .send()
                .await
        ),
        "AWS.SimpleQueueService.BatchRequestTooLong"
    );

    let received = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(received.len(), 2);
    let changed = client
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("first")
                .receipt_handle(received[0].receipt_handle.clone().unwrap())
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("bogus")
                .receipt_handle("nope")
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(changed.successful.len(), 1);
    assert_eq!(changed.failed[0].code, "ReceiptHandleIsInvalid");
    let mut delete = client.delete_message_batch().queue_url(&url);
    for (i, m) in received.iter().enumerate() {
        delete = delete.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .build()
                .unwrap(),
        );
    }
    let deleted = delete.send().await.unwrap();
    assert_eq!(deleted.successful.len(), 2);
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        "0"
    );
}

#[tokio::test(start_paused = true)]
async fn queue_management_and_its_errors() {
    let (_, client) = setup();
    let url = queue(
        &client,
        "alpha",
        &[(QueueAttributeName::VisibilityTimeout, "40")],
    )
    .await;
    // Same name, same attributes: the existing URL. Different: QueueAlreadyExists.
    assert_eq!(
        queue(
            &client,
            "alpha",
            &[(QueueAttributeName::VisibilityTimeout, "40")]
        )
        .await,
        url
    );
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("alpha")
                .attributes(QueueAttributeName::VisibilityTimeout, "41")
                .send()
                .await
        ),
        "QueueAlreadyExists"
    );
    assert_eq!(
        code(client.create_queue().queue_name("bad name").send().await),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(client.create_queue().queue_name("q.fifo").send().await),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("f")
                .attributes(QueueAttributeName::FifoQueue, "true")
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .create_queue()
                .queue_name("v")
                .attributes(QueueAttributeName::VisibilityTimeout, "43201")
                .send()
                .await
        ),
        "InvalidAttributeValue"
    );
    assert_eq!(
        code(client.create_queue().queue_name("r").attributes(QueueAttributeName::RedrivePolicy, r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":3}"#).send().await),
        "InvalidParameterValue"
    );
    for name in ["beta", "alpine", "gamma"] {
        queue(&client, name, &[]).await;
    }
    let listed = client
        .list_queues()
        .queue_name_prefix("al")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.queue_urls.unwrap().len(), 2);
    let page1 = client.list_queues().max_results(2).send().await.unwrap();
    assert_eq!(page1.queue_urls.as_ref().unwrap().len(), 2);
    let page2 = client
        .list_queues()
        .max_results(2)
        .next_token(page1.next_token.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page2.queue_urls.unwrap().len(), 2);
    assert!(page2.next_token.is_none());
    assert_eq!(
        code(client.list_queues().max_results(0).send().await),
        "InvalidParameterValue"
    );

    assert_eq!(
        client
            .get_queue_url()
            .queue_name("beta")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap(),
        "http://127.0.0.1:9324/000000000000/beta"
    );
    assert_eq!(
        code(client.get_queue_url().queue_name("nope").send().await),
        "AWS.SimpleQueueService.NonExistentQueue"
    );

    client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::DelaySeconds, "5")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(&client, &url, QueueAttributeName::DelaySeconds).await,
        "5"
    );
    assert_eq!(
        code(
            client
                .set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::QueueArn, "x")
                .send()
                .await
        ),
        "InvalidAttributeName"
    );
    let all = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    for name in [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        QueueAttributeName::ApproximateNumberOfMessagesDelayed,
        QueueAttributeName::CreatedTimestamp,
        QueueAttributeName::LastModifiedTimestamp,
        QueueAttributeName::QueueArn,
        QueueAttributeName::DelaySeconds,
        QueueAttributeName::MaximumMessageSize,
        QueueAttributeName::MessageRetentionPeriod,
        QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        QueueAttributeName::VisibilityTimeout,
    ] {
        assert!(all.contains_key(&name), "{name:?} missing from All");
    }
    assert_eq!(all[&QueueAttributeName::MaximumMessageSize], "1048576");
    assert_eq!(all[&QueueAttributeName::MessageRetentionPeriod], "345600");
    assert_eq!(
        all[&QueueAttributeName::CreatedTimestamp],
        (EPOCH / 1000).to_string()
    );

    client
        .tag_queue()
        .queue_url(&url)
        .tags("team", "workshop")
        .tags("step", "3")
        .send()
        .await
        .unwrap();
    client
        .untag_queue()
        .queue_url(&url)
        .tag_keys("step")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(
        tags,
        HashMap::from([("team".to_owned(), "workshop".to_owned())])
    );

    client.delete_queue().queue_url(&url).send().await.unwrap();
    assert_eq!(
        code(client.delete_queue().queue_url(&url).send().await),
        "AWS.SimpleQueueService.NonExistentQueue"
    );
    assert_eq!(
        code(client.create_queue().queue_name("alpha").send().await),
        "AWS.SimpleQueueService.QueueDeletedRecently"
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    queue(&client, "alpha", &[]).await;
    assert_eq!(
        code(
            client
                .get_queue_attributes()
                .queue_url("not a url")
                .send()
                .await
        ),
        "InvalidAddress"
    );
}

#[tokio::test(start_paused = true)]
async fn send_and_receive_errors() {
    let (_, client) = setup();
    let url = queue(
        &client,
        "errs",
        &[(QueueAttributeName::MaximumMessageSize, "1024")],
    )
    .await;
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("x".repeat(1025))
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("\u{1}")
                .send()
                .await
        ),
        "InvalidMessageContents"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("")
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url(&url)
                .message_body("x")
                .delay_seconds(901)
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
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
        "InvalidParameterValue"
    );
    let mut many = client.send_message().queue_url(&url).message_body("x");
    for i in 0..11 {
        many = many.message_attributes(
            format!("a{i}"),
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("v")
                .build()
                .unwrap(),
        );
    }
    assert_eq!(code(many.send().await), "InvalidParameterValue");
    assert_eq!(
        code(
            client
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(11)
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .receive_message()
                .queue_url(&url)
                .wait_time_seconds(21)
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .receive_message()
                .queue_url(&url)
                .visibility_timeout(43_201)
                .send()
                .await
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            client
                .send_message()
                .queue_url("http://127.0.0.1:9324/000000000000/missing")
                .message_body("x")
                .send()
                .await
        ),
        "AWS.SimpleQueueService.NonExistentQueue"
    );
    assert_eq!(
        code(
            client
                .delete_message()
                .queue_url(&url)
                .receipt_handle("bad")
                .send()
                .await
        ),
        "ReceiptHandleIsInvalid"
    );
}

#[tokio::test(start_paused = true)]
async fn purge_and_its_60_second_rule() {
    let (_, client) = setup();
    let url = queue(&client, "purge", &[]).await;
    for i in 0..3 {
        client
            .send_message()
            .queue_url(&url)
            .message_body(format!("m{i}"))
            .send()
            .await
            .unwrap();
    }
    client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    client.purge_queue().queue_url(&url).send().await.unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "0"
    );
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        "0"
    );
    assert_eq!(
        code(client.purge_queue().queue_url(&url).send().await),
        "AWS.SimpleQueueService.PurgeQueueInProgress"
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    client.purge_queue().queue_url(&url).send().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn retention_drops_old_messages() {
    let (_, client) = setup();
    let url = queue(
        &client,
        "short",
        &[(QueueAttributeName::MessageRetentionPeriod, "60")],
    )
    .await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("old")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "1"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "0"
    );
}

#[tokio::test(start_paused = true)]
async fn dlq_redrive_with_a_message_move_task() {
    let (_, client) = setup();
    let dlq = queue(&client, "redrive-dlq", &[]).await;
    let dlq_arn = attribute(&client, &dlq, QueueAttributeName::QueueArn).await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}"#);
    let url = queue(
        &client,
        "redrive",
        &[
            (QueueAttributeName::RedrivePolicy, &policy),
            (QueueAttributeName::VisibilityTimeout, "1"),
        ],
    )
    .await;
    for i in 0..5 {
        client
            .send_message()
            .queue_url(&url)
            .message_body(format!("m{i}"))
            .send()
            .await
            .unwrap();
    }
    client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The second receive moves all five to the DLQ.
    assert!(
        client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .is_none()
    );
    assert_eq!(
        attribute(
            &client,
            &dlq,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "5"
    );

    assert_eq!(
        code(
            client
                .start_message_move_task()
                .source_arn(attribute(&client, &url, QueueAttributeName::QueueArn).await)
                .send()
                .await
        ),
        "InvalidParameterValue",
        "the source must be a DLQ"
    );
    let task = client
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .max_number_of_messages_per_second(2)
        .send()
        .await
        .unwrap();
    let handle = task.task_handle.unwrap();
    let listed = client
        .list_message_move_tasks()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap()
        .results
        .unwrap();
    assert_eq!(listed[0].status.as_deref(), Some("RUNNING"));
    assert_eq!(listed[0].approximate_number_of_messages_to_move, Some(5));
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let listed = client
        .list_message_move_tasks()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap()
        .results
        .unwrap();
    assert_eq!(
        listed[0].status.as_deref(),
        Some("COMPLETED"),
        "2 per second: 2 + 2 + 1 by 2 s"
    );
    assert_eq!(listed[0].approximate_number_of_messages_moved, 5);
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "5"
    );
    let back = client
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(
        back[0].attributes.as_ref().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );
    assert_eq!(
        code(
            client
                .cancel_message_move_task()
                .task_handle(handle)
                .send()
                .await
        ),
        "AWS.SimpleQueueService.UnsupportedOperation"
    );
    assert_eq!(
        code(
            client
                .cancel_message_move_task()
                .task_handle("nope")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}
