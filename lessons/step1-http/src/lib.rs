//! # Step 1: an HTTP API in front of one Lambda function
//!
//! The retrospective's first step: `POST /` on an API Gateway **HTTP API**
//! invokes a Lambda function with a *payload format 2.0* event. The function
//! checks that the body is `{ "input": <number> }` and answers
//! `{"input": n, "output": n + 1}`; anything else gets `400` and a message
//! that says what is wrong.
//!
//! The logic is [`respond`], a plain function over bytes, so it is tested
//! without any runtime; [`handler`] adapts it to `lambda_http`, which turns the
//! API Gateway event into an `http::Request` (and decodes a base64 body) and
//! our `http::Response` back into what API Gateway expects.

pub mod scenario;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
// exercise 1-2-validate/use: begin
use lesson_kit::{ErrorBody, Job};
// exercise 1-2-validate/use: end

/// The answer to one request body: status and JSON text.
pub fn respond(body: &[u8]) -> (StatusCode, String) {
    // exercise 1-2-validate: begin
    match Job::from_json_bytes(body) {
        Ok(job) => (StatusCode::OK, job.answer().to_json()),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            ErrorBody::new(e.to_string()).to_json(),
        ),
    }
    // exercise 1-2-validate: end
}

/// The Lambda handler for `POST /`.
pub async fn handler(request: Request) -> Result<Response<Body>, Error> {
    let (status, json) = respond(request.body().as_ref());
    // One line per request in the function's log (CloudWatch on AWS).
    lambda_http::tracing::info!("{} {json}", status.as_u16());
    let response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(json))?;
    Ok(response)
}
