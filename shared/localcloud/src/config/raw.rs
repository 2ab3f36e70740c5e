//! The file as written: serde structs whose `Deserialize` impls check every
//! value, so a mistake is reported by serde_yaml_ng with its key path and
//! line ("functions.api.timeout: ... at line 9 column 14").

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Architecture, HttpApiRoute};

#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a serverless.yml mapping (service, provider, functions...)"
)]
pub(super) struct RawConfig {
    pub(super) service: Name,
    pub(super) framework_version: Option<Scalar>,
    pub(super) provider: RawProvider,
    #[serde(default)]
    pub(super) plugins: Vec<String>,
    #[serde(default)]
    pub(super) package: Option<RawPackage>,
    #[serde(default)]
    pub(super) functions: Ordered<RawFunction>,
    #[serde(default)]
    pub(super) constructs: Ordered<RawConstruct>,
    #[serde(default)]
    pub(super) resources: Option<RawResources>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a mapping of provider settings")]
pub(super) struct RawProvider {
    pub(super) name: ProviderName,
    pub(super) runtime: Option<String>,
    pub(super) architecture: Option<RawArchitecture>,
    pub(super) region: Option<String>,
    pub(super) stage: Option<String>,
    pub(super) timeout: Option<Timeout>,
    pub(super) memory_size: Option<MemorySize>,
    #[serde(default)]
    pub(super) environment: BTreeMap<String, EnvValue>,
    #[serde(default)]
    pub(super) iam: Option<RawIam>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a mapping of function settings")]
pub(super) struct RawFunction {
    pub(super) handler: String,
    pub(super) name: Option<String>,
    pub(super) runtime: Option<String>,
    pub(super) architecture: Option<RawArchitecture>,
    pub(super) timeout: Option<Timeout>,
    pub(super) memory_size: Option<MemorySize>,
    #[serde(default)]
    pub(super) environment: BTreeMap<String, EnvValue>,
    pub(super) package: Option<RawPackage>,
    pub(super) reserved_concurrency: Option<u32>,
    #[serde(default)]
    pub(super) events: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(expecting = "a mapping such as {artifact: path/to/bootstrap.zip}")]
pub(super) struct RawPackage {
    pub(super) artifact: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
pub(super) enum RawArchitecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl From<RawArchitecture> for Architecture {
    fn from(a: RawArchitecture) -> Self {
        match a {
            RawArchitecture::X86_64 => Architecture::X86_64,
            RawArchitecture::Arm64 => Architecture::Arm64,
        }
    }
}

/// A scalar whose value is checked while serde_yaml_ng is still on it, so
/// the error carries the key's own path and line.
macro_rules! checked_scalar {
    ($name:ident, String, $check:expr) => {
        pub(super) struct $name(pub(super) String);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        let check: fn(&str) -> Result<(), String> = $check;
                        check(s).map_err(E::custom)?;
                        Ok($name(s.to_owned()))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
    ($name:ident, u32, $check:expr) => {
        pub(super) struct $name(pub(super) u32);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a whole number")
                    }
                    fn visit_u64<E: de::Error>(self, n: u64) -> Result<$name, E> {
                        let n = u32::try_from(n).unwrap_or(u32::MAX);
                        let check: fn(u32) -> Result<(), String> = $check;
                        check(n).map_err(E::custom)?;
                        Ok($name(n))
                    }
                    fn visit_i64<E: de::Error>(self, n: i64) -> Result<$name, E> {
                        match u64::try_from(n) {
                            Ok(n) => self.visit_u64(n),
                            Err(_) => {
                                Err(E::custom(format!("expected a positive number, got {n}")))
                            }
                        }
                    }
                }
                d.deserialize_u32(V)
            }
        }
    };
}

// Service names: letters, digits and hyphens, starting with a letter
// (Serverless v3 schema: `^[a-zA-Z][0-9a-zA-Z-]+$`).
checked_scalar!(Name, String, |s| {
    let ok = s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "service name {s:?} must start with a letter and contain only letters, digits and hyphens"
        ))
    }
});

checked_scalar!(ProviderName, String, |s| {
    if s == "aws" {
        Ok(())
    } else {
        Err(format!(
            "provider {s:?} is not supported: localcloud emulates AWS only (provider.name: aws)"
        ))
    }
});

// Lambda: "The amount of time ... maximum allowed value is 900 seconds" (L-DG, configuration-timeout).
checked_scalar!(Timeout, u32, |t| {
    if (1..=900).contains(&t) {
        Ok(())
    } else {
        Err(format!("timeout must be 1 to 900 seconds, got {t}"))
    }
});

// Lambda: memory from 128 MB to 10,240 MB (L-DG, configuration-memory).
checked_scalar!(MemorySize, u32, |m| {
    if (128..=10_240).contains(&m) {
        Ok(())
    } else {
        Err(format!("memorySize must be 128 to 10240 MB, got {m}"))
    }
});

/// A string, number or boolean, read as text (environment values, `frameworkVersion: 3`).
pub(super) struct Scalar(pub(super) String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_yaml_ng::Value::deserialize(d)? {
            serde_yaml_ng::Value::String(s) => Ok(Scalar(s)),
            serde_yaml_ng::Value::Number(n) => Ok(Scalar(n.to_string())),
            serde_yaml_ng::Value::Bool(b) => Ok(Scalar(b.to_string())),
            other => Err(de::Error::custom(format!(
                "expected a string, number or boolean, found {}; CloudFormation functions (Ref, Fn::GetAtt, ...) are not supported here by localcloud",
                kind(&other)
            ))),
        }
    }
}

pub(super) fn kind(v: &serde_yaml_ng::Value) -> &'static str {
    use serde_yaml_ng::Value::*;
    match v {
        Null => "null",
        Bool(_) => "a boolean",
        Number(_) => "a number",
        String(_) => "a string",
        Sequence(_) => "a list",
        Mapping(_) => "a mapping",
        Tagged(_) => "a tagged value",
    }
}

/// The HTTP methods an `httpApi` route can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
        }
    }

    /// Reads `post`, `POST`; `*` and `ANY` mean any method (`None`).
    fn parse(s: &str) -> Result<Option<HttpMethod>, String> {
        Ok(Some(match s.to_ascii_uppercase().as_str() {
            "*" | "ANY" => return Ok(None),
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            "HEAD" => HttpMethod::Head,
            "OPTIONS" => HttpMethod::Options,
            _ => {
                return Err(format!(
                    "method {s:?} is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *)"
                ));
            }
        }))
    }

    pub fn matches(self, method: &http::Method) -> bool {
        self.as_str() == method.as_str()
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `events:`. Only event types localcloud can play are accepted.
pub(super) enum RawEvent {
    HttpApi(HttpApiRoute),
    Sqs(RawSqsEvent),
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, serde_yaml_ng::Value>::deserialize(d)?;
        let mut entries = map.into_iter();
        let (Some((kind, value)), None) = (entries.next(), entries.next()) else {
            return Err(de::Error::custom(
                "each event must have exactly one key, such as `- httpApi: {method: POST, path: /}`",
            ));
        };
        match kind.as_str() {
            "httpApi" => parse_http_api(&value)
                .map(RawEvent::HttpApi)
                .map_err(de::Error::custom),
            "sqs" => parse_sqs_event(&value)
                .map(RawEvent::Sqs)
                .map_err(de::Error::custom),
            "http" => Err(de::Error::custom(
                "event type `http` (API Gateway REST API) is not supported by localcloud; use `httpApi` (HTTP API)",
            )),
            other => Err(de::Error::custom(format!(
                "event type `{other}` is not supported by localcloud (supported: httpApi, sqs)"
            ))),
        }
    }
}

fn parse_http_api(value: &serde_yaml_ng::Value) -> Result<HttpApiRoute, String> {
    let (method, path) = match value {
        serde_yaml_ng::Value::String(s) if s.trim() == "*" => return Ok(HttpApiRoute::Default),
        serde_yaml_ng::Value::String(s) => match s.trim().split_once(' ') {
            Some((m, p)) => (m.to_owned(), p.trim().to_owned()),
            None => {
                return Err(format!(
                    "httpApi {s:?} must be `METHOD /path` (e.g. 'POST /') or '*'"
                ));
            }
        },
        serde_yaml_ng::Value::Mapping(m) => {
            let get = |k: &str| match m.get(k) {
                Some(serde_yaml_ng::Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("httpApi.{k} must be a string")),
                None => Err(format!(
                    "httpApi needs `{k}` (e.g. {{method: POST, path: /}})"
                )),
            };
            if let Some(other) = m
                .keys()
                .filter_map(|k| k.as_str())
                .find(|k| !["method", "path", "authorizer"].contains(k))
            {
                return Err(format!("httpApi.{other} is not supported by localcloud"));
            }
            (get("method")?, get("path")?)
        }
        other => {
            return Err(format!(
                "httpApi must be a mapping {{method, path}} or a string like 'POST /', found {}",
                kind(other)
            ));
        }
    };
    let method = HttpMethod::parse(&method)?;
    if path == "*" && method.is_none() {
        return Ok(HttpApiRoute::Default);
    }
    check_route_path(&path)?;
    Ok(HttpApiRoute::Route { method, path })
}

/// HTTP API route paths: `/`, `/items`, `/items/{id}`, `/files/{proxy+}`
/// (HTTPAPI, "Working with routes for HTTP APIs"): a greedy `{name+}` only as
/// the last segment.
fn check_route_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("httpApi path {path:?} must start with `/`"));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let is_last = i + 1 == segments.len();
        if seg.is_empty() && !(is_last && segments.len() == 1) {
            return Err(format!("httpApi path {path:?} has an empty segment"));
        }
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let name = match name.strip_suffix('+') {
                Some(n) if is_last => n,
                Some(_) => {
                    return Err(format!(
                        "httpApi path {path:?}: a greedy parameter {{name+}} must be the last segment"
                    ));
                }
                None => name,
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "httpApi path {path:?}: bad parameter name {name:?}"
                ));
            }
        } else if seg.contains(['{', '}']) {
            return Err(format!(
                "httpApi path {path:?}: a parameter must be a whole segment, like /items/{{id}}"
            ));
        }
    }
    Ok(())
}

/// A mapping read in file order (`functions:` order is the order a learner
/// sees in reports).
pub(super) struct Ordered<T>(pub(super) Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Ordered(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!("`{key}` is defined twice")));
                    }
                    let value = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_any(OrderedVisitor(PhantomData))
    }
}

/// A value that names an SQS queue or one of its attributes:
/// `!Ref Q` (its URL), `!GetAtt Q.Arn`, `!GetAtt Q.QueueName`, the long forms
/// `{Ref: Q}` / `{"Fn::GetAtt": [Q, Arn]}`, or a plain string (which may hold
/// `${...}` variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RefValue {
    Text(String),
    Ref(String),
    GetAtt(String, String),
}

impl RefValue {
    pub(super) fn from_yaml(value: &serde_yaml_ng::Value) -> Result<Self, String> {
        use serde_yaml_ng::Value;
        let get_att = |text: &str| -> Result<RefValue, String> {
            match text.split_once('.') {
                Some((id, attribute)) => Ok(RefValue::GetAtt(id.to_owned(), attribute.to_owned())),
                None => Err(format!("GetAtt {text:?} must be `LogicalId.Attribute`")),
            }
        };
        match value {
            Value::String(s) => Ok(RefValue::Text(s.clone())),
            Value::Number(n) => Ok(RefValue::Text(n.to_string())),
            Value::Bool(b) => Ok(RefValue::Text(b.to_string())),
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let tag = tag.trim_start_matches('!');
                match (tag, &tagged.value) {
                    ("Ref", Value::String(id)) => Ok(RefValue::Ref(id.clone())),
                    ("GetAtt", Value::String(text)) => get_att(text),
                    ("GetAtt", Value::Sequence(parts)) if parts.len() == 2 => {
                        match (&parts[0], &parts[1]) {
                            (Value::String(id), Value::String(attribute)) => {
                                Ok(RefValue::GetAtt(id.clone(), attribute.clone()))
                            }
                            _ => Err("!GetAtt [LogicalId, Attribute] takes two strings".into()),
                        }
                    }
                    _ => Err(format!(
                        "the CloudFormation function !{tag} is not supported by localcloud here (supported: !Ref and !GetAtt of an AWS::SQS::Queue or AWS::DynamoDB::Table)"
                    )),
                }
            }
            Value::Mapping(map) if map.len() == 1 => {
                let (key, inner) = map.iter().next().ok_or("empty mapping")?;
                match (key.as_str(), inner) {
                    (Some("Ref"), Value::String(id)) => Ok(RefValue::Ref(id.clone())),
                    (Some("Fn::GetAtt"), Value::String(text)) => get_att(text),
                    (Some("Fn::GetAtt"), Value::Sequence(parts)) if parts.len() == 2 => {
                        match (&parts[0], &parts[1]) {
                            (Value::String(id), Value::String(attribute)) => {
                                Ok(RefValue::GetAtt(id.clone(), attribute.clone()))
                            }
                            _ => Err("Fn::GetAtt: [LogicalId, Attribute] takes two strings".into()),
                        }
                    }
                    (Some(other), _) => Err(format!(
                        "the CloudFormation function {other} is not supported by localcloud here (supported: Ref and Fn::GetAtt of an AWS::SQS::Queue or AWS::DynamoDB::Table)"
                    )),
                    (None, _) => Err("expected a string, Ref or Fn::GetAtt".into()),
                }
            }
            other => Err(format!(
                "expected a string, number, boolean, Ref or Fn::GetAtt, found {}",
                kind(other)
            )),
        }
    }
}

/// An environment variable's value.
pub(super) struct EnvValue(pub(super) RefValue);

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_yaml_ng::Value::deserialize(d)?;
        RefValue::from_yaml(&value)
            .map(EnvValue)
            .map_err(de::Error::custom)
    }
}

/// `- sqs: <arn>` or `- sqs: {arn, batchSize, maximumBatchingWindow,
/// functionResponseType, maximumConcurrency}` (Serverless v3 "SQS Queues").
#[derive(Debug, Clone)]
pub(super) struct RawSqsEvent {
    pub(super) arn: RefValue,
    pub(super) batch_size: Option<u32>,
    pub(super) maximum_batching_window: Option<u32>,
    pub(super) report_batch_item_failures: bool,
    pub(super) maximum_concurrency: Option<u32>,
}

fn parse_sqs_event(value: &serde_yaml_ng::Value) -> Result<RawSqsEvent, String> {
    let map = match value {
        serde_yaml_ng::Value::Mapping(map) if map.get("arn").is_some() => map,
        _ => {
            return Ok(RawSqsEvent {
                arn: RefValue::from_yaml(value)?,
                batch_size: None,
                maximum_batching_window: None,
                report_batch_item_failures: false,
                maximum_concurrency: None,
            });
        }
    };
    let number = |key: &str, min: u64, max: u64| -> Result<Option<u32>, String> {
        match map.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n as u32)),
                _ => Err(format!("sqs.{key} must be a number from {min} to {max}")),
            },
        }
    };
    for key in map.keys().filter_map(|k| k.as_str()) {
        if ![
            "arn",
            "batchSize",
            "maximumBatchingWindow",
            "functionResponseType",
            "maximumConcurrency",
            "enabled",
            "filterPatterns",
        ]
        .contains(&key)
        {
            return Err(format!("sqs.{key} is not supported by localcloud"));
        }
    }
    let report = match map.get("functionResponseType").and_then(|v| v.as_str()) {
        None => false,
        Some("ReportBatchItemFailures") => true,
        Some(other) => {
            return Err(format!(
                "sqs.functionResponseType {other:?}: the only value is ReportBatchItemFailures"
            ));
        }
    };
    let event = RawSqsEvent {
        arn: RefValue::from_yaml(map.get("arn").ok_or("sqs needs `arn`")?)?,
        // Lambda: BatchSize 1-10,000; MaximumBatchingWindowInSeconds 0-300;
        // ScalingConfig.MaximumConcurrency 2-1,000 (L-DG services-sqs-configure).
        batch_size: number("batchSize", 1, 10_000)?,
        maximum_batching_window: number("maximumBatchingWindow", 0, 300)?,
        report_batch_item_failures: report,
        maximum_concurrency: number("maximumConcurrency", 2, 1_000)?,
    };
    if event.batch_size.unwrap_or(10) > 10 && event.maximum_batching_window.unwrap_or(0) == 0 {
        return Err(
            "sqs.batchSize above 10 needs a maximumBatchingWindow of at least 1 second".into(),
        );
    }
    Ok(event)
}

/// A Lift construct. Only `type: queue` is supported.
pub(super) enum RawConstruct {
    Queue(Box<RawQueueConstruct>),
}

/// serverless-lift's `queue` construct (lift docs/queue.md, Queue.ts schema:
/// no other keys are allowed).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawQueueConstruct {
    #[serde(rename = "type")]
    pub(super) _type: String,
    pub(super) worker: RawWorker,
    pub(super) max_retries: Option<u32>,
    pub(super) batch_size: Option<u32>,
    pub(super) max_batching_window: Option<u32>,
    pub(super) max_concurrency: Option<u32>,
    pub(super) fifo: Option<bool>,
    pub(super) delay: Option<u32>,
    pub(super) encryption: Option<String>,
    pub(super) encryption_key: Option<String>,
    pub(super) encryption_key_arn: Option<String>,
    pub(super) alarm: Option<String>,
}

/// The worker: a function definition, or the name of a function in `functions:`.
pub(super) enum RawWorker {
    Inline(Box<RawFunction>),
    Reference(String),
}

impl<'de> Deserialize<'de> for RawWorker {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_yaml_ng::Value::deserialize(d)?;
        match value {
            serde_yaml_ng::Value::String(name) => Ok(RawWorker::Reference(name)),
            serde_yaml_ng::Value::Mapping(_) => serde_yaml_ng::from_value(value)
                .map(|f| RawWorker::Inline(Box::new(f)))
                .map_err(|e| de::Error::custom(format!("worker: {e}"))),
            other => Err(de::Error::custom(format!(
                "worker must be a function definition or a function's name, found {}",
                kind(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for RawConstruct {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_yaml_ng::Value::deserialize(d)?;
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .map(str::to_owned);
        match kind.as_deref() {
            Some("queue") => serde_yaml_ng::from_value(value)
                .map(|q| RawConstruct::Queue(Box::new(q)))
                .map_err(de::Error::custom),
            Some(other) => Err(de::Error::custom(format!(
                "construct type `{other}` is not supported by localcloud (supported: queue)"
            ))),
            None => Err(de::Error::custom(
                "a construct needs a `type`, such as `type: queue`",
            )),
        }
    }
}

/// `resources:` — CloudFormation. localcloud plays `AWS::SQS::Queue` and
/// `AWS::DynamoDB::Table`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RawResources {
    #[serde(default)]
    pub(super) resources: Ordered<RawResource>,
}

/// The resource types localcloud plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResourceType {
    SqsQueue,
    DynamoDbTable,
}

pub(super) struct RawResource {
    pub(super) kind: ResourceType,
    pub(super) properties: serde_yaml_ng::Mapping,
}

impl<'de> Deserialize<'de> for RawResource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_yaml_ng::Value::deserialize(d)?;
        let resource_type = match value.get("Type").and_then(|t| t.as_str()) {
            Some("AWS::SQS::Queue") => ResourceType::SqsQueue,
            Some("AWS::DynamoDB::Table") => ResourceType::DynamoDbTable,
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "resource type {other} is not supported by localcloud (supported: AWS::SQS::Queue, AWS::DynamoDB::Table)"
                )));
            }
            None => return Err(de::Error::custom("a resource needs a `Type`")),
        };
        let properties = match value.get("Properties") {
            None => serde_yaml_ng::Mapping::new(),
            Some(serde_yaml_ng::Value::Mapping(m)) => m.clone(),
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "Properties must be a mapping, found {}",
                    kind(other)
                )));
            }
        };
        Ok(RawResource {
            kind: resource_type,
            properties,
        })
    }
}

/// `provider.iam.role.statements` (Serverless v3 "IAM permissions"): read
/// so their `Resource` references resolve (a typo in a `Ref` fails here,
/// as it would on deploy); localcloud does not enforce IAM.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawIam {
    #[serde(default)]
    pub(super) role: Option<RawIamRole>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawIamRole {
    #[serde(default)]
    pub(super) statements: Vec<RawIamStatement>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RawIamStatement {
    pub(super) effect: Option<String>,
    #[serde(default)]
    pub(super) action: OneOrMany<String>,
    /// Kept as written: a `Ref` or `Fn::GetAtt` resolves; other functions
    /// (`Fn::Join`, `Fn::Sub`) are kept unresolved, since nothing local
    /// depends on them.
    #[serde(default)]
    pub(super) resource: OneOrMany<serde_yaml_ng::Value>,
}

/// IAM's `Action: x` or `Action: [x, y]`.
pub(super) struct OneOrMany<T>(pub(super) Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_yaml_ng::Value::deserialize(d)?;
        match value {
            serde_yaml_ng::Value::Sequence(items) => items
                .into_iter()
                .map(|v| T::deserialize(v).map_err(de::Error::custom))
                .collect::<Result<Vec<_>, _>>()
                .map(OneOrMany),
            other => T::deserialize(other)
                .map(|v| OneOrMany(vec![v]))
                .map_err(de::Error::custom),
        }
    }
}
