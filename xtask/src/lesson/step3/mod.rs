//! Step 3's `run`: the retrospective's visibility-timeout experiment,
//! reproduced to the second and checked against AWS's rules.
//!
//! Eight scenarios ([`scenario`]) run the lesson's slow worker against the
//! queue its serverless.yml makes, each [`experiment`] recorded from
//! localcloud's event stream, then [`report`]ed as a table per job, a
//! timeline, a verdict, JSON, and an SVG picture ([`timeline_svg`]). The
//! command exits 0 only when every job ended as the rules say: it is the
//! lesson's self-check.

pub mod experiment;
pub mod live;
pub mod on_aws;
pub mod report;
pub use step3_experiment::scenario;
pub mod timeline_svg;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::stack::{Lesson, Profile};
use crate::paths;
use experiment::Mode;
use scenario::Scenario;

#[derive(Args)]
pub struct RunArgs {
    /// Which scenario to run.
    #[arg(long, value_enum, default_value_t = ScenarioChoice::All)]
    pub scenario: ScenarioChoice,
    /// Jobs to send (each gets its own batch).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub jobs: u32,
    /// Seconds of work per batch (the retrospective's 15), below the lesson's
    /// 20 s worker timeout; not 6 with as-written (its 6 s timeout) nor equal
    /// to --visibility (ties are races).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=19))]
    pub work_seconds: u32,
    /// The queue's visibility timeout in short-visibility, heartbeat, idempotent and fifo-short-visibility, seconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=43_200))]
    pub visibility: u32,
    /// Real processes and real seconds instead of virtual time.
    #[arg(long)]
    pub real: bool,
    /// What a DeleteMessage with an older receipt handle does: `keep` (the
    /// message stays: "will not be deleted") or `delete` (it goes: the other
    /// reading of "might not be deleted"). AWS's reference has said both.
    #[arg(long, default_value = "keep", value_parser = parse_stale_delete)]
    pub stale_delete: localcloud::sqs::StaleDelete,
    /// Print one JSON document and nothing else on stdout.
    #[arg(long)]
    pub json: bool,
    /// With `--real --target aws`: fixed and short-visibility on the deployed stack.
    #[command(flatten)]
    pub target: super::aws::TargetArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScenarioChoice {
    /// The retrospective's own file: no worker timeout (6 s default), Lift's visibility 36 s.
    AsWritten,
    /// The lesson's serverless.yml: worker timeout 20 s, visibility 6 x 20 = 120 s.
    Fixed,
    /// `fixed`, then the live queue's visibility set to --visibility.
    ShortVisibility,
    /// `short-visibility` with the worker's heartbeat on.
    Heartbeat,
    /// `fixed`, and the first delivery's invocation crashes after its commit.
    CrashAfterCommit,
    /// `short-visibility` with the idempotent worker (a DynamoDB table).
    Idempotent,
    /// `crash-after-commit` with the idempotent worker.
    IdempotentCrash,
    /// `short-visibility` on a FIFO queue (Lift's `fifo: true`).
    FifoShortVisibility,
    /// All eight, one after the other.
    All,
}

impl ScenarioChoice {
    fn scenarios(self) -> Vec<Scenario> {
        match self {
            ScenarioChoice::AsWritten => vec![Scenario::AsWritten],
            ScenarioChoice::Fixed => vec![Scenario::Fixed],
            ScenarioChoice::ShortVisibility => vec![Scenario::ShortVisibility],
            ScenarioChoice::Heartbeat => vec![Scenario::Heartbeat],
            ScenarioChoice::CrashAfterCommit => vec![Scenario::CrashAfterCommit],
            ScenarioChoice::Idempotent => vec![Scenario::Idempotent],
            ScenarioChoice::IdempotentCrash => vec![Scenario::IdempotentCrash],
            ScenarioChoice::FifoShortVisibility => vec![Scenario::FifoShortVisibility],
            ScenarioChoice::All => scenario::ALL.to_vec(),
        }
    }
}

pub use super::up::parse_stale_delete;

/// Where the pictures go: `target/step3/`.
pub fn pictures_dir() -> PathBuf {
    paths::target_dir().join("step3")
}

/// Runs the chosen scenarios and reports; exit 0 only if all went by the rules.
pub fn run(lesson: &Lesson, args: &RunArgs) -> Result<ExitCode> {
    if args.target.is_aws()? {
        return on_aws::run(lesson, args, &args.target);
    }
    let mode = if args.real { Mode::Real } else { Mode::Virtual };
    // Every scenario's numbers are checked before anything runs.
    for scenario in args.scenario.scenarios() {
        let config =
            experiment::config_of(lesson, scenario, args.work_seconds, &Default::default())?;
        experiment::setting_of(
            &config,
            scenario,
            args.work_seconds,
            args.visibility,
            args.stale_delete,
        )?;
    }
    if mode == Mode::Real {
        lesson.build(Profile::Debug)?;
    }
    let mut reports = Vec::new();
    for scenario in args.scenario.scenarios() {
        if !args.json {
            eprintln!(
                "Running {} ({} time)...",
                scenario.name(),
                if args.real { "real" } else { "virtual" }
            );
            if let Some(note) = pointless(scenario, args) {
                eprintln!("{note}");
            }
        }
        // In real time the race is printed as it happens (never with
        // --json, whose stdout is one document).
        let live = (mode == Mode::Real && !args.json).then(live::Live::to_terminal);
        let watch = |record: &experiment::Record, now: i64| {
            if let Some(live) = &live {
                live.watch(record, now);
            }
        };
        let record = runtime(mode)?.block_on(experiment::run_with_watch(
            lesson,
            scenario,
            mode,
            args.jobs,
            args.work_seconds,
            args.visibility,
            args.stale_delete,
            live.as_ref().map(|_| &watch as &experiment::Watch<'_>),
        ))?;
        if let Some(live) = &live {
            live.finish();
        }
        let mut report = report::build(&record);
        report.svg = Some(write_picture(&report, mode)?);
        reports.push(report);
    }
    if args.json {
        #[derive(serde::Serialize)]
        struct Document<'a> {
            scenarios: &'a [report::ScenarioReport],
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&Document {
                scenarios: &reports
            })?
        );
    } else {
        for report in &reports {
            println!("{}", report::render(report));
        }
    }
    Ok(if reports.iter().all(|r| r.as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line when the numbers given on the command line take the
/// scenario's point away (no race left to see), or `None`.
fn pointless(scenario: Scenario, args: &RunArgs) -> Option<String> {
    let lowered = matches!(
        scenario,
        Scenario::ShortVisibility
            | Scenario::Heartbeat
            | Scenario::Idempotent
            | Scenario::FifoShortVisibility
    );
    if lowered && args.visibility >= args.work_seconds {
        return Some(format!(
            "note: --visibility {} is not shorter than --work-seconds {}: no message shows again while its work runs, so {} has no race to show (try --visibility below {}) / 가시성 타임아웃이 작업 시간보다 짧지 않아서 경쟁이 일어나지 않습니다",
            args.visibility,
            args.work_seconds,
            scenario.name(),
            args.work_seconds
        ));
    }
    None
}

/// Virtual time: one thread, tokio's clock paused (it jumps to the next
/// timer whenever every task waits). Real time: the usual runtime.
pub fn runtime(mode: Mode) -> Result<tokio::runtime::Runtime> {
    Ok(match mode {
        Mode::Virtual => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()?,
        Mode::Real => tokio::runtime::Runtime::new()?,
    })
}

fn write_picture(report: &report::ScenarioReport, mode: Mode) -> Result<String> {
    let name = match mode {
        Mode::Virtual => report.name.to_owned(),
        Mode::Real => format!("{}-real", report.name),
    };
    write_picture_as(report, &name)
}

/// Writes `report`'s picture as `target/step3/<stem>.svg`; the path as a
/// learner types it.
pub fn write_picture_as(report: &report::ScenarioReport, stem: &str) -> Result<String> {
    let timeline = report
        .timeline
        .as_ref()
        .context("the report has no timeline")?;
    let svg = timeline_svg::render_svg(timeline).map_err(anyhow::Error::msg)?;
    let dir = pictures_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = format!("{stem}.svg");
    std::fs::write(dir.join(&name), svg)?;
    Ok(format!("target/step3/{name}"))
}

#[cfg(test)]
mod tests {
    //! Each scenario through the same code as `run`, under virtual time:
    //! the report a learner reads, pinned as a snapshot.

    use super::*;
    use crate::lesson::LessonId;

    fn report(scenario: Scenario, jobs: u32, work: u32, visibility: u32) -> report::ScenarioReport {
        let record = runtime(Mode::Virtual)
            .unwrap()
            .block_on(experiment::run(
                &LessonId::Step3.lesson(),
                scenario,
                Mode::Virtual,
                jobs,
                work,
                visibility,
                localcloud::sqs::StaleDelete::Keep,
            ))
            .unwrap();
        report::build(&record)
    }

    #[test]
    fn each_scenario_ends_as_the_rules_say() {
        for scenario in scenario::ALL {
            let report = report(scenario, 5, 15, 10);
            assert!(report.as_expected, "{}", report::render(&report));
            insta::assert_snapshot!(scenario.name(), report::render(&report));
        }
    }

    /// Both readings of a delete with an older handle (AWS's DeleteMessage
    /// reference has said "will not be deleted" and "might not be
    /// deleted"): three transfers and the DLQ, or two and no DLQ. Either
    /// way the transfer runs twice at least.
    fn fates_of(
        scenario: Scenario,
        stale: localcloud::sqs::StaleDelete,
    ) -> Vec<(u32, u32, scenario::Final)> {
        let record = runtime(Mode::Virtual)
            .unwrap()
            .block_on(experiment::run(
                &LessonId::Step3.lesson(),
                scenario,
                Mode::Virtual,
                2,
                15,
                10,
                stale,
            ))
            .unwrap();
        let report = report::build(&record);
        assert!(report.as_expected, "{}", report::render(&report));
        report
            .jobs
            .iter()
            .map(|j| (j.receives, j.commits, j.final_place))
            .collect()
    }

    /// The idempotent worker commits each job exactly once under both
    /// readings of a stale delete, and after a crash.
    #[test]
    fn the_idempotent_worker_commits_once_under_both_readings_and_the_crash() {
        use localcloud::sqs::StaleDelete::{Delete, Keep};
        use scenario::Final;
        assert_eq!(
            fates_of(Scenario::Idempotent, Keep),
            [(3, 1, Final::Deleted), (3, 1, Final::Deleted)]
        );
        assert_eq!(
            fates_of(Scenario::Idempotent, Delete),
            [(2, 1, Final::Deleted), (2, 1, Final::Deleted)]
        );
        for stale in [Keep, Delete] {
            assert_eq!(
                fates_of(Scenario::IdempotentCrash, stale),
                [(2, 1, Final::Deleted), (2, 1, Final::Deleted)]
            );
            // Without the table, the crash costs a second transfer.
            assert_eq!(
                fates_of(Scenario::CrashAfterCommit, stale),
                [(2, 2, Final::Deleted), (2, 2, Final::Deleted)]
            );
        }
    }

    #[test]
    fn short_visibility_under_both_readings() {
        let fates = |stale| {
            let record = runtime(Mode::Virtual)
                .unwrap()
                .block_on(experiment::run(
                    &LessonId::Step3.lesson(),
                    Scenario::ShortVisibility,
                    Mode::Virtual,
                    2,
                    15,
                    10,
                    stale,
                ))
                .unwrap();
            let report = report::build(&record);
            assert!(report.as_expected, "{}", report::render(&report));
            report
                .jobs
                .iter()
                .map(|j| (j.receives, j.commits, j.final_place))
                .collect::<Vec<_>>()
        };
        use scenario::Final;
        assert_eq!(
            fates(localcloud::sqs::StaleDelete::Keep),
            [(3, 3, Final::Dlq), (3, 3, Final::Dlq)]
        );
        assert_eq!(
            fates(localcloud::sqs::StaleDelete::Delete),
            [(2, 2, Final::Deleted), (2, 2, Final::Deleted)]
        );
    }

    #[test]
    fn a_virtual_run_is_the_same_every_time() {
        let json = |r: &report::ScenarioReport| serde_json::to_string(r).unwrap();
        let first = report(Scenario::ShortVisibility, 3, 7, 3);
        let second = report(Scenario::ShortVisibility, 3, 7, 3);
        assert_eq!(json(&first), json(&second));
        // 7 s of work against 3 s: receives at 0, 3, 6; the DLQ at 9.
        assert!(first.as_expected);
        assert_eq!(
            first.jobs[0]
                .events
                .iter()
                .filter(|e| e.kind == "receive" || e.kind == "dlq")
                .map(|e| (e.kind, e.t))
                .collect::<Vec<_>>(),
            [
                ("receive", 0.0),
                ("receive", 3.0),
                ("receive", 6.0),
                ("dlq", 9.0)
            ]
        );
    }

    /// One lane per job; each receive with its window: the message shows
    /// again at 10 and 20 s while the first worker still works (15 s), and
    /// the third window's end is the move to the DLQ.
    #[test]
    fn the_picture_has_a_lane_per_job_and_shows_the_message_again() {
        let report = report(Scenario::ShortVisibility, 5, 15, 10);
        let mut timeline = report.timeline.clone().unwrap();
        timeline.lang = timeline_svg::Lang::En;
        assert_eq!(timeline.jobs.len(), 5);
        let job1 = &timeline.jobs[0];
        let windows: Vec<(f64, f64, Option<usize>)> = job1
            .deliveries
            .iter()
            .map(|d| (d.receive_s, d.visible_at_s, d.work.as_ref().map(|w| w.env)))
            .collect();
        assert_eq!(
            windows,
            [
                (0.0, 10.0, Some(1)),
                (10.0, 20.0, Some(6)),
                (20.0, 30.0, Some(5))
            ]
        );
        assert_eq!(job1.dlq_s, Some(30.0));
        assert!(job1.deliveries.iter().all(|d| d.deleted_s.is_none()));
        assert!(job1.deliveries.iter().all(|d| d.marks
            == [
                (d.receive_s + 15.0, timeline_svg::MarkKind::Commit),
                (d.receive_s + 15.0, timeline_svg::MarkKind::StaleDelete)
            ]));
        let svg = timeline_svg::render_svg(&timeline).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("5 jobs, 15 commits (10 duplicates), 5 in the DLQ"));
    }

    /// The heartbeat's extensions and the delete that ends the window; the
    /// idempotent worker's refusals.
    #[test]
    fn the_picture_knows_heartbeats_deletes_and_refusals() {
        use timeline_svg::MarkKind::{Delete, Skipped, StaleDelete};
        let heartbeat = report(Scenario::Heartbeat, 1, 15, 10).timeline.unwrap();
        let d = &heartbeat.jobs[0].deliveries[..];
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].extensions, [(5.0, 15.0), (10.0, 20.0)]);
        assert_eq!(d[0].deleted_s, Some(15.0));
        let idempotent = report(Scenario::Idempotent, 1, 15, 10).timeline.unwrap();
        let kinds: Vec<Vec<_>> = idempotent.jobs[0]
            .deliveries
            .iter()
            .map(|d| {
                let mut k: Vec<_> = d.marks.iter().map(|m| m.1).collect();
                k.retain(|k| *k != timeline_svg::MarkKind::Commit);
                k.sort();
                k
            })
            .collect();
        assert_eq!(
            kinds,
            [vec![StaleDelete], vec![Skipped], vec![Skipped, Delete]]
        );
        assert_eq!(idempotent.jobs[0].deliveries[2].deleted_s, Some(20.0));
    }

    /// Every scenario's picture, in every language: no label over another
    /// or over a mark, the title wrapped inside the image, the legend only
    /// what is drawn (the densest: fifo-short-visibility, idempotent,
    /// heartbeat, with the most jobs).
    #[test]
    fn every_picture_is_readable() {
        use timeline_svg::{Key, Lang, MarkKind, check_readable, layout};
        for scenario in scenario::ALL {
            let jobs = match scenario {
                Scenario::FifoShortVisibility | Scenario::Idempotent | Scenario::Heartbeat => 20,
                _ => 5,
            };
            let mut timeline = report(scenario, jobs, 15, 10).timeline.unwrap();
            for lang in [Lang::Both, Lang::Ko, Lang::En] {
                timeline.lang = lang;
                let l = layout(&timeline).unwrap();
                check_readable(&l).unwrap_or_else(|e| panic!("{} {lang:?}: {e}", scenario.name()));
                let dlq = l.legend.contains(&Key::Mark(MarkKind::DlqMove));
                assert_eq!(
                    dlq,
                    timeline.jobs.iter().any(|j| j.dlq_s.is_some()),
                    "{}",
                    scenario.name()
                );
            }
        }
    }
}
