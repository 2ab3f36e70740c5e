//! `exercises/exercises.toml`: the exercises, in the order a learner does
//! them, with their instructions, starting points and hints (Korean and
//! English). The file is the one place an exercise is described; the runner
//! reads it at run time, so an instructor can read (and edit) it too.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::lesson::LessonId;
use crate::paths;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub version: u32,
    #[serde(rename = "exercise")]
    pub exercises: Vec<Exercise>,
}

/// How the starting point is made from the lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Copy {
    /// Only the learner's files; the stack runs the lesson's own binaries.
    Files,
    /// The lesson crate as a workspace member of its own: the learner's
    /// files copied, the rest of the lesson's code referenced by path.
    Crate,
}

/// Which path an exercise is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Track {
    /// The two-hour class (first build and reading included).
    Class,
    /// After the class, at home.
    Homework,
}

impl Track {
    pub const ALL: [Track; 2] = [Track::Class, Track::Homework];

    pub fn name(self) -> &'static str {
        match self {
            Track::Class => "class",
            Track::Homework => "homework",
        }
    }

    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            Track::Class => ("수업 (2시간)", "class (two hours)"),
            Track::Homework => ("숙제", "homework"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub name: String,
    pub lesson: String,
    /// The lesson folder the starting point is made from.
    pub from: String,
    pub copy: Copy,
    /// The crate copy's package name (`copy = "crate"`).
    pub package: Option<String>,
    /// Added to the crate copy's `[dependencies]` (workspace dependencies).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// A check program the crate copy gets (`step3`: the step-3 experiment
    /// with the learner's worker, `<package>-check`).
    pub harness: Option<String>,
    /// What the learner edits, relative to `exercises/<name>/`.
    pub files: Vec<String>,
    /// An instructor's estimate for the class page.
    pub minutes: u32,
    /// `class`: done in the two-hour class; `homework`: after it.
    pub track: Track,
    pub title_ko: String,
    pub title_en: String,
    pub ko: String,
    pub en: String,
    #[serde(default, rename = "starter")]
    pub starters: Vec<Starter>,
    #[serde(default, rename = "hint")]
    pub hints: Vec<Hint>,
}

/// One replacement that turns the lesson's file into the starting point.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Starter {
    /// Relative to the lesson folder (and to the exercise folder).
    pub file: String,
    /// The marked region of the lesson file; `None` for a new file.
    pub region: Option<String>,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    pub ko: String,
    pub en: String,
}

impl Catalog {
    pub fn path() -> PathBuf {
        paths::root().join("exercises").join("exercises.toml")
    }

    /// Reads and checks `exercises/exercises.toml`.
    pub fn load() -> Result<Self> {
        let path = Self::path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let catalog: Catalog = toml::from_str(text)?;
        if catalog.version != 1 {
            bail!("version {} is not known (1 is)", catalog.version);
        }
        let mut seen = std::collections::BTreeSet::new();
        for exercise in &catalog.exercises {
            if !seen.insert(exercise.name.as_str()) {
                bail!("exercise {} is listed twice", exercise.name);
            }
            exercise.lesson_id()?;
            if exercise.copy == Copy::Crate && exercise.package.is_none() {
                bail!(
                    "exercise {}: copy = \"crate\" needs a package",
                    exercise.name
                );
            }
            if exercise.hints.is_empty() {
                bail!("exercise {} has no hint", exercise.name);
            }
        }
        Ok(catalog)
    }

    /// The exercise called `name`, or an error that lists the names.
    pub fn get(&self, name: &str) -> Result<&Exercise> {
        self.exercises
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no exercise is called {name:?} / {name:?}라는 연습은 없습니다.\nthe exercises / 연습 목록: {}",
                    self.names().join(", ")
                )
            })
    }

    pub fn names(&self) -> Vec<&str> {
        self.exercises.iter().map(|e| e.name.as_str()).collect()
    }

    /// The exercise after `name`, if any.
    pub fn next_after(&self, name: &str) -> Option<&Exercise> {
        let i = self.exercises.iter().position(|e| e.name == name)?;
        self.exercises.get(i + 1)
    }
}

/// `exercises/`, where the learner's copies are; `XTASK_EXERCISES_DIR`
/// moves it (the docs test checks starting points written to a folder of
/// its own, never a learner's copies).
pub fn exercises_root() -> PathBuf {
    #[cfg(test)]
    if let Some(dir) = TEST_EXERCISES_DIR.with(|d| d.borrow().clone()) {
        return dir;
    }
    match std::env::var_os("XTASK_EXERCISES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => paths::root().join("exercises"),
    }
}

#[cfg(test)]
thread_local! {
    /// A test's own exercises folder, for its thread only (the environment
    /// would be every test's).
    pub static TEST_EXERCISES_DIR: std::cell::RefCell<Option<PathBuf>> =
        const { std::cell::RefCell::new(None) };
}

impl Exercise {
    /// `exercises/<name>/`.
    pub fn dir(&self) -> PathBuf {
        exercises_root().join(&self.name)
    }

    /// `exercises/<name>`, as a learner types it.
    pub fn dir_display(&self) -> String {
        format!("exercises/{}", self.name)
    }

    pub fn lesson_id(&self) -> Result<LessonId> {
        match self.lesson.as_str() {
            "step1" => Ok(LessonId::Step1),
            "step2" => Ok(LessonId::Step2),
            "step3" => Ok(LessonId::Step3),
            other => bail!(
                "exercise {}: lesson {other:?} is not step1, step2 or step3",
                self.name
            ),
        }
    }

    /// The learner's files, as absolute paths.
    pub fn learner_files(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| self.dir().join(f)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_reads_and_every_exercise_has_what_the_runner_needs() {
        let catalog = Catalog::load().unwrap();
        assert_eq!(
            catalog.names(),
            [
                "1-1-route",
                "1-2-validate",
                "2-1-queue",
                "2-2-plus-one",
                "2-3-loop",
                "3-1-slow-worker",
                "3-2-predict",
                "3-3-fix-config",
                "3-4-heartbeat",
                "3-5-idempotent"
            ]
        );
        for e in &catalog.exercises {
            assert!(
                !e.ko.trim().is_empty() && !e.en.trim().is_empty(),
                "{}",
                e.name
            );
            assert!(
                (2..=3).contains(&e.hints.len()),
                "{}: {} hints",
                e.name,
                e.hints.len()
            );
            assert!(!e.files.is_empty(), "{}", e.name);
        }
    }

    /// The instructor page and the catalog give the same minutes and
    /// tracks, and the class track fits two hours with the opening and the
    /// three readings (20 minutes).
    #[test]
    fn the_instructor_page_gives_the_catalog_minutes_and_tracks() {
        let catalog = Catalog::load().unwrap();
        let page = std::fs::read_to_string(paths::root().join("docs/exercises.md")).unwrap();
        for e in &catalog.exercises {
            for written in [
                format!("`{}` ({} min)", e.name, e.minutes),
                format!("`{}` ({}분)", e.name, e.minutes),
            ] {
                assert!(page.contains(&written), "docs/exercises.md lacks {written}");
            }
        }
        for track in Track::ALL {
            let sum: u32 = catalog
                .exercises
                .iter()
                .filter(|e| e.track == track)
                .map(|e| e.minutes)
                .sum();
            assert!(
                page.contains(&format!("{sum} min")) && page.contains(&format!("{sum}분")),
                "docs/exercises.md lacks the {} track's {sum} minutes",
                track.name()
            );
            if track == Track::Class {
                assert!(sum + 20 <= 120, "the class track takes {sum} min");
            }
        }
    }

    #[test]
    fn mistakes_in_the_catalog_are_named() {
        let twice = r#"
version = 1
[[exercise]]
name = "a"
lesson = "step1"
from = "lessons/step1-http"
copy = "files"
files = ["serverless.yml"]
minutes = 1
track = "class"
title_ko = "" 
title_en = ""
ko = ""
en = ""
[[exercise.hint]]
ko = ""
en = ""
"#;
        let doubled = format!("{twice}{}", twice.replace("version = 1", ""));
        let e = Catalog::parse(&doubled).unwrap_err();
        assert_eq!(e.to_string(), "exercise a is listed twice");
        let e = Catalog::parse(&twice.replace("step1\"\nfrom", "step9\"\nfrom")).unwrap_err();
        assert!(e.to_string().contains("step9"), "{e}");
        let e =
            Catalog::parse(&twice.replace("minutes = 1", "minutes = 1\ncolour = 2")).unwrap_err();
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
    }
}
