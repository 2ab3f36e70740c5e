//! Running this same command line again in another build: `cargo run` of
//! `xtask` in release (what is measured or served for speed is optimised
//! code), or of `xtask-aws` (the AWS commands, [`crate::aws_sdks`]).
//!
//! The process is replaced (`exec`), not wrapped: one process, so Ctrl-C
//! and SIGTERM reach the command itself.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use crate::paths;

/// Replaces this process with `cargo run [--release] -p <package> -- <the
/// same arguments>`; returns only if cargo could not be started.
pub fn exec_cargo_run(package: &str, release: bool) -> ExitCode {
    let mut command =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(paths::root())
        .args(["run", "--quiet", "--package", package]);
    if release {
        command.arg("--release");
    }
    let error = command.arg("--").args(std::env::args_os().skip(1)).exec();
    eprintln!("error: cannot run cargo: {error}");
    ExitCode::FAILURE
}

static THIS_PACKAGE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// The package whose binary this is (`xtask-aws` says so at start); `xtask`
/// otherwise.
pub fn this_package_is(package: &'static str) {
    let _ = THIS_PACKAGE.set(package);
}

/// The package whose binary this is: `xtask`, `xtask-sdk` or `xtask-aws`.
pub fn this_package() -> &'static str {
    THIS_PACKAGE.get().copied().unwrap_or("xtask")
}

/// From a debug build: says why, then runs the same command from a release
/// build of this runner. `why` ends the line "Building xtask in release mode ...".
pub fn in_release(why: &str) -> ExitCode {
    let package = this_package();
    eprintln!("Building {package} in release mode {why}...");
    exec_cargo_run(package, true)
}
