//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.
//! `.ci/run` calls exactly this, and so can anyone before pushing. It
//! installs what it needs itself (the pinned Python tools in `.tools/`,
//! osls in `node_modules/`, Chromium from apt).
//!
//! Where the time goes, and how it is kept short on a 2-core machine:
//!
//! - **One compilation of the workspace for clippy and the tests.** `cargo
//!   clippy` is `cargo check` with clippy's driver as the compiler of the
//!   workspace's own crates, and a check builds every dependency a second
//!   time in metadata-only form. Here the test build itself runs with
//!   clippy's driver (`RUSTC_WORKSPACE_WRAPPER`, as `cargo clippy` sets it),
//!   so the same lints, warnings denied, come out of the one build the tests
//!   need; dependencies are compiled once, by rustc, as in any build.
//! - **The runner's compilation is the tests'.** `cargo xtask ci` starts in
//!   the runner without the AWS SDK, which runs it again in `xtask-sdk`
//!   built under clippy too ([`crate::aws_sdks::run_in`]): the library,
//!   localcloud and the lessons compiled for that runner are the ones the
//!   test build links (188 s -> 158 s for that build in a fresh clone's `ci`).
//! - **One build per dependency:** `shared/workspace-hack` gives each
//!   dependency the same features in the runner's build and the tests'.
//! - **Downloads while compiling:** the Python tools, osls and Chromium
//!   install on another thread while cargo compiles.
//! - **Waiting checks side by side:** most tests wait on processes and
//!   timers, so at least 8 run at a time, and `cfn-check` (node), the moto
//!   rehearsal, the boto3/AWS CLI checks and the k6 smoke runs run meanwhile,
//!   each in a process of its own, its output printed whole afterwards.
//!
//! Each step prints how long it took, and the run ends with the table.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use xshell::{Shell, cmd};

use crate::{paths, tools};

#[derive(Args)]
pub struct CiArgs {}

/// The steps done so far and their times.
struct Steps {
    current: Option<(String, Instant)>,
    done: Vec<(String, Duration)>,
    started: Instant,
}

impl Steps {
    fn new() -> Self {
        Self {
            current: None,
            done: Vec::new(),
            started: Instant::now(),
        }
    }

    fn start(&mut self, what: &str) {
        self.finish();
        eprintln!("\n== {what}");
        self.current = Some((what.to_owned(), Instant::now()));
    }

    fn finish(&mut self) {
        if let Some((what, since)) = self.current.take() {
            let took = since.elapsed();
            eprintln!("== ({} s)", took.as_secs());
            self.done.push((what, took));
        }
    }

    fn table(&mut self) {
        self.finish();
        eprintln!("\n| step | seconds |\n|---|---:|");
        for (what, took) in &self.done {
            eprintln!("| {what} | {} |", took.as_secs());
        }
        eprintln!("| all | {} |", self.started.elapsed().as_secs());
    }
}

/// The learner's exercise crates (`exercises/<name>/`): left out of every
/// step, so a learner's work, finished, half-written or not compiling,
/// never turns the workshop's test red. Their starting points are judged
/// through the proofs' copies in `xtask/starters/` (see exercise/starter.rs).
fn learners_packages() -> Result<Vec<String>> {
    let catalog = crate::exercise::catalog::Catalog::load()?;
    Ok(catalog
        .exercises
        .iter()
        .filter_map(|e| e.package.clone())
        .collect())
}

/// The workspace's packages, but the learner's.
fn workshop_packages(learners: &[String]) -> Result<Vec<String>> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .current_dir(paths::root())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .context("cannot run cargo metadata")?;
    anyhow::ensure!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    Ok(metadata["packages"]
        .as_array()
        .context("cargo metadata: no packages")?
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|name| !learners.iter().any(|l| l == name))
        .map(str::to_owned)
        .collect())
}

pub fn run(_args: CiArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    sh.change_dir(paths::root());
    let learners = learners_packages()?;
    let work =
        crate::exercise::starter::learners_work(&crate::exercise::catalog::Catalog::load()?)?;
    if work.is_empty() {
        eprintln!(
            "exercises/: the starting points. ci tests the workshop (the lessons, and the starting points through xtask/starters/), never exercises/."
        );
    } else {
        eprintln!(
            "exercises/ holds your own work ({} file(s) changed): ci tests the workshop (the lessons, and the starting points through xtask/starters/) and leaves exercises/ as it is. / exercises/의 내 작업({}개 파일)은 검사하지도 바꾸지도 않습니다.",
            work.len(),
            work.len()
        );
    }
    let excluded: Vec<String> = learners
        .iter()
        .flat_map(|p| ["--exclude".to_owned(), p.clone()])
        .collect();
    let excluded = &excluded;
    let formatted: Vec<String> = workshop_packages(&learners)?
        .into_iter()
        .flat_map(|p| ["--package".to_owned(), p])
        .collect();
    let mut steps = Steps::new();
    steps.start("cargo fmt --check");
    cmd!(sh, "cargo fmt {formatted...} -- --check").run()?;

    // The tests build the runner with the AWS SDK (feature `sdk`); `cargo
    // xtask` builds it without, and that build is judged here: cargo replays
    // its warnings (it is fresh, `cargo xtask` has just built it).
    steps.start("cargo xtask's own build (without the AWS SDK): no warnings");
    let output = cmd!(sh, "cargo build --package xtask --message-format short")
        // The plain build `cargo xtask` made, not one under clippy.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .ignore_status()
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(
        output.status.success() && !stderr.contains("warning"),
        "`cargo build -p xtask` (the runner without the AWS SDK) warns or fails:\n{stderr}"
    );

    // Network work on its own thread while the build keeps both cores busy;
    // joined before any test runs (the tests use these tools). Each tool
    // is tried again, with its error, where it is used.
    let tools = std::thread::spawn(|| {
        let sh = Shell::new()?;
        crate::tools::setup::browser();
        tools::python_venv(&sh)?;
        tools::node_modules(&sh)?;
        anyhow::Ok(())
    });

    steps.start("cargo clippy (warnings denied) and the test build, in one compilation");
    let clippy = crate::rerun::under_clippy().context(
        "clippy's driver is missing beside rustc: add clippy (`rustup component add clippy`)",
    )?;
    let clippy = clippy.to_vec();
    cmd!(
        sh,
        "cargo test --workspace {excluded...} --all-targets --no-run --quiet"
    )
    .envs(clippy.iter().cloned())
    .env_remove("XTASK_UP_DIR")
    .run()
    .context("clippy or the build failed (the messages above say where)")?;

    steps.start("the tools (Python venv, osls, Chromium), installed meanwhile");
    match tools.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            eprintln!("a tool failed to install: {e:#} (the step that needs it will say)")
        }
        Err(_) => eprintln!("installing the tools panicked (the step that needs them will say)"),
    }

    // While the tests run, which mostly wait on real processes, browsers
    // and timers (about 27 s of CPU in 60 s on 2 cores), the checks that
    // wait too: `osls package` (node, no ports), the moto rehearsal, the
    // boto3/AWS CLI checks and the k6 smoke runs, each in a process of its
    // own on free ports, its output kept and printed whole when the tests
    // are done. Their `up` state files go to a folder of their own
    // (`XTASK_UP_DIR`), so they never reach a stack a test started.
    let this = crate::paths::this_exe()?;
    let checks_up_dir = tempfile::tempdir().context("a folder for the checks' state files")?;
    let cfn_check = {
        let this = this.clone();
        std::thread::spawn(move || {
            std::process::Command::new(this)
                .arg("cfn-check")
                .current_dir(paths::root())
                .output()
        })
    };
    let checks = [
        // Each lesson's stack created in moto, then `--target aws` commands:
        // in `xtask-aws`, built and run the way a learner's first AWS command is.
        (
            "the AWS path without AWS: each lesson's stack created in moto, then `--target aws` commands",
            vec![vec!["deploy-rehearsal"]],
        ),
        (
            "SQS and DynamoDB with boto3 and the AWS CLI, against `localcloud up` over TCP",
            vec![vec!["client-check"]],
        ),
        // A smoke run of each script and of the ledger, not a measurement:
        // this binary and debug bootstraps, rather than a second, release
        // build of everything (speed is `cargo xtask bench`'s). The 15 s
        // worker: a few jobs, then the drain waits for them.
        (
            "k6: each lesson's script for a few seconds against a local stack",
            vec![
                vec!["loadtest", "step1", "--duration", "3s", "--vus", "4"],
                vec!["loadtest", "step2", "--duration", "3s", "--vus", "4"],
                vec!["loadtest", "step3", "--duration", "3s", "--rate", "2"],
            ],
        ),
    ];
    let running: Vec<_> = checks
        .into_iter()
        .map(|(what, commands)| {
            let this = this.clone();
            let clippy = clippy.clone();
            let up_dir = checks_up_dir.path().to_owned();
            let handle = std::thread::spawn(move || -> (Duration, Result<String>) {
                let started = Instant::now();
                let mut text = String::new();
                for args in commands {
                    let output = std::process::Command::new(&this)
                        .args(&args)
                        .current_dir(paths::root())
                        // `xtask-aws` (deploy-rehearsal) built on the tests'
                        // compilation of the library, under clippy as well.
                        .envs(clippy.iter().cloned())
                        .env("XTASK_UP_DIR", &up_dir)
                        .env("XTASK_LOADTEST_AS_BUILT", "1")
                        // The test build made the bootstraps (target/debug/<binary>).
                        .env("XTASK_NO_BUILD", "1")
                        .output();
                    let output = match output {
                        Ok(output) => output,
                        Err(e) => return (started.elapsed(), Err(e.into())),
                    };
                    text.push_str(&format!("$ cargo xtask {}\n", args.join(" ")));
                    text.push_str(&String::from_utf8_lossy(&output.stdout));
                    text.push_str(&String::from_utf8_lossy(&output.stderr));
                    if !output.status.success() {
                        return (
                            started.elapsed(),
                            Err(anyhow::anyhow!(
                                "{text}\n`cargo xtask {}` failed",
                                args.join(" ")
                            )),
                        );
                    }
                }
                (started.elapsed(), Ok(text))
            });
            (what, handle)
        })
        .collect();

    steps.start(
        "cargo test, and meanwhile `cfn-check`, the moto rehearsal, the boto3/AWS CLI checks, k6 smoke runs",
    );
    // Most tests wait, few compute: one test per core left a 2-core machine
    // idle most of the time (the runner's unit tests: 18 s with 2 threads,
    // 10 s with 8).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(8)
        .to_string();
    let tests = cmd!(
        sh,
        "cargo test --workspace {excluded...} -- --test-threads {threads}"
    )
    .envs(clippy.iter().cloned())
    // The tests choose where their stacks' state files go.
    .env_remove("XTASK_UP_DIR")
    .run();

    // Every check's output, whatever the tests did: each ran to its end.
    steps.start("the checks run beside the tests: what they printed");
    let mut failed = Vec::new();
    eprintln!("\n-- serverless.yml: localcloud's reading against `osls package` (CloudFormation)");
    match cfn_check.join() {
        Ok(Ok(output)) => {
            print!("{}", String::from_utf8_lossy(&output.stdout));
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            if !output.status.success() {
                failed.push("cfn-check: localcloud's reading of serverless.yml differs from `osls package` (above)".to_owned());
            }
        }
        Ok(Err(e)) => failed.push(format!("cfn-check: cannot run it: {e}")),
        Err(_) => failed.push("cfn-check: its thread panicked".to_owned()),
    }
    for (what, handle) in running {
        let (took, result) = handle
            .join()
            .unwrap_or_else(|_| (Duration::ZERO, Err(anyhow::anyhow!("its thread panicked"))));
        eprintln!("\n-- {what} ({} s)", took.as_secs());
        match result {
            Ok(text) => eprint!("{text}"),
            Err(e) => {
                eprintln!("{e:#}");
                failed.push(what.to_owned());
            }
        }
    }
    drop(checks_up_dir);
    if tests.is_err() {
        failed.insert(
            0,
            "cargo test (its messages are above the checks' output)".to_owned(),
        );
    }
    anyhow::ensure!(failed.is_empty(), "failed: {}", failed.join("; "));
    steps.table();
    eprintln!("\n== all checks passed");
    Ok(ExitCode::SUCCESS)
}
