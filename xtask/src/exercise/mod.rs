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
#[cfg(test)]
mod names;
pub mod progress;
#[cfg(test)]
mod proofs;
pub mod starter;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct ExerciseArgs {
    #[command(subcommand)]
    pub command: Option<ExerciseCommand>,
}

#[derive(Subcommand)]
pub enum ExerciseCommand {
    /// Every exercise with its state (done, current, not started) and its files.
    List,
    /// The exercise's instructions (Korean and English) and its files.
    Show {
        /// The exercise (default: the current one).
        name: Option<String>,
    },
    /// Build your code, run the exercise's check on localcloud, say what passed and what to look at next.
    Check {
        /// The exercise (default: the current one).
        name: Option<String>,
    },
    /// Check again on every save of the exercise's files (h: hint, l: list, q: quit).
    Watch {
        /// The exercise (default: the current one).
        name: Option<String>,
    },
    /// The next hint, in Korean and English.
    Hint {
        /// The exercise (default: the current one).
        name: Option<String>,
    },
    /// Put the starting point back (your version is kept beside it as a backup).
    Reset {
        /// The exercise.
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// Every exercise (maintainers: after a lesson's marked code changed).
        #[arg(long, conflicts_with = "name")]
        all: bool,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// The lesson's solution beside yours, as a diff (once your check passed).
    Solution {
        name: String,
        /// Show it before the check passed.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(args: ExerciseArgs) -> Result<ExitCode> {
    match args.command.unwrap_or(ExerciseCommand::List) {
        ExerciseCommand::List => commands::list(),
        ExerciseCommand::Show { name } => commands::show(name.as_deref()),
        ExerciseCommand::Check { name } => commands::check(name.as_deref()),
        ExerciseCommand::Watch { name } => commands::watch(name.as_deref()),
        ExerciseCommand::Hint { name } => commands::hint(name.as_deref()),
        ExerciseCommand::Reset { name, all, yes } => commands::reset(name.as_deref(), all, yes),
        ExerciseCommand::Solution { name, force } => commands::solution(&name, force),
    }
}
