//! `deploy`, `remove`, `info` and `logs`: the lesson on AWS, through the
//! pinned Serverless Framework v3 (`osls`) and serverless-lift from
//! `node_modules/`, run in the lesson's folder on its own serverless.yml.
//!
//! Credentials are checked first, before a minute of building: the AWS SDK
//! for Rust's standard chain (environment, shared files and profiles, SSO,
//! container and instance roles). What it finds is handed to `osls` as
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, so the
//! framework deploys as exactly the identity that was checked, SSO profiles
//! included (the framework's own chain, AWS SDK for JavaScript v2, does not
//! read every kind of profile the Rust SDK does).

// In `xtask` (no feature `sdk`) only the arguments are used: the commands
// run in `xtask-sdk` (see crate::aws_sdks).
#![cfg_attr(not(feature = "sdk"), allow(dead_code, unused_imports))]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
#[cfg(feature = "sdk")]
use aws_sdk_sqs::config::ProvideCredentials;
use clap::Args;
use xshell::{Shell, cmd};

use super::aws::Placement;
#[cfg(feature = "sdk")]
use super::aws::{require_credentials, sdk_config};
use super::build::{self, Architecture};
use super::stack::Lesson;
use crate::{paths, tools};

#[derive(Args, Clone, Debug, Default)]
pub struct StageArgs {
    /// The stage (default: serverless.yml's provider.stage, else dev).
    #[arg(long)]
    pub stage: Option<String>,
    /// The region (default: serverless.yml's provider.region).
    #[arg(long)]
    pub region: Option<String>,
}

#[derive(Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub at: StageArgs,
    /// Print the commands it would run, and run nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub at: StageArgs,
}

#[derive(Args)]
pub struct LogsArgs {
    /// The function, by its key in serverless.yml (e.g. producer, jobsWorker).
    pub function: String,
    /// Keep printing new lines until Ctrl-C.
    #[arg(long)]
    pub tail: bool,
    #[command(flatten)]
    pub at: StageArgs,
}

/// What `osls` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Deploy,
    Remove,
    Info,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Deploy => "deploy",
            Verb::Remove => "remove",
            Verb::Info => "info",
        }
    }
}

#[cfg(feature = "sdk")]
pub fn deploy(lesson: &Lesson, args: &DeployArgs) -> Result<ExitCode> {
    operate(lesson, Verb::Deploy, &args.at, args.dry_run, &[])
}

#[cfg(feature = "sdk")]
pub fn remove(lesson: &Lesson, args: &DeployArgs) -> Result<ExitCode> {
    operate(lesson, Verb::Remove, &args.at, args.dry_run, &[])
}

#[cfg(feature = "sdk")]
pub fn info(lesson: &Lesson, args: &InfoArgs) -> Result<ExitCode> {
    operate(lesson, Verb::Info, &args.at, false, &[])
}

#[cfg(feature = "sdk")]
pub fn logs(lesson: &Lesson, args: &LogsArgs) -> Result<ExitCode> {
    let placement = Placement::of(lesson, args.at.stage.as_deref(), args.at.region.as_deref())?;
    let keys: Vec<&str> = lesson.binaries.iter().map(|(key, _)| *key).collect();
    if !keys.contains(&args.function.as_str()) {
        bail!(
            "{:?} is not a function of {}: pick one of {}",
            args.function,
            lesson.name,
            keys.join(", ")
        );
    }
    let mut extra = vec!["--function".to_owned(), args.function.clone()];
    if args.tail {
        extra.push("--tail".into());
    }
    run_osls(lesson, &placement, "logs", &extra)
}

/// The commands, in order, as a learner could type them.
fn plan(lesson: &Lesson, verb: Verb, placement: &Placement) -> Vec<String> {
    let mut steps =
        vec!["check AWS credentials (environment, profile, SSO: the AWS SDK's chain)".to_owned()];
    if verb == Verb::Deploy {
        steps.push(build::command_line(
            lesson,
            Architecture::of(placement.config.provider.architecture),
        ));
        for (_, binary) in lesson.binaries {
            steps.push(format!(
                "cp target/lambda/{binary}/bootstrap.zip target/lambda/{binary}/{binary}.zip"
            ));
        }
    }
    steps.push("npm ci (only when node_modules/ does not match package-lock.json)".into());
    steps.push(format!(
        "(cd {} && ../../node_modules/.bin/osls {} --stage {} --region {})",
        lesson.dir,
        verb.name(),
        placement.stage,
        placement.region
    ));
    steps
}

#[cfg(feature = "sdk")]
fn operate(
    lesson: &Lesson,
    verb: Verb,
    at: &StageArgs,
    dry_run: bool,
    extra: &[String],
) -> Result<ExitCode> {
    let placement = Placement::of(lesson, at.stage.as_deref(), at.region.as_deref())?;
    if dry_run {
        println!(
            "{} {} (stack {} in {}) would run, in order (--dry-run: nothing runs now):",
            verb.name(),
            lesson.name,
            placement.stack_name,
            placement.region
        );
        for (i, step) in plan(lesson, verb, &placement).iter().enumerate() {
            println!("  {}. {step}", i + 1);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if verb == Verb::Deploy {
        // Credentials before the build: a missing login is said in seconds.
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let sdk = sdk_config(&placement.region).await;
            require_credentials(&sdk).await
        })?;
        build::build(
            lesson,
            Architecture::of(placement.config.provider.architecture),
        )?;
    }
    let code = run_osls(lesson, &placement, verb.name(), extra)?;
    if verb == Verb::Deploy && code == ExitCode::SUCCESS {
        let name = lesson.name;
        println!("Try, against the deployed stack:");
        println!("  cargo xtask lesson {name} invoke '{{\"input\": 1}}' --target aws");
        println!("  cargo xtask lesson {name} loop --count 20 --target aws");
        if lesson.has_queue {
            println!("  cargo xtask lesson {name} queue stats --target aws");
        }
        println!("  cargo xtask lesson {name} remove   (when you are done: it stops the costs)");
    }
    Ok(code)
}

#[cfg(feature = "sdk")]
/// `osls <verb> --stage S --region R [extra]` in the lesson's folder, as
/// the identity the SDK's chain finds.
fn run_osls(
    lesson: &Lesson,
    placement: &Placement,
    verb: &str,
    extra: &[String],
) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let credentials = runtime.block_on(async {
        let sdk = sdk_config(&placement.region).await;
        require_credentials(&sdk).await?;
        let provider = sdk
            .credentials_provider()
            .context(super::aws::NO_CREDENTIALS)?;
        provider
            .provide_credentials()
            .await
            .context(super::aws::NO_CREDENTIALS)
    })?;
    let sh = Shell::new()?;
    let modules = tools::node_modules(&sh)?;
    let osls: PathBuf = modules.join(".bin/osls");
    sh.change_dir(paths::root().join(lesson.dir));
    let stage = &placement.stage;
    let region = &placement.region;
    let mut command = cmd!(
        sh,
        "{osls} {verb} --stage {stage} --region {region} {extra...}"
    )
    .env("SLS_TELEMETRY_DISABLED", "1")
    .env("AWS_ACCESS_KEY_ID", credentials.access_key_id())
    .env("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key())
    .env_remove("AWS_PROFILE")
    .env_remove("AWS_DEFAULT_PROFILE");
    command = match credentials.session_token() {
        Some(token) => command.env("AWS_SESSION_TOKEN", token),
        None => command.env_remove("AWS_SESSION_TOKEN"),
    };
    eprintln!(
        "osls {verb} --stage {stage} --region {region} {} (in {})",
        extra.join(" "),
        lesson.dir
    );
    match command.run() {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("osls {verb} failed: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::LessonId;

    #[test]
    fn deploy_builds_for_the_declared_architecture_then_deploys() {
        let lesson = LessonId::Step2.lesson();
        let placement = Placement::of(&lesson, Some("prod"), None).unwrap();
        let steps = plan(&lesson, Verb::Deploy, &placement);
        assert_eq!(
            steps[1],
            "cargo lambda build --release --arm64 --output-format zip --package step2-sqs"
        );
        assert_eq!(
            steps[2],
            "cp target/lambda/step2-producer/bootstrap.zip target/lambda/step2-producer/step2-producer.zip"
        );
        assert_eq!(
            steps[5],
            "(cd lessons/step2-sqs && ../../node_modules/.bin/osls deploy --stage prod --region ap-northeast-2)"
        );
        let removal = plan(&lesson, Verb::Remove, &placement);
        assert_eq!(removal.len(), 3, "remove builds nothing: {removal:?}");
    }
}
