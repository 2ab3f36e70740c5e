// Made by `cargo xtask exercise` from lessons/step2-sqs/src/lib.rs: your files are
// this crate's; every other module is the lesson's, by path.
//! # Step 2: producer -> SQS -> worker
//!
//! The retrospective's second step. `POST /produce` reaches the **producer**
//! function, which checks the body (`{"input": <number>}`, the same rules and
//! messages as step 1) and puts it on the `jobs` queue with `aws-sdk-sqs`.
//! The **worker** function is invoked by Lambda's SQS event source mapping
//! with a batch of messages; for each one it computes input + 1 and logs a
//! line. The queue, its dead-letter queue and the mapping come from the
//! serverless-lift `queue` construct in `serverless.yml`.
//!
//! - [`producer`]: the HTTP side; the SQS client comes from `aws-config`, so
//!   the standard `AWS_ENDPOINT_URL_SQS` points it at localcloud.
//! - [`worker`]: the SQS side; a body that is not a valid job is reported in
//!   `batchItemFailures`, so only it is retried, and after `maxRetries`
//!   receives it ends in the DLQ while the rest of the batch succeeds.

#[path = "../../../../lessons/step2-sqs/src/producer.rs"]
pub mod producer;
pub mod worker;
