//! The AWS path as a user without an account meets it: `deploy` with no
//! credentials stops in seconds with one line and builds nothing;
//! `--dry-run` shows the commands; `--target aws` refuses what cannot work.
//! (The deploy itself is rehearsed against moto by `cargo xtask
//! deploy-rehearsal`, in `cargo xtask ci`.)

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary with an empty environment (only PATH and a HOME with no AWS
/// files), as on a machine where nobody ever configured AWS.
fn xtask_without_aws(args: &[&str]) -> (Output, Duration) {
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        // No instance metadata service here; a learner's laptop has none either.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (output, started.elapsed())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn deploy_without_credentials_says_how_in_one_line_and_builds_nothing() {
    for args in [
        &["lesson", "step2", "deploy"][..],
        &["lesson", "step1", "remove"],
        &["lesson", "step3", "info"],
        &["lesson", "step2", "logs", "producer"],
        &["lesson", "step2", "queue", "stats", "--target", "aws"],
        &[
            "lesson",
            "step2",
            "invoke",
            r#"{"input": 1}"#,
            "--target",
            "aws",
        ],
    ] {
        let (output, took) = xtask_without_aws(args);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            took < Duration::from_secs(15),
            "{args:?} took {took:?}: {stderr}"
        );
        assert_eq!(
            stderr.trim(),
            "error: no AWS credentials found: run `aws configure` (access keys), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or `aws sso login --profile NAME` then export AWS_PROFILE=NAME; then run this again",
            "{args:?}"
        );
        assert!(
            !stderr.contains("Building") && text(&output.stdout).is_empty(),
            "{args:?} did more than check: {stderr}"
        );
    }
}

#[test]
fn dry_runs_print_the_commands_in_order() {
    let (deploy, _) = xtask_without_aws(&["lesson", "step2", "deploy", "--dry-run"]);
    assert!(deploy.status.success(), "{}", text(&deploy.stderr));
    insta::assert_snapshot!("deploy-step2-dry-run", text(&deploy.stdout));
    let (remove, _) = xtask_without_aws(&[
        "lesson",
        "step3",
        "remove",
        "--dry-run",
        "--stage",
        "prod",
        "--region",
        "us-east-1",
    ]);
    assert!(remove.status.success(), "{}", text(&remove.stderr));
    insta::assert_snapshot!("remove-step3-prod-dry-run", text(&remove.stdout));
}

#[test]
fn aws_flags_that_cannot_work_are_refused_before_any_call() {
    for (args, wanted) in [
        (
            &["lesson", "step2", "queue", "stats", "--stage", "prod"][..],
            "error: --stage and --region name a deployed stack: add --target aws",
        ),
        (
            &["lesson", "step2", "deploy", "--stage", "my stage"],
            r#"error: --stage "my stage": use letters, digits and hyphens (e.g. dev, prod, alice-test)"#,
        ),
        (
            &["lesson", "step2", "deploy", "--region", "seoul"],
            r#"error: --region "seoul" is not an AWS region name (e.g. ap-northeast-2, us-east-1)"#,
        ),
        (
            &["lesson", "step2", "logs", "worker"],
            r#"error: "worker" is not a function of step2: pick one of producer, jobsWorker"#,
        ),
        (
            &[
                "lesson",
                "step2",
                "invoke",
                "{}",
                "--target",
                "aws",
                "--url",
                "http://127.0.0.1:1",
            ],
            "error: --url and --target aws both say where the API is: pass one",
        ),
    ] {
        let (output, _) = xtask_without_aws(args);
        assert!(!output.status.success(), "{args:?}");
        assert_eq!(text(&output.stderr).trim(), wanted, "{args:?}");
    }
}
