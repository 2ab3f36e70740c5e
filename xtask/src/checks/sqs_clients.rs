//! localcloud's SQS checked by clients nobody on the project wrote: boto3
//! and the AWS CLI run `tools/sqs_clients_check.py` against
//! `cargo xtask localcloud up`, over TCP on 127.0.0.1.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::tools::LocalcloudProcess;
use crate::{paths, tools};

/// Runs the boto3 + AWS CLI checks; fails if any check fails.
pub fn run_client_checks(sh: &Shell) -> Result<()> {
    let venv = tools::python_venv(sh)?;
    let localcloud = LocalcloudProcess::start_sqs()?;
    let python = venv.join("bin/python");
    let aws = venv.join("bin/aws");
    let script = paths::root().join("tools/sqs_clients_check.py");
    let url = &localcloud.sqs_url;
    cmd!(sh, "{python} {script} {url} {aws}")
        .run()
        .context("boto3 / AWS CLI checks against localcloud failed")?;
    Ok(())
}
