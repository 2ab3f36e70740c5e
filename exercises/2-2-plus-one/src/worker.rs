//! The worker: one batch of SQS messages in, input + 1 for each.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
// 쓸 때 앞의 // 를 지우세요. / Remove the // when you use them.
// use aws_lambda_events::event::sqs::BatchItemFailure;
// use lesson_kit::Job;

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
        // TODO(2-2-plus-one): 회고의 TODO, "Step 1을 참고하여, +1 를 하는 코드를 넣으세요".
        // body가 작업이면 JobOutcome::Done { message_id, receive_count, input, output }
        // (output은 input + 1)을 outcomes에 넣고, 아니면 JobOutcome::Rejected { .., reason }을
        // 넣고 이 메시지를 response.batch_item_failures에 보고하세요(BatchItemFailure::default()).
        // TODO(2-2-plus-one): if `body` is a job, push JobOutcome::Done { message_id,
        // receive_count, input, output } (output is input + 1) to `outcomes`; if not, push
        // JobOutcome::Rejected { .., reason } and report the message in
        // response.batch_item_failures (BatchItemFailure::default()).
        let _ = (
            body,
            &message_id,
            &receive_count,
            &mut response,
            &mut outcomes,
        );
        todo!("2-2-plus-one")
    }
    (response, outcomes)
}
