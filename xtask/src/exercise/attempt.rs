//! A learner's attempt: where its files are, how its code runs, and the
//! stack booted from them.
//!
//! `cargo xtask exercise check` builds the learner's code with cargo and
//! runs the binaries, as `lesson <step> run` does. The CI proofs run the
//! same checks on a starting point, the lesson's solution and a wrong
//! attempt, with the code in process (a nested cargo would wait on the
//! outer `cargo test`'s lock).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use localcloud::config::{ResolveContext, ServerlessConfig};
use localcloud::lambda::logs::Logs;
use localcloud::sqs::Sqs;
use localcloud::stack::{CodeSource, Stack, StackOptions};

use super::catalog::{Copy, Exercise};
use super::rustc::Diagnostic;
use super::starter::exercise_binary;
use crate::lesson::stack::with_logs;
use crate::lesson::{Lesson, Profile};
use crate::paths;

/// Where an attempt's code comes from.
pub enum Code {
    /// The binaries cargo built (the lesson's, or the exercise crate's).
    Built,
    /// Handlers called in process, by function key (tests); made from the
    /// config and the SQS they run against (a producer needs its queue URL).
    InProcess(Box<MakeCode>),
    /// A step-3 worker in process (tests): the experiment runs with it.
    #[cfg(feature = "sdk")]
    Step3Worker(std::sync::Arc<MakeWorker>),
}

#[cfg(feature = "sdk")]
pub type MakeWorker =
    dyn Fn(step3_experiment::WorkerSetup) -> Result<step3_experiment::WorkerFn> + Send + Sync;

pub type MakeCode =
    dyn Fn(&ServerlessConfig, Option<&Sqs>) -> BTreeMap<String, CodeSource> + Send + Sync;

pub struct Attempt {
    /// The folder that holds the learner's files.
    pub dir: PathBuf,
    pub code: Code,
    /// The lesson, as the runner knows it, pointed at `dir` (and at the
    /// exercise crate's binaries for a crate exercise).
    pub lesson: Lesson,
}

/// `exercise` as a lesson: its folder, its package and binaries.
pub fn lesson_of(exercise: &Exercise) -> Result<Lesson> {
    let base = exercise.lesson_id()?.lesson();
    // A lesson's names are `&'static`: the few strings of the one exercise
    // a command works on live as long as the command.
    let dir = exercise.dir();
    let dir = dir
        .strip_prefix(paths::root())
        .unwrap_or(&dir)
        .display()
        .to_string();
    let dir: &'static str = Box::leak(dir.into_boxed_str());
    Ok(match exercise.copy {
        // An exercise without a serverless.yml of its own (a script, a
        // prediction) runs against the lesson's stack.
        Copy::Files if !exercise.files.iter().any(|f| f == "serverless.yml") => base,
        Copy::Files => Lesson { dir, ..base },
        Copy::Crate => {
            let package = exercise.package.clone().context("no package")?;
            let binaries: Vec<(&'static str, &'static str)> = base
                .binaries
                .iter()
                .map(|(key, bin)| {
                    let ours: &'static str =
                        Box::leak(exercise_binary(&package, bin).into_boxed_str());
                    (*key, ours)
                })
                .collect();
            Lesson {
                dir,
                package: Box::leak(package.into_boxed_str()),
                binaries: Box::leak(binaries.into_boxed_slice()),
                ..base
            }
        }
    })
}

impl Attempt {
    /// The learner's own files, run from the binaries cargo builds.
    pub fn learner(exercise: &Exercise) -> Result<Self> {
        Ok(Self {
            dir: exercise.dir(),
            code: Code::Built,
            lesson: lesson_of(exercise)?,
        })
    }

    /// Files in `dir` with the code in process (the CI proofs).
    pub fn in_process(exercise: &Exercise, dir: PathBuf, code: Box<MakeCode>) -> Result<Self> {
        Self::in_dir(exercise, dir, Code::InProcess(code))
    }

    /// Files in `dir` (a starting point or a solution written elsewhere):
    /// the stack is booted from `dir/serverless.yml` when there is one.
    pub fn in_dir(exercise: &Exercise, dir: PathBuf, code: Code) -> Result<Self> {
        let mut lesson = lesson_of(exercise)?;
        if dir.join("serverless.yml").exists() {
            lesson.dir = Box::leak(dir.to_string_lossy().into_owned().into_boxed_str());
        }
        Ok(Self { dir, code, lesson })
    }

    /// The stack's file: the learner's, or the lesson's when the exercise
    /// has none.
    pub fn serverless_yml(&self) -> PathBuf {
        paths::root().join(self.lesson.dir).join("serverless.yml")
    }

    /// `exercises/1-1-route/serverless.yml`, as a learner reads it.
    pub fn show(&self, file: &str) -> String {
        let path = self.dir.join(file);
        path.strip_prefix(paths::root())
            .unwrap_or(&path)
            .display()
            .to_string()
    }

    /// The attempt's `serverless.yml`, its queues resolved against `sqs`.
    pub fn config(
        &self,
        sqs: Option<&Sqs>,
    ) -> Result<ServerlessConfig, localcloud::config::ConfigError> {
        let context = match sqs {
            Some(sqs) => ResolveContext {
                sqs_endpoint_url: sqs.endpoint_url(),
                account_id: sqs.account_id(),
                ..Default::default()
            },
            None => ResolveContext::default(),
        };
        ServerlessConfig::from_file_with(self.serverless_yml(), &context)
    }

    /// The stack of an already-read config, with this attempt's code.
    pub fn stack(&self, config: ServerlessConfig, logs: Logs, sqs: Option<Sqs>) -> Result<Stack> {
        match &self.code {
            Code::Built => {
                self.lesson
                    .stack_with_config(config, with_logs(logs), Profile::Debug, sqs)
            }
            #[cfg(feature = "sdk")]
            Code::Step3Worker(_) => {
                anyhow::bail!("a step-3 worker runs in the experiment, not in a stack")
            }
            Code::InProcess(make) => Ok(Stack::new(
                config.clone(),
                StackOptions {
                    code: make(&config, sqs.as_ref()),
                    lambda: with_logs(logs),
                    sqs,
                },
            )?),
        }
    }

    /// The binaries a function's `package.artifact` may name, for the
    /// message when it names another.
    pub fn expected_artifacts(&self) -> Vec<String> {
        self.lesson
            .binaries
            .iter()
            .map(|(_, bin)| format!("../../target/lambda/{bin}/{bin}.zip"))
            .collect()
    }

    /// Whether `function`'s code is known: a lesson binary by its artifact
    /// (built code), or a handler under its key (in process).
    pub fn knows(&self, function: &localcloud::config::Function) -> bool {
        match &self.code {
            Code::Built => function
                .artifact
                .as_ref()
                .and_then(|a| a.file_stem())
                .and_then(|s| s.to_str())
                .is_some_and(|stem| self.lesson.binaries.iter().any(|(_, b)| *b == stem)),
            Code::InProcess(_) => true,
            #[cfg(feature = "sdk")]
            Code::Step3Worker(_) => true,
        }
    }
}

/// What building the learner's crate gave.
pub enum Build {
    /// It compiled; the warnings about the learner's code, if any.
    Compiled(Vec<Diagnostic>),
    /// It did not: the compiler's errors.
    Failed(Vec<Diagnostic>),
    /// Cargo itself failed (a broken manifest, a missing file): its words.
    Cargo(String),
}

/// The command the check runs to build `package`, as a learner types it:
/// the crate alone, so typing it rebuilds nothing (every exercise crate
/// resolves the features `cargo xtask` uses, through workspace-hack).
pub fn build_command(package: &str) -> String {
    format!("cargo build -p {package}")
}

/// Builds `package` (its library, its binaries and its check program) with
/// cargo's JSON messages, so the errors can be shown as rustc renders them
/// ([`rustc`](super::rustc)). Cargo's progress goes to the terminal as
/// usual: a first build says what it compiles.
pub fn build(package: &str) -> Result<Build> {
    if std::env::var_os("XTASK_NO_BUILD").is_some_and(|v| v == "1") {
        return Ok(Build::Compiled(Vec::new()));
    }
    let format = if console::colors_enabled_stderr() {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    };
    let output =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(paths::root())
            .args(["build", "-p", package, "--message-format", format])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("cannot run cargo")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let found = super::rustc::diagnostics(&stdout);
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) =
        found.into_iter().partition(|d| d.level == "error");
    if output.status.success() {
        return Ok(Build::Compiled(warnings));
    }
    if errors.is_empty() {
        return Ok(Build::Cargo(format!(
            "`{}` failed: its messages are above.",
            build_command(package)
        )));
    }
    Ok(Build::Failed(errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--exercise NAME` builds, packages and deploys the learner's crate:
    /// the made serverless.yml names the binaries the lesson runs as.
    #[test]
    fn a_crate_exercise_runs_and_packages_its_own_binaries() {
        let catalog = super::super::catalog::Catalog::load().unwrap();
        for exercise in catalog.exercises.iter().filter(|e| e.copy == Copy::Crate) {
            let lesson = lesson_of(exercise).unwrap();
            assert_eq!(Some(lesson.package), exercise.package.as_deref());
            let made = super::super::starter::make(exercise).unwrap();
            let yml = &made
                .iter()
                .find(|m| m.path == "serverless.yml")
                .unwrap()
                .text;
            for (_, bin) in lesson.binaries {
                assert!(bin.starts_with(lesson.package), "{bin}");
                assert!(
                    yml.contains(&format!("target/lambda/{bin}/{bin}.zip")),
                    "{}: {bin} not in its serverless.yml",
                    exercise.name
                );
            }
            let manifest = &made.iter().find(|m| m.path == "Cargo.toml").unwrap().text;
            for (_, bin) in lesson.binaries {
                assert!(manifest.contains(&format!("name = \"{bin}\"")), "{bin}");
            }
        }
    }
}
