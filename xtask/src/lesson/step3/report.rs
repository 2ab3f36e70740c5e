//! From a run's record to what a learner reads: per job its receives,
//! commits and final place (against what the rules expect), the timeline of
//! events in seconds, a one-line verdict, the JSON document of `--json`, and
//! the SVG picture. Nothing here depends on random ids or the wall clock, so
//! a virtual run prints the same bytes every time.

use std::collections::BTreeMap;

use localcloud::events::{EventKind, InvocationResult};
use serde::Serialize;

use super::experiment::{Mode, Record};
use super::scenario::{Fate, Final, Setting};
use super::timeline_svg::{Bar, BarOutcome, Mark, MarkKind, Timeline};

/// One thing that happened to a job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobEvent {
    /// Seconds since the first job was sent.
    pub t: f64,
    pub kind: &'static str,
    /// The execution environment (lane) involved, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<usize>,
    /// The receive count (receive, commit), or why a delete did nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub input: u32,
    pub receives: u32,
    pub commits: u32,
    #[serde(rename = "final")]
    pub final_place: Final,
    pub expected: Fate,
    pub events: Vec<JobEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub name: &'static str,
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
    pub setting: Setting,
    pub jobs: Vec<JobReport>,
    pub verdict: String,
    pub as_expected: bool,
    /// Where the picture was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
    #[serde(skip)]
    pub timeline: Option<Timeline>,
}

/// The lanes: execution environments numbered in the order they were first
/// used (by start time, then job), so the numbering does not depend on
/// which environment the scheduler handed out.
fn lanes(record: &Record, job_of: &BTreeMap<&str, u32>) -> BTreeMap<u64, usize> {
    let mut invocations = record.invocations();
    invocations.sort_by_key(|i| {
        (
            i.start,
            i.messages
                .iter()
                .filter_map(|(id, _)| job_of.get(id.as_str()))
                .min()
                .copied()
                .unwrap_or(u32::MAX),
        )
    });
    let mut lanes = BTreeMap::new();
    for i in invocations {
        let next = lanes.len() + 1;
        lanes.entry(i.environment).or_insert(next);
    }
    lanes
}

fn seconds(record: &Record, at: i64) -> f64 {
    (at - record.t0) as f64 / 1000.0
}

pub fn build(record: &Record) -> ScenarioReport {
    let job_of: BTreeMap<&str, u32> = record
        .jobs
        .iter()
        .map(|(input, id)| (id.as_str(), *input))
        .collect();
    let lanes = lanes(record, &job_of);
    let invocations = record.invocations();
    // (message, receive count) -> the invocation that got that receive.
    let mut by_receive: BTreeMap<(&str, u32), &super::experiment::Invocation> = BTreeMap::new();
    for i in &invocations {
        for (id, count) in &i.messages {
            by_receive.insert((id.as_str(), *count), i);
        }
    }
    let lane_of = |i: &super::experiment::Invocation| lanes.get(&i.environment).copied();
    // The invocation of `id` that ended last at or before `at` (its delete
    // follows its end), or that runs at `at` (a heartbeat).
    let ended_before = |id: &str, at: i64| {
        invocations
            .iter()
            .filter(|i| i.messages.iter().any(|(m, _)| m == id))
            .filter(|i| i.end.is_some_and(|e| e <= at))
            .max_by_key(|i| i.end)
    };
    let running_at = |id: &str, at: i64| {
        invocations
            .iter()
            .filter(|i| i.messages.iter().any(|(m, _)| m == id))
            .filter(|i| i.start <= at && i.end.is_none_or(|e| e >= at))
            .max_by_key(|i| i.start)
    };

    let mut per_job: BTreeMap<u32, Vec<JobEvent>> = record
        .jobs
        .keys()
        .map(|input| (*input, Vec::new()))
        .collect();
    let mut finals: BTreeMap<u32, Final> = BTreeMap::new();
    let mut push = |job: u32, event: JobEvent| {
        if let Some(events) = per_job.get_mut(&job) {
            events.push(event);
        }
    };
    // A delete that finds its message gone cannot name it; it is one of the
    // batch the mapping just finished (its deletes follow at once).
    let mut just_invoked: std::collections::VecDeque<String> = Default::default();
    for event in &record.events {
        let t = seconds(record, event.at_epoch_millis);
        match &event.kind {
            EventKind::BatchInvoked {
                queue, messages, ..
            } if *queue == record.queue => {
                just_invoked = messages.iter().map(|m| m.message_id.clone()).collect();
            }
            EventKind::DeleteIgnored {
                queue,
                message_id: None,
                reason,
            } if *queue == record.queue => {
                if let Some(message_id) = just_invoked.pop_front()
                    && let Some(&job) = job_of.get(message_id.as_str())
                {
                    let environment =
                        ended_before(&message_id, event.at_epoch_millis).and_then(&lane_of);
                    push(
                        job,
                        JobEvent {
                            t,
                            kind: "stale_delete",
                            environment,
                            detail: Some(Record::ignored_reason(*reason).to_owned()),
                        },
                    );
                }
            }
            EventKind::MessageReceived {
                queue,
                message_id,
                receive_count,
                ..
            } if *queue == record.queue => {
                if let Some(&job) = job_of.get(message_id.as_str()) {
                    let environment = by_receive
                        .get(&(message_id.as_str(), *receive_count))
                        .and_then(|i| lane_of(i));
                    push(
                        job,
                        JobEvent {
                            t,
                            kind: "receive",
                            environment,
                            detail: Some(receive_count.to_string()),
                        },
                    );
                }
            }
            EventKind::MessageDeleted { queue, message_id } if *queue == record.queue => {
                just_invoked.retain(|m| m != message_id);
                if let Some(&job) = job_of.get(message_id.as_str()) {
                    finals.insert(job, Final::Deleted);
                    let environment =
                        ended_before(message_id, event.at_epoch_millis).and_then(&lane_of);
                    push(
                        job,
                        JobEvent {
                            t,
                            kind: "delete",
                            environment,
                            detail: None,
                        },
                    );
                }
            }
            EventKind::DeleteIgnored {
                queue,
                message_id: Some(message_id),
                reason,
            } if *queue == record.queue => {
                just_invoked.retain(|m| m != message_id);
                if let Some(&job) = job_of.get(message_id.as_str()) {
                    let environment =
                        ended_before(message_id, event.at_epoch_millis).and_then(&lane_of);
                    push(
                        job,
                        JobEvent {
                            t,
                            kind: "stale_delete",
                            environment,
                            detail: Some(Record::ignored_reason(*reason).to_owned()),
                        },
                    );
                }
            }
            EventKind::VisibilityChanged {
                queue, message_id, ..
            } if *queue == record.queue => {
                if let Some(&job) = job_of.get(message_id.as_str()) {
                    let environment =
                        running_at(message_id, event.at_epoch_millis).and_then(&lane_of);
                    push(
                        job,
                        JobEvent {
                            t,
                            kind: "heartbeat",
                            environment,
                            detail: None,
                        },
                    );
                }
            }
            EventKind::MovedToDeadLetterQueue {
                queue,
                message_id,
                receive_count,
                ..
            } if *queue == record.queue => {
                if let Some(&job) = job_of.get(message_id.as_str()) {
                    finals.insert(job, Final::Dlq);
                    push(
                        job,
                        JobEvent {
                            t,
                            kind: "dlq",
                            environment: None,
                            detail: Some(format!("after {receive_count} receives")),
                        },
                    );
                }
            }
            _ => {}
        }
    }
    for (at, id, count) in &record.commits {
        if let Some(&job) = job_of.get(id.as_str()) {
            let environment = by_receive
                .get(&(id.as_str(), *count))
                .and_then(|i| lane_of(i));
            push(
                job,
                JobEvent {
                    t: seconds(record, *at),
                    kind: "commit",
                    environment,
                    detail: Some(count.to_string()),
                },
            );
        }
    }
    for (at, id, count, line) in &record.skips {
        let word = line.split(' ').next().unwrap_or("");
        if let Some(&job) = job_of.get(id.as_str()) {
            let environment = by_receive
                .get(&(id.as_str(), *count))
                .and_then(|i| lane_of(i));
            push(
                job,
                JobEvent {
                    t: seconds(record, *at),
                    kind: if word == "duplicate" {
                        "duplicate"
                    } else {
                        "busy"
                    },
                    environment,
                    detail: Some(count.to_string()),
                },
            );
        }
    }
    for i in &invocations {
        if i.outcome == Some(InvocationResult::Crash) {
            for (id, _) in &i.messages {
                if let Some(&job) = job_of.get(id.as_str()) {
                    push(
                        job,
                        JobEvent {
                            t: seconds(record, i.end.unwrap_or(i.start)),
                            kind: "crash",
                            environment: lane_of(i),
                            detail: None,
                        },
                    );
                }
            }
        }
    }
    for i in &invocations {
        if i.outcome == Some(InvocationResult::Timeout) {
            for (id, _) in &i.messages {
                if let Some(&job) = job_of.get(id.as_str()) {
                    push(
                        job,
                        JobEvent {
                            t: seconds(record, i.end.unwrap_or(i.start)),
                            kind: "timeout",
                            environment: lane_of(i),
                            detail: None,
                        },
                    );
                }
            }
        }
    }

    let expected = record.setting.expected();
    let jobs: Vec<JobReport> = per_job
        .into_iter()
        .map(|(input, mut events)| {
            events.sort_by(|a, b| {
                a.t.total_cmp(&b.t)
                    .then(kind_order(a.kind).cmp(&kind_order(b.kind)))
            });
            JobReport {
                input,
                receives: events.iter().filter(|e| e.kind == "receive").count() as u32,
                commits: events.iter().filter(|e| e.kind == "commit").count() as u32,
                final_place: finals.get(&input).copied().unwrap_or(Final::Queue),
                expected,
                events,
            }
        })
        .collect();
    let as_expected = jobs.iter().all(|j| {
        (j.receives, j.commits, j.final_place)
            == (expected.receives, expected.commits, expected.final_place)
    });
    let commits: u32 = jobs.iter().map(|j| j.commits).sum();
    let committed = jobs.iter().filter(|j| j.commits > 0).count() as u32;
    let in_dlq = jobs.iter().filter(|j| j.final_place == Final::Dlq).count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // Deliveries the idempotency table kept from committing again.
    let caught = record
        .skips
        .iter()
        .filter(|(_, _, _, line)| line.starts_with("duplicate ") || line.starts_with("busy "))
        .count();
    let caught = if caught > 0 {
        format!(
            ", {} kept from a second commit by the idempotency table",
            plural(caught, "delivery", "deliveries")
        )
    } else {
        String::new()
    };
    let verdict = format!(
        "{}, {} ({}){caught}, {in_dlq} in the DLQ: {}",
        plural(jobs.len(), "job", "jobs"),
        plural(commits as usize, "commit", "commits"),
        plural((commits - committed) as usize, "duplicate", "duplicates"),
        if as_expected {
            "as AWS's rules say"
        } else {
            "NOT as AWS's rules say"
        }
    );
    let timeline = picture(record, &jobs, &invocations, &lanes, &job_of, &verdict);
    ScenarioReport {
        name: record.scenario.name(),
        is_virtual: record.mode == Mode::Virtual,
        setting: record.setting,
        jobs,
        verdict,
        as_expected,
        svg: None,
        timeline: Some(timeline),
    }
}

/// The order of events at the same instant: what causes comes first.
pub(crate) fn kind_order(kind: &str) -> u8 {
    match kind {
        "commit" => 0,
        "timeout" | "crash" => 1,
        "delete" | "stale_delete" => 2,
        "heartbeat" => 3,
        "dlq" => 4,
        "receive" => 5,
        _ => 6,
    }
}

fn picture(
    record: &Record,
    jobs: &[JobReport],
    invocations: &[super::experiment::Invocation],
    lanes: &BTreeMap<u64, usize>,
    job_of: &BTreeMap<&str, u32>,
    verdict: &str,
) -> Timeline {
    let lane_count = lanes.len();
    let mut timeline = Timeline {
        title: format!("{}: {verdict}", record.scenario.name()),
        subtitle: subtitle(&record.setting, record.mode),
        end_s: 1.0,
        lanes: std::iter::once("SQS queue".to_owned())
            .chain((1..=lane_count).map(|n| format!("env {n}")))
            .collect(),
        invocations: Vec::new(),
        marks: Vec::new(),
    };
    for i in invocations {
        let Some(&lane) = lanes.get(&i.environment) else {
            continue;
        };
        let label = i
            .messages
            .iter()
            .filter_map(|(id, _)| job_of.get(id.as_str()))
            .map(|j| format!("job {j}"))
            .collect::<Vec<_>>()
            .join(", ");
        timeline.invocations.push(Bar {
            lane,
            start_s: seconds(record, i.start),
            end_s: seconds(record, i.end.unwrap_or(i.start)),
            outcome: match i.outcome {
                Some(InvocationResult::Success) | None => BarOutcome::Success,
                Some(InvocationResult::Timeout) => BarOutcome::Timeout,
                Some(InvocationResult::Error | InvocationResult::Crash) => BarOutcome::Error,
            },
            label,
        });
    }
    for job in jobs {
        for e in &job.events {
            let kind = match e.kind {
                "receive" => MarkKind::Receive,
                "commit" => MarkKind::Commit,
                "delete" => MarkKind::Delete,
                "stale_delete" => MarkKind::StaleDelete,
                "heartbeat" => MarkKind::Heartbeat,
                "timeout" => MarkKind::Timeout,
                "dlq" => MarkKind::DlqMove,
                _ => continue,
            };
            timeline.marks.push(Mark {
                lane: e.environment.unwrap_or(0),
                t_s: e.t,
                kind,
                label: job.input.to_string(),
            });
        }
    }
    for event in &record.events {
        if let EventKind::QueueAttributesChanged { queue, attributes } = &event.kind
            && *queue == record.queue
            && let Some(v) = attributes.get("VisibilityTimeout")
        {
            timeline.marks.push(Mark {
                lane: 0,
                t_s: seconds(record, event.at_epoch_millis).max(0.0),
                kind: MarkKind::VisibilityChange,
                label: format!("visibility {v} s"),
            });
        }
    }
    let last = jobs
        .iter()
        .flat_map(|j| j.events.iter().map(|e| e.t))
        .chain(timeline.invocations.iter().map(|b| b.end_s))
        .fold(0.0f64, f64::max);
    timeline.end_s = (last * 1.05 + 1.0).ceil();
    timeline
}

pub fn subtitle(s: &Setting, mode: Mode) -> String {
    let visibility = if s.visibility_seconds == s.file_visibility_seconds {
        format!("visibility {} s", s.visibility_seconds)
    } else {
        format!(
            "visibility {} s, set to {} s after the mapping exists",
            s.file_visibility_seconds, s.visibility_seconds
        )
    };
    format!(
        "work {} s, worker timeout {} s, {visibility}, maxReceiveCount {}, heartbeat {}, {} time{}",
        s.work_seconds,
        s.function_timeout_seconds,
        s.max_receive_count,
        if s.heartbeat { "on" } else { "off" },
        match mode {
            Mode::Virtual => "virtual",
            Mode::Real => "real",
        },
        match s.stale_delete {
            localcloud::sqs::StaleDelete::Keep => "",
            localcloud::sqs::StaleDelete::Delete => ", a delete with an older handle deletes",
        }
    )
}

/// `1, 2, 3, 5` -> `1–3, 5`.
fn jobs_text(mut jobs: Vec<u32>) -> String {
    jobs.sort_unstable();
    jobs.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < jobs.len() {
        let mut j = i;
        while j + 1 < jobs.len() && jobs[j + 1] == jobs[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}–{}", jobs[i], jobs[j])
        } else {
            jobs[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

pub(crate) fn describe(kind: &str, detail: Option<&str>) -> String {
    match (kind, detail) {
        ("receive", Some(n)) => format!("receive #{n}"),
        ("commit", Some(n)) => format!("commit (of receive #{n})"),
        ("delete", _) => "deleted".to_owned(),
        ("stale_delete", Some(why)) => format!("delete did nothing ({why})"),
        ("heartbeat", _) => "heartbeat: visibility extended".to_owned(),
        ("timeout", _) => "invocation timed out".to_owned(),
        ("crash", _) => "invocation crashed (nothing deleted)".to_owned(),
        ("duplicate", Some(n)) => format!("receive #{n}: committed before, acknowledged"),
        ("busy", Some(n)) => format!("receive #{n}: in progress elsewhere, given back"),
        ("claim_failed", Some(n)) => format!("receive #{n}: the claim failed, given back"),
        ("dlq", Some(d)) => format!("moved to the DLQ ({d})"),
        (k, _) => k.to_owned(),
    }
}

/// The text a learner reads for one scenario.
pub fn render(report: &ScenarioReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("━━ {} ━━\n", report.name));
    out.push_str(&format!(
        "{}\n\n",
        subtitle(
            &report.setting,
            if report.is_virtual {
                Mode::Virtual
            } else {
                Mode::Real
            }
        )
    ));
    out.push_str("| job | receives | commits | final | expected |\n|---:|---:|---:|---|---|\n");
    for j in &report.jobs {
        let e = j.expected;
        let ok = (j.receives, j.commits, j.final_place) == (e.receives, e.commits, e.final_place);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} / {} / {} {} |\n",
            j.input,
            j.receives,
            j.commits,
            j.final_place.as_str(),
            e.receives,
            e.commits,
            e.final_place.as_str(),
            if ok { "✓" } else { "✗" }
        ));
    }
    out.push_str("\ntimeline (seconds since the first job was sent)\n");
    // Events at the same tenth of a second and of the same kind, grouped.
    let mut groups: BTreeMap<(i64, u8, String), Vec<u32>> = BTreeMap::new();
    for j in &report.jobs {
        for e in &j.events {
            let tenth = (e.t * 10.0).round() as i64;
            groups
                .entry((
                    tenth,
                    kind_order(e.kind),
                    describe(e.kind, e.detail.as_deref()),
                ))
                .or_default()
                .push(j.input);
        }
    }
    for ((tenth, _, what), jobs) in groups {
        let label = if jobs.len() == 1 { "job" } else { "jobs" };
        out.push_str(&format!(
            "{:>7.1}  {what:<46} {label} {}\n",
            tenth as f64 / 10.0,
            jobs_text(jobs)
        ));
    }
    out.push_str(&format!("\n{}\n", report.verdict));
    if let Some(svg) = &report.svg {
        out.push_str(&format!("picture: {svg}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_lists_are_short() {
        assert_eq!(jobs_text(vec![3, 1, 2, 5]), "1–3, 5");
        assert_eq!(jobs_text(vec![7]), "7");
        assert_eq!(jobs_text(vec![1, 2]), "1–2");
    }
}
