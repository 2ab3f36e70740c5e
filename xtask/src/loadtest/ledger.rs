//! The pipeline's ledger after a load test: every job the producer
//! accepted is accounted for, from localcloud's event stream (what was put
//! on the queue, what moved to the DLQ, which invocations run) and the
//! worker's log lines (what it finished).

use std::collections::{BTreeMap, BTreeSet};

use localcloud::events::EventKind;
use serde::Serialize;

/// The six counts, as `summary.json` holds them under `"ledger"`.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Ledger {
    /// Jobs the producer put on the queue (its 200s).
    pub accepted: usize,
    /// Distinct jobs the worker finished.
    pub processed: usize,
    /// Jobs the worker finished more than once.
    pub duplicates: usize,
    /// Jobs moved to the dead-letter queue.
    pub dlq: usize,
    /// Messages still in the queue (visible, in flight or delayed).
    pub queued: usize,
    /// Accepted jobs that are neither processed, in the DLQ, nor queued.
    pub lost: usize,
    #[serde(skip)]
    queue: String,
    #[serde(skip)]
    sent: BTreeSet<String>,
    #[serde(skip)]
    finished: BTreeMap<String, usize>,
    #[serde(skip)]
    moved: BTreeSet<String>,
    #[serde(skip)]
    running: i64,
    /// Events the reader could not keep up with (then the counts are wrong).
    #[serde(skip)]
    pub missed: u64,
}

/// The worker's line for a finished job: step 2's `job <id> receive <n>:
/// input <x> -> output <y>`, step 3's `commit <id> receive <n>: ...`.
fn finished_job(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("job ")
        .or_else(|| text.strip_prefix("commit "))?;
    let (id, rest) = rest.split_once(" receive ")?;
    let (_, what) = rest.split_once(": ")?;
    what.starts_with("input ").then_some(id)
}

impl Ledger {
    pub fn new(queue: &str) -> Self {
        Self {
            queue: queue.to_owned(),
            ..Default::default()
        }
    }

    /// Counts one event of the stack.
    pub fn add_event(&mut self, kind: &EventKind) {
        match kind {
            EventKind::MessageSent { queue, message_id } if *queue == self.queue => {
                self.sent.insert(message_id.clone());
            }
            EventKind::MovedToDeadLetterQueue {
                queue, message_id, ..
            } if *queue == self.queue => {
                self.moved.insert(message_id.clone());
            }
            EventKind::InvocationStarted { .. } => self.running += 1,
            EventKind::InvocationFinished { .. } => self.running -= 1,
            _ => {}
        }
    }

    /// Counts one log line of the stack's functions.
    pub fn add_line(&mut self, text: &str) {
        if let Some(id) = finished_job(text) {
            *self.finished.entry(id.to_owned()).or_default() += 1;
        }
    }

    /// Invocations started and not finished yet.
    pub fn running(&self) -> i64 {
        self.running
    }

    /// The counts, once `queued` is known.
    pub fn close(&mut self) {
        self.accepted = self.sent.len();
        self.processed = self.finished.len();
        self.duplicates = self.finished.values().filter(|n| **n > 1).count();
        self.dlq = self.moved.len();
        let unaccounted = self
            .sent
            .iter()
            .filter(|id| !self.finished.contains_key(*id) && !self.moved.contains(*id))
            .count();
        self.lost = unaccounted.saturating_sub(self.queued);
    }

    pub fn render(&self) -> String {
        format!(
            "ledger\n  accepted    {:>7}   jobs the producer put on the queue (its 200s)\n  processed   {:>7}   distinct jobs the worker finished\n  duplicates  {:>7}   jobs finished more than once\n  dlq         {:>7}   jobs moved to the dead-letter queue\n  queued      {:>7}   messages still in the queue\n  lost        {:>7}   accepted, and none of the above",
            self.accepted, self.processed, self.duplicates, self.dlq, self.queued, self.lost
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(id: &str) -> EventKind {
        EventKind::MessageSent {
            queue: "jobs".into(),
            message_id: id.into(),
        }
    }

    #[test]
    fn every_accepted_job_is_accounted_for() {
        let mut ledger = Ledger::new("jobs");
        for id in ["a", "b", "c", "d", "e"] {
            ledger.add_event(&sent(id));
        }
        // Another queue's messages are not the producer's.
        ledger.add_event(&EventKind::MessageSent {
            queue: "jobs-dlq".into(),
            message_id: "z".into(),
        });
        ledger.add_line("job a receive 1: input 1 -> output 2");
        ledger.add_line("commit b receive 1: input 2 -> output 3");
        ledger.add_line("commit b receive 2: input 2 -> output 3");
        ledger.add_line("job c receive 1: rejected: the message body is empty");
        ledger.add_event(&EventKind::MovedToDeadLetterQueue {
            queue: "jobs".into(),
            dead_letter_queue: "jobs-dlq".into(),
            message_id: "b".into(),
            receive_count: 3,
            max_receive_count: 3,
        });
        ledger.add_event(&EventKind::MovedToDeadLetterQueue {
            queue: "jobs".into(),
            dead_letter_queue: "jobs-dlq".into(),
            message_id: "c".into(),
            receive_count: 3,
            max_receive_count: 3,
        });
        // d is still in the queue; e is nowhere.
        ledger.queued = 1;
        ledger.close();
        assert_eq!(
            (
                ledger.accepted,
                ledger.processed,
                ledger.duplicates,
                ledger.dlq,
                ledger.queued,
                ledger.lost
            ),
            (5, 2, 1, 2, 1, 1)
        );
        assert_eq!(
            serde_json::to_value(&ledger).unwrap(),
            serde_json::json!({"accepted": 5, "processed": 2, "duplicates": 1, "dlq": 2, "queued": 1, "lost": 1})
        );
    }
}
