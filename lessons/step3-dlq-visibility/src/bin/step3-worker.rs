//! The worker's `bootstrap`: invoked by the SQS event source mapping.
//! `WORK_SECONDS`, `HEARTBEAT` and `QUEUE_URL` are read once, at init; a bad
//! value stops the init with a message that says what is accepted.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use step3_dlq_visibility::worker::Worker;

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
            Ok::<SqsBatchResponse, Error>(worker.handle(&event.payload, &log).await)
        }
    }))
    .await
}
