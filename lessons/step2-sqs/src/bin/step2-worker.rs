//! The worker's `bootstrap`: invoked by the SQS event source mapping.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lesson_kit::init_tracing();
    run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let (response, outcomes) = step2_sqs::worker::work(&event.payload);
        for outcome in &outcomes {
            // println, not tracing: one plain line per job, easy to read and grep.
            println!("{}", outcome.log_line());
        }
        Ok::<SqsBatchResponse, Error>(response)
    }))
    .await
}
