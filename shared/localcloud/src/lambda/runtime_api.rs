//! The Lambda Runtime API, as one execution environment sees it.
//!
//! A custom runtime (`provided.al2023`) is a `bootstrap` program that loops:
//! `GET /2018-06-01/runtime/invocation/next` (blocks until there is an event),
//! then `POST .../invocation/{id}/response` or `.../error`. Failures before
//! the first `next` go to `POST .../runtime/init/error`.
//! (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
//!
//! Each environment gets its own listener on 127.0.0.1, the address its
//! `AWS_LAMBDA_RUNTIME_API` variable names, exactly as on AWS where every
//! environment has its own local endpoint. Answers follow the doc: `next`
//! carries the event and the `Lambda-Runtime-*` headers (and `Content-Type`,
//! which AWS's own C++ runtime client needs); `response`/`error` answer `202`;
//! a second answer for the same invocation gets `403 InvalidStateTransition`
//! and an unknown request id `400 InvalidRequestID` (as AWS's Runtime
//! Interface Emulator answers); a response body over 6 MB gets `413`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::sync::{mpsc, oneshot};

use crate::server::{CancellationToken, json_response};

/// The synchronous invocation payload limit, request and response:
/// 6 MB (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

const PREFIX: &str = "/2018-06-01/runtime";

/// An event waiting for the runtime's next `GET .../next`.
#[derive(Debug)]
pub struct Pending {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline_epoch_millis: i64,
    pub function_arn: String,
    pub trace_id: String,
    pub reply: oneshot::Sender<Reply>,
}

/// What the runtime answered for one invocation.
#[derive(Debug)]
pub enum Reply {
    Response(Bytes),
    Error {
        /// `Lambda-Runtime-Function-Error-Type` header, if any.
        error_type: Option<String>,
        body: Bytes,
    },
}

/// What happened during init: the first `next` (ready), or `init/error`.
#[derive(Debug)]
pub enum InitSignal {
    Ready,
    Failed {
        error_type: Option<String>,
        body: Bytes,
    },
}

/// The state behind one environment's Runtime API endpoint.
pub struct RuntimeApi {
    events: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    /// The last invocation answered, until the next `next`.
    answered: Mutex<Option<String>>,
    init: Mutex<Option<oneshot::Sender<InitSignal>>>,
}

/// The handles the environment keeps: where to post events, and the init signal.
pub struct RuntimeApiHandles {
    pub events: mpsc::Sender<Pending>,
    pub init: oneshot::Receiver<InitSignal>,
}

impl RuntimeApi {
    pub fn new() -> (Arc<Self>, RuntimeApiHandles) {
        let (events_tx, events_rx) = mpsc::channel(1);
        let (init_tx, init_rx) = oneshot::channel();
        let api = Arc::new(Self {
            events: tokio::sync::Mutex::new(events_rx),
            in_flight: Mutex::new(HashMap::new()),
            answered: Mutex::new(None),
            init: Mutex::new(Some(init_tx)),
        });
        (
            api,
            RuntimeApiHandles {
                events: events_tx,
                init: init_rx,
            },
        )
    }

    fn signal_init(&self, signal: InitSignal) {
        // The lock is never held across an await.
        if let Some(tx) = self.init.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(signal);
        }
    }

    /// Serves one Runtime API request.
    pub async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        shutdown: CancellationToken,
    ) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let Some(rest) = path.strip_prefix(PREFIX) else {
            return not_found(&path);
        };
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        match (request.method(), segments.as_slice()) {
            (&Method::GET, ["invocation", "next"]) => self.next(shutdown).await,
            (&Method::POST, ["invocation", id, "response"]) => {
                let id = id.to_string();
                match read_body(request).await {
                    Ok(body) => self.reply(&id, Reply::Response(body)),
                    Err(response) => response,
                }
            }
            (&Method::POST, ["invocation", id, "error"]) => {
                let id = id.to_string();
                let error_type = error_type_header(&request);
                match read_body(request).await {
                    Ok(body) => self.reply(&id, Reply::Error { error_type, body }),
                    Err(response) => response,
                }
            }
            (&Method::POST, ["init", "error"]) => {
                let error_type = error_type_header(&request);
                match read_body(request).await {
                    Ok(body) => {
                        self.signal_init(InitSignal::Failed { error_type, body });
                        accepted()
                    }
                    Err(response) => response,
                }
            }
            _ => not_found(&path),
        }
    }

    async fn next(&self, shutdown: CancellationToken) -> Response<Full<Bytes>> {
        self.signal_init(InitSignal::Ready);
        *self.answered.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let pending = {
            let mut events = self.events.lock().await;
            tokio::select! {
                pending = events.recv() => pending,
                _ = shutdown.cancelled() => None,
            }
        };
        let Some(pending) = pending else {
            // The environment is going away; the process is about to be stopped.
            return error_response(
                StatusCode::GONE,
                "Runtime.Shutdown",
                "the execution environment is shutting down",
            );
        };
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(pending.request_id.clone(), pending.reply);
        let mut response = json_response(StatusCode::OK, pending.payload);
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set("lambda-runtime-aws-request-id", &pending.request_id);
        set(
            "lambda-runtime-deadline-ms",
            &pending.deadline_epoch_millis.to_string(),
        );
        set("lambda-runtime-invoked-function-arn", &pending.function_arn);
        set("lambda-runtime-trace-id", &pending.trace_id);
        response
    }

    fn reply(&self, request_id: &str, reply: Reply) -> Response<Full<Bytes>> {
        let waiting = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(request_id);
        match waiting {
            Some(tx) => {
                *self.answered.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(request_id.to_owned());
                // The invoker may have given up (timeout); the runtime still gets 202.
                let _ = tx.send(reply);
                accepted()
            }
            None if self
                .answered
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_deref()
                == Some(request_id) =>
            {
                let target = match reply {
                    Reply::Response(_) => "InvocationResponse",
                    Reply::Error { .. } => "InvocationErrorResponse",
                };
                error_response(
                    StatusCode::FORBIDDEN,
                    "InvalidStateTransition",
                    &format!(
                        "State transition from RuntimeResponseSentState to {target} failed for runtime. Error: State transition is not allowed"
                    ),
                )
            }
            None => error_response(
                StatusCode::BAD_REQUEST,
                "InvalidRequestID",
                &format!("Invalid request ID: {request_id:?} is not an invocation in progress"),
            ),
        }
    }
}

fn error_type_header(request: &Request<Incoming>) -> Option<String> {
    request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn read_body(request: Request<Incoming>) -> Result<Bytes, Response<Full<Bytes>>> {
    match crate::server::read_body(request.into_body(), MAX_PAYLOAD_BYTES).await {
        Ok(body) => Ok(body),
        Err(crate::server::BodyError::TooLarge) => Err(error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("the payload is larger than the {MAX_PAYLOAD_BYTES}-byte limit"),
        )),
        Err(crate::server::BodyError::Unreadable(e)) => Err(error_response(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            &format!("cannot read the request body: {e}"),
        )),
    }
}

fn accepted() -> Response<Full<Bytes>> {
    json_response(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    error_response(
        StatusCode::NOT_FOUND,
        "InvalidRequest",
        &format!("{path} is not a Runtime API path"),
    )
}

fn error_response(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
    json_response(status, body.to_string())
}
