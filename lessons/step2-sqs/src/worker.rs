//! The worker: one batch of SQS messages in, input + 1 for each.

// exercise 2-2-plus-one/use: begin
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lesson_kit::Job;
// exercise 2-2-plus-one/use: end

/// What happened to one message, for the log and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done {
        message_id: String,
        receive_count: String,
        input: String,
        output: String,
    },
    Rejected {
        message_id: String,
        receive_count: String,
        reason: String,
    },
}

impl JobOutcome {
    /// The log line: `job <id> receive 1: input 1 -> output 2`.
    pub fn log_line(&self) -> String {
        match self {
            JobOutcome::Done {
                message_id,
                receive_count,
                input,
                output,
            } => format!(
                "job {message_id} receive {receive_count}: input {input} -> output {output}"
            ),
            JobOutcome::Rejected {
                message_id,
                receive_count,
                reason,
            } => format!("job {message_id} receive {receive_count}: rejected: {reason}"),
        }
    }
}

/// Processes a batch. A body that is not `{"input": <number>}` goes in
/// `batchItemFailures` (with `ReportBatchItemFailures`, Lambda deletes the
/// rest and leaves that one for a retry, then the DLQ).
pub fn work(event: &SqsEvent) -> (SqsBatchResponse, Vec<JobOutcome>) {
    let mut response = SqsBatchResponse::default();
    let mut outcomes = Vec::new();
    for record in &event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .cloned()
            .unwrap_or_else(|| "?".into());
        let body = record.body.as_deref().unwrap_or("");
        // exercise 2-2-plus-one: begin
        match Job::from_json_str(body) {
            Ok(job) => {
                let answer = job.answer();
                outcomes.push(JobOutcome::Done {
                    message_id,
                    receive_count,
                    input: answer.input.to_string(),
                    output: answer.output.to_string(),
                });
            }
            Err(e) => {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message_id.clone();
                response.batch_item_failures.push(failure);
                outcomes.push(JobOutcome::Rejected {
                    message_id,
                    receive_count,
                    // "the message body ...": it came from the queue.
                    reason: e.as_message_body(),
                });
            }
        }
        // exercise 2-2-plus-one: end
    }
    (response, outcomes)
}
