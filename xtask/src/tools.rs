//! External tools, installed by the project into `.tools/` (never
//! globally), pinned: a Python virtualenv with boto3, the AWS CLI and moto's
//! server (`tools/python-requirements.txt`).

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
