//! `cargo xtask setup`: installs the external tools, pinned, into
//! project-local folders (`.tools/`, `node_modules/`). Commands that need a tool install it
//! themselves too; this does it ahead of time.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use xshell::Shell;

use crate::tools;

#[derive(Args)]
pub struct SetupArgs {}

pub fn run(_args: SetupArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    let venv = tools::python_venv(&sh)?;
    println!(
        "Python tools (boto3, AWS CLI, moto server, k6): {}",
        venv.display()
    );
    let lambda = tools::lambda_venv(&sh)?;
    println!(
        "cargo-lambda and zig (builds for AWS): {}",
        lambda.display()
    );
    tools::rust_target(&sh, "aarch64-unknown-linux-gnu")?;
    println!("Rust standard library for aarch64-unknown-linux-gnu: installed");
    let modules = tools::node_modules(&sh)?;
    println!(
        "Serverless Framework v3 (osls) and serverless-lift: {}",
        modules.display()
    );
    Ok(ExitCode::SUCCESS)
}
