//! Reads a `serverless.yml` the way Serverless Framework v3 does.
//!
//! `serverless.yml` is the single source of truth for the AWS deploy and for
//! localcloud, so this module applies the framework's own defaults and names
//! (stage `dev`, region `us-east-1`, timeout 6 s, memory 1024 MB, function
//! name `<service>-<stage>-<key>`), documented in the Serverless v3 reference
//! (serverless.com/framework/docs/providers/aws/guide/serverless.yml) and
//! checked against what `osls package` writes.
//!
//! A file localcloud cannot serve is refused while it is read, with the file,
//! the line and the key path: `serverless.yml: functions.api.timeout: ... at
//! line 12 column 14`. Keys that only matter on AWS (deployment bucket, IAM,
//! tags...) are accepted and ignored.

mod raw;
mod resolve;
mod variables;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use raw::HttpMethod;

/// Serverless v3's defaults (serverless.yml reference, "provider").
pub const DEFAULT_STAGE: &str = "dev";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 6;
pub const DEFAULT_MEMORY_MB: u32 = 1024;

/// A `serverless.yml`, read and resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerlessConfig {
    /// The file it was read from.
    pub path: PathBuf,
    pub service: String,
    pub framework_version: Option<String>,
    pub provider: Provider,
    pub plugins: Vec<String>,
    /// In file order, then the workers of Lift constructs.
    pub functions: Vec<Function>,
    /// The SQS queues the file defines (Lift constructs, AWS::SQS::Queue).
    pub queues: Vec<QueueSpec>,
    /// The DynamoDB tables the file defines (AWS::DynamoDB::Table).
    pub tables: Vec<TableSpec>,
}

/// A DynamoDB table the file defines.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub name: String,
    /// The resource's `Properties` as JSON, `TableName` set: the shape of
    /// CreateTable's request (plus `TimeToLiveSpecification`).
    pub properties: serde_json::Value,
    /// `resources.Resources.<LogicalId>`.
    pub defined_at: String,
}

/// One statement of `provider.iam.role.statements`, its resources resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamStatement {
    pub effect: String,
    pub actions: Vec<String>,
    /// ARNs; a CloudFormation function localcloud does not resolve is kept
    /// as `<Fn::Join ...>`.
    pub resources: Vec<String>,
}

/// What a file's values are resolved against: the CLI options and where
/// localcloud's SQS answers.
#[derive(Debug, Clone)]
pub struct ResolveContext {
    /// `--stage`, over provider.stage.
    pub stage: Option<String>,
    /// `--region`, over provider.region.
    pub region: Option<String>,
    /// `http://127.0.0.1:9324`: the start of queue URLs.
    pub sqs_endpoint_url: String,
    pub account_id: String,
}

impl Default for ResolveContext {
    fn default() -> Self {
        Self {
            stage: None,
            region: None,
            sqs_endpoint_url: "http://127.0.0.1:9324".into(),
            account_id: "000000000000".into(),
        }
    }
}

/// An SQS queue the file defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub name: String,
    /// SQS attribute names and values (`VisibilityTimeout`: `36`...), without RedrivePolicy.
    pub attributes: BTreeMap<String, String>,
    pub redrive: Option<Redrive>,
    /// Where in the file: `constructs.jobs`, `resources.Resources.Jobs`.
    pub defined_at: String,
}

/// A queue's dead-letter queue and after how many receives messages go there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

/// An SQS event source of a function (an event source mapping on AWS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsEventSource {
    pub queue: String,
    pub batch_size: u32,
    pub maximum_batching_window_seconds: u32,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
    pub maximum_concurrency: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub name: String,
    pub runtime: Option<String>,
    pub architecture: Architecture,
    pub region: String,
    pub stage: String,
    pub timeout: Option<u32>,
    pub memory_size: Option<u32>,
    pub environment: BTreeMap<String, String>,
    /// `iam.role.statements`, resolved (not enforced).
    pub iam_statements: Vec<IamStatement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        })
    }
}

/// One function, with the provider's settings applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The key under `functions:` (e.g. `api`).
    pub key: String,
    /// The deployed name: `<service>-<stage>-<key>` unless `name:` is set.
    pub name: String,
    pub handler: String,
    pub runtime: Option<String>,
    pub architecture: Architecture,
    pub timeout_seconds: u32,
    pub memory_size_mb: u32,
    /// Provider environment, then the function's own (the function wins).
    pub environment: BTreeMap<String, String>,
    /// `package.artifact`, resolved against the file's folder.
    pub artifact: Option<PathBuf>,
    pub reserved_concurrency: Option<u32>,
    pub http_api: Vec<HttpApiRoute>,
    pub sqs_events: Vec<SqsEventSource>,
}

/// An `httpApi` event: `{method: POST, path: /}`, `'POST /'` or `'*'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpApiRoute {
    /// `method` is `None` for `*` (any method).
    Route {
        method: Option<HttpMethod>,
        path: String,
    },
    /// `'*'`: the `$default` route, for every request no other route takes.
    Default,
}

impl HttpApiRoute {
    /// The API Gateway route key: `POST /`, `ANY /items/{id}`, `$default`.
    pub fn route_key(&self) -> String {
        match self {
            HttpApiRoute::Route { method, path } => match method {
                Some(m) => format!("{m} {path}"),
                None => format!("ANY {path}"),
            },
            HttpApiRoute::Default => "$default".to_owned(),
        }
    }
}

/// Why a `serverless.yml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The I/O error is in the message (not a `source`), so chains print it once.
    #[error("{path}: cannot read the file: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A YAML or schema error; `message` names the key and the line.
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl ServerlessConfig {
    /// Reads and checks a `serverless.yml`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_file_with(path, &ResolveContext::default())
    }

    /// Reads a `serverless.yml`, resolving against `context`.
    pub fn from_file_with(
        path: impl AsRef<Path>,
        context: &ResolveContext,
    ) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io {
            path: path.to_owned(),
            error,
        })?;
        Self::from_str_with(&text, path, context)
    }

    /// Reads a `serverless.yml` given as text; `path` is where it lives (used
    /// for messages and to resolve `package.artifact`).
    pub fn from_str_at(text: &str, path: &Path) -> Result<Self, ConfigError> {
        Self::from_str_with(text, path, &ResolveContext::default())
    }

    pub fn from_str_with(
        text: &str,
        path: &Path,
        context: &ResolveContext,
    ) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let raw: raw::RawConfig =
            serde_yaml_ng::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let file: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| invalid(e.to_string()))?;
        resolve::resolve(raw, &file, text, path, context).map_err(invalid)
    }

    /// A function by its key under `functions:`.
    pub fn function(&self, key: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.key == key)
    }

    /// The work queue: the first queue that has a dead-letter queue (a Lift
    /// `queue` construct's, or a resource with a RedrivePolicy).
    pub fn queue_with_dlq(&self) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.redrive.is_some())
    }
}

#[cfg(test)]
mod tests;
