//! Tidy tests: the repository checking itself. The docs name only
//! commands the CLI accepts.

use clap::Parser;

/// Every `` `cargo xtask ...` `` in a Markdown file, without its optional
/// `[...]` parts, split into arguments ('quoted' text is one argument).
fn commands(markdown: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    // Inline `code` and the lines of ``` blocks (comments cut).
    let inline = markdown.split('`').skip(1).step_by(2);
    let lines = markdown
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim());
    for piece in inline.chain(lines) {
        let Some(rest) = piece.strip_prefix("cargo xtask ") else {
            continue;
        };
        let mut without_optional = String::new();
        let mut depth = 0;
        for c in rest.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ if depth == 0 => without_optional.push(c),
                _ => {}
            }
        }
        let mut args = vec!["cargo xtask".to_owned()];
        for (i, part) in without_optional.split('\'').enumerate() {
            if i % 2 == 1 {
                args.push(part.to_owned());
            } else {
                args.extend(part.split_whitespace().map(str::to_owned));
            }
        }
        // `A|B` lists alternatives: take the first.
        let args = args
            .into_iter()
            .map(|a| a.split('|').next().unwrap_or_default().to_owned())
            .collect();
        found.push(args);
    }
    found
}

#[test]
fn every_documented_command_parses() {
    let root = crate::paths::root();
    let mut checked = 0;
    for file in crate::paths::pages().unwrap() {
        let text = std::fs::read_to_string(&file).unwrap();
        let file = file.strip_prefix(&root).unwrap_or(&file).display();
        for args in commands(&text) {
            // `cargo xtask bench <target>` names a placeholder, not a command.
            if args.iter().any(|a| a.starts_with('<')) {
                continue;
            }
            if let Err(e) = crate::Cli::try_parse_from(&args)
                && e.kind() != clap::error::ErrorKind::DisplayHelp
            {
                panic!("{file}: `{}` does not parse:\n{e}", args.join(" "));
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} commands found in the docs");
}

/// Each package -> the feature sets `cargo tree` shows for it when cargo
/// builds `selection` (a package can appear twice: for the target and for
/// build scripts and derive macros).
fn features_of(selection: &[&str]) -> std::collections::BTreeMap<String, Vec<String>> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .current_dir(crate::paths::root())
        .args([
            "tree", "--locked", "--prefix", "none", "--format", "{p} {f}",
        ])
        .args(selection)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo tree {selection:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut found = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let line = line.replace(" (*)", "").replace(" (proc-macro)", "");
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 2 {
            continue;
        }
        // `name vX.Y.Z [(path)] [features]`
        let features = words[2..]
            .iter()
            .rfind(|w| !w.starts_with('('))
            .unwrap_or(&"")
            .to_string();
        let sets = found
            .entry(format!("{} {}", words[0], words[1]))
            .or_default();
        if !sets.contains(&features) {
            sets.push(features);
            sets.sort();
        }
    }
    found
}

/// `cargo xtask` builds xtask alone (no AWS SDK) and step 1's functions with
/// it, a command of steps 2 and 3 xtask-sdk (and the lesson's functions with
/// it), an AWS command xtask-aws; `cargo xtask ci` then builds every test.
/// Each dependency must get the same features in all of them, or cargo
/// builds it again (and everything above it): `shared/workspace-hack` turns
/// them on. Three packages differ by design, each a leaf or nearly: xtask
/// and workspace-hack (feature `sdk`), and localcloud (`https`, for
/// `--target aws`), which the builds without the SDK compile without TLS.
#[test]
fn one_build_per_dependency() {
    let workspace = features_of(&["--workspace", "--edges", "normal,build,dev"]);
    let split = |package: &str| {
        ["xtask ", "workspace-hack ", "localcloud "]
            .iter()
            .any(|p| package.starts_with(p))
    };
    let mut missing = Vec::new();
    for selection in [
        &["--package", "xtask"][..],
        &["--package", "xtask", "--package", "step1-http"],
        &["--package", "xtask-sdk"],
        &[
            "--package",
            "xtask-sdk",
            "--package",
            "step3-dlq-visibility",
        ],
        &["--package", "xtask-aws"],
        // `cargo xtask exercise check` builds an exercise crate alone, and
        // prints that command: a learner who types it rebuilds nothing.
        &["--package", "ex-1-2-validate"],
        &["--package", "ex-2-2-plus-one"],
        &["--package", "ex-3-1-slow-worker"],
        &["--package", "ex-3-4-heartbeat"],
        &["--package", "ex-3-5-idempotent"],
    ] {
        let built = features_of(&[selection, &["--edges", "normal,build"]].concat());
        for (package, sets) in &built {
            if split(package) {
                continue;
            }
            if let Some(all) = workspace.get(package).filter(|all| *all != sets) {
                missing.push(format!(
                    "{package}: {sets:?} when building {selection:?}, {all:?} in the tests' build"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "turn these features on in shared/workspace-hack/Cargo.toml:\n{}",
        missing.join("\n")
    );
}

/// Every line of a ```rust excerpt in the docs (the guided readings of the
/// lessons' code) is a line of the lessons' code, so an excerpt cannot
/// drift from what it explains. Blank lines, comments and `...` are left
/// out of the comparison.
#[test]
fn rust_excerpts_in_the_docs_are_the_lessons_code() {
    let root = crate::paths::root();
    let mut code = std::collections::BTreeSet::new();
    let mut stack = vec![root.join("lessons"), root.join("shared/lesson-kit/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                code.extend(text.lines().map(|l| l.trim().to_owned()));
            }
        }
    }
    let mut pages = vec![root.join("README.md")];
    for dir in [
        "docs",
        "lessons/step1-http",
        "lessons/step2-sqs",
        "lessons/step3-dlq-visibility",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "md") {
                pages.push(entry.path());
            }
        }
    }
    let mut excerpts = 0;
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let mut in_rust = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_rust = !in_rust && line.trim() == "```rust";
                excerpts += usize::from(in_rust);
                continue;
            }
            let t = line.trim();
            if !in_rust || t.is_empty() || t.starts_with("//") || t == "..." {
                continue;
            }
            assert!(
                code.contains(t),
                "{}:{}: {t:?} is not a line of the lessons' code: update the excerpt",
                page.display(),
                n + 1
            );
        }
    }
    assert!(excerpts >= 5, "only {excerpts} excerpts found");
}

/// Every Markdown file of the repository: the pages a learner reads
/// ([`crate::paths::pages`]), ARCHITECTURE.md and any other `*.md` (not
/// under `target/`, `node_modules/` or a dot folder), sorted.
fn markdown_files() -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![crate::paths::root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(path);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// What is wrong with a page's Markdown, as (line, problem), read by a
/// CommonMark parser (pulldown-cmark), not line by line: a fence glued to
/// text (`X```console`) opens nothing, and the next bare fence then opens a
/// block that swallows the prose up to the one after.
/// - every fenced block is closed, and holds no line that looks like a fence
///   (the sign of fences that pair other than the author meant);
/// - no fence is glued to text;
/// - every ```console block is one the docs test (xtask/tests/it/docs.rs)
///   runs: on a page it reads (`sampled`), opened by a line that is exactly
///   ```console, and starting with a `$ command` line.
fn markdown_problems(text: &str, sampled: bool) -> Vec<(usize, String)> {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let line_at = |offset: usize| {
        let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        &text[start..end]
    };
    let mut problems = Vec::new();
    let mut in_code = std::collections::BTreeSet::new();
    for (event, range) in Parser::new_ext(text, Options::all()).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(kind)) = event else {
            continue;
        };
        let first = line_of(range.start);
        let block: Vec<&str> = text[range.clone()].trim_end().lines().collect();
        in_code.extend(first..first + block.len());
        let CodeBlockKind::Fenced(info) = kind else {
            problems.push((
                first,
                "an indented code block: fence it (```sh, ```console...)".to_owned(),
            ));
            continue;
        };
        let opening = block[0].trim_start();
        let fence_char = opening.chars().next().unwrap_or('`');
        let fence: String = opening.chars().take_while(|c| *c == fence_char).collect();
        let closed = block.len() >= 2 && {
            let last = block[block.len() - 1].trim();
            last.starts_with(&fence) && last.chars().all(|c| c == fence_char)
        };
        if !closed {
            problems.push((first, format!("the fence {opening:?} is never closed")));
        }
        let inner = &block[1..block.len() - usize::from(closed)];
        for (i, line) in inner.iter().enumerate() {
            let t = line.trim_start();
            if t.starts_with(&fence) || (fence.len() == 3 && t.starts_with("~~~")) {
                problems.push((
                    first + 1 + i,
                    format!(
                        "{t:?} inside the code block opened at line {first}: the fences do not pair as written"
                    ),
                ));
            }
        }
        if info.split_whitespace().next() == Some("console") {
            if !sampled {
                problems.push((
                    first,
                    "a ```console block on a page the docs test does not read (paths::pages): use ```sh, or add the page"
                        .to_owned(),
                ));
            }
            if line_at(range.start) != "```console" {
                problems.push((
                    first,
                    format!(
                        "{:?}: the docs test runs a console block only when its first line is exactly ```console (not indented, nothing after it)",
                        line_at(range.start)
                    ),
                ));
            }
            let commands = inner.iter().find(|l| !l.trim().is_empty());
            if !commands.is_some_and(|l| l.starts_with("$ ")) {
                problems.push((
                    first,
                    "a ```console block starts with `$ command` (what the docs test runs), then its output"
                        .to_owned(),
                ));
            }
        }
    }
    for (i, line) in text.lines().enumerate() {
        if in_code.contains(&(i + 1)) {
            continue;
        }
        for fence in ["```", "~~~"] {
            let Some(at) = line.rfind(fence) else {
                continue;
            };
            let before = &line[..at];
            let after = &line[at + fence.len()..];
            let glued = !before.trim().is_empty()
                && !before.ends_with(fence_char_of(fence))
                && !after.is_empty()
                && after
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if glued {
                problems.push((
                    i + 1,
                    format!("{line:?}: a fence glued to text opens no code block: put it on a line of its own"),
                ));
            }
        }
    }
    problems.sort();
    problems
}

fn fence_char_of(fence: &str) -> char {
    fence.chars().next().unwrap_or('`')
}

#[test]
fn markdown_fences_pair_and_console_blocks_are_sampled() {
    let root = crate::paths::root();
    let sampled = crate::paths::pages().unwrap();
    let files = markdown_files();
    assert!(
        files.len() >= 10,
        "only {} Markdown files found",
        files.len()
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(&root).unwrap_or(file).display();
        for (line, problem) in markdown_problems(&text, sampled.contains(file)) {
            problems.push(format!("{name}:{line}: {problem}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} Markdown problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn markdown_problems_finds_a_glued_fence_and_what_it_does() {
    let page = "Under the crash:\n\nIDEMPOTENT_```console\n$ cargo xtask a\nout\n```\n\nMore prose.\n\n```console\n$ cargo xtask b\nout\n```\n";
    let lines: Vec<usize> = markdown_problems(page, true)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    // The glued fence (3); the bare fence at 6 opens a block, which holds
    // the ```console at 10 and the prose before it, up to the fence at 13.
    assert_eq!(lines, [3, 10]);
    let good =
        "text\n\n```console\n$ cargo xtask a\nout\n```\n\n````markdown\n```sh\nx\n```\n````\n";
    assert_eq!(markdown_problems(good, true), []);
    assert_eq!(markdown_problems(good, false).len(), 1);
    let indented = "- item\n\n  ```console\n  $ cargo xtask a\n  ```\n";
    assert_eq!(markdown_problems(indented, true).len(), 2);
}

/// A Korean word the pages must not use for a concept.
struct Variant {
    text: &'static str,
    /// Only the word standing alone: not inside a longer word (`표` but not
    /// `표시`, `표현`, `대표`, `발표`); a particle may follow (`표를`, `표에`).
    alone: bool,
    /// Only in a paragraph that names one of these (`표` is the right word
    /// for a report's table, not for a DynamoDB table). Empty: anywhere.
    context: &'static [&'static str],
}

const fn anywhere(text: &'static str) -> Variant {
    Variant {
        text,
        alone: false,
        context: &[],
    }
}

/// One Korean word per concept: (concept, the word docs/glossary.md
/// defines, what the pages must not say instead).
const TERMS: &[(&str, &str, &[Variant])] = &[
    // No page means a collision by 충돌: if one ever does, tell it apart
    // here with a context.
    ("crash", "크래시", &[anywhere("충돌")]),
    ("at-least-once", "적어도 한 번", &[anywhere("최소 한 번")]),
    (
        "DynamoDB table",
        "테이블",
        &[
            anywhere("DynamoDB 표"),
            anywhere("멱등성 표"),
            Variant {
                text: "표",
                alone: true,
                // Not `DynamoDB` alone: "the table of the `## DynamoDB`
                // section" is a Markdown table.
                context: &[
                    "DynamoDB에",
                    "DynamoDB의",
                    "멱등성",
                    "TTL",
                    "PutItem",
                    "UpdateItem",
                    "IdempotencyTable",
                ],
            },
        ],
    ),
    (
        "redrive",
        "리드라이브",
        &[
            anywhere("재처리"),
            anywhere("DLQ에서 되돌"),
            anywhere("되돌려진 메시지"),
        ],
    ),
    ("side effect", "부수 효과", &[anywhere("부작용")]),
    (
        "acknowledge",
        "처리 완료 응답",
        &[anywhere("커밋 없이 확인"), anywhere("확인(삭제)")],
    ),
    (
        "construct (Lift)",
        "컨스트럭트",
        &[
            anywhere("구성(construct)"),
            anywhere("queue 구성"),
            anywhere("queue` 구성"),
            anywhere("Lift 구성"),
            anywhere("Lift의 구성"),
            anywhere("구성 이름"),
            anywhere("queue인 구성"),
        ],
    ),
    ("claim", "선점", &[anywhere("찜")]),
];

/// Misspellings: (wrong, right).
const SPELLING: &[(&str, &str)] = &[("올바라도", "올발라도")];

/// Findings not fixed here: files that another change owns, as (path
/// prefix, variant). They are printed, not failed; remove a line once its
/// file is fixed. docs/exercises.md's `exercise list` samples print
/// exercises.toml's titles.
const PENDING: &[(&str, &str)] = &[];

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// The sentence of `text` around byte `at`: from after the `.` (`?`, `!`)
/// that ends the one before, to the one that ends it; a sentence ends at a
/// line's end too when `by_line` (code, TOML).
fn sentence_at(text: &str, at: usize, by_line: bool) -> &str {
    let ends = |i: usize, c: char| {
        (by_line && c == '\n')
            || (".?!".contains(c)
                && text[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace))
    };
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|&(i, c)| ends(i, c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..]
        .char_indices()
        .find(|&(i, c)| ends(at + i, c))
        .map_or(text.len(), |(i, _)| at + i);
    &text[start..end]
}

/// The byte offsets where `variant` is used in `paragraph` (a line break
/// counts as a space: `DynamoDB\n표` is `DynamoDB 표`).
fn uses(paragraph: &str, variant: &Variant, by_line: bool) -> Vec<usize> {
    let flat = paragraph.replace('\n', " ");
    flat.match_indices(variant.text)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = paragraph[..at].chars().next_back();
            let after = paragraph[at + variant.text.len()..].chars().next();
            !variant.alone
                || (!before.is_some_and(is_hangul)
                    && !after.is_some_and(|c| {
                        is_hangul(c) && !"을를이가은는의에와과도만로으".contains(c)
                    }))
        })
        .filter(|&at| {
            let sentence = sentence_at(paragraph, at, by_line);
            variant.context.is_empty() || variant.context.iter().any(|w| sentence.contains(w))
        })
        .collect()
}

/// Every (line, variant, the word to use) of a file's text, read by
/// paragraph (a variant's context is its sentence).
fn forbidden_words(text: &str, by_line: bool) -> Vec<(usize, &'static str, &'static str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let end = (start..lines.len())
            .find(|&i| lines[i].trim().is_empty())
            .unwrap_or(lines.len());
        let paragraph = lines[start..end].join("\n");
        let line_of = |at: usize| start + 1 + paragraph[..at].matches('\n').count();
        for (_, word, variants) in TERMS {
            for variant in *variants {
                for at in uses(&paragraph, variant, by_line) {
                    found.push((line_of(at), variant.text, *word));
                }
            }
        }
        for (wrong, right) in SPELLING {
            for (at, _) in paragraph.match_indices(wrong) {
                found.push((line_of(at), *wrong, *right));
            }
        }
        start = end + 1;
    }
    found.sort();
    found.dedup();
    found
}

/// The pages, exercises/exercises.toml and xtask's Rust sources (their
/// Korean messages; not this file, whose table names the variants).
fn korean_files() -> Vec<std::path::PathBuf> {
    let root = crate::paths::root();
    let mut files = markdown_files();
    files.push(root.join("exercises/exercises.toml"));
    let mut stack = vec![root.join("xtask/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("src/tidy.rs")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn one_korean_word_per_concept() {
    let root = crate::paths::root();
    let glossary = std::fs::read_to_string(root.join("docs/glossary.md")).unwrap();
    for (concept, word, _) in TERMS {
        assert!(
            glossary.contains(word),
            "docs/glossary.md does not define {word:?} ({concept})"
        );
    }
    let mut wrong = Vec::new();
    let mut pending = Vec::new();
    for file in korean_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let by_line = !name.ends_with(".md");
        for (line, variant, word) in forbidden_words(&text, by_line) {
            let finding = format!("{name}:{line}: {variant:?} -> {word:?}");
            if PENDING
                .iter()
                .any(|(prefix, v)| name.starts_with(prefix) && *v == variant)
            {
                pending.push(finding);
            } else {
                wrong.push(finding);
            }
        }
    }
    if !pending.is_empty() {
        eprintln!(
            "{} left to the change that owns these files:\n{}",
            pending.len(),
            pending.join("\n")
        );
    }
    assert!(
        wrong.is_empty(),
        "one Korean word per concept (docs/glossary.md): {} to fix:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn forbidden_words_tells_a_table_from_a_dynamodb_table() {
    let text = "결과 표를 보세요. 표시와 대표.\n\nDynamoDB의 기록은 표에\n모읍니다. 보고서는\n표로 봅니다.\n\n충돌이 났습니다.\n";
    let found: Vec<(usize, &str)> = forbidden_words(text, false)
        .into_iter()
        .map(|(line, variant, _)| (line, variant))
        .collect();
    // A table in a sentence about DynamoDB, not one in the next sentence.
    assert_eq!(found, [(3, "표"), (7, "충돌")]);
}

/// On native Windows the build stops with one clear line, before anything
/// else fails: `#[cfg(windows)] compile_error!(...)` is the first item of
/// the first crates cargo builds that need a Unix. (This machine cannot
/// check it by building: `cargo check --target x86_64-pc-windows-msvc`
/// needs that target's standard library, which is not installed here.)
#[test]
fn native_windows_stops_at_one_line() {
    let root = crate::paths::root();
    for file in [
        "shared/localcloud/src/lib.rs",
        "xtask/src/lib.rs",
        "xtask/src/main.rs",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        // The first lines that are not comments, blank or inner attributes.
        let mut code = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#!["));
        assert_eq!(
            code.next(),
            Some("#[cfg(windows)]"),
            "{file}: the first item must be the native-Windows compile_error!"
        );
        // rustfmt puts a long message on a line of its own.
        let error: String = code
            .scan(false, |done, line| {
                (!*done).then(|| {
                    *done = line.ends_with(");");
                    line
                })
            })
            .collect();
        assert!(
            error.starts_with("compile_error!(") && error.contains("WSL2") && error.ends_with(");"),
            "{file}: `#[cfg(windows)]` must be followed by a compile_error! that says to use WSL2, not {error:?}"
        );
    }
}
