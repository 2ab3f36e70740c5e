//! The worker's `bootstrap`: invoked by the SQS event source mapping.
//! `WORK_SECONDS`, `HEARTBEAT`, `QUEUE_URL`, `IDEMPOTENCY`,
//! `IDEMPOTENCY_TABLE` and `CRASH_AFTER_COMMIT` are read once, at init; a bad
//! value stops the init with a message that says what is accepted.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use step3_dlq_visibility::worker::{Deadline, Worker};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lesson_kit::init_tracing();
    let worker = Worker::from_env().await?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = worker.clone();
        async move {
            // println, not tracing: one plain line per commit or heartbeat,
            // easy to read and to count.
            let log = |line: String| println!("{line}");
            let deadline = Deadline::from_epoch_millis(event.context.deadline);
            match worker.handle(&event.payload, deadline, &log).await {
                Ok(response) => Ok::<SqsBatchResponse, Error>(response),
                // A crash, as asked (CRASH_AFTER_COMMIT): the process exits
                // and Lambda reports Runtime.ExitError.
                Err(_) => std::process::exit(1),
            }
        }
    }))
    .await
}
