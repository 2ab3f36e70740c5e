//! `cargo xtask`: the workshop runner (this library, and the `xtask` binary
//! that runs it, without the AWS SDK; `xtask-sdk` is the same runner with
//! it, `xtask-aws` with the AWS commands' SDK clients too: see [`aws_sdks`]).
//!
//! Plain Rust (clap + xshell), so it runs the same on every machine; it is
//! the only entry point a learner or CI needs:
//!
//! ```text
//! cargo xtask lesson step1 run        # boot localcloud, play the scenario, report
//! cargo xtask lesson step1 up         # serve until Ctrl-C
//! cargo xtask lesson step1 invoke '{"input": 1}'
//! cargo xtask exercise check         # your attempt at the current exercise
//! cargo xtask localcloud up --config path/to/serverless.yml
//! cargo xtask bench step1|sqs
//! cargo xtask compare-moto            # localcloud's SQS and DynamoDB vs moto's, scenario by scenario
//! cargo xtask client-check            # boto3 and the AWS CLI against `localcloud up`
//! cargo xtask setup                   # install the pinned external tools into .tools/
//! cargo xtask ci                      # everything CI checks
//! ```

// The library is built before main.rs: the same line, first (see main.rs).
#[cfg(windows)]
compile_error!(
    "the workshop does not build on native Windows: open it in WSL2 (Ubuntu), with rustup installed inside WSL and the repository cloned in the WSL file system (see README.md, Which machines)"
);

pub mod aws_sdks;
#[cfg(feature = "sdk")]
pub mod bench;
#[cfg(feature = "sdk")]
pub mod checks;
pub mod exercise;
pub mod lesson;
#[cfg(feature = "sdk")]
pub mod loadtest;
pub mod localcloud_cmd;
pub mod paths;
pub mod rerun;
pub mod signals;
#[cfg(feature = "sdk")]
pub mod sqs_client;
pub mod stats;
#[cfg(test)]
mod tidy;
pub mod tools;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The serverless queue workshop runner",
    version
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run, serve or call one lesson: locally on localcloud, or deployed to AWS.
    Lesson(lesson::LessonArgs),
    /// 연습: 코드는 여러분이 쓰고 러너가 검사합니다 / The exercises: you write the code, the runner checks it (list, show, check, watch, hint, reset, solution).
    Exercise(exercise::ExerciseArgs),
    /// Serve any serverless.yml with localcloud.
    Localcloud(localcloud_cmd::LocalcloudArgs),
    /// k6 against a lesson (local, or any URL); for lessons with a queue, the pipeline's ledger.
    Loadtest(with_sdk::LoadtestArgs),
    /// Measure localcloud side by side with a reference on this machine.
    Bench(with_sdk::BenchArgs),
    /// Everything CI checks: fmt, clippy (warnings denied), all tests.
    Ci(with_sdk::CiArgs),
    /// Run the SQS and DynamoDB scenario suites against localcloud and moto's server; show the differences.
    CompareMoto(with_sdk::CompareMotoArgs),
    /// boto3 and the AWS CLI against `localcloud up` over TCP: SQS and DynamoDB (a step of `ci`).
    ClientCheck(with_sdk::ClientCheckArgs),
    /// Hold localcloud's reading of serverless.yml against `osls package`'s CloudFormation.
    CfnCheck(with_sdk::CfnCheckArgs),
    /// Deploy each lesson's packaged stack into moto's server and run the `--target aws` commands moto can serve.
    DeployRehearsal(with_sdk::RehearsalArgs),
    /// Install the external tools, pinned, into project-local folders.
    Setup(tools::setup::SetupArgs),
}

/// The arguments of the commands that need the AWS SDK: their own with the
/// feature `sdk` (`xtask-sdk`, `xtask-aws`); in `xtask`, taken as they are
/// ([`InSdkRunner`]) and handed on (see [`aws_sdks`]).
#[cfg(feature = "sdk")]
mod with_sdk {
    pub use crate::bench::BenchArgs;
    pub use crate::checks::RehearsalArgs;
    pub use crate::checks::cfn::CfnCheckArgs;
    pub use crate::checks::ci::CiArgs;
    pub use crate::checks::compare_moto::CompareMotoArgs;
    pub use crate::checks::sqs_clients::ClientCheckArgs;
    pub use crate::loadtest::LoadtestArgs;
}
#[cfg(not(feature = "sdk"))]
mod with_sdk {
    pub type BenchArgs = crate::InSdkRunner;
    pub type RehearsalArgs = crate::InSdkRunner;
    pub type CfnCheckArgs = crate::InSdkRunner;
    pub type CiArgs = crate::InSdkRunner;
    pub type CompareMotoArgs = crate::InSdkRunner;
    pub type ClientCheckArgs = crate::InSdkRunner;
    pub type LoadtestArgs = crate::InSdkRunner;
}

/// A command of the runner with the AWS SDK, in `xtask`: its arguments,
/// `--help` included, are left for `xtask-sdk` (or `xtask-aws`) to read.
#[derive(clap::Args, Debug)]
#[command(disable_help_flag = true)]
pub struct InSdkRunner {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

/// [`main`] with the SDK clients only the AWS commands use plugged in:
/// `xtask-aws` (see [`aws_sdks`]).
#[cfg(feature = "sdk")]
pub fn main_with(sdks: Option<&'static dyn aws_sdks::AwsSdks>) -> std::process::ExitCode {
    if let Some(sdks) = sdks {
        aws_sdks::install(sdks);
        rerun::this_package_is(aws_sdks::AWS_BINARY);
    }
    main()
}

/// Parses the command line and runs it. A command that needs the AWS SDK
/// when this build has none is run again by `xtask-sdk`; one that needs the
/// AWS commands' SDK clients, by `xtask-aws` (see [`aws_sdks`]).
pub fn main() -> std::process::ExitCode {
    forget_cargo_run_environment();
    let cli = Cli::parse();
    let for_ci = matches!(cli.command, Command::Ci(_));
    let result = match cli.command {
        Command::Lesson(args) => lesson::run(args),
        Command::Exercise(args) => exercise::run(args),
        Command::Localcloud(args) => localcloud_cmd::run(args),
        Command::Setup(args) => tools::setup::run(args),
        #[cfg(feature = "sdk")]
        Command::Loadtest(args) => loadtest::run(args),
        #[cfg(feature = "sdk")]
        Command::Bench(args) => bench::run(args),
        #[cfg(feature = "sdk")]
        Command::Ci(args) => checks::ci::run(args),
        #[cfg(feature = "sdk")]
        Command::CfnCheck(args) => checks::cfn::run(args),
        #[cfg(feature = "sdk")]
        Command::DeployRehearsal(_) => aws_sdks::get().and_then(|sdks| sdks.deploy_rehearsal()),
        #[cfg(feature = "sdk")]
        Command::CompareMoto(args) => checks::compare_moto::run(args),
        #[cfg(feature = "sdk")]
        Command::ClientCheck(args) => checks::sqs_clients::run(args),
        #[cfg(not(feature = "sdk"))]
        Command::Loadtest(_)
        | Command::Bench(_)
        | Command::Ci(_)
        | Command::CfnCheck(_)
        | Command::CompareMoto(_)
        | Command::ClientCheck(_) => Err(aws_sdks::NeedsSdk.into()),
        #[cfg(not(feature = "sdk"))]
        Command::DeployRehearsal(_) => Err(aws_sdks::NeedsAwsCommands.into()),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.downcast_ref::<aws_sdks::NeedsSdk>().is_some() => {
            aws_sdks::run_in(aws_sdks::SDK_BINARY, for_ci)
        }
        Err(e) if e.downcast_ref::<aws_sdks::NeedsAwsCommands>().is_some() => {
            aws_sdks::run_in(aws_sdks::AWS_BINARY, false)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `cargo run` (the `cargo xtask` alias) gives this process the xtask
/// package's variables (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...), and
/// every cargo the runner starts (`lesson ... run`, `exercise check`, `ci`)
/// would inherit them. A build script that watches one sees it change
/// between `cargo xtask` and the nested `cargo build` (ring's watches
/// `CARGO_MANIFEST_DIR`), so cargo rebuilt it, and everything above it
/// (rustls, the AWS SDK, localcloud, xtask), on every such command, back and
/// forth: about 10 s each time, a minute on a first run.
fn forget_cargo_run_environment() {
    let inherited: Vec<std::ffi::OsString> = std::env::vars_os()
        .map(|(key, _)| key)
        .filter(|key| {
            let key = key.to_string_lossy();
            key.starts_with("CARGO_PKG_")
                || matches!(
                    key.as_ref(),
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_BIN_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                )
        })
        .collect();
    for key in inherited {
        // SAFETY: the first thing `main` does, before any thread starts.
        unsafe { std::env::remove_var(key) };
    }
}
