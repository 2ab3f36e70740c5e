//! The real `bootstrap`s (step3-producer, step3-worker) as Lambda processes
//! in localcloud, over real sockets and real time, from the lesson's
//! serverless.yml: the worker finds its settings in the environment the file
//! gives it, reaches SQS through `AWS_ENDPOINT_URL_SQS`, and its heartbeat
//! keeps the job hidden past a visibility timeout shorter than the work.
//! The times are scaled down (2 s timeout, 3 s of work) to keep it short.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use localcloud::client::HttpClient;
use localcloud::config::{ResolveContext, ServerlessConfig};
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::{CancellationToken, bind_loopback};
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_binary_heartbeats_and_commits_once() {
    let shutdown = CancellationToken::new();
    let listener = bind_loopback(0).await.unwrap();
    let sqs = Sqs::new(SqsConfig {
        endpoint_url: format!("http://{}", listener.local_addr().unwrap()),
        ..Default::default()
    });
    tokio::spawn(localcloud::sqs::serve(
        listener,
        sqs.clone(),
        shutdown.clone(),
    ));
    let context = ResolveContext {
        sqs_endpoint_url: sqs.endpoint_url(),
        ..Default::default()
    };
    let mut config = ServerlessConfig::from_file_with(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("serverless.yml"),
        &context,
    )
    .unwrap();
    let queue = config.queues[1].name.clone();
    let dlq = config.queues[0].name.clone();
    let worker = config
        .functions
        .iter_mut()
        .find(|f| f.key == "jobsWorker")
        .unwrap();
    worker.environment.insert("WORK_SECONDS".into(), "3".into());
    worker.environment.insert("HEARTBEAT".into(), "on".into());
    let code = BTreeMap::from([
        (
            "producer".to_owned(),
            CodeSource::Executable(PathBuf::from(env!("CARGO_BIN_EXE_step3-producer"))),
        ),
        (
            "jobsWorker".to_owned(),
            CodeSource::Executable(PathBuf::from(env!("CARGO_BIN_EXE_step3-worker"))),
        ),
    ]);
    let logs = Logs::new(false);
    let mut rx = logs.subscribe();
    let stack = Stack::new(
        config,
        StackOptions {
            code,
            lambda: LambdaSettings {
                logs,
                ..Default::default()
            },
            sqs: Some(sqs.clone()),
        },
    )
    .unwrap();
    let running = stack.serve(0, shutdown.clone()).await.unwrap();
    stack.start_event_sources(shutdown.clone()).await.unwrap();
    // After the mapping exists, as in the lesson's experiment.
    sqs.set_queue_attributes(
        &queue,
        BTreeMap::from([("VisibilityTimeout".to_owned(), "2".to_owned())]),
    )
    .unwrap();

    let answer = HttpClient::new()
        .post_json(
            &format!("{}/produce", running.http_url),
            r#"{"input": 41}"#.to_owned(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body_text());

    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        while let Ok(line) = rx.try_recv() {
            lines.push(line.text);
        }
        let counts = sqs.counts(&queue).unwrap();
        let drained = counts.visible + counts.in_flight + counts.delayed == 0;
        if drained || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anything still running would commit within the next seconds.
    tokio::time::sleep(Duration::from_secs(4)).await;
    while let Ok(line) = rx.try_recv() {
        lines.push(line.text);
    }
    running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();

    let commits: Vec<&String> = lines.iter().filter(|l| l.starts_with("commit ")).collect();
    assert_eq!(commits.len(), 1, "{lines:#?}");
    assert!(
        commits[0].ends_with(" receive 1: input 41 -> output 42"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("heartbeat ") && l.ends_with(": visible again in 2 s")),
        "{lines:#?}"
    );
    assert_eq!(sqs.counts(&dlq).unwrap().visible, 0);
}
