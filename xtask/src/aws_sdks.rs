//! The seams between the local runner, the runner with the AWS SDK and the
//! AWS commands.
//!
//! The AWS SDK for Rust is most of what the runner compiles: the SQS and
//! DynamoDB clients, aws-config with its STS and SSO clients, a TLS stack
//! (rustls over aws-lc, a C build), and CloudFormation, CloudWatch Logs and
//! S3, three of the largest crates in the SDK. Step 1 needs none of it
//! (localcloud is plain hyper), so a learner's first command builds none of
//! it. There are three binaries of this one library, each built by cargo the
//! first time a command needs it:
//!
//! - `xtask`, what `cargo xtask` runs, is built without the feature `sdk`:
//!   step 1 (`lesson step1 run|up|invoke|loop` on localcloud, its `build`
//!   and `package`), `localcloud`, the exercises on step 1, `exercise
//!   list|show|hint|reset|solution`, `setup`. Every other command is parsed
//!   whole but not run: [`crate::main`] sees [`NeedsSdk`] and runs the same
//!   command line again with `cargo run -p xtask-sdk`, saying so once.
//! - `xtask-sdk` (folder `xtask/sdk/`) is this library with `sdk`: steps 2
//!   and 3, their exercises, bench, loadtest, ci, `--target aws` up to the
//!   calls below.
//! - `xtask-aws` (folder `xtask/aws/`) adds the SDK clients only the AWS
//!   commands use ([`install`]): a command that reaches [`get`] without
//!   them fails with [`NeedsAwsCommands`] and runs again there.
//!
//! All three give every dependency they share the same features
//! (`shared/workspace-hack`, its feature `sdk` for the SDK's side), so each
//! build compiles only what the one before did not.
//!
//! An AWS command calls [`get`] before it acts (after reading
//! serverless.yml and checking credentials, which need no extra SDK), so
//! running it again repeats nothing.

#[cfg(feature = "sdk")]
use std::collections::BTreeMap;
#[cfg(feature = "sdk")]
use std::future::Future;
#[cfg(feature = "sdk")]
use std::pin::Pin;
use std::process::ExitCode;
#[cfg(feature = "sdk")]
use std::sync::OnceLock;

#[cfg(feature = "sdk")]
use anyhow::Result;
#[cfg(feature = "sdk")]
use aws_config::SdkConfig;

use crate::paths;

#[cfg(feature = "sdk")]
/// A future the SDK calls return; boxed so that [`AwsSdks`] is a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[cfg(feature = "sdk")]
/// A deployed CloudFormation stack, as `DescribeStacks` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackDescription {
    /// `CREATE_COMPLETE`, `UPDATE_IN_PROGRESS`, ...
    pub status: String,
    /// Output key -> value (`HttpApiUrl`, Lift's queue URLs).
    pub outputs: BTreeMap<String, String>,
}

#[cfg(feature = "sdk")]
/// What only the AWS commands do: the calls to AWS services other than SQS.
pub trait AwsSdks: Sync {
    /// CloudFormation `DescribeStacks` of `stack`; `None` when AWS says it
    /// does not exist.
    fn describe_stack<'a>(
        &'a self,
        sdk: &'a SdkConfig,
        stack: &'a str,
    ) -> BoxFuture<'a, Result<Option<StackDescription>>>;

    /// CloudWatch Logs `FilterLogEvents` on `group` from `start_ms` (epoch
    /// milliseconds) with `pattern`, every page: (timestamp, message). Empty
    /// when the group does not exist yet (Lambda makes it at the first
    /// invocation).
    fn log_events<'a>(
        &'a self,
        sdk: &'a SdkConfig,
        group: &'a str,
        start_ms: i64,
        pattern: &'a str,
    ) -> BoxFuture<'a, Result<Vec<(i64, String)>>>;

    /// `cargo xtask deploy-rehearsal`: each lesson's stack created in moto.
    fn deploy_rehearsal(&self) -> Result<ExitCode>;
}

#[cfg(feature = "sdk")]
static INSTALLED: OnceLock<&'static dyn AwsSdks> = OnceLock::new();

#[cfg(feature = "sdk")]
/// Plugs the SDKs in (`xtask-aws` does, before it parses its command line).
pub fn install(sdks: &'static dyn AwsSdks) {
    // A second call would only repeat the first.
    let _ = INSTALLED.set(sdks);
}

#[cfg(feature = "sdk")]
/// The SDKs, or [`NeedsAwsCommands`] when this binary has none.
pub fn get() -> Result<&'static dyn AwsSdks> {
    INSTALLED
        .get()
        .copied()
        .ok_or_else(|| NeedsAwsCommands.into())
}

/// The command needs `xtask-aws`: [`crate::main`] runs it there.
#[derive(Debug, thiserror::Error)]
#[error(
    "this command needs the AWS commands (`cargo run -p xtask-aws`); run it through `cargo xtask`"
)]
pub struct NeedsAwsCommands;

/// The command needs the AWS SDK, and this is `xtask`: [`crate::main`] runs
/// it in `xtask-sdk`.
#[derive(Debug, thiserror::Error)]
#[error(
    "this command needs the runner with the AWS SDK (`cargo run -p xtask-sdk`); run it through `cargo xtask`"
)]
pub struct NeedsSdk;

/// The name of the runner with the AWS SDK (steps 2 and 3).
pub const SDK_BINARY: &str = "xtask-sdk";

/// The name of the runner with the AWS commands.
pub const AWS_BINARY: &str = "xtask-aws";

/// Replaces this process with `cargo run -p <binary> -- <the same
/// arguments>`, in the profile this binary was built in; says once, the
/// first time, what is being built and why.
///
/// `ci` builds `xtask-sdk` (and, for its moto rehearsal, `xtask-aws`) under
/// clippy ([`crate::rerun::under_clippy`]), as its test build is: the
/// workspace's crates compiled for the runner are then the ones the tests
/// link, not a second compilation of each. Those copies live beside the
/// usual ones, so the next command outside `ci` may still have to build
/// the usual runner although the binary is there: that once, cargo shows
/// what it compiles (a marker in `target/xtask/` says so).
pub fn run_in(binary: &str, for_ci: bool) -> ExitCode {
    let release = !cfg!(debug_assertions);
    let profile = if release { "release" } else { "debug" };
    let clippy_copy = |binary: &str| {
        paths::target_dir()
            .join("xtask")
            .join(format!("{binary}.built-by-ci-under-clippy"))
    };
    if for_ci {
        let Some(clippy) = crate::rerun::under_clippy() else {
            eprintln!(
                "error: clippy's driver is missing beside rustc, and `ci` runs clippy: add it with `rustup component add clippy`"
            );
            return ExitCode::FAILURE;
        };
        for binary in [SDK_BINARY, AWS_BINARY] {
            let marker = clippy_copy(binary);
            if let Some(dir) = marker.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::write(&marker, "");
        }
        eprintln!(
            "ci: building the runner with the AWS SDK under clippy (warnings denied), the compilation the tests reuse... / ci: AWS SDK가 든 실행기를 clippy 검사와 함께 빌드합니다(테스트가 이 빌드를 다시 씁니다)..."
        );
        return crate::rerun::exec_cargo_run_with(binary, release, &clippy, true);
    }
    // Inside `ci` (its checks run the AWS commands) the clippy copy is
    // the one wanted; outside, the marker is used up here.
    let inside_ci = std::env::var_os("RUSTC_WORKSPACE_WRAPPER").is_some();
    let after_ci = !inside_ci && std::fs::remove_file(clippy_copy(binary)).is_ok();
    if !paths::target_dir().join(profile).join(binary).exists() {
        if binary == AWS_BINARY {
            eprintln!(
                "Building the AWS commands (first time, a few minutes)... / AWS 명령을 처음 빌드합니다(몇 분 걸립니다)..."
            );
        } else {
            eprintln!(
                "Building the runner with the AWS SDK for Rust (first time, about two minutes; step 1 did not need it)... / AWS SDK가 든 실행기를 처음 빌드합니다(약 2분, 1단계에는 필요 없었습니다)..."
            );
        }
    }
    crate::rerun::exec_cargo_run_with(binary, release, &[], !after_ci)
}
