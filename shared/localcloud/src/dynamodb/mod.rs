//! DynamoDB, the part an idempotent worker uses: tables with a key schema,
//! item operations with condition and update expressions, TTL, AWS's
//! errors, over the AWS JSON 1.0 protocol (`X-Amz-Target:
//! DynamoDB_20120810.<Operation>`).

pub mod error;
pub mod value;

pub use error::{DynamoError, DynamoResult, ErrorCode};
pub use value::{AttributeValue, Item, Number};
