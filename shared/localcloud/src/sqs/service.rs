//! SQS as a `tower::Service`, reached over TCP or in memory.
//!
//! - [`SqsService`]: `http::Request` in, `http::Response` out; checks the
//!   method, size and target, then [`super::protocol::dispatch`].
//! - [`serve`]: the service on a 127.0.0.1 listener (hyper).
//! - [`InMemoryHttpClient`]: an HTTP client for the AWS SDK that calls the
//!   service directly, with no socket, so a test can drive localcloud with
//!   the real `aws-sdk-sqs` client under `tokio::time::pause()`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt, Full};
use tokio::net::TcpListener;

use super::Sqs;
use super::error::{ErrorCode, SqsError};
use crate::server::{self, CancellationToken};

/// Requests above this size are refused before parsing (the largest valid
/// request, a 1 MiB batch, JSON-escaped, fits well below it).
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// The SQS API as a tower service.
#[derive(Clone)]
pub struct SqsService {
    sqs: Sqs,
}

impl SqsService {
    pub fn new(sqs: Sqs) -> Self {
        Self { sqs }
    }

    /// Serves one request: SQS, or DynamoDB when `X-Amz-Target` starts
    /// with `DynamoDB_20120810.` (one endpoint for both, as LocalStack
    /// serves every service on one port).
    pub async fn call_http<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let request_id = uuid::Uuid::new_v4().to_string();
        let is_dynamodb = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with(crate::dynamodb::protocol::TARGET_PREFIX));
        let mut response = if is_dynamodb {
            match self.answer_dynamodb(request).await {
                Ok(body) => json_1_0(body),
                Err(error) => {
                    let mut response = json_1_0(Bytes::from(error.body()));
                    *response.status_mut() = error.code.http_status();
                    response
                }
            }
        } else {
            match self.answer(request).await {
                Ok(body) => json_1_0(body),
                Err(error) => error_response(&error),
            }
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-amzn-requestid", value);
        }
        response
    }

    async fn answer_dynamodb<B>(
        &self,
        request: Request<B>,
    ) -> Result<Bytes, crate::dynamodb::DynamoError>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        use crate::dynamodb::{DynamoError, ErrorCode as DynamoCode};
        if request.method() != Method::POST {
            return Err(DynamoError::new(
                DynamoCode::UnknownOperationException,
                "localcloud's DynamoDB speaks the AWS JSON 1.0 protocol: POST / with X-Amz-Target: DynamoDB_20120810.<Operation>.",
            ));
        }
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = match crate::server::read_body(request.into_body(), MAX_REQUEST_BYTES).await {
            Ok(body) => body,
            Err(crate::server::BodyError::TooLarge) => {
                return Err(DynamoError::new(
                    DynamoCode::RequestEntityTooLargeException,
                    format!("The request is larger than {MAX_REQUEST_BYTES} bytes."),
                ));
            }
            Err(crate::server::BodyError::Unreadable(e)) => {
                return Err(DynamoError::serialization(format!(
                    "Cannot read the request body: {e}"
                )));
            }
        };
        crate::dynamodb::protocol::dispatch(&self.sqs.dynamodb(), &target, &body)
    }

    async fn answer<B>(&self, request: Request<B>) -> Result<Bytes, SqsError>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        if request.method() != Method::POST {
            return Err(SqsError::new(
                ErrorCode::UnknownOperation,
                "localcloud's SQS speaks the AWS JSON 1.0 protocol: POST / with X-Amz-Target: AmazonSQS.<Operation> (use a current AWS SDK, boto3 or AWS CLI).",
            ));
        }
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = match crate::server::read_body(request.into_body(), MAX_REQUEST_BYTES).await {
            Ok(body) => body,
            Err(crate::server::BodyError::TooLarge) => {
                return Err(SqsError::new(
                    ErrorCode::RequestTooLarge,
                    format!("The request is larger than {MAX_REQUEST_BYTES} bytes."),
                ));
            }
            Err(crate::server::BodyError::Unreadable(e)) => {
                return Err(SqsError::new(
                    ErrorCode::SerializationException,
                    format!("Cannot read the request body: {e}"),
                ));
            }
        };
        super::protocol::dispatch(&self.sqs, &target, &body).await
    }
}

fn json_1_0(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}

fn error_response(error: &SqsError) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(error.body())));
    *response.status_mut() = error.code.http_status();
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Ok(value) = HeaderValue::from_str(&error.query_error_header()) {
        headers.insert("x-amzn-query-error", value);
    }
    response
}

impl<B> tower::Service<Request<B>> for SqsService
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.call_http(request).await) })
    }
}

/// Serves SQS on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, sqs: Sqs, shutdown: CancellationToken) {
    let service = SqsService::new(sqs);
    let handler = move |request| {
        let service = service.clone();
        async move { service.call_http(request).await }
    };
    server::serve(listener, handler, shutdown).await;
}

/// An AWS SDK HTTP client that calls localcloud's SQS in memory.
#[derive(Clone)]
pub struct InMemoryHttpClient {
    service: SqsService,
}

impl std::fmt::Debug for InMemoryHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InMemoryHttpClient(localcloud sqs)")
    }
}

impl InMemoryHttpClient {
    pub fn new(sqs: Sqs) -> Self {
        Self {
            service: SqsService::new(sqs),
        }
    }
}

impl HttpClient for InMemoryHttpClient {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for InMemoryHttpClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let service = self.service.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let (parts, body) = request.into_parts();
            let bytes = Bytes::copy_from_slice(body.bytes().unwrap_or_default());
            let request = Request::from_parts(parts, Full::new(bytes));
            let response = service.call_http(request).await;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let response = Response::from_parts(parts, SdkBody::from(body));
            response
                .try_into()
                .map_err(|e: aws_smithy_runtime_api::http::HttpError| {
                    ConnectorError::other(e.into(), None)
                })
        })
    }
}
