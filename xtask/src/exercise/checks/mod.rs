//! The checks: each runs a learner's attempt on localcloud and judges the
//! behaviour asked for, with the lessons' own rules (step 1's contract, the
//! step-2 pipeline's counts, step 3's scenario rules), never the shape of
//! the code, so a correct solution written differently passes.
//!
//! A check gives a [`Verdict`]: the report (the lessons' format: ✓/✗ lines,
//! tables, the step-3 timeline) and, when it did not pass, what to look at
//! next, in Korean and English.

pub mod step1;
#[cfg(feature = "sdk")]
pub mod step2;
#[cfg(feature = "sdk")]
pub mod step3;

#[cfg(test)]
mod mistakes;

use anyhow::Result;

use super::attempt::Attempt;
use super::catalog::Exercise;
use super::lang::Lang;

/// What to look at next, in the learner's two languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub ko: String,
    pub en: String,
}

impl Advice {
    pub fn new(ko: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            ko: ko.into(),
            en: en.into(),
        }
    }

    /// The advice in `lang`, lines after the first indented by `indent`.
    pub fn render(&self, lang: Lang, indent: &str) -> String {
        lang.lines(&self.ko, &self.en, indent)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The report, in `lang` (with both languages, the lessons' English).
    pub report: String,
    /// `None` when the check passed.
    pub failure: Option<Advice>,
    /// The language the verdict is rendered in.
    pub lang: Lang,
}

impl Verdict {
    pub fn pass(report: String) -> Self {
        Self {
            report,
            failure: None,
            lang: Lang::Both,
        }
    }

    pub fn fail(report: String, advice: Advice) -> Self {
        Self {
            report,
            failure: Some(advice),
            lang: Lang::Both,
        }
    }

    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// The report, then the verdict and what to look at next. Paths are
    /// shown from the workspace root, as the learner types them.
    pub fn render(&self) -> String {
        self.render_in(self.lang)
    }

    /// [`Verdict::render`], its verdict and advice in `lang`.
    pub fn render_in(&self, lang: Lang) -> String {
        let root = format!("{}/", crate::paths::root().display());
        let exercises = format!("{}/", super::catalog::exercises_root().display());
        let mut out = self
            .report
            .replace(&exercises, "exercises/")
            .replace(&root, "");
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        match &self.failure {
            None => out.push_str(&format!("\n✓ {}\n", lang.say("통과했습니다.", "Passed."))),
            Some(advice) => {
                out.push_str(&format!(
                    "\n✗ {}\n  {}\n",
                    lang.say("아직입니다.", "Not yet."),
                    advice.render(lang, "  ")
                ));
            }
        }
        out
    }
}

/// Runs `exercise`'s check on `attempt` (its code already built), in the
/// learner's language ([`Lang::current`]).
pub async fn run(exercise: &Exercise, attempt: &Attempt) -> Result<Verdict> {
    run_in(exercise, attempt, Lang::current()).await
}

/// [`run`], its report and verdict in `lang`.
pub async fn run_in(exercise: &Exercise, attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let mut verdict = match exercise.name.as_str() {
        "1-1-route" => step1::route(attempt, lang).await,
        "1-2-validate" => step1::validate(attempt, lang).await,
        #[cfg(not(feature = "sdk"))]
        _ if needs_sdk(exercise) => Err(crate::aws_sdks::NeedsSdk.into()),
        #[cfg(feature = "sdk")]
        "2-1-queue" => step2::queue(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "2-2-plus-one" => step2::plus_one(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "2-3-loop" => step2::shell_loop(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "3-1-slow-worker" => step3::slow_worker(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "3-2-predict" => step3::predict(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "3-3-fix-config" => step3::fix_config(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "3-4-heartbeat" => step3::heartbeat(attempt, lang).await,
        #[cfg(feature = "sdk")]
        "3-5-idempotent" => step3::idempotent(attempt, lang).await,
        other => anyhow::bail!("exercise {other} has no check"),
    }?;
    verdict.lang = lang;
    Ok(verdict)
}

/// Whether the check runs the lesson's binaries (built first); the others
/// build the exercise crate, or run the lesson's code in process.
/// The checks of steps 2 and 3 run the lessons' SQS and DynamoDB code:
/// `xtask` (without the AWS SDK) hands them to `xtask-sdk`
/// (see crate::aws_sdks).
pub fn needs_sdk(exercise: &Exercise) -> bool {
    !cfg!(feature = "sdk") && exercise.lesson != "step1"
}

pub fn runs_binaries(name: &str) -> bool {
    matches!(name, "1-1-route" | "2-1-queue" | "2-3-loop")
}

/// Whether the exercise's folder is a stack of its own, served and deployed
/// with `cargo xtask lesson <step> ... --exercise <name>`.
pub fn runs_like_a_lesson(exercise: &Exercise) -> bool {
    exercise.copy == super::catalog::Copy::Crate
        || exercise.files.iter().any(|f| f == "serverless.yml")
}

/// The log lines a learner reads for an invocation: what the function
/// printed, without the platform's START/END/REPORT lines.
pub fn function_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| l.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| {
            !(l.starts_with("START RequestId")
                || l.starts_with("END RequestId")
                || l.starts_with("REPORT RequestId"))
        })
        .collect()
}
