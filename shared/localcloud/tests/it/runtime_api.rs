//! The Runtime API endpoint of one execution environment, spoken to over
//! HTTP as a runtime client would: `next` with its headers, `response`,
//! `error`, `init/error`, and the 4xx answers for misuse.

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use localcloud::client::HttpClient;
use localcloud::lambda::runtime_api::{InitSignal, Pending, Reply, RuntimeApi};
use localcloud::server::{self, CancellationToken};
use tokio::sync::oneshot;

async fn serve(api: Arc<RuntimeApi>) -> String {
    let listener = server::bind_loopback(0).await.unwrap();
    let base = format!(
        "http://{}/2018-06-01/runtime",
        listener.local_addr().unwrap()
    );
    let stop = CancellationToken::new();
    let handler = {
        let stop = stop.clone();
        move |req| {
            let api = api.clone();
            let stop = stop.clone();
            async move { api.handle(req, stop).await }
        }
    };
    tokio::spawn(server::serve(listener, handler, stop));
    base
}

fn pending(id: &str) -> (Pending, oneshot::Receiver<Reply>) {
    let (reply, rx) = oneshot::channel();
    let pending = Pending {
        request_id: id.into(),
        payload: Bytes::from_static(br#"{"hello":"world"}"#),
        deadline_epoch_millis: 1_767_225_606_000,
        function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
        trace_id: "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
        reply,
    };
    (pending, rx)
}

#[tokio::test]
async fn next_response_and_the_answers_for_misuse() {
    let (api, handles) = RuntimeApi::new();
    let base = serve(api).await;
    let client = HttpClient::new();
    let (event, reply) = pending("req-1");
    handles.events.send(event).await.unwrap();

    let next = client
        .send(Method::GET, &format!("{base}/invocation/next"), &[], "")
        .await
        .unwrap();
    assert_eq!(next.status, 200);
    assert_eq!(next.body_text(), r#"{"hello":"world"}"#);
    let header = |name: &str| next.headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("lambda-runtime-aws-request-id"), "req-1");
    assert_eq!(header("lambda-runtime-deadline-ms"), "1767225606000");
    assert_eq!(
        header("lambda-runtime-invoked-function-arn"),
        "arn:aws:lambda:us-east-1:000000000000:function:f"
    );
    assert!(header("lambda-runtime-trace-id").starts_with("Root=1-"));
    // The first `next` ends init.
    assert!(matches!(handles.init.await, Ok(InitSignal::Ready)));

    let unknown = client
        .send(
            Method::POST,
            &format!("{base}/invocation/nope/response"),
            &[],
            "{}",
        )
        .await
        .unwrap();
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body_text().contains("InvalidRequestID"),
        "{}",
        unknown.body_text()
    );

    let ok = client
        .send(
            Method::POST,
            &format!("{base}/invocation/req-1/response"),
            &[],
            r#"{"ok":true}"#,
        )
        .await
        .unwrap();
    assert_eq!(
        (ok.status.as_u16(), ok.body_text().as_str()),
        (202, r#"{"status":"OK"}"#)
    );
    match reply.await.unwrap() {
        Reply::Response(body) => assert_eq!(&body[..], br#"{"ok":true}"#),
        other => panic!("{other:?}"),
    }

    // A second answer for the same invocation is refused, not a crash.
    let again = client
        .send(
            Method::POST,
            &format!("{base}/invocation/req-1/error"),
            &[],
            "{}",
        )
        .await
        .unwrap();
    assert_eq!(again.status, 403);
    assert!(
        again.body_text().contains("InvalidStateTransition"),
        "{}",
        again.body_text()
    );

    let wrong_path = client
        .send(
            Method::GET,
            &format!("{base}/invocation/req-1/response"),
            &[],
            "",
        )
        .await
        .unwrap();
    assert_eq!(wrong_path.status, 404);
}

#[tokio::test]
async fn an_error_report_carries_its_type() {
    let (api, handles) = RuntimeApi::new();
    let base = serve(api).await;
    let client = HttpClient::new();
    let (event, reply) = pending("req-2");
    handles.events.send(event).await.unwrap();
    client
        .send(Method::GET, &format!("{base}/invocation/next"), &[], "")
        .await
        .unwrap();
    let posted = client
        .send(
            Method::POST,
            &format!("{base}/invocation/req-2/error"),
            &[("lambda-runtime-function-error-type", "Runtime.Unhandled")],
            r#"{"errorType":"ValueError","errorMessage":"boom"}"#,
        )
        .await
        .unwrap();
    assert_eq!(posted.status, 202);
    match reply.await.unwrap() {
        Reply::Error { error_type, body } => {
            assert_eq!(error_type.as_deref(), Some("Runtime.Unhandled"));
            assert!(std::str::from_utf8(&body).unwrap().contains("boom"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn init_error_is_signalled() {
    let (api, handles) = RuntimeApi::new();
    let base = serve(api).await;
    let posted = HttpClient::new()
        .send(
            Method::POST,
            &format!("{base}/init/error"),
            &[("lambda-runtime-function-error-type", "Runtime.ConfigError")],
            r#"{"errorType":"ConfigError","errorMessage":"missing QUEUE_URL"}"#,
        )
        .await
        .unwrap();
    assert_eq!(posted.status, 202);
    match handles.init.await.unwrap() {
        InitSignal::Failed { error_type, body } => {
            assert_eq!(error_type.as_deref(), Some("Runtime.ConfigError"));
            assert!(
                std::str::from_utf8(&body)
                    .unwrap()
                    .contains("missing QUEUE_URL")
            );
        }
        InitSignal::Ready => panic!("init/error must not read as ready"),
    }
}
