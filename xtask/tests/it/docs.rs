//! The pages say what the program prints: every ```console block of the
//! README, docs/ and the lesson READMEs is run, and its sample output is
//! compared with what the commands print (stdout), with snapbox's wildcards
//! for what changes between runs: a line `...` matches any lines, `[..]`
//! any text within a line. A page that drifts from the program fails here.
//!
//! In a console block, `$ <command>` lines are run by `sh`, with `cargo
//! xtask` being this build of xtask (no nested cargo), from the repository
//! root; the lines after one, up to the next `$ `, are its expected stdout.
//! `$ cargo xtask lesson <step> up ...` starts the lesson in the background
//! (its own output is not compared); the page's later commands run against
//! it, and it is stopped with Ctrl-C at the end of the page. A command must
//! exit 0 unless its sample output ends with a line `? failed`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One `$ command` of a console block and its expected output.
#[derive(Debug)]
struct Sample {
    line: usize,
    command: String,
    expected: String,
    should_fail: bool,
}

/// The console blocks of a page, as samples.
fn samples(markdown: &str) -> Vec<Sample> {
    let mut samples: Vec<Sample> = Vec::new();
    let mut in_console = false;
    let mut fence = "";
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if !in_console {
            if let Some(info) = trimmed.strip_prefix("```")
                && info.trim() == "console"
            {
                in_console = true;
                fence = "```";
            }
            continue;
        }
        if trimmed.starts_with(fence) {
            in_console = false;
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            samples.push(Sample {
                line: i + 1,
                command: command.to_owned(),
                expected: String::new(),
                should_fail: false,
            });
        } else if let Some(sample) = samples.last_mut() {
            if line == "? failed" {
                sample.should_fail = true;
            } else {
                sample.expected.push_str(line);
                sample.expected.push('\n');
            }
        }
    }
    samples
}

/// A folder with a `cargo` that runs this xtask for `cargo xtask ...`.
fn shim() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cargo = dir.path().join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\nif [ \"$1\" = xtask ]; then shift; exec '{}' \"$@\"; fi\necho 'the docs test runs only cargo xtask' >&2; exit 2\n",
            env!("CARGO_BIN_EXE_xtask")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let catalog = xtask::exercise::catalog::Catalog::load().unwrap();
    for exercise in &catalog.exercises {
        for made in xtask::exercise::starter::make(exercise).unwrap() {
            let path = dir
                .path()
                .join("exercises")
                .join(&exercise.name)
                .join(&made.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, made.text).unwrap();
        }
    }
    dir
}

fn shell(shim: &Path, command: &str) -> Command {
    let mut sh = Command::new("sh");
    let path = format!(
        "{}:{}",
        shim.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    sh.arg("-c")
        .arg(format!("exec {command}"))
        .current_dir(root())
        .env("PATH", path)
        // `cargo test --workspace` has built the lessons' binaries.
        .env("XTASK_NO_BUILD", "1")
        // `cargo xtask exercise`: the page's own progress, starting empty,
        // and the starting points, whatever a learner's exercises/ holds.
        .env("XTASK_EXERCISES_PROGRESS", shim.join("progress.toml"))
        .env("XTASK_EXERCISES_DIR", shim.join("exercises"))
        .stdin(Stdio::null());
    sh
}

/// A lesson served in the background, stopped with Ctrl-C when dropped.
struct Background {
    child: Child,
    state_file: PathBuf,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let started = Instant::now();
        while self.state_file.exists() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn start_up(shim: &Path, command: &str) -> Background {
    let lesson = command
        .split_whitespace()
        .nth(3)
        .expect("cargo xtask lesson <step> up");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let state_file = target.join(format!("xtask/up/{lesson}.json"));
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let mut child = shell(shim, command)
        .stdout(Stdio::null())
        .stderr(stderr.reopen().unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !state_file.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "`{command}` stopped ({status}) before serving:\n{}",
                std::fs::read_to_string(stderr.path()).unwrap_or_default()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "`{command}` did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Background { child, state_file }
}

#[test]
fn every_sample_output_is_what_the_program_prints() {
    let _stacks = crate::one_lesson_stack_at_a_time();
    let shim = shim();
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in xtask::paths::pages().unwrap() {
        let text = std::fs::read_to_string(&page).unwrap();
        let name = page
            .strip_prefix(root())
            .unwrap_or(&page)
            .display()
            .to_string();
        let mut background = Vec::new();
        for sample in samples(&text) {
            let words: Vec<&str> = sample.command.split_whitespace().collect();
            if words.len() >= 5 && words[..3] == ["cargo", "xtask", "lesson"] && words[4] == "up" {
                background.push(start_up(shim.path(), &sample.command));
                continue;
            }
            let output = shell(shim.path(), &sample.command).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            let at = format!("{name}:{} `{}`", sample.line, sample.command);
            if output.status.success() == sample.should_fail {
                failures.push(format!(
                    "{at}: exit status {} ({}):\n{stdout}{}",
                    output.status,
                    if sample.should_fail {
                        "the page says it fails"
                    } else {
                        "the page says it succeeds"
                    },
                    String::from_utf8_lossy(&output.stderr)
                ));
                continue;
            }
            // Paths are not normalised: a `\"` in a sample stays as it is.
            if let Err(e) = snapbox::Assert::new().normalize_paths(false).try_eq(
                Some(&at),
                snapbox::IntoData::into_data(stdout),
                snapbox::IntoData::into_data(sample.expected.clone()),
            ) {
                failures.push(format!("{at}:\n{e}"));
            }
            checked += 1;
        }
        drop(background);
    }
    assert!(
        failures.is_empty(),
        "{} of the pages' samples differ from the program:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(checked >= 5, "only {checked} samples found in the pages");
}

#[test]
fn samples_are_read_from_console_blocks_only() {
    let page = "text\n```sh\n$ not a sample\n```\n```console\n$ cargo xtask a\nout 1\n...\n$ cargo xtask b\n? failed\n```\n";
    let samples = samples(page);
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[0].command, "cargo xtask a");
    assert_eq!(samples[0].expected, "out 1\n...\n");
    assert!(samples[1].should_fail);
    assert_eq!(samples[1].line, 9);
}
