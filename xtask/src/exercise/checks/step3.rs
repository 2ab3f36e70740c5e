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

use super::{Advice, Verdict};
use crate::exercise::attempt::Attempt;
use crate::lesson::LessonId;
use crate::lesson::step3::experiment::{self, Mode};
use crate::lesson::step3::report::{self, ScenarioReport};
use crate::lesson::step3::scenario::{Final, Scenario, Setting};
use crate::lesson::step3::{self as lesson_step3};

/// The retrospective's 15 s of work.
const WORK_SECONDS: u32 = 15;
/// The live queue's visibility in `short-visibility`.
const LOWERED_VISIBILITY: u32 = 10;

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
                    &make_config,
                ))?
            }
        };
        Ok(report::build(&record))
    })
    .await
    .context("the experiment stopped")?
}

/// The learner's file, with the work set to the retrospective's 15 s
/// whatever it says (the work is the problem's given, not a knob).
fn learner_config(path: &std::path::Path, context: &ResolveContext) -> Result<ServerlessConfig> {
    let mut config = ServerlessConfig::from_file_with(path, context)?;
    for function in &mut config.functions {
        if !function.sqs_events.is_empty() {
            function
                .environment
                .insert("WORK_SECONDS".into(), WORK_SECONDS.to_string());
        }
    }
    Ok(config)
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
pub async fn predict(attempt: &Attempt) -> Result<Verdict> {
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
                format!("✗ {shown}: no [{name}] table\n"),
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
        let observed = experiment(scenario, 1, None).await?;
        let job = observed.jobs.first().context("the experiment ran no job")?;
        let hit = (guess.receives, guess.commits, final_place)
            == (job.receives, job.commits, job.final_place);
        report.push_str(&format!(
            "{} {name:<17} yours: {} receives, {} commits, {:<8} the experiment: {} receives, {} commits, {}\n",
            if hit { "✓" } else { "✗" },
            guess.receives,
            guess.commits,
            final_place.as_str(),
            job.receives,
            job.commits,
            job.final_place.as_str()
        ));
        if !hit {
            report.push('\n');
            report.push_str(&report::render(&observed));
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
pub async fn fix_config(attempt: &Attempt) -> Result<Verdict> {
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
        Ok(observed) => observed,
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
    let mut report = report::render(&observed);
    let all_once = observed
        .jobs
        .iter()
        .all(|j| (j.receives, j.commits, j.final_place) == (1, 1, Final::Deleted));
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
