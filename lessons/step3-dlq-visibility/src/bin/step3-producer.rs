//! The producer's `bootstrap`: step 2's producer, unchanged (same contract,
//! `POST /produce` with `{"input": <number>}`), built under step 3's name so
//! that `cargo xtask lesson step3 build` packs it as target/lambda/step3-producer/step3-producer.zip.

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
