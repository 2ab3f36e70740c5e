//! SQS errors, as the AWS JSON 1.0 protocol carries them.
//!
//! An error is HTTP 400 with a JSON body `{"__type": "com.amazonaws.sqs#<Shape>",
//! "message": "..."}` and, because SQS is "query compatible", the header
//! `x-amzn-query-error: <legacy code>;Sender`. The SDKs take the error code
//! from that header when it is there (see `aws_query_compatible_errors.rs` in
//! aws-sdk-sqs), so `err.code()` reads `AWS.SimpleQueueService.NonExistentQueue`
//! just as it does against AWS. Shapes and codes are those of the SQS Smithy
//! model (SQS-API "Common Errors" and each action's "Errors").

use std::fmt;

/// Every error localcloud's SQS returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    QueueDoesNotExist,
    QueueNameExists,
    QueueDeletedRecently,
    InvalidAddress,
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
    MissingParameter,
    InvalidMessageContents,
    ReceiptHandleIsInvalid,
    MessageNotInflight,
    PurgeQueueInProgress,
    EmptyBatchRequest,
    TooManyEntriesInBatchRequest,
    BatchEntryIdsNotDistinct,
    InvalidBatchEntryId,
    BatchRequestTooLong,
    OverLimit,
    UnsupportedOperation,
    ResourceNotFoundException,
    /// The body is not JSON or a field has the wrong type.
    SerializationException,
    /// `X-Amz-Target` names no SQS operation.
    UnknownOperation,
    /// The request is larger than localcloud reads.
    RequestTooLarge,
}

impl ErrorCode {
    /// The Smithy shape name (`__type` after the `#`). The two common
    /// errors SQS does not model come back as the service framework's
    /// exceptions (recorded against AWS in LocalStack's SQS snapshots:
    /// `InvalidParameterValueException`, `MissingRequiredParameterException`).
    pub fn shape(self) -> &'static str {
        use ErrorCode::*;
        match self {
            QueueDoesNotExist => "QueueDoesNotExist",
            QueueNameExists => "QueueNameExists",
            QueueDeletedRecently => "QueueDeletedRecently",
            InvalidAddress => "InvalidAddress",
            InvalidAttributeName => "InvalidAttributeName",
            InvalidAttributeValue => "InvalidAttributeValue",
            InvalidParameterValue => "InvalidParameterValueException",
            MissingParameter => "MissingRequiredParameterException",
            InvalidMessageContents => "InvalidMessageContents",
            ReceiptHandleIsInvalid => "ReceiptHandleIsInvalid",
            MessageNotInflight => "MessageNotInflight",
            PurgeQueueInProgress => "PurgeQueueInProgress",
            EmptyBatchRequest => "EmptyBatchRequest",
            TooManyEntriesInBatchRequest => "TooManyEntriesInBatchRequest",
            BatchEntryIdsNotDistinct => "BatchEntryIdsNotDistinct",
            InvalidBatchEntryId => "InvalidBatchEntryId",
            BatchRequestTooLong => "BatchRequestTooLong",
            OverLimit => "OverLimit",
            UnsupportedOperation => "UnsupportedOperation",
            ResourceNotFoundException => "ResourceNotFoundException",
            SerializationException => "SerializationException",
            UnknownOperation => "UnknownOperationException",
            RequestTooLarge => "RequestEntityTooLargeException",
        }
    }

    /// The `__type` namespace: SQS's own shapes, or the service framework's.
    fn namespace(self) -> &'static str {
        match self {
            ErrorCode::SerializationException
            | ErrorCode::UnknownOperation
            | ErrorCode::RequestTooLarge
            | ErrorCode::InvalidParameterValue
            | ErrorCode::MissingParameter => "com.amazon.coral.service",
            _ => "com.amazonaws.sqs",
        }
    }

    /// The legacy query-protocol code of `x-amzn-query-error`, which the SDKs
    /// report as the error's code.
    pub fn query_code(self) -> &'static str {
        use ErrorCode::*;
        match self {
            QueueDoesNotExist => "AWS.SimpleQueueService.NonExistentQueue",
            QueueNameExists => "QueueAlreadyExists",
            QueueDeletedRecently => "AWS.SimpleQueueService.QueueDeletedRecently",
            MessageNotInflight => "AWS.SimpleQueueService.MessageNotInflight",
            PurgeQueueInProgress => "AWS.SimpleQueueService.PurgeQueueInProgress",
            EmptyBatchRequest => "AWS.SimpleQueueService.EmptyBatchRequest",
            TooManyEntriesInBatchRequest => "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            BatchEntryIdsNotDistinct => "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            InvalidBatchEntryId => "AWS.SimpleQueueService.InvalidBatchEntryId",
            BatchRequestTooLong => "AWS.SimpleQueueService.BatchRequestTooLong",
            UnsupportedOperation => "AWS.SimpleQueueService.UnsupportedOperation",
            InvalidParameterValue => "InvalidParameterValue",
            MissingParameter => "MissingParameter",
            other => other.shape(),
        }
    }

    /// The HTTP status of the SQS model's `httpError` traits: most errors
    /// are 400; PurgeQueueInProgress and OverLimit 403; ReceiptHandleIsInvalid,
    /// InvalidAddress and ResourceNotFoundException 404.
    pub fn http_status(self) -> http::StatusCode {
        use ErrorCode::*;
        match self {
            RequestTooLarge => http::StatusCode::PAYLOAD_TOO_LARGE,
            PurgeQueueInProgress | OverLimit => http::StatusCode::FORBIDDEN,
            ReceiptHandleIsInvalid | InvalidAddress | ResourceNotFoundException => {
                http::StatusCode::NOT_FOUND
            }
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// An SQS error: a code and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsError {
    pub code: ErrorCode,
    pub message: String,
}

impl SqsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// "The specified queue does not exist." (SQS-API QueueDoesNotExist)
    pub fn queue_does_not_exist() -> Self {
        Self::new(
            ErrorCode::QueueDoesNotExist,
            "The specified queue does not exist.",
        )
    }

    /// `InvalidParameterValue`: "Value X for parameter Y is invalid. Reason: Z."
    pub fn invalid_value(parameter: &str, value: impl fmt::Display, reason: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameterValue,
            format!("Value {value} for parameter {parameter} is invalid. Reason: {reason}"),
        )
    }

    /// `MissingParameter`: "The request must contain the parameter X."
    pub fn missing(parameter: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("The request must contain the parameter {parameter}."),
        )
    }

    /// The JSON body of the error answer.
    pub fn body(&self) -> String {
        serde_json::json!({
            "__type": format!("{}#{}", self.code.namespace(), self.code.shape()),
            "message": self.message,
        })
        .to_string()
    }

    /// The `x-amzn-query-error` header value.
    pub fn query_error_header(&self) -> String {
        format!("{};Sender", self.code.query_code())
    }
}

impl fmt::Display for SqsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.query_code(), self.message)
    }
}

impl std::error::Error for SqsError {}

pub type SqsResult<T> = Result<T, SqsError>;
