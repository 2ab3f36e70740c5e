//! # localcloud
//!
//! An embedded emulator of the AWS services the workshop is about, faithful
//! where the lessons look:
//!
//! - [`config`]: reads a `serverless.yml` into typed structs, with
//!   Serverless Framework v3's defaults and names.
//! - [`lambda`]: Lambda functions, run as real `bootstrap` processes behind an
//!   emulated Runtime API, or as in-process handlers for fast tests.
//! - [`http_api`]: API Gateway HTTP API routes, payload format 2.0.
//! - [`sqs`]: SQS standard queues over the AWS JSON 1.0 protocol.
//! - [`clock`]: all time goes through tokio's clock, so tests can pause it.
//! - [`events`]: what happens inside (sends, receives, deletes, DLQ moves,
//!   invocations per execution environment), as a typed broadcast stream.
//! - [`console`]: a live web page over those events: queues, in-flight
//!   countdowns, invocations, the step-3 timeline, and a few actions.
//!
//! localcloud knows nothing about the lessons: it serves whatever a
//! `serverless.yml` describes.

// Built before xtask: on native Windows, this is the line the build stops
// at (reading pipes with FIONREAD and executable bits need a Unix).
#[cfg(windows)]
compile_error!(
    "the workshop does not build on native Windows: open it in WSL2 (Ubuntu), with rustup installed inside WSL and the repository cloned in the WSL file system (see README.md, Which machines)"
);

pub mod client;
pub mod clock;
pub mod config;
pub mod console;
pub mod dynamodb;
pub mod esm;
pub mod events;
pub mod http_api;
pub mod lambda;
pub mod server;
pub mod sqs;
pub mod stack;
