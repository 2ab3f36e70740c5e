//! `lesson step3 run --real`: the race as it happens. Each event is printed
//! the moment the experiment records it, with its elapsed seconds and job,
//! in the words of the final timeline ([`report`](super::report) builds
//! both from the same record); on a terminal, a line at the bottom says
//! what each unfinished job is waiting for.
//!
//! The engine tells a [`Live`] of the record so far about every 100 ms
//! ([`step3_experiment::Watch`]); a line is printed once, in time order.

use std::collections::BTreeSet;
use std::sync::Mutex;

use step3_experiment::Record;

use super::report;

/// What has been printed, and where lines go.
pub struct Live {
    printed: Mutex<BTreeSet<(i64, u8, u32, String)>>,
    out: Box<dyn Fn(&str) + Send + Sync>,
    /// The bottom line of a terminal (what is pending); `None` off one.
    status: Option<indicatif::ProgressBar>,
}

impl Live {
    /// Lines to stderr; on a terminal, with the status line.
    pub fn to_terminal() -> Self {
        let status = console::Term::stderr().is_term().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        let printer = status.clone();
        Self {
            printed: Mutex::default(),
            out: Box::new(move |line| match &printer {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }),
            status,
        }
    }

    /// Lines to `out` (tests), no status line.
    pub fn to(out: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self {
            printed: Mutex::default(),
            out: Box::new(out),
            status: None,
        }
    }

    /// The record so far, at `now` (epoch millis): prints what is new.
    pub fn watch(&self, record: &Record, now: i64) {
        let built = report::build(record);
        let mut fresh = Vec::new();
        {
            let mut printed = self.printed.lock().unwrap_or_else(|e| e.into_inner());
            for job in &built.jobs {
                for event in &job.events {
                    let what = report::describe(
                        event.kind,
                        event.detail.as_deref(),
                        crate::exercise::lang::Lang::En,
                    );
                    let key = (
                        (event.t * 1000.0).round() as i64,
                        report::kind_order(event.kind),
                        job.input,
                        what.clone(),
                    );
                    if printed.insert(key.clone()) {
                        fresh.push((key, line(event.t, &what, job.input)));
                    }
                }
            }
        }
        fresh.sort();
        for (_, text) in fresh {
            (self.out)(&text);
        }
        if let Some(bar) = &self.status {
            bar.set_message(pending(&built, record, now));
            bar.tick();
        }
    }

    /// Clears the status line (the scenario ended).
    pub fn finish(&self) {
        if let Some(bar) = &self.status {
            bar.finish_and_clear();
        }
    }
}

/// One event, as the final timeline writes it.
pub fn line(t: f64, what: &str, job: u32) -> String {
    format!("{t:>7.1}  {what:<46} job {job}")
}

/// What each unfinished job waits for: "job 1: receive #2, working 9/15 s ·
/// visible again at 40 s".
fn pending(built: &report::ScenarioReport, record: &Record, now: i64) -> String {
    let now_s = (now - record.t0) as f64 / 1000.0;
    let setting = &record.setting;
    let mut parts = Vec::new();
    for job in &built.jobs {
        let Some(last) = job.events.last() else {
            parts.push(format!("job {}: waiting for its first receive", job.input));
            continue;
        };
        if matches!(last.kind, "delete" | "dlq") {
            continue;
        }
        let receive = job.events.iter().rev().find(|e| e.kind == "receive");
        let Some(receive) = receive else { continue };
        let working = (now_s - receive.t).clamp(0.0, f64::from(setting.work_seconds));
        let mut part = format!(
            "job {}: receive #{}, working {:.0}/{} s",
            job.input,
            receive.detail.as_deref().unwrap_or("?"),
            working,
            setting.work_seconds
        );
        if !setting.heartbeat {
            part.push_str(&format!(
                " · visible again at {:.0} s",
                receive.t + f64::from(setting.visibility_seconds)
            ));
        }
        parts.push(part);
    }
    if parts.is_empty() {
        format!("{now_s:.0} s: every job has ended")
    } else {
        format!("{now_s:.0} s  {}", parts.join("   "))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use step3_experiment::scenario::Scenario;
    use step3_experiment::{Mode, Watch};

    use super::*;
    use crate::lesson::LessonId;

    /// Under the paused clock, the live lines of `short-visibility` come
    /// while the race runs (each printed before the scenario ends), once
    /// each, in time order, in the final timeline's words.
    #[tokio::test(start_paused = true)]
    async fn the_race_is_printed_while_it_runs() {
        let lesson = LessonId::Step3.lesson();
        let lines: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
        let now_of_line = Arc::new(Mutex::new(0_i64));
        let (sink, clock) = (lines.clone(), now_of_line.clone());
        let live = Live::to(move |line| {
            let at = *clock.lock().unwrap();
            sink.lock().unwrap().push((at, line.to_owned()));
        });
        let watch = |record: &Record, now: i64| {
            *now_of_line.lock().unwrap() = now - record.t0;
            live.watch(record, now);
        };
        let watch: &Watch<'_> = &watch;
        let record = super::super::experiment::run_with_watch(
            &lesson,
            Scenario::ShortVisibility,
            Mode::Virtual,
            1,
            6,
            4,
            localcloud::sqs::StaleDelete::Keep,
            Some(watch),
        )
        .await
        .unwrap();
        let lines = lines.lock().unwrap().clone();
        let texts: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
        assert!(
            texts[0].contains("receive #1") && texts[0].ends_with("job 1"),
            "{texts:#?}"
        );
        // The first receive was printed at its moment, long before the end.
        let end = lines.last().unwrap().0;
        assert!(lines[0].0 <= 1_000, "{lines:#?}");
        assert!(end - lines[0].0 >= 5_000, "{lines:#?}");
        // Every line of the final timeline was printed live, once.
        let built = report::build(&record);
        let events: usize = built.jobs.iter().map(|j| j.events.len()).sum();
        assert_eq!(lines.len(), events, "{texts:#?}");
        let mut sorted = texts.clone();
        sorted.sort_by(|a, b| {
            let t = |l: &str| l.split_whitespace().next().unwrap().parse::<f64>().unwrap();
            t(a).total_cmp(&t(b))
        });
        assert_eq!(texts, sorted);
    }
}
