//! `cargo xtask compare-moto`: one scenario suite (`tools/sqs_scenarios.py`,
//! boto3) against localcloud's SQS and against moto's server, side by side;
//! prints what each did and where they differ. Which one matches AWS is
//! written up, with links, in `docs/sqs-differences.md`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use xshell::{Shell, cmd};

use crate::tools::LocalcloudProcess;
use crate::{paths, tools};

#[derive(Args)]
pub struct CompareMotoArgs {}

pub fn run(_args: CompareMotoArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    let venv = tools::python_venv(&sh)?;
    let python = venv.join("bin/python");
    let script = paths::root().join("tools/sqs_scenarios.py");

    let localcloud = LocalcloudProcess::start_sqs()?;
    let moto = tools::MotoServer::start(&venv)?;
    let moto_url = moto.url.trim_end_matches('/').to_owned();
    let local_url = localcloud.sqs_url.clone();
    eprintln!("Running the scenarios against localcloud and moto (about 20 s each)...");
    let ours = cmd!(sh, "{python} {script} {local_url}").read();
    let theirs = cmd!(sh, "{python} {script} {moto_url}").read();
    drop(moto);
    let ours: BTreeMap<String, String> = serde_json::from_str(&ours?)?;
    let theirs: BTreeMap<String, String> = serde_json::from_str(&theirs?)?;

    let mut differences = 0;
    println!("| scenario | localcloud | moto | |");
    println!("|---|---|---|---|");
    for (scenario, local) in &ours {
        let other = theirs.get(scenario).map_or("(not run)", String::as_str);
        let same = local == other;
        if !same {
            differences += 1;
        }
        println!(
            "| {scenario} | {local} | {other} | {} |",
            if same { "same" } else { "DIFFERENT" }
        );
    }
    println!(
        "\n{} scenarios, {differences} differences; see docs/sqs-differences.md for which one follows AWS.",
        ours.len()
    );
    Ok(ExitCode::SUCCESS)
}
