//! Localcloud's integration tests, in one test binary: each module
//! is one file of tests, and the dependency tree is linked once for all of
//! them instead of once per file.

mod console;
mod dynamodb_sdk;
mod esm;
mod events;
mod http_api_in_process;
mod process_mode;
mod runtime_api;
mod sqs_fifo;
mod sqs_fifo_model;
mod sqs_model;
mod sqs_sdk;
mod sqs_tcp;
