//! `cargo xtask`: the workshop runner (this library, and the `xtask` binary
//! that runs it; `xtask-aws` is the same runner with the AWS SDKs).
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
pub mod bench;
pub mod checks;
pub mod exercise;
pub mod lesson;
pub mod loadtest;
pub mod localcloud_cmd;
pub mod paths;
pub mod rerun;
pub mod signals;
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
    Loadtest(loadtest::LoadtestArgs),
    /// Measure localcloud side by side with a reference on this machine.
    Bench(bench::BenchArgs),
    /// Everything CI checks: fmt, clippy (warnings denied), all tests.
    Ci(checks::ci::CiArgs),
    /// Run the SQS and DynamoDB scenario suites against localcloud and moto's server; show the differences.
    CompareMoto(checks::compare_moto::CompareMotoArgs),
    /// boto3 and the AWS CLI against `localcloud up` over TCP: SQS and DynamoDB (a step of `ci`).
    ClientCheck(checks::sqs_clients::ClientCheckArgs),
    /// Hold localcloud's reading of serverless.yml against `osls package`'s CloudFormation.
    CfnCheck(checks::cfn::CfnCheckArgs),
    /// Deploy each lesson's packaged stack into moto's server and run the `--target aws` commands moto can serve.
    DeployRehearsal(checks::RehearsalArgs),
    /// Install the external tools, pinned, into project-local folders.
    Setup(tools::setup::SetupArgs),
}

/// Parses the command line and runs it. `sdks` is `None` in `xtask` and the
/// AWS SDKs in `xtask-aws` (see [`aws_sdks`]): a command that needs them and
/// finds none is run again by `xtask-aws`.
pub fn main_with(sdks: Option<&'static dyn aws_sdks::AwsSdks>) -> std::process::ExitCode {
    forget_cargo_run_environment();
    if let Some(sdks) = sdks {
        aws_sdks::install(sdks);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lesson(args) => lesson::run(args),
        Command::Exercise(args) => exercise::run(args),
        Command::Localcloud(args) => localcloud_cmd::run(args),
        Command::Loadtest(args) => loadtest::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Ci(args) => checks::ci::run(args),
        Command::Setup(args) => tools::setup::run(args),
        Command::CfnCheck(args) => checks::cfn::run(args),
        Command::DeployRehearsal(_) => aws_sdks::get().and_then(|sdks| sdks.deploy_rehearsal()),
        Command::CompareMoto(args) => checks::compare_moto::run(args),
        Command::ClientCheck(args) => checks::sqs_clients::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.downcast_ref::<aws_sdks::NeedsAwsCommands>().is_some() => {
            aws_sdks::run_in_aws_binary()
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
