//! The HTTP API in memory, with in-process handlers and tokio's paused
//! clock: the payload-2.0 event localcloud builds, and the answers for a
//! function error and a function timeout, exactly and instantly.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use localcloud::clock::Clock;
use localcloud::config::ServerlessConfig;
use localcloud::lambda::logs::Logs;
use localcloud::lambda::{Handler, HandlerError, InvokeContext, LambdaSettings};
use localcloud::stack::{CodeSource, Stack, StackOptions};

const CONFIG: &str = r#"
service: demo
provider:
  name: aws
  runtime: provided.al2023
functions:
  echo:
    handler: bootstrap
    events:
      - httpApi: 'POST /items/{id}'
  slow:
    handler: bootstrap
    timeout: 6
    events:
      - httpApi: 'POST /slow'
  slower:
    handler: bootstrap
    timeout: 60
    events:
      - httpApi: 'POST /slower'
  failing:
    handler: bootstrap
    events:
      - httpApi: 'POST /fail'
"#;

fn stack() -> Stack {
    let config = ServerlessConfig::from_str_at(CONFIG, Path::new("serverless.yml")).unwrap();
    let echo = |event: Bytes, _: InvokeContext| async move {
        let body = String::from_utf8(event.to_vec()).unwrap();
        Ok(Bytes::from(
            serde_json::json!({"statusCode": 200, "body": body}).to_string(),
        ))
    };
    let slow = |_: Bytes, context: InvokeContext| async move {
        tokio::time::sleep(Duration::from_secs(45)).await;
        context.log("finished after 45 s");
        Ok(Bytes::from_static(b"{}"))
    };
    let failing = |_: Bytes, _: InvokeContext| async move {
        Err(HandlerError {
            error_type: "Boom".into(),
            error_message: "it failed".into(),
        })
    };
    let mut code: BTreeMap<String, CodeSource> = BTreeMap::new();
    let slow: Arc<dyn Handler> = Arc::new(slow);
    let handlers: [(&str, Arc<dyn Handler>); 4] = [
        ("echo", Arc::new(echo)),
        ("slow", slow.clone()),
        ("slower", slow),
        ("failing", Arc::new(failing)),
    ];
    for (key, handler) in handlers {
        code.insert(key.into(), CodeSource::Handler(handler));
    }
    let lambda = LambdaSettings {
        clock: Clock::starting_at(1_767_225_600_000),
        logs: Logs::new(false),
        ..Default::default()
    };
    Stack::new(
        config,
        StackOptions {
            code,
            lambda,
            sqs: None,
        },
    )
    .unwrap()
}

async fn call(stack: &Stack, request: http::Request<Full<Bytes>>) -> (u16, String) {
    let response = stack.http_api.handle(request).await;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(start_paused = true)]
async fn the_payload_2_0_event() {
    let stack = stack();
    let request = http::Request::post("/items/7?color=red&color=blue&size=")
        .header("host", "127.0.0.1:3000")
        .header("content-type", "application/json")
        .header("user-agent", "curl/8.5.0")
        .header("x-repeated", "one")
        .header("x-repeated", "two")
        .header("cookie", "a=1; b=2")
        .body(Full::new(Bytes::from_static(br#"{ "input": 1 }"#)))
        .unwrap();
    let (status, body) = call(&stack, request).await;
    assert_eq!(status, 200);
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    insta::assert_json_snapshot!(event, {
        ".requestContext.requestId" => "[request-id]",
        ".requestContext.apiId" => "[api-id]",
    });
}

#[tokio::test(start_paused = true)]
async fn a_binary_body_is_base64_encoded() {
    let stack = stack();
    let request = http::Request::post("/items/1")
        .header("content-type", "application/octet-stream")
        .body(Full::new(Bytes::from_static(&[0, 159, 146, 150])))
        .unwrap();
    let (_, body) = call(&stack, request).await;
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "AJ+Slg==");
}

#[tokio::test(start_paused = true)]
async fn a_function_timeout_is_a_500_after_exactly_the_function_timeout() {
    let stack = stack();
    let started = tokio::time::Instant::now();
    let request = http::Request::post("/slow")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        call(&stack, request).await,
        (500, r#"{"message":"Internal Server Error"}"#.into())
    );
    assert_eq!(started.elapsed(), Duration::from_secs(6));
}

/// Waits (on the paused clock) until the function logs `text`.
async fn wait_for_line(
    logs: &mut tokio::sync::broadcast::Receiver<localcloud::lambda::logs::LogLine>,
    text: &str,
) {
    while logs.recv().await.unwrap().text != text {}
}

#[tokio::test(start_paused = true)]
async fn the_30_s_integration_timeout_is_a_503_and_the_function_runs_on() {
    let stack = stack();
    let mut logs = stack.lambda.logs().subscribe();
    let started = tokio::time::Instant::now();
    let request = http::Request::post("/slower")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        call(&stack, request).await,
        (503, r#"{"message":"Service Unavailable"}"#.into())
    );
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    // The client has its answer; the function finishes at 45 s all the same.
    wait_for_line(&mut logs, "finished after 45 s").await;
    assert_eq!(started.elapsed(), Duration::from_secs(45));
}

#[tokio::test(start_paused = true)]
async fn a_client_that_goes_away_does_not_stop_the_function() {
    let stack = stack();
    let mut logs = stack.lambda.logs().subscribe();
    let started = tokio::time::Instant::now();
    let request = http::Request::post("/slower")
        .body(Full::new(Bytes::new()))
        .unwrap();
    // The client gives up after 1 s: its request is dropped mid-invocation.
    let answer = tokio::time::timeout(Duration::from_secs(1), stack.http_api.handle(request)).await;
    assert!(answer.is_err());
    wait_for_line(&mut logs, "finished after 45 s").await;
    assert_eq!(started.elapsed(), Duration::from_secs(45));
}

#[tokio::test(start_paused = true)]
async fn a_function_error_is_500_and_no_route_is_404() {
    let stack = stack();
    let request = http::Request::post("/fail")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        call(&stack, request).await,
        (500, r#"{"message":"Internal Server Error"}"#.into())
    );
    let request = http::Request::get("/items/7")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        call(&stack, request).await,
        (404, r#"{"message":"Not Found"}"#.into())
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_over_10_mb_is_413() {
    let stack = stack();
    let request = http::Request::post("/items/1")
        .body(Full::new(Bytes::from(vec![b'x'; 10 * 1024 * 1024 + 1])))
        .unwrap();
    assert_eq!(
        call(&stack, request).await,
        (413, r#"{"message":"Request Entity Too Large"}"#.into())
    );
}
