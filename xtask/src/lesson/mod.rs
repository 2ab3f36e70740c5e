//! `cargo xtask lesson <step> <action>`: each lesson, run the way a learner
//! meets it.
//!
//! - [`stack`]: the lessons the runner knows, how one is built and booted;
//! - [`up`]: `up`, serving until Ctrl-C, and the state file ([`state`]) the
//!   other commands read to find it;
//! - [`endpoint`]: `invoke` and `loop`, the retrospective's curl and shell loop;
//! - [`build`]: `build`, the functions as AWS runs them (cargo-lambda);
//! - [`package`], [`deploy`]: `package`, `deploy`, `remove`, `info`, `logs`
//!   (osls and serverless-lift); [`aws`]: `--target aws`, the deployed
//!   stack's outputs;
//! - [`queue`]: `send`, `dlq show|redrive|purge`, `queue stats`, `visibility`
//!   (lessons with a queue);
//! - [`step1`], [`step2`], [`step3`]: each lesson's `run`, its scenario and report.
//!
//! Each lesson has its own subcommands, so `--help` offers only what the
//! lesson can do (no queue commands on step 1).

pub mod aws;
pub mod build;
pub mod deploy;
pub mod endpoint;
pub mod package;
#[cfg(feature = "sdk")]
pub mod queue;
pub mod stack;
pub mod state;
pub mod step1;
#[cfg(feature = "sdk")]
pub mod step2;
#[cfg(feature = "sdk")]
pub mod step3;
pub mod up;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

pub use stack::{Lesson, LessonId, Profile};

#[derive(Args)]
pub struct LessonArgs {
    #[command(subcommand)]
    pub lesson: LessonCommand,
}

#[derive(Subcommand)]
pub enum LessonCommand {
    /// HTTP API -> Lambda: validate {"input": <number>}, answer input + 1.
    Step1 {
        #[command(flatten)]
        exercise: ExerciseArg,
        #[command(subcommand)]
        action: Step1Action,
    },
    /// POST /produce -> SQS (Lift queue) -> worker Lambda that adds 1.
    #[cfg(feature = "sdk")]
    Step2 {
        #[command(flatten)]
        exercise: ExerciseArg,
        #[command(subcommand)]
        action: Step2Action,
    },
    /// POST /produce -> SQS (Lift queue) -> worker Lambda that adds 1.
    #[cfg(not(feature = "sdk"))]
    Step2(crate::InSdkRunner),
    /// A 15 s worker against a short visibility timeout: duplicates, then the DLQ.
    #[cfg(feature = "sdk")]
    Step3 {
        #[command(flatten)]
        exercise: ExerciseArg,
        #[command(subcommand)]
        action: Step3Action,
    },
    /// A 15 s worker against a short visibility timeout: duplicates, then the DLQ.
    #[cfg(not(feature = "sdk"))]
    Step3(crate::InSdkRunner),
}

/// `--exercise NAME`: the command runs on the learner's version of an
/// exercise (its `serverless.yml`, its code) instead of the lesson's.
#[derive(Args)]
pub struct ExerciseArg {
    /// Run on your version of an exercise (exercises/NAME): your serverless.yml, your code.
    #[arg(long, global = true, value_name = "NAME")]
    pub exercise: Option<String>,
}

impl ExerciseArg {
    /// The lesson, or the learner's version of it.
    fn lesson(&self, id: LessonId) -> Result<Lesson> {
        let Some(name) = &self.exercise else {
            return Ok(id.lesson());
        };
        let catalog = crate::exercise::catalog::Catalog::load()?;
        let exercise = catalog.get(name)?;
        let step = id.lesson().name;
        if exercise.lesson_id()? != id {
            anyhow::bail!(
                "exercise {name} belongs to lesson {}, not {step}: `cargo xtask lesson {} ... --exercise {name}`",
                exercise.lesson,
                exercise.lesson
            );
        }
        if !crate::exercise::checks::runs_like_a_lesson(exercise) {
            anyhow::bail!(
                "exercise {name} is not a stack of its own (you write {}): `cargo xtask exercise check {name}` runs it",
                exercise.files.join(", ")
            );
        }
        crate::exercise::attempt::lesson_of(exercise)
    }
}

/// What every lesson does on the way to AWS, the same for each.
#[derive(Subcommand)]
pub enum AwsAction {
    /// Build the functions for AWS Lambda (cargo lambda build): target/lambda/<binary>/bootstrap.zip.
    Build(build::BuildArgs),
    /// Build, then `osls package`: the CloudFormation templates in the lesson's .serverless/ (offline).
    Package(package::PackageArgs),
    /// Deploy to AWS: check credentials, build, `osls deploy` (needs an AWS account).
    Deploy(deploy::DeployArgs),
    /// Delete the deployed stack (`osls remove`): what stops the costs.
    Remove(deploy::DeployArgs),
    /// The deployed stack: endpoint, functions, queues (`osls info`).
    Info(deploy::InfoArgs),
    /// A deployed function's CloudWatch logs (`osls logs`).
    Logs(deploy::LogsArgs),
}

impl AwsAction {
    fn run(self, lesson: &Lesson) -> Result<ExitCode> {
        match self {
            AwsAction::Build(args) => build::run(lesson, &args),
            AwsAction::Package(args) => package::run(lesson, &args),
            #[cfg(feature = "sdk")]
            AwsAction::Deploy(args) => deploy::deploy(lesson, &args),
            #[cfg(feature = "sdk")]
            AwsAction::Remove(args) => deploy::remove(lesson, &args),
            #[cfg(feature = "sdk")]
            AwsAction::Info(args) => deploy::info(lesson, &args),
            #[cfg(feature = "sdk")]
            AwsAction::Logs(args) => deploy::logs(lesson, &args),
            // The AWS credential chain is aws-config's: `xtask-sdk` runs these.
            #[cfg(not(feature = "sdk"))]
            AwsAction::Deploy(_)
            | AwsAction::Remove(_)
            | AwsAction::Info(_)
            | AwsAction::Logs(_) => Err(crate::aws_sdks::NeedsSdk.into()),
        }
    }
}

#[derive(Subcommand)]
pub enum Step1Action {
    /// Build, boot localcloud from the lesson's serverless.yml, send the
    /// lesson's requests, print what comes back; exits 0 only if every answer
    /// is right.
    Run,
    /// Boot localcloud and serve the lesson until Ctrl-C.
    Up(up::UpArgs),
    /// POST a body to the lesson's endpoint and print status and body.
    Invoke(endpoint::InvokeArgs),
    /// The retrospective's shell loop: POST {"input": i} for i = 1..=count.
    Loop(endpoint::LoopArgs),
    #[command(flatten)]
    Aws(AwsAction),
}

#[cfg(feature = "sdk")]
#[derive(Subcommand)]
pub enum Step2Action {
    /// Build, boot localcloud, send jobs through producer -> SQS -> worker,
    /// report what the worker did; exits 0 only if every job was processed
    /// once with the right output.
    Run {
        /// Jobs to send.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        jobs: u32,
    },
    /// Boot localcloud (HTTP API, SQS, the event source mapping) and serve
    /// the lesson until Ctrl-C.
    Up(up::QueueUpArgs),
    /// POST a body to the lesson's endpoint and print status and body.
    Invoke(endpoint::InvokeArgs),
    /// The retrospective's shell loop: POST {"input": i} for i = 1..=count.
    Loop(endpoint::LoopArgs),
    #[command(flatten)]
    Queue(queue::QueueCommand),
    #[command(flatten)]
    Aws(AwsAction),
}

#[cfg(feature = "sdk")]
#[derive(Subcommand)]
pub enum Step3Action {
    /// The visibility-timeout experiment: eight scenarios (virtual time by
    /// default; --real plays them in real time, each event printed as it
    /// happens), a table and timeline per scenario, SVG pictures under
    /// target/step3/; exits 0 only if every job ended as AWS's rules say.
    Run(step3::RunArgs),
    /// Boot localcloud (HTTP API, SQS, the event source mapping) and serve
    /// the lesson until Ctrl-C.
    Up(up::QueueUpArgs),
    /// POST a body to the lesson's endpoint and print status and body.
    Invoke(endpoint::InvokeArgs),
    /// The retrospective's shell loop: POST {"input": i} for i = 1..=count.
    Loop(endpoint::LoopArgs),
    /// Set the live queue's VisibilityTimeout (SetQueueAttributes).
    Visibility(queue::VisibilityArgs),
    #[command(flatten)]
    Queue(queue::QueueCommand),
    #[command(flatten)]
    Aws(AwsAction),
}

pub fn run(args: LessonArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    match args.lesson {
        LessonCommand::Step1 { exercise, action } => {
            let lesson = exercise.lesson(LessonId::Step1)?;
            match action {
                Step1Action::Run => {
                    lesson.build(Profile::Debug)?;
                    runtime.block_on(step1::run(&lesson))
                }
                Step1Action::Up(args) => up::run(&runtime, &lesson, &args, None),
                Step1Action::Invoke(args) => runtime.block_on(endpoint::invoke(&lesson, &args)),
                Step1Action::Loop(args) => runtime.block_on(endpoint::run_loop(&lesson, &args)),
                Step1Action::Aws(action) => action.run(&lesson),
            }
        }
        #[cfg(not(feature = "sdk"))]
        LessonCommand::Step2(_) | LessonCommand::Step3(_) => Err(crate::aws_sdks::NeedsSdk.into()),
        #[cfg(feature = "sdk")]
        LessonCommand::Step2 { exercise, action } => {
            let lesson = exercise.lesson(LessonId::Step2)?;
            match action {
                Step2Action::Run { jobs } => {
                    lesson.build(Profile::Debug)?;
                    runtime.block_on(step2::run(&lesson, jobs as usize))
                }
                Step2Action::Up(args) => up::run(
                    &runtime,
                    &lesson,
                    &args.up,
                    Some((args.sqs_port, args.stale_delete)),
                ),
                Step2Action::Invoke(args) => runtime.block_on(endpoint::invoke(&lesson, &args)),
                Step2Action::Loop(args) => runtime.block_on(endpoint::run_loop(&lesson, &args)),
                Step2Action::Aws(action) => action.run(&lesson),
                Step2Action::Queue(command) => runtime.block_on(queue::run(&lesson, command)),
            }
        }
        #[cfg(feature = "sdk")]
        LessonCommand::Step3 { exercise, action } => {
            let lesson = exercise.lesson(LessonId::Step3)?;
            match action {
                Step3Action::Run(args) => {
                    if let Some(name) = &exercise.exercise {
                        anyhow::bail!(
                            "the experiment plays its scenarios on the lesson's serverless.yml; your {name} is checked with `cargo xtask exercise check {name}`"
                        );
                    }
                    drop(runtime);
                    step3::run(&lesson, &args)
                }
                Step3Action::Up(args) => up::run(
                    &runtime,
                    &lesson,
                    &args.up,
                    Some((args.sqs_port, args.stale_delete)),
                ),
                Step3Action::Invoke(args) => runtime.block_on(endpoint::invoke(&lesson, &args)),
                Step3Action::Loop(args) => runtime.block_on(endpoint::run_loop(&lesson, &args)),
                Step3Action::Aws(action) => action.run(&lesson),
                Step3Action::Visibility(args) => {
                    runtime.block_on(queue::visibility(&lesson, &args))
                }
                Step3Action::Queue(command) => runtime.block_on(queue::run(&lesson, command)),
            }
        }
    }
}
