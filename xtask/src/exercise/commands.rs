//! The `exercise` commands: list, show, check, watch, hint, reset, solution.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};

use super::attempt::{self, Attempt};
use super::catalog::{Catalog, Copy, Exercise, Track};
use super::checks::{self, Advice, Verdict};
use super::lang::{Lang, wrap};
use super::progress::{Progress, State};
use super::{rustc, starter};
use crate::lesson::Profile;
use crate::paths;

/// The exercise named, or the current one (the first not done).
fn pick<'c>(catalog: &'c Catalog, progress: &Progress, name: Option<&str>) -> Result<&'c Exercise> {
    match name {
        Some(name) => catalog.get(name),
        None => progress.current(catalog).context(Lang::current().lines(
            "모든 연습을 마쳤습니다. 다시 하려면 `cargo xtask exercise check <이름>`.",
            "Every exercise is done: `cargo xtask exercise check <name>` runs one again.",
            "",
        )),
    }
}

fn files_of(exercise: &Exercise) -> String {
    exercise
        .files
        .iter()
        .map(|f| format!("{}/{f}", exercise.dir_display()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An exercise's title where one fits (a list row): Korean, unless the
/// learner asked for English.
fn short_title(e: &Exercise, lang: Lang) -> &str {
    match lang {
        Lang::En => &e.title_en,
        Lang::Ko | Lang::Both => &e.title_ko,
    }
}

/// `cargo xtask exercise list [--json]`.
pub fn list(json: bool) -> Result<ExitCode> {
    let catalog = Catalog::load()?;
    let progress = Progress::load()?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list_json(&catalog, &progress))?
        );
    } else {
        print!("{}", render_list(&catalog, &progress, Lang::current()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The learner's progress for an instructor (`exercise list --json`): each
/// exercise's state, hints shown and checks run (a failing check counts
/// too, so a stuck learner shows).
pub fn list_json(catalog: &Catalog, progress: &Progress) -> serde_json::Value {
    let exercises: Vec<serde_json::Value> = catalog
        .exercises
        .iter()
        .map(|e| {
            let attempts = progress.attempts.get(&e.name).cloned().unwrap_or_default();
            serde_json::json!({
                "name": e.name,
                "track": e.track,
                "minutes": e.minutes,
                "state": match progress.state(catalog, e) {
                    State::Done => "done",
                    State::Changed => "changed since it passed",
                    State::Current => "current",
                    State::NotStarted => "not started",
                },
                "hints_shown": progress.hints_shown(&e.name),
                "checks": attempts.checks,
                "last_check": if attempts.checks == 0 { serde_json::Value::Null } else { attempts.last.into() },
                "last_check_at": if attempts.checks == 0 { serde_json::Value::Null } else { attempts.at.into() },
            })
        })
        .collect();
    serde_json::json!({
        "done": catalog.exercises.iter().filter(|e| progress.is_done(e)).count(),
        "of": catalog.exercises.len(),
        "current": progress.current(catalog).map(|e| e.name.clone()),
        "exercises": exercises,
    })
}

pub fn render_list(catalog: &Catalog, progress: &Progress, lang: Lang) -> String {
    let mut out = format!("{}\n", lang.say("연습", "Exercises"));
    let width = catalog
        .exercises
        .iter()
        .map(|e| files_of(e).chars().count())
        .max()
        .unwrap_or(0);
    for track in Track::ALL {
        let on: Vec<&Exercise> = catalog
            .exercises
            .iter()
            .filter(|e| e.track == track)
            .collect();
        let (ko, en) = track.title();
        out.push_str(&format!(
            "\n{}: {} min\n",
            lang.say(ko, en),
            on.iter().map(|e| e.minutes).sum::<u32>()
        ));
        for e in on {
            let mark = match progress.state(catalog, e) {
                State::Done => "✓",
                State::Changed => "✎",
                State::Current => "▶",
                State::NotStarted => "·",
            };
            out.push_str(&format!(
                "  {mark} {:<16} {:<width$}  {:>2} min  {}\n",
                e.name,
                files_of(e),
                e.minutes,
                short_title(e, lang)
            ));
        }
    }
    let done = catalog
        .exercises
        .iter()
        .filter(|e| progress.is_done(e))
        .count();
    out.push_str(&format!(
        "\n  ✓ {}   ✎ {}   ▶ {}   · {}\n\n{done} / {} {}",
        lang.say("완료", "done"),
        lang.say("통과 뒤 바뀜", "changed since it passed"),
        lang.say("지금", "current"),
        lang.say("아직", "not started"),
        catalog.exercises.len(),
        lang.say("완료", "done"),
    ));
    match progress.current(catalog) {
        Some(current) => out.push_str(&format!(
            ". {}: {}\n  cargo xtask exercise show     # {}\n  cargo xtask exercise check    # {}\n",
            lang.say("다음", "next"),
            current.name,
            lang.say("과제 설명", "the instructions"),
            lang.say("검사", "check your work"),
        )),
        None => out.push_str(&format!(". {}\n", lang.say("모두 마쳤습니다", "all done."))),
    }
    out
}

/// `cargo xtask exercise prepare`: builds what every check builds (each
/// exercise crate, the lessons' binaries the other checks run), once,
/// before class, so no check in class compiles a dependency.
pub fn prepare() -> Result<ExitCode> {
    // Steps 2 and 3 are checked by `xtask-sdk`: it prepares, so that its
    // builds and the checks' resolve every dependency alike.
    if !cfg!(feature = "sdk") {
        return Err(crate::aws_sdks::NeedsSdk.into());
    }
    let catalog = Catalog::load()?;
    let packages: Vec<String> = catalog
        .exercises
        .iter()
        .filter_map(|e| e.package.clone())
        .collect();
    println!(
        "연습에 필요한 것을 모두 빌드합니다(처음에는 몇 분 걸립니다). / Building what the checks need (minutes, the first time)."
    );
    let sh = xshell::Shell::new()?;
    sh.change_dir(paths::root());
    for exercise in catalog
        .exercises
        .iter()
        .filter(|e| e.copy == Copy::Files && checks::runs_binaries(&e.name))
    {
        attempt::lesson_of(exercise)?.build(Profile::Debug)?;
    }
    // One at a time, as each check builds it (`cargo build -p <crate>`):
    // every exercise crate's library takes its lesson's name, and built
    // together their copies in target/debug/ would collide.
    for package in &packages {
        println!("  {}", attempt::build_command(package));
        xshell::cmd!(sh, "cargo build -p {package}")
            .run()
            .with_context(|| format!("building {package} failed"))?;
    }
    println!(
        "준비됐습니다. 수업 중의 검사는 학습자의 코드만 컴파일합니다. / Ready: a check in class compiles only the learner's code."
    );
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask exercise show [NAME]`: the instructions.
pub fn show(name: Option<&str>) -> Result<ExitCode> {
    let catalog = Catalog::load()?;
    let progress = Progress::load()?;
    let exercise = pick(&catalog, &progress, name)?;
    print!("{}", render_show(exercise, Lang::current()));
    Ok(ExitCode::SUCCESS)
}

pub fn render_show(e: &Exercise, lang: Lang) -> String {
    let (title, text) = match lang {
        Lang::Ko => (e.title_ko.clone(), format!("{}\n", e.ko.trim_end())),
        Lang::En => (e.title_en.clone(), format!("{}\n", e.en.trim_end())),
        Lang::Both => (
            format!("{}\n   {}", e.title_ko, e.title_en),
            format!("{}\n{}\n", e.ko.trim_end(), e.en.trim_end()),
        ),
    };
    format!(
        "── {name} · {title}\n\n{text}{files_word}: {files}\n\n  cargo xtask exercise check {name}   # {check}\n  cargo xtask exercise hint {name}    # {hint}\n",
        name = e.name,
        files_word = lang.say("파일", "files"),
        files = files_of(e),
        check = lang.say("검사", "check"),
        hint = lang.say("힌트", "a hint"),
    )
}

/// How a check ended, for the progress file.
pub const PASSED: &str = "passed";
pub const FAILED: &str = "failed";
pub const COMPILE_ERROR: &str = "compile error";

/// Builds what the check runs, and runs it; a compile error is a verdict.
pub fn check_one(exercise: &Exercise) -> Result<Verdict> {
    Ok(check_and_label(exercise)?.0)
}

/// [`check_one`], with how it ended ([`PASSED`], [`FAILED`], [`COMPILE_ERROR`]).
pub fn check_and_label(exercise: &Exercise) -> Result<(Verdict, &'static str)> {
    if checks::needs_sdk(exercise) {
        return Err(crate::aws_sdks::NeedsSdk.into());
    }
    let lang = Lang::current();
    for (file, path) in exercise.files.iter().zip(exercise.learner_files()) {
        if !path.exists() {
            return Ok((
                Verdict::fail(
                    Lang::current().term_owned(
                        format!("✗ {}/{file} 파일이 없습니다\n", exercise.dir_display()),
                        format!("✗ {}/{file} is missing\n", exercise.dir_display()),
                    ),
                    Advice::new(
                        format!(
                            "파일이 없습니다. `cargo xtask exercise reset {}`로 처음 파일을 다시 만드세요.",
                            exercise.name
                        ),
                        format!(
                            "The file is gone: `cargo xtask exercise reset {}` makes the starting point again.",
                            exercise.name
                        ),
                    ),
                ),
                FAILED,
            ));
        }
    }
    let attempt = Attempt::learner(exercise)?;
    let mut warnings = Vec::new();
    match exercise.copy {
        Copy::Crate => {
            let package = exercise.package.as_deref().context("no package")?;
            let command = attempt::build_command(package);
            eprintln!(
                "{}",
                lang.say(
                    &format!("내 코드를 빌드합니다 ({command})..."),
                    &format!("Building your code ({command})...")
                )
            );
            match attempt::build(package)? {
                attempt::Build::Compiled(found) => warnings = found,
                attempt::Build::Failed(errors) => {
                    let errors: Vec<&rustc::Diagnostic> = errors.iter().collect();
                    return Ok((
                        Verdict::fail(
                            format!(
                                "{}\n{}",
                                lang.term(
                                    "✗ 코드가 컴파일되지 않습니다.",
                                    "✗ The code does not compile."
                                ),
                                rustc::explain_errors(&errors, lang)
                            ),
                            Advice::new(
                                "컴파일 에러입니다. 첫 에러의 --> 줄이 가리키는 파일과 줄부터 보세요. rustc의 help: 줄이 고치는 방법을 알려 줄 때가 많고, 첫 에러를 고치면 나머지가 사라지는 일도 많습니다.",
                                "It does not compile: start with the file and line the first error's --> line names. rustc's help: line often says how to fix it, and fixing the first error often clears the rest.",
                            ),
                        ),
                        COMPILE_ERROR,
                    ));
                }
                attempt::Build::Cargo(message) => {
                    return Ok((
                        Verdict::fail(
                            format!("✗ {message}\n"),
                            Advice::new(
                                format!(
                                    "cargo가 빌드를 시작하지 못했습니다. 위의 메시지를 보세요. 만든 파일(Cargo.toml 등)이 망가졌다면 `cargo xtask exercise reset {}`.",
                                    exercise.name
                                ),
                                format!(
                                    "cargo could not start the build: see its message above. If a made file (Cargo.toml...) broke, `cargo xtask exercise reset {}`.",
                                    exercise.name
                                ),
                            ),
                        ),
                        COMPILE_ERROR,
                    ));
                }
            }
        }
        Copy::Files if checks::runs_binaries(&exercise.name) => {
            attempt.lesson.build(Profile::Debug)?;
        }
        Copy::Files => {}
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let mut verdict = runtime.block_on(checks::run(exercise, &attempt))?;
    // The warnings that hide a bug come first, with their note.
    let noted: Vec<String> = warnings
        .iter()
        .filter_map(|w| rustc::explain_warning(w, lang))
        .collect();
    if !noted.is_empty() {
        verdict.report = format!("{}\n\n{}", noted.join("\n"), verdict.report);
    }
    if let Some(advice) = &mut verdict.failure
        && warnings.iter().any(rustc::is_unawaited_future)
    {
        advice.ko = format!(
            "컴파일러가 .await 없이 버려진 Future를 경고했습니다(위). async 함수는 .await해야 실행됩니다. 그 줄에 .await를 붙이세요.\n{}",
            advice.ko
        );
        advice.en = format!(
            "The compiler warned of a future dropped without .await (above): an async function runs only when awaited. Add .await on that line.\n{}",
            advice.en
        );
    }
    let label = if verdict.passed() { PASSED } else { FAILED };
    Ok((verdict, label))
}

/// `cargo xtask exercise check [NAME]`.
pub fn check(name: Option<&str>) -> Result<ExitCode> {
    check_wrapped(name, None)
}

/// [`check`], its Korean lines wrapped at `width` columns (watch).
fn check_wrapped(name: Option<&str>, width: Option<usize>) -> Result<ExitCode> {
    let catalog = Catalog::load()?;
    let mut progress = Progress::load()?;
    let exercise = pick(&catalog, &progress, name)?;
    let lang = Lang::current();
    let (mut verdict, label) = check_and_label(exercise)?;
    verdict.lang = lang;
    // Every check is recorded, so an instructor sees a stuck learner too.
    progress.record(exercise, label);
    progress.save()?;
    let mut out = format!(
        "── {} · {}\n\n",
        exercise.name,
        lang.say(&exercise.title_ko, &exercise.title_en)
    );
    out.push_str(&verdict.render());
    let exit = if verdict.passed() {
        out.push_str(&after_pass(&catalog, &progress, exercise, lang));
        ExitCode::SUCCESS
    } else {
        let shown = progress.hints_shown(&exercise.name);
        out.push_str(&format!(
            "\n  {} ({} / {}): cargo xtask exercise hint {}\n",
            lang.say("힌트", "hint"),
            (shown + 1).min(exercise.hints.len()),
            exercise.hints.len(),
            exercise.name
        ));
        ExitCode::FAILURE
    };
    match width {
        Some(width) => print!("{}", wrap_korean(&out, width)),
        None => print!("{out}"),
    }
    Ok(exit)
}

/// The lines of `text` that hold Korean, wrapped at spaces to `width`
/// columns; the others (tables, logs, rustc's excerpts) as they are.
pub fn wrap_korean(text: &str, width: usize) -> String {
    text.split('\n')
        .map(|line| {
            if line.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)) {
                wrap(line, width)
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn after_pass(catalog: &Catalog, progress: &Progress, exercise: &Exercise, lang: Lang) -> String {
    let mut out = format!(
        "\n  {}:\n    cargo xtask exercise solution {}\n",
        lang.say("레슨의 답과 비교", "the lesson's answer beside yours"),
        exercise.name
    );
    if checks::runs_like_a_lesson(exercise) {
        out.push_str(&format!(
            "  {}:\n    cargo xtask lesson {step} up --exercise {name}\n    cargo xtask lesson {step} deploy --exercise {name}\n",
            lang.say("여러분의 버전 실행, 배포", "run and deploy your version"),
            step = exercise.lesson,
            name = exercise.name
        ));
    }
    match progress.current(catalog) {
        Some(next) => out.push_str(&format!(
            "  {}: {} · {}\n    cargo xtask exercise show\n",
            lang.say("다음 연습", "next"),
            next.name,
            short_title(next, lang)
        )),
        None => out.push_str(&format!(
            "  {}\n",
            lang.say("모든 연습을 마쳤습니다.", "Every exercise is done.")
        )),
    }
    out
}

/// `cargo xtask exercise hint [NAME]`: the next hint.
pub fn hint(name: Option<&str>) -> Result<ExitCode> {
    let catalog = Catalog::load()?;
    let mut progress = Progress::load()?;
    let exercise = pick(&catalog, &progress, name)?;
    let shown = progress.hints_shown(&exercise.name);
    let index = shown.min(exercise.hints.len() - 1);
    print!("{}", render_hint(exercise, index, Lang::current()));
    progress
        .hints_shown
        .insert(exercise.name.clone(), (index + 1).max(shown));
    progress.save()?;
    Ok(ExitCode::SUCCESS)
}

pub fn render_hint(exercise: &Exercise, index: usize, lang: Lang) -> String {
    let hint = &exercise.hints[index];
    let total = exercise.hints.len();
    let text = match lang {
        Lang::Ko => hint.ko.trim().to_owned(),
        Lang::En => hint.en.trim().to_owned(),
        Lang::Both => format!("{}\n\n{}", hint.ko.trim(), hint.en.trim()),
    };
    let mut out = format!(
        "── {} · {} {} / {total}\n\n{text}\n",
        exercise.name,
        lang.say("힌트", "hint"),
        index + 1,
    );
    if index + 1 == total {
        out.push_str(&format!(
            "\n{}\n",
            lang.lines(
                &format!(
                    "마지막 힌트입니다. 레슨의 답 전체: `cargo xtask exercise solution {} --force`",
                    exercise.name
                ),
                &format!(
                    "That was the last hint. The lesson's whole answer: `cargo xtask exercise solution {} --force`",
                    exercise.name
                ),
                ""
            )
        ));
    }
    out
}

/// `cargo xtask exercise reset NAME|--all [--yes]`.
pub fn reset(name: Option<&str>, all: bool, yes: bool) -> Result<ExitCode> {
    let lang = Lang::current();
    let catalog = Catalog::load()?;
    let mut progress = Progress::load()?;
    let chosen: Vec<&Exercise> = if all {
        catalog.exercises.iter().collect()
    } else {
        vec![catalog.get(name.context(lang.say(
            "연습 이름을 쓰거나 --all을 붙이세요",
            "name an exercise, or --all",
        ))?)?]
    };
    let mut plan: Vec<(PathBuf, String, bool)> = Vec::new();
    for exercise in &chosen {
        for made in starter::make(exercise)? {
            let path = exercise.dir().join(&made.path);
            let current = std::fs::read_to_string(&path).ok();
            let differs = current.as_deref() != Some(made.text.as_str());
            if differs {
                plan.push((path, made.text, current.is_some()));
            }
        }
    }
    if all {
        // The copies CI's proofs link: made, never edited, no backup; a
        // source file the lesson no longer makes goes.
        for exercise in &chosen {
            let made_files = starter::make_for(exercise, starter::Place::Proofs)?;
            let src = starter::Place::Proofs.dir(exercise).join("src");
            for entry in std::fs::read_dir(&src).into_iter().flatten().flatten() {
                let name = format!("src/{}", entry.file_name().to_string_lossy());
                if !made_files.iter().any(|m| m.path == name) {
                    std::fs::remove_file(entry.path())?;
                    println!("  {} -", shown(&entry.path()));
                }
            }
            for made in made_files {
                let path = starter::Place::Proofs.dir(exercise).join(&made.path);
                if std::fs::read_to_string(&path).ok().as_deref() != Some(made.text.as_str()) {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&path, &made.text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("  {} ✓", shown(&path));
                }
            }
        }
    }
    if plan.is_empty() {
        println!(
            "{}",
            lang.say(
                "이미 처음 상태입니다.",
                "Already the starting point: nothing to do."
            )
        );
    } else {
        let replaced: Vec<&PathBuf> = plan
            .iter()
            .filter(|(_, _, kept)| *kept)
            .map(|(p, _, _)| p)
            .collect();
        if !replaced.is_empty() && !yes {
            println!(
                "{}",
                lang.lines(
                    "다음 파일을 처음 상태로 되돌립니다. 지금 내용은 옆에 백업합니다.",
                    "These files go back to the starting point; what they hold now is kept beside them:",
                    ""
                )
            );
            for path in &replaced {
                println!("  {}", shown(path));
            }
            if !confirm(lang)? {
                println!("{}", lang.say("그대로 둡니다.", "Nothing changed."));
                return Ok(ExitCode::FAILURE);
            }
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let mut backups = Vec::new();
        for (path, text, kept) in &plan {
            if *kept {
                let backup = PathBuf::from(format!("{}.backup-{stamp}", path.display()));
                std::fs::copy(path, &backup)
                    .with_context(|| format!("cannot back up {}", path.display()))?;
                backups.push((shown(path), shown(&backup)));
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("  {} ✓", shown(path));
        }
        print!("{}", render_backups(&backups, lang));
    }
    for exercise in &chosen {
        progress.forget(&exercise.name);
    }
    if Progress::path().exists() || !progress.done.is_empty() {
        progress.save()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn shown(path: &Path) -> String {
    path.strip_prefix(paths::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Where reset kept what the learner's files held: (file, backup).
pub fn render_backups(backups: &[(String, String)], lang: Lang) -> String {
    let mut out = String::new();
    for (file, backup) in backups {
        out.push_str(&format!(
            "  {}\n",
            lang.lines(
                &format!("{file}의 이전 내용은 {backup}에 백업했습니다."),
                &format!("What {file} held is backed up in {backup}."),
                "  "
            )
        ));
    }
    out
}

/// Asks y/N on a terminal; without one, refuses (the learner's work is
/// never replaced unasked).
fn confirm(lang: Lang) -> Result<bool> {
    if !console::user_attended() {
        bail!(
            "{}",
            lang.lines(
                "터미널이 아니라서 물어볼 수 없습니다. 그래도 되돌리려면 --yes를 붙이세요(지금 파일은 백업합니다).",
                "not a terminal, so nobody can answer: add --yes to reset anyway (the current files are kept as backups)",
                ""
            )
        );
    }
    print!("{} [y/N] ", lang.say("계속할까요?", "Go on?"));
    use std::io::Write;
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `cargo xtask exercise solution NAME [--force]`.
pub fn solution(name: &str, force: bool) -> Result<ExitCode> {
    let catalog = Catalog::load()?;
    let progress = Progress::load()?;
    let exercise = catalog.get(name)?;
    let lang = Lang::current();
    if !progress.done.contains(name) && !force {
        println!(
            "{}",
            lang.lines(
                &format!(
                    "{name}은(는) 아직 통과하지 않았습니다. 먼저 `cargo xtask exercise check {name}`. 그래도 보려면 --force."
                ),
                &format!(
                    "{name} has not passed its check yet: `cargo xtask exercise check {name}` first, or add --force."
                ),
                ""
            )
        );
        return Ok(ExitCode::FAILURE);
    }
    print!("{}", render_solution(exercise, lang)?);
    Ok(ExitCode::SUCCESS)
}

pub fn render_solution(exercise: &Exercise, lang: Lang) -> Result<String> {
    let mut out = String::new();
    for solved in starter::solutions(exercise)? {
        let yours_path = exercise.dir().join(&solved.path);
        let yours = std::fs::read_to_string(&yours_path).unwrap_or_default();
        let Some(lesson_text) = solved.lesson_text else {
            out.push_str(&format!(
                "── {}/{}: {}\n",
                exercise.dir_display(),
                solved.path,
                lang.lines(
                    &format!(
                        "레슨에 같은 파일이 없습니다. 답은 `cargo xtask lesson {} run`의 결과입니다.",
                        exercise.lesson
                    ),
                    &format!(
                        "No lesson file holds this one: the answer is what `cargo xtask lesson {} run` prints.",
                        exercise.lesson
                    ),
                    "   "
                )
            ));
            continue;
        };
        let diff = similar::TextDiff::from_lines(&yours, &lesson_text);
        let yours_name = format!(
            "{}: {}/{}",
            lang.say("여러분의 파일", "yours"),
            exercise.dir_display(),
            solved.path
        );
        let lesson_name = format!(
            "{}: {}/{}",
            lang.say("레슨의 파일", "the lesson's"),
            exercise.from,
            solved.path
        );
        if diff.ratio() == 1.0 {
            out.push_str(&format!(
                "── {yours_name}: {} {lesson_name}\n",
                lang.say("같은 내용", "the same as")
            ));
        } else {
            out.push_str(&format!(
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&yours_name, &lesson_name)
            ));
        }
    }
    Ok(out)
}

/// `cargo xtask exercise watch [NAME]`: check, then again on every save.
pub fn watch(name: Option<&str>) -> Result<ExitCode> {
    let catalog = Catalog::load()?;
    let follow_current = name.is_none();
    let mut name = match name {
        Some(n) => catalog.get(n)?.name.clone(),
        None => pick(&catalog, &Progress::load()?, None)?.name.clone(),
    };
    if checks::needs_sdk(catalog.get(&name)?) {
        return Err(crate::aws_sdks::NeedsSdk.into());
    }
    let lang = Lang::current();
    let keys = spawn_key_reader();
    let term = console::Term::stdout();
    // On a terminal: the screen cleared before each run, Korean lines
    // wrapped at the terminal's width (at spaces, never inside a word).
    let terminal = term.is_term();
    let width = if terminal {
        Some(usize::from(term.size().1).clamp(40, 120))
    } else {
        Some(100)
    };
    let banner = || {
        println!(
            "watch: {}",
            lang.say(
                "파일을 저장할 때마다 다시 검사합니다.",
                "checks again on every save."
            )
        );
        if keys.is_some() {
            println!(
                "  h {}   l {}   q {}",
                lang.say("힌트", "hint"),
                lang.say("목록", "list"),
                lang.say("끝", "quit")
            );
        }
    };
    banner();
    loop {
        let exercise = catalog.get(&name)?;
        let exit = check_wrapped(Some(&name), width)?;
        if exit == ExitCode::SUCCESS && follow_current {
            match Progress::load()?.current(&catalog) {
                Some(next) if next.name != name => {
                    name = next.name.clone();
                    println!("\n{}", render_show(catalog.get(&name)?, lang));
                    continue;
                }
                Some(_) => {}
                None => return Ok(ExitCode::SUCCESS),
            }
        }
        let files = exercise.learner_files();
        loop {
            match wait_for_change_or_key(&files, keys.as_ref()) {
                Event::Changed => break,
                Event::Key('h') => {
                    hint(Some(&name))?;
                }
                Event::Key('l') => {
                    list(false)?;
                }
                Event::Key('q') => return Ok(ExitCode::SUCCESS),
                Event::Key(_) => {}
            }
        }
        if terminal {
            let _ = term.clear_screen();
            banner();
        }
        println!(
            "\n──────── {} ────────",
            chrono::Local::now().format("%H:%M:%S")
        );
    }
}

enum Event {
    Changed,
    Key(char),
}

/// Single keys from the terminal, on a thread of their own; `None` without
/// a terminal (then watch only re-checks).
fn spawn_key_reader() -> Option<std::sync::mpsc::Receiver<char>> {
    if !console::user_attended() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let term = console::Term::stdout();
        while let Ok(key) = term.read_key() {
            if let console::Key::Char(c) = key
                && tx.send(c.to_ascii_lowercase()).is_err()
            {
                return;
            }
        }
    });
    Some(rx)
}

fn modified(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

/// Waits for a save of one of `files` (settled: no further change for
/// 300 ms, as an editor may write a file in several steps) or a key.
///
/// The files are a handful, so their times are read every 200 ms: this
/// works on every file system, network and container mounts included,
/// where change notifications may not arrive.
fn wait_for_change_or_key(
    files: &[PathBuf],
    keys: Option<&std::sync::mpsc::Receiver<char>>,
) -> Event {
    let before = modified(files);
    loop {
        if let Some(keys) = keys
            && let Ok(key) = keys.recv_timeout(Duration::from_millis(200))
        {
            return Event::Key(key);
        } else if keys.is_none() {
            std::thread::sleep(Duration::from_millis(200));
        }
        if modified(files) != before {
            // Settle: until the times stop moving.
            let mut last = modified(files);
            loop {
                std::thread::sleep(Duration::from_millis(300));
                let now = modified(files);
                if now == last {
                    return Event::Changed;
                }
                last = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_says_where_the_backup_went() {
        let backups = [(
            "exercises/3-1-slow-worker/src/slow.rs".to_owned(),
            "exercises/3-1-slow-worker/src/slow.rs.backup-20260101T000000".to_owned(),
        )];
        let both = render_backups(&backups, Lang::Both);
        assert_eq!(
            both,
            "  exercises/3-1-slow-worker/src/slow.rs의 이전 내용은 exercises/3-1-slow-worker/src/slow.rs.backup-20260101T000000에 백업했습니다.\n  \
             What exercises/3-1-slow-worker/src/slow.rs held is backed up in exercises/3-1-slow-worker/src/slow.rs.backup-20260101T000000.\n"
        );
        assert!(!render_backups(&backups, Lang::Ko).contains("backed up"));
        assert!(!render_backups(&backups, Lang::En).contains("백업"));
    }

    #[test]
    fn watch_wraps_korean_lines_only() {
        let long_ko = format!(
            "  {}",
            "가시성 타임아웃이 작업보다 먼저 끝납니다. ".repeat(4)
        );
        let table = format!("| 1 | 3 | 3 | dlq | {} |", "x ".repeat(60));
        let wrapped = wrap_korean(&format!("{long_ko}\n{table}"), 60);
        assert!(wrapped.lines().count() > 2);
        assert!(
            wrapped.ends_with(&table),
            "a line without Korean stays whole"
        );
        for line in wrapped.lines().filter(|l| !l.starts_with('|')) {
            assert!(crate::exercise::lang::columns(line) <= 60, "{line:?}");
        }
    }
}
