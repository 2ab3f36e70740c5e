//! What every lesson shares.
//!
//! The retrospective's contract is one sentence: *the body must be
//! `{ "input": <number> }`, otherwise answer `400` with a clear message*.
//! This crate is that sentence in code, so that step 1 (HTTP API), step 2
//! (producer and worker) and step 3 say exactly the same thing:
//!
//! - [`Job`]: a validated payload, parsed from raw bytes ([`Job::from_json_bytes`]).
//! - [`ExactNumber`]: the input kept as the exact decimal the client sent, so
//!   `9007199254740993 + 1` is `9007199254740994` and not a float rounding.
//! - [`PayloadError`]: every way a body can be wrong, each with a message
//!   written for a learner, never a panic.
//! - [`ErrorBody`]: the `{"message": "..."}` JSON every 4xx/5xx carries.
//! - [`init_tracing`]: the log setup every Lambda binary calls first.

mod number;
mod payload;

pub use number::{ExactNumber, NumberError};
pub use payload::{Answer, Job, JsonKind, PayloadError};

use serde::Serialize;

/// The body of every error answer: `{"message": "..."}`, the same shape API
/// Gateway uses for its own errors (`{"message":"Not Found"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub message: String,
}

impl ErrorBody {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The JSON text of this body.
    pub fn to_json(&self) -> String {
        // A struct of one string field always serializes.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"message":"error"}"#.to_owned())
    }
}

/// Sets up logging for a Lambda binary: plain text lines on stdout, which
/// Lambda (and localcloud) put in the function's log stream next to the
/// START / END / REPORT lines. `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL` pick the
/// level; `AWS_LAMBDA_LOG_FORMAT=JSON` switches to JSON lines.
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}
