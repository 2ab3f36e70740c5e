//! `cargo xtask loadtest <step>`: k6 against a lesson, the way the
//! retrospective load-tested its producer.
//!
//! - the scripts are plain k6 JavaScript in `k6/` (one per lesson, the load
//!   shape from `--vus`, `--duration`, `--rate`);
//! - `--target local` (the default) boots the lesson's stack on free ports
//!   with optimised builds (this command re-runs itself from a release
//!   build), or uses the lesson's running `up`; `--target <URL>` aims at any
//!   server; `--target aws` the deployed stack's `HttpApiUrl` (`--stage`,
//!   `--region` as for the lesson commands);
//! - for lessons with a queue, once k6 is done it waits (bounded) until the
//!   queue drains and prints the pipeline's [`ledger`]: accepted,
//!   processed, duplicates, dlq, queued, lost;
//! - `target/loadtest/<step>-<UTC time>-<pid>/summary.json` holds k6's summary
//!   export and the ledger; `--report` adds k6's HTML report beside it.
//!
//! Exit status: non-zero when a k6 threshold fails or a job is lost.

pub mod ledger;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use localcloud::events::Event;
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::server::CancellationToken;
use tokio::sync::broadcast;

use crate::lesson::stack::{serve_sqs, work_queue};
use crate::lesson::{LessonId, Profile, state};
use crate::paths;
use ledger::Ledger;

#[derive(Args, Debug)]
pub struct LoadtestArgs {
    /// Which lesson's k6 script: k6/<step>.js.
    pub step: Step,
    /// `local` (boot the lesson, or use its running `up`), `aws`, or a base URL.
    #[arg(long, default_value = "local")]
    pub target: String,
    /// Virtual users (with --rate: the most k6 may use, times 4); default 8.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub vus: Option<u32>,
    /// How long: 10s, 1m, 1m30s (at most 1h).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: String,
    /// A constant arrival rate, requests per second, instead of closed-loop
    /// users (step3 defaults to 2: its worker takes 15 s a job).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: Option<u32>,
    /// With --target aws: the stage it was deployed to (default: serverless.yml's, else dev).
    #[arg(long)]
    pub stage: Option<String>,
    /// With --target aws: its region (default: serverless.yml's provider.region).
    #[arg(long)]
    pub region: Option<String>,
    /// Also write k6's HTML report beside the summary.
    #[arg(long)]
    pub report: bool,
    /// Lessons with a queue: set the queue's VisibilityTimeout to this many
    /// seconds before the load (step 3's short timeout: 10).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=43_200))]
    pub visibility: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Step {
    Step1,
    Step2,
    Step3,
}

impl Step {
    fn lesson(self) -> LessonId {
        match self {
            Step::Step1 => LessonId::Step1,
            Step::Step2 => LessonId::Step2,
            Step::Step3 => LessonId::Step3,
        }
    }
}

/// A k6 duration: one or more `<number><unit>` (ms, s, m, h), above zero and
/// at most an hour.
fn parse_duration(text: &str) -> Result<String, String> {
    let bad = || format!("{text:?} is not a duration such as 10s, 1m or 1m30s");
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, tail) = rest.split_at(digits);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        total += match unit {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number * 60),
            "h" => Duration::from_secs(number * 3600),
            _ => return Err(bad()),
        };
        rest = tail;
    }
    if total.is_zero() || total > Duration::from_secs(3600) {
        return Err(format!(
            "{text:?}: a load test runs more than 0 s and at most 1h"
        ));
    }
    Ok(text.to_owned())
}

pub fn run(args: LoadtestArgs) -> Result<ExitCode> {
    let mut args = args;
    if args.step == Step::Step3 && args.rate.is_none() && args.vus.is_none() {
        // Closed-loop users would queue thousands of 15 s jobs in seconds.
        args.rate = Some(2);
    }
    let lesson = args.step.lesson().lesson();
    let script = paths::root().join("k6").join(format!("{}.js", lesson.name));
    let runtime = tokio::runtime::Runtime::new()?;
    // Where to aim, checked before anything is installed or built.
    if args.target != "aws" && (args.stage.is_some() || args.region.is_some()) {
        bail!("--stage and --region name a deployed stack: add --target aws");
    }
    match args.target.as_str() {
        "aws" => {
            if args.visibility.is_some() {
                bail!(
                    "--visibility needs --target local; on AWS set it first with `cargo xtask lesson {} visibility <seconds> --target aws`",
                    lesson.name
                );
            }
            let target = crate::lesson::aws::TargetArgs {
                target: crate::lesson::aws::Target::Aws,
                stage: args.stage.clone(),
                region: args.region.clone(),
            };
            let base = runtime.block_on(async {
                crate::lesson::aws::Deployed::find(&lesson, &target)
                    .await?
                    .http_url()
            })?;
            let k6 = crate::tools::k6(&xshell::Shell::new()?)?;
            let code = runtime.block_on(run_k6(&k6, &script, &args, &base, None))?;
            if lesson.has_queue {
                let name = lesson.name;
                println!(
                    "No ledger on AWS: what the worker did is in CloudWatch (`cargo xtask lesson {name} logs jobsWorker`), what waits in `cargo xtask lesson {name} queue stats --target aws`."
                );
            }
            return Ok(code);
        }
        "local" => {}
        url if url.starts_with("http://") || url.starts_with("https://") => {
            if !runtime.block_on(crate::lesson::endpoint::listens(url)) {
                bail!("nothing listens at {url}: check the address given with --target");
            }
        }
        other => {
            bail!("--target {other:?}: use local, aws, or a URL such as http://127.0.0.1:3000")
        }
    }
    if args.visibility.is_some() && (!lesson.has_queue || args.target != "local") {
        bail!("--visibility needs a lesson with a queue and --target local");
    }
    if args.target != "local" {
        let k6 = crate::tools::k6(&xshell::Shell::new()?)?;
        return runtime.block_on(run_k6(&k6, &script, &args, &args.target, None));
    }
    if let Some(running) = state::find(lesson.name) {
        let k6 = crate::tools::k6(&xshell::Shell::new()?)?;
        println!(
            "Using the running `cargo xtask lesson {} up` at {} (no ledger: only a stack this command boots is counted).",
            lesson.name, running.http_url
        );
        return runtime.block_on(run_k6(&k6, &script, &args, &running.http_url, None));
    }
    // Tests of the command itself (not of speed) may run it as built:
    // XTASK_LOADTEST_AS_BUILT=1 keeps this binary and debug bootstraps.
    let as_built = std::env::var_os("XTASK_LOADTEST_AS_BUILT").is_some();
    if cfg!(debug_assertions) && !as_built {
        // Measure optimised code: the same command from a release build.
        drop(runtime);
        return Ok(crate::rerun::in_release("for the load test"));
    }
    let profile = if cfg!(debug_assertions) {
        Profile::Debug
    } else {
        Profile::Release
    };
    let k6 = crate::tools::k6(&xshell::Shell::new()?)?;
    lesson.build(profile)?;
    runtime.block_on(local(&lesson, &k6, &script, &args, profile))
}

/// Boots the lesson on free ports, loads it, drains it, counts.
async fn local(
    lesson: &crate::lesson::Lesson,
    k6: &Path,
    script: &Path,
    args: &LoadtestArgs,
    profile: Profile,
) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    let sqs = if lesson.has_queue {
        Some(serve_sqs(0, &shutdown).await?)
    } else {
        None
    };
    let logs = Logs::new(false);
    let log_rx = logs.subscribe();
    let settings = LambdaSettings {
        logs,
        // Enough environments that step 3's slow jobs and their duplicates
        // never wait for one (AWS's account default is 1,000).
        default_max_concurrency: if lesson.name == "step3" { 200 } else { 16 },
        ..Default::default()
    };
    let stack = lesson.stack(settings, profile, sqs.clone())?;
    let event_rx = stack.events().subscribe();
    let running = stack.serve(0, shutdown.clone()).await?;
    stack.start_event_sources(shutdown.clone()).await?;
    let counted = match &sqs {
        Some(sqs) => {
            let queue = work_queue(&stack.config)?.name.clone();
            if let Some(seconds) = args.visibility {
                sqs.set_queue_attributes(
                    &queue,
                    std::collections::BTreeMap::from([(
                        "VisibilityTimeout".to_owned(),
                        seconds.to_string(),
                    )]),
                )
                .map_err(|e| anyhow::anyhow!("SetQueueAttributes: {e}"))?;
                println!("The queue's VisibilityTimeout is {seconds} s for this test.");
            }
            Some(Counted::start(sqs.clone(), queue, event_rx, log_rx))
        }
        None => None,
    };
    println!("{}", stack.describe(&running.http_url));
    let code = run_k6(k6, script, args, &running.http_url, counted).await;
    shutdown.cancel();
    stack.lambda.stop_all();
    code
}

/// What a stack this command booted lets it count: a task that reads its
/// events and log lines as they come (a broadcast channel keeps only so
/// many), into the ledger.
struct Counted {
    sqs: localcloud::sqs::Sqs,
    queue: String,
    ledger: std::sync::Arc<std::sync::Mutex<Ledger>>,
}

impl Counted {
    fn start(
        sqs: localcloud::sqs::Sqs,
        queue: String,
        mut events: broadcast::Receiver<Event>,
        mut logs: broadcast::Receiver<LogLine>,
    ) -> Self {
        let ledger = std::sync::Arc::new(std::sync::Mutex::new(Ledger::new(&queue)));
        let shared = ledger.clone();
        tokio::spawn(async move {
            use broadcast::error::RecvError;
            loop {
                let missed = tokio::select! {
                    event = events.recv() => match event {
                        Ok(event) => {
                            lock(&shared).add_event(&event.kind);
                            0
                        }
                        Err(RecvError::Lagged(n)) => n,
                        Err(RecvError::Closed) => return,
                    },
                    line = logs.recv() => match line {
                        Ok(line) => {
                            lock(&shared).add_line(&line.text);
                            0
                        }
                        Err(RecvError::Lagged(n)) => n,
                        Err(RecvError::Closed) => return,
                    },
                };
                if missed > 0 {
                    lock(&shared).missed += missed;
                }
            }
        });
        Self { sqs, queue, ledger }
    }
}

fn lock(ledger: &std::sync::Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|e| e.into_inner())
}

async fn run_k6(
    k6: &Path,
    script: &Path,
    args: &LoadtestArgs,
    base_url: &str,
    counted: Option<Counted>,
) -> Result<ExitCode> {
    // The process id too: two load tests started in the same second (a
    // second terminal, ci's smoke runs beside the tests) get two folders.
    let dir = paths::target_dir().join("loadtest").join(format!(
        "{}-{}-{}",
        script.file_stem().and_then(|s| s.to_str()).unwrap_or("k6"),
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let summary = dir.join("summary.json");
    let report = dir.join("report.html");
    let mut command = tokio::process::Command::new(k6);
    command
        .arg("run")
        .arg("--summary-export")
        .arg(&summary)
        .arg(script)
        .env("BASE_URL", base_url)
        .env("VUS", args.vus.unwrap_or(8).to_string())
        .env("DURATION", &args.duration)
        .env_remove("RATE")
        // k6 asks no one about anything (no usage report).
        .env("K6_NO_USAGE_REPORT", "true")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(rate) = args.rate {
        command.env("RATE", rate.to_string());
    }
    if args.report {
        command
            .env("K6_WEB_DASHBOARD", "true")
            .env("K6_WEB_DASHBOARD_HOST", "127.0.0.1")
            // No dashboard server (-1), a snapshot a second so short runs have data.
            .env("K6_WEB_DASHBOARD_PORT", "-1")
            .env("K6_WEB_DASHBOARD_PERIOD", "1s")
            .env("K6_WEB_DASHBOARD_EXPORT", &report);
    }
    let mut child = command.spawn().context("starting k6")?;
    let status = tokio::select! {
        status = child.wait() => status?,
        signal = crate::signals::stopped() => {
            signal?;
            // Ctrl-C reached k6 too (same terminal); SIGTERM did not: stop it.
            let _ = child.start_kill();
            let _ = child.wait().await;
            bail!("stopped: k6 and the stack it ran against are shut down");
        }
    };
    let ledger = match counted {
        Some(counted) => Some(drain_and_count(counted).await?),
        None => None,
    };
    // k6's summary, with the ledger beside it.
    let mut document: serde_json::Value = std::fs::read_to_string(&summary)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if let (Some(ledger), Some(object)) = (&ledger, document.as_object_mut()) {
        object.insert("ledger".into(), serde_json::to_value(ledger)?);
    }
    std::fs::write(&summary, serde_json::to_string_pretty(&document)?)?;
    if let Some(ledger) = &ledger {
        println!("\n{}", ledger.render());
    }
    println!("summary: {}", relative(&summary));
    if args.report {
        println!("report:  {}", relative(&report));
    }
    let thresholds_ok = status.success();
    if !thresholds_ok {
        println!("k6 reports a failed threshold (exit status {status}): see its summary above.");
    }
    let lost = ledger.as_ref().map_or(0, |l| l.lost);
    if lost > 0 {
        println!("{lost} accepted job(s) are neither processed, in the DLQ, nor queued: lost.");
    }
    Ok(if thresholds_ok && lost == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn relative(path: &Path) -> String {
    path.strip_prefix(paths::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Waits, with a progress bar and a bound, until the queue holds nothing
/// and no invocation runs; then counts.
async fn drain_and_count(counted: Counted) -> Result<Ledger> {
    let bound = Duration::from_secs(180);
    let started = tokio::time::Instant::now();
    let bar = indicatif::ProgressBar::new_spinner();
    let queued = loop {
        let counts = counted.sqs.counts(&counted.queue).unwrap_or_default();
        let waiting = counts.visible + counts.in_flight + counts.delayed;
        let running = lock(&counted.ledger).running();
        bar.set_message(format!(
            "waiting for the queue to drain: {waiting} message(s) left, {running} invocation(s) running"
        ));
        bar.tick();
        if (waiting == 0 && running == 0) || started.elapsed() > bound {
            break waiting;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    bar.finish_and_clear();
    let mut ledger = std::mem::take(&mut *lock(&counted.ledger));
    if ledger.missed > 0 {
        bail!(
            "the ledger missed {} events of the stack (it could not keep up): its counts would be wrong",
            ledger.missed
        );
    }
    ledger.queued = queued;
    ledger.close();
    Ok(ledger)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_k6_durations_within_an_hour() {
        for ok in ["10s", "1m", "1m30s", "500ms", "1h"] {
            assert_eq!(parse_duration(ok).as_deref(), Ok(ok));
        }
        for bad in ["", "10", "s", "ten", "1x", "-5s", "1.5s"] {
            assert!(
                parse_duration(bad)
                    .unwrap_err()
                    .contains("is not a duration"),
                "{bad}"
            );
        }
        for out_of_range in ["0s", "2h"] {
            assert!(
                parse_duration(out_of_range)
                    .unwrap_err()
                    .contains("at most 1h")
            );
        }
    }
}
