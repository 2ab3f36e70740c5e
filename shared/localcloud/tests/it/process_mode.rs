//! Process mode with a runtime that is not Rust: a Python `bootstrap`,
//! packed in a zip as for any custom runtime, served from a serverless.yml
//! over real HTTP. Covers success, a timeout (cold start after), a crash
//! (replaced), a bad response and a reported error, and the execution
//! environments the event stream reports for them.

use std::io::Write;
use std::path::Path;

use localcloud::client::HttpClient;
use localcloud::config::ServerlessConfig;
use localcloud::events::EventKind;
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::server::CancellationToken;
use localcloud::stack::{Stack, StackOptions};

fn write_zip(dir: &Path) -> std::path::PathBuf {
    let zip_path = dir.join("bootstrap.zip");
    let file = std::fs::File::create(&zip_path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", options).unwrap();
    zip.write_all(include_bytes!("../fixtures/python-bootstrap.py"))
        .unwrap();
    zip.finish().unwrap();
    zip_path
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("serverless.yml");
    std::fs::write(
        &path,
        r#"
service: py-svc
frameworkVersion: '3'
provider:
  name: aws
  runtime: provided.al2023
functions:
  py:
    handler: bootstrap
    timeout: 1
    package:
      artifact: bootstrap.zip
    events:
      - httpApi: 'POST /py'
"#,
    )
    .unwrap();
    path
}

fn drain(rx: &mut tokio::sync::broadcast::Receiver<LogLine>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Ok(line) = rx.try_recv() {
        lines.push(line.text);
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_bootstrap_in_a_zip_is_served_like_on_aws() {
    let dir = tempfile::tempdir().unwrap();
    write_zip(dir.path());
    let config = ServerlessConfig::from_file(write_config(dir.path())).unwrap();
    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let options = StackOptions {
        lambda: LambdaSettings {
            logs,
            ..Default::default()
        },
        ..Default::default()
    };
    let stack = Stack::new(config, options).unwrap();
    let mut events = stack.events().subscribe();
    let running = stack.serve(0, CancellationToken::new()).await.unwrap();
    let url = format!("{}/py", running.http_url);
    let client = HttpClient::new();
    let post = |body: &'static str| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .send(
                    http::Method::POST,
                    &url,
                    &[("content-type", "text/plain")],
                    body,
                )
                .await
                .unwrap()
        }
    };

    let ok = post("hello").await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.body_text(),
        "python says hello via POST /py as py-svc-dev-py with deadline 13 digits"
    );
    assert_eq!(ok.headers["content-type"], "text/plain");
    let lines = drain(&mut log_rx);
    assert!(lines.iter().any(|l| l.starts_with("python runtime up in ")));
    assert!(lines.iter().any(|l| l == "handling hello"));
    assert!(lines.iter().any(|l| l.starts_with("START RequestId: ")));
    let report = lines.iter().find(|l| l.starts_with("REPORT")).unwrap();
    assert!(
        report.contains("\tInit Duration: "),
        "first call is a cold start: {report}"
    );
    assert!(
        report.contains("\tMemory Size: 1024 MB\tMax Memory Used: "),
        "{report}"
    );

    // Warm: no Init Duration.
    assert_eq!(post("again").await.status, 200);
    let lines = drain(&mut log_rx);
    let report = lines.iter().find(|l| l.starts_with("REPORT")).unwrap();
    assert!(!report.contains("Init Duration"), "{report}");

    // A timeout: a function error for API Gateway (500), the log says so,
    // and the next call is a cold start.
    let timed_out = post("sleep").await;
    assert_eq!(
        (timed_out.status.as_u16(), timed_out.body_text().as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
    let lines = drain(&mut log_rx);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("Task timed out after 1.00 seconds")),
        "{lines:#?}"
    );
    assert_eq!(post("after-timeout").await.status, 200);
    let lines = drain(&mut log_rx);
    assert!(
        lines.iter().any(|l| l.contains("Init Duration")),
        "cold start after timeout: {lines:#?}"
    );

    // A crash: 500, logged as Runtime.ExitError, and the environment is replaced.
    let crashed = post("crash").await;
    assert_eq!(
        (crashed.status.as_u16(), crashed.body_text().as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
    let lines = drain(&mut log_rx);
    assert!(
        lines
            .iter()
            .any(|l| l
                .contains("Error: Runtime exited with error: exit status 3\nRuntime.ExitError")),
        "{lines:#?}"
    );
    assert_eq!(post("after-crash").await.status, 200);

    // A response API Gateway cannot use, and a reported error: both 500.
    assert_eq!(post("bad").await.status, 500);
    assert_eq!(post("error").await.status, 500);
    assert_eq!(post("still-serving").await.status, 200);

    // One environment per process: kept while warm, replaced after a
    // timeout or a crash.
    let mut environments = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event.kind {
            EventKind::InvocationStarted {
                environment,
                cold_start,
                ..
            } => environments.push(format!(
                "start {environment} {}",
                if cold_start { "cold" } else { "warm" }
            )),
            EventKind::InvocationFinished {
                environment,
                outcome,
                ..
            } => environments.push(format!("end {environment} {outcome:?}")),
            _ => {}
        }
    }
    assert_eq!(
        environments,
        [
            "start 1 cold",
            "end 1 Success",
            "start 1 warm",
            "end 1 Success",
            "start 1 warm",
            "end 1 Timeout",
            "start 2 cold",
            "end 2 Success",
            "start 2 warm",
            "end 2 Crash",
            "start 3 cold",
            "end 3 Success",
            "start 3 warm",
            "end 3 Success",
            "start 3 warm",
            "end 3 Error",
            "start 3 warm",
            "end 3 Success",
        ]
    );

    // No route: API Gateway's 404.
    let missing = client.send(http::Method::GET, &url, &[], "").await.unwrap();
    assert_eq!(
        (missing.status.as_u16(), missing.body_text().as_str()),
        (404, r#"{"message":"Not Found"}"#)
    );
    running.stop();
    stack.lambda.stop_all();
}

#[tokio::test]
async fn a_function_without_a_runnable_runtime_is_refused_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serverless.yml");
    std::fs::write(
        &path,
        "service: node-svc\nprovider:\n  name: aws\n  runtime: nodejs18.x\nfunctions:\n  api:\n    handler: index.handler\n",
    )
    .unwrap();
    let config = ServerlessConfig::from_file(&path).unwrap();
    let error = Stack::new(config, StackOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("functions.api: runtime \"nodejs18.x\" cannot run in localcloud"),
        "{error}"
    );

    std::fs::write(
        &path,
        "service: svc\nprovider:\n  name: aws\n  runtime: provided.al2023\nfunctions:\n  api:\n    handler: bootstrap\n    package:\n      artifact: missing.zip\n",
    )
    .unwrap();
    let config = ServerlessConfig::from_file(&path).unwrap();
    let error = Stack::new(config, StackOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("functions.api:")
            && error.contains("missing.zip: the artifact does not exist"),
        "{error}"
    );
}
