//! Queue operations: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue,
//! GetQueueAttributes, SetQueueAttributes, PurgeQueue,
//! ListDeadLetterSourceQueues, TagQueue, UntagQueue, ListQueueTags.
//!
//! SetQueueAttributes and PurgeQueue are reported on [`Sqs::events`].

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::in_range;
use crate::events::EventKind;
use crate::sqs::Sqs;
use crate::sqs::attributes::ALL_NAMES;
use crate::sqs::error::{ErrorCode, SqsError, SqsResult};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateQueueRequest {
    pub queue_name: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default, rename = "tags")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlResponse {
    pub queue_url: String,
}

pub fn create_queue(sqs: &Sqs, req: CreateQueueRequest) -> SqsResult<QueueUrlResponse> {
    check_tags(&req.tags)?;
    let (now, now_millis) = sqs.now();
    let queue_url =
        sqs.engine()
            .create_queue(&req.queue_name, &req.attributes, &req.tags, now, now_millis)?;
    Ok(QueueUrlResponse { queue_url })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueUrlRequest {
    pub queue_name: String,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    pub queue_owner_aws_account_id: Option<String>,
}

pub fn get_queue_url(sqs: &Sqs, req: GetQueueUrlRequest) -> SqsResult<QueueUrlResponse> {
    let engine = sqs.engine();
    let other_owner = req
        .queue_owner_aws_account_id
        .as_ref()
        .is_some_and(|owner| *owner != engine.account_id);
    if other_owner || !engine.queues.contains_key(&req.queue_name) {
        return Err(SqsError::queue_does_not_exist());
    }
    Ok(QueueUrlResponse {
        queue_url: engine.queue_url(&req.queue_name),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesRequest {
    pub queue_name_prefix: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Without MaxResults, at most 1,000 URLs and no token (SQS-API ListQueues).
pub fn list_queues(sqs: &Sqs, req: ListQueuesRequest) -> SqsResult<ListQueuesResponse> {
    let max = match req.max_results {
        Some(m) => Some(in_range("MaxResults", m, 1, 1000)? as usize),
        None => None,
    };
    let after = decode_token(req.next_token.as_deref())?;
    let engine = sqs.engine();
    let prefix = req.queue_name_prefix.unwrap_or_default();
    let names: Vec<&String> = engine
        .queues
        .keys()
        .filter(|n| n.starts_with(&prefix))
        .filter(|n| after.as_ref().is_none_or(|a| n.as_str() > a.as_str()))
        .collect();
    let (queue_urls, next_token) = page(&engine, &names, max);
    Ok(ListQueuesResponse {
        queue_urls,
        next_token,
    })
}

/// One page of queue URLs, and the token for the next: without MaxResults,
/// up to 1,000 and no token (SQS-API ListQueues, ListDeadLetterSourceQueues).
fn page<S: AsRef<str>>(
    engine: &crate::sqs::engine::Engine,
    names: &[S],
    max: Option<usize>,
) -> (Vec<String>, Option<String>) {
    let size = max.unwrap_or(1000);
    let next_token =
        (max.is_some() && names.len() > size).then(|| encode_token(names[size - 1].as_ref()));
    let urls = names
        .iter()
        .take(size)
        .map(|n| engine.queue_url(n.as_ref()))
        .collect();
    (urls, next_token)
}

fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(last)
}

fn decode_token(token: Option<&str>) -> SqsResult<Option<String>> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(|| SqsError::invalid_value("NextToken", token, "Invalid NextToken value."))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlRequest {
    pub queue_url: String,
}

#[derive(Serialize)]
pub struct Empty {}

pub fn delete_queue(sqs: &Sqs, req: QueueUrlRequest) -> SqsResult<Empty> {
    let (now, _) = sqs.now();
    sqs.engine().delete_queue(&req.queue_url, now)?;
    Ok(Empty {})
}

pub fn purge_queue(sqs: &Sqs, req: QueueUrlRequest) -> SqsResult<Empty> {
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let queue = engine.queue_mut(&req.queue_url, now)?;
    queue.purge(now)?;
    sqs.emit(
        EventKind::QueuePurged {
            queue: queue.name.clone(),
        },
        now_millis,
    );
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesRequest {
    pub queue_url: String,
    #[serde(default)]
    pub attribute_names: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesResponse {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

pub fn get_queue_attributes(
    sqs: &Sqs,
    req: GetQueueAttributesRequest,
) -> SqsResult<GetQueueAttributesResponse> {
    for name in &req.attribute_names {
        if !ALL_NAMES.contains(&name.as_str()) && name != "KmsDataKeyReusePeriodSeconds" {
            return Err(SqsError::new(
                ErrorCode::InvalidAttributeName,
                format!("Unknown Attribute {name}."),
            ));
        }
    }
    let (now, _) = sqs.now();
    let mut engine = sqs.engine();
    let queue = engine.queue_mut(&req.queue_url, now)?;
    let counts = queue.counts();
    let mut all: BTreeMap<String, String> = queue
        .settings
        .to_map()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    all.insert(
        "ApproximateNumberOfMessages".into(),
        counts.visible.to_string(),
    );
    all.insert(
        "ApproximateNumberOfMessagesNotVisible".into(),
        counts.in_flight.to_string(),
    );
    all.insert(
        "ApproximateNumberOfMessagesDelayed".into(),
        counts.delayed.to_string(),
    );
    all.insert(
        "CreatedTimestamp".into(),
        (queue.created_timestamp / 1000).to_string(),
    );
    all.insert(
        "LastModifiedTimestamp".into(),
        (queue.last_modified_timestamp / 1000).to_string(),
    );
    all.insert("QueueArn".into(), queue.arn.to_string());
    let everything = req.attribute_names.iter().any(|n| n == "All");
    let attributes = all
        .into_iter()
        .filter(|(k, _)| everything || req.attribute_names.contains(k))
        .collect();
    Ok(GetQueueAttributesResponse { attributes })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetQueueAttributesRequest {
    pub queue_url: String,
    pub attributes: BTreeMap<String, String>,
}

/// New settings apply to later sends and receives; messages already in
/// flight keep the visibility timeout they were received with.
pub fn set_queue_attributes(sqs: &Sqs, req: SetQueueAttributesRequest) -> SqsResult<Empty> {
    let (now, now_millis) = sqs.now();
    let mut engine = sqs.engine();
    let mut settings = engine.queue_mut(&req.queue_url, now)?.settings.clone();
    settings.apply(&req.attributes)?;
    engine.check_redrive_target(&settings)?;
    let queue = engine.queue_mut(&req.queue_url, now)?;
    queue.settings = settings;
    queue.last_modified_timestamp = now_millis;
    sqs.emit(
        EventKind::QueueAttributesChanged {
            queue: queue.name.clone(),
            attributes: req.attributes,
        },
        now_millis,
    );
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDeadLetterSourceQueuesRequest {
    pub queue_url: String,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

#[derive(Serialize)]
pub struct ListDeadLetterSourceQueuesResponse {
    /// Lower-case `queueUrls`, as in the API.
    #[serde(rename = "queueUrls")]
    pub queue_urls: Vec<String>,
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub fn list_dead_letter_source_queues(
    sqs: &Sqs,
    req: ListDeadLetterSourceQueuesRequest,
) -> SqsResult<ListDeadLetterSourceQueuesResponse> {
    let max = match req.max_results {
        Some(m) => Some(in_range("MaxResults", m, 1, 1000)? as usize),
        None => None,
    };
    let after = decode_token(req.next_token.as_deref())?;
    let (now, _) = sqs.now();
    let mut engine = sqs.engine();
    let arn = engine.queue_mut(&req.queue_url, now)?.arn.clone();
    let names: Vec<String> = engine
        .queues
        .values()
        .filter(|q| {
            q.settings
                .redrive_policy
                .as_ref()
                .is_some_and(|p| *p.dead_letter_target_arn == *arn)
        })
        .map(|q| q.name.clone())
        .filter(|n| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let (queue_urls, next_token) = page(&engine, &names, max);
    Ok(ListDeadLetterSourceQueuesResponse {
        queue_urls,
        next_token,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagQueueRequest {
    pub queue_url: String,
    pub tags: BTreeMap<String, String>,
}

/// Tags: up to 50 per queue; keys 1–128 characters, values up to 256
/// (SQS-DG "Tagging your Amazon SQS queues").
fn check_tags(tags: &BTreeMap<String, String>) -> SqsResult<()> {
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(SqsError::invalid_value(
                "Tags",
                key,
                "Tag keys must be 1 to 128 characters and values at most 256.",
            ));
        }
    }
    Ok(())
}

pub fn tag_queue(sqs: &Sqs, req: TagQueueRequest) -> SqsResult<Empty> {
    check_tags(&req.tags)?;
    let (now, _) = sqs.now();
    let mut engine = sqs.engine();
    let queue = engine.queue_mut(&req.queue_url, now)?;
    let mut tags = queue.tags.clone();
    tags.extend(req.tags);
    if tags.len() > 50 {
        return Err(SqsError::invalid_value(
            "Tags",
            tags.len(),
            "Too many tags added for queue: a queue can have at most 50 tags.",
        ));
    }
    queue.tags = tags;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagQueueRequest {
    pub queue_url: String,
    pub tag_keys: Vec<String>,
}

pub fn untag_queue(sqs: &Sqs, req: UntagQueueRequest) -> SqsResult<Empty> {
    let (now, _) = sqs.now();
    let mut engine = sqs.engine();
    let queue = engine.queue_mut(&req.queue_url, now)?;
    for key in &req.tag_keys {
        queue.tags.remove(key);
    }
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueueTagsResponse {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

pub fn list_queue_tags(sqs: &Sqs, req: QueueUrlRequest) -> SqsResult<ListQueueTagsResponse> {
    let (now, _) = sqs.now();
    let mut engine = sqs.engine();
    let queue = engine.queue_mut(&req.queue_url, now)?;
    Ok(ListQueueTagsResponse {
        tags: queue.tags.clone(),
    })
}
