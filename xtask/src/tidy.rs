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

/// `cargo xtask` builds xtask alone, a lesson's functions with it, and an
/// AWS command xtask-aws; `cargo xtask ci` then builds every test. Each
/// dependency must get the same features in all of them, or cargo builds it
/// again (and everything above it): `shared/workspace-hack` turns them on.
#[test]
fn one_build_per_dependency() {
    let workspace = features_of(&["--workspace", "--edges", "normal,build,dev"]);
    let mut missing = Vec::new();
    for selection in [
        &["--package", "xtask"][..],
        &["--package", "xtask", "--package", "step3-dlq-visibility"],
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
