//! SQS over a real socket on 127.0.0.1, spoken to with raw HTTP: malformed
//! requests get AWS's errors (body and `x-amzn-query-error`), and the server
//! keeps serving and keeps what it holds.

use http::Method;
use localcloud::client::{HttpAnswer, HttpClient};
use localcloud::server::{CancellationToken, bind_loopback};
use localcloud::sqs::{Sqs, SqsConfig};

async fn start() -> (String, CancellationToken) {
    let listener = bind_loopback(0).await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let sqs = Sqs::new(SqsConfig {
        endpoint_url: url.trim_end_matches('/').to_owned(),
        ..Default::default()
    });
    let shutdown = CancellationToken::new();
    tokio::spawn(localcloud::sqs::serve(listener, sqs, shutdown.clone()));
    (url, shutdown)
}

async fn call(
    client: &HttpClient,
    url: &str,
    target: Option<&str>,
    body: impl Into<bytes::Bytes>,
) -> HttpAnswer {
    let mut headers = vec![("content-type", "application/x-amz-json-1.0")];
    if let Some(target) = target {
        headers.push(("x-amz-target", target));
    }
    client
        .send(Method::POST, url, &headers, body)
        .await
        .unwrap()
}

fn summary(answer: &HttpAnswer) -> String {
    let query_error = answer
        .headers
        .get("x-amzn-query-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    format!(
        "{} [{}] {}",
        answer.status.as_u16(),
        query_error,
        answer.body_text()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_aws_errors_and_the_server_keeps_serving() {
    let (url, shutdown) = start().await;
    let client = HttpClient::new();
    let created = call(
        &client,
        &url,
        Some("AmazonSQS.CreateQueue"),
        r#"{"QueueName":"kept"}"#,
    )
    .await;
    assert_eq!(created.status, 200);
    let queue_url = serde_json::from_slice::<serde_json::Value>(&created.body).unwrap()["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let send = serde_json::json!({"QueueUrl": queue_url, "MessageBody": "still here"}).to_string();
    assert_eq!(
        call(&client, &url, Some("AmazonSQS.SendMessage"), send)
            .await
            .status,
        200
    );

    let huge = vec![b'x'; 9 * 1024 * 1024];
    let cases: Vec<(&str, Option<&str>, Vec<u8>)> = vec![
        ("not JSON", Some("AmazonSQS.CreateQueue"), b"{nope".to_vec()),
        ("unknown target", Some("AmazonSQS.Explode"), b"{}".to_vec()),
        ("no target", None, b"{}".to_vec()),
        (
            "missing field",
            Some("AmazonSQS.CreateQueue"),
            b"{}".to_vec(),
        ),
        (
            "wrong type",
            Some("AmazonSQS.CreateQueue"),
            br#"{"QueueName": 7}"#.to_vec(),
        ),
        (
            "out of range",
            Some("AmazonSQS.ReceiveMessage"),
            format!(r#"{{"QueueUrl":"{queue_url}","MaxNumberOfMessages":0}}"#).into_bytes(),
        ),
        (
            "invalid characters",
            Some("AmazonSQS.SendMessage"),
            format!(r#"{{"QueueUrl":"{queue_url}","MessageBody":"\u0000"}}"#).into_bytes(),
        ),
        ("oversized body", Some("AmazonSQS.SendMessage"), huge),
        (
            "bad queue URL",
            Some("AmazonSQS.SendMessage"),
            br#"{"QueueUrl":"ftp://x","MessageBody":"a"}"#.to_vec(),
        ),
        (
            "no such queue",
            Some("AmazonSQS.GetQueueUrl"),
            br#"{"QueueName":"missing"}"#.to_vec(),
        ),
    ];
    let mut report = String::new();
    for (what, target, body) in cases {
        let answer = call(&client, &url, target, body).await;
        assert!(
            answer.status.is_client_error(),
            "{what}: {}",
            summary(&answer)
        );
        report.push_str(&format!("{what}: {}\n", summary(&answer)));
    }
    let get = client.send(Method::GET, &url, &[], "").await.unwrap();
    report.push_str(&format!("GET /: {}\n", summary(&get)));
    insta::assert_snapshot!(report);

    // Everything before is intact.
    let receive = serde_json::json!({"QueueUrl": queue_url}).to_string();
    let received = call(&client, &url, Some("AmazonSQS.ReceiveMessage"), receive).await;
    assert_eq!(received.status, 200);
    assert!(
        received.body_text().contains("still here"),
        "{}",
        received.body_text()
    );
    shutdown.cancel();
}
