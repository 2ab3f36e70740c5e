//! The SQS operations, one file per family, each with its request and
//! response shapes (the JSON protocol's PascalCase members) next to the code
//! that applies it.

pub mod messages;
pub mod move_tasks;
pub mod queues;

use super::error::{ErrorCode, SqsError, SqsResult};

/// Batch entry checks shared by the three batch operations (SQS-API
/// SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch).
pub(crate) fn check_batch_ids<'a>(
    request_entry: &str,
    ids: impl ExactSizeIterator<Item = &'a str>,
) -> SqsResult<()> {
    let count = ids.len();
    if count == 0 {
        return Err(SqsError::new(
            ErrorCode::EmptyBatchRequest,
            format!("There should be at least one {request_entry} in the request."),
        ));
    }
    if count > 10 {
        return Err(SqsError::new(
            ErrorCode::TooManyEntriesInBatchRequest,
            format!("Maximum number of entries per request are 10. You have sent {count}."),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        let valid = (1..=80).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(SqsError::new(
                ErrorCode::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(SqsError::new(
                ErrorCode::BatchEntryIdsNotDistinct,
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(())
}

/// A per-entry failure of a batch operation.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultErrorEntry {
    pub id: String,
    pub sender_fault: bool,
    pub code: String,
    pub message: String,
}

impl BatchResultErrorEntry {
    pub fn new(id: &str, error: SqsError) -> Self {
        Self {
            id: id.to_owned(),
            sender_fault: true,
            code: error.code.query_code().to_owned(),
            message: error.message,
        }
    }
}

/// Checks an integer parameter's range (`InvalidParameterValue` otherwise).
pub(crate) fn in_range(name: &str, value: i64, min: i64, max: i64) -> SqsResult<u32> {
    if (min..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(SqsError::invalid_value(
            name,
            value,
            &format!("Must be between {min} and {max}, if provided."),
        ))
    }
}
