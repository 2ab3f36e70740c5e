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
use super::timeline_svg::{BarOutcome, Bi, Delivery, JobLane, MarkKind, Timeline, Work};
use crate::exercise::lang::Lang;

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
                    kind: match word {
                        "duplicate" => "duplicate",
                        // The worker's own error: the claim did not reach a decision.
                        "idempotency" => "claim_failed",
                        _ => "busy",
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
    let verdict = format!(
        "{}: {}",
        counts(&jobs, Lang::En),
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

/// The picture: one lane per job, each receive with the window it opened
/// (from the record's events: when the message shows again, each heartbeat,
/// the delete), the invocation that worked on it and the marks of what it did.
fn picture(
    record: &Record,
    jobs: &[JobReport],
    invocations: &[super::experiment::Invocation],
    lanes: &BTreeMap<u64, usize>,
    job_of: &BTreeMap<&str, u32>,
    verdict: &str,
) -> Timeline {
    let lang = Lang::current();
    let mut by_job: BTreeMap<u32, JobLane> = jobs
        .iter()
        .map(|j| {
            (
                j.input,
                JobLane {
                    job: j.input,
                    deliveries: Vec::new(),
                    dlq_s: None,
                },
            )
        })
        .collect();
    let mut visibility_changes = Vec::new();
    for event in &record.events {
        let t = seconds(record, event.at_epoch_millis);
        let lane = |id: &str| job_of.get(id).copied();
        match &event.kind {
            EventKind::MessageReceived {
                queue,
                message_id,
                receive_count,
                visible_again_at_epoch_millis,
                ..
            } if *queue == record.queue => {
                let Some(lane) = lane(message_id).and_then(|j| by_job.get_mut(&j)) else {
                    continue;
                };
                let work = invocations
                    .iter()
                    .find(|i| i.messages.contains(&(message_id.clone(), *receive_count)))
                    .and_then(|i| {
                        Some(Work {
                            env: *lanes.get(&i.environment)?,
                            start_s: seconds(record, i.start),
                            end_s: seconds(record, i.end.unwrap_or(i.start)),
                            outcome: match i.outcome {
                                Some(InvocationResult::Success) | None => BarOutcome::Success,
                                Some(InvocationResult::Timeout) => BarOutcome::Timeout,
                                Some(InvocationResult::Crash) => BarOutcome::Crash,
                                Some(InvocationResult::Error) => BarOutcome::Error,
                            },
                        })
                    });
                lane.deliveries.push(Delivery {
                    receive_s: t,
                    receive_count: *receive_count,
                    visible_at_s: seconds(record, *visible_again_at_epoch_millis),
                    extensions: Vec::new(),
                    deleted_s: None,
                    work,
                    marks: Vec::new(),
                });
            }
            // The message's visibility is its latest receive's.
            EventKind::VisibilityChanged {
                queue,
                message_id,
                visible_again_at_epoch_millis,
            } if *queue == record.queue => {
                if let Some(d) = lane(message_id)
                    .and_then(|j| by_job.get_mut(&j))
                    .and_then(|l| l.deliveries.last_mut())
                {
                    d.extensions
                        .push((t, seconds(record, *visible_again_at_epoch_millis)));
                }
            }
            EventKind::MessageDeleted { queue, message_id } if *queue == record.queue => {
                if let Some(d) = lane(message_id)
                    .and_then(|j| by_job.get_mut(&j))
                    .and_then(|l| l.deliveries.last_mut())
                {
                    d.deleted_s.get_or_insert(t);
                }
            }
            EventKind::QueueAttributesChanged { queue, attributes } if *queue == record.queue => {
                if let Some(v) = attributes.get("VisibilityTimeout") {
                    visibility_changes.push((t.max(0.0), v.clone()));
                }
            }
            _ => {}
        }
    }
    // The marks, each on the delivery it belongs to: by receive count, or
    // the environment that worked on it (the delete follows its invocation).
    for job in jobs {
        let Some(lane) = by_job.get_mut(&job.input) else {
            continue;
        };
        for e in &job.events {
            let kind = match e.kind {
                "commit" => MarkKind::Commit,
                "duplicate" | "busy" => MarkKind::Skipped,
                "delete" => MarkKind::Delete,
                "stale_delete" => MarkKind::StaleDelete,
                "dlq" => {
                    lane.dlq_s = Some(e.t);
                    continue;
                }
                _ => continue,
            };
            let count: Option<u32> = match kind {
                MarkKind::Commit | MarkKind::Skipped => {
                    e.detail.as_deref().and_then(|d| d.parse().ok())
                }
                _ => None,
            };
            let by_count =
                count.and_then(|c| lane.deliveries.iter().position(|d| d.receive_count == c));
            let by_env = || {
                lane.deliveries
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        d.work
                            .as_ref()
                            .is_some_and(|w| Some(w.env) == e.environment && w.end_s <= e.t + 1e-9)
                    })
                    .max_by(|a, b| {
                        let end = |d: &Delivery| d.work.as_ref().map_or(0.0, |w| w.end_s);
                        end(a.1).total_cmp(&end(b.1))
                    })
                    .map(|(k, _)| k)
            };
            let latest = || {
                lane.deliveries
                    .iter()
                    .rposition(|d| d.receive_s <= e.t + 1e-9)
            };
            if let Some(k) = by_count.or_else(by_env).or_else(latest) {
                lane.deliveries[k].marks.push((e.t, kind));
            }
        }
    }
    let job_lanes: Vec<JobLane> = by_job.into_values().collect();
    let mut last = visibility_changes
        .iter()
        .map(|v| v.0)
        .fold(0.0f64, f64::max);
    for l in &job_lanes {
        last = last.max(l.dlq_s.unwrap_or(0.0));
        for d in &l.deliveries {
            let deadline = d.extensions.last().map_or(d.visible_at_s, |e| e.1);
            last = last.max(d.deleted_s.map_or(deadline, |t| t.min(deadline)));
            last = last.max(d.work.as_ref().map_or(0.0, |w| w.end_s));
            last = last.max(d.marks.iter().map(|m| m.0).fold(0.0, f64::max));
        }
    }
    let s = &record.setting;
    let as_expected = jobs.iter().all(|j| {
        (j.receives, j.commits, j.final_place)
            == (
                j.expected.receives,
                j.expected.commits,
                j.expected.final_place,
            )
    });
    let ko_title = format!(
        "{}: {}: {}",
        record.scenario.name(),
        counts(jobs, Lang::Ko),
        if as_expected {
            "AWS의 규칙대로입니다"
        } else {
            "AWS의 규칙과 다릅니다"
        }
    );
    Timeline {
        lang,
        title: Bi::new(ko_title, format!("{}: {verdict}", record.scenario.name())),
        subtitle: Bi::new(
            subtitle_in(s, record.mode, Lang::Ko),
            subtitle(s, record.mode),
        ),
        end_s: (last * 1.04 + 1.0).ceil(),
        jobs: job_lanes,
        visibility_changes,
    }
}

pub fn subtitle(s: &Setting, mode: Mode) -> String {
    subtitle_in(s, mode, Lang::En)
}

/// [`subtitle`] in `lang` (with both languages, the lesson's English).
pub fn subtitle_in(s: &Setting, mode: Mode, lang: Lang) -> String {
    if lang == Lang::Ko {
        let visibility = if s.visibility_seconds == s.file_visibility_seconds {
            format!("가시성 타임아웃 {}초", s.visibility_seconds)
        } else {
            format!(
                "가시성 타임아웃 {}초, 매핑이 생긴 뒤 {}초로 바꿈",
                s.file_visibility_seconds, s.visibility_seconds
            )
        };
        return format!(
            "작업 {}초, worker 타임아웃 {}초, {visibility}, maxReceiveCount {}, 하트비트 {}, {} 시간{}",
            s.work_seconds,
            s.function_timeout_seconds,
            s.max_receive_count,
            if s.heartbeat { "켬" } else { "끔" },
            match mode {
                Mode::Virtual => "가상",
                Mode::Real => "실제",
            },
            match s.stale_delete {
                localcloud::sqs::StaleDelete::Keep => "",
                localcloud::sqs::StaleDelete::Delete => ", 예전 핸들로 하는 삭제도 지움",
            }
        );
    }
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

pub(crate) fn describe(kind: &str, detail: Option<&str>, lang: Lang) -> String {
    if lang == Lang::Ko {
        return describe_ko(kind, detail);
    }
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
        ("claim_failed", Some(n)) => {
            format!("receive #{n}: ERROR, the claim failed; given back")
        }
        ("dlq", Some(d)) => format!("moved to the DLQ ({d})"),
        (k, _) => k.to_owned(),
    }
}

fn describe_ko(kind: &str, detail: Option<&str>) -> String {
    match (kind, detail) {
        ("receive", Some(n)) => format!("수신 #{n}"),
        ("commit", Some(n)) => format!("커밋 (수신 #{n}의)"),
        ("delete", _) => "삭제됨".to_owned(),
        ("stale_delete", Some(why)) => format!(
            "삭제 효과 없음 ({})",
            match why {
                "stale receipt handle" => "예전 수신의 핸들",
                "message already gone" => "메시지가 이미 없음",
                other => other,
            }
        ),
        ("heartbeat", _) => "하트비트: 가시성 타임아웃 연장".to_owned(),
        ("timeout", _) => "호출 시간 초과".to_owned(),
        ("crash", _) => "호출 크래시 (아무것도 지우지 않음)".to_owned(),
        ("duplicate", Some(n)) => format!("수신 #{n}: 이미 커밋된 작업, 확인만 함"),
        ("busy", Some(n)) => format!("수신 #{n}: 다른 호출이 작업 중, 큐로 돌려보냄"),
        ("claim_failed", Some(n)) => format!("수신 #{n}: 에러, 선점하지 못함, 큐로 돌려보냄"),
        ("dlq", Some(d)) => {
            let count: String = d.chars().filter(char::is_ascii_digit).collect();
            format!("DLQ로 옮겨짐 (수신 {count}번 뒤)")
        }
        (k, _) => k.to_owned(),
    }
}

/// What an exercise expects of every job, shown in the table's last
/// column in place of AWS's rules, and the summary line's ending.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The column's header, (ko, en).
    pub header: (&'static str, &'static str),
    /// (receives, commits, final) every job must show.
    pub fate: Fate,
    /// The summary's ending when every job matches, (ko, en).
    pub met: (String, String),
    /// The summary's ending when a job does not, (ko, en).
    pub missed: (String, String),
}

impl Expectation {
    pub fn met_by(&self, j: &JobReport) -> bool {
        (j.receives, j.commits, j.final_place)
            == (self.fate.receives, self.fate.commits, self.fate.final_place)
    }
}

/// The summary's counts, in `lang` (with both languages, English):
/// jobs, commits, duplicates, deliveries the table kept, jobs in the DLQ.
pub fn counts(jobs: &[JobReport], lang: Lang) -> String {
    let commits: u32 = jobs.iter().map(|j| j.commits).sum();
    let committed = jobs.iter().filter(|j| j.commits > 0).count() as u32;
    let in_dlq = jobs.iter().filter(|j| j.final_place == Final::Dlq).count();
    let caught = jobs
        .iter()
        .flat_map(|j| &j.events)
        .filter(|e| e.kind == "duplicate" || e.kind == "busy")
        .count();
    if lang == Lang::Ko {
        let caught = if caught > 0 {
            format!(", 멱등성 테이블이 막은 두 번째 커밋 {caught}번")
        } else {
            String::new()
        };
        return format!(
            "작업 {}개, 커밋 {commits}번 (중복 {}번){caught}, DLQ {in_dlq}개",
            jobs.len(),
            commits - committed
        );
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let caught = if caught > 0 {
        format!(
            ", {} kept from a second commit by the idempotency table",
            plural(caught, "delivery", "deliveries")
        )
    } else {
        String::new()
    };
    format!(
        "{}, {} ({}){caught}, {in_dlq} in the DLQ",
        plural(jobs.len(), "job", "jobs"),
        plural(commits as usize, "commit", "commits"),
        plural((commits - committed) as usize, "duplicate", "duplicates"),
    )
}

/// The text a learner reads for one scenario.
pub fn render(report: &ScenarioReport) -> String {
    render_in(report, Lang::En, None)
}

/// [`render`] in `lang`, for an exercise: with an `expectation`, the last
/// column and the summary say what the exercise expects, not AWS's rules
/// (a learner's code that misses is the learner's, not AWS's).
pub fn render_in(report: &ScenarioReport, lang: Lang, expectation: Option<&Expectation>) -> String {
    let mut out = String::new();
    out.push_str(&format!("━━ {} ━━\n", report.name));
    out.push_str(&format!(
        "{}\n\n",
        subtitle_in(
            &report.setting,
            if report.is_virtual {
                Mode::Virtual
            } else {
                Mode::Real
            },
            lang
        )
    ));
    let last = expectation.map_or(("기대", "expected"), |e| e.header);
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} |\n|---:|---:|---:|---|---|\n",
        lang.term("작업", "job"),
        lang.term("수신", "receives"),
        lang.term("커밋", "commits"),
        lang.term("최종", "final"),
        lang.term(last.0, last.1),
    ));
    for j in &report.jobs {
        let e = expectation.map_or(j.expected, |x| x.fate);
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
    out.push_str(lang.term(
        "\n타임라인 (첫 작업을 보낸 뒤 흐른 초)\n",
        "\ntimeline (seconds since the first job was sent)\n",
    ));
    // Events at the same tenth of a second and of the same kind, grouped.
    let mut groups: BTreeMap<(i64, u8, String), Vec<u32>> = BTreeMap::new();
    for j in &report.jobs {
        for e in &j.events {
            let tenth = (e.t * 10.0).round() as i64;
            groups
                .entry((
                    tenth,
                    kind_order(e.kind),
                    describe(e.kind, e.detail.as_deref(), lang),
                ))
                .or_default()
                .push(j.input);
        }
    }
    for ((tenth, _, what), jobs) in groups {
        let label = lang.term("작업", if jobs.len() == 1 { "job" } else { "jobs" });
        out.push_str(&format!(
            "{:>7.1}  {} {label} {}\n",
            tenth as f64 / 10.0,
            crate::exercise::lang::pad(&what, 46),
            jobs_text(jobs)
        ));
    }
    match expectation {
        None if lang != Lang::Ko => out.push_str(&format!("\n{}\n", report.verdict)),
        None => out.push_str(&format!(
            "\n{}: {}\n",
            counts(&report.jobs, lang),
            if report.as_expected {
                "AWS의 규칙대로입니다"
            } else {
                "AWS의 규칙과 다릅니다"
            }
        )),
        Some(x) => {
            let (ko, en) = if report.jobs.iter().all(|j| x.met_by(j)) {
                &x.met
            } else {
                &x.missed
            };
            out.push_str(&format!(
                "\n{}: {}\n",
                counts(&report.jobs, lang),
                lang.term(ko, en)
            ));
        }
    }
    if let Some(svg) = &report.svg {
        out.push_str(&format!("{}: {svg}\n", lang.term("그림", "picture")));
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
