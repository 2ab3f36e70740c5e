//! `cargo xtask bench sqs`: localcloud's SQS against moto's server, same
//! client, same run. A cycle is SendMessage -> ReceiveMessage -> DeleteMessage
//! (AWS JSON protocol), measured at 1 and 32 concurrent clients; localcloud
//! also in memory (the tower service called directly, no socket). Then a
//! million 100-byte messages are queued to measure memory and receive latency
//! at depth. Last, k6 (`k6/sqs.js`, 16 virtual users) against both, with
//! the CPU each side used: which of the two, the k6 client or the server,
//! is the bound of that row.

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

/// Virtual users of the k6 rows.
const K6_VUS: usize = 16;

/// What a k6 run of k6/sqs.js gave.
struct K6Figures {
    /// Cycles per second (k6's iterations).
    rate: f64,
    /// Per request, the 95th percentile.
    p95_ms: f64,
}

async fn k6_sqs(
    k6: &std::path::Path,
    endpoint: &str,
    queue_url: &str,
    seconds: u64,
) -> Result<K6Figures> {
    let env = [
        ("ENDPOINT", endpoint.to_owned()),
        ("QUEUE_URL", queue_url.to_owned()),
        ("VUS", K6_VUS.to_string()),
        ("DURATION", format!("{seconds}s")),
    ];
    let metric = super::k6_summary(k6, "sqs.js", &env).await?;
    Ok(K6Figures {
        rate: metric("iterations", "rate"),
        p95_ms: metric("http_req_duration", "p(95)"),
    })
}

/// CPU seconds, user and system, of this process (`RUSAGE_SELF`) or of
/// its children waited for (`RUSAGE_CHILDREN`).
fn cpu_seconds(who: libc::c_int) -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes the struct it is given; zeroed is a valid rusage.
    let usage = unsafe {
        libc::getrusage(who, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The server's CPU seconds: a child process's from /proc/<pid>/stat, or
/// this process's (localcloud runs in it).
fn server_cpu_seconds(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else {
        return cpu_seconds(libc::RUSAGE_SELF);
    };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // After the command name in parentheses: utime and stime are fields 14
    // and 15 of the line, in clock ticks.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<f64>().ok())
        .sum();
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / per_second.max(1.0)
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

    // k6, the workshop's load tool, against both: cycles/s and who is busy.
    let k6 = crate::tools::k6(&xshell::Shell::new()?)?;
    println!(
        "\n| k6/sqs.js, {K6_VUS} VUs | cycles/s | p95 per request | k6 client CPU | server CPU |"
    );
    println!("|---|---:|---:|---:|---:|");
    let mut k6_rows = Vec::new();
    for (name, target, server_pid) in [
        ("moto server (reference)", &targets[0].1, Some(moto.pid())),
        ("localcloud over TCP", &targets[1].1, None),
    ] {
        let Target::Tcp { url, .. } = target else {
            continue;
        };
        let queue = create_queue(target, "bench-k6").await?;
        let server_before = server_cpu_seconds(server_pid);
        let k6_before = cpu_seconds(libc::RUSAGE_CHILDREN);
        let started = Instant::now();
        let figures = k6_sqs(&k6, url, &queue, seconds).await?;
        let elapsed = started.elapsed().as_secs_f64();
        let k6_cores = (cpu_seconds(libc::RUSAGE_CHILDREN) - k6_before) / elapsed;
        let server_cores = (server_cpu_seconds(server_pid) - server_before) / elapsed;
        println!(
            "| k6 -> {name} | {:.0} | {:.2} ms | {k6_cores:.2} cores | {server_cores:.2} cores |",
            figures.rate, figures.p95_ms
        );
        k6_rows.push((figures.rate, k6_cores, server_cores));
    }
    if let [moto, local] = k6_rows[..] {
        let bound = if local.1 > local.2 {
            "the k6 client is the bound (it uses more CPU than the server it drives)"
        } else {
            "localcloud is the bound (it uses more CPU than the k6 client)"
        };
        println!(
            "\nwith k6: localcloud {:.0}x moto's cycles/s; {bound}",
            local.0 / moto.0.max(1e-9)
        );
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
