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

#[path = "../../../../lessons/step1-http/src/scenario.rs"]
pub mod scenario;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
// 쓸 때 앞의 // 를 지우세요. / Remove the // when you use them.
// use lesson_kit::{ErrorBody, ExactNumber};

/// The answer to one request body: status and JSON text.
pub fn respond(body: &[u8]) -> (StatusCode, String) {
    // TODO(1-2-validate): body가 정확히 {"input": <숫자>}이면 (200, {"input":n,"output":n+1}),
    // 아니면 (400, {"message":"무엇이 잘못되었는지"})를 돌려주세요.
    // TODO(1-2-validate): if `body` is exactly {"input": <number>}, return
    // (200, {"input":n,"output":n+1}); otherwise (400, {"message":"what is wrong"}).
    let _ = body;
    todo!("1-2-validate")
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
