//! `cargo xtask lesson step1 run` prints each answer with the function's log
//! lines: its own lines sit between START and END, as in CloudWatch, every
//! time (the process's output is read up to its answer before END is written).

use std::process::{Command, Stdio};

#[test]
fn own_log_lines_sit_between_start_and_end_on_every_run() {
    for run in 1..=5 {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["lesson", "step1", "run"])
            // `cargo test --workspace` has built the lesson's binary.
            .env("XTASK_NO_BUILD", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "run {run}: {report}");
        let blocks: Vec<&str> = report.split("── ").skip(1).collect();
        assert_eq!(
            blocks.len(),
            step1_http::scenario::SCENARIO.len(),
            "run {run}: {report}"
        );
        for block in blocks {
            let lines: Vec<&str> = block
                .lines()
                .filter_map(|l| l.strip_prefix("   │ "))
                .collect();
            let kinds: Vec<&str> = lines
                .iter()
                .map(|l| {
                    ["START", "END", "REPORT"]
                        .into_iter()
                        .find(|k| l.starts_with(&format!("{k} ")))
                        .unwrap_or("own")
                })
                .collect();
            assert_eq!(
                kinds,
                ["START", "own", "END", "REPORT"],
                "run {run}: {block}"
            );
        }
    }
}
