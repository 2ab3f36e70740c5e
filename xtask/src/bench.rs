//! `cargo xtask bench <target>`: speed, measured side by side in one run
//! with a reference on the same machine, reported as ratios (machines are
//! shared and noisy; only same-run comparisons mean anything).
//!
//! `step1`: `POST /` through localcloud in process mode (HTTP API -> Runtime
//! API -> the real `step1-api` process and back) against a bare hyper server
//! that answers the same JSON in-process: the physical limit here.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::{Args, ValueEnum};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::{self, CancellationToken};

use crate::lesson::LessonId;

#[derive(Args)]
pub struct BenchArgs {
    /// What to measure.
    target: BenchTarget,
    /// Concurrent connections (each sends its next request when the last answer arrives).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds measured per contender (after a 1 s warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// sqs: messages queued for the depth measurement.
    #[arg(long, default_value_t = 1_000_000)]
    depth: usize,
    /// Most Lambda execution environments (processes) localcloud may start.
    /// On 2 cores more processes only add context switches (8 and 32 measure
    /// within noise of each other).
    #[arg(long, default_value_t = 8)]
    environments: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchTarget {
    /// HTTP API + Lambda (process mode) vs a bare hyper server.
    Step1,
    /// localcloud's SQS vs moto's server, same client.
    Sqs,
    /// The step-2 pipeline (process mode) with localcloud's SQS vs moto's.
    Step2,
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    if cfg!(debug_assertions) {
        // Measure optimised code: run this same command from a release build.
        let sh = xshell::Shell::new()?;
        sh.change_dir(crate::paths::root());
        let connections = args.connections.to_string();
        let seconds = args.seconds.to_string();
        let environments = args.environments.to_string();
        let depth = args.depth.to_string();
        let target = match args.target {
            BenchTarget::Step1 => "step1",
            BenchTarget::Sqs => "sqs",
            BenchTarget::Step2 => "step2",
        };
        eprintln!("Building xtask in release mode for the benchmark...");
        xshell::cmd!(
            sh,
            "cargo run --quiet --release --package xtask -- bench {target} --connections {connections} --seconds {seconds} --environments {environments} --depth {depth}"
        )
        .run()?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.connections == 0 || args.seconds == 0 || args.environments == 0 {
        bail!("--connections, --seconds and --environments must be at least 1");
    }
    match args.target {
        BenchTarget::Step1 => {
            let lesson = LessonId::Step1.lesson();
            lesson.build(true)?;
            tokio::runtime::Runtime::new()?.block_on(bench_step1(&lesson, &args))
        }
        BenchTarget::Step2 => {
            let lesson = LessonId::Step2.lesson();
            lesson.build(true)?;
            let venv = crate::tools::python_venv(&xshell::Shell::new()?)?;
            tokio::runtime::Runtime::new()?.block_on(crate::bench_step2::bench(
                &lesson,
                &venv,
                args.seconds,
                args.connections,
                args.environments,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        BenchTarget::Sqs => {
            let venv = crate::tools::python_venv(&xshell::Shell::new()?)?;
            tokio::runtime::Runtime::new()?.block_on(crate::bench_sqs::bench(
                &venv,
                args.seconds,
                args.depth,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn bench_step1(lesson: &crate::lesson::Lesson, args: &BenchArgs) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    let body = Bytes::from_static(br#"{"input": 1}"#);

    // The limit: the same answer from a bare server, no Lambda in between.
    let listener = server::bind_loopback(0).await?;
    let bare_url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(server::serve(
        listener,
        |req: Request<hyper::body::Incoming>| async move {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let (status, json) = step1_http::respond(&body);
            server::json_response(status, json)
        },
        shutdown.clone(),
    ));

    let settings = LambdaSettings {
        logs: Logs::new(false),
        default_max_concurrency: args.environments,
        ..Default::default()
    };

    let stack = lesson.stack(settings, true)?;
    let running = stack.serve(0, shutdown.clone()).await?;
    let local_url = format!("{}/", running.http_url);

    // The emulator's own cost: the same stack with the handler in process.
    let in_process = lesson.stack_in_process(Logs::new(false))?;
    let in_process_running = in_process.serve(0, shutdown.clone()).await?;
    let in_process_url = format!("{}/", in_process_running.http_url);

    let duration = Duration::from_secs(args.seconds);
    println!(
        "step1: POST / {{\"input\": 1}}, {} connections, {} s each, this machine ({} cores)\n",
        args.connections,
        args.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut rows = Vec::new();
    for (name, url) in [
        ("bare hyper server (limit)", &bare_url),
        ("localcloud, process mode", &local_url),
        ("localcloud, in-process handler", &in_process_url),
    ] {
        load(url, &body, args.connections, Duration::from_secs(1)).await?;
        let stats = load(url, &body, args.connections, duration).await?;
        rows.push((name, stats));
    }
    running.stop();
    in_process_running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();

    let limit = rows[0].1.requests_per_second();
    println!("| target | requests/s | p50 | p99 | errors | share of the limit |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, stats) in &rows {
        println!(
            "| {name} | {:.0} | {:.2} ms | {:.2} ms | {} | {:.0}% |",
            stats.requests_per_second(),
            ms(stats.percentile(50.0)),
            ms(stats.percentile(99.0)),
            stats.errors,
            100.0 * stats.requests_per_second() / limit
        );
    }
    let local = &rows[1].1;
    let share = local.requests_per_second() / limit;
    let p99 = local.percentile(99.0);
    println!(
        "\ntargets: localcloud >= 30% of the limit's throughput: {} ({:.0}%); p99 < 5 ms: {} ({:.2} ms)",
        if share >= 0.30 { "met" } else { "NOT met" },
        share * 100.0,
        if p99 < Duration::from_millis(5) {
            "met"
        } else {
            "NOT met"
        },
        ms(p99)
    );
    Ok(ExitCode::SUCCESS)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What one load run measured.
pub struct LoadStats {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub elapsed: Duration,
}

impl LoadStats {
    pub fn requests_per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Latency percentile (nearest rank), over successful requests.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

/// Closed-loop load: `connections` keep-alive connections, each sending its
/// next POST when the previous answer is in, for `duration`. Loopback only.
pub async fn load(
    url: &str,
    body: &Bytes,
    connections: usize,
    duration: Duration,
) -> Result<LoadStats> {
    let uri: http::Uri = url.parse().context("bad URL")?;
    let authority = uri.authority().context("URL without host")?.to_string();
    let started = Instant::now();
    let stop_at = tokio::time::Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let authority = authority.clone();
        let uri = uri.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(&authority).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut latencies = Vec::new();
            let mut errors = 0;
            while tokio::time::Instant::now() < stop_at {
                let request = Request::post(uri.clone())
                    .header("host", &authority)
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))?;
                let sent = Instant::now();
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                if status == StatusCode::OK {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut stats = LoadStats {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (latencies, errors) = task.await??;
        stats.latencies.extend(latencies);
        stats.errors += errors;
    }
    stats.elapsed = started.elapsed();
    Ok(stats)
}
