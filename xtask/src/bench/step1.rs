//! `cargo xtask bench step1`: `POST /` through localcloud in process mode
//! (HTTP API -> Runtime API -> the real `step1-api` process and back)
//! against a bare hyper server that answers the same JSON in-process (the
//! physical limit here), and the same stack with the handler in process
//! (the emulator's own cost), and the peer a Rust user would pick instead:
//! `cargo lambda watch --release` (the pinned cargo-lambda's emulator, the
//! same function behind its function URL, as many instances as localcloud
//! may start). Then k6 (`k6/step1.js`) against the limit, localcloud and
//! cargo-lambda, as `cargo xtask loadtest step1` drives them.

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

    // The peer: cargo-lambda's emulator, the same function, built by it.
    let peer = CargoLambdaWatch::start(lesson, args.environments).await?;

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
        ("cargo lambda watch --release (peer)", &peer.url),
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
        ("k6 -> cargo lambda watch --release (peer)", &peer.url),
    ] {
        k6_rows.push((
            name,
            k6_run(&k6, url, args.connections, args.seconds).await?,
        ));
    }
    drop(peer);
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
    let ahead = local.requests_per_second() / rows[3].1.requests_per_second().max(1e-9);
    let k6_ahead = k6_rows[1].1.rate / k6_rows[2].1.rate.max(1e-9);
    println!(
        "\nagainst the peer: process mode is {ahead:.2}x cargo lambda watch's throughput ({}), {k6_ahead:.2}x with k6 ({})",
        if ahead > 1.0 { "ahead" } else { "NOT ahead" },
        if k6_ahead > 1.0 { "ahead" } else { "NOT ahead" },
    );
    println!(
        "targets: process mode >= 20% of the limit's throughput: {} ({:.0}%); with k6: {} ({:.0}%); p99 < 5 ms: {} ({:.2} ms)",
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
    let env = [
        ("BASE_URL", url.to_owned()),
        ("VUS", vus.to_string()),
        ("DURATION", format!("{seconds}s")),
    ];
    let metric = super::k6_summary(k6, "step1.js", &env).await?;
    Ok(K6Figures {
        rate: metric("http_reqs", "rate"),
        p95_ms: metric("http_req_duration", "p(95)"),
        p99_ms: metric("http_req_duration", "p(99)"),
    })
}

/// `cargo lambda watch --release` serving the lesson's function on
/// 127.0.0.1 (its function URL), in a process group of its own; stopped,
/// with the function processes it started, when dropped.
struct CargoLambdaWatch {
    child: std::process::Child,
    url: String,
}

impl CargoLambdaWatch {
    async fn start(lesson: &Lesson, environments: usize) -> Result<Self> {
        use std::os::unix::process::CommandExt;
        let venv = crate::tools::lambda_venv(&xshell::Shell::new()?)?;
        let port = localcloud::server::bind_loopback(0)
            .await?
            .local_addr()?
            .port();
        let (_, binary) = lesson.binaries[0];
        let mut command = std::process::Command::new(venv.join("bin/cargo-lambda"));
        command
            .current_dir(crate::paths::root())
            .args([
                "lambda",
                "watch",
                "--release",
                "--quiet",
                "--ignore-changes",
            ])
            .args(["--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .args(["--concurrency", &environments.to_string()])
            .args(["--package", lesson.package, "--bin", binary])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0);
        eprintln!(
            "Starting cargo lambda watch --release (it builds the function the first time)..."
        );
        let peer = Self {
            child: command.spawn()?,
            url: format!("http://127.0.0.1:{port}/lambda-url/{binary}/"),
        };
        // Its first answer comes once its own release build is done.
        let client = localcloud::client::HttpClient::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(900);
        loop {
            let answer = client
                .post_json(&peer.url, Bytes::from_static(br#"{"input": 1}"#))
                .await;
            match answer {
                Ok(answer) if answer.status == http::StatusCode::OK => return Ok(peer),
                _ if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                other => anyhow::bail!(
                    "cargo lambda watch did not answer 200 at {} within 15 minutes: {}",
                    peer.url,
                    match other {
                        Ok(answer) => format!("{} {}", answer.status, answer.body_text()),
                        Err(e) => e.to_string(),
                    }
                ),
            }
        }
    }
}

impl Drop for CargoLambdaWatch {
    fn drop(&mut self) {
        // The whole group: cargo-lambda and the function processes it started.
        let group = self.child.id() as i32;
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
