//! From the file as written ([`super::raw`]) to what runs: defaults,
//! names, variables, Lift's `queue` constructs and `AWS::SQS::Queue`
//! resources, and each function's SQS event sources.
//!
//! Lift's rules (serverless-lift `src/constructs/aws/Queue.ts`): the queue is
//! `<service>-<stage>-<id>` and its DLQ `<service>-<stage>-<id>-dlq` (kept 14
//! days); `VisibilityTimeout` = worker timeout x 6 + `maxBatchingWindow`,
//! where the worker timeout is the worker's own `timeout` or 6 s (Lift does
//! not read `provider.timeout`); `maxReceiveCount` = `maxRetries` (3); the
//! worker is the function `<id>Worker`, subscribed with `batchSize` (1),
//! `maximumBatchingWindow` (0), `maxConcurrency` and
//! `functionResponseType: ReportBatchItemFailures`. With `fifo: true` the
//! queue is `<service>-<stage>-<id>.fifo` with `FifoQueue` and
//! `ContentBasedDeduplication`, its DLQ `<service>-<stage>-<id>-dlq.fifo`
//! with `FifoQueue` only (Lift's `new CdkQueue(..., { queueName: ... ,
//! fifo: configuration.fifo, contentBasedDeduplication: configuration.fifo })`),
//! and `batchSize` is at most 10 ("'batchSize' must be between 0 and 10
//! for FIFO queues").
//!
//! Raw `AWS::SQS::Queue` with `FifoQueue: true`: `QueueName` must end in
//! `.fifo` ("If you specify a FIFO queue name, you must include .fifo
//! suffix", CloudFormation AWS::SQS::Queue, `QueueName`); without a name
//! CloudFormation generates one (with the suffix), here the stable
//! `<service>-<stage>-<LogicalId>.fifo`. `ContentBasedDeduplication`,
//! `DeduplicationScope` and `FifoThroughputLimit` pass to SQS, which checks them.

use std::collections::BTreeMap;
use std::path::Path;

use super::raw::{
    EnvValue, Ordered, RawConfig, RawConstruct, RawEvent, RawFunction, RawSqsEvent, RawWorker,
    RefValue, ResourceType,
};
use super::variables::Variables;
use super::{
    Architecture, DEFAULT_MEMORY_MB, DEFAULT_REGION, DEFAULT_STAGE, DEFAULT_TIMEOUT_SECONDS,
    Function, IamStatement, Provider, QueueSpec, Redrive, ResolveContext, ServerlessConfig,
    SqsEventSource, TableSpec,
};

/// `FifoQueue: true` (or the string "true").
fn is_true(value: Option<&serde_yaml_ng::Value>) -> bool {
    value.is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"))
}

/// The DLQ of a Lift queue keeps messages 14 days, the SQS maximum.
const LIFT_DLQ_RETENTION: u32 = 1_209_600;

pub(super) fn resolve(
    raw: RawConfig,
    file: &serde_yaml_ng::Value,
    text: &str,
    path: &Path,
    context: &ResolveContext,
) -> Result<ServerlessConfig, String> {
    let with_line = |message: String, needle: &str| match line_of(text, needle) {
        Some(line) => format!("{message} (line {line})"),
        None => message,
    };
    let service = raw.service.0.clone();
    let p = raw.provider;
    // `--stage` wins over provider.stage (Serverless v3 CLI).
    let bootstrap = Variables {
        service: &service,
        stage: DEFAULT_STAGE,
        region: DEFAULT_REGION,
        file,
        context,
        constructs: BTreeMap::new(),
    };
    let resolve_early = |value: Option<&String>, at: &str| -> Result<Option<String>, String> {
        value
            .map(|v| bootstrap.resolve(v, at).map_err(|e| with_line(e, v)))
            .transpose()
    };
    let stage = match &context.stage {
        Some(s) => s.clone(),
        None => resolve_early(p.stage.as_ref(), "provider.stage")?
            .unwrap_or_else(|| DEFAULT_STAGE.into()),
    };
    let region = match &context.region {
        Some(r) => r.clone(),
        None => resolve_early(p.region.as_ref(), "provider.region")?
            .unwrap_or_else(|| DEFAULT_REGION.into()),
    };
    let mut vars = Variables {
        service: &service,
        stage: &stage,
        region: &region,
        file,
        context,
        constructs: BTreeMap::new(),
    };

    // Queues: Lift constructs first, then raw CloudFormation.
    let mut queues: Vec<QueueSpec> = Vec::new();
    let mut functions_in: Vec<(String, RawFunction)> = raw.functions.0;
    let mut extra_events: BTreeMap<String, Vec<SqsEventSource>> = BTreeMap::new();
    for (id, construct) in raw.constructs.0 {
        let RawConstruct::Queue(q) = construct;
        let at = format!("constructs.{id}");
        let err = |m: String| with_line(m, &format!("{id}:"));
        let fifo = q.fifo == Some(true);
        if fifo && q.batch_size.is_some_and(|b| b > 10) {
            return Err(err(format!(
                "{at}: 'batchSize' must be between 0 and 10 for FIFO queues, '{}' given",
                q.batch_size.unwrap_or_default()
            )));
        }
        check_range(&at, "maxRetries", q.max_retries, 1, 1000).map_err(&err)?;
        check_range(&at, "batchSize", q.batch_size, 1, 10_000).map_err(&err)?;
        check_range(&at, "maxBatchingWindow", q.max_batching_window, 0, 300).map_err(&err)?;
        check_range(&at, "maxConcurrency", q.max_concurrency, 2, 1000).map_err(&err)?;
        check_range(&at, "delay", q.delay, 0, 900).map_err(&err)?;
        let window = q.max_batching_window.unwrap_or(0);
        if q.batch_size.unwrap_or(1) > 10 && window == 0 {
            return Err(err(format!(
                "{at}: 'maxBatchingWindow' must be greater than 0 for batchSize > 10"
            )));
        }
        match q.encryption.as_deref() {
            None | Some("") | Some("kmsManaged") => {}
            Some("kms") if q.encryption_key.is_some() => {}
            Some("kmsExisting") if q.encryption_key.is_some() && q.encryption_key_arn.is_some() => {
            }
            Some(other) => {
                return Err(err(format!(
                    "{at}.encryption: {other:?} needs encryptionKey (and encryptionKeyArn for kmsExisting); values: kms, kmsManaged, kmsExisting"
                )));
            }
        }
        let _ = &q.alarm; // The alarm is a CloudWatch/SNS matter; nothing to play locally.
        let (worker_key, worker_timeout) = match q.worker {
            RawWorker::Inline(function) => {
                let key = format!("{id}Worker");
                let timeout = function.timeout.as_ref().map(|t| t.0);
                functions_in.push((key.clone(), *function));
                (key, timeout)
            }
            RawWorker::Reference(name) => {
                let Some((_, f)) = functions_in.iter().find(|(k, _)| *k == name) else {
                    return Err(err(format!(
                        "{at}.worker: there is no function {name:?} under `functions:`"
                    )));
                };
                (name.clone(), f.timeout.as_ref().map(|t| t.0))
            }
        };
        let timeout = worker_timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        let stem = format!("{}-{id}", vars.stack_name());
        let suffix = if fifo { ".fifo" } else { "" };
        let base = format!("{stem}{suffix}");
        let dlq = format!("{stem}-dlq{suffix}");
        let mut attributes = BTreeMap::from([(
            "VisibilityTimeout".to_owned(),
            (timeout * 6 + window).to_string(),
        )]);
        if let Some(delay) = q.delay {
            attributes.insert("DelaySeconds".into(), delay.to_string());
        }
        let mut dlq_attributes = BTreeMap::from([(
            "MessageRetentionPeriod".to_owned(),
            LIFT_DLQ_RETENTION.to_string(),
        )]);
        if fifo {
            attributes.insert("FifoQueue".into(), "true".into());
            attributes.insert("ContentBasedDeduplication".into(), "true".into());
            dlq_attributes.insert("FifoQueue".into(), "true".into());
        }
        queues.push(QueueSpec {
            name: dlq.clone(),
            attributes: dlq_attributes,
            redrive: None,
            defined_at: format!("{at} (dead-letter queue)"),
        });
        queues.push(QueueSpec {
            name: base.clone(),
            attributes,
            redrive: Some(Redrive {
                dead_letter_queue: dlq.clone(),
                max_receive_count: q.max_retries.unwrap_or(3),
            }),
            defined_at: at.clone(),
        });
        vars.constructs.insert(
            id.clone(),
            BTreeMap::from([
                ("queueUrl", vars.queue_url(&base)),
                ("queueArn", vars.queue_arn(&base)),
                ("dlqUrl", vars.queue_url(&dlq)),
                ("dlqArn", vars.queue_arn(&dlq)),
            ]),
        );
        extra_events
            .entry(worker_key)
            .or_default()
            .push(SqsEventSource {
                queue: base,
                batch_size: q.batch_size.unwrap_or(1),
                maximum_batching_window_seconds: window,
                report_batch_item_failures: true,
                maximum_concurrency: q.max_concurrency,
            });
    }

    // Raw AWS::SQS::Queue resources: names first (they refer to each other).
    let resources = raw
        .resources
        .map(|r| r.resources)
        .unwrap_or_else(|| Ordered(Vec::new()));
    let mut resource_names: BTreeMap<String, String> = BTreeMap::new();
    let mut table_names: BTreeMap<String, String> = BTreeMap::new();
    for (key, resource) in &resources.0 {
        let name_key = match resource.kind {
            ResourceType::SqsQueue => "QueueName",
            ResourceType::DynamoDbTable => "TableName",
        };
        let at = format!("resources.Resources.{key}.Properties.{name_key}");
        let name = match resource.properties.get(name_key) {
            Some(value) => {
                let RefValue::Text(text) =
                    RefValue::from_yaml(value).map_err(|e| format!("{at}: {e}"))?
                else {
                    return Err(with_line(format!("{at}: must be a string"), key));
                };
                vars.resolve(&text, &at).map_err(|e| with_line(e, &text))?
            }
            // CloudFormation would add a random suffix; locally the name is
            // stable (and a FIFO queue's ends in .fifo, as CloudFormation's does).
            None if resource.kind == ResourceType::SqsQueue
                && is_true(resource.properties.get("FifoQueue")) =>
            {
                format!("{}-{key}.fifo", vars.stack_name())
            }
            None => format!("{}-{key}", vars.stack_name()),
        };
        if resource.kind == ResourceType::SqsQueue {
            let fifo = is_true(resource.properties.get("FifoQueue"));
            if fifo != name.ends_with(".fifo") {
                return Err(with_line(
                    if fifo {
                        format!(
                            "{at}: {name:?}: a FIFO queue's name must end in .fifo (FifoQueue: true)"
                        )
                    } else {
                        format!("{at}: {name:?}: a name ending in .fifo needs FifoQueue: true")
                    },
                    key,
                ));
            }
        }
        match resource.kind {
            ResourceType::SqsQueue => resource_names.insert(key.clone(), name),
            ResourceType::DynamoDbTable => table_names.insert(key.clone(), name),
        };
    }
    let refs = Refs {
        vars: &vars,
        resources: &resource_names,
        tables: &table_names,
    };
    let mut tables = Vec::new();
    for (key, resource) in &resources.0 {
        if resource.kind == ResourceType::DynamoDbTable {
            let err = |m: String| with_line(m, &format!("{key}:"));
            tables.push(table_spec(key, &resource.properties, &table_names[key]).map_err(err)?);
        }
    }
    for (key, resource) in resources
        .0
        .iter()
        .filter(|(_, r)| r.kind == ResourceType::SqsQueue)
    {
        let at = format!("resources.Resources.{key}.Properties");
        let err = |m: String| with_line(m, &format!("{key}:"));
        let mut attributes = BTreeMap::new();
        let mut redrive = None;
        for (name, value) in &resource.properties {
            let name = name.as_str().unwrap_or_default();
            match name {
                "QueueName"
                | "Tags"
                | "KmsMasterKeyId"
                | "KmsDataKeyReusePeriodSeconds"
                | "SqsManagedSseEnabled"
                | "RedriveAllowPolicy" => {}
                "VisibilityTimeout"
                | "MessageRetentionPeriod"
                | "DelaySeconds"
                | "MaximumMessageSize"
                | "ReceiveMessageWaitTimeSeconds" => {
                    let value =
                        RefValue::from_yaml(value).map_err(|e| err(format!("{at}.{name}: {e}")))?;
                    let text = refs.text(&value, &format!("{at}.{name}")).map_err(&err)?;
                    attributes.insert(name.to_owned(), text);
                }
                "RedrivePolicy" => {
                    let target = value.get("deadLetterTargetArn").ok_or_else(|| {
                        err(format!("{at}.RedrivePolicy needs deadLetterTargetArn"))
                    })?;
                    let target = RefValue::from_yaml(target)
                        .map_err(|e| err(format!("{at}.RedrivePolicy.deadLetterTargetArn: {e}")))?;
                    let arn = refs
                        .text(&target, &format!("{at}.RedrivePolicy.deadLetterTargetArn"))
                        .map_err(&err)?;
                    let count = value
                        .get("maxReceiveCount")
                        .and_then(|v| {
                            v.as_u64()
                                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        })
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| {
                            err(format!(
                                "{at}.RedrivePolicy.maxReceiveCount must be 1 to 1000"
                            ))
                        })?;
                    redrive = Some(Redrive {
                        dead_letter_queue: refs
                            .queue_of_arn(&arn, &format!("{at}.RedrivePolicy.deadLetterTargetArn"))
                            .map_err(&err)?,
                        max_receive_count: count as u32,
                    });
                }
                "FifoQueue" => {
                    if is_true(Some(value)) {
                        attributes.insert(name.to_owned(), "true".to_owned());
                    }
                }
                "ContentBasedDeduplication" | "DeduplicationScope" | "FifoThroughputLimit" => {
                    let value =
                        RefValue::from_yaml(value).map_err(|e| err(format!("{at}.{name}: {e}")))?;
                    let text = refs.text(&value, &format!("{at}.{name}")).map_err(&err)?;
                    attributes.insert(name.to_owned(), text);
                }
                other => return Err(err(format!("{at}.{other} is not supported by localcloud"))),
            }
        }
        queues.push(QueueSpec {
            name: resource_names[key].clone(),
            attributes,
            redrive,
            defined_at: format!("resources.Resources.{key}"),
        });
    }

    // Functions.
    let environment = |values: BTreeMap<String, EnvValue>,
                       at: &str|
     -> Result<BTreeMap<String, String>, String> {
        values
            .into_iter()
            .map(|(k, EnvValue(v))| {
                let key_at = format!("{at}.{k}");
                refs.text(&v, &key_at)
                    .map(|text| (k.clone(), text))
                    .map_err(|e| with_line(e, &format!("{k}:")))
            })
            .collect()
    };
    let provider_environment = environment(p.environment, "provider.environment")?;
    let mut iam_statements = Vec::new();
    let statements = p
        .iam
        .and_then(|iam| iam.role)
        .map(|role| role.statements)
        .unwrap_or_default();
    for (i, statement) in statements.into_iter().enumerate() {
        let at = format!("provider.iam.role.statements[{i}]");
        let mut resources = Vec::new();
        for value in &statement.resource.0 {
            let resolved = match RefValue::from_yaml(value) {
                Ok(reference) => refs.text(&reference, &format!("{at}.Resource"))?,
                // Fn::Join, Fn::Sub...: kept as written (IAM is not enforced).
                Err(_) => format!("<{}>", serde_json::to_string(value).unwrap_or_default()),
            };
            resources.push(resolved);
        }
        iam_statements.push(IamStatement {
            effect: statement.effect.unwrap_or_else(|| "Allow".into()),
            actions: statement.action.0,
            resources,
        });
    }
    let provider = Provider {
        name: p.name.0,
        runtime: p.runtime,
        architecture: p.architecture.map_or(Architecture::X86_64, Into::into),
        region: region.clone(),
        stage: stage.clone(),
        timeout: p.timeout.map(|t| t.0),
        memory_size: p.memory_size.map(|m| m.0),
        environment: provider_environment,
        iam_statements,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let service_artifact = raw.package.and_then(|p| p.artifact);
    let mut functions = Vec::new();
    for (key, f) in functions_in {
        let at = format!("functions.{key}");
        let mut env = provider.environment.clone();
        env.extend(environment(f.environment, &format!("{at}.environment"))?);
        let artifact = match f
            .package
            .and_then(|p| p.artifact)
            .or_else(|| service_artifact.clone())
        {
            Some(a) => Some(
                dir.join(
                    vars.resolve(&a, &format!("{at}.package.artifact"))
                        .map_err(|e| with_line(e, &a))?,
                ),
            ),
            None => None,
        };
        let name = match &f.name {
            Some(n) => vars
                .resolve(n, &format!("{at}.name"))
                .map_err(|e| with_line(e, n))?,
            None => format!("{}-{key}", vars.stack_name()),
        };
        let mut http_api = Vec::new();
        let mut sqs_events = extra_events.remove(&key).unwrap_or_default();
        for event in f.events {
            match event {
                RawEvent::HttpApi(route) => http_api.push(route),
                RawEvent::Sqs(RawSqsEvent {
                    arn,
                    batch_size,
                    maximum_batching_window,
                    report_batch_item_failures,
                    maximum_concurrency,
                }) => {
                    let arn_at = format!("{at}.events.sqs.arn");
                    let arn = refs
                        .text(&arn, &arn_at)
                        .map_err(|e| with_line(e, &format!("{key}:")))?;
                    sqs_events.push(SqsEventSource {
                        queue: refs.queue_of_arn(&arn, &arn_at)?,
                        // Serverless v3 defaults: batchSize 10, no window.
                        batch_size: batch_size.unwrap_or(10),
                        maximum_batching_window_seconds: maximum_batching_window.unwrap_or(0),
                        report_batch_item_failures,
                        maximum_concurrency,
                    });
                }
            }
        }
        functions.push(Function {
            name,
            handler: f.handler,
            runtime: f.runtime.or_else(|| provider.runtime.clone()),
            architecture: f.architecture.map_or(provider.architecture, Into::into),
            timeout_seconds: f
                .timeout
                .map(|t| t.0)
                .or(provider.timeout)
                .unwrap_or(DEFAULT_TIMEOUT_SECONDS),
            memory_size_mb: f
                .memory_size
                .map(|m| m.0)
                .or(provider.memory_size)
                .unwrap_or(DEFAULT_MEMORY_MB),
            environment: env,
            artifact,
            reserved_concurrency: f.reserved_concurrency,
            http_api,
            sqs_events,
            key,
        });
    }
    Ok(ServerlessConfig {
        path: path.to_owned(),
        service,
        framework_version: raw.framework_version.map(|v| v.0),
        provider,
        plugins: raw.plugins,
        functions,
        queues,
        tables,
    })
}

/// The properties of `AWS::DynamoDB::Table` localcloud plays, and those it
/// accepts and leaves to AWS (CloudFormation "AWS::DynamoDB::Table").
const TABLE_PROPERTIES: [&str; 6] = [
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "TimeToLiveSpecification",
];
const TABLE_PROPERTIES_IGNORED: [&str; 7] = [
    "Tags",
    "PointInTimeRecoverySpecification",
    "SSESpecification",
    "DeletionProtectionEnabled",
    "TableClass",
    "ContributorInsightsSpecification",
    "StreamSpecification",
];

/// An `AWS::DynamoDB::Table` resource as CreateTable's request.
fn table_spec(
    key: &str,
    properties: &serde_yaml_ng::Mapping,
    name: &str,
) -> Result<TableSpec, String> {
    let at = format!("resources.Resources.{key}.Properties");
    let mut request = serde_json::Map::new();
    for (property, value) in properties {
        let property = property.as_str().unwrap_or_default();
        if TABLE_PROPERTIES_IGNORED.contains(&property) {
            continue;
        }
        if !TABLE_PROPERTIES.contains(&property) {
            return Err(format!(
                "{at}.{property} is not supported by localcloud (it plays {}; it accepts and ignores {})",
                TABLE_PROPERTIES.join(", "),
                TABLE_PROPERTIES_IGNORED.join(", ")
            ));
        }
        if property == "TableName" {
            continue;
        }
        let value = serde_json::to_value(value).map_err(|_| {
            format!(
                "{at}.{property}: only plain values are supported here (no !Ref or other functions)"
            )
        })?;
        request.insert(property.to_owned(), value);
    }
    request.insert(
        "TableName".into(),
        serde_json::Value::String(name.to_owned()),
    );
    if !request.contains_key("KeySchema") {
        return Err(format!("{at}.KeySchema is required"));
    }
    Ok(TableSpec {
        name: name.to_owned(),
        properties: serde_json::Value::Object(request),
        defined_at: format!("resources.Resources.{key}"),
    })
}

/// Resolves `RefValue`s against the file's queues and variables.
struct Refs<'a> {
    vars: &'a Variables<'a>,
    resources: &'a BTreeMap<String, String>,
    /// DynamoDB tables: logical id -> table name.
    tables: &'a BTreeMap<String, String>,
}

impl Refs<'_> {
    fn text(&self, value: &RefValue, at: &str) -> Result<String, String> {
        let queue = |id: &str| {
            self.resources.get(id).ok_or_else(|| {
                format!("{at}: {id} is not an AWS::SQS::Queue or AWS::DynamoDB::Table under resources.Resources")
            })
        };
        if let RefValue::Ref(id) | RefValue::GetAtt(id, _) = value
            && let Some(table) = self.tables.get(id)
        {
            // CloudFormation "AWS::DynamoDB::Table", return values: Ref is
            // the table name; Fn::GetAtt Arn its ARN.
            return match value {
                RefValue::GetAtt(_, attribute) if attribute == "Arn" => {
                    Ok(self.vars.table_arn(table))
                }
                RefValue::GetAtt(_, other) => Err(format!(
                    "{at}: localcloud resolves Fn::GetAtt {id}.Arn of an AWS::DynamoDB::Table, not {other:?} (no streams)"
                )),
                _ => Ok(table.clone()),
            };
        }
        match value {
            RefValue::Text(text) => self.vars.resolve(text, at),
            RefValue::Ref(id) => Ok(self.vars.queue_url(queue(id)?)),
            RefValue::GetAtt(id, attribute) => {
                let name = queue(id)?;
                match attribute.as_str() {
                    "Arn" => Ok(self.vars.queue_arn(name)),
                    "QueueName" => Ok(name.clone()),
                    "QueueUrl" => Ok(self.vars.queue_url(name)),
                    other => Err(format!(
                        "{at}: an AWS::SQS::Queue has no attribute {other:?} (Arn, QueueName, QueueUrl)"
                    )),
                }
            }
        }
    }

    /// The queue an ARN names; it must be one this file defines.
    fn queue_of_arn(&self, arn: &str, at: &str) -> Result<String, String> {
        let name = arn
            .strip_prefix("arn:aws:sqs:")
            .and_then(|rest| rest.rsplit(':').next())
            .ok_or_else(|| format!("{at}: {arn:?} is not an SQS queue ARN"))?;
        let known = self.resources.values().any(|n| n == name)
            || self.vars.constructs.values().any(|o| {
                o.get("queueArn")
                    .is_some_and(|a| a.ends_with(&format!(":{name}")))
                    || o.get("dlqArn")
                        .is_some_and(|a| a.ends_with(&format!(":{name}")))
            });
        if known {
            Ok(name.to_owned())
        } else {
            Err(format!(
                "{at}: queue {name:?} is not defined in this serverless.yml (localcloud plays the queues the file defines: Lift constructs and AWS::SQS::Queue resources)"
            ))
        }
    }
}

fn check_range(at: &str, key: &str, value: Option<u32>, min: u32, max: u32) -> Result<(), String> {
    match value {
        Some(v) if !(min..=max).contains(&v) => {
            Err(format!("{at}.{key} must be {min} to {max}, got {v}"))
        }
        _ => Ok(()),
    }
}

/// The first line of the file that contains `needle` (1-based).
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}
