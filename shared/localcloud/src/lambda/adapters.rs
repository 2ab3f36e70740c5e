//! In-process handlers from the same functions a `bootstrap` would run.
//!
//! A Rust Lambda's `main` hands a handler to `lambda_runtime::run` (or
//! `lambda_http::run`), which reads each event's JSON into the handler's
//! input type and writes its output back as JSON. These adapters do the same
//! inside localcloud, so a test runs the lesson's real handler under tokio's
//! paused clock, with no process and no socket.

use std::future::Future;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Handler, HandlerError, InvokeContext};

/// A `lambda_http` handler (HTTP API payload 2.0 in, `http::Response` out).
pub fn http<F, Fut, E>(handler: F) -> Arc<dyn Handler>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, E>> + Send + 'static,
    E: std::fmt::Display,
{
    let handler = Arc::new(handler);
    Arc::new(move |event: Bytes, _: InvokeContext| {
        let handler = handler.clone();
        async move {
            let text = std::str::from_utf8(&event).map_err(invalid_event)?;
            let request = lambda_http::request::from_str(text).map_err(invalid_event)?;
            let response = handler(request).await.map_err(|e| HandlerError {
                error_type: "Unhandled".into(),
                error_message: e.to_string(),
            })?;
            Ok(Bytes::from(http_response_json(response).to_string()))
        }
    })
}

/// A typed handler (`LambdaEvent<T>` in lambda_runtime's terms): the event
/// read as `T`, the output written as JSON. It also gets the invocation's
/// context, to log to the function's stream.
pub fn event<T, R, F, Fut, E>(handler: F) -> Arc<dyn Handler>
where
    T: DeserializeOwned + Send + 'static,
    R: Serialize,
    F: Fn(T, InvokeContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    E: std::fmt::Display,
{
    let handler = Arc::new(handler);
    Arc::new(move |event: Bytes, context: InvokeContext| {
        let handler = handler.clone();
        async move {
            let input: T = serde_json::from_slice(&event).map_err(invalid_event)?;
            let output = handler(input, context).await.map_err(|e| HandlerError {
                error_type: "Unhandled".into(),
                error_message: e.to_string(),
            })?;
            serde_json::to_vec(&output)
                .map(Bytes::from)
                .map_err(|e| HandlerError {
                    error_type: "Runtime.SerializationError".into(),
                    error_message: e.to_string(),
                })
        }
    })
}

fn invalid_event(e: impl std::fmt::Display) -> HandlerError {
    HandlerError {
        error_type: "Runtime.InvalidEvent".into(),
        error_message: e.to_string(),
    }
}

/// What lambda_http sends back for payload format 2.0.
fn http_response_json(response: Response<Body>) -> serde_json::Value {
    let (parts, body) = response.into_parts();
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == lambda_http::http::header::SET_COOKIE {
            cookies.push(value);
            continue;
        }
        match headers.get_mut(name.as_str()) {
            Some(serde_json::Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), value.into());
            }
        }
    }
    let (body, base64) = match body {
        Body::Empty => (String::new(), false),
        Body::Text(text) => (text, false),
        Body::Binary(bytes) => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            true,
        ),
        _ => (String::new(), false),
    };
    serde_json::json!({
        "statusCode": parts.status.as_u16(),
        "headers": headers,
        "cookies": cookies,
        "body": body,
        "isBase64Encoded": base64,
    })
}
