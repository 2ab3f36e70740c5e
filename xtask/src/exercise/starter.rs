//! The starting points, made from the lessons: the lesson's code is the
//! solution, written once, and each starting point is that code with the
//! exercise's regions cut out.
//!
//! A region is marked in the lesson's file with two comment lines,
//! `// exercise <region>: begin` and `// exercise <region>: end` (`#` in
//! YAML and shell). The region `1-2-validate` (or `2-1-queue/construct`,
//! one of several of `2-1-queue`) belongs to that exercise: its lines are
//! replaced by the starter's `text`, indented like the begin marker. Every
//! other marker line is dropped, so no exercise sees another's markers.
//!
//! A crate exercise (`copy = "crate"`) is a workspace member of its own:
//! the learner's files are copied, the rest of the lesson's code is
//! referenced by `#[path]` (never copied), the lesson's binaries are built
//! against the learner's library (it takes the lesson's library name), and
//! its `serverless.yml` points at those binaries. Those made files are
//! committed with the starting points, so a fresh clone builds, and
//! `git diff` shows exactly what the learner wrote.
//!
//! Each crate exercise is made twice, in two [`Place`]s: `exercises/<name>/`
//! is the learner's copy (theirs to break), `xtask/starters/<name>/` the
//! copy CI's proofs link (never edited), so `cargo xtask ci` judges the
//! starting points whatever the learner's copy holds.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::catalog::{Copy, Exercise, Starter};
use crate::paths;

/// One file of an exercise's starting point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeFile {
    /// Relative to `exercises/<name>/`.
    pub path: String,
    pub text: String,
    /// A file the learner edits (the others are made, and not edited).
    pub learner: bool,
}

/// Where a made starting point lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `exercises/<name>/`: the learner's copy.
    Exercises,
    /// `xtask/starters/<name>/`: the copy of a crate exercise that CI's
    /// proofs link as a dev-dependency (package `starter-<name>`), never
    /// edited, so a learner's work cannot turn `cargo xtask ci` red.
    Proofs,
}

impl Place {
    /// The made crate's folder.
    pub fn dir(self, exercise: &Exercise) -> std::path::PathBuf {
        match self {
            Place::Exercises => exercise.dir(),
            Place::Proofs => paths::root()
                .join("xtask")
                .join("starters")
                .join(&exercise.name),
        }
    }

    /// From the made crate's folder back to the workspace root.
    fn up(self) -> &'static str {
        match self {
            Place::Exercises => "../../",
            Place::Proofs => "../../../",
        }
    }

    fn package(self, exercise: &Exercise) -> Result<String> {
        let package = exercise.package.clone().context("no package")?;
        Ok(match self {
            Place::Exercises => package,
            Place::Proofs => format!("starter-{}", exercise.name),
        })
    }
}

/// Every file of `exercise`'s starting point, in the learner's copy.
pub fn make(exercise: &Exercise) -> Result<Vec<MadeFile>> {
    make_for(exercise, Place::Exercises)
}

/// Every file of `exercise`'s starting point, made for `place`. The
/// proofs' copy of a crate exercise has no serverless.yml (the proofs boot
/// their own); a files exercise has no proofs' copy.
pub fn make_for(exercise: &Exercise, place: Place) -> Result<Vec<MadeFile>> {
    if place == Place::Proofs && exercise.copy != Copy::Crate {
        return Ok(Vec::new());
    }
    let root = paths::root();
    let from = root.join(&exercise.from);
    let mut made = Vec::new();
    for file in &exercise.files {
        let starters: Vec<&Starter> = exercise
            .starters
            .iter()
            .filter(|s| &s.file == file)
            .collect();
        let lesson_file = from.join(file);
        let text = match starters.iter().find(|s| s.region.is_none()) {
            Some(new_file) => new_file.text.clone(),
            None => {
                let text = std::fs::read_to_string(&lesson_file)
                    .with_context(|| format!("cannot read {}", lesson_file.display()))?;
                cut_regions(&text, &exercise.name, &starters)
                    .with_context(|| format!("in {}", lesson_file.display()))?
            }
        };
        let text = if exercise.copy == Copy::Crate && file == "src/lib.rs" {
            path_modules(&text, exercise, &from, place)?
        } else {
            text
        };
        made.push(MadeFile {
            path: file.clone(),
            text,
            learner: true,
        });
    }
    if exercise.copy == Copy::Crate {
        made.extend(crate_files(exercise, &from, place)?);
    }
    if place == Place::Proofs {
        made.retain(|m| m.path != "serverless.yml");
    }
    Ok(made)
}

/// The learner's files that are no longer their starting point (a
/// learner's work, half-written or done), as paths from the root.
pub fn learners_work(catalog: &super::catalog::Catalog) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for exercise in &catalog.exercises {
        for made in make(exercise)?.iter().filter(|m| m.learner) {
            let path = exercise.dir().join(&made.path);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(made.text.as_str()) {
                changed.push(format!("{}/{}", exercise.dir_display(), made.path));
            }
        }
    }
    Ok(changed)
}

/// A learner's file and the lesson's solution to it (`None`: a file no
/// lesson holds, such as a prediction).
pub struct Solved {
    pub path: String,
    pub lesson_text: Option<String>,
}

/// The lesson's version of each of `exercise`'s files, as the learner's
/// copy would hold it once solved.
pub fn solutions(exercise: &Exercise) -> Result<Vec<Solved>> {
    let from = paths::root().join(&exercise.from);
    let mut solved = Vec::new();
    for file in &exercise.files {
        let new_file = exercise
            .starters
            .iter()
            .any(|s| &s.file == file && s.region.is_none());
        let lesson_text = if new_file {
            None
        } else {
            let path = from.join(file);
            let text = without_markers(
                &std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            );
            Some(if exercise.copy == Copy::Crate && file == "src/lib.rs" {
                path_modules(&text, exercise, &from, Place::Exercises)?
            } else {
                text
            })
        };
        solved.push(Solved {
            path: file.clone(),
            lesson_text,
        });
    }
    Ok(solved)
}

/// A region's marker: `// exercise <region>: begin` (or `: end`).
fn marker(line: &str) -> Option<(&str, bool)> {
    let rest = line.trim();
    let rest = rest
        .strip_prefix("//")
        .or_else(|| rest.strip_prefix('#'))?
        .trim_start();
    let rest = rest.strip_prefix("exercise ")?;
    if let Some(region) = rest.strip_suffix(": begin") {
        Some((region, true))
    } else {
        rest.strip_suffix(": end").map(|region| (region, false))
    }
}

fn belongs(region: &str, exercise: &str) -> bool {
    region == exercise
        || region
            .strip_prefix(exercise)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The lesson's `text` with `exercise`'s regions replaced by the starters'
/// texts and every marker line dropped.
pub fn cut_regions(text: &str, exercise: &str, starters: &[&Starter]) -> Result<String> {
    let mut out = String::new();
    let mut open: Option<&str> = None;
    let mut used = Vec::new();
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let Some((region, begin)) = marker(line) else {
            if open.is_none() {
                out.push_str(line);
            }
            continue;
        };
        if !belongs(region, exercise) {
            continue;
        }
        match (begin, open) {
            (true, None) => {
                let starter = starters
                    .iter()
                    .find(|s| s.region.as_deref() == Some(region))
                    .with_context(|| {
                        format!(
                            "line {}: region {region} has no [[exercise.starter]]",
                            number + 1
                        )
                    })?;
                let indent = &line[..line.len() - line.trim_start().len()];
                for text_line in starter.text.lines() {
                    if text_line.is_empty() {
                        out.push('\n');
                    } else {
                        out.push_str(indent);
                        out.push_str(text_line);
                        out.push('\n');
                    }
                }
                used.push(region);
                open = Some(region);
            }
            (false, Some(o)) if o == region => open = None,
            _ => bail!(
                "line {}: {} marker of region {region} out of place",
                number + 1,
                if begin { "begin" } else { "end" }
            ),
        }
    }
    if let Some(region) = open {
        bail!("region {region} has no end marker");
    }
    for starter in starters {
        if let Some(region) = &starter.region
            && !used.contains(&region.as_str())
        {
            bail!("no region {region} in the lesson's file");
        }
    }
    Ok(out)
}

/// The lesson's file without any marker (what a crate copy's made files hold).
fn without_markers(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|line| marker(line).is_none())
        .collect()
}

/// In a crate copy's `src/lib.rs`, each `mod x;` whose file is not the
/// learner's gets a `#[path]` to the lesson's file: referenced, not copied.
fn path_modules(text: &str, exercise: &Exercise, from: &Path, place: Place) -> Result<String> {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let declared = line
            .trim()
            .strip_prefix("pub ")
            .unwrap_or(line.trim())
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(module) = declared {
            let own = format!("src/{module}.rs");
            if !exercise.files.contains(&own) {
                if !from.join(&own).exists() {
                    bail!("{}: module {module} is not in {own}", exercise.from);
                }
                out.push_str(&format!(
                    "#[path = \"../{}{}/{own}\"]\n",
                    place.up(),
                    exercise.from
                ));
            }
        }
        out.push_str(line);
    }
    Ok(out)
}

/// A lesson binary's name in the crate copy: `step2-worker` ->
/// `ex-2-2-plus-one-worker` (binary names are unique in the workspace).
pub fn exercise_binary(package: &str, lesson_binary: &str) -> String {
    let role = lesson_binary
        .split_once('-')
        .map_or(lesson_binary, |(_, role)| role);
    format!("{package}-{role}")
}

/// The made files of a crate copy: Cargo.toml, the library root (when the
/// learner's file is a module), serverless.yml.
fn crate_files(exercise: &Exercise, from: &Path, place: Place) -> Result<Vec<MadeFile>> {
    let package = &place.package(exercise)?;
    let up = place.up();
    let manifest_path = from.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let parsed: toml::Table = toml::from_str(&manifest)?;
    let lesson_package = parsed["package"]["name"]
        .as_str()
        .context("no package name")?;
    let lib_name = lesson_package.replace('-', "_");
    let mut bins = Vec::new();
    for bin in parsed
        .get("bin")
        .and_then(|b| b.as_array())
        .context("the lesson has no [[bin]]")?
    {
        let name = bin["name"].as_str().context("a [[bin]] without a name")?;
        let path = bin["path"].as_str().context("a [[bin]] without a path")?;
        bins.push((name.to_owned(), path.to_owned()));
    }

    let made_by = match place {
        Place::Exercises => format!(
            "# Made by `cargo xtask exercise` from {from}: the lesson's crate, with\n\
             # your {files} in place of the lesson's. Not for editing: `cargo xtask\n\
             # exercise reset {name}` makes it again.\n",
            from = exercise.from,
            files = exercise.files.join(", "),
            name = exercise.name,
        ),
        Place::Proofs => format!(
            "# Made by `cargo xtask exercise reset --all` from {from}: exercise {name}'s\n\
             # starting point, as CI's proofs link it (exercises/{name} is the\n\
             # learner's copy). Not for editing.\n",
            from = exercise.from,
            name = exercise.name,
        ),
    };
    let mut cargo = format!(
        "{made_by}\
         [package]\n\
         name = \"{package}\"\n\
         version = \"0.1.0\"\n\
         description = \"Exercise {name}: {title}\"\n\
         edition.workspace = true\n\
         rust-version.workspace = true\n\
         license.workspace = true\n\
         publish.workspace = true\n\n\
         [lib]\n\
         # The lesson's library name, so the lesson's binaries run your code.\n\
         name = \"{lib_name}\"\n\
         path = \"src/lib.rs\"\n\
         test = false\n\
         doctest = false\n",
        name = exercise.name,
        title = exercise.title_en.replace('"', "'"),
    );
    for (bin, path) in &bins {
        cargo.push_str(&format!(
            "\n[[bin]]\nname = \"{}\"\npath = \"{up}{}/{path}\"\ntest = false\n",
            exercise_binary(package, bin),
            exercise.from
        ));
    }
    if let Some(harness) = &exercise.harness {
        cargo.push_str(&format!(
            "\n[[bin]]\n# The check: the step-3 experiment with your worker (cargo xtask exercise check).\nname = \"{package}-check\"\npath = \"{up}{}\"\ntest = false\n",
            harness_path(harness)?
        ));
    }
    cargo.push_str("\n[dependencies]\n");
    let dependencies = section(&manifest, "dependencies")
        .with_context(|| format!("{} has no [dependencies]", manifest_path.display()))?;
    cargo.push_str(&repath_dependencies(&dependencies, &exercise.from, up));
    for extra in &exercise.dependencies {
        if !dependencies
            .lines()
            .any(|l| l.starts_with(&format!("{extra}.")) || l.starts_with(&format!("{extra} ")))
        {
            cargo.push_str(&format!("{extra}.workspace = true\n"));
        }
    }
    // A lesson on the AWS SDK is checked by the runner with the SDK
    // (xtask-aws, feature `sdk`): its features, then.
    cargo.push_str(if dependencies.contains("aws-sdk-") {
        "# The features `cargo xtask` (xtask-aws, with the AWS SDK) builds every\n\
         # dependency with, so this crate built alone (`cargo build -p ...`)\n\
         # compiles no dependency again.\n\
         workspace-hack = { workspace = true, features = [\"sdk\"] }\n"
    } else {
        "# The features `cargo xtask` builds every dependency with, so this crate\n\
         # built alone (`cargo build -p ...`) compiles no dependency again.\n\
         workspace-hack.workspace = true\n"
    });
    cargo.push_str(
        "\n[lints.rust]\n\
         # A starting point has unused code (and a `todo!()`): expected. Every\n\
         # other warning reaches you, such as a future never `.await`ed.\n\
         dead_code = \"allow\"\n\
         unused_variables = \"allow\"\n",
    );
    let mut made = vec![MadeFile {
        path: "Cargo.toml".into(),
        text: cargo,
        learner: false,
    }];

    if !exercise.files.iter().any(|f| f == "src/lib.rs") {
        let lib_path = from.join("src/lib.rs");
        let lib = std::fs::read_to_string(&lib_path)
            .with_context(|| format!("cannot read {}", lib_path.display()))?;
        let lib = format!(
            "// Made by `cargo xtask exercise` from {}/src/lib.rs: your files are\n\
             // this crate's; every other module is the lesson's, by path.\n{}",
            exercise.from,
            path_modules(&without_markers(&lib), exercise, from, place)?
        );
        made.push(MadeFile {
            path: "src/lib.rs".into(),
            text: lib,
            learner: false,
        });
    }

    let yml_path = from.join("serverless.yml");
    let mut yml = without_markers(
        &std::fs::read_to_string(&yml_path)
            .with_context(|| format!("cannot read {}", yml_path.display()))?,
    );
    for (bin, _) in &bins {
        let ours = exercise_binary(package, bin);
        yml = yml.replace(
            &format!("target/lambda/{bin}/{bin}.zip"),
            &format!("target/lambda/{ours}/{ours}.zip"),
        );
    }
    made.push(MadeFile {
        path: "serverless.yml".into(),
        text: format!(
            "# Made by `cargo xtask exercise` from {}/serverless.yml: the same\n\
             # stack, with the functions built from this exercise's crate.\n{yml}",
            exercise.from
        ),
        learner: false,
    });
    Ok(made)
}

/// A path dependency of the lesson (`path = "../step2-sqs"`, relative to
/// the lesson's folder) as the made crate's folder reaches it: `up` leads
/// back to the root, then `<from>/`.
fn repath_dependencies(dependencies: &str, from: &str, up: &str) -> String {
    dependencies.replace("path = \"", &format!("path = \"{up}{from}/"))
}

/// The source of a check program, from the workspace root.
pub fn harness_path(harness: &str) -> Result<&'static str> {
    match harness {
        "step3" => Ok("shared/step3-experiment/harness/check.rs"),
        other => bail!("harness {other:?} is not known (step3 is)"),
    }
}

/// The lines of a TOML file's `[name]` section (up to the next header).
fn section(text: &str, name: &str) -> Option<String> {
    let header = format!("[{name}]");
    let mut lines = text.lines().skip_while(|l| l.trim() != header);
    lines.next()?;
    let body: String = lines
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(|l| format!("{l}\n"))
        .collect();
    Some(body.trim_end().to_owned() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starter(region: &str, text: &str) -> Starter {
        Starter {
            file: "f".into(),
            region: Some(region.into()),
            text: text.into(),
        }
    }

    #[test]
    fn a_region_is_replaced_indented_and_other_markers_are_dropped() {
        let lesson = "fn f() {\n    // exercise a-1: begin\n    solution();\n    // exercise a-1: end\n    // exercise b-2: begin\n    kept();\n    // exercise b-2: end\n}\n";
        let s = starter("a-1", "// TODO(a-1)\ntodo!()\n");
        assert_eq!(
            cut_regions(lesson, "a-1", &[&s]).unwrap(),
            "fn f() {\n    // TODO(a-1)\n    todo!()\n    kept();\n}\n"
        );
        assert_eq!(
            cut_regions(lesson, "none", &[]).unwrap(),
            "fn f() {\n    solution();\n    kept();\n}\n"
        );
    }

    #[test]
    fn sub_regions_belong_to_their_exercise_only() {
        assert!(belongs("2-1-queue/construct", "2-1-queue"));
        assert!(belongs("2-1-queue", "2-1-queue"));
        assert!(!belongs("2-1-queueing", "2-1-queue"));
        assert!(!belongs("2-1", "2-1-queue"));
    }

    #[test]
    fn broken_markers_are_named_with_their_line() {
        let s = starter("a", "x");
        let e = cut_regions("# exercise a: begin\nsolution\n", "a", &[&s]).unwrap_err();
        assert_eq!(e.to_string(), "region a has no end marker");
        let e = cut_regions("# exercise a: end\n", "a", &[&s]).unwrap_err();
        assert_eq!(e.to_string(), "line 1: end marker of region a out of place");
        let e = cut_regions("nothing\n", "a", &[&s]).unwrap_err();
        assert_eq!(e.to_string(), "no region a in the lesson's file");
        let e = cut_regions("# exercise a: begin\n# exercise a: end\n", "a", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: region a has no [[exercise.starter]]"
        );
    }

    /// The starting points are what the lessons' marked regions make, so a
    /// changed lesson cannot leave a stale exercise: the proofs' copies in
    /// `xtask/starters/` exactly; in `exercises/`, every made file, and each
    /// learner's file either as made or, when a learner has worked on it,
    /// as made in the last commit (their work is not the workshop's test).
    #[test]
    fn the_committed_starting_points_are_made_from_the_lessons() {
        let catalog = super::super::catalog::Catalog::load().unwrap();
        let stale = |path: &Path| {
            format!(
                "{} is not the starting point the lessons make. After changing a lesson's \
                 marked code: `cargo xtask exercise reset --all --yes`, then commit.",
                path.display()
            )
        };
        for exercise in &catalog.exercises {
            for made in make_for(exercise, Place::Proofs).unwrap() {
                let path = Place::Proofs.dir(exercise).join(&made.path);
                let current = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(current == made.text, "{}", stale(&path));
            }
            for made in make(exercise).unwrap() {
                let path = exercise.dir().join(&made.path);
                let current = std::fs::read_to_string(&path).unwrap_or_default();
                let fine = current == made.text
                    || (made.learner && committed(&path).as_deref() == Some(made.text.as_str()));
                assert!(fine, "{}", stale(&path));
            }
        }
    }

    /// A learner's work is found file by file, and nothing else is.
    #[test]
    fn a_learners_work_is_what_differs_from_the_starting_points() {
        let catalog = super::super::catalog::Catalog::load().unwrap();
        let dir = tempfile::tempdir().unwrap();
        for exercise in &catalog.exercises {
            for made in make(exercise).unwrap() {
                let path = dir.path().join(&exercise.name).join(&made.path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, made.text).unwrap();
            }
        }
        use super::super::catalog::TEST_EXERCISES_DIR;
        TEST_EXERCISES_DIR.with(|d| *d.borrow_mut() = Some(dir.path().to_owned()));
        let clean = learners_work(&catalog).unwrap();
        std::fs::write(dir.path().join("2-3-loop/produce.sh"), "echo mine\n").unwrap();
        std::fs::remove_file(dir.path().join("1-1-route/serverless.yml")).unwrap();
        let worked = learners_work(&catalog).unwrap();
        TEST_EXERCISES_DIR.with(|d| *d.borrow_mut() = None);
        assert_eq!(clean, Vec::<String>::new());
        assert_eq!(
            worked,
            [
                "exercises/1-1-route/serverless.yml",
                "exercises/2-3-loop/produce.sh"
            ]
        );
    }

    /// `path` as the last commit holds it.
    fn committed(path: &Path) -> Option<String> {
        let relative = path.strip_prefix(paths::root()).ok()?;
        let output = std::process::Command::new("git")
            .current_dir(paths::root())
            .arg("show")
            .arg(format!("HEAD:{}", relative.display()))
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    #[test]
    fn a_lesson_binary_gets_the_exercise_package_as_its_prefix() {
        assert_eq!(
            exercise_binary("ex-2-2-plus-one", "step2-worker"),
            "ex-2-2-plus-one-worker"
        );
    }

    #[test]
    fn path_dependencies_are_reached_from_the_exercise_folder() {
        assert_eq!(
            repath_dependencies(
                "step2-sqs = { path = \"../step2-sqs\" }\ntokio.workspace = true\n",
                "lessons/step3-dlq-visibility",
                "../../"
            ),
            "step2-sqs = { path = \"../../lessons/step3-dlq-visibility/../step2-sqs\" }\ntokio.workspace = true\n"
        );
    }

    #[test]
    fn a_section_ends_at_the_next_header() {
        let text = "[package]\nname = \"a\"\n\n[dependencies]\nx.workspace = true\n# note\ny = \"1\"\n\n[dev-dependencies]\nz = \"1\"\n";
        assert_eq!(
            section(text, "dependencies").unwrap(),
            "x.workspace = true\n# note\ny = \"1\"\n"
        );
    }
}
