//! A look at every queue at one instant: the counts GetQueueAttributes
//! gives, the settings that shape a message's life (visibility timeout,
//! dead-letter queue, maxReceiveCount), and the messages in flight with
//! their receive count and the moment they become visible again.
//!
//! SQS has no API for the in-flight list (a message in flight is hidden
//! from everyone but its receipt handle's holder); the live console
//! ([`crate::console`]) shows it because that is where the step-3 story
//! happens. One lock, no await, and the list is capped, so a look never
//! holds the engine up for long.

use serde::Serialize;

use super::Sqs;

/// Every queue, now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqsSnapshot {
    /// The SQS clock's time of the look, epoch milliseconds.
    pub now_epoch_millis: i64,
    /// By name.
    pub queues: Vec<QueueSnapshot>,
}

/// One queue, now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueSnapshot {
    pub name: String,
    pub url: String,
    pub arn: String,
    /// ApproximateNumberOfMessages (exact here).
    pub visible: usize,
    /// ApproximateNumberOfMessagesNotVisible.
    pub in_flight: usize,
    /// ApproximateNumberOfMessagesDelayed.
    pub delayed: usize,
    pub visibility_timeout_seconds: u32,
    /// The RedrivePolicy's target, by name.
    pub dead_letter_queue: Option<String>,
    pub max_receive_count: Option<u32>,
    /// The first in-flight messages, soonest visible again first (at most
    /// the limit given to [`Sqs::snapshot`]; `in_flight` has the total).
    pub in_flight_messages: Vec<InFlightMessage>,
}

/// A message received and not yet deleted, hidden until its visibility
/// timeout runs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlightMessage {
    pub message_id: String,
    pub receive_count: u32,
    pub visible_again_at_epoch_millis: i64,
}

impl Sqs {
    /// Every queue with its counts and up to `in_flight_limit` in-flight
    /// messages per queue, caught up with the clock.
    pub fn snapshot(&self, in_flight_limit: usize) -> SqsSnapshot {
        let (now, now_epoch_millis) = self.now();
        let clock = self.shared.clock;
        let mut engine = self.engine();
        let names: Vec<String> = engine.queues.keys().cloned().collect();
        let mut queues = Vec::with_capacity(names.len());
        for name in names {
            let url = engine.queue_url(&name);
            let Ok(queue) = engine.queue_mut_by_name(&name, now) else {
                continue;
            };
            let counts = queue.counts();
            let policy = queue.settings.redrive_policy.clone();
            let in_flight_messages = queue
                .in_flight_messages(in_flight_limit)
                .into_iter()
                .map(|(message, until)| InFlightMessage {
                    message_id: message.message_id(),
                    receive_count: message.receive_count,
                    visible_again_at_epoch_millis: clock.epoch_millis_at(until),
                })
                .collect();
            let visibility_timeout_seconds = queue.settings.visibility_timeout;
            let arn = queue.arn.to_string();
            queues.push(QueueSnapshot {
                dead_letter_queue: policy
                    .as_ref()
                    .and_then(|p| engine.name_by_arn(&p.dead_letter_target_arn)),
                max_receive_count: policy.map(|p| p.max_receive_count),
                name,
                url,
                arn,
                visible: counts.visible,
                in_flight: counts.in_flight,
                delayed: counts.delayed,
                visibility_timeout_seconds,
                in_flight_messages,
            });
        }
        SqsSnapshot {
            now_epoch_millis,
            queues,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::clock::Clock;
    use crate::sqs::SqsConfig;

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_shows_counts_settings_and_in_flight_deadlines() {
        let sqs = Sqs::new(SqsConfig {
            clock: Clock::starting_at(1_767_225_600_000),
            ..SqsConfig::default()
        });
        sqs.create_queue("jobs-dlq", &BTreeMap::new()).unwrap();
        let jobs = sqs
            .create_queue(
                "jobs",
                &BTreeMap::from([("VisibilityTimeout".to_owned(), "10".to_owned())]),
            )
            .unwrap();
        let policy = serde_json::json!({
            "deadLetterTargetArn": sqs.queue_arn("jobs-dlq").unwrap(),
            "maxReceiveCount": 3,
        });
        sqs.set_queue_attributes(
            "jobs",
            BTreeMap::from([("RedrivePolicy".to_owned(), policy.to_string())]),
        )
        .unwrap();
        for body in ["a", "b", "c"] {
            crate::sqs::protocol::dispatch(
                &sqs,
                "AmazonSQS.SendMessage",
                serde_json::json!({"QueueUrl": jobs, "MessageBody": body})
                    .to_string()
                    .as_bytes(),
            )
            .await
            .unwrap();
        }
        let received = sqs.receive_messages(&jobs, 2, 0).await.unwrap();
        tokio::time::advance(std::time::Duration::from_millis(1_500)).await;

        let snapshot = sqs.snapshot(10);
        assert_eq!(snapshot.now_epoch_millis, 1_767_225_601_500);
        let names: Vec<&str> = snapshot.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["jobs", "jobs-dlq"]);
        let queue = &snapshot.queues[0];
        assert_eq!(
            (queue.visible, queue.in_flight, queue.delayed),
            (1, 2, 0),
            "{queue:?}"
        );
        assert_eq!(queue.visibility_timeout_seconds, 10);
        assert_eq!(queue.dead_letter_queue.as_deref(), Some("jobs-dlq"));
        assert_eq!(queue.max_receive_count, Some(3));
        assert_eq!(queue.url, jobs);
        let ids: Vec<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
        for message in &queue.in_flight_messages {
            assert!(ids.contains(&message.message_id.as_str()));
            assert_eq!(message.receive_count, 1);
            assert_eq!(message.visible_again_at_epoch_millis, 1_767_225_610_000);
        }
        assert_eq!(queue.in_flight_messages.len(), 2);
        assert_eq!(sqs.snapshot(1).queues[0].in_flight_messages.len(), 1);
        assert_eq!(snapshot.queues[1].dead_letter_queue, None);

        // Once the visibility timeout runs out, nothing is in flight.
        tokio::time::advance(std::time::Duration::from_secs(9)).await;
        let queue = &sqs.snapshot(10).queues[0];
        assert_eq!((queue.visible, queue.in_flight), (3, 0));
        assert!(queue.in_flight_messages.is_empty());
    }
}
