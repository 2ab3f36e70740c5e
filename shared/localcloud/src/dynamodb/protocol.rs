//! The AWS JSON 1.0 protocol for DynamoDB: `POST /` with `X-Amz-Target:
//! DynamoDB_20120810.<Operation>` and a JSON body (DDB-DG "DynamoDB
//! low-level API"). [`dispatch`] reads the body into the operation's
//! request shape, runs it and writes its response; every failure is a
//! [`DynamoError`] with AWS's code, never a panic.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::DynamoDb;
use super::error::{DynamoError, DynamoResult, ErrorCode};
use super::ops;

/// The `X-Amz-Target` prefix of every DynamoDB operation.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Every operation localcloud serves.
pub const OPERATIONS: [&str; 12] = [
    "CreateTable",
    "DescribeTable",
    "DeleteTable",
    "ListTables",
    "UpdateTimeToLive",
    "DescribeTimeToLive",
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
];

/// Runs the operation `target` names on `body`.
pub fn dispatch(db: &DynamoDb, target: &str, body: &[u8]) -> DynamoResult<Bytes> {
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .ok_or_else(|| unknown(target))?;
    let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            DynamoError::serialization(format!("The request body is not valid JSON: {e}"))
        })?
    };
    let answer = match operation {
        "CreateTable" => ops::create_table(db, parse_value(&request)?),
        "DescribeTable" => ops::describe_table(db, parse_value(&request)?),
        "DeleteTable" => ops::delete_table(db, parse_value(&request)?),
        "ListTables" => ops::list_tables(db, parse_value(&request)?),
        "UpdateTimeToLive" => ops::update_time_to_live(db, parse_value(&request)?),
        "DescribeTimeToLive" => ops::describe_time_to_live(db, parse_value(&request)?),
        "PutItem" => ops::put_item(db, parse_value(&request)?),
        "GetItem" => ops::get_item(db, parse_value(&request)?),
        "UpdateItem" => ops::update_item(db, parse_value(&request)?),
        "DeleteItem" => ops::delete_item(db, parse_value(&request)?),
        "Query" => ops::query(db, parse_value(&request)?),
        "Scan" => ops::scan(db, parse_value(&request)?),
        other if KNOWN_NOT_EMULATED.contains(&other) => Err(DynamoError::new(
            ErrorCode::UnknownOperationException,
            format!(
                "{other} is a DynamoDB operation localcloud does not emulate; it serves {} (docs/sqs-differences.md)",
                OPERATIONS.join(", ")
            ),
        )),
        _ => Err(unknown(target)),
    }?;
    Ok(Bytes::from(answer.to_string()))
}

/// Operations AWS has and localcloud answers with a clear refusal.
const KNOWN_NOT_EMULATED: [&str; 10] = [
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
    "UpdateTable",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    "DescribeEndpoints",
    "TagResource",
];

fn unknown(target: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::UnknownOperationException,
        format!(
            "X-Amz-Target {:?} names no DynamoDB operation (expected {TARGET_PREFIX}<Operation>, e.g. {TARGET_PREFIX}PutItem).",
            target.chars().take(100).collect::<String>()
        ),
    )
}

/// Reads a request shape from JSON. A missing required member is AWS's
/// "1 validation error detected: Value null at 'tableName' failed to
/// satisfy constraint: Member must not be null"; a member of the wrong JSON
/// type is a `SerializationException`.
pub fn parse_value<T: DeserializeOwned>(value: &Value) -> DynamoResult<T> {
    if !value.is_object() {
        return Err(DynamoError::serialization(
            "The request body must be a JSON object",
        ));
    }
    T::deserialize(value).map_err(|e| {
        let text = e.to_string();
        if let Some(rest) = text.strip_prefix("missing field `")
            && let Some((field, _)) = rest.split_once('`')
        {
            let mut chars = field.chars();
            let camel = match chars.next() {
                Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
                None => String::new(),
            };
            return DynamoError::validation(format!(
                "1 validation error detected: Value null at '{camel}' failed to satisfy constraint: Member must not be null"
            ));
        }
        DynamoError::serialization(format!(
            "The request is not a valid request for this operation: {text}"
        ))
    })
}
