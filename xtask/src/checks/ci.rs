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
    step("cargo test");
    cmd!(sh, "cargo test --workspace").run()?;
    step("serverless.yml: localcloud's reading against `osls package` (CloudFormation)");
    super::cfn::run(super::cfn::CfnCheckArgs {})?;
    step("SQS with boto3 and the AWS CLI, against `localcloud up` over TCP");
    super::sqs_clients::run_client_checks(&sh)?;
    step("all checks passed");
    Ok(ExitCode::SUCCESS)
}

fn step(what: &str) {
    eprintln!("\n== {what}");
}
