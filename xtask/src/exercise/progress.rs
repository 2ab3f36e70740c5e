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

use super::catalog::{Catalog, Exercise};
use crate::paths;

#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Progress {
    pub done: BTreeSet<String>,
    /// How many hints of each exercise have been shown.
    pub hints_shown: BTreeMap<String, usize>,
}

/// Where an exercise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Done,
    Current,
    NotStarted,
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

    /// The first exercise not done, if any is left.
    pub fn current<'c>(&self, catalog: &'c Catalog) -> Option<&'c Exercise> {
        catalog
            .exercises
            .iter()
            .find(|e| !self.done.contains(&e.name))
    }

    pub fn state(&self, catalog: &Catalog, exercise: &Exercise) -> State {
        if self.done.contains(&exercise.name) {
            State::Done
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

    #[test]
    fn the_current_exercise_is_the_first_not_done() {
        let catalog = Catalog::load().unwrap();
        let mut progress = Progress::default();
        assert_eq!(progress.current(&catalog).unwrap().name, "1-1-route");
        progress.done.insert("1-1-route".into());
        progress.done.insert("2-1-queue".into());
        assert_eq!(progress.current(&catalog).unwrap().name, "1-2-validate");
        let second = catalog.get("2-1-queue").unwrap();
        assert_eq!(progress.state(&catalog, second), State::Done);
        let fourth = catalog.get("2-2-plus-one").unwrap();
        assert_eq!(progress.state(&catalog, fourth), State::NotStarted);
    }

    #[test]
    fn progress_round_trips_through_its_file_format() {
        let mut progress = Progress::default();
        progress.done.insert("1-1-route".into());
        progress.hints_shown.insert("1-2-validate".into(), 2);
        let text = toml::to_string(&progress).unwrap();
        assert_eq!(toml::from_str::<Progress>(&text).unwrap(), progress);
    }
}
