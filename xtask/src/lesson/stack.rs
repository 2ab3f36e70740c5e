//! The lessons the runner knows, and how one is booted: its Lambda binaries
//! built with cargo, its `serverless.yml` read by localcloud, its functions
//! run from those binaries (or, for tests and benchmarks, in process).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use localcloud::config::{QueueSpec, ResolveContext, ServerlessConfig};
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::CancellationToken;
use localcloud::sqs::Sqs;
use localcloud::stack::{CodeSource, Stack, StackOptions};

use crate::paths;

/// The lessons, in the order a learner meets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonId {
    Step1,
    Step2,
    Step3,
}

/// What the runner knows about a lesson.
pub struct Lesson {
    /// `step1`, as typed after `cargo xtask lesson`.
    pub name: &'static str,
    pub dir: &'static str,
    pub package: &'static str,
    /// Function key in serverless.yml -> cargo binary name.
    pub binaries: &'static [(&'static str, &'static str)],
    /// The route `invoke` and `loop` post to.
    pub route: &'static str,
    /// Whether the lesson has a queue (and so the queue commands).
    pub has_queue: bool,
}

impl LessonId {
    pub fn lesson(self) -> Lesson {
        match self {
            LessonId::Step1 => Lesson {
                name: "step1",
                dir: "lessons/step1-http",
                package: "step1-http",
                binaries: &[("api", "step1-api")],
                route: "/",
                has_queue: false,
            },
            LessonId::Step2 => Lesson {
                name: "step2",
                dir: "lessons/step2-sqs",
                package: "step2-sqs",
                binaries: &[
                    ("producer", "step2-producer"),
                    ("jobsWorker", "step2-worker"),
                ],
                route: "/produce",
                has_queue: true,
            },
            LessonId::Step3 => Lesson {
                name: "step3",
                dir: "lessons/step3-dlq-visibility",
                package: "step3-dlq-visibility",
                binaries: &[
                    ("producer", "step3-producer"),
                    ("jobsWorker", "step3-worker"),
                ],
                route: "/produce",
                has_queue: true,
            },
        }
    }
}

/// Cargo profile of the binaries a stack runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Debug,
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

impl Lesson {
    pub fn serverless_yml(&self) -> PathBuf {
        paths::root().join(self.dir).join("serverless.yml")
    }

    /// The lesson's serverless.yml, its queue URLs resolved against `sqs`.
    pub fn config_for(&self, sqs: &Sqs) -> Result<ServerlessConfig> {
        let context = ResolveContext {
            sqs_endpoint_url: sqs.endpoint_url(),
            account_id: sqs.account_id(),
            ..Default::default()
        };
        Ok(ServerlessConfig::from_file_with(
            self.serverless_yml(),
            &context,
        )?)
    }

    /// `cargo build` of the lesson's Lambda binaries (no cargo-lambda needed locally).
    ///
    /// xtask is named too, though it is built already: cargo picks each
    /// dependency's features from the packages it is asked to build, so with
    /// xtask in the request the lesson reuses every dependency `cargo xtask`
    /// compiled, instead of compiling a second copy with fewer features.
    ///
    /// `XTASK_NO_BUILD=1` skips it and runs what `target/` holds: the
    /// integration tests set it, because `cargo test --workspace` has built
    /// the binaries already and a nested cargo would wait on its lock.
    pub fn build(&self, profile: Profile) -> Result<()> {
        if std::env::var_os("XTASK_NO_BUILD").is_some_and(|v| v == "1") {
            return Ok(());
        }
        let sh = xshell::Shell::new()?;
        sh.change_dir(paths::root());
        let package = self.package;
        // With the runner itself, so both resolve every dependency the same.
        let runner = crate::rerun::this_package();
        let release = (profile == Profile::Release).then_some("--release");
        eprintln!(
            "Building the {} Lambda binaries (cargo build{})...",
            self.name,
            release.map_or("", |_| " --release")
        );
        xshell::cmd!(
            sh,
            "cargo build --quiet --package {runner} --package {package} --bins {release...}"
        )
        .run()
        .with_context(|| format!("building {package} failed"))?;
        Ok(())
    }

    /// The functions' code: the freshly built binaries. A function runs the
    /// binary its `package.artifact` names (`target/lambda/<binary>/...`),
    /// or, failing that, the one the lesson gives its key; so a learner's
    /// `serverless.yml` may name its functions as it likes.
    fn executables(
        &self,
        config: &ServerlessConfig,
        profile: Profile,
    ) -> BTreeMap<String, CodeSource> {
        let binary_of = |function: &localcloud::config::Function| {
            let from_artifact = function.artifact.as_ref().and_then(|artifact| {
                let stem = artifact.file_stem()?.to_str()?;
                self.binaries.iter().find(|(_, bin)| *bin == stem)
            });
            from_artifact
                .or_else(|| self.binaries.iter().find(|(key, _)| *key == function.key))
                .map(|(_, bin)| *bin)
        };
        config
            .functions
            .iter()
            .filter_map(|function| {
                let bin = binary_of(function)?;
                let path = paths::target_dir().join(profile.dir()).join(bin);
                Some((function.key.clone(), CodeSource::Executable(path)))
            })
            .collect()
    }

    /// The stack of this lesson, its functions run from the built binaries
    /// and its queues (if any) in `sqs` (a new in-memory SQS if `None`).
    pub fn stack(
        &self,
        lambda: LambdaSettings,
        profile: Profile,
        sqs: Option<Sqs>,
    ) -> Result<Stack> {
        let config = match &sqs {
            Some(sqs) => self.config_for(sqs)?,
            None => ServerlessConfig::from_file(self.serverless_yml())?,
        };
        self.stack_with_config(config, lambda, profile, sqs)
    }

    /// The stack of an already-read config.
    pub fn stack_with_config(
        &self,
        config: ServerlessConfig,
        lambda: LambdaSettings,
        profile: Profile,
        sqs: Option<Sqs>,
    ) -> Result<Stack> {
        let options = StackOptions {
            code: self.executables(&config, profile),
            lambda,
            sqs,
        };
        Ok(Stack::new(config, options)?)
    }
}

/// Lambda settings with these logs and localcloud's defaults.
pub fn with_logs(logs: Logs) -> LambdaSettings {
    LambdaSettings {
        logs,
        ..Default::default()
    }
}

/// localcloud's SQS on 127.0.0.1:`port` (0: a free port), served until `shutdown`.
pub async fn serve_sqs(port: u16, shutdown: &CancellationToken) -> Result<Sqs> {
    Ok(localcloud::sqs::serve_loopback(port, shutdown).await?)
}

/// The lesson's work queue: the queue that has a dead-letter queue.
pub fn work_queue(config: &ServerlessConfig) -> Result<&QueueSpec> {
    config.queue_with_dlq().with_context(|| {
        format!(
            "{} defines no queue with a dead-letter queue",
            config.path.display()
        )
    })
}

/// The lesson's work queue and the name of its dead-letter queue.
pub fn work_queue_and_dlq(config: &ServerlessConfig) -> Result<(&QueueSpec, &str)> {
    let queue = work_queue(config)?;
    let dlq = &queue
        .redrive
        .as_ref()
        .context("the queue has no DLQ")?
        .dead_letter_queue;
    Ok((queue, dlq))
}
