//! `cargo xtask bench <target>`: speed, measured side by side in one run
//! with a reference on the same machine, reported as ratios (machines are
//! shared and noisy; only same-run comparisons mean anything). Always on an
//! optimised build: from a debug build this command re-runs itself with
//! `--release`.
//!
//! - [`step1`]: HTTP API + Lambda in process mode vs a bare hyper server;
//! - [`step2`]: the step-2 pipeline with localcloud's SQS vs moto's;
//! - [`sqs`]: localcloud's SQS vs moto's server, same client;
//! - [`load`]: the closed-loop HTTP load generator they share.

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
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    if cfg!(debug_assertions) {
        // Measure optimised code: run this same command from a release build.
        return Ok(crate::rerun::in_release("for the benchmark"));
    }
    if args.connections == 0 || args.seconds == 0 || args.environments == 0 {
        bail!("--connections, --seconds and --environments must be at least 1");
    }
    match args.target {
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
