//! Where a running `cargo xtask lesson <step> up` serves.
//!
//! `up` writes `target/xtask/up/<step>.json` (HTTP API base URL, routes, SQS
//! endpoint, queue URLs, the console's URL, its process id) once it serves, and removes it when
//! it stops. The other commands of the lesson (`invoke`, `loop`, `send`,
//! `queue stats`, `dlq ...`) read it, so they reach the stack wherever it
//! was started (`up --port 3950 --sqs-port 9950`) without flags; explicit
//! flags win. A file left behind by a process that is gone (killed with
//! SIGKILL, say) is recognised as stale and ignored.
//!
//! `XTASK_UP_DIR` names another folder for these files (relative to the
//! workspace's root): commands started with the same one find the stacks
//! recorded there, and no others (the tests give a test that starts stacks
//! its own, so tests run side by side). A command that finds no file still
//! falls back to the default ports, as it does without the variable.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::paths;

/// What `up` serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningUp {
    pub lesson: String,
    pub pid: u32,
    /// `http://127.0.0.1:3000`
    pub http_url: String,
    /// `POST /produce`, ...
    pub routes: Vec<String>,
    /// `http://127.0.0.1:9324`, for lessons with a queue.
    pub sqs_url: Option<String>,
    /// Queue name -> URL.
    pub queues: BTreeMap<String, String>,
    /// The live console, `http://127.0.0.1:9325/` (absent in files of
    /// older `up`s).
    #[serde(default)]
    pub console_url: Option<String>,
}

fn path(lesson: &str) -> PathBuf {
    std::env::var_os("XTASK_UP_DIR")
        .map(|dir| paths::root().join(dir))
        .unwrap_or_else(|| paths::target_dir().join("xtask/up"))
        .join(format!("{lesson}.json"))
}

/// The state file of a running `up`; dropping it removes the file.
pub struct StateFile {
    path: PathBuf,
}

impl Drop for StateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Records `running`; the file lives as long as the returned guard.
pub fn record(running: &RunningUp) -> Result<StateFile> {
    let path = path(&running.lesson);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, serde_json::to_string_pretty(running)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(StateFile { path })
}

/// The lesson's running `up`, if there is one: `None` when there is no
/// file, it cannot be read, or its process is gone or no longer serves.
pub fn find(lesson: &str) -> Option<RunningUp> {
    let path = path(lesson);
    let text = std::fs::read_to_string(&path).ok()?;
    let running: RunningUp = serde_json::from_str(&text).ok()?;
    if is_alive(&running) {
        Some(running)
    } else {
        // Stale: its process died without cleaning up.
        let _ = std::fs::remove_file(&path);
        None
    }
}

/// The process exists (Linux: `/proc/<pid>`) and something accepts
/// connections at its HTTP address.
fn is_alive(running: &RunningUp) -> bool {
    if cfg!(target_os = "linux")
        && !std::path::Path::new(&format!("/proc/{}", running.pid)).exists()
    {
        return false;
    }
    let Some(addr) = running
        .http_url
        .strip_prefix("http://")
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
    else {
        return false;
    };
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(lesson: &str, http_url: String) -> RunningUp {
        RunningUp {
            lesson: lesson.into(),
            pid: std::process::id(),
            http_url,
            routes: vec!["POST /produce".into()],
            sqs_url: Some("http://127.0.0.1:9950".into()),
            queues: BTreeMap::from([(
                "jobs".to_owned(),
                "http://127.0.0.1:9950/000000000000/jobs".to_owned(),
            )]),
            console_url: Some("http://127.0.0.1:9951/".into()),
        }
    }

    #[test]
    fn a_live_stack_is_found_and_its_file_goes_with_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let lesson = "test-live";
        let running = sample(lesson, url);
        let guard = record(&running).unwrap();
        assert_eq!(find(lesson), Some(running));
        drop(guard);
        assert_eq!(find(lesson), None);
        assert!(!path(lesson).exists());
    }

    #[test]
    fn a_file_without_a_console_url_still_reads() {
        let mut running = sample("test-old", "http://127.0.0.1:1".into());
        let mut json = serde_json::to_value(&running).unwrap();
        json.as_object_mut().unwrap().remove("console_url");
        running.console_url = None;
        assert_eq!(serde_json::from_value::<RunningUp>(json).unwrap(), running);
    }

    #[test]
    fn a_stale_file_is_ignored_and_removed() {
        // Nothing listens on the recorded address any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let lesson = "test-stale";
        let guard = record(&sample(lesson, format!("http://127.0.0.1:{port}"))).unwrap();
        std::mem::forget(guard);
        assert_eq!(find(lesson), None);
        assert!(!path(lesson).exists(), "the stale file is cleaned up");
    }

    #[test]
    fn a_file_of_a_dead_process_is_stale() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut running = sample(
            "test-dead",
            format!("http://{}", listener.local_addr().unwrap()),
        );
        running.pid = u32::MAX - 1;
        let guard = record(&running).unwrap();
        std::mem::forget(guard);
        if cfg!(target_os = "linux") {
            assert_eq!(find("test-dead"), None);
        }
    }
}
