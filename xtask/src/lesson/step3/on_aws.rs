//! `lesson step3 run --real --target aws`: the experiment against the
//! deployed stack, with AWS's own clock and pollers.
//!
//! What AWS lets an outsider see is less than localcloud's event stream:
//! no receive events, no ignored deletes, no execution environments. So the
//! run reads what AWS does expose and checks it against the same rules
//! ([`Setting::expected`]):
//!
//! - the worker's commit lines, `commit <id> receive <n>: …`, from its
//!   CloudWatch log group (`FilterLogEvents`), each with its time: how many
//!   times each job was processed, and on which receive;
//! - the DLQ (`ReceiveMessage` with a zero visibility timeout, so the look
//!   hides nothing): which jobs SQS moved there (a move keeps the message
//!   id);
//! - the queue's counts: a job neither in the DLQ nor left in the queue was
//!   deleted.
//!
//! Only the scenarios the deployed stack can play run here: `fixed` (the
//! stack as deployed) and `short-visibility` (the live queue's visibility
//! lowered for the run, then put back). `as-written` and `heartbeat` need
//! another deployment (no worker timeout; `HEARTBEAT: on`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use localcloud::client::HttpClient;
use serde::Serialize;

use super::experiment::parse_commit;
use super::scenario::{Fate, Final, Scenario, Setting};
use super::{RunArgs, ScenarioChoice};
use crate::lesson::aws::{Deployed, Placement, TargetArgs, sdk_error};
use crate::lesson::stack::Lesson;

/// One job as AWS showed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observed {
    pub input: u32,
    pub message_id: String,
    /// (seconds after the first send, receive count) of each commit line.
    pub commits: Vec<(f64, u32)>,
    pub fate: Fate,
    pub expected: Fate,
}

/// The scenarios that can run on the deployed stack.
fn scenarios(choice: ScenarioChoice) -> Result<Vec<Scenario>> {
    Ok(match choice {
        ScenarioChoice::All => vec![Scenario::Fixed, Scenario::ShortVisibility],
        ScenarioChoice::Fixed => vec![Scenario::Fixed],
        ScenarioChoice::ShortVisibility => vec![Scenario::ShortVisibility],
        ScenarioChoice::AsWritten
        | ScenarioChoice::Heartbeat
        | ScenarioChoice::CrashAfterCommit
        | ScenarioChoice::Idempotent
        | ScenarioChoice::IdempotentCrash
        | ScenarioChoice::FifoShortVisibility => bail!(
            "--target aws runs the scenarios the deployed stack can play: fixed and short-visibility (the others change the worker's environment: set HEARTBEAT, IDEMPOTENCY or CRASH_AFTER_COMMIT in serverless.yml and deploy again)"
        ),
    })
}

pub fn run(lesson: &Lesson, args: &RunArgs, target: &TargetArgs) -> Result<ExitCode> {
    if !args.real {
        bail!("--target aws runs in real time on AWS: add --real");
    }
    if args.json {
        bail!("--json is for local runs; on AWS the run prints its table");
    }
    let placement = Placement::of(lesson, target.stage.as_deref(), target.region.as_deref())?;
    let deployed_work: u32 = placement
        .config
        .functions
        .iter()
        .find(|f| !f.sqs_events.is_empty())
        .and_then(|f| f.environment.get("WORK_SECONDS"))
        .and_then(|v| v.parse().ok())
        .context("serverless.yml gives the worker no WORK_SECONDS")?;
    if args.work_seconds != deployed_work {
        bail!(
            "--work-seconds {}: on AWS the worker works the WORK_SECONDS it was deployed with ({deployed_work} in serverless.yml); change it there and deploy again",
            args.work_seconds
        );
    }
    let chosen = scenarios(args.scenario)?;
    let mut settings = Vec::new();
    for scenario in &chosen {
        let (setting, _) = super::experiment::setting_of(
            &placement.config,
            *scenario,
            args.work_seconds,
            args.visibility,
            args.stale_delete,
        )?;
        settings.push((*scenario, setting));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let deployed = Deployed::find(lesson, target).await?;
        let mut all_right = true;
        for (scenario, setting) in settings {
            eprintln!(
                "Running {} on {} (real time, up to {} s)...",
                scenario.name(),
                deployed.stack_name,
                bound(&setting).as_secs()
            );
            let observed =
                play(lesson, &deployed, &placement, scenario, &setting, args.jobs).await?;
            println!("{}", render(scenario, &setting, &observed));
            all_right &= observed.iter().all(|o| o.fate == o.expected);
        }
        Ok(if all_right {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// How long a run may take: every receive the rules allow, a timeout, and
/// a margin for the event source mapping's polling and scaling.
fn bound(setting: &Setting) -> Duration {
    let per_receive = setting
        .visibility_seconds
        .max(setting.function_timeout_seconds);
    Duration::from_secs(
        u64::from(setting.max_receive_count + 1) * u64::from(per_receive)
            + u64::from(setting.function_timeout_seconds)
            + 60,
    )
}

async fn play(
    lesson: &Lesson,
    deployed: &Deployed,
    placement: &Placement,
    scenario: Scenario,
    setting: &Setting,
    jobs: u32,
) -> Result<Vec<Observed>> {
    let sqs = aws_sdk_sqs::Client::new(&deployed.sdk);
    let sdks = crate::aws_sdks::get()?;
    let (queue_url, dlq_url) = deployed.queue_urls()?;
    let worker = placement
        .config
        .functions
        .iter()
        .find(|f| !f.sqs_events.is_empty())
        .context("no function reads the queue")?;
    let log_group = format!("/aws/lambda/{}", worker.name);

    let before = visibility_of(&sqs, &queue_url).await?;
    if scenario.lowers_visibility() {
        set_visibility(&sqs, &queue_url, setting.visibility_seconds).await?;
    } else if before != setting.file_visibility_seconds {
        bail!(
            "the live queue's VisibilityTimeout is {before} s, not the {} s serverless.yml makes: set it back with `cargo xtask lesson {} visibility {} --target aws`",
            setting.file_visibility_seconds,
            lesson.name,
            setting.file_visibility_seconds
        );
    }
    let played = async {
        let t0 = chrono::Utc::now().timestamp_millis();
        let url = crate::lesson::endpoint::route_url(&deployed.http_url()?, lesson.route);
        let client = HttpClient::new();
        let mut sent = BTreeMap::new();
        for input in 1..=jobs {
            let answer = client
                .post_json(&url, format!(r#"{{"input": {input}}}"#))
                .await?;
            let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
            match body["messageId"].as_str() {
                Some(id) if answer.status.is_success() => {
                    sent.insert(input, id.to_owned());
                }
                _ => bail!(
                    "POST {url} {{\"input\": {input}}}: {} {}",
                    answer.status,
                    answer.body_text()
                ),
            }
        }
        let expected = setting.expected();
        let deadline = tokio::time::Instant::now() + bound(setting);
        let ids: BTreeSet<&str> = sent.values().map(String::as_str).collect();
        let (commits, in_dlq) = loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let commits = commit_lines(sdks, &deployed.sdk, &log_group, t0, &ids).await?;
            let in_dlq = dlq_members(&sqs, &dlq_url, &ids).await?;
            let settled = sent.values().all(|id| {
                let done = commits.get(id).map_or(0, Vec::len) as u32;
                done >= expected.commits
                    && (expected.final_place != Final::Dlq || in_dlq.contains(id))
            });
            if settled || tokio::time::Instant::now() > deadline {
                break (commits, in_dlq);
            }
        };
        // The mapping deletes a batch just after the function returns: give
        // the last deletes a moment before calling what is left "queued".
        let mut left_in_queue = queue_holds_any(&sqs, &queue_url).await?;
        for _ in 0..15 {
            if !left_in_queue {
                break;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            left_in_queue = queue_holds_any(&sqs, &queue_url).await?;
        }
        Ok(observe(
            &sent,
            &commits,
            &in_dlq,
            left_in_queue,
            t0,
            expected,
        ))
    }
    .await;
    if scenario.lowers_visibility() {
        // Put the queue back whatever happened.
        set_visibility(&sqs, &queue_url, before).await?;
    }
    played
}

/// What each job's evidence says about its fate.
fn observe(
    sent: &BTreeMap<u32, String>,
    commits: &HashMap<String, Vec<(i64, u32)>>,
    in_dlq: &BTreeSet<String>,
    left_in_queue: bool,
    t0: i64,
    expected: Fate,
) -> Vec<Observed> {
    sent.iter()
        .map(|(input, id)| {
            let mut lines = commits.get(id).cloned().unwrap_or_default();
            lines.sort();
            let receives = lines.iter().map(|(_, n)| *n).max().unwrap_or(0);
            let final_place = if in_dlq.contains(id) {
                Final::Dlq
            } else if left_in_queue {
                Final::Queue
            } else {
                Final::Deleted
            };
            Observed {
                input: *input,
                message_id: id.clone(),
                commits: lines
                    .iter()
                    .map(|(at, n)| ((at - t0) as f64 / 1000.0, *n))
                    .collect(),
                fate: Fate {
                    receives,
                    commits: lines.len() as u32,
                    final_place,
                },
                expected,
            }
        })
        .collect()
}

fn render(scenario: Scenario, setting: &Setting, observed: &[Observed]) -> String {
    let mut out = format!(
        "== {} on AWS: work {} s, timeout {} s, visibility {} s, maxReceiveCount {}\n",
        scenario.name(),
        setting.work_seconds,
        setting.function_timeout_seconds,
        setting.visibility_seconds,
        setting.max_receive_count
    );
    out.push_str("| job | message | commits (s after the first send: receive) | ended | as the rules say |\n|---:|---|---|---|---|\n");
    for o in observed {
        let commits = if o.commits.is_empty() {
            "none".to_owned()
        } else {
            o.commits
                .iter()
                .map(|(at, n)| format!("{at:.1} s: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let verdict = if o.fate == o.expected {
            "yes".to_owned()
        } else {
            format!(
                "NO: expected {} commit(s), {}",
                o.expected.commits,
                o.expected.final_place.as_str()
            )
        };
        out.push_str(&format!(
            "| {} | {} | {commits} | {} | {verdict} |\n",
            o.input,
            o.message_id,
            o.fate.final_place.as_str()
        ));
    }
    let commits: u32 = observed.iter().map(|o| o.fate.commits).sum();
    // Duplicate commits, as the local verdict counts them: the commits
    // beyond each job's first (a job never committed adds none).
    let committed = observed.iter().filter(|o| o.fate.commits > 0).count() as u32;
    let dlq = observed
        .iter()
        .filter(|o| o.fate.final_place == Final::Dlq)
        .count();
    out.push_str(&format!(
        "{} jobs, {commits} commits ({} duplicates), {dlq} in the DLQ",
        observed.len(),
        commits - committed
    ));
    out
}

async fn visibility_of(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u32> {
    let answer = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::VisibilityTimeout)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(sdk_error("GetQueueAttributes", &e)))?;
    answer
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::VisibilityTimeout))
        .and_then(|v| v.parse().ok())
        .context("GetQueueAttributes returned no VisibilityTimeout")
}

async fn set_visibility(sqs: &aws_sdk_sqs::Client, url: &str, seconds: u32) -> Result<()> {
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(sdk_error("SetQueueAttributes", &e)))?;
    Ok(())
}

async fn queue_holds_any(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<bool> {
    let answer = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(sdk_error("GetQueueAttributes", &e)))?;
    Ok(answer
        .attributes()
        .into_iter()
        .flat_map(|a| a.values())
        .any(|v| v != "0"))
}

/// Commit lines of the worker for `ids` since `t0`: id -> (time, receive).
async fn commit_lines(
    sdks: &dyn crate::aws_sdks::AwsSdks,
    sdk: &aws_config::SdkConfig,
    group: &str,
    t0: i64,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, Vec<(i64, u32)>>> {
    let mut found: HashMap<String, Vec<(i64, u32)>> = HashMap::new();
    for (timestamp, message) in sdks
        .log_events(sdk, group, t0 - 1_000, "\"commit \"")
        .await?
    {
        let Some((id, receive)) = parse_commit(message.trim()) else {
            continue;
        };
        if ids.contains(id.as_str()) {
            found.entry(id).or_default().push((timestamp, receive));
        }
    }
    Ok(found)
}

/// Which of `ids` are in the DLQ: a few looks with a zero visibility
/// timeout (each look is a receive there, and hides nothing).
async fn dlq_members(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    ids: &BTreeSet<&str>,
) -> Result<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    for _ in 0..5 {
        let answer = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(sdk_error("ReceiveMessage", &e)))?;
        if answer.messages().is_empty() {
            break;
        }
        for m in answer.messages() {
            if let Some(id) = m.message_id().filter(|id| ids.contains(id)) {
                found.insert(id.to_owned());
            }
        }
        if found.len() == ids.len() {
            break;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(visibility: u32) -> Setting {
        Setting {
            work_seconds: 15,
            function_timeout_seconds: 20,
            file_visibility_seconds: 120,
            visibility_seconds: visibility,
            max_receive_count: 3,
            heartbeat: false,
            stale_delete: localcloud::sqs::StaleDelete::Keep,
            idempotent: false,
            crash_after_commit: false,
            fifo: false,
        }
    }

    #[test]
    fn the_evidence_aws_shows_gives_each_jobs_fate() {
        let t0 = 1_000_000;
        let sent = BTreeMap::from([(1, "a".to_owned()), (2, "b".to_owned())]);
        let commits = HashMap::from([
            (
                "a".to_owned(),
                vec![(t0 + 35_200, 3), (t0 + 15_100, 1), (t0 + 25_300, 2)],
            ),
            ("b".to_owned(), vec![(t0 + 15_000, 1)]),
        ]);
        let in_dlq = BTreeSet::from(["a".to_owned()]);
        let expected = setting(10).expected();
        let observed = observe(&sent, &commits, &in_dlq, false, t0, expected);
        assert_eq!(observed[0].commits, vec![(15.1, 1), (25.3, 2), (35.2, 3)]);
        assert_eq!(
            observed[0].fate,
            Fate {
                receives: 3,
                commits: 3,
                final_place: Final::Dlq
            }
        );
        assert_eq!(observed[0].fate, observed[0].expected);
        // b was processed once and deleted: not what short visibility predicts.
        assert_eq!(observed[1].fate.final_place, Final::Deleted);
        assert_ne!(observed[1].fate, observed[1].expected);
        let table = render(Scenario::ShortVisibility, &setting(10), &observed);
        assert!(
            table.contains("| 1 | a | 15.1 s: 1, 25.3 s: 2, 35.2 s: 3 | dlq | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| 2 | b | 15.0 s: 1 | deleted | NO: expected 3 commit(s), dlq |"),
            "{table}"
        );
        assert!(
            table.ends_with("2 jobs, 4 commits (2 duplicates), 1 in the DLQ"),
            "{table}"
        );
        // Duplicate commits are the commits beyond each job's first: a job
        // never committed does not make up for another's extra commits.
        let only_a = HashMap::from([("a".to_owned(), commits["a"].clone())]);
        let observed = observe(&sent, &only_a, &in_dlq, false, t0, expected);
        let table = render(Scenario::ShortVisibility, &setting(10), &observed);
        assert!(
            table.ends_with("2 jobs, 3 commits (2 duplicates), 1 in the DLQ"),
            "{table}"
        );
        // A job still queued is said to be there, not deleted.
        let queued = observe(&sent, &HashMap::new(), &BTreeSet::new(), true, t0, expected);
        assert_eq!(queued[1].fate.final_place, Final::Queue);
    }

    #[test]
    fn only_the_scenarios_the_deployed_stack_plays_run_on_aws() {
        assert_eq!(
            scenarios(ScenarioChoice::All).unwrap(),
            vec![Scenario::Fixed, Scenario::ShortVisibility]
        );
        for other in [
            ScenarioChoice::AsWritten,
            ScenarioChoice::Heartbeat,
            ScenarioChoice::Idempotent,
        ] {
            assert!(
                scenarios(other)
                    .unwrap_err()
                    .to_string()
                    .contains("deploy again")
            );
        }
        // Every receive the rules allow, a timeout, and a minute of margin.
        assert_eq!(bound(&setting(10)), Duration::from_secs(4 * 20 + 20 + 60));
    }
}
