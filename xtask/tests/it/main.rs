//! The runner's integration tests, in one test binary: each module
//! is one file of tests, and the dependency tree is linked once for all of
//! them instead of once per file.

mod aws_path;
mod cli;
mod console_browser;
mod docs;
mod lesson_up;
mod loadtest_stop;
mod step1_logs;
mod step3;

/// `cargo xtask lesson <step> up` records where it serves in
/// `target/xtask/up/<step>.json`, and the lesson's other commands (and
/// `loadtest`) use the stack it names. Tests that start an `up`, or run a
/// command that would find one, take this lock, so that no test's commands
/// reach another test's stack (in separate test binaries they never ran
/// side by side). A test that gives all its commands a folder of its own
/// (`XTASK_UP_DIR`, as the console's browser test does) needs no lock.
pub fn one_lesson_stack_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static STACKS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that failed while holding it leaves nothing to protect.
    STACKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
