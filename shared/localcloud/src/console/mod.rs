//! The live console: a web page, served by localcloud itself, that shows
//! the step-3 story as it happens: queues with their visible, delayed and
//! in-flight messages (each with its receive count and a countdown to the
//! end of its visibility timeout), the dead-letter queue, every invocation
//! per function and execution environment with its log lines, and a
//! timeline of receives, commits, stale deletes, timeouts and DLQ moves.
//!
//! How it stays out of the emulator's way:
//! - it reads the existing broadcast streams ([`crate::events`] and the
//!   functions' [`crate::lambda::logs`]): emitting never waits for it, and
//!   when it falls behind (`RecvError::Lagged`) it counts what it missed and
//!   carries on; the queues and environments it shows come from a snapshot
//!   ([`crate::sqs::Sqs::snapshot`], [`crate::lambda::Lambda::snapshot`])
//!   taken at every flush, so they are right again at the next one;
//! - one task ([`hub`]) turns the streams into batches, at most one every
//!   [`FLUSH_EVERY`], serialised once for every browser; a browser that
//!   cannot keep up is resynchronised from a snapshot instead of queueing;
//! - the page is three static files (no framework, no build step),
//!   compiled into the binary.
//!
//! The actions a learner needs while experimenting (send a message, change
//! the visibility timeout, redrive the DLQ, purge) go through the SQS API's
//! own dispatch ([`actions`]), so they validate and fail exactly as the API
//! does. Like every localcloud server it binds 127.0.0.1; on top of that it
//! answers only requests addressed to itself (the `Host` header, against DNS
//! rebinding) and runs actions only for its own page (`Origin`), so a page
//! on another site cannot purge a learner's queue ([`guard`]).

mod actions;
mod body;
mod guard;
mod hub;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

pub use body::ConsoleBody;

use crate::lambda::Lambda;
use crate::server::{self, CancellationToken};
use crate::sqs::Sqs;
use crate::stack::Stack;

/// The console's default port: the one beside SQS's 9324, as ElasticMQ's
/// UI does.
pub const DEFAULT_PORT: u16 = 9325;

/// How often the console sends what happened: often enough to look live,
/// seldom enough that a burst of a thousand messages is one update.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);

const INDEX_HTML: &str = include_str!("assets/index.html");
const CONSOLE_JS: &str = include_str!("assets/console.js");
const CONSOLE_CSS: &str = include_str!("assets/console.css");

/// What the console looks at.
#[derive(Clone)]
pub struct Sources {
    pub sqs: Sqs,
    /// `None` for SQS alone (`cargo xtask localcloud up` without a service).
    pub lambda: Option<Lambda>,
    /// Function name -> the queues its event source mappings read: the
    /// functions whose environments the timeline draws.
    pub event_sources: BTreeMap<String, Vec<String>>,
}

impl Sources {
    /// A stack's SQS, Lambda and mappings.
    pub fn of_stack(stack: &Stack) -> Self {
        let event_sources = stack
            .config
            .functions
            .iter()
            .filter(|f| !f.sqs_events.is_empty())
            .map(|f| {
                let queues = f.sqs_events.iter().map(|e| e.queue.clone()).collect();
                (f.name.clone(), queues)
            })
            .collect();
        Self {
            sqs: stack.sqs.clone(),
            lambda: Some(stack.lambda.clone()),
            event_sources,
        }
    }

    /// SQS alone.
    pub fn sqs_only(sqs: &Sqs) -> Self {
        Self {
            sqs: sqs.clone(),
            lambda: None,
            event_sources: BTreeMap::new(),
        }
    }
}

/// A console being served; it stops with the `shutdown` it was given.
#[derive(Debug, Clone)]
pub struct RunningConsole {
    /// `http://127.0.0.1:9325/`
    pub url: String,
    pub port: u16,
}

/// Binds `127.0.0.1:port` (`0` picks a free port), starts following the
/// streams of `sources` and serves the console until `shutdown`.
pub async fn serve(
    sources: Sources,
    port: u16,
    shutdown: CancellationToken,
) -> std::io::Result<RunningConsole> {
    let listener = server::bind_loopback(port).await?;
    let port = listener.local_addr()?.port();
    let hub = hub::Hub::start(sources, shutdown.clone());
    let console = Arc::new(Console {
        hub,
        port,
        shutdown: shutdown.clone(),
    });
    let handler = move |req| {
        let console = console.clone();
        async move { console.handle(req).await }
    };
    tokio::spawn(server::serve(listener, handler, shutdown));
    Ok(RunningConsole {
        url: format!("http://127.0.0.1:{port}/"),
        port,
    })
}

struct Console {
    hub: Arc<hub::Hub>,
    port: u16,
    shutdown: CancellationToken,
}

impl Console {
    async fn handle(&self, req: Request<Incoming>) -> Response<ConsoleBody> {
        if let Err(reason) = guard::check(&req, self.port) {
            return guard::refuse(&reason);
        }
        let path = req.uri().path().to_owned();
        match (req.method(), path.as_str()) {
            (&Method::GET | &Method::HEAD, "/" | "/index.html") => {
                asset(INDEX_HTML, "text/html; charset=utf-8")
            }
            (&Method::GET | &Method::HEAD, "/console.js") => {
                asset(CONSOLE_JS, "text/javascript; charset=utf-8")
            }
            (&Method::GET | &Method::HEAD, "/console.css") => {
                asset(CONSOLE_CSS, "text/css; charset=utf-8")
            }
            (&Method::GET, "/api/snapshot") => json(StatusCode::OK, self.hub.snapshot().1),
            (&Method::GET, "/api/events") => {
                body::event_stream(self.hub.clone(), self.shutdown.clone())
            }
            (&Method::POST, action) if action.starts_with("/api/actions/") => {
                let name = action.trim_start_matches("/api/actions/").to_owned();
                let (status, answer) = actions::run(&self.hub.sources().sqs, &name, req).await;
                json(status, answer)
            }
            (_, "/" | "/index.html" | "/console.js" | "/console.css" | "/api/snapshot")
            | (_, "/api/events") => json(
                StatusCode::METHOD_NOT_ALLOWED,
                serde_json::json!({"error": "method not allowed"}).to_string(),
            ),
            _ => json(
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": format!("no page {path}")}).to_string(),
            ),
        }
    }
}

/// A static file, with headers that keep it from being framed by another
/// site or loading anything but its own files.
fn asset(text: &'static str, content_type: &'static str) -> Response<ConsoleBody> {
    let mut response = Response::new(ConsoleBody::full(Bytes::from_static(text.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    response
}

fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<ConsoleBody> {
    let mut response = Response::new(ConsoleBody::full(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
