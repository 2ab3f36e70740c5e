//! `cargo xtask lesson step3 run` as a learner runs it: the real processes
//! reach the same per-job outcome as the virtual run for the same numbers,
//! and bad input gets one clear line.

use std::process::{Command, Output, Stdio};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        // `cargo test --workspace` has built the lesson's binaries.
        .env("XTASK_NO_BUILD", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// (input, receives, commits, final) per job of the only scenario.
fn outcome(output: &Output) -> Vec<(u64, u64, u64, String)> {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let scenarios = document["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 1);
    scenarios[0]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["input"].as_u64().unwrap(),
                j["receives"].as_u64().unwrap(),
                j["commits"].as_u64().unwrap(),
                j["final"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn real_processes_reach_the_virtual_outcome() {
    let args = [
        "lesson",
        "step3",
        "run",
        "--scenario",
        "short-visibility",
        "--work-seconds",
        "3",
        "--visibility",
        "2",
        "--jobs",
        "2",
        "--json",
    ];
    let virtual_run = outcome(&xtask(&args));
    let real_run = outcome(&xtask(&[&args[..], &["--real"]].concat()));
    assert_eq!(
        virtual_run,
        [(1, 3, 3, "dlq".to_owned()), (2, 3, 3, "dlq".to_owned())]
    );
    assert_eq!(real_run, virtual_run);
}

#[test]
fn bad_input_gets_one_clear_line() {
    for (args, expected) in [
        (
            &["lesson", "step3", "visibility", "-1"][..],
            "error: invalid value '-1' for '<SECONDS>': -1 is not in 0..=43200",
        ),
        (
            &["lesson", "step3", "visibility", "43201"],
            "error: invalid value '43201' for '<SECONDS>': 43201 is not in 0..=43200",
        ),
        (
            &["lesson", "step3", "visibility", "abc"],
            "error: invalid value 'abc' for '<SECONDS>': invalid digit found in string",
        ),
        (
            &["lesson", "step3", "run", "--scenario", "fast"],
            "error: invalid value 'fast' for '--scenario <SCENARIO>'",
        ),
        (
            &["lesson", "step3", "run", "--jobs", "0"],
            "error: invalid value '0' for '--jobs <JOBS>': 0 is not in 1..=20",
        ),
        (
            &["lesson", "step3", "run", "--work-seconds", "0"],
            "error: invalid value '0' for '--work-seconds <WORK_SECONDS>': 0 is not in 1..=19",
        ),
        (
            &[
                "lesson",
                "step3",
                "run",
                "--work-seconds",
                "6",
                "--scenario",
                "as-written",
            ],
            "error: --work-seconds 6 equals the as-written worker's timeout (6 s)",
        ),
    ] {
        let output = xtask(args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
