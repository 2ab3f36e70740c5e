//! The learner's progress: `exercises/.progress.toml`, next to their work
//! (not under `target/`, which `cargo clean` deletes), ignored by git.
//!
//! ```toml
//! done = ["1-1-route"]
//! [hints_shown]
//! 1-2-validate = 1
//! ```
//!
//! The current exercise is the first one not done, so exercises are done
//! in order and the file never disagrees with the catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::catalog::{Catalog, Exercise};
use crate::paths;

#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Progress {
    /// The exercises whose check passed once (kept for the solution and for
    /// an instructor reading the file; a ✓ needs `passed` too).
    pub done: BTreeSet<String>,
    /// For each passed exercise, the SHA-256 of its learner files when the
    /// check passed: the ✓ stands only while they are unchanged.
    pub passed: BTreeMap<String, String>,
    /// How many hints of each exercise have been shown.
    pub hints_shown: BTreeMap<String, usize>,
    /// Every check run, passed or not, so an instructor sees a stuck learner.
    pub attempts: BTreeMap<String, Attempts>,
}

/// The checks of one exercise.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Attempts {
    pub checks: u32,
    /// `passed`, `failed` or `compile error`.
    pub last: String,
    /// When, RFC 3339 in UTC.
    pub at: String,
}

/// Where an exercise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Passed, and the files are as they were then.
    Done,
    /// Passed once, but the files changed since (a reset, a `git
    /// checkout`, more editing): check again.
    Changed,
    Current,
    NotStarted,
}

/// The SHA-256 of an exercise's learner files (names and contents; a
/// missing file counts as empty), hex.
pub fn files_hash(exercise: &Exercise) -> String {
    let mut hash = Sha256::new();
    for (name, path) in exercise.files.iter().zip(exercise.learner_files()) {
        hash.update(name.as_bytes());
        hash.update([0]);
        let text = std::fs::read(&path).unwrap_or_default();
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(&text);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Progress {
    /// `exercises/.progress.toml`, or `XTASK_EXERCISES_PROGRESS` (the docs
    /// test runs the commands with a progress file of its own).
    pub fn path() -> PathBuf {
        match std::env::var_os("XTASK_EXERCISES_PROGRESS") {
            Some(path) => PathBuf::from(path),
            None => paths::root().join("exercises").join(".progress.toml"),
        }
    }

    /// The saved progress; none yet is an empty one. A file that does not
    /// read is an error that says how to start over (it is never replaced
    /// behind the learner's back).
    pub fn load() -> Result<Self> {
        let path = Self::path();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| {
                format!(
                    "{} does not read (delete it to start the exercises over / 지우면 처음부터 다시 시작합니다)",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn save(&self) -> Result<()> {
        let path = Self::path();
        let text = format!(
            "# cargo xtask exercise: your progress (delete this file to start over).\n\
             # 연습 진행 상황입니다. 지우면 처음부터 다시 시작합니다.\n{}",
            toml::to_string(self)?
        );
        // Written whole, then renamed: an interrupted save leaves the old file.
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
    }

    /// A check of `exercise` ended `last` (`passed`, `failed`, `compile
    /// error`); a pass keeps the files' hash.
    pub fn record(&mut self, exercise: &Exercise, last: &str) {
        let attempts = self.attempts.entry(exercise.name.clone()).or_default();
        attempts.checks += 1;
        attempts.last = last.to_owned();
        attempts.at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        if last == "passed" {
            self.done.insert(exercise.name.clone());
            self.passed
                .insert(exercise.name.clone(), files_hash(exercise));
        }
    }

    /// Forgets `name`'s pass and hints (`exercise reset`); its attempts stay.
    pub fn forget(&mut self, name: &str) {
        self.done.remove(name);
        self.passed.remove(name);
        self.hints_shown.remove(name);
    }

    /// Whether `exercise` passed and its files are as they were then.
    pub fn is_done(&self, exercise: &Exercise) -> bool {
        self.passed
            .get(&exercise.name)
            .is_some_and(|hash| *hash == files_hash(exercise))
    }

    /// The first exercise not done, if any is left.
    pub fn current<'c>(&self, catalog: &'c Catalog) -> Option<&'c Exercise> {
        catalog.exercises.iter().find(|e| !self.is_done(e))
    }

    pub fn state(&self, catalog: &Catalog, exercise: &Exercise) -> State {
        if self.is_done(exercise) {
            State::Done
        } else if self.done.contains(&exercise.name) {
            State::Changed
        } else if self
            .current(catalog)
            .is_some_and(|c| c.name == exercise.name)
        {
            State::Current
        } else {
            State::NotStarted
        }
    }

    pub fn hints_shown(&self, name: &str) -> usize {
        self.hints_shown.get(name).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exercise whose files are written to a folder of its own (the
    /// test never touches the learner's exercises/).
    fn in_temp(dir: &std::path::Path) -> Catalog {
        let catalog = Catalog::load().unwrap();
        for exercise in &catalog.exercises {
            for made in super::super::starter::make(exercise).unwrap() {
                let path = dir.join(&exercise.name).join(&made.path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, made.text).unwrap();
            }
        }
        catalog
    }

    #[test]
    fn a_pass_stands_while_the_files_are_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        temp_env(dir.path(), || {
            let catalog = in_temp(dir.path());
            let mut progress = Progress::default();
            assert_eq!(progress.current(&catalog).unwrap().name, "1-1-route");
            let first = catalog.get("1-1-route").unwrap();
            progress.record(first, "failed");
            assert_eq!(progress.state(&catalog, first), State::Current);
            progress.record(first, "passed");
            assert_eq!(progress.state(&catalog, first), State::Done);
            assert_eq!(progress.current(&catalog).unwrap().name, "1-2-validate");
            assert_eq!(progress.attempts["1-1-route"].checks, 2);
            // The starter restored (a reset, `git checkout`): no longer done.
            let file = first.learner_files()[0].clone();
            std::fs::write(&file, "# changed\n").unwrap();
            assert_eq!(progress.current(&catalog).unwrap().name, "1-1-route");
            assert_eq!(progress.state(&catalog, first), State::Changed);
            let second = catalog.get("1-2-validate").unwrap();
            progress.record(second, "passed");
            std::fs::write(second.learner_files()[0].clone(), "// changed\n").unwrap();
            assert_eq!(progress.state(&catalog, second), State::Changed);
        });
    }

    /// Runs `f` with the exercises in `dir` (this thread only).
    fn temp_env(dir: &std::path::Path, f: impl FnOnce()) {
        use super::super::catalog::TEST_EXERCISES_DIR;
        TEST_EXERCISES_DIR.with(|d| *d.borrow_mut() = Some(dir.to_owned()));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        TEST_EXERCISES_DIR.with(|d| *d.borrow_mut() = None);
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }

    #[test]
    fn progress_round_trips_through_its_file_format() {
        let mut progress = Progress::default();
        progress.done.insert("1-1-route".into());
        progress.passed.insert("1-1-route".into(), "ab".into());
        progress.hints_shown.insert("1-2-validate".into(), 2);
        progress.attempts.insert(
            "1-2-validate".into(),
            Attempts {
                checks: 3,
                last: "compile error".into(),
                at: "2026-12-06T09:00:00Z".into(),
            },
        );
        let text = toml::to_string(&progress).unwrap();
        assert_eq!(toml::from_str::<Progress>(&text).unwrap(), progress);
        // A file from before the hashes reads, and counts nothing as done.
        let old: Progress = toml::from_str("done = [\"1-1-route\"]\n").unwrap();
        assert!(old.passed.is_empty());
    }
}
