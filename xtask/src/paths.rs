//! Where things are in the workspace.

use std::path::PathBuf;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Cargo's target folder (`CARGO_TARGET_DIR` when set).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// This program, to run it again as a child. `cargo xtask ci` runs
/// `cargo test`, which may rebuild `target/debug/xtask` under the running
/// process: Linux then names the running file `<path> (deleted)`, and the
/// new build at `<path>` is the one to start.
pub fn this_exe() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    if exe.exists() {
        return Ok(exe);
    }
    let text = exe.to_string_lossy();
    match text.strip_suffix(" (deleted)") {
        Some(path) if std::path::Path::new(path).exists() => Ok(PathBuf::from(path)),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is gone: build xtask again", exe.display()),
        )),
    }
}

/// The pages a learner reads: README.md, docs/*.md and every lesson's
/// README.md, sorted (the tidy and docs tests read them all).
pub fn pages() -> std::io::Result<Vec<PathBuf>> {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    for dir in ["docs", "lessons"] {
        for entry in std::fs::read_dir(root.join(dir))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            } else if path.join("README.md").exists() {
                pages.push(path.join("README.md"));
            }
        }
    }
    pages.sort();
    Ok(pages)
}
