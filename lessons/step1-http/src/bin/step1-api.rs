//! The `bootstrap` of the step-1 function: set up logs, then hand the
//! handler to the Lambda runtime, which asks the Runtime API for events.

use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lesson_kit::init_tracing();
    run(service_fn(step1_http::handler)).await
}
