//! The producer's `bootstrap`: build the SQS client once (init), then serve
//! `POST /produce` events. One invocation per environment at a time, so a
//! single-threaded runtime is enough.

use lambda_http::{Error, Request, run, service_fn};
use step2_sqs::producer::Producer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lesson_kit::init_tracing();
    let producer = Producer::from_env().await?;
    run(service_fn(|request: Request| {
        let producer = producer.clone();
        async move { producer.handle(request).await }
    }))
    .await
}
