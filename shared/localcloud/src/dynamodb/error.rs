//! DynamoDB errors, as the AWS JSON 1.0 protocol carries them: HTTP 400
//! (500 for an internal error) with a body
//! `{"__type": "com.amazonaws.dynamodb.v20120810#<Shape>", "message": "..."}`.
//! The SDKs read the code from `__type` (after the `#`). A failed condition
//! may carry the item as it was (`Item`), when the request asked for it with
//! `ReturnValuesOnConditionCheckFailure: ALL_OLD` (DDB-API PutItem, "Errors").
//!
//! Messages are AWS's, word for word where they are known (from AWS's API
//! reference and from test suites that run against DynamoDB itself, such as
//! ScyllaDB Alternator's `test/alternator`).

use std::fmt;

use serde_json::{Map, Value, json};

use super::value::{Item, item_to_json};

/// Every error localcloud's DynamoDB returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ValidationException,
    ConditionalCheckFailedException,
    ResourceNotFoundException,
    ResourceInUseException,
    /// The body is not JSON or a member has the wrong JSON type.
    SerializationException,
    /// `X-Amz-Target` names no DynamoDB operation.
    UnknownOperationException,
    /// The request is larger than localcloud reads.
    RequestEntityTooLargeException,
}

impl ErrorCode {
    pub fn shape(self) -> &'static str {
        match self {
            ErrorCode::ValidationException => "ValidationException",
            ErrorCode::ConditionalCheckFailedException => "ConditionalCheckFailedException",
            ErrorCode::ResourceNotFoundException => "ResourceNotFoundException",
            ErrorCode::ResourceInUseException => "ResourceInUseException",
            ErrorCode::SerializationException => "SerializationException",
            ErrorCode::UnknownOperationException => "UnknownOperationException",
            ErrorCode::RequestEntityTooLargeException => "RequestEntityTooLarge",
        }
    }

    /// `__type`: DynamoDB's own shapes, or the service framework's
    /// (`com.amazon.coral.validate#ValidationException` on AWS; the SDKs
    /// read the part after `#` either way).
    pub fn type_name(self) -> String {
        match self {
            ErrorCode::ValidationException => {
                "com.amazon.coral.validate#ValidationException".into()
            }
            ErrorCode::SerializationException | ErrorCode::UnknownOperationException => {
                format!("com.amazon.coral.service#{}", self.shape())
            }
            _ => format!("com.amazonaws.dynamodb.v20120810#{}", self.shape()),
        }
    }

    pub fn http_status(self) -> http::StatusCode {
        match self {
            ErrorCode::RequestEntityTooLargeException => http::StatusCode::PAYLOAD_TOO_LARGE,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// One error: its code, AWS's message and, for a failed condition, the item
/// as it was when the request asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamoError {
    pub code: ErrorCode,
    pub message: String,
    pub item: Option<Item>,
}

pub type DynamoResult<T> = Result<T, DynamoError>;

impl DynamoError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            item: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationException, message)
    }

    /// "One or more parameter values were invalid: ...".
    pub fn invalid_parameter(detail: impl fmt::Display) -> Self {
        Self::validation(format!(
            "One or more parameter values were invalid: {detail}"
        ))
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SerializationException, message)
    }

    /// A table that does not exist (or is being deleted).
    pub fn table_not_found() -> Self {
        Self::new(
            ErrorCode::ResourceNotFoundException,
            "Requested resource not found",
        )
    }

    /// "The conditional request failed", with the old item if asked for.
    pub fn condition_failed(item: Option<Item>) -> Self {
        Self {
            code: ErrorCode::ConditionalCheckFailedException,
            message: "The conditional request failed".into(),
            item,
        }
    }

    /// The JSON body AWS sends.
    pub fn body(&self) -> String {
        let mut body = Map::new();
        body.insert("__type".into(), json!(self.code.type_name()));
        // DynamoDB's validation errors spell it "message"; its own
        // exceptions "message" too (the SDKs accept both cases).
        body.insert("message".into(), json!(self.message));
        if let Some(item) = &self.item {
            body.insert("Item".into(), item_to_json(item));
        }
        Value::Object(body).to_string()
    }
}

impl fmt::Display for DynamoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.shape(), self.message)
    }
}

impl std::error::Error for DynamoError {}
