//! `cargo xtask bench step1`: `POST /` through localcloud in process mode
//! (HTTP API -> Runtime API -> the real `step1-api` process and back)
//! against a bare hyper server that answers the same JSON in-process (the
//! physical limit here), and the same stack with the handler in process
//! (the emulator's own cost). Then k6 (`k6/step1.js`) against the limit
//! and against localcloud, as `cargo xtask loadtest step1` drives them.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt;
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::{self, CancellationToken};

use super::BenchArgs;
use super::load::load;
use crate::lesson::{Lesson, Profile, step1};

pub async fn bench(lesson: &Lesson, args: &BenchArgs) -> Result<ExitCode> {
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

    let stack = lesson.stack(settings, Profile::Release, None)?;
    let running = stack.serve(0, shutdown.clone()).await?;
    let local_url = format!("{}/", running.http_url);

    // The emulator's own cost: the same stack with the handler in process.
    let in_process = step1::stack_in_process(lesson, Logs::new(false))?;
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
    // k6, the tool the workshop load-tests with (k6/step1.js), against the
    // limit and localcloud: what `cargo xtask loadtest step1` measures.
    let k6 = crate::tools::k6(&xshell::Shell::new()?)?;
    let mut k6_rows = Vec::new();
    for (name, url) in [
        ("k6 -> bare hyper server (limit)", &bare_url),
        ("k6 -> localcloud, process mode", &local_url),
    ] {
        k6_rows.push((
            name,
            k6_run(&k6, url, args.connections, args.seconds).await?,
        ));
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
            stats.percentile_ms(50.0),
            stats.percentile_ms(99.0),
            stats.errors,
            100.0 * stats.requests_per_second() / limit
        );
    }
    println!(
        "\n| k6/step1.js, {} VUs | requests/s | p95 | p99 | share of k6 against the limit |",
        args.connections
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, k6) in &k6_rows {
        println!(
            "| {name} | {:.0} | {:.2} ms | {:.2} ms | {:.0}% |",
            k6.rate,
            k6.p95_ms,
            k6.p99_ms,
            100.0 * k6.rate / k6_rows[0].1.rate.max(1e-9)
        );
    }
    let k6_share = k6_rows[1].1.rate / k6_rows[0].1.rate.max(1e-9);
    let local = &rows[1].1;
    let share = local.requests_per_second() / limit;
    let p99 = local.percentile_ms(99.0);
    println!(
        "\ntargets: process mode >= 20% of the limit's throughput: {} ({:.0}%); with k6: {} ({:.0}%); p99 < 5 ms: {} ({:.2} ms)",
        if share >= 0.20 { "met" } else { "NOT met" },
        share * 100.0,
        if k6_share >= 0.20 { "met" } else { "NOT met" },
        k6_share * 100.0,
        if local
            .percentile(99.0)
            .is_some_and(|p| p < Duration::from_millis(5))
        {
            "met"
        } else {
            "NOT met"
        },
        p99
    );
    Ok(ExitCode::SUCCESS)
}

/// What one k6 run measured.
struct K6Figures {
    rate: f64,
    p95_ms: f64,
    p99_ms: f64,
}

/// `k6/step1.js` against `url` with `vus` users for `seconds`.
async fn k6_run(k6: &std::path::Path, url: &str, vus: usize, seconds: u64) -> Result<K6Figures> {
    let summary = tempfile::NamedTempFile::new()?;
    let status = tokio::process::Command::new(k6)
        .arg("run")
        .arg("--quiet")
        .arg("--summary-export")
        .arg(summary.path())
        .arg(crate::paths::root().join("k6/step1.js"))
        .env("BASE_URL", url)
        .env("VUS", vus.to_string())
        .env("DURATION", format!("{seconds}s"))
        .env("K6_SUMMARY_TREND_STATS", "avg,med,p(95),p(99),max")
        .env("K6_NO_USAGE_REPORT", "true")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .await?;
    let text = std::fs::read_to_string(summary.path())?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("k6 ({status}) wrote no summary: {e}"))?;
    let metric = |name: &str, stat: &str| json["metrics"][name][stat].as_f64().unwrap_or(0.0);
    Ok(K6Figures {
        rate: metric("http_reqs", "rate"),
        p95_ms: metric("http_req_duration", "p(95)"),
        p99_ms: metric("http_req_duration", "p(99)"),
    })
}
