//! API Gateway HTTP API in front of Lambda, payload format 2.0.
//!
//! Follows the API Gateway Developer Guide, "Create AWS Lambda proxy
//! integrations for HTTP APIs"
//! (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
//! and "Working with routes for HTTP APIs":
//!
//! - a request is matched to a route ([`routes`]); none -> `404 {"message":"Not Found"}`;
//! - it becomes a payload-2.0 event ([`event`]) and the route's function is invoked;
//! - the result is mapped back ([`response`]): an object with `statusCode` is
//!   used as given; other valid JSON is sent as `200 application/json`;
//! - a function error, a function timeout or an unusable result ->
//!   `500 {"message":"Internal Server Error"}`: a Lambda that times out
//!   answers the invoke with a function error (`Sandbox.Timedout`), which
//!   HTTP API maps like any other;
//! - the integration timeout (30 s, the `TimeoutInMillis: 30000` that
//!   `osls package` writes for every `httpApi` route) ->
//!   `503 {"message":"Service Unavailable"}`, while the function runs on.

pub mod event;
pub mod response;
pub mod routes;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;

use crate::clock::Clock;
use crate::lambda::{Invocation, InvokeError, Lambda, Outcome};
use routes::{RouteMatch, RouteTable};

/// HTTP API request payloads are limited to 10 MB (API Gateway quotas for HTTP APIs).
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// The integration timeout: at most 30 s for HTTP APIs, which is what
/// Serverless v3 sets (`TimeoutInMillis: 30000`).
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// One HTTP API: routes to functions.
#[derive(Clone)]
pub struct HttpApi {
    inner: Arc<Inner>,
}

struct Inner {
    routes: RouteTable,
    lambda: Lambda,
    clock: Clock,
    api_id: String,
    account_id: String,
    integration_timeout: Duration,
}

impl HttpApi {
    /// `routes`: each route with the name of the function it invokes.
    pub fn new(routes: RouteTable, lambda: Lambda) -> Self {
        let settings = lambda.settings().clone();
        Self {
            inner: Arc::new(Inner {
                routes,
                clock: settings.clock,
                api_id: event::api_id(),
                account_id: settings.account_id,
                lambda,
                integration_timeout: INTEGRATION_TIMEOUT,
            }),
        }
    }

    pub fn routes(&self) -> &RouteTable {
        &self.inner.routes
    }

    pub fn lambda(&self) -> &Lambda {
        &self.inner.lambda
    }

    /// Serves one request, whatever the body type (a socket's or a test's).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let request_id = event::request_id();
        let mut response = self.route(request, &request_id).await;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("apigw-requestid", value);
        }
        response
    }

    async fn route<B>(&self, request: Request<B>, request_id: &str) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let inner = &self.inner;
        let Some(RouteMatch {
            route,
            path_parameters,
        }) = inner.routes.find(request.method(), request.uri().path())
        else {
            return response::gateway_error(StatusCode::NOT_FOUND);
        };
        let (parts, body) = request.into_parts();
        let body = match crate::server::read_body(body, MAX_REQUEST_BYTES).await {
            Ok(body) => body,
            Err(crate::server::BodyError::TooLarge) => {
                return response::gateway_error(StatusCode::PAYLOAD_TOO_LARGE);
            }
            Err(crate::server::BodyError::Unreadable(_)) => {
                return response::gateway_error(StatusCode::BAD_REQUEST);
            }
        };
        let payload = event::to_bytes(&event::EventInput {
            parts: &parts,
            body: &body,
            route_key: &route.route_key,
            path_parameters: &path_parameters,
            request_id,
            api_id: &inner.api_id,
            account_id: &inner.account_id,
            epoch_millis: inner.clock.epoch_millis(),
        });

        // The invocation runs on when the integration times out (the client
        // gets 503) or the client goes away, as on AWS: it is polled here,
        // without a task of its own, and only what is left of it is
        // spawned then ([`RunsToTheEnd`]).
        let lambda = inner.lambda.clone();
        let function = route.function.clone();
        let invocation = RunsToTheEnd::new(
            std::panic::AssertUnwindSafe(async move { lambda.invoke(&function, payload).await })
                .catch_unwind(),
        );
        match tokio::time::timeout(inner.integration_timeout, invocation).await {
            Err(_) => response::gateway_error(StatusCode::SERVICE_UNAVAILABLE),
            Ok(Err(_)) | Ok(Ok(Err(InvokeError::FunctionNotFound(_)))) => {
                response::gateway_error(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Ok(Ok(Err(InvokeError::RequestTooLarge(_)))) => {
                response::gateway_error(StatusCode::PAYLOAD_TOO_LARGE)
            }
            Ok(Ok(Ok(Invocation { outcome, .. }))) => match outcome {
                Outcome::Success(result) => response::from_function_result(&result),
                Outcome::TimedOut { .. }
                | Outcome::FunctionError { .. }
                | Outcome::RuntimeFailure { .. } => {
                    response::gateway_error(StatusCode::INTERNAL_SERVER_ERROR)
                }
            },
        }
    }
}

/// A future polled by its caller that, if the caller drops it before it is
/// done, finishes on a task of its own: an invocation outlives the request
/// that started it.
struct RunsToTheEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    future: Option<Pin<Box<F>>>,
}

impl<F> RunsToTheEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn new(future: F) -> Self {
        Self {
            future: Some(Box::pin(future)),
        }
    }
}

impl<F> Future for RunsToTheEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(future) = self.future.as_mut() else {
            panic!("RunsToTheEnd polled after it finished");
        };
        let output = std::task::ready!(future.as_mut().poll(cx));
        self.future = None;
        Poll::Ready(output)
    }
}

impl<F> Drop for RunsToTheEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn drop(&mut self) {
        if let Some(rest) = self.future.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(rest);
        }
    }
}
