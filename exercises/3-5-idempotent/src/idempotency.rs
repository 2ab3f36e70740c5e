//! Idempotency: each job's side effect happens once, however many times SQS
//! delivers its message.
//!
//! A standard queue delivers *at least once* (SQS-DG "Amazon SQS standard
//! queues": "occasionally more than one copy of a message might be
//! delivered"), and even with the right timeouts an invocation can fail
//! after its commit and before Lambda deletes the message (step 3's
//! `crash-after-commit` scenario). So the worker remembers what it did, in
//! a DynamoDB table, with one conditional write per job. This is the
//! pattern of Powertools for AWS Lambda's idempotency utility
//! (<https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/>):
//!
//! 1. Before the work, **claim** the job: `PutItem` of
//!    `{id, status: IN_PROGRESS, in_progress_until, expires}` with the
//!    condition "no record yet, or its record has expired, or it is an
//!    IN_PROGRESS record whose invocation's deadline has passed". One
//!    writer wins; DynamoDB checks the condition and writes in one step.
//! 2. If the condition fails, the record says why (asked for with
//!    `ReturnValuesOnConditionCheckFailure: ALL_OLD`): `COMPLETED` means
//!    the job was done before, so the message is acknowledged without a
//!    second commit; `IN_PROGRESS` means another invocation is working on
//!    it now, so this message is reported as a failure and comes back
//!    later.
//! 3. After the commit, mark the record `COMPLETED`.
//!
//! The key is the **job**, read from the message body, not the message id:
//! a message redriven from the dead-letter queue, or sent twice by a
//! producer that retried, is a new message with a new id and the same job.
//!
//! The record's other side (marking it `COMPLETED` after the commit, how
//! long it is kept, what it does not cover) is in [`crate::idempotency_table`].

use std::time::Duration;

use aws_sdk_dynamodb::Client;

use crate::idempotency_table::DEFAULT_KEEP_FOR;
// 쓸 때 앞의 // 를 지우세요. / Remove the // when you use them.
// use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
// use aws_sdk_dynamodb::operation::put_item::PutItemError;
// use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
// use crate::idempotency_table::{number, status};

/// A job's record in the table, as the worker reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This invocation owns the job: do the work, then [`Idempotency::complete`].
    Claimed,
    /// Committed before: acknowledge the message, do not commit again.
    Completed,
    /// Another invocation is working on it: fail this message, so it comes
    /// back after the visibility timeout.
    InProgress,
}

/// The idempotency table and how long records are kept.
#[derive(Clone, Debug)]
pub struct Idempotency {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) keep_for: Duration,
}

impl Idempotency {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            keep_for: DEFAULT_KEEP_FOR,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Claims `key` at `now_millis` for an invocation that must end by
    /// `deadline_millis` (both epoch milliseconds).
    pub async fn claim(
        &self,
        key: &str,
        now_millis: i64,
        deadline_millis: i64,
    ) -> Result<Claim, String> {
        // Epoch seconds: `expires` is the table's TTL attribute.
        let now_seconds = now_millis.div_euclid(1000);
        let expires = self.expires(now_seconds);
        // TODO(3-5-idempotent): 조건부 PutItem 한 번으로 `key`를 선점하세요. 조건이 맞으면
        // Claim::Claimed, 실패하면 돌아온 항목의 status를 보고 Claim::Completed나
        // Claim::InProgress를 돌려주세요. 지금은 모든 전달이 커밋합니다(멱등하지 않음).
        // TODO(3-5-idempotent): claim `key` with one conditional PutItem. When the
        // condition holds, Claim::Claimed; when it fails, read the returned item's
        // status: Claim::Completed or Claim::InProgress. As written, every delivery
        // commits (not idempotent).
        let _ = (
            &self.client,
            &self.table,
            key,
            now_seconds,
            deadline_millis,
            expires,
        );
        Ok(Claim::Claimed)
    }
}
