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
    exec_cargo_run_with(package, release, &[], true)
}

/// [`exec_cargo_run`] with variables set for cargo (and so for the
/// command); `quiet: false` lets cargo show what it compiles.
pub fn exec_cargo_run_with(
    package: &str,
    release: bool,
    env: &[(&str, std::ffi::OsString)],
    quiet: bool,
) -> ExitCode {
    let mut command =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(paths::root())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("run");
    if quiet {
        command.arg("--quiet");
    }
    command.args(["--package", package]);
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

/// The variables that make a build of the workspace's own crates a clippy
/// run too, warnings denied, as `cargo clippy -- -D warnings` sets them:
/// clippy's driver compiles them, and what it builds is as usable as
/// rustc's (dependencies are compiled by rustc either way). cargo keeps
/// these builds apart from plain ones (the wrapper is part of each crate's
/// build hash), so switching back and forth rebuilds nothing.
///
/// `None` when clippy is not installed (`ci` then says how to add it).
pub fn under_clippy() -> Option<[(&'static str, std::ffi::OsString); 2]> {
    let args = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";
    // Inherited from the runner that started this one (`ci`): the same
    // driver, so the same builds.
    if let Some(driver) = std::env::var_os("RUSTC_WORKSPACE_WRAPPER")
        && std::path::Path::new(&driver).ends_with("clippy-driver")
    {
        return Some([
            ("RUSTC_WORKSPACE_WRAPPER", driver),
            ("CLIPPY_ARGS", args.into()),
        ]);
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = std::process::Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|output| output.status.success())?;
    let sysroot = String::from_utf8(output.stdout).ok()?;
    let driver = std::path::Path::new(sysroot.trim()).join("bin/clippy-driver");
    driver.exists().then(|| {
        [
            ("RUSTC_WORKSPACE_WRAPPER", driver.into_os_string()),
            ("CLIPPY_ARGS", args.into()),
        ]
    })
}
