//! `cargo xtask setup`: installs the external tools, pinned, into
//! project-local folders (`.tools/`, `node_modules/`). Commands that need a tool install it
//! themselves too; this does it ahead of time.
//!
//! One exception to "project-local": the console's browser test
//! (`xtask/tests/it/console_browser.rs`) drives Chromium through chromedriver,
//! which come as Debian packages ([`browser`]): installed with apt-get when
//! missing and when this user may (root, or sudo without a password),
//! otherwise one line says how.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use xshell::Shell;

use crate::tools;

#[derive(Args)]
pub struct SetupArgs {}

pub fn run(_args: SetupArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    // Every tool is tried, so that one run says everything that is missing
    // (offline, say), each with its own reason.
    let steps: [(&str, &dyn Fn() -> Result<String>); 4] = [
        ("Python tools (boto3, AWS CLI, moto server, k6)", &|| {
            Ok(tools::python_venv(&sh)?.display().to_string())
        }),
        ("cargo-lambda and zig (builds for AWS)", &|| {
            Ok(tools::lambda_venv(&sh)?.display().to_string())
        }),
        (
            "Rust standard library for aarch64-unknown-linux-gnu",
            &|| {
                tools::rust_target(&sh, "aarch64-unknown-linux-gnu")?;
                Ok("installed".to_owned())
            },
        ),
        (
            "Serverless Framework v3 (osls) and serverless-lift",
            &|| Ok(tools::node_modules(&sh)?.display().to_string()),
        ),
    ];
    let mut missing = Vec::new();
    for (what, install) in steps {
        match install() {
            Ok(place) => println!("{what}: {place}"),
            Err(e) => {
                println!("{what}: MISSING: {e:#}");
                missing.push(what);
            }
        }
    }
    browser();
    if !missing.is_empty() {
        anyhow::bail!(
            "{} of 4 tools could not be installed ({}); run `cargo xtask setup` again once the reasons above are fixed (PyPI, npm and rustup need the network)",
            missing.len(),
            missing.join("; ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The browsers' names on Debian and elsewhere.
const CHROMIUMS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// A program on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn browser_found() -> Option<(PathBuf, PathBuf)> {
    let chromium = CHROMIUMS.iter().find_map(|name| which(name))?;
    Some((chromium, which("chromedriver")?))
}

/// Chromium and chromedriver for the console's browser test: nothing when
/// they are there; `apt-get install chromium chromium-driver` (at most ten
/// minutes) when root or passwordless sudo can; otherwise one line saying
/// how. Never fails: without them the test says SKIPPED (and fails in CI).
pub fn browser() {
    if let Some((chromium, driver)) = browser_found() {
        println!(
            "Chromium and chromedriver (the console's browser test): {} and {}",
            chromium.display(),
            driver.display()
        );
        return;
    }
    let how = "sudo apt-get install chromium chromium-driver";
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let sudo = !root
        && which("sudo").is_some()
        && Command::new("sudo")
            .args(["-n", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if which("apt-get").is_none() || !(root || sudo) {
        println!(
            "Chromium and chromedriver (the console's browser test) are missing: install them with `{how}` (or your system's chromium and chromedriver packages)"
        );
        return;
    }
    // apt-get's own lines (hundreds) go to a file; its errors still show.
    let log_path = crate::paths::target_dir().join("xtask/apt-get.log");
    let log = std::fs::create_dir_all(log_path.parent().unwrap_or(&log_path))
        .and_then(|()| std::fs::File::create(&log_path));
    eprintln!(
        "Installing chromium and chromium-driver with apt-get (Debian's packages; its output in {})...",
        log_path.display()
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    let installed = ["update", "install"].iter().all(|step| {
        let mut command = Command::new(if root { "apt-get" } else { "sudo" });
        if !root {
            command.args(["-n", "apt-get"]);
        }
        match *step {
            "update" => command.args(["update", "-q"]),
            _ => command.args(["install", "-y", "-q", "chromium", "chromium-driver"]),
        };
        command.env("DEBIAN_FRONTEND", "noninteractive");
        if let Some(log) = log.as_ref().ok().and_then(|f| f.try_clone().ok()) {
            command.stdout(log);
        }
        run_until(&mut command, deadline)
    });
    match browser_found() {
        Some((chromium, driver)) if installed => println!(
            "Chromium and chromedriver (the console's browser test): {} and {}",
            chromium.display(),
            driver.display()
        ),
        _ => println!(
            "Chromium and chromedriver (the console's browser test) could not be installed: try `{how}`"
        ),
    }
}

/// Runs `command`, killed at `deadline`; whether it succeeded in time.
fn run_until(command: &mut Command, deadline: Instant) -> bool {
    let Ok(mut child) = command.stdin(Stdio::null()).spawn() else {
        return false;
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                eprintln!("apt-get did not finish in time");
                return false;
            }
        }
    }
}
