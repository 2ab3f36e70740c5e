//! The CI proofs (rustlings' `dev check`, for serverless): for every
//! exercise with a check, its starting point **fails** with the first
//! failure a learner should see (snapshot), the lesson's solution
//! **passes**, and one plausible wrong attempt fails with the explanation a
//! learner needs.
//!
//! Files exercises run the lesson's binaries (built by `cargo test`, as the
//! lesson tests are); crate exercises run their code in process: the
//! committed starting point (linked as a dev-dependency), the lesson's
//! code, and the wrong attempt written here. The helpers that set an
//! attempt up are `pub(crate)`: `checks/mistakes.rs` uses them too.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use localcloud::config::ServerlessConfig;
use localcloud::lambda::{InvokeContext, adapters};
use localcloud::sqs::Sqs;
use localcloud::stack::CodeSource;

use super::attempt::{Attempt, Code, MakeCode};
use super::catalog::{Catalog, Exercise};
use super::checks::{self, Verdict};
use super::starter::{self, MadeFile};

pub(crate) fn exercise(name: &str) -> Exercise {
    let catalog = Catalog::load().unwrap();
    let index = catalog
        .exercises
        .iter()
        .position(|e| e.name == name)
        .unwrap();
    catalog.exercises.into_iter().nth(index).unwrap()
}

/// The starting point's files, written to a folder of their own.
fn starting_point(exercise: &Exercise, dir: &Path) {
    write(dir, &starter::make(exercise).unwrap());
}

/// The lesson's solution in place of the learner's files (and the made
/// files beside them).
fn solution(exercise: &Exercise, dir: &Path) {
    starting_point(exercise, dir);
    for solved in starter::solutions(exercise).unwrap() {
        std::fs::write(dir.join(&solved.path), solved.lesson_text.unwrap()).unwrap();
    }
}

pub(crate) fn write(dir: &Path, files: &[MadeFile]) {
    for file in files {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.text).unwrap();
    }
}

/// An attempt whose files are in `dir`, run from the lesson's binaries.
pub(crate) fn built(exercise: &Exercise, dir: &Path) -> Attempt {
    Attempt::in_dir(exercise, dir.to_owned(), Code::Built).unwrap()
}

async fn check(exercise: &Exercise, attempt: &Attempt) -> Verdict {
    checks::run(exercise, attempt).await.unwrap()
}

/// What changes from run to run, masked in the snapshots.
const FILTERS: [(&str, &str); 5] = [
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
    (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[id]",
    ),
    (r"thread '([^']+)' \(\d+\)", "thread '$1' ([tid])"),
    (r"xrayTraceId=\S+", "xrayTraceId=[trace]"),
    (r"/tmp/\.tmp\w+/", "[dir]/"),
];

/// The first failure of a starting point, as a learner reads it.
fn assert_first_failure(name: &str, verdict: &Verdict) {
    assert!(
        !verdict.passed(),
        "the starting point passed:\n{}",
        verdict.render()
    );
    let mut settings = insta::Settings::clone_current();
    for (pattern, to) in FILTERS {
        settings.add_filter(pattern, to);
    }
    settings.bind(|| insta::assert_snapshot!(name, verdict.render()));
}

fn assert_passes(verdict: &Verdict) {
    assert!(
        verdict.passed(),
        "the lesson's solution failed:\n{}",
        verdict.render()
    );
}

/// A wrong attempt fails, and its advice says `needle` (either language).
fn assert_fails_saying(verdict: &Verdict, needle: &str) {
    let advice = verdict
        .failure
        .as_ref()
        .unwrap_or_else(|| panic!("the wrong attempt passed:\n{}", verdict.render()));
    assert!(
        advice.en.contains(needle) || advice.ko.contains(needle),
        "the advice does not say {needle:?}:\n{}",
        verdict.render()
    );
}

// ── step 1 ──────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_1_1() {
    let e = exercise("1-1-route");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    assert_first_failure(
        "1-1-route-starting-point",
        &check(&e, &built(&e, dir.path())).await,
    );

    solution(&e, dir.path());
    assert_passes(&check(&e, &built(&e, dir.path())).await);

    // Wrong: the route's method is GET.
    let file = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("method: post", "method: get");
    std::fs::write(&file, text).unwrap();
    let verdict = check(&e, &built(&e, dir.path())).await;
    assert_fails_saying(&verdict, "No route matches POST /");
    assert!(
        verdict.report.contains("api          GET /"),
        "{}",
        verdict.report
    );
}

/// Step 1's function in process: the crate's own `handler`.
pub(crate) fn step1_code<F, Fut>(handler: F) -> Box<MakeCode>
where
    F: Fn(lambda_http::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<
            Output = Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>,
        > + Send
        + 'static,
{
    Box::new(move |_: &ServerlessConfig, _: Option<&Sqs>| {
        BTreeMap::from([(
            "api".to_owned(),
            CodeSource::Handler(adapters::http(handler.clone())),
        )])
    })
}

/// A plausible mistake: a number in quotes is taken as a number (the rest
/// as the lesson does it).
fn respond_accepting_strings(body: &[u8]) -> (http::StatusCode, String) {
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(serde_json::Value::String(text)) = value.get("input").cloned()
        && let Ok(number) = serde_json::from_str::<serde_json::Value>(&text)
    {
        value["input"] = number;
        return step1_http::respond(value.to_string().as_bytes());
    }
    step1_http::respond(body)
}

async fn handler_accepting_strings(
    request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    let (status, json) = respond_accepting_strings(request.body().as_ref());
    Ok(lambda_http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(lambda_http::Body::Text(json))?)
}

/// A beginner's answer in their own words, with what the instruction names
/// (`serde_json::Value`, `ExactNumber`, `ErrorBody`, `StatusCode`) and
/// without the lesson's `Job`: it must pass.
fn respond_by_a_learner(body: &[u8]) -> (http::StatusCode, String) {
    use lesson_kit::{ErrorBody, ExactNumber};
    let refuse = |message: &str| {
        (
            http::StatusCode::BAD_REQUEST,
            ErrorBody::new(message).to_json(),
        )
    };
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return refuse(&format!("the body is not JSON: {e}")),
    };
    let Some(object) = value.as_object() else {
        return refuse("send an object like {\"input\": 1}");
    };
    if object.len() != 1 {
        return refuse("the body must have exactly one field, input");
    }
    let Some(input) = object.get("input") else {
        return refuse("input is missing");
    };
    if !input.is_number() {
        return refuse("input must be a number, without quotes");
    }
    match ExactNumber::parse(&input.to_string()) {
        Ok(number) => (
            http::StatusCode::OK,
            format!("{{\"input\":{},\"output\":{}}}", number, number.plus_one()),
        ),
        Err(e) => refuse(&format!("input {e}")),
    }
}

async fn handler_by_a_learner(
    request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    let (status, json) = respond_by_a_learner(request.body().as_ref());
    Ok(lambda_http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(lambda_http::Body::Text(json))?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_1_2() {
    let e = exercise("1-2-validate");
    let lesson_yml = starter::make(&e).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &lesson_yml);
    let run = |code| Attempt::in_process(&e, dir.path().to_owned(), code).unwrap();

    let starter = check(&e, &run(step1_code(starter_1_2_validate::handler))).await;
    assert_first_failure("1-2-validate-starting-point", &starter);

    assert_passes(&check(&e, &run(step1_code(step1_http::handler))).await);

    let learner = check(&e, &run(step1_code(handler_by_a_learner))).await;
    assert!(
        learner.passed(),
        "a beginner's answer without `Job` failed:\n{}",
        learner.render()
    );

    let wrong = check(&e, &run(step1_code(handler_accepting_strings))).await;
    assert_fails_saying(
        &wrong,
        "\"input as a string\" ({\"input\": \"1\"}) must get 400",
    );
}

// ── step 2 ──────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_2_1() {
    let e = exercise("2-1-queue");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    assert_first_failure(
        "2-1-queue-starting-point",
        &check(&e, &built(&e, dir.path())).await,
    );

    solution(&e, dir.path());
    assert_passes(&check(&e, &built(&e, dir.path())).await);

    // Wrong: the queue and its worker, but the producer has no QUEUE_URL.
    let file = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "    environment:\n      QUEUE_URL: ${construct:jobs.queueUrl}\n",
        "",
    );
    std::fs::write(&file, text).unwrap();
    let verdict = check(&e, &built(&e, dir.path())).await;
    assert_fails_saying(&verdict, "QUEUE_URL");
    assert!(
        verdict.report.contains("QUEUE_URL is not set"),
        "{}",
        verdict.report
    );
}

pub(crate) type Work = fn(&SqsEvent) -> (SqsBatchResponse, Vec<String>);

/// Step 2's functions in process: the lesson's producer, and `work` as the
/// worker (its lines logged as the worker binary prints them).
pub(crate) fn step2_code(work: Work) -> Box<MakeCode> {
    Box::new(move |config: &ServerlessConfig, sqs: Option<&Sqs>| {
        let sqs = sqs.expect("step 2 runs with SQS");
        let client = crate::lesson::step3::experiment::sdk_client(sqs, &config.provider.region);
        let queue_url = config.function("producer").unwrap().environment["QUEUE_URL"].clone();
        let producer = step2_sqs::producer::Producer::new(client, queue_url);
        BTreeMap::from([
            (
                "producer".to_owned(),
                CodeSource::Handler(adapters::http(move |request| {
                    let producer = producer.clone();
                    async move { producer.handle(request).await }
                })),
            ),
            (
                "jobsWorker".to_owned(),
                CodeSource::Handler(adapters::event(
                    move |event: SqsEvent, context: InvokeContext| async move {
                        let (response, lines) = work(&event);
                        for line in lines {
                            context.log(line);
                        }
                        Ok::<_, Infallible>(response)
                    },
                )),
            ),
        ])
    })
}

/// A plausible mistake: a body that is not a job is logged and dropped,
/// not reported in `batchItemFailures` (so it is deleted, never in the DLQ).
fn work_dropping_bad_bodies(event: &SqsEvent) -> (SqsBatchResponse, Vec<String>) {
    let mut lines = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let count = record
            .attributes
            .get("ApproximateReceiveCount")
            .cloned()
            .unwrap_or_default();
        match lesson_kit::Job::from_json_str(record.body.as_deref().unwrap_or("")) {
            Ok(job) => {
                let answer = job.answer();
                lines.push(format!(
                    "job {id} receive {count}: input {} -> output {}",
                    answer.input, answer.output
                ));
            }
            Err(_) => lines.push(format!("job {id} receive {count}: rejected: skipped")),
        }
    }
    (SqsBatchResponse::default(), lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plus_one_2_2() {
    let e = exercise("2-2-plus-one");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &starter::make(&e).unwrap());
    let run = |code| Attempt::in_process(&e, dir.path().to_owned(), code).unwrap();

    let starter = check(
        &e,
        &run(step2_code(|event| {
            let (response, outcomes) = starter_2_2_plus_one::worker::work(event);
            (response, outcomes.iter().map(|o| o.log_line()).collect())
        })),
    )
    .await;
    assert_first_failure("2-2-plus-one-starting-point", &starter);

    let lesson = check(
        &e,
        &run(step2_code(|event| {
            let (response, outcomes) = step2_sqs::worker::work(event);
            (response, outcomes.iter().map(|o| o.log_line()).collect())
        })),
    )
    .await;
    assert_passes(&lesson);

    let wrong = check(&e, &run(step2_code(work_dropping_bad_bodies))).await;
    assert_fails_saying(&wrong, "never reached the DLQ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loop_2_3() {
    let e = exercise("2-3-loop");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    assert_first_failure(
        "2-3-loop-starting-point",
        &check(&e, &built(&e, dir.path())).await,
    );

    solution(&e, dir.path());
    assert_passes(&check(&e, &built(&e, dir.path())).await);

    // Wrong: the body in single quotes, so `$i` is sent as the text `$i`.
    let file = dir.path().join("produce.sh");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        r#"--data-raw "{\"input\": $i}""#,
        r#"--data-raw '{"input": $i}'"#,
    );
    std::fs::write(&file, text).unwrap();
    let verdict = check(&e, &built(&e, dir.path())).await;
    assert_fails_saying(&verdict, "put no job on the queue");
    assert!(verdict.report.contains("400"), "{}", verdict.report);
}

// ── step 3 ──────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predict_3_2() {
    let e = exercise("3-2-predict");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    let attempt = || built(&e, dir.path());
    assert_first_failure("3-2-predict-starting-point", &check(&e, &attempt()).await);

    // The solution: what the rules say, written down before running.
    let prediction = "[as-written]\nreceives = 3\ncommits = 0\nfinal = \"dlq\"\n\n[short-visibility]\nreceives = 3\ncommits = 3\nfinal = \"dlq\"\n";
    std::fs::write(dir.path().join("prediction.toml"), prediction).unwrap();
    assert_passes(&check(&e, &attempt()).await);

    // Wrong: a lowered visibility only delays the job, once committed.
    let wrong = prediction.replace(
        "receives = 3\ncommits = 3\nfinal = \"dlq\"",
        "receives = 1\ncommits = 1\nfinal = \"deleted\"",
    );
    std::fs::write(dir.path().join("prediction.toml"), wrong).unwrap();
    let verdict = check(&e, &attempt()).await;
    assert_fails_saying(&verdict, "deletes nothing");
    assert!(verdict.report.contains("timeline"), "{}", verdict.report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_config_3_3() {
    let e = exercise("3-3-fix-config");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    let attempt = || built(&e, dir.path());
    assert_first_failure(
        "3-3-fix-config-starting-point",
        &check(&e, &attempt()).await,
    );

    solution(&e, dir.path());
    assert_passes(&check(&e, &attempt()).await);

    // Wrong: the timeout raised for every function in `provider`, which
    // Lift does not read: visibility 6 x 6 = 36 s < 40 s, the mapping is refused.
    starting_point(&e, dir.path());
    let file = dir.path().join("serverless.yml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "  region: ap-northeast-2\n",
        "  region: ap-northeast-2\n  timeout: 40\n",
    );
    std::fs::write(&file, text).unwrap();
    let verdict = check(&e, &attempt()).await;
    assert_fails_saying(&verdict, "Lift does not read it");
}

/// A step-3 attempt whose worker runs in process, from `make_worker`.
pub(crate) fn step3_worker(
    exercise: &Exercise,
    dir: &Path,
    make_worker: impl Fn(step3_experiment::WorkerSetup) -> anyhow::Result<step3_experiment::WorkerFn>
    + Send
    + Sync
    + 'static,
) -> Attempt {
    let mut attempt = built(exercise, dir);
    attempt.code = Code::Step3Worker(std::sync::Arc::new(make_worker));
    attempt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_worker_3_1() {
    let e = exercise("3-1-slow-worker");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    let starter = check(
        &e,
        &step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(starter_3_1_slow_worker),
        ),
    )
    .await;
    assert_first_failure("3-1-slow-worker-starting-point", &starter);

    let lesson = check(
        &e,
        &step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(step3_dlq_visibility),
        ),
    )
    .await;
    assert_passes(&lesson);

    // Wrong: 15 s written in the code (in place of `how_long`), whatever
    // WORK_SECONDS says.
    let fixed_15 =
        |setup: step3_experiment::WorkerSetup| -> anyhow::Result<step3_experiment::WorkerFn> {
            let worker = std::sync::Arc::new(step3_dlq_visibility::worker::Worker::new(
                setup.client,
                "",
                std::time::Duration::from_secs(15),
                false,
            ));
            Ok(std::sync::Arc::new(
                move |event,
                      deadline: step3_experiment::InvocationDeadline,
                      log: step3_experiment::Log| {
                    let worker = worker.clone();
                    let deadline = step3_dlq_visibility::worker::Deadline {
                        epoch_millis: deadline.epoch_millis,
                        instant: deadline.instant,
                    };
                    Box::pin(async move {
                        worker
                            .handle(&event, deadline, &*log)
                            .await
                            .map_err(|c| c.0)
                    })
                },
            ))
        };
    let wrong = check(&e, &step3_worker(&e, dir.path(), fixed_15)).await;
    assert_fails_saying(&wrong, "WORK_SECONDS is 7");
}

/// A plausible mistake: the visibility extended once, not again and again.
fn heartbeat_once(
    setup: step3_experiment::WorkerSetup,
) -> anyhow::Result<step3_experiment::WorkerFn> {
    let client = setup.client;
    let queue_url = setup
        .environment
        .get("QUEUE_URL")
        .cloned()
        .unwrap_or_default();
    Ok(std::sync::Arc::new(
        move |event: SqsEvent,
              _: step3_experiment::InvocationDeadline,
              log: step3_experiment::Log| {
            let (client, queue_url) = (client.clone(), queue_url.clone());
            Box::pin(async move {
                let visibility: u64 = client
                    .get_queue_attributes()
                    .queue_url(&queue_url)
                    .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| {
                        o.attributes()
                            .and_then(|a| {
                                a.get(&aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
                            })
                            .and_then(|v| v.parse().ok())
                    })
                    .unwrap_or(30);
                let work = std::time::Duration::from_secs(15);
                let half = std::time::Duration::from_millis(visibility * 500);
                tokio::time::sleep(half).await;
                for record in &event.records {
                    if let Some(handle) = record.receipt_handle.as_deref() {
                        let _ = client
                            .change_message_visibility()
                            .queue_url(&queue_url)
                            .receipt_handle(handle)
                            .visibility_timeout(visibility as i32)
                            .send()
                            .await;
                    }
                }
                tokio::time::sleep(work.saturating_sub(half)).await;
                Ok(step3_dlq_visibility::worker::commit(&event, &*log))
            })
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_3_4() {
    let e = exercise("3-4-heartbeat");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    let starter = check(
        &e,
        &step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(starter_3_4_heartbeat),
        ),
    )
    .await;
    assert_first_failure("3-4-heartbeat-starting-point", &starter);

    let lesson = check(
        &e,
        &step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(step3_dlq_visibility),
        ),
    )
    .await;
    assert_passes(&lesson);

    let wrong = check(&e, &step3_worker(&e, dir.path(), heartbeat_once)).await;
    assert_fails_saying(&wrong, "again and again");
}

/// A plausible mistake: every failed condition read as "done", so a job
/// another invocation is still working on is acknowledged (and would be
/// lost if that invocation died).
fn acknowledges_in_progress(
    setup: step3_experiment::WorkerSetup,
) -> anyhow::Result<step3_experiment::WorkerFn> {
    use aws_sdk_dynamodb::types::AttributeValue;
    use step3_dlq_visibility::worker::{Outcome, job_key};
    let table = setup.environment["IDEMPOTENCY_TABLE"].clone();
    let crash = setup.environment["CRASH_AFTER_COMMIT"] == "first-receive";
    let db = setup.dynamodb;
    Ok(std::sync::Arc::new(
        move |event: SqsEvent,
              _: step3_experiment::InvocationDeadline,
              log: step3_experiment::Log| {
            let (db, table) = (db.clone(), table.clone());
            Box::pin(async move {
                let mut claimed = Vec::new();
                for record in &event.records {
                    let outcome = Outcome::of(record);
                    let Outcome::Committed {
                        message_id,
                        receive_count,
                        input,
                        ..
                    } = &outcome
                    else {
                        continue;
                    };
                    let key = job_key(input);
                    let put = db
                        .put_item()
                        .table_name(&table)
                        .item("id", AttributeValue::S(key.clone()))
                        .item("status", AttributeValue::S("IN_PROGRESS".into()))
                        .condition_expression("attribute_not_exists(id)")
                        .send()
                        .await;
                    match put {
                        Ok(_) => claimed.push((outcome.clone(), key)),
                        Err(_) => log(format!(
                            "duplicate {message_id} receive {receive_count}: {key} was committed before; acknowledged without a second commit"
                        )),
                    }
                }
                if claimed.is_empty() {
                    return Ok(SqsBatchResponse::default());
                }
                tokio::time::sleep(std::time::Duration::from_secs(15)).await;
                let mut first = false;
                for (outcome, key) in &claimed {
                    log(outcome.log_line());
                    first |= matches!(outcome, Outcome::Committed { receive_count, .. } if receive_count == "1");
                    let _ = db
                        .update_item()
                        .table_name(&table)
                        .key("id", AttributeValue::S(key.clone()))
                        .update_expression("SET #status = :done")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":done", AttributeValue::S("COMPLETED".into()))
                        .send()
                        .await;
                }
                if crash && first {
                    return Err("crash after commit".to_owned());
                }
                Ok(SqsBatchResponse::default())
            })
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_3_5() {
    let e = exercise("3-5-idempotent");
    let dir = tempfile::tempdir().unwrap();
    starting_point(&e, dir.path());
    let starter = check(
        &e,
        &step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(starter_3_5_idempotent),
        ),
    )
    .await;
    assert_first_failure("3-5-idempotent-starting-point", &starter);

    let lesson = check(
        &e,
        &step3_worker(
            &e,
            dir.path(),
            step3_experiment::worker_of!(step3_dlq_visibility),
        ),
    )
    .await;
    assert_passes(&lesson);

    let wrong = check(&e, &step3_worker(&e, dir.path(), acknowledges_in_progress)).await;
    assert_fails_saying(&wrong, "would be lost");
}
