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
