//! Queue attributes: names, ranges, defaults, and the redrive policies.
//!
//! Ranges and defaults from SQS-API SetQueueAttributes:
//! `DelaySeconds` 0–900 (0), `MaximumMessageSize` 1,024–1,048,576
//! (1,048,576 since August 2025), `MessageRetentionPeriod` 60–1,209,600
//! (345,600 = 4 days), `ReceiveMessageWaitTimeSeconds` 0–20 (0),
//! `VisibilityTimeout` 0–43,200 (30). `RedrivePolicy` is a JSON string
//! `{"deadLetterTargetArn": "...", "maxReceiveCount": 1..1000}` (SQS-DG
//! "Using dead-letter queues").
//!
//! FIFO queues (SQS-API CreateQueue and SetQueueAttributes,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>):
//! - `FifoQueue` ("true"/"false") only at creation: "You can't change the
//!   queue type after you create it" (SQS-DG "Amazon SQS FIFO queues"), so
//!   SetQueueAttributes answers `InvalidAttributeName` for it; a FIFO
//!   queue's name must end in `.fifo` and only a FIFO queue's may
//!   (SQS-API CreateQueue, "QueueName").
//! - `ContentBasedDeduplication` ("true"/"false", default false),
//!   `DeduplicationScope` (`queue` | `messageGroup`, default
//!   `queue`), `FifoThroughputLimit` (`perQueue` | `perMessageGroupId`,
//!   default `perQueue`) apply to FIFO queues only, and are changeable;
//!   "The perMessageGroupId value is allowed only when the value for
//!   DeduplicationScope is messageGroup" (SetQueueAttributes). On a
//!   standard queue they are unknown attributes (`InvalidAttributeName`).

use std::collections::BTreeMap;

use super::error::{ErrorCode, SqsError, SqsResult};

pub const DEFAULT_VISIBILITY_TIMEOUT: u32 = 30;
pub const MAX_VISIBILITY_TIMEOUT: u32 = 43_200;
pub const DEFAULT_RETENTION: u32 = 345_600;
pub const DEFAULT_MAX_MESSAGE_SIZE: u32 = 1_048_576;
pub const MAX_DELAY_SECONDS: u32 = 900;
pub const MAX_WAIT_SECONDS: u32 = 20;

/// The settable attributes of a standard queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    pub delay_seconds: u32,
    pub maximum_message_size: u32,
    pub message_retention_period: u32,
    pub receive_message_wait_time_seconds: u32,
    pub visibility_timeout: u32,
    pub redrive_policy: Option<RedrivePolicy>,
    /// Kept as given (JSON text), validated.
    pub redrive_allow_policy: Option<String>,
    /// Accepted and returned, not enforced.
    pub policy: Option<String>,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: Option<u32>,
    pub sqs_managed_sse_enabled: bool,
    /// A FIFO queue (fixed at creation).
    pub fifo: bool,
    /// FIFO: the SHA-256 of the body is the deduplication id when a send
    /// gives none.
    pub content_based_deduplication: bool,
    /// FIFO: where a deduplication id must be unique.
    pub deduplication_scope: DeduplicationScope,
    /// FIFO: accepted and reported; localcloud does not throttle.
    pub fifo_throughput_limit: FifoThroughputLimit,
}

/// `DeduplicationScope`: "Specifies whether message deduplication occurs
/// at the message group or queue level" (SQS-API SetQueueAttributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeduplicationScope {
    #[default]
    Queue,
    MessageGroup,
}

impl DeduplicationScope {
    pub fn as_str(self) -> &'static str {
        match self {
            DeduplicationScope::Queue => "queue",
            DeduplicationScope::MessageGroup => "messageGroup",
        }
    }
}

/// `FifoThroughputLimit`: "Specifies whether the FIFO queue throughput
/// quota applies to the entire queue or per message group" (SQS-API
/// SetQueueAttributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FifoThroughputLimit {
    #[default]
    PerQueue,
    PerMessageGroupId,
}

impl FifoThroughputLimit {
    pub fn as_str(self) -> &'static str {
        match self {
            FifoThroughputLimit::PerQueue => "perQueue",
            FifoThroughputLimit::PerMessageGroupId => "perMessageGroupId",
        }
    }
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            delay_seconds: 0,
            maximum_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            message_retention_period: DEFAULT_RETENTION,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: DEFAULT_VISIBILITY_TIMEOUT,
            redrive_policy: None,
            redrive_allow_policy: None,
            policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: None,
            // SQS-managed encryption is on by default for new queues (2022).
            sqs_managed_sse_enabled: true,
            fifo: false,
            content_based_deduplication: false,
            deduplication_scope: DeduplicationScope::Queue,
            fifo_throughput_limit: FifoThroughputLimit::PerQueue,
        }
    }
}

/// Where failed messages go, and after how many receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// The attribute's JSON text, as GetQueueAttributes returns it.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count,
        })
        .to_string()
    }

    fn parse(text: &str) -> SqsResult<Self> {
        let invalid = |reason: &str| SqsError::invalid_value("RedrivePolicy", text, reason);
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|_| invalid("Redrive policy is not a valid JSON map."))?;
        let target = value
            .get("deadLetterTargetArn")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
            })?;
        // maxReceiveCount may be a number or a numeric string.
        let count = match value.get("maxReceiveCount") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            None => {
                return Err(invalid(
                    "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
                ));
            }
            _ => None,
        }
        .filter(|n| (1..=1000).contains(n))
        .ok_or_else(|| {
            invalid("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.")
        })?;
        if !target.starts_with("arn:aws:sqs:") {
            return Err(invalid("Invalid value for deadLetterTargetArn."));
        }
        Ok(Self {
            dead_letter_target_arn: target.to_owned(),
            max_receive_count: count as u32,
        })
    }
}

/// Attributes only GetQueueAttributes returns.
pub const READ_ONLY: [&str; 6] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

const FIFO_ONLY: [&str; 4] = [
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Every name GetQueueAttributes knows (for `All` and for checking names).
pub const ALL_NAMES: [&str; 21] = [
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "All",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "Policy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
];

impl QueueSettings {
    /// The settings of a new queue named `name` (CreateQueue): `FifoQueue`
    /// first, since the other FIFO attributes depend on it, and the name
    /// checked against the queue type.
    pub fn for_new_queue(name: &str, attributes: &BTreeMap<String, String>) -> SqsResult<Self> {
        let mut settings = Self::default();
        if let Some(value) = attributes.get("FifoQueue") {
            settings.fifo = boolean("FifoQueue", value)?;
        }
        check_queue_name(name, settings.fifo)?;
        for (name, value) in attributes {
            if name != "FifoQueue" {
                settings.apply_one(name, value)?;
            }
        }
        settings.check_fifo_combination()?;
        Ok(settings)
    }

    /// Applies attributes from SetQueueAttributes (`FifoQueue` cannot
    /// change: "You can't change the queue type after you create it").
    pub fn apply(&mut self, attributes: &BTreeMap<String, String>) -> SqsResult<()> {
        for (name, value) in attributes {
            if name == "FifoQueue" {
                return Err(SqsError::new(
                    ErrorCode::InvalidAttributeName,
                    "Unknown Attribute FifoQueue. (A queue's type is fixed at creation: \
                     \"You can't change the queue type after you create it.\")",
                ));
            }
            self.apply_one(name, value)?;
        }
        self.check_fifo_combination()
    }

    /// "The perMessageGroupId value is allowed only when the value for
    /// DeduplicationScope is messageGroup" (SQS-API SetQueueAttributes).
    fn check_fifo_combination(&self) -> SqsResult<()> {
        if self.fifo_throughput_limit == FifoThroughputLimit::PerMessageGroupId
            && self.deduplication_scope != DeduplicationScope::MessageGroup
        {
            return Err(SqsError::new(
                ErrorCode::InvalidAttributeValue,
                "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.",
            ));
        }
        Ok(())
    }

    fn apply_one(&mut self, name: &str, value: &str) -> SqsResult<()> {
        let number = |min: u32, max: u32| -> SqsResult<u32> {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    SqsError::new(
                        ErrorCode::InvalidAttributeValue,
                        format!("Invalid value for the parameter {name}. Reason: must be an integer from {min} to {max}, got {value:?}."),
                    )
                })
        };
        match name {
            "DelaySeconds" => self.delay_seconds = number(0, MAX_DELAY_SECONDS)?,
            "MaximumMessageSize" => self.maximum_message_size = number(1_024, 1_048_576)?,
            "MessageRetentionPeriod" => self.message_retention_period = number(60, 1_209_600)?,
            "ReceiveMessageWaitTimeSeconds" => {
                self.receive_message_wait_time_seconds = number(0, MAX_WAIT_SECONDS)?
            }
            "VisibilityTimeout" => self.visibility_timeout = number(0, MAX_VISIBILITY_TIMEOUT)?,
            "RedrivePolicy" => {
                self.redrive_policy = if value.is_empty() {
                    None
                } else {
                    Some(RedrivePolicy::parse(value)?)
                }
            }
            "RedriveAllowPolicy" => {
                self.redrive_allow_policy = if value.is_empty() {
                    None
                } else {
                    check_redrive_allow_policy(value)?;
                    Some(value.to_owned())
                }
            }
            "Policy" => self.policy = (!value.is_empty()).then(|| value.to_owned()),
            "KmsMasterKeyId" => {
                self.kms_master_key_id = (!value.is_empty()).then(|| value.to_owned())
            }
            "KmsDataKeyReusePeriodSeconds" => {
                self.kms_data_key_reuse_period_seconds = Some(number(60, 86_400)?)
            }
            "SqsManagedSseEnabled" => {
                self.sqs_managed_sse_enabled = match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(SqsError::new(
                            ErrorCode::InvalidAttributeValue,
                            format!(
                                "Invalid value for the parameter SqsManagedSseEnabled: {value:?}."
                            ),
                        ));
                    }
                }
            }
            fifo if FIFO_ONLY.contains(&fifo) && !self.fifo => {
                return Err(SqsError::new(
                    ErrorCode::InvalidAttributeName,
                    format!("Unknown Attribute {fifo}. (It applies only to FIFO queues.)"),
                ));
            }
            "ContentBasedDeduplication" => self.content_based_deduplication = boolean(name, value)?,
            "DeduplicationScope" => {
                self.deduplication_scope = match value {
                    "queue" => DeduplicationScope::Queue,
                    "messageGroup" => DeduplicationScope::MessageGroup,
                    _ => {
                        return Err(SqsError::new(
                            ErrorCode::InvalidAttributeValue,
                            format!(
                                "Invalid value for the parameter DeduplicationScope. Reason: must be queue or messageGroup, got {value:?}."
                            ),
                        ));
                    }
                }
            }
            "FifoThroughputLimit" => {
                self.fifo_throughput_limit = match value {
                    "perQueue" => FifoThroughputLimit::PerQueue,
                    "perMessageGroupId" => FifoThroughputLimit::PerMessageGroupId,
                    _ => {
                        return Err(SqsError::new(
                            ErrorCode::InvalidAttributeValue,
                            format!(
                                "Invalid value for the parameter FifoThroughputLimit. Reason: must be perQueue or perMessageGroupId, got {value:?}."
                            ),
                        ));
                    }
                }
            }
            read_only if READ_ONLY.contains(&read_only) => {
                return Err(SqsError::new(
                    ErrorCode::InvalidAttributeName,
                    format!("Unknown Attribute {read_only}."),
                ));
            }
            other => {
                return Err(SqsError::new(
                    ErrorCode::InvalidAttributeName,
                    format!("Unknown Attribute {other}."),
                ));
            }
        }
        Ok(())
    }

    /// The settable attributes as strings (for GetQueueAttributes and for
    /// comparing a CreateQueue on an existing name).
    pub fn to_map(&self) -> BTreeMap<&'static str, String> {
        let mut map = BTreeMap::new();
        map.insert("DelaySeconds", self.delay_seconds.to_string());
        map.insert("MaximumMessageSize", self.maximum_message_size.to_string());
        map.insert(
            "MessageRetentionPeriod",
            self.message_retention_period.to_string(),
        );
        map.insert(
            "ReceiveMessageWaitTimeSeconds",
            self.receive_message_wait_time_seconds.to_string(),
        );
        map.insert("VisibilityTimeout", self.visibility_timeout.to_string());
        map.insert(
            "SqsManagedSseEnabled",
            self.sqs_managed_sse_enabled.to_string(),
        );
        if let Some(p) = &self.redrive_policy {
            map.insert("RedrivePolicy", p.to_json());
        }
        if let Some(p) = &self.redrive_allow_policy {
            map.insert("RedriveAllowPolicy", p.clone());
        }
        if let Some(p) = &self.policy {
            map.insert("Policy", p.clone());
        }
        if let Some(k) = &self.kms_master_key_id {
            map.insert("KmsMasterKeyId", k.clone());
        }
        if let Some(s) = self.kms_data_key_reuse_period_seconds {
            map.insert("KmsDataKeyReusePeriodSeconds", s.to_string());
        }
        if self.fifo {
            map.insert("FifoQueue", "true".to_owned());
            map.insert(
                "ContentBasedDeduplication",
                self.content_based_deduplication.to_string(),
            );
            map.insert(
                "DeduplicationScope",
                self.deduplication_scope.as_str().to_owned(),
            );
            map.insert(
                "FifoThroughputLimit",
                self.fifo_throughput_limit.as_str().to_owned(),
            );
        }
        map
    }
}

/// `{"redrivePermission": "allowAll" | "denyAll" | "byQueue", "sourceQueueArns": [...]}`.
fn check_redrive_allow_policy(text: &str) -> SqsResult<()> {
    let invalid = |reason: &str| SqsError::invalid_value("RedriveAllowPolicy", text, reason);
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| invalid("Redrive allow policy is not a valid JSON map."))?;
    match value.get("redrivePermission").and_then(|v| v.as_str()) {
        Some("allowAll") | Some("denyAll") => Ok(()),
        Some("byQueue") => match value.get("sourceQueueArns").and_then(|v| v.as_array()) {
            Some(arns) if (1..=10).contains(&arns.len()) => Ok(()),
            _ => Err(invalid(
                "byQueue needs sourceQueueArns with 1 to 10 queue ARNs.",
            )),
        },
        _ => Err(invalid(
            "redrivePermission must be allowAll, denyAll or byQueue.",
        )),
    }
}

/// `"true"` or `"false"` (`InvalidAttributeValue` otherwise).
fn boolean(name: &str, value: &str) -> SqsResult<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SqsError::new(
            ErrorCode::InvalidAttributeValue,
            format!(
                "Invalid value for the parameter {name}. Reason: must be true or false, got {value:?}."
            ),
        )),
    }
}

/// Queue names: 1–80 characters of `A-Za-z0-9_-`; "A FIFO queue name must
/// end with the .fifo suffix" (the suffix counts in the 80), and only a
/// FIFO queue's may (SQS-API CreateQueue, "QueueName").
pub fn check_queue_name(name: &str, fifo: bool) -> SqsResult<()> {
    let stem = name.strip_suffix(".fifo");
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let ok = name.len() <= 80
        && match (fifo, stem) {
            (true, Some(stem)) => plain(stem),
            (false, None) => plain(name),
            _ => false,
        };
    if ok {
        return Ok(());
    }
    Err(SqsError::new(
        ErrorCode::InvalidParameterValue,
        match (fifo, stem) {
            (false, Some(_)) => {
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length. (A name ending in .fifo needs the attribute FifoQueue=true.)"
            }
            (true, _) => {
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
            }
            _ => {
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(name: &str, value: &str) -> SqsResult<QueueSettings> {
        let mut s = QueueSettings::default();
        s.apply(&BTreeMap::from([(name.to_owned(), value.to_owned())]))?;
        Ok(s)
    }

    #[test]
    fn ranges_are_enforced() {
        assert_eq!(
            apply("VisibilityTimeout", "43200")
                .unwrap()
                .visibility_timeout,
            43_200
        );
        assert_eq!(
            apply("VisibilityTimeout", "43201").unwrap_err().code,
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            apply("DelaySeconds", "-1").unwrap_err().code,
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            apply("MessageRetentionPeriod", "59").unwrap_err().code,
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            apply("ReceiveMessageWaitTimeSeconds", "21")
                .unwrap_err()
                .code,
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            apply("MaximumMessageSize", "1023").unwrap_err().code,
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            apply("Colour", "red").unwrap_err().code,
            ErrorCode::InvalidAttributeName
        );
        assert_eq!(
            apply("QueueArn", "x").unwrap_err().code,
            ErrorCode::InvalidAttributeName
        );
        assert_eq!(
            apply("FifoQueue", "true").unwrap_err().code,
            ErrorCode::InvalidAttributeName
        );
        assert_eq!(
            apply("ContentBasedDeduplication", "true").unwrap_err().code,
            ErrorCode::InvalidAttributeName
        );
    }

    #[test]
    fn redrive_policy_is_parsed_and_checked() {
        let s = apply(
            "RedrivePolicy",
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#,
        )
        .unwrap();
        assert_eq!(s.redrive_policy.unwrap().max_receive_count, 3);
        for bad in [
            "not json",
            r#"{"maxReceiveCount":3}"#,
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d","maxReceiveCount":0}"#,
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d","maxReceiveCount":1001}"#,
        ] {
            assert_eq!(
                apply("RedrivePolicy", bad).unwrap_err().code,
                ErrorCode::InvalidParameterValue,
                "{bad}"
            );
        }
    }

    #[test]
    fn queue_names() {
        assert!(check_queue_name("jobs-dlq_1", false).is_ok());
        assert!(check_queue_name(&"a".repeat(80), false).is_ok());
        assert!(check_queue_name(&"a".repeat(81), false).is_err());
        assert!(check_queue_name("", false).is_err());
        assert!(check_queue_name("bad name", false).is_err());
        assert!(check_queue_name("q.fifo", false).is_err());
        assert!(check_queue_name("q.fifo", true).is_ok());
        assert!(check_queue_name(&format!("{}.fifo", "a".repeat(75)), true).is_ok());
        assert!(check_queue_name(&format!("{}.fifo", "a".repeat(76)), true).is_err());
        assert!(check_queue_name(".fifo", true).is_err());
        assert!(check_queue_name("q", true).is_err());
        assert!(check_queue_name("a.b.fifo", true).is_err());
    }

    fn create(name: &str, attributes: &[(&str, &str)]) -> SqsResult<QueueSettings> {
        let attributes = attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        QueueSettings::for_new_queue(name, &attributes)
    }

    #[test]
    fn fifo_attributes_at_creation_and_after() {
        let s = create(
            "q.fifo",
            &[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")],
        )
        .unwrap();
        assert!(s.fifo && s.content_based_deduplication);
        let map = s.to_map();
        assert_eq!(map["FifoQueue"], "true");
        assert_eq!(map["DeduplicationScope"], "queue");
        assert_eq!(map["FifoThroughputLimit"], "perQueue");
        assert!(!create("q", &[]).unwrap().to_map().contains_key("FifoQueue"));
        assert!(create("q", &[("FifoQueue", "false")]).is_ok());
        assert_eq!(
            create("q", &[("FifoQueue", "true")]).unwrap_err().code,
            ErrorCode::InvalidParameterValue
        );
        assert_eq!(
            create("q.fifo", &[]).unwrap_err().code,
            ErrorCode::InvalidParameterValue
        );
        assert_eq!(
            create("q.fifo", &[("FifoQueue", "yes")]).unwrap_err().code,
            ErrorCode::InvalidAttributeValue
        );
        // High throughput: both or the scope alone, never the limit alone.
        assert!(
            create(
                "q.fifo",
                &[
                    ("FifoQueue", "true"),
                    ("DeduplicationScope", "messageGroup"),
                    ("FifoThroughputLimit", "perMessageGroupId")
                ]
            )
            .is_ok()
        );
        assert_eq!(
            create(
                "q.fifo",
                &[
                    ("FifoQueue", "true"),
                    ("FifoThroughputLimit", "perMessageGroupId")
                ]
            )
            .unwrap_err()
            .code,
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            create(
                "q.fifo",
                &[("FifoQueue", "true"), ("DeduplicationScope", "group")]
            )
            .unwrap_err()
            .code,
            ErrorCode::InvalidAttributeValue
        );
        let mut s = create("q.fifo", &[("FifoQueue", "true")]).unwrap();
        s.apply(&BTreeMap::from([(
            "ContentBasedDeduplication".to_owned(),
            "true".to_owned(),
        )]))
        .unwrap();
        assert!(s.content_based_deduplication);
        assert_eq!(
            s.apply(&BTreeMap::from([(
                "FifoQueue".to_owned(),
                "true".to_owned()
            )]))
            .unwrap_err()
            .code,
            ErrorCode::InvalidAttributeName
        );
    }
}
