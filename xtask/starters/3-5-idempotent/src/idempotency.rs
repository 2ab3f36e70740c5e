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
//! `expires` is the table's Time to Live attribute (epoch seconds). TTL
//! deletes expired records eventually, "typically within a few days", and
//! until then reads still return them (DDB-DG "Time to Live"), so the
//! condition itself treats an expired record as absent, as AWS's guide
//! advises.
//!
//! What this does not cover: a crash *between* the commit and the
//! `COMPLETED` mark leaves an `IN_PROGRESS` record, which the next delivery
//! may claim once its deadline has passed, and commit again. A real
//! transfer closes that gap by making the mark and the side effect one
//! transaction (DynamoDB `TransactWriteItems`), or by handing the key to a
//! payment API that deduplicates on it.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

/// How long a job's record is kept (its `expires`): a redelivery within
/// this time finds it. SQS keeps a message at most 14 days; a day is far
/// longer than any redelivery of this lesson.
pub const DEFAULT_KEEP_FOR: Duration = Duration::from_secs(24 * 3600);

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
    client: Client,
    table: String,
    keep_for: Duration,
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
        let expires = now_seconds + i64::try_from(self.keep_for.as_secs()).unwrap_or(i64::MAX / 2);
        // TODO(3-5-idempotent): 조건부 PutItem 한 번으로 `key`를 찜하세요. 조건이 맞으면
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

    /// Marks `key` done: later deliveries of the job are acknowledged
    /// without a commit.
    pub async fn complete(&self, key: &str, now_millis: i64) -> Result<(), String> {
        let expires = now_millis.div_euclid(1000)
            + i64::try_from(self.keep_for.as_secs()).unwrap_or(i64::MAX / 2);
        self.client
            .update_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(key.to_owned()))
            .update_expression(
                "SET #status = :completed, expires = :expires REMOVE in_progress_until",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":completed", AttributeValue::S("COMPLETED".into()))
            .expression_attribute_values(":expires", number(expires))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match &e {
                SdkError::ServiceError(service) => format!(
                    "{}: {}",
                    service.err().code().unwrap_or("error"),
                    service.err().message().unwrap_or("")
                ),
                other => DisplayErrorContext(other).to_string(),
            })
    }
}

fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn status(item: Option<&HashMap<String, AttributeValue>>) -> Option<&str> {
    item?.get("status")?.as_s().ok().map(String::as_str)
}
