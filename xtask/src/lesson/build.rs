//! `cargo xtask lesson <step> build`: the lesson's Lambda functions as AWS
//! runs them. `cargo lambda build --release --output-format zip` (pinned
//! cargo-lambda, with zig as the cross-linker) leaves
//! `target/lambda/<binary>/bootstrap.zip` for every function, copied beside
//! itself as `<binary>.zip`: the artifact the lesson's serverless.yml names.
//! The copy has a reason: `osls` uploads every artifact to the deployment
//! bucket as `<deploy dir>/<file name>` (upload-artifacts.js, and the
//! `S3Key` of compile/functions.js), so two functions whose artifacts are
//! both `bootstrap.zip` would share one S3 object and run the same code.
//! arm64 (Graviton, the lessons' `architecture`) by default, `--x86-64` for
//! the other.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use xshell::{Shell, cmd};

use super::stack::Lesson;
use crate::{paths, tools};

#[derive(Args)]
pub struct BuildArgs {
    /// For arm64 (Graviton), as the lessons' serverless.yml declare: the default.
    #[arg(long, conflicts_with = "x86_64")]
    pub arm64: bool,
    /// For x86-64 instead (then set `architecture: x86_64` in serverless.yml).
    #[arg(long = "x86-64")]
    pub x86_64: bool,
}

/// An architecture as cargo-lambda, rustc and ELF name it.
pub struct Architecture {
    flag: &'static str,
    rust_target: &'static str,
    /// ELF `e_machine`.
    machine: u16,
    name: &'static str,
}

pub const ARM64: Architecture = Architecture {
    flag: "--arm64",
    rust_target: "aarch64-unknown-linux-gnu",
    machine: 183,
    name: "arm64 (aarch64)",
};

pub const X86_64: Architecture = Architecture {
    flag: "--x86-64",
    rust_target: "x86_64-unknown-linux-gnu",
    machine: 62,
    name: "x86-64",
};

impl Architecture {
    /// The one a serverless.yml declares (`provider.architecture`, or the
    /// function's own), so that what `deploy` uploads is what Lambda runs.
    pub fn of(declared: localcloud::config::Architecture) -> &'static Architecture {
        match declared {
            localcloud::config::Architecture::Arm64 => &ARM64,
            localcloud::config::Architecture::X86_64 => &X86_64,
        }
    }
}

pub fn run(lesson: &Lesson, args: &BuildArgs) -> Result<ExitCode> {
    build(lesson, if args.x86_64 { &X86_64 } else { &ARM64 })?;
    Ok(ExitCode::SUCCESS)
}

/// The command [`build`] runs (for `--dry-run`).
pub fn command_line(lesson: &Lesson, architecture: &Architecture) -> String {
    format!(
        "cargo lambda build --release {} --output-format zip --package {}",
        architecture.flag, lesson.package
    )
}

/// `cargo lambda build` of the lesson's functions, each zip's bootstrap
/// checked for the architecture, one line per artifact.
pub fn build(lesson: &Lesson, architecture: &Architecture) -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(paths::root());
    let venv = tools::lambda_venv(&sh)?;
    tools::rust_target(&sh, architecture.rust_target)?;
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let _path = sh.push_env("PATH", path);
    let package = lesson.package;
    let flag = architecture.flag;
    eprintln!(
        "Building the {} functions for AWS Lambda, {} (cargo lambda build --release)...",
        lesson.name, architecture.name
    );
    cmd!(
        sh,
        "cargo lambda build --release {flag} --output-format zip --package {package}"
    )
    .run()
    .with_context(|| format!("cargo lambda build of {package} failed"))?;
    for (key, binary) in lesson.binaries {
        let zip = paths::target_dir()
            .join("lambda")
            .join(binary)
            .join("bootstrap.zip");
        let machine = bootstrap_machine(&zip)?;
        if machine != architecture.machine {
            bail!(
                "{}: its bootstrap is for ELF machine {machine}, not {}",
                zip.display(),
                architecture.name
            );
        }
        let named = zip.with_file_name(format!("{binary}.zip"));
        std::fs::copy(&zip, &named)
            .with_context(|| format!("copying {} to {}", zip.display(), named.display()))?;
        let zip = named;
        let size = std::fs::metadata(&zip)?.len();
        println!(
            "{key}: {} ({}, {:.1} MB)",
            zip.strip_prefix(paths::root()).unwrap_or(&zip).display(),
            architecture.name,
            size as f64 / 1_048_576.0
        );
    }
    Ok(())
}

/// The ELF machine of the `bootstrap` in a Lambda zip.
fn bootstrap_machine(zip: &std::path::Path) -> Result<u16> {
    let file = std::fs::File::open(zip).with_context(|| format!("{} is missing", zip.display()))?;
    let mut archive = zip::ZipArchive::new(file)?;
    let mut bootstrap = archive
        .by_name("bootstrap")
        .with_context(|| format!("{} holds no `bootstrap`", zip.display()))?;
    let mut header = [0u8; 20];
    std::io::Read::read_exact(&mut bootstrap, &mut header)?;
    if &header[..4] != b"\x7fELF" {
        bail!("{}: its bootstrap is not an ELF executable", zip.display());
    }
    Ok(u16::from_le_bytes([header[18], header[19]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with(name: &str, bytes: &[u8]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
        zip.finish().unwrap();
        file
    }

    fn elf(machine: u16) -> Vec<u8> {
        let mut header = b"\x7fELF".to_vec();
        header.resize(18, 0);
        header.extend(machine.to_le_bytes());
        header.resize(64, 0);
        header
    }

    #[test]
    fn the_bootstrap_architecture_is_read_from_the_zip() {
        let arm = zip_with("bootstrap", &elf(183));
        assert_eq!(bootstrap_machine(arm.path()).unwrap(), ARM64.machine);
        let x86 = zip_with("bootstrap", &elf(62));
        assert_eq!(bootstrap_machine(x86.path()).unwrap(), X86_64.machine);
        let script = zip_with("bootstrap", b"#!/bin/sh\necho hi\n#################");
        assert!(
            bootstrap_machine(script.path())
                .unwrap_err()
                .to_string()
                .ends_with("its bootstrap is not an ELF executable")
        );
        let other = zip_with("main", &elf(183));
        assert!(
            bootstrap_machine(other.path())
                .unwrap_err()
                .to_string()
                .ends_with("holds no `bootstrap`")
        );
    }
}
