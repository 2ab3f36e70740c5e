//! `cargo xtask compare-moto`: two scenario suites (`tools/sqs_scenarios.py`
//! and `tools/dynamodb_scenarios.py`, boto3) against localcloud (SQS and
//! DynamoDB on one endpoint) and against moto's server, side by side;
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

/// The suites: a title and the script, run with the endpoint as argument.
const SUITES: [(&str, &str); 2] = [
    ("SQS", "tools/sqs_scenarios.py"),
    ("DynamoDB", "tools/dynamodb_scenarios.py"),
];

pub fn run(_args: CompareMotoArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    let venv = tools::python_venv(&sh)?;
    let python = venv.join("bin/python");

    let localcloud = LocalcloudProcess::start_sqs()?;
    let moto = tools::MotoServer::start(&venv)?;
    let moto_url = moto.url.trim_end_matches('/').to_owned();
    let local_url = localcloud.sqs_url.clone();
    eprintln!("Running the scenarios against localcloud and moto (about 25 s each)...");
    let mut results = Vec::new();
    for (title, script) in SUITES {
        let script = paths::root().join(script);
        let ours = cmd!(sh, "{python} {script} {local_url}").read();
        let theirs = cmd!(sh, "{python} {script} {moto_url}").read();
        let ours: BTreeMap<String, String> = serde_json::from_str(&ours?)?;
        let theirs: BTreeMap<String, String> = serde_json::from_str(&theirs?)?;
        results.push((title, ours, theirs));
    }
    drop(moto);

    for (title, ours, theirs) in &results {
        let mut differences = 0;
        println!("\n## {title}\n");
        println!("| scenario | localcloud | moto | |");
        println!("|---|---|---|---|");
        for (scenario, local) in ours {
            let other = theirs.get(scenario).map_or("(not run)", String::as_str);
            let same = local == other;
            if !same {
                differences += 1;
            }
            // One table row each, whatever the observation holds.
            let cell = |text: &str| text.replace('\n', " ").replace('|', "\\|");
            println!(
                "| {} | {} | {} | {} |",
                cell(scenario),
                cell(local),
                cell(other),
                if same { "same" } else { "DIFFERENT" }
            );
        }
        println!(
            "\n{title}: {} scenarios, {differences} differences.",
            ours.len()
        );
    }
    println!("\nSee docs/sqs-differences.md for which one follows AWS.");
    Ok(ExitCode::SUCCESS)
}
