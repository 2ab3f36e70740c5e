//! The lessons with a queue (step 2 on): `run` sends jobs through
//! `POST /produce` and reports what the worker did; `up` serves the HTTP API,
//! SQS and the event source mapping; `loop`, `send`, `dlq show` and
//! `queue stats` are the retrospective's shell loop and a look at the queues.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use localcloud::client::HttpClient;
use localcloud::config::{ResolveContext, ServerlessConfig};
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::server::{CancellationToken, bind_loopback};
use localcloud::sqs::{Sqs, SqsConfig};
use serde_json::json;
use tokio::sync::broadcast;

use crate::lesson::Lesson;
use crate::sqs_client::SqsClient;

/// localcloud's SQS on 127.0.0.1:`port`, served until `shutdown`.
pub async fn serve_sqs(port: u16, shutdown: &CancellationToken) -> Result<Sqs> {
    let listener = bind_loopback(port).await?;
    let sqs = Sqs::new(SqsConfig {
        endpoint_url: format!("http://{}", listener.local_addr()?),
        ..Default::default()
    });
    tokio::spawn(localcloud::sqs::serve(
        listener,
        sqs.clone(),
        shutdown.clone(),
    ));
    Ok(sqs)
}

fn settings(logs: Logs) -> LambdaSettings {
    LambdaSettings {
        logs,
        ..Default::default()
    }
}

/// One worker log line: `job <id> receive <n>: input <x> -> output <y>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerLine {
    pub message_id: String,
    pub receive_count: String,
    /// `Some((input, output))`, or `None` for a rejected message.
    pub result: Option<(String, String)>,
}

pub fn parse_worker_line(text: &str) -> Option<WorkerLine> {
    let rest = text.strip_prefix("job ")?;
    let (message_id, rest) = rest.split_once(" receive ")?;
    let (receive_count, rest) = rest.split_once(": ")?;
    let result = match rest.strip_prefix("input ") {
        Some(io) => io
            .split_once(" -> output ")
            .map(|(i, o)| (i.to_owned(), o.to_owned())),
        None => None,
    };
    Some(WorkerLine {
        message_id: message_id.to_owned(),
        receive_count: receive_count.to_owned(),
        result,
    })
}

pub async fn run(lesson: &Lesson, jobs: usize) -> Result<ExitCode> {
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let shutdown = CancellationToken::new();
    let sqs = serve_sqs(0, &shutdown).await?;
    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let stack = lesson.stack_with_sqs(settings(logs), false, Some(sqs.clone()))?;
    let running = stack.serve(0, shutdown.clone()).await?;
    stack.start_event_sources(shutdown.clone()).await?;
    let url = format!("{}{}", running.http_url, lesson.invoke_path);
    let queue = stack
        .config
        .queues
        .iter()
        .find(|q| q.redrive.is_some())
        .context("the lesson's serverless.yml defines no queue with a DLQ")?
        .clone();
    let dlq = queue
        .redrive
        .clone()
        .map(|r| r.dead_letter_queue)
        .unwrap_or_default();

    println!("Sending {jobs} jobs to POST {url} ...");
    let started = Instant::now();
    let client = HttpClient::new();
    let mut sent: BTreeMap<String, String> = BTreeMap::new();
    let mut refused = 0;
    for i in 1..=jobs {
        let answer = client
            .post_json(&url, format!(r#"{{"input": {i}}}"#))
            .await?;
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        match body["messageId"].as_str() {
            Some(id) if answer.status == 200 => {
                sent.insert(id.to_owned(), i.to_string());
            }
            _ => {
                refused += 1;
                println!("  job {i}: {} {}", answer.status, answer.body_text());
            }
        }
    }

    // Wait until every job was processed and the queue is empty.
    let mut lines: Vec<WorkerLine> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        drain_worker_lines(&mut log_rx, &mut lines);
        let processed: std::collections::HashSet<_> =
            lines.iter().map(|l| l.message_id.as_str()).collect();
        let counts = sqs.counts(&queue.name).unwrap_or_default();
        let drained = counts.visible + counts.in_flight + counts.delayed == 0;
        if (processed.len() >= sent.len() && drained) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drain_worker_lines(&mut log_rx, &mut lines);
    running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();

    let mut per_message: BTreeMap<&str, Vec<&WorkerLine>> = BTreeMap::new();
    for line in &lines {
        per_message.entry(&line.message_id).or_default().push(line);
    }
    let right = sent
        .iter()
        .filter(|(id, input)| {
            per_message.get(id.as_str()).is_some_and(|ls| {
                ls.iter().any(|l| {
                    l.result.as_ref().is_some_and(|(i, o)| {
                        i == *input
                            && lesson_kit::ExactNumber::parse(input)
                                .is_ok_and(|n| n.plus_one().as_str() == o)
                    })
                })
            })
        })
        .count();
    let duplicates = per_message.values().filter(|ls| ls.len() > 1).count();
    let in_dlq = sqs.counts(&dlq).map_or(0, |c| c.visible + c.in_flight);
    println!("\nWorker log (first lines):");
    for line in lines.iter().take(5) {
        match &line.result {
            Some((i, o)) => println!(
                "  job {} receive {}: input {i} -> output {o}",
                line.message_id, line.receive_count
            ),
            None => println!(
                "  job {} receive {}: rejected",
                line.message_id, line.receive_count
            ),
        }
    }
    println!("\nReport");
    println!(
        "  sent           {}{}",
        sent.len(),
        if refused > 0 {
            format!(" ({refused} refused)")
        } else {
            String::new()
        }
    );
    println!("  processed      {}", per_message.len());
    println!("  outputs right  {right}");
    println!("  duplicates     {duplicates}");
    println!("  in the DLQ     {in_dlq}");
    println!("  time           {:.2} s", took.as_secs_f64());
    let ok = refused == 0
        && per_message.len() == jobs
        && right == jobs
        && duplicates == 0
        && in_dlq == 0;
    println!(
        "\n{}",
        if ok {
            "Every job was processed once, with the right output."
        } else {
            "Not as expected: see the counts above."
        }
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn drain_worker_lines(rx: &mut broadcast::Receiver<LogLine>, into: &mut Vec<WorkerLine>) {
    while let Ok(line) = rx.try_recv() {
        if let Some(parsed) = parse_worker_line(&line.text) {
            into.push(parsed);
        }
    }
}

pub async fn up(lesson: &Lesson, port: u16, sqs_port: u16) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    let sqs = serve_sqs(sqs_port, &shutdown).await?;
    let stack = lesson.stack_with_sqs(settings(Logs::new(true)), false, Some(sqs.clone()))?;
    let running = stack.serve(port, shutdown.clone()).await?;
    stack.start_event_sources(shutdown.clone()).await?;
    println!("{}", stack.describe(&running.http_url));
    println!("SQS endpoint: {}", sqs.endpoint_url());
    println!(
        "Try: curl -X POST --header 'Content-type: application/json' --data-raw '{{ \"input\": 1 }}' {}{}",
        running.http_url, lesson.invoke_path
    );
    println!(
        "     cargo xtask lesson {} loop --count 100   |   send 'not a job'   |   dlq show   |   queue stats",
        lesson.name
    );
    println!("Serving; Ctrl-C stops.");
    tokio::signal::ctrl_c().await?;
    running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();
    Ok(ExitCode::SUCCESS)
}

/// The retrospective's `for i in ...; do curl ...; done`, with a progress bar.
pub async fn run_loop(url: &str, count: usize, concurrency: usize) -> Result<ExitCode> {
    if count == 0 || concurrency == 0 {
        bail!("--count and --concurrency must be at least 1");
    }
    let client = HttpClient::new();
    let next = Arc::new(AtomicUsize::new(1));
    let bar = indicatif::ProgressBar::new(count as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(count) {
        let client = client.clone();
        let next = next.clone();
        let bar = bar.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures: Vec<String> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i > count {
                    break;
                }
                let started = Instant::now();
                match client.post_json(&url, format!(r#"{{"input": {i}}}"#)).await {
                    Ok(answer) if answer.status.is_success() => latencies.push(started.elapsed()),
                    Ok(answer) => {
                        failures.push(format!("{} {}", answer.status, answer.body_text()))
                    }
                    Err(e) => failures.push(e.to_string()),
                }
                bar.inc(1);
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        let (l, f) = task.await?;
        latencies.extend(l);
        failures.extend(f);
    }
    bar.finish();
    let stats = crate::bench::LoadStats {
        latencies,
        errors: failures.len(),
        elapsed: Duration::ZERO,
    };
    println!(
        "ok {}, failed {}, latency p50 {:.2} ms, p99 {:.2} ms",
        stats.latencies.len(),
        failures.len(),
        stats.percentile(50.0).as_secs_f64() * 1000.0,
        stats.percentile(99.0).as_secs_f64() * 1000.0
    );
    if let Some(first) = failures.first() {
        println!("first failure: {first}");
        if first.contains("cannot reach") {
            println!("Is the lesson running? Start it with `cargo xtask lesson step2 up`.");
        }
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The lesson's queue and DLQ URLs at a running localcloud.
fn queue_urls(lesson: &Lesson, sqs_url: &str) -> Result<(String, String)> {
    let context = ResolveContext {
        sqs_endpoint_url: sqs_url.trim_end_matches('/').to_owned(),
        ..Default::default()
    };
    let config = ServerlessConfig::from_file_with(lesson.serverless_yml(), &context)?;
    let queue = config
        .queues
        .iter()
        .find(|q| q.redrive.is_some())
        .context("the lesson defines no queue with a DLQ")?;
    let dlq = &queue.redrive.as_ref().context("no DLQ")?.dead_letter_queue;
    let url = |name: &str| format!("{}/{}/{name}", context.sqs_endpoint_url, context.account_id);
    Ok((url(&queue.name), url(dlq)))
}

fn client_for(sqs_url: &str) -> SqsClient {
    SqsClient::Tcp {
        client: HttpClient::new(),
        url: format!("{}/", sqs_url.trim_end_matches('/')),
        region: "us-east-1".into(),
    }
}

fn not_running(lesson: &Lesson) -> String {
    format!(
        "is the lesson running? start it with `cargo xtask lesson {} up`",
        lesson.name
    )
}

pub async fn send(lesson: &Lesson, sqs_url: &str, body: &str) -> Result<ExitCode> {
    let (queue, _) = queue_urls(lesson, sqs_url)?;
    let answer = client_for(sqs_url)
        .call(
            "SendMessage",
            json!({"QueueUrl": queue, "MessageBody": body}),
        )
        .await
        .with_context(|| not_running(lesson))?;
    println!(
        "sent {} to {queue}",
        answer["MessageId"].as_str().unwrap_or("?")
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn dlq_show(lesson: &Lesson, sqs_url: &str) -> Result<ExitCode> {
    let (_, dlq) = queue_urls(lesson, sqs_url)?;
    let client = client_for(sqs_url);
    let answer = client
        .call(
            "ReceiveMessage",
            json!({"QueueUrl": dlq, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                   "MessageSystemAttributeNames": ["All"]}),
        )
        .await
        .with_context(|| not_running(lesson))?;
    let messages = answer["Messages"].as_array().cloned().unwrap_or_default();
    println!("{dlq}");
    if messages.is_empty() {
        println!("  the DLQ is empty");
    }
    for m in &messages {
        let attributes = &m["Attributes"];
        let body = m["Body"].as_str().unwrap_or("");
        let body: String = body.chars().take(80).collect();
        let sent = attributes["SentTimestamp"]
            .as_str()
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(
                || "?".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            );
        println!(
            "  {}  receives {}  sent {sent}  body {body:?}",
            m["MessageId"].as_str().unwrap_or("?"),
            attributes["ApproximateReceiveCount"]
                .as_str()
                .unwrap_or("?"),
        );
    }
    println!("(peeking counts as a receive, as in the AWS console)");
    Ok(ExitCode::SUCCESS)
}

pub async fn queue_stats(lesson: &Lesson, sqs_url: &str) -> Result<ExitCode> {
    let (queue, dlq) = queue_urls(lesson, sqs_url)?;
    let client = client_for(sqs_url);
    println!("| queue | visible | in flight | delayed |\n|---|---:|---:|---:|");
    for url in [queue, dlq] {
        let answer = client
            .call(
                "GetQueueAttributes",
                json!({"QueueUrl": url, "AttributeNames": ["All"]}),
            )
            .await
            .with_context(|| not_running(lesson))?;
        let a = &answer["Attributes"];
        println!(
            "| {} | {} | {} | {} |",
            url.rsplit('/').next().unwrap_or(&url),
            a["ApproximateNumberOfMessages"].as_str().unwrap_or("?"),
            a["ApproximateNumberOfMessagesNotVisible"]
                .as_str()
                .unwrap_or("?"),
            a["ApproximateNumberOfMessagesDelayed"]
                .as_str()
                .unwrap_or("?"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
