//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.
//! `.ci/run` calls exactly this, and so can anyone before pushing. It
//! installs what it needs itself (the pinned Python tools in `.tools/`).

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use xshell::{Shell, cmd};

use crate::paths;

#[derive(Args)]
pub struct CiArgs {}

pub fn run(_args: CiArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    sh.change_dir(paths::root());
    step("cargo fmt --check");
    cmd!(sh, "cargo fmt --all -- --check").run()?;
    step("cargo clippy (warnings denied)");
    cmd!(
        sh,
        "cargo clippy --workspace --all-targets --quiet -- -D warnings"
    )
    .run()?;
    step("Chromium and chromedriver, for the console's browser test");
    crate::tools::setup::browser();
    step("cargo test");
    cmd!(sh, "cargo test --workspace").run()?;
    step("serverless.yml: localcloud's reading against `osls package` (CloudFormation)");
    super::cfn::run(super::cfn::CfnCheckArgs {})?;
    step(
        "the AWS path without AWS: each lesson's stack created in moto, then `--target aws` commands",
    );
    super::rehearsal::run(super::rehearsal::RehearsalArgs {})?;
    step("SQS with boto3 and the AWS CLI, against `localcloud up` over TCP");
    super::sqs_clients::run_client_checks(&sh)?;
    // A smoke run of each script and of the ledger, not a measurement: this
    // binary and the debug bootstraps `cargo test` just built, rather than a
    // second, release build of everything (speed is `cargo xtask bench`'s).
    step("k6: each lesson's script for a few seconds against a local stack");
    let this = crate::paths::this_exe()?;
    for (step, shape) in [
        ("step1", ["--vus", "4"]),
        ("step2", ["--vus", "4"]),
        // The 15 s worker: a few jobs, then the drain waits for them.
        ("step3", ["--rate", "2"]),
    ] {
        cmd!(sh, "{this} loadtest {step} --duration 3s {shape...}")
            .env("XTASK_LOADTEST_AS_BUILT", "1")
            .run()?;
    }
    step("all checks passed");
    Ok(ExitCode::SUCCESS)
}

fn step(what: &str) {
    eprintln!("\n== {what}");
}
