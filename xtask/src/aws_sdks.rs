//! The seam between the local runner and the AWS commands.
//!
//! CloudFormation, CloudWatch Logs and S3 are three of the largest crates in
//! the AWS SDK for Rust: together they took longer to compile than
//! everything a local lesson needs. A learner who only runs lessons on
//! localcloud should never wait for them, so they live in a second binary,
//! `xtask-aws` (folder `xtask/aws/`), built by cargo the first time a
//! command needs it:
//!
//! - `xtask` (what `cargo xtask` runs) has no [`AwsSdks`]. A command that
//!   reaches [`get`] fails with [`NeedsAwsCommands`], and [`crate::main_with`]
//!   then runs the same command line again with `cargo run -p xtask-aws`,
//!   saying so once: `Building the AWS commands (first time, a few minutes)...`.
//! - `xtask-aws` is this same library with the SDKs plugged in ([`install`]).
//!
//! Every command calls [`get`] before it acts (after reading serverless.yml
//! and checking credentials, which need no extra SDK), so running it again
//! repeats nothing: a learner without credentials hears so from `xtask`
//! itself, in a second, and builds nothing.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::Result;
use aws_config::SdkConfig;

use crate::paths;

/// A future the SDK calls return; boxed so that [`AwsSdks`] is a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A deployed CloudFormation stack, as `DescribeStacks` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackDescription {
    /// `CREATE_COMPLETE`, `UPDATE_IN_PROGRESS`, ...
    pub status: String,
    /// Output key -> value (`HttpApiUrl`, Lift's queue URLs).
    pub outputs: BTreeMap<String, String>,
}

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

static INSTALLED: OnceLock<&'static dyn AwsSdks> = OnceLock::new();

/// Plugs the SDKs in (`xtask-aws` does, before it parses its command line).
pub fn install(sdks: &'static dyn AwsSdks) {
    // A second call would only repeat the first.
    let _ = INSTALLED.set(sdks);
}

/// The SDKs, or [`NeedsAwsCommands`] when this binary has none.
pub fn get() -> Result<&'static dyn AwsSdks> {
    INSTALLED
        .get()
        .copied()
        .ok_or_else(|| NeedsAwsCommands.into())
}

/// The command needs `xtask-aws`: [`crate::main_with`] runs it there.
#[derive(Debug, thiserror::Error)]
#[error(
    "this command needs the AWS commands (`cargo run -p xtask-aws`); run it through `cargo xtask`"
)]
pub struct NeedsAwsCommands;

/// The name of the binary with the SDKs.
pub const AWS_BINARY: &str = "xtask-aws";

/// Replaces this process with `cargo run -p xtask-aws -- <the same
/// arguments>`, in the profile this binary was built in.
pub fn run_in_aws_binary() -> ExitCode {
    let release = !cfg!(debug_assertions);
    let profile = if release { "release" } else { "debug" };
    if !paths::target_dir().join(profile).join(AWS_BINARY).exists() {
        eprintln!("Building the AWS commands (first time, a few minutes)...");
    }
    crate::rerun::exec_cargo_run(AWS_BINARY, release)
}
