//! The worker's `bootstrap`: invoked by the SQS event source mapping.
//!
//! `WORK_DELAY_MS` (optional) makes each batch take that long, like the
//! retrospective's `await delay(15000)`: a slow worker for experiments with
//! the visibility timeout, and for the chaos test that kills workers
//! mid-batch.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lesson_kit::init_tracing();
    let delay = match std::env::var("WORK_DELAY_MS") {
        Ok(text) => Duration::from_millis(text.parse().map_err(|_| {
            format!("WORK_DELAY_MS must be a number of milliseconds, got {text:?}")
        })?),
        Err(_) => Duration::ZERO,
    };
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        tokio::time::sleep(delay).await;
        let (response, outcomes) = step2_sqs::worker::work(&event.payload);
        for outcome in &outcomes {
            // println, not tracing: one plain line per job, easy to read and grep.
            println!("{}", outcome.log_line());
        }
        Ok::<SqsBatchResponse, Error>(response)
    }))
    .await
}
