//! A learner's path with `lesson step2 up` on other ports than the default:
//! the lesson's other commands find it through the state file `up` writes,
//! with no flags, and the file goes away when `up` stops.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn state_file() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("xtask/up/step2.json")
}

struct Up(Child);

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn the_step2_commands_find_an_up_on_other_ports() {
    let _stacks = crate::one_lesson_stack_at_a_time();
    let (port, sqs_port, console_port) = (free_port(), free_port(), free_port());
    let up = Up(Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["lesson", "step2", "up"])
        // `cargo test --workspace` has built the lesson's binaries.
        .env("XTASK_NO_BUILD", "1")
        .args([
            "--port",
            &port.to_string(),
            "--sqs-port",
            &sqs_port.to_string(),
            "--console-port",
            &console_port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    let started = Instant::now();
    while !state_file().exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "`up` did not start (are target/debug/step2-producer and step2-worker built? `cargo test --workspace` builds them)"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let state = std::fs::read_to_string(state_file()).unwrap();
    assert!(
        state.contains(&format!("http://127.0.0.1:{port}")),
        "{state}"
    );
    assert!(
        state.contains(&format!(
            "\"console_url\": \"http://127.0.0.1:{console_port}/\""
        )),
        "{state}"
    );

    let invoke = xtask(&["lesson", "step2", "invoke", r#"{"input": 1}"#]);
    assert!(invoke.status.success(), "{}", text(&invoke));
    assert!(
        text(&invoke).contains(&format!("POST http://127.0.0.1:{port}/produce")),
        "{}",
        text(&invoke)
    );

    // The base URL gets the lesson's route.
    let base = xtask(&[
        "lesson",
        "step2",
        "invoke",
        r#"{"input": 2}"#,
        "--url",
        &format!("http://127.0.0.1:{port}"),
    ]);
    assert!(base.status.success(), "{}", text(&base));

    // --raw sends what is typed, so the function's own 400 is seen.
    let raw = xtask(&["lesson", "step2", "invoke", "--raw", "input=1"]);
    assert!(!raw.status.success());
    assert!(text(&raw).contains("-> 400 Bad Request"), "{}", text(&raw));

    let looped = xtask(&["lesson", "step2", "loop", "--count", "10"]);
    assert!(looped.status.success(), "{}", text(&looped));
    assert!(
        text(&looped).contains("ok 10, failed 0"),
        "{}",
        text(&looped)
    );

    let sent = xtask(&["lesson", "step2", "send", "x"]);
    assert!(sent.status.success(), "{}", text(&sent));
    assert!(
        text(&sent).contains(&format!("127.0.0.1:{sqs_port}/")),
        "{}",
        text(&sent)
    );

    let stats = xtask(&["lesson", "step2", "queue", "stats"]);
    assert!(stats.status.success(), "{}", text(&stats));
    assert!(
        text(&stats).contains("| tutorial-step-2-dev-jobs |"),
        "{}",
        text(&stats)
    );

    let dlq = xtask(&["lesson", "step2", "dlq", "show"]);
    assert!(dlq.status.success(), "{}", text(&dlq));

    // Explicit flags win over the state file.
    let elsewhere = free_port();
    let flagged = xtask(&[
        "lesson",
        "step2",
        "queue",
        "stats",
        "--sqs-url",
        &format!("http://127.0.0.1:{elsewhere}"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&flagged.stderr).trim(),
        format!(
            "error: nothing listens at http://127.0.0.1:{elsewhere} (from --sqs-url): check the address"
        )
    );
    assert!(flagged.stdout.is_empty(), "no table head before the error");

    drop(up);
    assert!(!state_file().exists(), "`up` removes its state file");
    let after = xtask(&["lesson", "step2", "queue", "stats"]);
    assert!(
        String::from_utf8_lossy(&after.stderr)
            .contains("start the lesson with `cargo xtask lesson step2 up`"),
        "{}",
        text(&after)
    );
}
