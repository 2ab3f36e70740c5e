//! `invoke` and `loop`: the retrospective's curl and its shell loop, against
//! the lesson's route. Where to send: `--url` (a stack's base URL, to which
//! the lesson's route is added; a full route URL works too), else the
//! lesson's running `up`, else the default `http://127.0.0.1:3000`; with
//! `--target aws`, the deployed stack's `HttpApiUrl` output.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use localcloud::client::{ClientError, HttpClient};

#[cfg(feature = "sdk")]
use super::aws::Deployed;
use super::aws::TargetArgs;
use super::stack::Lesson;
use super::state;
use crate::stats::LoadStats;

#[derive(Args)]
pub struct InvokeArgs {
    /// The body, e.g. '{"input": 1}' (single quotes keep the shell off it).
    pub body: String,
    /// Send the body as is, even when it is not JSON (to see the function's own 400).
    #[arg(long)]
    pub raw: bool,
    /// The stack's base URL (default: the lesson's running `up`).
    #[arg(long)]
    pub url: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Args)]
pub struct LoopArgs {
    /// How many requests: {"input": 1} .. {"input": count}.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: u32,
    /// The stack's base URL (default: the lesson's running `up`).
    #[arg(long)]
    pub url: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Where a URL came from, to say what to do when nothing answers there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    RunningUp,
    Default,
    /// The deployed stack's outputs (`--target aws`).
    Aws,
}

/// The lesson's route at `base`: a base URL (no path, or `/`) gets the
/// route added; a URL with a path is taken as the full route URL.
pub fn route_url(base: &str, route: &str) -> String {
    let base = base.trim_end_matches('/');
    let has_path = base
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        base.to_owned()
    } else {
        format!("{base}{route}")
    }
}

/// The URL to post to and where it came from, `--target aws` included.
pub async fn resolve(
    lesson: &Lesson,
    url: Option<&str>,
    target_args: &TargetArgs,
) -> Result<(String, Source)> {
    if target_args.is_aws()? {
        if url.is_some() {
            bail!("--url and --target aws both say where the API is: pass one");
        }
        #[cfg(feature = "sdk")]
        {
            let deployed = Deployed::find(lesson, target_args).await?;
            return Ok((route_url(&deployed.http_url()?, lesson.route), Source::Aws));
        }
        // The stack's outputs are read with CloudFormation's SDK: straight
        // to `xtask-aws`.
        #[cfg(not(feature = "sdk"))]
        return Err(crate::aws_sdks::NeedsAwsCommands.into());
    }
    Ok(target(lesson, url))
}

/// The URL to post to, and where it came from.
pub fn target(lesson: &Lesson, url: Option<&str>) -> (String, Source) {
    if let Some(url) = url {
        return (route_url(url, lesson.route), Source::Flag);
    }
    match state::find(lesson.name) {
        Some(running) => (
            route_url(&running.http_url, lesson.route),
            Source::RunningUp,
        ),
        None => (
            route_url("http://127.0.0.1:3000", lesson.route),
            Source::Default,
        ),
    }
}

/// The default address is taken by another lesson's `up`: say so, rather
/// than send this lesson's request to the wrong stack.
pub fn other_lesson_at(lesson: &Lesson, url: &str) -> Option<String> {
    ["step1", "step2", "step3"]
        .into_iter()
        .filter(|name| *name != lesson.name)
        .find_map(|name| {
            let running = state::find(name)?;
            url.starts_with(&running.http_url).then(|| {
                format!(
                    "{} is served by `cargo xtask lesson {name} up`, not {}: start `cargo xtask lesson {} up --port 3001` (its commands then find it), or pass --url",
                    running.http_url, lesson.name, lesson.name
                )
            })
        })
}

/// What to say when `url` cannot be reached.
pub fn unreachable(lesson: &Lesson, url: &str, source: Source, flag: &str) -> String {
    let name = lesson.name;
    match source {
        Source::Flag => format!("nothing listens at {url} (from {flag}): check the address"),
        Source::RunningUp => format!(
            "nothing answers at {url}, where `cargo xtask lesson {name} up` was serving: is it still running?"
        ),
        Source::Default => format!(
            "nothing listens at {url}: start the lesson with `cargo xtask lesson {name} up`, or pass {flag} with the address of a running stack"
        ),
        Source::Aws => format!(
            "nothing answers at {url}, the deployed stack's address: check your network, and `cargo xtask lesson {name} info`"
        ),
    }
}

fn describe(lesson: &Lesson, url: &str, source: Source, e: &ClientError) -> String {
    match e {
        ClientError::Unreachable { reason, .. } if reason.contains("Connection refused") => {
            unreachable(lesson, url, source, "--url")
        }
        other => other.to_string(),
    }
}

/// Whether something accepts TCP connections at the URL's host and port.
pub async fn listens(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let (Some(host), port) = (uri.host(), uri.port_u16()) else {
        return false;
    };
    let port = port.unwrap_or(if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    });
    tokio::time::timeout(
        std::time::Duration::from_secs(3),
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    .is_ok_and(|c| c.is_ok())
}

pub async fn invoke(lesson: &Lesson, args: &InvokeArgs) -> Result<ExitCode> {
    if !args.raw
        && let Err(e) = serde_json::from_str::<serde_json::Value>(&args.body)
    {
        bail!(
            "the body is not JSON ({e}); pass it in single quotes, e.g. '{{\"input\": 1}}', or add --raw to send it as is"
        );
    }
    let (url, source) = resolve(lesson, args.url.as_deref(), &args.target).await?;
    if source == Source::Default
        && let Some(other) = other_lesson_at(lesson, &url)
    {
        bail!(other);
    }
    let answer = HttpClient::new()
        .post_json(&url, args.body.clone())
        .await
        .map_err(|e| anyhow::anyhow!(describe(lesson, &url, source, &e)))?;
    println!("POST {url}\n{}", args.body);
    println!("-> {}\n{}", answer.status, answer.body_text());
    Ok(if answer.status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The retrospective's `for i in ...; do curl ...; done`, with a progress bar.
pub async fn run_loop(lesson: &Lesson, args: &LoopArgs) -> Result<ExitCode> {
    let (url, source) = resolve(lesson, args.url.as_deref(), &args.target).await?;
    if source == Source::Default
        && let Some(other) = other_lesson_at(lesson, &url)
    {
        bail!(other);
    }
    let count = args.count as usize;
    let client = HttpClient::new();
    // Fail with one line before drawing a bar when nothing listens at all.
    if !listens(&url).await {
        bail!(unreachable(lesson, &url, source, "--url"));
    }
    let next = Arc::new(AtomicUsize::new(1));
    let bar = indicatif::ProgressBar::new(count as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..(args.concurrency as usize).min(count) {
        let client = client.clone();
        let next = next.clone();
        let bar = bar.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures: Vec<String> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i > count {
                    break;
                }
                let sent = Instant::now();
                match client.post_json(&url, format!(r#"{{"input": {i}}}"#)).await {
                    Ok(answer) if answer.status.is_success() => latencies.push(sent.elapsed()),
                    Ok(answer) => failures.push(format!(
                        "{{\"input\": {i}}}: {} {}",
                        answer.status,
                        answer.body_text()
                    )),
                    Err(e) => failures.push(format!("{{\"input\": {i}}}: {e}")),
                }
                bar.inc(1);
            }
            (latencies, failures)
        }));
    }
    let mut stats = LoadStats::default();
    let mut failures = Vec::new();
    for task in tasks {
        let (l, f) = task.await?;
        stats.latencies.extend(l);
        failures.extend(f);
    }
    stats.errors = failures.len();
    stats.elapsed = started.elapsed();
    bar.finish();
    println!("POST {url}");
    match (stats.percentile(50.0), stats.percentile(99.0)) {
        (Some(p50), Some(p99)) => println!(
            "ok {}, failed {}, latency p50 {:.2} ms, p99 {:.2} ms",
            stats.latencies.len(),
            stats.errors,
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        ),
        _ => println!("ok 0, failed {}", stats.errors),
    }
    if let Some(first) = failures.first() {
        println!("first failure: {first}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gets_the_route_and_a_route_url_is_kept() {
        assert_eq!(
            route_url("http://127.0.0.1:3950", "/produce"),
            "http://127.0.0.1:3950/produce"
        );
        assert_eq!(
            route_url("http://127.0.0.1:3950/", "/produce"),
            "http://127.0.0.1:3950/produce"
        );
        assert_eq!(
            route_url("http://127.0.0.1:3950/produce", "/produce"),
            "http://127.0.0.1:3950/produce"
        );
        assert_eq!(
            route_url("http://127.0.0.1:3000", "/"),
            "http://127.0.0.1:3000/"
        );
        assert_eq!(
            route_url(
                "https://abc.execute-api.ap-northeast-2.amazonaws.com/",
                "/produce"
            ),
            "https://abc.execute-api.ap-northeast-2.amazonaws.com/produce"
        );
    }
}
