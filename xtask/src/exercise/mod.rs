//! `cargo xtask exercise`: the learner writes the code, the runner checks it.
//!
//! - [`catalog`]: `exercises/exercises.toml`, the exercises in order, with
//!   instructions and hints in Korean and English;
//! - [`starter`]: the starting points, made from the lessons' marked
//!   regions (the lesson is the solution, written once);
//! - [`progress`]: `exercises/.progress.toml`, what the learner has done;
//! - [`attempt`]: the learner's files and code, built and booted;
//! - [`checks`]: one check per exercise, with the lessons' own rules;
//! - [`commands`]: list, show, check, watch, hint, reset, solution;
//! - `names` (tests): the names instructions and advice give exist in the code.

pub mod attempt;
pub mod catalog;
pub mod checks;
pub mod commands;
pub mod lang;
#[cfg(test)]
mod names;
pub mod progress;
#[cfg(test)]
mod proofs;
pub mod rustc;
pub mod starter;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct ExerciseArgs {
    #[command(subcommand)]
    pub command: Option<ExerciseCommand>,
}

// The doc comments are the `--help` text: Korean / English, as the
// learners read it; `EXERCISE_LANG` (see `lang`) sets the rest.
#[derive(Subcommand)]
pub enum ExerciseCommand {
    /// 모든 연습과 상태(완료, 바뀜, 지금, 아직), 트랙, 파일 / Every exercise with its state (done, changed, current, not started), its track and its files.
    List {
        /// 강사용 JSON: 상태, 본 힌트 수, 검사 횟수 / Progress as JSON, for an instructor: state, hints shown, checks run.
        #[arg(long)]
        json: bool,
    },
    /// 검사가 빌드하는 것을 한 번에 모두 빌드합니다(수업 전) / Build everything the checks build, once (instructors: before class).
    Prepare,
    /// 연습의 설명과 파일 / The exercise's instructions and its files.
    Show {
        /// 연습 이름 (기본: 지금 연습) / The exercise (default: the current one).
        name: Option<String>,
    },
    /// 코드를 빌드하고 localcloud에서 검사한 뒤, 통과한 것과 다음에 볼 것을 알려 줍니다 / Build your code, run the exercise's check on localcloud, say what passed and what to look at next.
    Check {
        /// 연습 이름 (기본: 지금 연습) / The exercise (default: the current one).
        name: Option<String>,
    },
    /// 파일을 저장할 때마다 다시 검사합니다 (h: 힌트, l: 목록, q: 끝) / Check again on every save of the exercise's files (h: hint, l: list, q: quit).
    Watch {
        /// 연습 이름 (기본: 지금 연습) / The exercise (default: the current one).
        name: Option<String>,
    },
    /// 다음 힌트 / The next hint.
    Hint {
        /// 연습 이름 (기본: 지금 연습) / The exercise (default: the current one).
        name: Option<String>,
    },
    /// 처음 파일로 되돌립니다 (지금 파일은 옆에 백업) / Put the starting point back (your version is kept beside it as a backup).
    Reset {
        /// 연습 이름 / The exercise.
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// 모든 연습 (관리자: 레슨의 표시된 코드가 바뀐 뒤) / Every exercise (maintainers: after a lesson's marked code changed).
        #[arg(long, conflicts_with = "name")]
        all: bool,
        /// 묻지 않습니다 / Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// 레슨의 답을 여러분의 파일과 diff로 보여 줍니다 (검사를 통과한 뒤) / The lesson's solution beside yours, as a diff (once your check passed).
    Solution {
        /// 연습 이름 / The exercise.
        name: String,
        /// 통과하기 전에도 봅니다 / Show it before the check passed.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(args: ExerciseArgs) -> Result<ExitCode> {
    match args
        .command
        .unwrap_or(ExerciseCommand::List { json: false })
    {
        ExerciseCommand::List { json } => commands::list(json),
        ExerciseCommand::Prepare => commands::prepare(),
        ExerciseCommand::Show { name } => commands::show(name.as_deref()),
        ExerciseCommand::Check { name } => commands::check(name.as_deref()),
        ExerciseCommand::Watch { name } => commands::watch(name.as_deref()),
        ExerciseCommand::Hint { name } => commands::hint(name.as_deref()),
        ExerciseCommand::Reset { name, all, yes } => commands::reset(name.as_deref(), all, yes),
        ExerciseCommand::Solution { name, force } => commands::solution(&name, force),
    }
}
