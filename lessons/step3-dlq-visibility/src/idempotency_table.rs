//! The idempotency table's records: how long they are kept, how their
//! attributes are written and read, and marking a job `COMPLETED` after its
//! commit (step 3 of the pattern in [`crate::idempotency`]).
//!
//! `expires` is the table's Time to Live attribute (epoch seconds). TTL
//! deletes expired records eventually, "typically within a few days", and
//! until then reads still return them (DDB-DG "Time to Live"), so the
//! claim's condition itself treats an expired record as absent, as AWS's
//! guide advises.
//!
//! What this does not cover: a crash *between* the commit and the
//! `COMPLETED` mark leaves an `IN_PROGRESS` record, which the next delivery
//! may claim once its deadline has passed, and commit again. A real
//! transfer closes that gap by making the mark and the side effect one
//! transaction (DynamoDB `TransactWriteItems`), or by handing the key to a
//! payment API that deduplicates on it.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::idempotency::Idempotency;

/// How long a job's record is kept (its `expires`): a redelivery within
/// this time finds it. SQS keeps a message at most 14 days; a day is far
/// longer than any redelivery of this lesson.
pub const DEFAULT_KEEP_FOR: Duration = Duration::from_secs(24 * 3600);

impl Idempotency {
    /// A record's `expires` (epoch seconds), written at `now_seconds`.
    pub fn expires(&self, now_seconds: i64) -> i64 {
        now_seconds + i64::try_from(self.keep_for.as_secs()).unwrap_or(i64::MAX / 2)
    }

    /// Marks `key` done: later deliveries of the job are acknowledged
    /// without a commit.
    pub async fn complete(&self, key: &str, now_millis: i64) -> Result<(), String> {
        let expires = self.expires(now_millis.div_euclid(1000));
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

/// A DynamoDB number (`N`): AWS sends numbers as text.
pub fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The `status` of a record (`IN_PROGRESS`, `COMPLETED`), if it has one.
pub fn status(item: Option<&HashMap<String, AttributeValue>>) -> Option<&str> {
    item?.get("status")?.as_s().ok().map(String::as_str)
}
