//! `cargo xtask bench <target>`: speed, measured side by side in one run
//! with a reference on the same machine, reported as ratios (machines are
//! shared and noisy; only same-run comparisons mean anything). Always on an
//! optimised build: from a debug build this command re-runs itself with
//! `--release`.
//!
//! - [`step1`]: HTTP API + Lambda in process mode vs a bare hyper server;
//! - [`step2`]: the step-2 pipeline with localcloud's SQS vs moto's;
//! - [`sqs`]: localcloud's SQS vs moto's server, same client;
//! - [`exercises`]: the learner's loop, `exercise check` after a one-line edit;
//! - [`load`]: the closed-loop HTTP load generator they share.

mod exercises;
mod load;
mod sqs;
mod step1;
mod step2;

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use crate::lesson::{LessonId, Profile};

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
    /// `cargo xtask exercise check` after a one-line edit, beside the compile alone (debug, as a learner runs it).
    Exercises,
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    // `exercises` times what a learner waits for, their debug builds, from
    // outside: the runner's own build does not matter there.
    if cfg!(debug_assertions) && !matches!(args.target, BenchTarget::Exercises) {
        // Measure optimised code: run this same command from a release build.
        return Ok(crate::rerun::in_release("for the benchmark"));
    }
    if args.connections == 0 || args.seconds == 0 || args.environments == 0 {
        bail!("--connections, --seconds and --environments must be at least 1");
    }
    match args.target {
        BenchTarget::Exercises => exercises::bench(),
        BenchTarget::Step1 => {
            let lesson = LessonId::Step1.lesson();
            lesson.build(Profile::Release)?;
            tokio::runtime::Runtime::new()?.block_on(step1::bench(&lesson, &args))
        }
        BenchTarget::Step2 => {
            let lesson = LessonId::Step2.lesson();
            lesson.build(Profile::Release)?;
            let venv = crate::tools::python_venv(&xshell::Shell::new()?)?;
            tokio::runtime::Runtime::new()?.block_on(step2::bench(
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
            tokio::runtime::Runtime::new()?.block_on(sqs::bench(
                &venv,
                args.seconds,
                args.depth,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One k6 run of `script` (in k6/) with `env` (the script's settings:
/// VUS, DURATION, its URLs), quiet; k6's summary, as JSON, and a reader of
/// one statistic of one metric (0 when absent).
async fn k6_summary(
    k6: &std::path::Path,
    script: &str,
    env: &[(&str, String)],
) -> Result<impl Fn(&str, &str) -> f64> {
    let summary = tempfile::NamedTempFile::new()?;
    let status = tokio::process::Command::new(k6)
        .arg("run")
        .arg("--quiet")
        .arg("--summary-export")
        .arg(summary.path())
        .arg(crate::paths::root().join("k6").join(script))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("K6_SUMMARY_TREND_STATS", "avg,med,p(95),p(99),max")
        .env("K6_NO_USAGE_REPORT", "true")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .await?;
    let text = std::fs::read_to_string(summary.path())?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("k6 ({status}) wrote no summary: {e}"))?;
    Ok(move |name: &str, stat: &str| json["metrics"][name][stat].as_f64().unwrap_or(0.0))
}
