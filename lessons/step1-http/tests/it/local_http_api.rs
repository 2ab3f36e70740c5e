//! The real `step1-api` binary behind localcloud's HTTP API, over real HTTP
//! on 127.0.0.1: the path `cargo xtask lesson step1 up` serves.

use std::collections::BTreeMap;
use std::path::PathBuf;

use localcloud::client::HttpClient;
use localcloud::config::ServerlessConfig;
use localcloud::server::CancellationToken;
use localcloud::stack::{CodeSource, Stack, StackOptions};

async fn start() -> (Stack, String) {
    let config = ServerlessConfig::from_file(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("serverless.yml"),
    )
    .unwrap();
    let mut code = BTreeMap::new();
    code.insert(
        "api".to_owned(),
        CodeSource::Executable(PathBuf::from(env!("CARGO_BIN_EXE_step1-api"))),
    );
    let stack = Stack::new(
        config,
        StackOptions {
            code,
            ..Default::default()
        },
    )
    .unwrap();
    let running = stack.serve(0, CancellationToken::new()).await.unwrap();
    let url = format!("{}/", running.http_url);
    (stack, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retrospective_curl_and_the_mistakes() {
    let (stack, url) = start().await;
    let client = HttpClient::new();

    let ok = client.post_json(&url, r#"{ "input": 1 }"#).await.unwrap();
    assert_eq!(
        (ok.status.as_u16(), ok.body_text().as_str()),
        (200, r#"{"input":1,"output":2}"#)
    );
    assert_eq!(ok.headers["content-type"], "application/json");

    let exact = client
        .post_json(&url, r#"{"input": 9007199254740993}"#)
        .await
        .unwrap();
    assert_eq!(
        exact.body_text(),
        r#"{"input":9007199254740993,"output":9007199254740994}"#
    );

    for bad in [
        "",
        "{",
        r#"{"input":"1"}"#,
        "[]",
        r#"{"input":1,"x":2}"#,
        r#"{"input":1e400}"#,
    ] {
        let answer = client.post_json(&url, bad).await.unwrap();
        assert_eq!(answer.status, 400, "{bad:?}");
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert!(
            body["message"].as_str().is_some_and(|m| m.len() > 10),
            "{bad:?}: {body}"
        );
    }
    // Form-encoded and binary bodies arrive base64-encoded; still a clear 400.
    let form = client
        .send(
            http::Method::POST,
            &url,
            &[("content-type", "application/x-www-form-urlencoded")],
            "input=1",
        )
        .await
        .unwrap();
    assert_eq!(form.status, 400);
    assert!(
        form.body_text().contains("not valid JSON"),
        "{}",
        form.body_text()
    );
    let not_utf8 = client
        .send(
            http::Method::POST,
            &url,
            &[("content-type", "application/json")],
            vec![0xffu8, 0xfe],
        )
        .await
        .unwrap();
    assert!(
        not_utf8.body_text().contains("not UTF-8"),
        "{}",
        not_utf8.body_text()
    );

    let get = client.send(http::Method::GET, &url, &[], "").await.unwrap();
    assert_eq!(
        (get.status.as_u16(), get.body_text().as_str()),
        (404, r#"{"message":"Not Found"}"#)
    );
    stack.lambda.stop_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_still_serves_after_a_burst_of_mebibyte_junk() {
    let (stack, url) = start().await;
    let client = HttpClient::new();
    let junk: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut burst = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        let url = url.clone();
        let junk = junk.clone();
        burst.push(tokio::spawn(async move {
            client
                .send(
                    http::Method::POST,
                    &url,
                    &[("content-type", "application/json")],
                    junk,
                )
                .await
        }));
    }
    for answer in burst {
        assert_eq!(answer.await.unwrap().unwrap().status, 400);
    }
    let ok = client.post_json(&url, r#"{"input": 1}"#).await.unwrap();
    assert_eq!(
        (ok.status.as_u16(), ok.body_text().as_str()),
        (200, r#"{"input":1,"output":2}"#)
    );
    stack.lambda.stop_all();
}
