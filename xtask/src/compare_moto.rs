//! `cargo xtask compare-moto`: one scenario suite (`tools/sqs_scenarios.py`,
//! boto3) against localcloud's SQS and against moto's server, side by side;
//! prints what each did and where they differ. Which one matches AWS is
//! written up, with links, in `docs/sqs-differences.md`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use xshell::{Shell, cmd};

use crate::sqs_checks::LocalcloudProcess;
use crate::{paths, tools};

#[derive(Args)]
pub struct CompareMotoArgs {}

pub fn run(_args: CompareMotoArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    let venv = tools::python_venv(&sh)?;
    let python = venv.join("bin/python");
    let script = paths::root().join("tools/sqs_scenarios.py");

    let localcloud = LocalcloudProcess::start_sqs()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut moto = std::process::Command::new(venv.join("bin/moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting moto_server")?;
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = moto.kill();
            bail!("moto_server did not start within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let moto_url = format!("http://127.0.0.1:{port}");
    let local_url = localcloud.sqs_url.clone();
    eprintln!("Running the scenarios against localcloud and moto (about 20 s each)...");
    let ours = cmd!(sh, "{python} {script} {local_url}").read();
    let theirs = cmd!(sh, "{python} {script} {moto_url}").read();
    let _ = moto.kill();
    let _ = moto.wait();
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
