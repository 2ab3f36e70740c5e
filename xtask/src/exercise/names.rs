//! Instructions that match the code: every Rust name an instruction, a hint
//! or a check's advice puts in backticks exists where the learner can find
//! it, in the exercise's starting point or in the crates it uses.
//!
//! What is read: the `ko`, `en` and hints of the crate exercises in
//! `exercises/exercises.toml` (the files exercises' backticks name YAML
//! keys, shell and TOML, not Rust), and the string literals of
//! `xtask/src/exercise/checks/*.rs` (comments are not read).
//!
//! How a backticked span is read (the rule):
//! - a file name ending in `.rs` (no spaces): a file of that name must be in
//!   the starting point or in the lesson's `src/`;
//! - a Rust name: a path (`Worker::handle`, `work_on`, `AttributeValue::S`,
//!   `tokio::select!`), optionally called (`f()`, `f(..)`, `f(a, b)`), or a
//!   chain of them (`e.as_message_body()`, `.condition_expression(..)`); a
//!   leading `&`, a trailing `;` and turbofishes (`::<T>`) are ignored;
//! - anything else is not a name and is not checked: text with a space
//!   outside parentheses (commands such as `cargo xtask exercise hint`, code
//!   lines, `status: COMPLETED`), or with any of `{ } " ' = : / $ # < > + *`
//!   outside parentheses (JSON, YAML, paths, expressions).
//!
//! How a name is found. In a chain only the calls are checked (`x.await`
//! and `record.receipt_handle` name values the learner writes). A name is
//! found when it is in [`ALLOWED`] (external crates' APIs a learner is told
//! to use), or in the corpus: the starting point's files, the lesson's
//! `src/` and lesson-kit's `src/` (`lesson_kit::`, `crate::` prefixes are
//! dropped first):
//! - a call whose arguments are written (`commit(event, log)`) must appear
//!   as written, spaces aside: the text says this call is in the code. Write
//!   `f(..)` when the arguments are the learner's to choose;
//! - a one-segment name must appear as a whole word;
//! - a path must appear as written, or be a type's function: its first
//!   segment appears as a word and its last one is declared (`fn last`).

use std::collections::BTreeSet;
use std::path::Path;

use super::catalog::{Catalog, Copy, Exercise};
use super::starter;
use crate::paths;

/// External APIs the instructions name, which no corpus file spells out.
const ALLOWED: &[&str] = &[
    // std
    "std::thread::sleep",
    "Duration",
    "Option",
    "Result",
    "String",
    "Some",
    "None",
    "Ok",
    "Err",
    "i32::try_from",
    "to_string",
    "len",
    "get",
    // tokio
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "tokio::select",
    // serde_json (Value's methods)
    "serde_json",
    "serde_json::from_slice",
    "serde_json::Value",
    "serde_json::json",
    "as_object",
    "is_number",
    "as_f64",
    // http
    "StatusCode::OK",
    "StatusCode::BAD_REQUEST",
    // aws-sdk-dynamodb
    "AttributeValue::S",
    "AttributeValue::N",
    "get_item",
    "put_item",
];

/// A span of text between backticks, read as a name.
#[derive(Debug, PartialEq, Eq)]
enum Name {
    File(String),
    /// The pieces to check: a path and, when written, its arguments.
    Rust(Vec<(String, Option<String>)>),
    Skipped,
}

fn spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Splits at `sep` outside parentheses.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn outside_parens(text: &str) -> String {
    let mut depth = 0;
    text.chars()
        .filter(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

fn is_path(text: &str) -> bool {
    let text = text.strip_suffix('!').unwrap_or(text);
    !text.is_empty()
        && text.split("::").all(|segment| {
            let mut chars = segment.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn read(span: &str) -> Name {
    let mut text = span.trim();
    if text.ends_with(".rs") && !text.contains(char::is_whitespace) {
        let file = text.rsplit('/').next().unwrap_or(text);
        return Name::File(file.to_owned());
    }
    text = text.trim_start_matches('&').trim_end_matches(';');
    let mut text = text.to_owned();
    while let Some(at) = text.find("::<") {
        let Some(end) = text[at..].find('>') else {
            return Name::Skipped;
        };
        text.replace_range(at..at + end + 1, "");
    }
    let outside = outside_parens(&text).replace("::", "");
    if outside.contains(char::is_whitespace)
        || outside.contains([
            '{', '}', '"', '\'', '=', ':', '/', '$', '#', '<', '>', '+', '*',
        ])
    {
        return Name::Skipped;
    }
    let text = text.strip_prefix('.').unwrap_or(&text);
    let pieces = split_top(text, '.');
    let mut names = Vec::new();
    for piece in &pieces {
        let (path, args) = match piece.find('(') {
            Some(open) if piece.ends_with(')') => {
                let args = piece[open + 1..piece.len() - 1].trim();
                let placeholder = args.is_empty() || args == "_" || args.contains("..");
                (&piece[..open], (!placeholder).then(|| args.to_owned()))
            }
            Some(_) => return Name::Skipped,
            None => (*piece, None),
        };
        if !is_path(path) {
            return Name::Skipped;
        }
        let called = piece.contains('(');
        if pieces.len() == 1 || called {
            names.push((path.trim_end_matches('!').to_owned(), args));
        }
    }
    Name::Rust(names)
}

/// Where an exercise's names may be found.
struct Corpus {
    text: String,
    squeezed: String,
    files: BTreeSet<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

impl Corpus {
    fn of(exercises: &[&Exercise]) -> Corpus {
        let root = paths::root();
        let mut text = String::new();
        let mut files = BTreeSet::new();
        let mut sources = Vec::new();
        rust_files(&root.join("shared/lesson-kit/src"), &mut sources);
        for exercise in exercises {
            for made in starter::make(exercise).unwrap() {
                files.insert(made.path.rsplit('/').next().unwrap().to_owned());
                text.push_str(&made.text);
            }
            rust_files(&root.join(&exercise.from).join("src"), &mut sources);
        }
        for path in sources {
            files.insert(path.file_name().unwrap().to_string_lossy().into_owned());
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
        Corpus::from_text(text, files)
    }

    fn from_text(text: String, files: BTreeSet<String>) -> Corpus {
        let squeezed = text.chars().filter(|c| !c.is_whitespace()).collect();
        Corpus {
            text,
            squeezed,
            files,
        }
    }

    fn has_word(&self, word: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        self.text.match_indices(word).any(|(at, _)| {
            !self.text[..at].ends_with(ident) && !self.text[at + word.len()..].starts_with(ident)
        })
    }

    /// Why `span` is not found, or `None` when it is (or is not a name).
    fn missing(&self, span: &str) -> Option<String> {
        match read(span) {
            Name::Skipped => None,
            Name::File(file) => {
                (!self.files.contains(&file)).then(|| format!("no file {file} in the exercise"))
            }
            Name::Rust(pieces) => pieces.into_iter().find_map(|(path, args)| {
                let found = self.has_path(&path, args.as_deref());
                (!found).then(|| match args {
                    Some(args) => format!("the call {path}({args}) is nowhere in the code"),
                    None => format!("{path} is nowhere in the code"),
                })
            }),
        }
    }

    fn has_path(&self, path: &str, args: Option<&str>) -> bool {
        if ALLOWED.contains(&path) {
            return true;
        }
        let path = ["crate::", "lesson_kit::", "self::"]
            .iter()
            .fold(path, |p, prefix| p.strip_prefix(prefix).unwrap_or(p));
        if ALLOWED.contains(&path) {
            return true;
        }
        if let Some(args) = args {
            let call: String = format!("{path}({args})")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            return self.squeezed.contains(&call);
        }
        let segments: Vec<&str> = path.split("::").collect();
        self.has_word(path)
            || segments.len() > 1
                && self.has_word(segments[0])
                && self.has_word(&format!("fn {}", segments[segments.len() - 1]))
    }
}

/// String literals of a Rust file, outside comments.
fn string_literals(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find('"') {
        if rest[..at].ends_with("r#") {
            let body = &rest[at + 1..];
            let end = body.find("\"#").unwrap_or(body.len());
            out.push(body[..end].to_owned());
            rest = &body[(end + 2).min(body.len())..];
            continue;
        }
        let mut literal = String::new();
        let mut chars = rest[at + 1..].char_indices();
        let mut end = rest.len() - at - 1;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                c => literal.push(c),
            }
        }
        out.push(literal);
        rest = &rest[at + 1 + end..];
    }
    out
}

#[test]
fn the_matcher_reads_names_and_skips_the_rest() {
    assert_eq!(
        read("Worker::handle"),
        Name::Rust(vec![("Worker::handle".into(), None)])
    );
    assert_eq!(
        read("commit(event, log)"),
        Name::Rust(vec![("commit".into(), Some("event, log".into()))])
    );
    assert_eq!(
        read("BatchItemFailure::default()"),
        Name::Rust(vec![("BatchItemFailure::default".into(), None)])
    );
    assert_eq!(
        read("e.as_message_body()"),
        Name::Rust(vec![("as_message_body".into(), None)])
    );
    assert_eq!(
        read(".condition_expression(..)"),
        Name::Rust(vec![("condition_expression".into(), None)])
    );
    assert_eq!(
        read("serde_json::from_slice::<serde_json::Value>(body)"),
        Name::Rust(vec![("serde_json::from_slice".into(), Some("body".into()))])
    );
    assert_eq!(
        read("tokio::select!"),
        Name::Rust(vec![("tokio::select".into(), None)])
    );
    assert_eq!(read("slow_work.rs"), Name::File("slow_work.rs".into()));
    for not_a_name in [
        "cargo xtask exercise hint",
        "handler: bootstrap",
        "{\"input\": 1}",
        "lessons/step1-http",
        "${construct:jobs.queueUrl}",
        "input + 1",
        "HEARTBEAT: 'on'",
        "#status",
        "Option<String>",
    ] {
        assert_eq!(read(not_a_name), Name::Skipped, "{not_a_name}");
    }
}

/// The old 3-1 instruction named a call that was nowhere: the test must
/// catch it, and pass the same names once they are true.
#[test]
fn a_call_that_is_not_in_the_code_is_caught() {
    let worker = "pub fn commit(event: &SqsEvent, log: LogSink<'_>) -> SqsBatchResponse {}\n\
                  impl Worker { pub async fn handle(&self) { self.work_on(event, log).await; } }\n";
    let corpus = Corpus::from_text(worker.into(), BTreeSet::from(["worker.rs".to_owned()]));
    let old = "In `Worker::handle` of `exercises/3-1-slow-worker/src/worker.rs`, add that work before the commit (`commit(event, log)`).";
    let missing: Vec<String> = spans(old)
        .into_iter()
        .filter_map(|s| corpus.missing(s))
        .collect();
    assert_eq!(
        missing,
        ["the call commit(event, log) is nowhere in the code"]
    );
    assert_eq!(corpus.missing("work_on(event, log)"), None);
    assert_eq!(corpus.missing("Worker::handle"), None);
    assert_eq!(
        corpus.missing("Worker::beat"),
        Some("Worker::beat is nowhere in the code".into())
    );
    assert_eq!(
        corpus.missing("slow_work.rs"),
        Some("no file slow_work.rs in the exercise".into())
    );
}

#[test]
fn every_name_in_the_instructions_and_the_advice_is_in_the_code() {
    let catalog = Catalog::load().unwrap();
    let mut missing = Vec::new();
    for exercise in catalog.exercises.iter().filter(|e| e.copy == Copy::Crate) {
        let corpus = Corpus::of(&[exercise]);
        let mut texts = vec![("ko", &exercise.ko), ("en", &exercise.en)];
        for hint in &exercise.hints {
            texts.push(("hint ko", &hint.ko));
            texts.push(("hint en", &hint.en));
        }
        for (what, text) in texts {
            for span in spans(text) {
                if let Some(why) = corpus.missing(span) {
                    missing.push(format!("{} ({what}): `{span}`: {why}", exercise.name));
                }
            }
        }
    }
    let checks = paths::root().join("xtask/src/exercise/checks");
    for lesson in ["step1", "step2", "step3"] {
        let exercises: Vec<&Exercise> = catalog
            .exercises
            .iter()
            .filter(|e| e.lesson == lesson)
            .collect();
        let corpus = Corpus::of(&exercises);
        let source = std::fs::read_to_string(checks.join(format!("{lesson}.rs"))).unwrap();
        for literal in string_literals(&source) {
            for span in spans(&literal) {
                if let Some(why) = corpus.missing(span) {
                    missing.push(format!("checks/{lesson}.rs: `{span}`: {why}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "names the learner cannot find (fix the text, or the allow-list for an external API):\n{}",
        missing.join("\n")
    );
}

/// The learner's file is theirs: a small module (DESIGN §3b), so every
/// learner-edited Rust file, as started and as the lesson solves it, stays
/// within 150 lines, doc comments included.
#[test]
fn every_learner_rust_file_is_small() {
    const MOST: usize = 150;
    let catalog = Catalog::load().unwrap();
    let mut long = Vec::new();
    for exercise in &catalog.exercises {
        let started = starter::make(exercise).unwrap();
        let solved = starter::solutions(exercise).unwrap();
        let texts = started
            .iter()
            .filter(|made| made.learner)
            .map(|made| (&made.path, Some(made.text.clone())))
            .chain(solved.iter().map(|s| (&s.path, s.lesson_text.clone())));
        for (path, text) in texts {
            let lines = text.map_or(0, |t| t.lines().count());
            if path.ends_with(".rs") && lines > MOST {
                long.push(format!("{}/{path}: {lines} lines", exercise.name));
            }
        }
    }
    assert!(long.is_empty(), "over {MOST} lines:\n{}", long.join("\n"));
}
