//! The four scenarios of the experiment, each a variant of the lesson's own
//! serverless.yml, and what AWS's rules say must happen to each job in it.
//!
//! The rules (../shared/aws-semantics.md, with AWS's pages):
//! - a receive hides a message for the queue's visibility timeout and adds
//!   one to its receive count (SQS-DG "Amazon SQS visibility timeout");
//! - a batch that succeeds is deleted by the event source mapping, with the
//!   receipt handle of its receive; a handle older than the message's latest
//!   receive deletes nothing (SQS-API DeleteMessage: "the request succeeds,
//!   but the message will not be deleted");
//! - an invocation that times out deletes nothing (L-DG "Handling errors
//!   for an SQS event source");
//! - the receive that would make the count exceed maxReceiveCount moves the
//!   message to the dead-letter queue instead (SQS-DG "Using dead-letter
//!   queues").

use anyhow::{Result, bail};
use clap::ValueEnum;
use localcloud::sqs::StaleDelete;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// The retrospective's own file: no worker timeout (6 s default), Lift's visibility 36 s.
    AsWritten,
    /// The lesson's serverless.yml: worker timeout 20 s, visibility 6 x 20 = 120 s.
    Fixed,
    /// `fixed`, then the live queue's visibility set to --visibility (SetQueueAttributes).
    ShortVisibility,
    /// `short-visibility` with the worker's heartbeat on (ChangeMessageVisibility).
    Heartbeat,
    /// `fixed`, and the first delivery's invocation fails after its commit (CRASH_AFTER_COMMIT).
    CrashAfterCommit,
    /// `short-visibility` with the idempotent worker (IDEMPOTENCY: a DynamoDB conditional write per job).
    Idempotent,
    /// `crash-after-commit` with the idempotent worker.
    IdempotentCrash,
    /// `short-visibility` on a FIFO queue (Lift's `fifo: true`): would FIFO have stopped the duplicates?
    FifoShortVisibility,
}

pub const ALL: [Scenario; 8] = [
    Scenario::AsWritten,
    Scenario::Fixed,
    Scenario::ShortVisibility,
    Scenario::Heartbeat,
    Scenario::CrashAfterCommit,
    Scenario::Idempotent,
    Scenario::IdempotentCrash,
    Scenario::FifoShortVisibility,
];

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::AsWritten => "as-written",
            Scenario::Fixed => "fixed",
            Scenario::ShortVisibility => "short-visibility",
            Scenario::Heartbeat => "heartbeat",
            Scenario::CrashAfterCommit => "crash-after-commit",
            Scenario::Idempotent => "idempotent",
            Scenario::IdempotentCrash => "idempotent-crash",
            Scenario::FifoShortVisibility => "fifo-short-visibility",
        }
    }

    /// Whether the live queue's visibility timeout is lowered after the
    /// mapping exists (the only way on AWS: a mapping whose queue's
    /// visibility is below the function timeout cannot be created).
    pub fn lowers_visibility(self) -> bool {
        matches!(
            self,
            Scenario::ShortVisibility
                | Scenario::Heartbeat
                | Scenario::Idempotent
                | Scenario::FifoShortVisibility
        )
    }

    /// Whether the worker claims each job in the idempotency table.
    pub fn idempotent(self) -> bool {
        matches!(self, Scenario::Idempotent | Scenario::IdempotentCrash)
    }

    /// Whether the first delivery's invocation crashes after its commit.
    pub fn crashes(self) -> bool {
        matches!(self, Scenario::CrashAfterCommit | Scenario::IdempotentCrash)
    }

    /// The lesson's serverless.yml, edited for this scenario.
    pub fn serverless_yml(self, lesson_file: &str, work_seconds: u32) -> Result<String> {
        let mut text = replace_once(
            lesson_file,
            "WORK_SECONDS: '15'",
            &format!("WORK_SECONDS: '{work_seconds}'"),
        )?;
        match self {
            Scenario::AsWritten => {
                // The retrospective's worker had no timeout: Serverless's 6 s.
                text = replace_once(&text, "      timeout: 20\n", "")?;
            }
            Scenario::Heartbeat => {
                text = replace_once(&text, "HEARTBEAT: 'off'", "HEARTBEAT: 'on'")?;
            }
            Scenario::Fixed
            | Scenario::ShortVisibility
            | Scenario::CrashAfterCommit
            | Scenario::Idempotent
            | Scenario::IdempotentCrash => {}
            Scenario::FifoShortVisibility => {
                text = replace_once(
                    &text,
                    "    type: queue\n",
                    "    type: queue\n    fifo: true\n",
                )?;
            }
        }
        if self.idempotent() {
            text = replace_once(&text, "IDEMPOTENCY: 'off'", "IDEMPOTENCY: 'on'")?;
        }
        if self.crashes() {
            text = replace_once(
                &text,
                "CRASH_AFTER_COMMIT: 'off'",
                "CRASH_AFTER_COMMIT: 'first-receive'",
            )?;
        }
        Ok(text)
    }
}

fn replace_once(text: &str, from: &str, to: &str) -> Result<String> {
    if text.matches(from).count() != 1 {
        bail!(
            "lessons/step3-dlq-visibility/serverless.yml no longer has exactly one `{}`: the experiment edits that line",
            from.trim()
        );
    }
    Ok(text.replacen(from, to, 1))
}

/// Where a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Final {
    Deleted,
    Dlq,
    Queue,
}

impl Final {
    pub fn as_str(self) -> &'static str {
        match self {
            Final::Deleted => "deleted",
            Final::Dlq => "dlq",
            Final::Queue => "queue",
        }
    }
}

/// A job's fate: how often it was received and committed, where it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fate {
    pub receives: u32,
    pub commits: u32,
    #[serde(rename = "final")]
    pub final_place: Final,
}

/// What one scenario runs with, read from its serverless.yml.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub work_seconds: u32,
    pub function_timeout_seconds: u32,
    /// The queue's visibility timeout as the file makes it (Lift: 6 x timeout).
    pub file_visibility_seconds: u32,
    /// The visibility each receive gets (lowered or not).
    pub visibility_seconds: u32,
    pub max_receive_count: u32,
    pub heartbeat: bool,
    /// What a delete with an older receipt handle does (both readings of
    /// AWS's DeleteMessage reference: see `localcloud::sqs::StaleDelete`).
    #[serde(default)]
    pub stale_delete: StaleDelete,
    /// The worker claims each job in a DynamoDB table (`IDEMPOTENCY: 'on'`).
    #[serde(default)]
    pub idempotent: bool,
    /// The first delivery's invocation fails after its commit
    /// (`CRASH_AFTER_COMMIT: 'first-receive'`).
    #[serde(default)]
    pub crash_after_commit: bool,
    /// A FIFO queue: one group, so its jobs take their turns one after
    /// the other (each job's fate is the same as on a standard queue).
    #[serde(default)]
    pub fifo: bool,
}

impl Setting {
    /// What AWS's rules say happens to every job (one per batch, enough
    /// concurrency for each receive to happen as the message reappears).
    pub fn expected(&self) -> Fate {
        let (w, t, v, m) = (
            self.work_seconds,
            self.function_timeout_seconds,
            self.visibility_seconds,
            self.max_receive_count,
        );
        // Every delivery that does the work commits, unless the worker is
        // idempotent: then only the first (the others find the job claimed
        // or completed).
        let commits = |workers: u32| {
            if self.idempotent {
                workers.min(1)
            } else {
                workers
            }
        };
        if w > t {
            // Every invocation times out: no commit, nothing deleted; the
            // message comes back after each visibility timeout until the
            // receive that would exceed maxReceiveCount moves it.
            return Fate {
                receives: m,
                commits: 0,
                final_place: Final::Dlq,
            };
        }
        if self.heartbeat || w < v {
            if self.crash_after_commit {
                // The first invocation commits, then fails: nothing is
                // deleted, the message comes back after the visibility
                // timeout, and the second delivery succeeds (its commit is
                // a second transfer, unless the worker is idempotent).
                return if m >= 2 {
                    Fate {
                        receives: 2,
                        commits: commits(2),
                        final_place: Final::Deleted,
                    }
                } else {
                    Fate {
                        receives: 1,
                        commits: 1,
                        final_place: Final::Dlq,
                    }
                };
            }
            // Done and deleted before anyone else could see it.
            return Fate {
                receives: 1,
                commits: 1,
                final_place: Final::Deleted,
            };
        }
        // The message reappears every visibility timeout while its first
        // worker still works: `during` receives before that worker ends.
        let during = w.div_ceil(v);
        if self.stale_delete == StaleDelete::Delete && during <= m {
            // "Might not be deleted", read as "deleted": the first worker to
            // finish deletes the message with its older handle; the workers
            // that received it meanwhile still commit (unless idempotent).
            return Fate {
                receives: during,
                commits: commits(during),
                final_place: Final::Deleted,
            };
        }
        if self.idempotent && during < m {
            // The deliveries during the work find the job in progress and
            // give it back; the first delivery after it finds the job
            // completed, acknowledges it and deletes it with its own, latest
            // receipt handle.
            return Fate {
                receives: during + 1,
                commits: 1,
                final_place: Final::Deleted,
            };
        }
        // Every delete holds a stale handle, and the receive after the last
        // one moves the message to the DLQ.
        Fate {
            receives: m,
            commits: commits(m),
            final_place: Final::Dlq,
        }
    }

    /// Ties between the work and a timeout are races on AWS too: refused.
    pub fn check(&self, scenario: Scenario) -> Result<()> {
        let w = self.work_seconds;
        if w == self.function_timeout_seconds {
            bail!(
                "--work-seconds {w} equals the {} worker's timeout ({w} s): whether the work or the timeout ends first is a race; pick another number",
                scenario.name()
            );
        }
        if !self.heartbeat
            && self.stale_delete == StaleDelete::Delete
            && w > self.visibility_seconds
            && w.is_multiple_of(self.visibility_seconds)
        {
            bail!(
                "--work-seconds {w} is a multiple of the {} visibility timeout ({} s): whether the first delete or the next receive comes first is a race; pick another number",
                scenario.name(),
                self.visibility_seconds
            );
        }
        if self.crash_after_commit && !self.heartbeat && w > self.visibility_seconds {
            bail!(
                "--work-seconds {w} is above the {} visibility timeout ({} s): the crash scenarios show a redelivery with the right configuration; pick fewer seconds",
                scenario.name(),
                self.visibility_seconds
            );
        }
        if self.idempotent
            && !self.heartbeat
            && w > self.visibility_seconds
            && w.is_multiple_of(self.visibility_seconds)
        {
            bail!(
                "--work-seconds {w} is a multiple of the {} visibility timeout ({} s): whether the job is marked completed or received again first is a race; pick another number",
                scenario.name(),
                self.visibility_seconds
            );
        }
        if !self.heartbeat && w == self.visibility_seconds {
            bail!(
                "--work-seconds {w} equals the {} visibility timeout ({w} s): whether the delete or the next receive comes first is a race; pick another number",
                scenario.name()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(w: u32, t: u32, v: u32, heartbeat: bool) -> Setting {
        Setting {
            work_seconds: w,
            function_timeout_seconds: t,
            file_visibility_seconds: v,
            visibility_seconds: v,
            max_receive_count: 3,
            heartbeat,
            stale_delete: StaleDelete::Keep,
            idempotent: false,
            crash_after_commit: false,
            fifo: false,
        }
    }

    #[test]
    fn the_rules_with_the_retrospectives_numbers() {
        let fate = |receives, commits, final_place| Fate {
            receives,
            commits,
            final_place,
        };
        // as-written: 6 s timeout, 36 s visibility, 15 s of work.
        assert_eq!(setting(15, 6, 36, false).expected(), fate(3, 0, Final::Dlq));
        // fixed: 20 s timeout, 120 s visibility.
        assert_eq!(
            setting(15, 20, 120, false).expected(),
            fate(1, 1, Final::Deleted)
        );
        // short-visibility: 10 s.
        assert_eq!(
            setting(15, 20, 10, false).expected(),
            fate(3, 3, Final::Dlq)
        );
        // heartbeat.
        assert_eq!(
            setting(15, 20, 10, true).expected(),
            fate(1, 1, Final::Deleted)
        );
        // The small numbers: 3 s of work against 2 s.
        assert_eq!(setting(3, 20, 2, false).expected(), fate(3, 3, Final::Dlq));
        // Quick work under the as-written file is committed once.
        assert_eq!(
            setting(3, 6, 36, false).expected(),
            fate(1, 1, Final::Deleted)
        );
    }

    #[test]
    fn under_the_lenient_reading_the_first_delete_wins() {
        let lenient = |w, v| Setting {
            stale_delete: StaleDelete::Delete,
            ..setting(w, 20, v, false)
        };
        let fate = |receives, commits, final_place| Fate {
            receives,
            commits,
            final_place,
        };
        // short-visibility: 15 s of work, visibility 10 s: received at 0 and
        // 10 s, the first delete (15 s) takes the message: two transfers.
        assert_eq!(lenient(15, 10).expected(), fate(2, 2, Final::Deleted));
        // Visibility 4 s: received at 0, 4, 8; the 4th receive (12 s) would
        // come before the first delete: the DLQ, as under the strict reading.
        assert_eq!(lenient(15, 4).expected(), fate(3, 3, Final::Dlq));
        assert!(lenient(20, 10).check(Scenario::ShortVisibility).is_err());
    }

    #[test]
    fn at_least_once_and_the_idempotent_worker() {
        let fate = |receives, commits, final_place| Fate {
            receives,
            commits,
            final_place,
        };
        let crash = Setting {
            crash_after_commit: true,
            ..setting(15, 20, 120, false)
        };
        // The right configuration, and still two transfers.
        assert_eq!(crash.expected(), fate(2, 2, Final::Deleted));
        let idempotent = |s: Setting| Setting {
            idempotent: true,
            ..s
        };
        assert_eq!(idempotent(crash).expected(), fate(2, 1, Final::Deleted));
        // Short visibility: the delivery at 10 s finds the job in
        // progress; the one at 20 s finds it completed and deletes it.
        let short = idempotent(setting(15, 20, 10, false));
        assert_eq!(short.expected(), fate(3, 1, Final::Deleted));
        let lenient = Setting {
            stale_delete: StaleDelete::Delete,
            ..short
        };
        assert_eq!(lenient.expected(), fate(2, 1, Final::Deleted));
        // Too many deliveries during the work: still one transfer, but the
        // message ends in the DLQ.
        assert_eq!(
            idempotent(setting(15, 20, 4, false)).expected(),
            fate(3, 1, Final::Dlq)
        );
        assert!(short.check(Scenario::Idempotent).is_ok());
        assert!(
            idempotent(setting(20, 30, 10, false))
                .check(Scenario::Idempotent)
                .is_err()
        );
        assert!(
            Setting {
                crash_after_commit: true,
                ..setting(15, 20, 10, false)
            }
            .check(Scenario::CrashAfterCommit)
            .is_err()
        );
    }

    #[test]
    fn ties_are_refused() {
        assert!(setting(6, 6, 36, false).check(Scenario::AsWritten).is_err());
        assert!(
            setting(10, 20, 10, false)
                .check(Scenario::ShortVisibility)
                .is_err()
        );
        assert!(setting(10, 20, 10, true).check(Scenario::Heartbeat).is_ok());
    }

    #[test]
    fn each_scenario_edits_one_line_of_the_lesson_file() {
        let file = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../lessons/step3-dlq-visibility/serverless.yml"),
        )
        .unwrap();
        let as_written = Scenario::AsWritten.serverless_yml(&file, 3).unwrap();
        assert!(!as_written.contains("timeout: 20"));
        assert!(as_written.contains("WORK_SECONDS: '3'"));
        let heartbeat = Scenario::Heartbeat.serverless_yml(&file, 15).unwrap();
        assert!(heartbeat.contains("HEARTBEAT: 'on'"));
        let fifo = Scenario::FifoShortVisibility
            .serverless_yml(&file, 15)
            .unwrap();
        assert!(fifo.contains("    type: queue\n    fifo: true\n"));
        let both = Scenario::IdempotentCrash.serverless_yml(&file, 15).unwrap();
        assert!(both.contains("IDEMPOTENCY: 'on'"));
        assert!(both.contains("CRASH_AFTER_COMMIT: 'first-receive'"));
        assert!(Scenario::Fixed.serverless_yml("service: x", 15).is_err());
    }
}
