//! Tests of what a learner reads: every starting point's first failure in
//! Korean only (`EXERCISE_LANG=ko`) and in English only, and the messages
//! that must tell the truth about a learner's mistake (whose result missed,
//! what the exercise expects, an error named as an error, a Lift construct
//! in the wrong place, a blocking sleep, a heartbeat never awaited).
//!
//! The setup is the CI proofs' (`exercise/proofs.rs`, whose helpers it
//! uses): files exercises run the lesson's binaries, crate exercises their
//! code in process.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use super::{Verdict, run_in};
use crate::exercise::attempt::{Attempt, MakeCode};
use crate::exercise::lang::Lang;
use crate::exercise::proofs::{built, exercise, step1_code, step2_code, step3_worker, write};
use crate::exercise::starter;

fn step1_starter() -> Box<MakeCode> {
    step1_code(starter_1_2_validate::handler)
}

async fn starting_point(name: &str, lang: Lang) -> Verdict {
    let e = exercise(name);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &starter::make(&e).unwrap());
    let attempt = match name {
        "1-2-validate" => Attempt::in_process(&e, dir.path().to_owned(), step1_starter()).unwrap(),
        "2-2-plus-one" => Attempt::in_process(
            &e,
            dir.path().to_owned(),
            step2_code(|event| {
                let (response, outcomes) = starter_2_2_plus_one::worker::work(event);
                (response, outcomes.iter().map(|o| o.log_line()).collect())
            }),
        )
        .unwrap(),
        // The learner's script against the lesson's functions, in process
        // (the tests do not build the lesson's binaries).
        "2-3-loop" => Attempt::in_process(
            &e,
            dir.path().to_owned(),
            step2_code(|event| {
                let (response, outcomes) = step2_sqs::worker::work(event);
                (response, outcomes.iter().map(|o| o.log_line()).collect())
            }),
        )
        .unwrap(),
        "3-1-slow-worker" => step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(starter_3_1_slow_worker),
        ),
        "3-4-heartbeat" => step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(starter_3_4_heartbeat),
        ),
        "3-5-idempotent" => step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(starter_3_5_idempotent),
        ),
        _ => built(&e, dir.path()),
    };
    let verdict = run_in(&e, &attempt, lang).await.unwrap();
    assert!(!verdict.passed(), "{name}'s starting point passed");
    verdict
}

/// What changes from run to run, masked in the snapshots (as the proofs).
const FILTERS: [(&str, &str); 3] = [
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
    (r"/tmp/\.tmp\w+/", "[dir]/"),
    (r"thread '([^']+)' \(\d+\)", "thread '$1' ([tid])"),
];

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    for (pattern, to) in FILTERS {
        settings.add_filter(pattern, to);
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Words an English sentence is made of, that are also fine alone in a
/// Korean text (names of things the learner types or AWS prints).
const KNOWN: &[&str] = &[
    "maxReceiveCount",
    "receives",
    "commits",
    "final",
    "deleted",
    "dlq",
    "queue",
    "worker",
    "handler",
    "package",
    "events",
    "artifact",
    "exit",
    "sh",
    "POST",
    "GET",
];

/// English prose left in a Korean text: a run of three or more words of
/// ASCII letters in a row (a "word" is 2+ letters; identifiers, commands,
/// paths, numbers and anything with `_ . : / = # ( ) [ ] { }` or digits
/// breaks a run), outside backticks and quotes, and outside the lines
/// that quote a program's own output (`│ `, the runtime's panic text).
/// Returns the runs found.
fn english_runs(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with('│') {
            continue;
        }
        // Drop what is quoted: `code`, "strings", 'strings'.
        let mut plain = String::new();
        let mut inside: Option<char> = None;
        for c in line.chars() {
            match inside {
                Some(q) if c == q => inside = None,
                Some(_) => {}
                None if c == '`' || c == '"' => inside = Some(c),
                None => plain.push(c),
            }
        }
        let mut run: Vec<&str> = Vec::new();
        let mut flush = |run: &mut Vec<&str>| {
            if run.len() >= 3 {
                found.push(format!("{:?} in {line:?}", run.join(" ")));
            }
            run.clear();
        };
        for token in plain.split_whitespace() {
            let word = token.trim_end_matches([',', ';']);
            let english = word.len() >= 2
                && word.chars().all(|c| c.is_ascii_alphabetic() || c == '\'')
                && !KNOWN.contains(&word);
            if english {
                run.push(word);
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    found
}

#[test]
fn the_heuristic_finds_english_sentences() {
    assert!(english_runs("작업 1개, 커밋 0번: 연습이 기대한 것과 다릅니다").is_empty());
    assert!(english_runs("`cargo xtask exercise check` 로 검사합니다").is_empty());
    assert!(english_runs("   │ panicked: not yet implemented: 1-2").is_empty());
    assert!(english_runs("\"the retrospective's request\"에서").is_empty());
    assert_eq!(
        english_runs("2 jobs, 6 commits: NOT as AWS's rules say").len(),
        1
    );
    assert_eq!(english_runs("✗ the code does not compile").len(), 1);
}

const ALL: [&str; 10] = [
    "1-1-route",
    "1-2-validate",
    "2-1-queue",
    "2-2-plus-one",
    "2-3-loop",
    "3-1-slow-worker",
    "3-2-predict",
    "3-3-fix-config",
    "3-4-heartbeat",
    "3-5-idempotent",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_points_in_korean_only() {
    let mut problems = Vec::new();
    for name in ALL {
        let verdict = starting_point(name, Lang::Ko).await;
        let text = verdict.render();
        for run in english_runs(&text) {
            problems.push(format!("{name}: {run}"));
        }
        assert!(
            !text.contains("Not yet") && text.contains("아직입니다"),
            "{name}:\n{text}"
        );
        match name {
            "1-2-validate" | "3-4-heartbeat" | "3-3-fix-config" => {
                snapshot(&format!("{name}-starting-point-ko"), &text)
            }
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "English left in the Korean output:\n{}",
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_points_in_english_only() {
    for name in ["1-2-validate", "3-4-heartbeat"] {
        let text = starting_point(name, Lang::En).await.render();
        assert!(
            !text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{name}: Korean in the English output:\n{text}"
        );
        snapshot(&format!("{name}-starting-point-en"), &text);
    }
}

#[test]
fn every_contract_case_has_a_korean_label() {
    for case in step1_http::scenario::SCENARIO {
        let ko = super::step1::case_label(case.what, Lang::Ko);
        assert!(
            ko == "null" || ko != case.what,
            "no Korean label for {:?}",
            case.what
        );
        assert_eq!(super::step1::case_label(case.what, Lang::Both), case.what);
    }
}

// ── messages that tell the truth ────────────────────────────────────────

/// A failing step-3 check calls the result the learner's, and its table's
/// last column shows what the exercise expects: never a ✓ beside ✗.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_step_3_result_is_the_learners_not_awss() {
    for lang in [Lang::Both, Lang::En, Lang::Ko] {
        let text = starting_point("3-3-fix-config", lang).await.render();
        assert!(!text.contains("AWS's rules"), "{text}");
        assert!(
            !text.contains("✓ |"),
            "a ✓ beside a failing verdict:\n{text}"
        );
        match lang {
            Lang::Ko => {
                assert!(
                    text.contains("| 1 | 3 | 0 | dlq | 1 / 1 / deleted ✗ |"),
                    "{text}"
                );
                assert!(text.contains("연습이 기대한 것과 다릅니다"), "{text}");
            }
            _ => {
                assert!(
                    text.contains("| the exercise expects |")
                        && text.contains("| 1 | 3 | 0 | dlq | 1 / 1 / deleted ✗ |"),
                    "{text}"
                );
                assert!(
                    text.contains("your serverless.yml's result is NOT what the exercise expects"),
                    "{text}"
                );
            }
        }
    }
    let text = starting_point("3-4-heartbeat", Lang::En).await.render();
    assert!(
        text.contains("your worker's result is NOT what the exercise expects"),
        "{text}"
    );
}

/// 3-4: no ChangeMessageVisibility reached SQS: not called, or called
/// without `.await`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_heartbeat_names_the_missing_await() {
    let verdict = starting_point("3-4-heartbeat", Lang::Both).await;
    let advice = verdict.failure.unwrap();
    assert!(advice.en.contains("without `.await`"), "{}", advice.en);
    assert!(
        advice.en.contains("does nothing until it is awaited"),
        "{}",
        advice.en
    );
    assert!(advice.ko.contains(".await"), "{}", advice.ko);
}

/// A claim written with the reserved word `status` as is: DynamoDB says
/// ValidationException, and the worker gives the message back.
fn claims_with_a_reserved_word(
    setup: step3_experiment::WorkerSetup,
) -> anyhow::Result<step3_experiment::WorkerFn> {
    use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
    use aws_sdk_dynamodb::types::AttributeValue;
    use step3_dlq_visibility::worker::{Outcome, job_key};
    let table = setup.environment["IDEMPOTENCY_TABLE"].clone();
    let db = setup.dynamodb;
    Ok(std::sync::Arc::new(
        move |event: SqsEvent,
              _: step3_experiment::InvocationDeadline,
              log: step3_experiment::Log| {
            let (db, table) = (db.clone(), table.clone());
            Box::pin(async move {
                let mut response = SqsBatchResponse::default();
                for record in &event.records {
                    let Outcome::Committed {
                        message_id,
                        receive_count,
                        input,
                        ..
                    } = Outcome::of(record)
                    else {
                        continue;
                    };
                    let key = job_key(&input);
                    let put = db
                        .put_item()
                        .table_name(&table)
                        .item("id", AttributeValue::S(key.clone()))
                        .item("status", AttributeValue::S("IN_PROGRESS".into()))
                        .condition_expression("attribute_not_exists(id) OR status = :done")
                        .expression_attribute_values(":done", AttributeValue::S("COMPLETED".into()))
                        .send()
                        .await;
                    let error = match put {
                        Ok(_) => "no error".to_owned(),
                        Err(SdkError::ServiceError(e)) => format!(
                            "{}: {}",
                            e.err().code().unwrap_or("error"),
                            e.err().message().unwrap_or("")
                        ),
                        Err(e) => e.to_string(),
                    };
                    log(format!(
                        "idempotency {message_id} receive {receive_count}: claiming {key} failed: {error}; back to the queue"
                    ));
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id.clone();
                    response.batch_item_failures.push(failure);
                }
                Ok(response)
            })
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_claim_is_an_error_in_the_timeline() {
    let e = exercise("3-5-idempotent");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &starter::make(&e).unwrap());
    let attempt = step3_worker(&e, dir.path(), claims_with_a_reserved_word);
    for lang in [Lang::En, Lang::Ko] {
        let verdict = run_in(&e, &attempt, lang).await.unwrap();
        let text = verdict.render();
        assert!(!text.contains("in progress elsewhere"), "{text}");
        assert!(!text.contains("다른 호출이 작업 중"), "{text}");
        let advice = verdict.failure.unwrap();
        match lang {
            Lang::Ko => {
                assert!(text.contains("에러, 선점하지 못함"), "{text}");
                assert!(advice.ko.contains("ValidationException"), "{}", advice.ko);
                assert!(advice.ko.contains("#status"), "{}", advice.ko);
            }
            _ => {
                assert!(
                    text.contains("receive #1: ERROR, the claim failed"),
                    "{text}"
                );
                assert!(text.contains("failed: ValidationException"), "{text}");
                assert!(advice.en.contains("ValidationException"), "{}", advice.en);
                assert!(advice.en.contains("Read the error"), "{}", advice.en);
            }
        }
    }
    assert_eq!(
        super::step3::claim_error(
            "idempotency m receive 1: claiming input=1 failed: ValidationException: status is reserved; back to the queue"
        ),
        "ValidationException: status is reserved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_construct_under_functions_is_told_where_it_belongs() {
    let e = exercise("2-1-queue");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &starter::make(&e).unwrap());
    let file = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "functions:\n",
        "functions:\n  jobs:\n    type: queue\n    worker:\n      handler: bootstrap\n      package:\n        artifact: ../../target/lambda/step2-worker/step2-worker.zip\n",
    );
    std::fs::write(&file, &text).unwrap();
    assert_eq!(
        super::step2::construct_under_functions(&text).as_deref(),
        Some("jobs")
    );
    let verdict = run_in(&e, &built(&e, dir.path()), Lang::Both)
        .await
        .unwrap();
    let advice = verdict.failure.clone().unwrap();
    assert!(
        advice
            .en
            .contains("belongs under the top-level `constructs:`"),
        "{}",
        verdict.render()
    );
    assert!(advice.ko.contains("최상위"), "{}", advice.ko);
    assert!(advice.ko.contains("constructs:"), "{}", advice.ko);
}

/// A worker that blocks its thread (bounded here: 3 s) instead of awaiting.
fn blocking_worker(_: step3_experiment::WorkerSetup) -> anyhow::Result<step3_experiment::WorkerFn> {
    Ok(std::sync::Arc::new(
        move |event: SqsEvent,
              _: step3_experiment::InvocationDeadline,
              log: step3_experiment::Log| {
            Box::pin(async move {
                std::thread::sleep(Duration::from_secs(3));
                Ok(step3_dlq_visibility::worker::commit(&event, &*log))
            })
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_sleep_is_named() {
    let e = exercise("3-1-slow-worker");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &starter::make(&e).unwrap());
    let begun = Instant::now();
    let verdict = run_in(
        &e,
        &step3_worker(&e, dir.path(), blocking_worker),
        Lang::Both,
    )
    .await
    .unwrap();
    assert!(
        begun.elapsed() < Duration::from_secs(20),
        "took {:?}",
        begun.elapsed()
    );
    let advice = verdict.failure.clone().unwrap();
    assert!(
        advice.en.contains(
            "`std::thread::sleep` blocks the runtime: the experiment runs in virtual time"
        ) && advice.en.contains("Use `tokio::time::sleep(...).await`"),
        "{}",
        verdict.render()
    );
    assert!(
        advice
            .ko
            .contains("`std::thread::sleep`은 런타임을 멈춥니다")
    );
    assert!(!verdict.render().contains("nothing waited"));
}
