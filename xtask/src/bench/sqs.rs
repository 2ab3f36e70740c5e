//! `cargo xtask bench sqs`: localcloud's SQS against moto's server, same
//! client, same run. A cycle is SendMessage -> ReceiveMessage -> DeleteMessage
//! (AWS JSON protocol), measured at 1 and 32 concurrent clients; localcloud
//! also in memory (the tower service called directly, no socket). Then a
//! million 100-byte messages are queued to measure memory and receive latency
//! at depth.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use localcloud::client::HttpClient;
use localcloud::server::{CancellationToken, bind_loopback};
use localcloud::sqs::{Sqs, SqsConfig};
use serde_json::{Value, json};

use crate::sqs_client::SqsClient as Target;
use crate::stats::LoadStats;

async fn create_queue(target: &Target, name: &str) -> Result<String> {
    let answer = target
        .call("CreateQueue", json!({"QueueName": name}))
        .await?;
    answer["QueueUrl"]
        .as_str()
        .map(str::to_owned)
        .context("no QueueUrl")
}

/// One send -> receive -> delete cycle.
async fn cycle(target: &Target, queue_url: &str, body: &str) -> Result<()> {
    target
        .call(
            "SendMessage",
            json!({"QueueUrl": queue_url, "MessageBody": body}),
        )
        .await?;
    let received = target
        .call(
            "ReceiveMessage",
            json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 1}),
        )
        .await?;
    if let Some(handle) = received["Messages"][0]["ReceiptHandle"].as_str() {
        target
            .call(
                "DeleteMessage",
                json!({"QueueUrl": queue_url, "ReceiptHandle": handle}),
            )
            .await?;
    }
    Ok(())
}

async fn run_cycles(
    target: &Target,
    queue_url: &str,
    clients: usize,
    duration: Duration,
) -> Result<LoadStats> {
    let started = Instant::now();
    let stop_at = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let target = target.clone();
        let queue_url = queue_url.to_owned();
        tasks.push(tokio::spawn(async move {
            let body = "x".repeat(100);
            let mut latencies = Vec::new();
            while Instant::now() < stop_at {
                let sent = Instant::now();
                cycle(&target, &queue_url, &body).await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut stats = LoadStats {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        stats.latencies.extend(task.await??);
    }
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// This process's resident memory in MB (`VmRSS` in /proc/self/status):
/// Linux only, `None` elsewhere (and the report says so).
#[cfg(target_os = "linux")]
fn rss_mb() -> Option<f64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
}

#[cfg(not(target_os = "linux"))]
fn rss_mb() -> Option<f64> {
    None
}

pub async fn bench(venv: &std::path::Path, seconds: u64, depth: usize) -> Result<()> {
    let duration = Duration::from_secs(seconds);
    let shutdown = CancellationToken::new();
    let listener = bind_loopback(0).await?;
    let local_url = format!("http://{}/", listener.local_addr()?);
    let sqs = Sqs::new(SqsConfig {
        endpoint_url: local_url.trim_end_matches('/').to_owned(),
        ..Default::default()
    });
    tokio::spawn(localcloud::sqs::serve(
        listener,
        sqs.clone(),
        shutdown.clone(),
    ));
    let moto = crate::tools::MotoServer::start(venv)?;
    let moto_url = moto.url.clone();

    let client = HttpClient::new();
    let targets = [
        (
            "moto server (reference)",
            Target::Tcp {
                client: client.clone(),
                url: moto_url,
                region: "us-east-1".into(),
            },
        ),
        (
            "localcloud over TCP",
            Target::Tcp {
                client: client.clone(),
                url: local_url.clone(),
                region: "us-east-1".into(),
            },
        ),
        ("localcloud in memory", Target::InMemory(sqs.service())),
    ];
    println!(
        "sqs: SendMessage -> ReceiveMessage -> DeleteMessage cycles, 100-byte bodies, {seconds} s per row, {} cores\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| target | clients | cycles/s | p50 | p99 | vs moto |");
    println!("|---|---:|---:|---:|---:|---:|");
    for clients in [1usize, 32] {
        let mut moto_rate = 0.0;
        for (i, (name, target)) in targets.iter().enumerate() {
            let queue = create_queue(target, &format!("bench-{clients}")).await?;
            run_cycles(target, &queue, clients, Duration::from_millis(500)).await?;
            let stats = run_cycles(target, &queue, clients, duration).await?;
            let rate = stats.requests_per_second();
            if i == 0 {
                moto_rate = rate;
            }
            println!(
                "| {name} | {clients} | {rate:.0} | {:.3} ms | {:.3} ms | {:.1}x |",
                stats.percentile_ms(50.0),
                stats.percentile_ms(99.0),
                rate / moto_rate
            );
        }
    }

    // Depth: a million queued messages.
    let before = rss_mb();
    let memory = Target::InMemory(sqs.service());
    let deep = create_queue(&memory, "deep").await?;
    let body = "y".repeat(100);
    let fill_started = Instant::now();
    for batch in 0..depth.div_ceil(10) {
        let entries: Vec<Value> = (0..10)
            .map(|i| json!({"Id": format!("m{i}"), "MessageBody": body}))
            .collect();
        memory
            .call(
                "SendMessageBatch",
                json!({"QueueUrl": deep, "Entries": entries}),
            )
            .await
            .with_context(|| format!("batch {batch}"))?;
    }
    let fill = fill_started.elapsed();
    let after = rss_mb();
    let tcp = Target::Tcp {
        client,
        url: local_url,
        region: "us-east-1".into(),
    };
    let mut latencies = Vec::new();
    for _ in 0..2_000 {
        let sent = Instant::now();
        let received = tcp
            .call(
                "ReceiveMessage",
                json!({"QueueUrl": deep, "MaxNumberOfMessages": 1}),
            )
            .await?;
        latencies.push(sent.elapsed());
        let handle = received["Messages"][0]["ReceiptHandle"]
            .as_str()
            .context("empty receive")?;
        tcp.call(
            "DeleteMessage",
            json!({"QueueUrl": deep, "ReceiptHandle": handle}),
        )
        .await?;
    }
    let stats = LoadStats {
        latencies,
        errors: 0,
        elapsed: Duration::ZERO,
    };
    let rss = match (before, after) {
        (Some(before), Some(after)) => {
            format!(
                "RSS {before:.0} MB -> {after:.0} MB (+{:.0} MB)",
                after - before
            )
        }
        _ => "RSS not measured (Linux only: /proc/self/status)".to_owned(),
    };
    println!(
        "\ndepth: {depth} queued 100-byte messages (filled in {:.1} s): {rss}; ReceiveMessage over TCP at that depth: p50 {:.3} ms, p99 {:.3} ms",
        fill.as_secs_f64(),
        stats.percentile_ms(50.0),
        stats.percentile_ms(99.0),
    );
    shutdown.cancel();
    Ok(())
}
