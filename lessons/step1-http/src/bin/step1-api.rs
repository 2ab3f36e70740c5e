//! The `bootstrap` of the step-1 function: set up logs, then hand the
//! handler to the Lambda runtime, which asks the Runtime API for events.
//!
//! A Lambda execution environment runs one invocation at a time, so a
//! single-threaded tokio runtime is enough, and it saves a thread hand-off
//! on every event (measured: `cargo xtask bench step1`).

use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lesson_kit::init_tracing();
    run(service_fn(step1_http::handler)).await
}
