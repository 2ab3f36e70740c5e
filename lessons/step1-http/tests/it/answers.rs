//! Every answer of the step-1 contract, pinned with insta: what a learner
//! sees for the right body and for each kind of wrong one.

use lambda_http::{Body, Request};

async fn answer(body: Body) -> String {
    let request = Request::new(body);
    let response = step1_http::handler(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = match response.body() {
        Body::Text(t) => t.clone(),
        other => panic!("expected a text body, got {other:?}"),
    };
    format!("{status} {content_type} {text}")
}

async fn text(body: &str) -> String {
    answer(Body::Text(body.to_owned())).await
}

#[tokio::test]
async fn valid_bodies() {
    let mut out = String::new();
    for body in [
        r#"{ "input": 1 }"#,
        r#"{"input": 9007199254740993}"#,
        r#"{"input": 9223372036854775807}"#,
        r#"{"input": 1.5}"#,
        r#"{"input": -1}"#,
        r#"{"input": 1e2}"#,
        r#"{"input": 0.1}"#,
        "  {\"input\":\n 2 }  \n",
    ] {
        out.push_str(&format!("{body:?}\n  -> {}\n", text(body).await));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn invalid_bodies_get_400_with_a_message() {
    let mut out = String::new();
    for body in [
        "",
        "   ",
        "{",
        "input=1",
        r#"{"input": 1} trailing"#,
        r#"{"input": 1}{"input": 2}"#,
        "[1]",
        r#""{\"input\": 1}""#,
        "1",
        "null",
        "{}",
        r#"{"input": null}"#,
        r#"{"input": "1"}"#,
        r#"{"input": true}"#,
        r#"{"input": [1]}"#,
        r#"{"input": {"value": 1}}"#,
        r#"{"input": 1, "extra": 2}"#,
        r#"{"Input": 1}"#,
        r#"{"input": 1, "input": 2}"#,
        r#"{"input": 1e400}"#,
        r#"{"input": -1e400}"#,
        r#"{"input": 1e-400}"#,
        r#"{"input": NaN}"#,
        r#"{"input": 01}"#,
    ] {
        let answer = text(body).await;
        assert!(
            answer.starts_with("400 application/json {\"message\":\""),
            "{body:?}: {answer}"
        );
        out.push_str(&format!("{body:?}\n  -> {answer}\n"));
    }
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn bytes_that_are_not_utf8_get_400() {
    insta::assert_snapshot!(answer(Body::Binary(vec![b'{', 0xff, 0xfe, b'}'])).await);
}

#[tokio::test]
async fn a_base64_encoded_body_is_decoded_first() {
    // What API Gateway sends for a non-text content type: isBase64Encoded.
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "POST /",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {"content-type": "application/octet-stream"},
        "requestContext": {
            "accountId": "000000000000", "apiId": "api", "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "id", "routeKey": "POST /", "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0
        },
        "body": "eyAiaW5wdXQiOiA0MSB9",
        "isBase64Encoded": true
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = step1_http::handler(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.body(),
        &Body::Text(r#"{"input":41,"output":42}"#.into())
    );
}

#[tokio::test]
async fn a_mebibyte_of_junk_gets_a_short_400() {
    let junk: Vec<u8> = (0..1024 * 1024).map(|i| b"{[\"x:,}"[i % 7]).collect();
    let answer = answer(Body::Binary(junk)).await;
    assert!(answer.starts_with("400 "), "{answer}");
    assert!(
        answer.len() < 300,
        "the message does not echo the junk: {}",
        answer.len()
    );
    let random: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    assert!(answer_of(random).await.starts_with("400 "));
}

async fn answer_of(bytes: Vec<u8>) -> String {
    answer(Body::Binary(bytes)).await
}
