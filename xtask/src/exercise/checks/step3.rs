//! Step 3's exercises judged by the experiment of `lesson step3 run`: its
//! scenarios, its rules ([`Setting::expected`]) and its report (the table
//! and the timeline), in virtual time.
//!
//! - 3-2-predict: the learner's prediction against the experiment;
//! - 3-3-fix-config: the experiment on the learner's `serverless.yml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use localcloud::config::{ResolveContext, ServerlessConfig};
use serde::Deserialize;

use localcloud::events::EventKind;
use localcloud::sqs::StaleDelete;

use super::{Advice, Verdict};
use crate::exercise::attempt::{Attempt, Code};
use crate::exercise::lang::Lang;
use crate::lesson::LessonId;
use crate::lesson::step3::experiment::{self, Mode, Record};
use crate::lesson::step3::report::{self, Expectation, ScenarioReport};
use crate::lesson::step3::scenario::{Fate, Final, Scenario, Setting};
use crate::lesson::step3::{self as lesson_step3};

/// The retrospective's 15 s of work.
const WORK_SECONDS: u32 = 15;
/// The live queue's visibility in `short-visibility`.
const LOWERED_VISIBILITY: u32 = 10;
/// Real time a virtual run may go without its runtime going idle (the
/// check program's limit too): longer, and the worker blocks its thread.
const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs one scenario in virtual time on a thread of its own (the paused
/// clock needs a runtime of its own), with the lesson's code in process.
async fn experiment(
    scenario: Scenario,
    jobs: u32,
    file: Option<PathBuf>,
) -> Result<ScenarioReport> {
    tokio::task::spawn_blocking(move || {
        let lesson = LessonId::Step3.lesson();
        let runtime = lesson_step3::runtime(Mode::Virtual)?;
        let record = match &file {
            None => runtime.block_on(experiment::run(
                &lesson,
                scenario,
                Mode::Virtual,
                jobs,
                WORK_SECONDS,
                LOWERED_VISIBILITY,
                StaleDelete::Keep,
            ))?,
            Some(path) => {
                let make_config = |context: &ResolveContext| learner_config(path, context);
                runtime.block_on(experiment::run_with(
                    &lesson,
                    scenario,
                    Mode::Virtual,
                    jobs,
                    WORK_SECONDS,
                    LOWERED_VISIBILITY,
                    StaleDelete::Keep,
                    &make_config,
                ))?
            }
        };
        Ok(report::build(&record))
    })
    .await
    .context("the experiment stopped")?
}

/// The run drawn as the lesson draws its own
/// (`target/step3/exercise-<name>-<scenario>.svg`), its path printed at the
/// report's end, so a learner can look at their own race.
fn drawn(mut report: ScenarioReport, exercise: &str) -> ScenarioReport {
    let stem = format!("exercise-{exercise}-{}", report.name);
    if let Ok(path) = lesson_step3::write_picture_as(&report, &stem) {
        report.svg = Some(path);
    }
    report
}

/// The learner's file, with the work set to the retrospective's 15 s
/// whatever it says (the work is the problem's given, not a knob).
fn learner_config(path: &std::path::Path, context: &ResolveContext) -> Result<ServerlessConfig> {
    step3_experiment::config_with_worker_env(
        path,
        context,
        &[("WORK_SECONDS", WORK_SECONDS.to_string())],
    )
}

/// What 3-3 and 3-4 ask of every job.
const ONCE: Fate = Fate {
    receives: 1,
    commits: 1,
    final_place: Final::Deleted,
};

/// The table's last column and the summary for an exercise: what it
/// expects (`fate`), and whose result it is (`whose`: the learner's worker,
/// or their `serverless.yml`), never "AWS's rules" broken.
fn expecting(fate: Fate, whose: (&str, &str)) -> Expectation {
    Expectation {
        header: ("연습의 기대", "the exercise expects"),
        fate,
        met: (
            format!("{}의 결과가 연습이 기대한 대로입니다", whose.0),
            format!("{}'s result is what the exercise expects", whose.1),
        ),
        missed: (
            format!("{}의 결과가 연습이 기대한 것과 다릅니다", whose.0),
            format!("{}'s result is NOT what the exercise expects", whose.1),
        ),
    }
}

const YOUR_WORKER: (&str, &str) = ("여러분 worker", "your worker");

/// What 3-3 and 3-4 ask: every job received once, committed once, deleted.
fn every_job_once(observed: &ScenarioReport) -> bool {
    observed
        .jobs
        .iter()
        .all(|j| (j.receives, j.commits, j.final_place) == (1, 1, Final::Deleted))
}

/// The rule that decided a job's fate in `setting`, in both languages.
pub fn deciding_rule(setting: &Setting) -> Advice {
    let (w, t, v, m) = (
        setting.work_seconds,
        setting.function_timeout_seconds,
        setting.visibility_seconds,
        setting.max_receive_count,
    );
    if w > t {
        Advice::new(
            format!(
                "함수 타임아웃({t}초)이 작업({w}초)보다 먼저 옵니다. 시간 초과로 끝난 호출은 아무것도 지우지 않으므로 커밋은 0번이고, 메시지는 가시성 타임아웃({v}초)마다 다시 보입니다. maxReceiveCount({m})를 넘게 될 수신에서 DLQ로 옮겨집니다."
            ),
            format!(
                "The function's timeout ({t} s) comes before the end of the work ({w} s). An invocation that times out deletes nothing, so nothing is committed and the message is visible again after each visibility timeout ({v} s); the receive that would exceed maxReceiveCount ({m}) moves it to the DLQ."
            ),
        )
    } else if !setting.heartbeat && w > v {
        Advice::new(
            format!(
                "가시성 타임아웃({v}초)이 작업({w}초)보다 먼저 끝납니다. worker가 아직 일하는 동안 메시지가 다시 보여 다른 worker가 받고, 두 worker 모두 커밋합니다. 예전 수신의 핸들로 하는 삭제는 성공처럼 보이지만 아무것도 지우지 않습니다. 그래서 받은 만큼 커밋되고, maxReceiveCount({m})를 넘게 될 수신에서 DLQ로 갑니다."
            ),
            format!(
                "The visibility timeout ({v} s) ends before the work ({w} s). The message is visible again while its worker still runs, another worker receives it, and both commit. A delete with the handle of an older receive succeeds and deletes nothing. So every receive is committed, and the receive that would exceed maxReceiveCount ({m}) moves it to the DLQ."
            ),
        )
    } else {
        Advice::new(
            format!(
                "작업({w}초)이 함수 타임아웃({t}초)과 가시성 타임아웃({v}초) 안에 끝납니다. 한 번 받고, 한 번 커밋하고, 이벤트 소스 매핑이 지웁니다."
            ),
            format!(
                "The work ({w} s) ends within the function's timeout ({t} s) and the visibility timeout ({v} s): received once, committed once, deleted by the event source mapping."
            ),
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Guess {
    receives: u32,
    commits: u32,
    #[serde(rename = "final")]
    final_place: String,
}

fn final_of(text: &str) -> Option<Final> {
    match text {
        "deleted" => Some(Final::Deleted),
        "dlq" => Some(Final::Dlq),
        "queue" => Some(Final::Queue),
        _ => None,
    }
}

/// 3-2-predict: the learner's prediction for `as-written` and
/// `short-visibility`, against the experiment.
pub async fn predict(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let shown = attempt.show("prediction.toml");
    let text = std::fs::read_to_string(attempt.dir.join("prediction.toml"))
        .with_context(|| format!("cannot read {shown}"))?;
    let guesses: BTreeMap<String, Guess> = match toml::from_str(&text) {
        Ok(guesses) => guesses,
        Err(e) => {
            return Ok(Verdict::fail(
                format!("✗ {shown}: {e}"),
                Advice::new(
                    format!(
                        "{shown}을(를) 읽지 못했습니다. 위의 줄을 보세요. 각 표에 receives, commits(숫자)와 final(따옴표 안의 글자)이 있어야 합니다."
                    ),
                    format!(
                        "{shown} does not read: see the line above. Each table needs receives and commits (numbers) and final (text in quotes)."
                    ),
                ),
            ));
        }
    };
    let mut report = String::new();
    for scenario in [Scenario::AsWritten, Scenario::ShortVisibility] {
        let name = scenario.name();
        let Some(guess) = guesses.get(name) else {
            return Ok(Verdict::fail(
                lang.term_owned(
                    format!("✗ {shown}: [{name}] 표가 없습니다\n"),
                    format!("✗ {shown}: no [{name}] table\n"),
                ),
                Advice::new(
                    format!(
                        "[{name}] 표가 없습니다. 처음 파일의 모양대로 [{name}] 아래에 receives, commits, final을 쓰세요."
                    ),
                    format!(
                        "There is no [{name}] table: as in the starting file, write receives, commits and final under [{name}]."
                    ),
                ),
            ));
        };
        let Some(final_place) = final_of(&guess.final_place) else {
            return Ok(Verdict::fail(
                format!("✗ [{name}] final = {:?}\n", guess.final_place),
                Advice::new(
                    format!(
                        "[{name}]의 final은 \"deleted\", \"dlq\", \"queue\" 가운데 하나입니다. 실행하기 전에 예상을 적으세요."
                    ),
                    format!(
                        "[{name}]'s final is one of \"deleted\", \"dlq\" and \"queue\": write your prediction before you run anything."
                    ),
                ),
            ));
        };
        let observed = drawn(experiment(scenario, 1, None).await?, "3-2-predict");
        let job = observed.jobs.first().context("the experiment ran no job")?;
        let hit = (guess.receives, guess.commits, final_place)
            == (job.receives, job.commits, job.final_place);
        let mark = if hit { "✓" } else { "✗" };
        report.push_str(&lang.term_owned(
            format!(
                "{mark} {name:<17} 예상: 수신 {}번, 커밋 {}번, {:<8} 실험: 수신 {}번, 커밋 {}번, {}\n",
                guess.receives,
                guess.commits,
                final_place.as_str(),
                job.receives,
                job.commits,
                job.final_place.as_str()
            ),
            format!(
                "{mark} {name:<17} yours: {} receives, {} commits, {:<8} the experiment: {} receives, {} commits, {}\n",
                guess.receives,
                guess.commits,
                final_place.as_str(),
                job.receives,
                job.commits,
                job.final_place.as_str()
            ),
        ));
        if !hit {
            report.push('\n');
            let yours = Expectation {
                header: ("여러분의 예상", "your prediction"),
                fate: Fate {
                    receives: guess.receives,
                    commits: guess.commits,
                    final_place,
                },
                met: (
                    "예상대로입니다".to_owned(),
                    "as you predicted".to_owned(),
                ),
                missed: (
                    "여러분의 예상과 다릅니다 (실험은 레슨의 코드, AWS의 규칙대로)".to_owned(),
                    "NOT as you predicted (the experiment runs the lesson's code, as AWS's rules say)"
                        .to_owned(),
                ),
            };
            report.push_str(&report::render_in(&observed, lang, Some(&yours)));
            let rule = deciding_rule(&observed.setting);
            return Ok(Verdict::fail(
                report,
                Advice::new(
                    format!(
                        "{name}: 예상이 빗나갔습니다. 위의 타임라인을 따라가 보세요. {}",
                        rule.ko
                    ),
                    format!(
                        "{name}: the prediction missed; follow the timeline above. {}",
                        rule.en
                    ),
                ),
            ));
        }
    }
    Ok(Verdict::pass(report))
}

/// 3-3-fix-config: the experiment on the learner's file; every job one
/// receive, one commit, deleted.
pub async fn fix_config(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let path = attempt.serverless_yml();
    let shown = attempt.show("serverless.yml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {shown}"))?;
    if let Err(e) = ServerlessConfig::from_str_at(&text, &path) {
        return Ok(Verdict::fail(
            format!("✗ {e}\n"),
            Advice::new(
                format!("{shown}을(를) 읽지 못했습니다. 위에 적힌 줄과 키를 보세요."),
                format!("{shown} does not read: look at the line and the key above."),
            ),
        ));
    }
    let lift_note = provider_timeout_only(&text);
    let observed = match experiment(Scenario::Fixed, 2, Some(path)).await {
        Ok(observed) => drawn(observed, "3-3-fix-config"),
        Err(e) => {
            let mut ko = "이 설정으로는 실험을 돌릴 수 없습니다. 위의 메시지를 보세요.".to_owned();
            let mut en =
                "The experiment cannot run with this file: see the message above.".to_owned();
            if format!("{e:#}").contains("VisibilityTimeout")
                || format!("{e:#}").contains("visibility timeout")
            {
                ko = "AWS는 큐의 가시성 타임아웃이 함수 타임아웃보다 짧으면 이벤트 소스 매핑을 거절합니다. Lift는 가시성을 worker 자신의 timeout x 6으로 정합니다.".to_owned();
                en = "AWS refuses an event source mapping whose queue's visibility timeout is shorter than the function's timeout; Lift sets the visibility to 6 x the worker's own timeout.".to_owned();
            }
            if let Some(note) = &lift_note {
                ko.push(' ');
                ko.push_str(&note.ko);
                en.push(' ');
                en.push_str(&note.en);
            }
            return Ok(Verdict::fail(format!("✗ {e:#}\n"), Advice::new(ko, en)));
        }
    };
    let mut report = report::render_in(
        &observed,
        lang,
        Some(&expecting(
            ONCE,
            ("여러분의 serverless.yml", "your serverless.yml"),
        )),
    );
    let all_once = every_job_once(&observed);
    if all_once {
        return Ok(Verdict::pass(report));
    }
    report.push('\n');
    let rule = deciding_rule(&observed.setting);
    let mut advice = Advice::new(
        format!(
            "모든 작업이 수신 1번, 커밋 1번, 삭제로 끝나야 합니다. {}",
            rule.ko
        ),
        format!(
            "Every job must be received once, committed once and deleted. {}",
            rule.en
        ),
    );
    if let Some(note) = lift_note {
        advice.ko.push(' ');
        advice.ko.push_str(&note.ko);
        advice.en.push(' ');
        advice.en.push_str(&note.en);
    }
    Ok(Verdict::fail(report, advice))
}

/// `provider.timeout` set and the Lift worker's own `timeout` not: Lift
/// counts the default 6 s for the visibility (6 x 6 = 36 s) whatever the
/// provider says.
fn provider_timeout_only(text: &str) -> Option<Advice> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    let provider = yaml.get("provider")?.get("timeout")?.as_u64()?;
    let worker_has_own = yaml
        .get("constructs")
        .and_then(|c| c.as_mapping())
        .is_some_and(|constructs| {
            constructs
                .values()
                .any(|c| c.get("worker").and_then(|w| w.get("timeout")).is_some())
        });
    (!worker_has_own).then(|| {
        Advice::new(
            format!("provider.timeout({provider}초)는 함수 타임아웃이 되지만 Lift는 이 값을 읽지 않고 6초로 가시성(36초)을 계산합니다. worker 아래에 timeout을 쓰세요."),
            format!("provider.timeout ({provider} s) becomes the function's timeout, but Lift does not read it and counts 6 s for the visibility (36 s): put the timeout under the worker."),
        )
    })
}

/// One experiment with the learner's worker, in virtual time: the exercise
/// crate's check program (built code) or the worker in process (tests).
/// `Err` holds why it did not run, for the learner.
async fn worker_experiment(
    attempt: &Attempt,
    scenario: Scenario,
    work: u32,
    visibility: u32,
    jobs: u32,
    heartbeat: bool,
) -> Result<Result<Record, String>> {
    let path = attempt.serverless_yml();
    let on_off = if heartbeat { "on" } else { "off" };
    match &attempt.code {
        Code::Built => {
            let binary = crate::paths::target_dir()
                .join("debug")
                .join(format!("{}-check", attempt.lesson.package));
            let mut command = tokio::process::Command::new(&binary);
            command
                .arg(&path)
                .args([scenario.name(), &work.to_string(), &visibility.to_string()])
                .args([&jobs.to_string(), on_off])
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true);
            // Virtual time takes milliseconds; real seconds mean the
            // worker blocks its thread (std::thread::sleep, a busy loop).
            match tokio::time::timeout(std::time::Duration::from_secs(120), command.output()).await {
                Err(_) => Ok(Err(
                    "the experiment ran for 120 s of real time: in virtual time it takes well under a second, so something in the worker blocks its thread (std::thread::sleep, a loop that never awaits)".to_owned(),
                )),
                Ok(output) => {
                    let output = output.with_context(|| format!("cannot run {}", binary.display()))?;
                    if output.status.success() {
                        Ok(Ok(serde_json::from_slice(&output.stdout)
                            .context("the check program's record does not read")?))
                    } else {
                        Ok(Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()))
                    }
                }
            }
        }
        Code::Step3Worker(make_worker) => {
            let make_worker = make_worker.clone();
            tokio::task::spawn_blocking(move || {
                // As the check program: a worker that blocks the runtime
                // is stopped once its blocking call returns.
                let (runtime, watchdog) =
                    step3_experiment::watchdog::watched_runtime(WATCHDOG, || {})?;
                let environment = step3_experiment::worker_environment(scenario, work, heartbeat);
                let make_config = |context: &ResolveContext| {
                    step3_experiment::config_with_worker_env(&path, context, &environment)
                };
                let make_stack = |config, lambda, sqs, key: &str| {
                    step3_experiment::in_process_stack(config, lambda, sqs, key, &*make_worker)
                };
                Ok(watchdog
                    .block_on(
                        &runtime,
                        step3_experiment::run(
                            scenario,
                            Mode::Virtual,
                            jobs,
                            work,
                            visibility,
                            StaleDelete::Keep,
                            &make_config,
                            &make_stack,
                        ),
                    )
                    .map_err(|e| format!("{e:#}")))
            })
            .await
            .context("the experiment stopped")?
        }
        Code::InProcess(_) => {
            anyhow::bail!("a step-3 worker exercise runs the worker, not a stack")
        }
    }
}

/// 3-1-slow-worker: every commit comes `WORK_SECONDS` after its receive,
/// for two values of `WORK_SECONDS`.
pub async fn slow_worker(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let mut report = String::new();
    for work in [WORK_SECONDS, 7] {
        let record = match worker_experiment(
            attempt,
            Scenario::Fixed,
            work,
            LOWERED_VISIBILITY,
            2,
            false,
        )
        .await?
        {
            Ok(record) => record,
            Err(why) => {
                report.push_str(&format!("✗ WORK_SECONDS={work}: {why}\n"));
                let advice = if blocked(&why) {
                    blocking_advice()
                } else {
                    Advice::new(
                        "실험이 끝나지 않았습니다. 위의 메시지를 보세요. std::thread::sleep은 스레드 전체를 멈춥니다. tokio의 sleep(...).await를 쓰세요.",
                        "The experiment did not finish: see the message above. std::thread::sleep stops the whole thread; use tokio's sleep(...).await.",
                    )
                };
                return Ok(Verdict::fail(report, advice));
            }
        };
        let received: BTreeMap<(&str, u32), i64> = record
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::MessageReceived {
                    queue,
                    message_id,
                    receive_count,
                    ..
                } if *queue == record.queue => {
                    Some(((message_id.as_str(), *receive_count), e.at_epoch_millis))
                }
                _ => None,
            })
            .collect();
        let input_of: BTreeMap<&str, u32> = record
            .jobs
            .iter()
            .map(|(input, id)| (id.as_str(), *input))
            .collect();
        report.push_str(&format!("WORK_SECONDS={work}\n"));
        if record.commits.is_empty() {
            return Ok(Verdict::fail(
                report + lang.term("✗ 커밋 없음\n", "✗ no commit\n"),
                Advice::new(
                    "커밋이 하나도 없습니다. worker는 `work`가 끝난 뒤에 커밋합니다. `slow_work.rs`의 `work`가 끝나는지, `how_long`보다 오래 기다리지 않는지 보세요.",
                    "Nothing was committed: the worker commits when `work` returns. Check that `work` in `slow_work.rs` returns, and waits no longer than `how_long`.",
                ),
            ));
        }
        let mut wrong = None;
        for (at, id, count) in &record.commits {
            let after = received.get(&(id.as_str(), *count)).map(|r| at - r);
            let ok = after == Some(i64::from(work) * 1000);
            let mark = if ok { "✓" } else { "✗" };
            let job = input_of.get(id.as_str()).copied().unwrap_or(0);
            report.push_str(&lang.term_owned(
                format!(
                    "{mark} 작업 {job} 수신 {count}: 수신 {} 뒤에 커밋\n",
                    after.map_or("?".to_owned(), |ms| format!("{:.1}초", ms as f64 / 1000.0)),
                ),
                format!(
                    "{mark} job {job} receive {count}: commit {} after the receive\n",
                    after.map_or("?".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0)),
                ),
            ));
            if !ok && wrong.is_none() {
                wrong = after;
            }
        }
        if let Some(after) = wrong {
            let advice = if after == 0 {
                Advice::new(
                    format!(
                        "커밋이 수신과 같은 순간에 왔습니다. 일하는 시간 없이 곧바로 커밋한 것입니다({work}초를 기다려야 합니다). `slow_work.rs`의 TODO를 보세요. 막히면 `cargo xtask exercise hint`를 실행하세요."
                    ),
                    format!(
                        "The commit came at the very instant of its receive: the work never waited (it must wait {work} s). See the TODO in `slow_work.rs`; stuck? `cargo xtask exercise hint`."
                    ),
                )
            } else {
                Advice::new(
                    format!(
                        "커밋이 수신 {:.1}초 뒤에 왔지만 WORK_SECONDS는 {work}초입니다. 숫자를 코드에 박지 말고 `how_long`을 쓰세요.",
                        after as f64 / 1000.0
                    ),
                    format!(
                        "The commit came {:.1} s after its receive, and WORK_SECONDS is {work}: wait `how_long`, not a number written in the code.",
                        after as f64 / 1000.0
                    ),
                )
            };
            return Ok(Verdict::fail(report, advice));
        }
    }
    Ok(Verdict::pass(report))
}

/// 3-4-heartbeat: with the heartbeat on and the live queue's visibility
/// lowered below the work, every job is committed once and deleted.
pub async fn heartbeat(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let mut report = String::new();
    for visibility in [LOWERED_VISIBILITY, 4] {
        let record = match worker_experiment(
            attempt,
            Scenario::Heartbeat,
            WORK_SECONDS,
            visibility,
            2,
            true,
        )
        .await?
        {
            Ok(record) => record,
            Err(why) => {
                report.push_str(&lang.term_owned(
                    format!("✗ 가시성 타임아웃 {visibility}초: {why}\n"),
                    format!("✗ visibility {visibility} s: {why}\n"),
                ));
                return Ok(Verdict::fail(report, unfinished(&why)));
            }
        };
        let observed = drawn(report::build(&record), "3-4-heartbeat");
        let all_once = every_job_once(&observed);
        if all_once {
            report.push_str(&lang.term_owned(
                format!(
                    "✓ 가시성 타임아웃 {visibility}초, 작업 15초: 모든 작업이 한 번 수신, 한 번 커밋, 삭제됨\n"
                ),
                format!(
                    "✓ visibility {visibility} s, 15 s of work: every job received once, committed once, deleted\n"
                ),
            ));
            continue;
        }
        let extended = record
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::VisibilityChanged { .. }))
            .count();
        report.push('\n');
        report.push_str(&report::render_in(
            &observed,
            lang,
            Some(&expecting(ONCE, YOUR_WORKER)),
        ));
        let why = if extended == 0 {
            Advice::new(
                "ChangeMessageVisibility가 한 번도 SQS까지 가지 않았습니다. `heartbeat.rs`의 `Heartbeat::beat` 안에서 메시지마다 호출하세요. 호출했다면 .await가 빠지지 않았는지 보세요. Rust의 future는 .await 하기 전에는 아무 일도 하지 않으므로, beat(...)나 send()를 부르기만 하고 .await 하지 않으면 요청이 나가지 않습니다.".to_owned(),
                "No ChangeMessageVisibility reached SQS: either it was not called (call it for each message inside `Heartbeat::beat` in `heartbeat.rs`), or it was called without `.await`. A Rust future does nothing until it is awaited, so `beat(...)` or `.send()` without `.await` sends no request.".to_owned(),
            )
        } else {
            Advice::new(
                format!(
                    "가시성 연장은 {extended}번 있었지만 일이 끝나기 전에 메시지가 다시 보였습니다. 새 타임아웃은 호출한 순간부터 세므로, every마다 일이 끝날 때까지 계속 연장해야 합니다."
                ),
                format!(
                    "The visibility was extended {extended} times, yet the message became visible before the work ended: a new timeout counts from the call, so extend it every `every`, again and again until the work ends."
                ),
            )
        };
        return Ok(Verdict::fail(
            report,
            Advice::new(
                format!(
                    "가시성 {visibility}초, 작업 15초에서 모든 작업이 한 번씩 커밋되고 지워져야 합니다. {}",
                    why.ko
                ),
                format!(
                    "With the visibility at {visibility} s and 15 s of work, every job must be committed once and deleted. {}",
                    why.en
                ),
            ),
        ));
    }
    Ok(Verdict::pass(report))
}

/// 3-5-idempotent: with the idempotent worker, under the crash after the
/// commit and under a short visibility, every job is committed exactly once
/// and ends as AWS's rules say.
pub async fn idempotent(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let mut report = String::new();
    for scenario in [Scenario::IdempotentCrash, Scenario::Idempotent] {
        let name = scenario.name();
        let record = match worker_experiment(
            attempt,
            scenario,
            WORK_SECONDS,
            LOWERED_VISIBILITY,
            2,
            false,
        )
        .await?
        {
            Ok(record) => record,
            Err(why) => {
                report.push_str(&format!("✗ {name}: {why}\n"));
                return Ok(Verdict::fail(report, unfinished(&why)));
            }
        };
        let observed = drawn(report::build(&record), "3-5-idempotent");
        if observed.as_expected && observed.jobs.iter().all(|j| j.commits == 1) {
            report.push_str(&format!(
                "✓ {name}: {}\n",
                match scenario {
                    Scenario::IdempotentCrash => lang.term(
                        "모든 작업이 정확히 한 번 커밋됨, 크래시 뒤의 전달은 처리 완료 응답만 함",
                        "every job committed exactly once, the delivery after the crash acknowledged",
                    ),
                    _ => lang.term(
                        "모든 작업이 정확히 한 번 커밋됨, 작업 중에 온 전달은 돌려보내고 그다음 전달은 처리 완료 응답만 함",
                        "every job committed exactly once, the deliveries during the work given back, the next one acknowledged",
                    ),
                }
            ));
            continue;
        }
        report.push('\n');
        report.push_str(&report::render_in(
            &observed,
            lang,
            Some(&expecting(observed.setting.expected(), YOUR_WORKER)),
        ));
        let refused = record
            .skips
            .iter()
            .map(|(_, _, _, line)| line)
            .find(|line| line.starts_with("idempotency "));
        let most = observed.jobs.iter().map(|j| j.commits).max().unwrap_or(0);
        let early = observed
            .jobs
            .iter()
            .any(|j| j.commits == 1 && j.receives < j.expected.receives);
        let in_dlq = observed.jobs.iter().any(|j| j.final_place == Final::Dlq);
        if let Some(line) = refused {
            report.push_str(&lang.term_owned(
                format!("\n선점이 실패한 worker 로그:\n   │ {line}\n"),
                format!("\nThe worker's log where the claim failed:\n   │ {line}\n"),
            ));
        }
        let advice = if let Some(line) = refused {
            claim_error_advice(line)
        } else if most == 0 {
            Advice::new(
                "커밋이 하나도 없습니다. 처음 전달의 선점은 성공해야(Claim::Claimed) 합니다. 조건이 '기록이 없을 때'(attribute_not_exists(id))에 맞는지 보세요.",
                "Nothing was committed: the first delivery's claim must succeed (Claim::Claimed). Check that the condition holds when there is no record (attribute_not_exists(id)).",
            )
        } else if most > 1 && scenario == Scenario::IdempotentCrash {
            Advice::new(
                "크래시 뒤의 두 번째 전달이 다시 커밋했습니다. 완료된 작업의 기록이 있으면 조건이 실패해야 하고, 그때 돌아온 항목의 status가 COMPLETED면 Claim::Completed를 돌려줘야 합니다.",
                "The delivery after the crash committed again: with a completed job's record the condition must fail, and when the returned item's status is COMPLETED, claim must return Claim::Completed.",
            )
        } else if most > 1 {
            Advice::new(
                "첫 worker가 일하는 동안 온 전달이 또 커밋했습니다. IN_PROGRESS 기록이 있고 그 마감(in_progress_until)이 아직 안 지났으면 조건이 실패해야 하고, 그때는 Claim::InProgress입니다.",
                "A delivery that came while the first worker worked committed too: while an IN_PROGRESS record's deadline (in_progress_until) has not passed, the condition must fail, and then claim returns Claim::InProgress.",
            )
        } else if early {
            Advice::new(
                "아직 진행 중인 작업을 완료된 것으로 보고 처리 완료 응답을 했습니다(메시지가 지워짐). 첫 worker가 죽으면 그 작업은 사라집니다. status가 COMPLETED일 때만 Claim::Completed, 그 밖에는 Claim::InProgress를 돌려주세요.",
                "A job still in progress was acknowledged (deleted) as if completed: if the first worker died, the job would be lost. Return Claim::Completed only when status is COMPLETED, Claim::InProgress otherwise.",
            )
        } else if in_dlq {
            Advice::new(
                "완료된 작업을 확인하지 않고 큐로 돌려보내서 DLQ로 갔습니다. status가 COMPLETED면 Claim::Completed를 돌려주세요.",
                "A completed job was given back instead of acknowledged, so it ended in the DLQ: when status is COMPLETED, return Claim::Completed.",
            )
        } else {
            Advice::new(
                "표의 expected 열과 다른 작업이 있습니다. 타임라인을 보세요.",
                "Some job did not end as the expected column says: see the timeline.",
            )
        };
        return Ok(Verdict::fail(
            report,
            Advice::new(
                format!(
                    "{name}: 모든 작업이 정확히 한 번 커밋되어야 합니다. {}",
                    advice.ko
                ),
                format!(
                    "{name}: every job must be committed exactly once. {}",
                    advice.en
                ),
            ),
        ));
    }
    Ok(Verdict::pass(report))
}

/// Whether a run that did not finish was stopped by the watchdog: the
/// worker blocked the runtime.
fn blocked(why: &str) -> bool {
    why.contains(step3_experiment::watchdog::BLOCKED) || why.contains("120 s of real time")
}

fn blocking_advice() -> Advice {
    Advice::new(
        "`std::thread::sleep`은 런타임을 멈춥니다. 실험은 가상 시간으로 도는데, 스레드를 막으면 실제 시간만 흐르고 가상 시간은 멈춥니다. `tokio::time::sleep(...).await`를 쓰세요.",
        "`std::thread::sleep` blocks the runtime: the experiment runs in virtual time, and a blocked thread lets real time pass while virtual time stands still. Use `tokio::time::sleep(...).await`.",
    )
}

/// The advice for an experiment that did not finish.
fn unfinished(why: &str) -> Advice {
    if blocked(why) {
        blocking_advice()
    } else {
        Advice::new(
            "실험이 끝나지 않았습니다. 위의 메시지를 보세요.",
            "The experiment did not finish: see the message above.",
        )
    }
}

/// The error a claim failed with, from the worker's line
/// `idempotency <id> receive N: claiming <key> failed: <error>; back to the queue`.
pub fn claim_error(line: &str) -> &str {
    let after = line.split_once(" failed: ").map_or(line, |(_, e)| e);
    after.strip_suffix("; back to the queue").unwrap_or(after)
}

/// A claim that failed with an error (not a decision): the error text is
/// what to read.
fn claim_error_advice(line: &str) -> Advice {
    let error = claim_error(line);
    let reserved = error.to_ascii_lowercase().contains("reserved");
    let mut advice = Advice::new(
        format!(
            "선점(claim)이 DynamoDB 에러로 실패했습니다. 타임라인의 \"에러\" 줄이 그 전달이고, 메시지는 큐로 돌아갔습니다. 에러 메시지를 읽어 보세요: {error}"
        ),
        format!(
            "The claim failed with a DynamoDB error: the timeline's \"ERROR\" lines are those deliveries, given back to the queue. Read the error: {error}"
        ),
    );
    if reserved {
        advice.ko.push_str(" (예약어는 식에 그대로 쓸 수 없습니다. #status처럼 쓰고 expression_attribute_names로 이름을 알려 주세요.)");
        advice.en.push_str(" (a reserved word cannot appear in an expression as is: write #status and name it with expression_attribute_names.)");
    }
    advice
}
