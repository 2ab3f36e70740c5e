//! Step 2's exercises: the Lift queue and `QUEUE_URL` (2-1), the worker's
//! +1 (2-2) and the shell loop (2-3), judged by step 2's rules
//! ([`crate::lesson::step2::tally`]: every job processed once, with
//! `input + 1`, exact) on the learner's stack.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Result;
use localcloud::events::{Event, EventKind, InvocationResult};
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::server::CancellationToken;
use localcloud::sqs::Sqs;
use localcloud::stack::{RunningStack, Stack};
use serde_json::json;
use tokio::sync::broadcast;

use super::{Advice, Verdict, function_lines};
use crate::exercise::attempt::Attempt;
use crate::exercise::lang::Lang;
use crate::lesson::stack::{serve_sqs, work_queue_and_dlq};
use crate::lesson::step2::{Tally, WorkerLine, parse_worker_line, send_jobs, tally};
use crate::sqs_client::SqsClient;

/// The learner's step-2 stack, served on 127.0.0.1 with its event source
/// mapping running.
struct Booted {
    stack: Stack,
    running: RunningStack,
    shutdown: CancellationToken,
    sqs: Sqs,
    queue: String,
    url: String,
    logs: broadcast::Receiver<LogLine>,
    events: broadcast::Receiver<Event>,
}

impl Booted {
    fn stop(&self) {
        self.running.stop();
        self.shutdown.cancel();
        self.stack.lambda.stop_all();
    }

    /// What arrived since the last call: worker lines, every log line (by
    /// function), the worker invocations that ended in an error, and the
    /// messages sent to and moved out of the work queue.
    fn collect(&mut self, seen: &mut Seen) {
        while let Ok(line) = self.logs.try_recv() {
            if let Some(parsed) = parse_worker_line(&line.text) {
                seen.worker.push(parsed);
            }
            seen.lines.push(line);
        }
        while let Ok(event) = self.events.try_recv() {
            match event.kind {
                EventKind::MessageSent { queue, message_id } if queue == self.queue => {
                    seen.sent.insert(message_id);
                }
                EventKind::MovedToDeadLetterQueue {
                    queue, message_id, ..
                } if queue == self.queue => {
                    seen.moved.insert(message_id);
                }
                EventKind::InvocationFinished {
                    function, outcome, ..
                } if !matches!(outcome, InvocationResult::Success) => {
                    seen.failed_invocations.push((function, outcome));
                }
                _ => {}
            }
        }
    }
}

#[derive(Default)]
struct Seen {
    worker: Vec<WorkerLine>,
    lines: Vec<LogLine>,
    sent: BTreeSet<String>,
    moved: BTreeSet<String>,
    failed_invocations: Vec<(String, InvocationResult)>,
}

impl Seen {
    /// The log lines of the functions whose name ends with `-<key>`.
    fn lines_of(&self, key: &str) -> Vec<String> {
        let suffix = format!("-{key}");
        function_lines(
            &self
                .lines
                .iter()
                .filter(|l| l.function.ends_with(&suffix))
                .map(|l| l.text.clone())
                .collect::<Vec<_>>(),
        )
    }
}

/// Boots the attempt's stack, or the verdict that says why it does not boot.
async fn boot(attempt: &Attempt, lang: Lang) -> Result<Result<Booted, Verdict>> {
    let file = attempt.show("serverless.yml");
    let shutdown = CancellationToken::new();
    let sqs = serve_sqs(0, &shutdown).await?;
    let config = match attempt.config(Some(&sqs)) {
        Ok(config) => config,
        Err(e) => {
            shutdown.cancel();
            let text = std::fs::read_to_string(attempt.serverless_yml()).unwrap_or_default();
            let advice = match construct_under_functions(&text) {
                Some(key) => construct_advice(&file, &key),
                None => Advice::new(
                    format!("{file}을(를) 읽지 못했습니다. 위에 적힌 줄과 키를 보세요."),
                    format!("{file} does not read: look at the line and the key above."),
                ),
            };
            return Ok(Err(Verdict::fail(format!("✗ {e}\n"), advice)));
        }
    };
    let queue = match work_queue_and_dlq(&config) {
        Ok((queue, _)) => queue.name.clone(),
        Err(e) => {
            shutdown.cancel();
            let shown = lang.term_owned(
                format!("✗ {file}에 DLQ가 딸린 큐가 없습니다\n"),
                format!("✗ {e}\n"),
            );
            return Ok(Err(Verdict::fail(
                shown,
                Advice::new(
                    "큐가 없습니다. 최상위 constructs: 아래에 type: queue인 컨스트럭트(jobs)을 만들면 Lift가 큐와 DLQ를 함께 만듭니다.",
                    "There is no queue: a construct of `type: queue` (jobs) under the top-level `constructs:` makes Lift create the queue and its DLQ.",
                ),
            )));
        }
    };
    if let Some(function) = config.functions.iter().find(|f| !attempt.knows(f)) {
        shutdown.cancel();
        let expected = attempt.expected_artifacts().join(", ");
        return Ok(Err(Verdict::fail(
            lang.term_owned(
                format!("✗ 함수 {}: 검사가 아는 코드가 아닙니다\n", function.key),
                format!("✗ function {}: no code the check knows\n", function.key),
            ),
            Advice::new(
                format!(
                    "함수 {}의 package.artifact가 레슨의 바이너리가 아닙니다. 다음 가운데 하나를 쓰세요: {expected}",
                    function.key
                ),
                format!(
                    "Function {}'s package.artifact is not one of the lesson's binaries: use one of {expected}.",
                    function.key
                ),
            ),
        )));
    }
    let route = config
        .functions
        .iter()
        .flat_map(|f| f.http_api.iter())
        .find_map(|r| match r {
            localcloud::config::HttpApiRoute::Route { path, .. } => Some(path.clone()),
            localcloud::config::HttpApiRoute::Default => None,
        })
        .unwrap_or_else(|| "/produce".to_owned());
    let logs = Logs::new(false);
    let log_rx = logs.subscribe();
    let stack = attempt.stack(config, logs, Some(sqs.clone()))?;
    let events = stack.events().subscribe();
    let running = stack.serve(0, shutdown.clone()).await?;
    if let Err(e) = stack.start_event_sources(shutdown.clone()).await {
        running.stop();
        shutdown.cancel();
        return Ok(Err(Verdict::fail(
            format!(
                "✗ {}: {e}\n",
                lang.term("이벤트 소스 매핑", "the event source mapping")
            ),
            Advice::new(
                "Lambda가 이벤트 소스 매핑(큐 -> worker)을 거절했습니다. 위의 AWS 메시지를 보세요.",
                "Lambda refused the event source mapping (queue -> worker): AWS's message is above.",
            ),
        )));
    }
    let url = format!("{}{route}", running.http_url);
    Ok(Ok(Booted {
        stack,
        running,
        shutdown,
        sqs,
        queue,
        url,
        logs: log_rx,
        events,
    }))
}

/// Waits until `done` holds (checked every 50 ms) or `limit` passes.
async fn wait_for(
    booted: &mut Booted,
    seen: &mut Seen,
    limit: Duration,
    done: impl Fn(&Booted, &Seen) -> bool,
) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        booted.collect(seen);
        if done(booted, seen) || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    booted.collect(seen);
}

fn drained(booted: &Booted) -> bool {
    booted
        .sqs
        .counts(&booted.queue)
        .is_some_and(|c| c.visible + c.in_flight + c.delayed == 0)
}

fn tally_table(jobs: usize, tally: &Tally, lang: Lang) -> String {
    table(
        &[
            (("보낸 작업", "sent"), jobs.to_string()),
            (("처리", "processed"), tally.processed.to_string()),
            (("맞는 결과", "outputs right"), tally.right.to_string()),
            (("중복", "duplicates"), tally.duplicates.to_string()),
        ],
        lang,
    )
}

/// Rows of `  <name>  <value>`, the names padded to one column.
fn table(rows: &[((&str, &str), String)], lang: Lang) -> String {
    let names: Vec<&str> = rows.iter().map(|((ko, en), _)| lang.term(ko, en)).collect();
    let width = names
        .iter()
        .map(|n| crate::exercise::lang::columns(n))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, (_, value)) in names.iter().zip(rows) {
        out.push_str(&format!(
            "  {}  {value}\n",
            crate::exercise::lang::pad(name, width)
        ));
    }
    out
}

/// A Lift construct (`type: queue`, or a `worker:`) written under
/// `functions:`: its key. Lift reads constructs only under the top-level
/// `constructs:`, and a function needs a `handler`.
pub fn construct_under_functions(text: &str) -> Option<String> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    let functions = yaml.get("functions")?.as_mapping()?;
    functions.iter().find_map(|(key, value)| {
        let is_construct = value.get("type").and_then(|t| t.as_str()) == Some("queue")
            || value.get("worker").is_some();
        is_construct.then(|| key.as_str().unwrap_or("?").to_owned())
    })
}

fn construct_advice(file: &str, key: &str) -> Advice {
    Advice::new(
        format!(
            "{file}의 functions: 아래에 {key}가 type: queue인 Lift 컨스트럭트로 쓰여 있습니다. 그래서 함수로 읽혀 handler가 없다고 나옵니다. type: queue인 컨스트럭트는 functions:가 아니라 최상위(들여쓰기 없이) constructs: 아래에 씁니다. constructs:를 provider:, functions:와 같은 깊이에 두고 {key}를 그 아래로 옮기세요."
        ),
        format!(
            "In {file}, {key} is written under `functions:` as a Lift construct of `type: queue`, so it is read as a function and has no handler. A `type: queue` construct belongs under the top-level `constructs:` (no indentation, beside `provider:` and `functions:`), not under `functions:`: move {key} there."
        ),
    )
}

/// The first worker lines, as a learner reads them.
fn worker_excerpt(seen: &Seen, key: &str, lang: Lang) -> String {
    let lines = seen.lines_of(key);
    let mut out = String::new();
    if !lines.is_empty() {
        out.push_str(&lang.term_owned(
            format!("\n{key} 함수의 로그 (처음 몇 줄):\n"),
            format!("\nThe {key} function's log (first lines):\n"),
        ));
        for line in lines.iter().take(6) {
            out.push_str(&format!("   │ {line}\n"));
        }
    }
    out
}

/// 2-1-queue: jobs sent through `POST /produce` reach the worker.
pub async fn queue(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    const JOBS: usize = 3;
    let mut booted = match boot(attempt, lang).await? {
        Ok(booted) => booted,
        Err(verdict) => return Ok(verdict),
    };
    let (sent, refused) = send_jobs(&booted.url, JOBS).await?;
    let mut seen = Seen::default();
    wait_for(&mut booted, &mut seen, Duration::from_secs(20), |b, s| {
        drained(b) && s.worker.len() >= sent.len()
    })
    .await;
    booted.stop();
    let result = tally(&sent, &seen.worker);
    let mut report = format!("POST {}  {{\"input\": 1..{JOBS}}}\n", booted.url);
    for line in &refused {
        report.push_str(&format!("✗ {line}\n"));
    }
    report.push_str(&tally_table(JOBS, &result, lang));
    if !refused.is_empty() {
        report.push_str(&worker_excerpt(&seen, "producer", lang));
        return Ok(Verdict::fail(
            report,
            Advice::new(
                "producer가 작업을 큐에 넣지 못했습니다. 위의 producer 로그를 보세요. QUEUE_URL이 없다고 하면 producer의 environment에 QUEUE_URL: ${construct:jobs.queueUrl}를 쓰세요.",
                "The producer could not put the jobs on the queue: its log is above. If it says QUEUE_URL is not set, give the producer `environment: QUEUE_URL: ${construct:jobs.queueUrl}`.",
            ),
        ));
    }
    if result.right < JOBS || result.duplicates > 0 {
        report.push_str(&worker_excerpt(&seen, "jobsWorker", lang));
        return Ok(Verdict::fail(
            report,
            Advice::new(
                "작업은 큐에 들어갔지만 worker가 처리하지 않았습니다. queue 컨스트럭트의 worker(handler, package.artifact)를 보세요.",
                "The jobs reached the queue, but no worker processed them: look at the queue construct's worker (handler, package.artifact).",
            ),
        ));
    }
    Ok(Verdict::pass(report))
}

/// The message that is not a job, sent to the queue as is.
pub const NOT_A_JOB: &str = "not a job";

/// 2-2-plus-one: N jobs, each processed once with `input + 1`; a body that
/// is not a job is reported in `batchItemFailures` (the invocation does not
/// fail) and ends in the DLQ.
pub async fn plus_one(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    const JOBS: usize = 5;
    let mut booted = match boot(attempt, lang).await? {
        Ok(booted) => booted,
        Err(verdict) => return Ok(verdict),
    };
    // Retries in seconds, not minutes: the live queue's visibility to 1 s.
    booted.sqs.set_queue_attributes(
        &booted.queue,
        BTreeMap::from([("VisibilityTimeout".to_owned(), "1".to_owned())]),
    )?;
    let (sent, _refused) = send_jobs(&booted.url, JOBS).await?;
    let client = SqsClient::InMemory(booted.sqs.service());
    let answer = client
        .call(
            "SendMessage",
            json!({"QueueUrl": booted.sqs.queue_url(&booted.queue), "MessageBody": NOT_A_JOB}),
        )
        .await?;
    let bad = answer["MessageId"].as_str().unwrap_or_default().to_owned();
    let mut seen = Seen::default();
    // Drained: every message was deleted or moved to the DLQ.
    wait_for(&mut booted, &mut seen, Duration::from_secs(30), |b, _| {
        drained(b)
    })
    .await;
    booted.stop();

    let jobs_only: Vec<WorkerLine> = seen
        .worker
        .iter()
        .filter(|l| l.message_id != bad)
        .cloned()
        .collect();
    let result = tally(&sent, &jobs_only);
    let worker_failures = seen
        .failed_invocations
        .iter()
        .filter(|(f, _)| f.ends_with("-jobsWorker"))
        .count();
    let bad_in_dlq = seen.moved.contains(&bad);
    let mut report = lang.term_owned(
        format!(
            "POST {}로 작업 {JOBS}개, 그리고 작업이 아닌 메시지 하나({NOT_A_JOB:?})를 큐에 바로 보냈습니다\n",
            booted.url
        ),
        format!(
            "{JOBS} jobs through POST {}, and one message that is not a job ({NOT_A_JOB:?}) sent to the queue\n",
            booted.url
        ),
    );
    report.push_str(&tally_table(JOBS, &result, lang));
    report.push_str(&lang.term_owned(
        table(
            &[
                (("에러로 끝난 worker 호출", ""), worker_failures.to_string()),
                (
                    ("DLQ에 간 \"not a job\"", ""),
                    (if bad_in_dlq { "예" } else { "아니요" }).to_owned(),
                ),
            ],
            Lang::Ko,
        ),
        format!(
            "  worker invocations that failed  {worker_failures}\n  {NOT_A_JOB:?} in the DLQ       {}\n",
            if bad_in_dlq { "yes" } else { "no" }
        ),
    ));
    let jobs_ok = result.right == JOBS && result.processed == JOBS && result.duplicates == 0;
    if !jobs_ok || worker_failures > 0 || !bad_in_dlq {
        report.push_str(&worker_excerpt(&seen, "jobsWorker", lang));
    }
    if !jobs_ok {
        let advice = if worker_failures > 0 {
            Advice::new(
                format!(
                    "worker 호출이 {worker_failures}번 에러로 끝나서 작업이 처리되지 않았습니다. 위의 worker 로그에서 패닉이나 에러 메시지를 보세요."
                ),
                format!(
                    "{worker_failures} worker invocations ended in an error, so jobs were not processed: the panic or error is in the worker's log above."
                ),
            )
        } else {
            Advice::new(
                format!(
                    "작업 {JOBS}개 가운데 {}개만 올바른 input + 1로 처리되었습니다. 작업마다 JobOutcome::Done(input, input + 1)을 남기세요.",
                    result.right
                ),
                format!(
                    "Only {} of {JOBS} jobs were processed with the right input + 1: record a JobOutcome::Done (input, input + 1) for each job.",
                    result.right
                ),
            )
        };
        return Ok(Verdict::fail(report, advice));
    }
    if worker_failures > 0 {
        return Ok(Verdict::fail(
            report,
            Advice::new(
                "작업은 모두 처리되었지만, 작업이 아닌 메시지 때문에 호출 전체가 에러로 끝났습니다. 에러를 돌려주면 배치 전체가 다시 시도됩니다. 그 메시지만 batch_item_failures에 넣으세요.",
                "Every job was processed, but the message that is not a job failed the whole invocation: an error retries the whole batch. Report only that message in batch_item_failures.",
            ),
        ));
    }
    if !bad_in_dlq {
        return Ok(Verdict::fail(
            report,
            Advice::new(
                "작업이 아닌 메시지가 DLQ에 가지 않았습니다. 성공으로 처리하면 Lambda가 그 메시지를 지웁니다. batch_item_failures에 넣어야 다시 시도되고, maxRetries를 넘으면 DLQ로 갑니다.",
                "The message that is not a job never reached the DLQ: treated as a success, Lambda deletes it. Report it in batch_item_failures, so it is retried and, past maxRetries, moved to the DLQ.",
            ),
        ));
    }
    Ok(Verdict::pass(report))
}

/// 2-3-loop: the learner's script, run with `sh` against the stack, puts
/// `COUNT` jobs through the pipeline.
pub async fn shell_loop(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    const COUNT: usize = 7;
    let script = attempt.dir.join("produce.sh");
    let shown = attempt.show("produce.sh");
    let mut booted = match boot(attempt, lang).await? {
        Ok(booted) => booted,
        Err(verdict) => return Ok(verdict),
    };
    let mut command = tokio::process::Command::new("sh");
    command
        .arg(&script)
        .env("URL", &booted.url)
        .env("COUNT", COUNT.to_string())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let run = tokio::time::timeout(Duration::from_secs(60), command.output()).await;
    let output = match run {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => {
            booted.stop();
            anyhow::bail!("cannot run sh {shown}: {e}");
        }
        Err(_) => {
            booted.stop();
            return Ok(Verdict::fail(
                lang.term_owned(
                    format!("✗ sh {shown}이(가) 60초 동안 끝나지 않아 멈췄습니다\n"),
                    format!("✗ sh {shown} ran for 60 s and was stopped\n"),
                ),
                Advice::new(
                    "스크립트가 60초 안에 끝나지 않았습니다. 반복문의 i가 커지는지(i=$((i + 1))) 보세요.",
                    "The script did not end within 60 s: check that the loop's i grows (i=$((i + 1))).",
                ),
            ));
        }
    };
    let mut seen = Seen::default();
    wait_for(&mut booted, &mut seen, Duration::from_secs(20), |b, s| {
        drained(b) && s.worker.len() >= s.sent.len()
    })
    .await;
    booted.stop();

    let mut report = format!(
        "URL={} COUNT={COUNT} sh {shown}  ->  exit {}\n",
        booted.url,
        output.status.code().map_or(
            lang.term("(시그널로 끝남)", "by a signal").to_owned(),
            |c| c.to_string()
        )
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    for line in printed.lines().chain(errors.lines()).take(8) {
        report.push_str(&format!("   │ {line}\n"));
    }
    // What the pipeline did with what the script sent: the inputs the
    // worker saw for the messages that entered the queue.
    let sent: BTreeMap<String, String> = seen
        .worker
        .iter()
        .filter(|l| seen.sent.contains(&l.message_id))
        .filter_map(|l| {
            l.result
                .as_ref()
                .map(|(i, _)| (l.message_id.clone(), i.clone()))
        })
        .collect();
    let result = tally(&sent, &seen.worker);
    let mut inputs: Vec<String> = sent.values().cloned().collect();
    inputs.sort_by_key(|i| i.parse::<u64>().unwrap_or(u64::MAX));
    let expected: Vec<String> = (1..=COUNT).map(|i| i.to_string()).collect();
    report.push_str(&table(
        &[
            (
                ("큐에 들어간 작업", "jobs on the queue"),
                seen.sent.len().to_string(),
            ),
            (("처리", "processed"), result.processed.to_string()),
            (("맞는 결과", "outputs right"), result.right.to_string()),
            (("중복", "duplicates"), result.duplicates.to_string()),
            (
                ("inputs", "inputs"),
                if inputs.is_empty() {
                    lang.term("(없음)", "(none)").to_owned()
                } else {
                    inputs.join(", ")
                },
            ),
        ],
        lang,
    ));
    if seen.sent.is_empty() {
        return Ok(Verdict::fail(
            report,
            Advice::new(
                format!(
                    "스크립트가 작업을 하나도 보내지 못했습니다(기대: {COUNT}개). 반복문 안에서 curl로 \"$URL\"에 POST 하는지, 위의 출력에 400이 있으면 본문이 {{\"input\": 숫자}}인지 보세요."
                ),
                format!(
                    "The script put no job on the queue ({COUNT} expected). Check that the loop POSTs to \"$URL\" with curl and, if the output above shows 400s, that the body is {{\"input\": <number>}}."
                ),
            ),
        ));
    }
    if inputs != expected || result.right != COUNT || result.duplicates > 0 {
        return Ok(Verdict::fail(
            report,
            Advice::new(
                format!(
                    "input 1부터 {COUNT}까지 한 번씩 보내야 합니다. 위의 inputs 줄을 보세요. 반복문의 시작, 끝 조건(-le), i를 늘리는 줄을 확인하세요."
                ),
                format!(
                    "The inputs must be 1 to {COUNT}, once each: see the inputs line above, and check the loop's start, its end condition (-le) and the line that grows i."
                ),
            ),
        ));
    }
    Ok(Verdict::pass(report))
}
