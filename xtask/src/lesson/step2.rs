//! Step 2's `run`: boot the lesson's stack (HTTP API, SQS, the event source
//! mapping, the real producer and worker processes), send jobs through
//! `POST /produce`, wait until the worker has processed them, and report:
//! sent, processed, outputs right, duplicates, DLQ, time.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use localcloud::client::HttpClient;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::server::CancellationToken;
use tokio::sync::broadcast;

use super::stack::{Lesson, Profile, serve_sqs, with_logs, work_queue};

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
    let shutdown = CancellationToken::new();
    let sqs = serve_sqs(0, &shutdown).await?;
    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let stack = lesson.stack(with_logs(logs), Profile::Debug, Some(sqs.clone()))?;
    let running = stack.serve(0, shutdown.clone()).await?;
    stack.start_event_sources(shutdown.clone()).await?;
    let url = format!("{}{}", running.http_url, lesson.route);
    let queue = work_queue(&stack.config)?.clone();
    let dlq = queue
        .redrive
        .clone()
        .map(|r| r.dead_letter_queue)
        .unwrap_or_default();

    println!("Sending {jobs} jobs to POST {url} ...");
    let started = Instant::now();
    let (sent, refused) = send_jobs(&url, jobs).await?;
    for line in &refused {
        println!("  {line}");
    }
    let refused = refused.len();
    let mut lines: Vec<WorkerLine> = Vec::new();
    wait_until_processed(&sqs, &queue.name, &mut log_rx, &mut lines, sent.len()).await;
    let took = started.elapsed();
    running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();

    let Tally {
        processed,
        right,
        duplicates,
    } = tally(&sent, &lines);
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
    println!("  processed      {processed}");
    println!("  outputs right  {right}");
    println!("  duplicates     {duplicates}");
    println!("  in the DLQ     {in_dlq}");
    println!("  time           {:.2} s", took.as_secs_f64());
    let ok = refused == 0 && processed == jobs && right == jobs && duplicates == 0 && in_dlq == 0;
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

/// POSTs `{"input": i}` for i = 1..=jobs: the accepted jobs (message id ->
/// input) and a line for each refused one.
pub async fn send_jobs(url: &str, jobs: usize) -> Result<(BTreeMap<String, String>, Vec<String>)> {
    let client = HttpClient::new();
    let mut sent = BTreeMap::new();
    let mut refused = Vec::new();
    for i in 1..=jobs {
        let answer = client
            .post_json(url, format!(r#"{{"input": {i}}}"#))
            .await?;
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        match body["messageId"].as_str() {
            Some(id) if answer.status == 200 => {
                sent.insert(id.to_owned(), i.to_string());
            }
            _ => refused.push(format!("job {i}: {} {}", answer.status, answer.body_text())),
        }
    }
    Ok((sent, refused))
}

/// Waits (at most 60 s) until the worker has logged `expected` distinct
/// jobs and `queue` is empty, collecting the worker's lines.
pub async fn wait_until_processed(
    sqs: &localcloud::sqs::Sqs,
    queue: &str,
    log_rx: &mut broadcast::Receiver<LogLine>,
    lines: &mut Vec<WorkerLine>,
    expected: usize,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        drain_worker_lines(log_rx, lines);
        let processed: std::collections::HashSet<_> =
            lines.iter().map(|l| l.message_id.as_str()).collect();
        let counts = sqs.counts(queue).unwrap_or_default();
        let drained = counts.visible + counts.in_flight + counts.delayed == 0;
        if (processed.len() >= expected && drained) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    drain_worker_lines(log_rx, lines);
}

/// Step 2's rule for a run: how many jobs the worker processed, how many
/// with the right output (`input + 1`, exact), how many more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub processed: usize,
    pub right: usize,
    pub duplicates: usize,
}

pub fn tally(sent: &BTreeMap<String, String>, lines: &[WorkerLine]) -> Tally {
    let mut per_message: BTreeMap<&str, Vec<&WorkerLine>> = BTreeMap::new();
    for line in lines {
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
    Tally {
        processed: per_message.len(),
        right,
        duplicates: per_message.values().filter(|ls| ls.len() > 1).count(),
    }
}

pub fn drain_worker_lines(rx: &mut broadcast::Receiver<LogLine>, into: &mut Vec<WorkerLine>) {
    while let Ok(line) = rx.try_recv() {
        if let Some(parsed) = parse_worker_line(&line.text) {
            into.push(parsed);
        }
    }
}
