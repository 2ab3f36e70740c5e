//! localcloud's SQS and DynamoDB checked by clients nobody on the project
//! wrote: boto3 and the AWS CLI run `tools/sqs_clients_check.py` and
//! `tools/dynamodb_clients_check.py` against `cargo xtask localcloud up`,
//! over TCP on 127.0.0.1 (DynamoDB is served on the SQS endpoint). Part of
//! `cargo xtask ci`; alone: `cargo xtask client-check`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use xshell::{Shell, cmd};

use crate::tools::LocalcloudProcess;
use crate::{paths, tools};

#[derive(Args)]
pub struct ClientCheckArgs {}

/// `cargo xtask client-check`: the checks of [`run_client_checks`] alone.
pub fn run(_args: ClientCheckArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    run_client_checks(&sh)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the boto3 + AWS CLI checks; fails if any check fails.
pub fn run_client_checks(sh: &Shell) -> Result<()> {
    let venv = tools::python_venv(sh)?;
    let localcloud = LocalcloudProcess::start_sqs()?;
    let python = venv.join("bin/python");
    let aws = venv.join("bin/aws");
    let url = &localcloud.sqs_url;
    let sqs = paths::root().join("tools/sqs_clients_check.py");
    cmd!(sh, "{python} {sqs} {url} {aws}")
        .run()
        .context("boto3 / AWS CLI checks against localcloud's SQS failed")?;
    let dynamodb = paths::root().join("tools/dynamodb_clients_check.py");
    cmd!(sh, "{python} {dynamodb} {url} {aws}")
        .run()
        .context("boto3 / AWS CLI checks against localcloud's DynamoDB failed")?;
    Ok(())
}
