//! Chaos: the real producer and worker binaries, over real sockets, while
//! worker processes are killed (SIGKILL) at random mid-batch. Lambda's rule
//! is that a batch whose invocation fails is not deleted and comes back after
//! the visibility timeout, so at the end every job must have been processed
//! at least once, or be in the DLQ: none lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use localcloud::client::HttpClient;
use localcloud::config::{ResolveContext, ServerlessConfig};
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::{CancellationToken, bind_loopback};
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};

/// The lesson's pipeline with short timeouts, so killed batches return fast.
const SERVICE: &str = r#"
service: chaos
provider:
  name: aws
  runtime: provided.al2023
functions:
  producer:
    handler: bootstrap
    events:
      - httpApi: 'POST /produce'
    environment:
      QUEUE_URL: !Ref Jobs
  worker:
    handler: bootstrap
    timeout: 1
    environment:
      WORK_DELAY_MS: "120"
    events:
      - sqs:
          arn: !GetAtt Jobs.Arn
          batchSize: 5
          functionResponseType: ReportBatchItemFailures
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 2
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt JobsDlq.Arn
          maxReceiveCount: 4
    JobsDlq:
      Type: AWS::SQS::Queue
"#;

/// Worker processes running now (their executable is the worker binary).
fn worker_pids(binary: &std::path::Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_workers_mid_batch_loses_no_job() {
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serverless.yml");
    std::fs::write(&path, SERVICE).unwrap();
    let context = ResolveContext {
        sqs_endpoint_url: sqs.endpoint_url(),
        ..Default::default()
    };
    let config = ServerlessConfig::from_file_with(&path, &context).unwrap();
    let worker_binary = PathBuf::from(env!("CARGO_BIN_EXE_step2-worker"));
    let mut code = BTreeMap::new();
    code.insert(
        "producer".to_owned(),
        CodeSource::Executable(PathBuf::from(env!("CARGO_BIN_EXE_step2-producer"))),
    );
    code.insert(
        "worker".to_owned(),
        CodeSource::Executable(worker_binary.clone()),
    );
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
    let url = format!("{}/produce", running.http_url);

    // The killer: every 150 ms for 3 s, one worker process picked at random.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let killer = {
        let worker_binary = worker_binary.clone();
        tokio::spawn(async move {
            let mut state = seed | 1;
            let mut kills = 0;
            let until = Instant::now() + Duration::from_secs(3);
            while Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(150)).await;
                let pids = worker_pids(&worker_binary);
                if pids.is_empty() {
                    continue;
                }
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let pid = pids[(state >> 33) as usize % pids.len()];
                if std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status()
                    .is_ok_and(|s| s.success())
                {
                    kills += 1;
                }
            }
            kills
        })
    };

    let client = HttpClient::new();
    let mut sent = BTreeMap::new();
    for i in 1..=40 {
        let answer = client
            .post_json(&url, format!(r#"{{"input": {i}}}"#))
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body_text());
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        sent.insert(body["messageId"].as_str().unwrap().to_owned(), i);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kills = killer.await.unwrap();

    // Every job processed at least once, or in the DLQ.
    let mut processed: BTreeSet<String> = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(40);
    let queue = "chaos-dev-Jobs";
    let dlq = "chaos-dev-JobsDlq";
    loop {
        while let Ok(line) = rx.try_recv() {
            if let Some(rest) = line.text.strip_prefix("job ")
                && let Some((id, _)) = rest.split_once(' ')
                && line.text.contains(" -> output ")
            {
                processed.insert(id.to_owned());
            }
        }
        let counts = sqs.counts(queue).unwrap();
        let in_dlq = sqs.counts(dlq).unwrap().visible;
        let settled = counts.visible + counts.in_flight + counts.delayed == 0;
        if settled && processed.len() + in_dlq >= sent.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let in_dlq = sqs.counts(dlq).unwrap().visible;
    let lost: Vec<_> = sent.keys().filter(|id| !processed.contains(*id)).collect();
    assert!(
        kills > 0,
        "the chaos must have killed workers (seed {seed})"
    );
    assert!(
        lost.len() <= in_dlq,
        "seed {seed}, {kills} kills: {} jobs neither processed nor in the DLQ ({in_dlq} in the DLQ): {lost:?}",
        lost.len() - in_dlq.min(lost.len())
    );
    let counts = sqs.counts(queue).unwrap();
    assert_eq!(
        counts.visible + counts.in_flight + counts.delayed,
        0,
        "the queue drained"
    );
    eprintln!(
        "chaos: {kills} workers killed, {} jobs processed, {in_dlq} in the DLQ, none lost (seed {seed})",
        processed.len()
    );
    running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();
}
