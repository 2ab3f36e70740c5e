//! `cargo xtask bench exercises`: the learner's loop, timed as a learner
//! runs it (`cargo xtask exercise check`, debug builds), beside the compile
//! alone in the same run:
//!
//! - `exercise check 1-2-validate` after a one-line edit (target ≤ 15 s),
//!   against `cargo build` of the same crate after the same edit;
//! - a step-3 worker exercise's compile after a one-line edit, with its
//!   check program and without (target: the check program adds ≤ 3 s).
//!
//! The edit is a comment line appended to the exercise's file and taken
//! away again; the command refuses to run when the file holds a learner's
//! work (it differs from the starting point), and the learner's progress
//! file is not touched (the checks write theirs to a temporary one).

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::exercise::catalog::Catalog;
use crate::exercise::starter;
use crate::paths;

/// Rounds per measurement; the median is reported.
const ROUNDS: usize = 3;

/// A learner's file with a comment line appended, put back when dropped.
struct Edited {
    path: PathBuf,
    original: String,
}

impl Edited {
    /// Refuses a file that is not the starting point: it holds someone's work.
    fn starting_point(exercise: &str, file: &str) -> Result<Self> {
        let catalog = Catalog::load()?;
        let e = catalog.get(exercise)?;
        let made = starter::make(e)?
            .into_iter()
            .find(|m| m.path == file)
            .with_context(|| format!("{exercise} has no file {file}"))?;
        let path = e.dir().join(file);
        let original = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if original != made.text {
            bail!(
                "{} is not the starting point (your work?): the benchmark edits it, so it runs only on an untouched exercise (`git stash` first)",
                path.display()
            );
        }
        Ok(Self { path, original })
    }

    /// One more one-line edit (a comment), so cargo compiles the crate again.
    fn touch(&self, round: usize) -> Result<()> {
        std::fs::write(
            &self.path,
            format!("{}// bench edit {round}\n", self.original),
        )?;
        Ok(())
    }
}

impl Drop for Edited {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

fn timed(command: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    command
        .current_dir(paths::root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    Ok(started.elapsed())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// `cargo xtask exercise check NAME`, as a learner types it.
fn check(name: &str, progress: &std::path::Path) -> Command {
    let mut command = cargo();
    command
        .args(["xtask", "exercise", "check", name])
        .env("XTASK_EXERCISES_PROGRESS", progress);
    command
}

/// The build `exercise check` runs (`cargo build -p <crate>`), or only
/// `bins` of it.
fn build(package: &str, bins: &[&str]) -> Command {
    let mut command = cargo();
    command.args(["build", "--quiet", "--package", package]);
    for bin in bins {
        command.args(["--bin", bin]);
    }
    command
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Each contender after its own one-line edit, `ROUNDS` times, alternated.
fn measure(edited: &Edited, contenders: &mut [(&str, Command)]) -> Result<Vec<Duration>> {
    let mut samples = vec![Vec::new(); contenders.len()];
    for round in 0..ROUNDS {
        for (i, (_, command)) in contenders.iter_mut().enumerate() {
            edited.touch(round * 10 + i)?;
            samples[i].push(timed(command)?);
        }
    }
    Ok(samples.into_iter().map(median).collect())
}

pub fn bench() -> Result<ExitCode> {
    let progress = tempfile::tempdir()?;
    let progress = progress.path().join("progress.toml");

    eprintln!("First builds (not timed)...");
    timed(&mut check("1-2-validate", &progress))?;
    timed(&mut check("3-1-slow-worker", &progress))?;

    println!(
        "exercises: the learner's loop after a one-line edit, median of {ROUNDS}, debug builds, this machine ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| after a one-line edit | seconds |\n|---|---:|");

    let lib = Edited::starting_point("1-2-validate", "src/lib.rs")?;
    let step1 = measure(
        &lib,
        &mut [
            (
                "cargo build of ex-1-2-validate (the compile alone)",
                build("ex-1-2-validate", &[]),
            ),
            (
                "cargo xtask exercise check 1-2-validate",
                check("1-2-validate", &progress),
            ),
        ],
    )?;
    drop(lib);
    println!(
        "| cargo build of ex-1-2-validate (the compile alone) | {:.2} |",
        step1[0].as_secs_f64()
    );
    println!(
        "| `cargo xtask exercise check 1-2-validate` | {:.2} |",
        step1[1].as_secs_f64()
    );

    let worker = Edited::starting_point("3-1-slow-worker", "src/slow_work.rs")?;
    let step3 = measure(
        &worker,
        &mut [
            (
                "the lesson's binaries only",
                build(
                    "ex-3-1-slow-worker",
                    &["ex-3-1-slow-worker-producer", "ex-3-1-slow-worker-worker"],
                ),
            ),
            ("with the check program", build("ex-3-1-slow-worker", &[])),
            (
                "cargo xtask exercise check 3-1-slow-worker",
                check("3-1-slow-worker", &progress),
            ),
        ],
    )?;
    drop(worker);
    println!(
        "| cargo build of ex-3-1-slow-worker, the lesson's binaries only | {:.2} |",
        step3[0].as_secs_f64()
    );
    println!(
        "| the same with its check program (`ex-3-1-slow-worker-check`) | {:.2} |",
        step3[1].as_secs_f64()
    );
    println!(
        "| `cargo xtask exercise check 3-1-slow-worker` | {:.2} |",
        step3[2].as_secs_f64()
    );

    let added = step3[1].as_secs_f64() - step3[0].as_secs_f64();
    let check_ok = step1[1] <= Duration::from_secs(15);
    let added_ok = added <= 3.0;
    println!(
        "\ntargets: check 1-2-validate after an edit <= 15 s: {} ({:.2} s); the step-3 check program adds <= 3 s to the compile: {} ({added:+.2} s)",
        if check_ok { "met" } else { "NOT met" },
        step1[1].as_secs_f64(),
        if added_ok { "met" } else { "NOT met" },
    );
    Ok(ExitCode::SUCCESS)
}
