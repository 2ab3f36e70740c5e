//! `cargo xtask loadtest` stopped by SIGTERM in the middle of a run: k6 and
//! every process of the stack it booted are gone, and nothing is left in the
//! temporary folder.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// pid -> (parent pid, command name), from /proc.
fn processes() -> BTreeMap<u32, (u32, String)> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split at the last ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_owned();
        let mut fields = tail.split_whitespace();
        let state = fields.next().unwrap_or("");
        let ppid = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if state != "Z" {
            all.insert(pid, (ppid, comm));
        }
    }
    all
}

/// Every live descendant of `root`, with its command name.
fn descendants(root: u32) -> BTreeMap<u32, String> {
    let all = processes();
    let mut found = BTreeMap::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, (ppid, comm)) in &all {
            if *ppid == parent && !found.contains_key(pid) {
                found.insert(*pid, comm.clone());
                frontier.push(*pid);
            }
        }
    }
    found
}

#[test]
fn sigterm_stops_k6_and_the_stack_and_leaves_nothing_behind() {
    let _stacks = crate::one_lesson_stack_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["loadtest", "step2", "--duration", "2m", "--vus", "2"])
        // The command as built (no release re-run), the lesson's debug binaries.
        .env("XTASK_LOADTEST_AS_BUILT", "1")
        .env("XTASK_NO_BUILD", "1")
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();

    // Wait (bounded) until k6 and the two functions run.
    let started = Instant::now();
    let seen = loop {
        let now = descendants(pid);
        let names: BTreeSet<&str> = now.values().map(String::as_str).collect();
        if names.contains("k6")
            && names.iter().any(|n| n.starts_with("step2-producer"))
            && names.iter().any(|n| n.starts_with("step2-worker"))
        {
            break now;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("loadtest ended before the load began ({status}): {stderr}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "k6 and the functions never all ran: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Let the load run a moment, then stop it the way a service manager would.
    std::thread::sleep(Duration::from_secs(2));
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if stopping.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("loadtest still running 30 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "a stopped load test is not a pass");
    assert!(
        stderr.contains("stopped: k6 and the stack it ran against are shut down"),
        "{stderr}"
    );

    // Every process it had started is gone (give the kernel a moment).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive: Vec<(&u32, &String)> = seen
            .iter()
            .filter(|(pid, _)| processes().contains_key(pid))
            .collect();
        if alive.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "left running: {alive:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the temporary folder: {left:?}");
}
