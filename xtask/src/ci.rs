//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.
//! `.ci/run` calls exactly this, and so can anyone before pushing.

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
    step("all checks passed");
    Ok(ExitCode::SUCCESS)
}

fn step(what: &str) {
    eprintln!("\n== {what}");
}
