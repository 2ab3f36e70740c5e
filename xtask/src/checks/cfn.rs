//! localcloud's reading of a serverless.yml, held against the CloudFormation
//! that `osls package` (Serverless v3 + serverless-lift, pinned) writes for
//! the same file: queues and their attributes, redrive policies, event
//! source mappings, functions' timeout, memory and environment, routes,
//! DynamoDB tables (key schema, billing, TTL) and what `Ref`/`Fn::GetAtt`
//! of a table resolve to.
//!
//! Runs offline: the lesson's file (and variants of it) is copied to a
//! scratch folder beside stand-in artifact zips (the code is not what is
//! compared), then packaged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use localcloud::config::ServerlessConfig;
use serde_json::Value;
use xshell::Shell;

use crate::lesson::package;
use crate::lesson::step3::scenario::Scenario;
use crate::{paths, tools};

#[derive(Args)]
pub struct CfnCheckArgs {}

/// The variants checked besides the lessons' own files.
fn variants(step2: &str) -> Vec<(&'static str, String)> {
    vec![
        ("step2 as written", step2.to_owned()),
        (
            "step2, Lift options (maxRetries, batchSize, maxBatchingWindow, maxConcurrency, delay, worker timeout)",
            step2.replace(
                "    worker:\n      handler: bootstrap\n",
                "    maxRetries: 5\n    batchSize: 20\n    maxBatchingWindow: 4\n    maxConcurrency: 7\n    delay: 3\n    worker:\n      handler: bootstrap\n      timeout: 10\n      memorySize: 512\n",
            ),
        ),
        (
            "step2, Lift fifo: true (.fifo queue and DLQ, content-based deduplication)",
            step2.replace(
                "    type: queue\n    worker:\n",
                "    type: queue\n    fifo: true\n    worker:\n",
            ),
        ),
        (
            "step2, provider.timeout 20 (Lift still counts the worker as 6 s)",
            step2.replace("  region: ap-northeast-2\n", "  region: ap-northeast-2\n  timeout: 20\n"),
        ),
        (
            "raw AWS::SQS::Queue resources and an sqs event",
            r#"service: raw-queues
frameworkVersion: '3'
provider:
  name: aws
  runtime: provided.al2023
  region: eu-west-1
functions:
  worker:
    handler: bootstrap
    timeout: 10
    package:
      artifact: ../../target/lambda/step2-worker/step2-worker.zip
    environment:
      JOBS_URL: !Ref Jobs
      JOBS_ARN: !GetAtt Jobs.Arn
    events:
      - sqs:
          arn: !GetAtt Jobs.Arn
          batchSize: 5
          maximumBatchingWindow: 2
          functionResponseType: ReportBatchItemFailures
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: ${self:service}-${sls:stage}-jobs
        VisibilityTimeout: 60
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt JobsDlq.Arn
          maxReceiveCount: 2
    JobsDlq:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: ${self:service}-${sls:stage}-jobs-dlq
        MessageRetentionPeriod: 1209600
"#
            .to_owned(),
        ),
        (
            "raw FIFO AWS::SQS::Queue resources (FifoQueue, deduplication scope, a FIFO DLQ)",
            r#"service: raw-fifo
frameworkVersion: '3'
provider:
  name: aws
  runtime: provided.al2023
  region: eu-west-1
functions:
  worker:
    handler: bootstrap
    timeout: 10
    package:
      artifact: ../../target/lambda/step2-worker/step2-worker.zip
    environment:
      PAYMENTS_URL: !Ref Payments
    events:
      - sqs:
          arn: !GetAtt Payments.Arn
          batchSize: 10
          functionResponseType: ReportBatchItemFailures
resources:
  Resources:
    Payments:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: ${self:service}-${sls:stage}-payments.fifo
        FifoQueue: true
        ContentBasedDeduplication: true
        DeduplicationScope: messageGroup
        FifoThroughputLimit: perMessageGroupId
        VisibilityTimeout: 60
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt PaymentsDlq.Arn
          maxReceiveCount: 3
    PaymentsDlq:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: ${self:service}-${sls:stage}-payments-dlq.fifo
        FifoQueue: true
"#
            .to_owned(),
        ),
    ]
}

pub fn run(_args: CfnCheckArgs) -> Result<ExitCode> {
    let sh = Shell::new()?;
    let modules = tools::node_modules(&sh)?;
    let root = paths::root();
    let mut files: Vec<(String, String)> = Vec::new();
    for lesson in ["step1-http", "step2-sqs", "step3-dlq-visibility"] {
        let text =
            std::fs::read_to_string(root.join("lessons").join(lesson).join("serverless.yml"))?;
        files.push((format!("lessons/{lesson}/serverless.yml"), text));
    }
    let step2 = files[1].1.clone();
    let step3 = files[2].1.clone();
    files.extend(
        variants(&step2)
            .into_iter()
            .skip(1)
            .map(|(n, t)| (n.to_owned(), t)),
    );
    files.push((
        "step3 as the retrospective wrote it (no worker timeout: 6 s, visibility 36 s)".into(),
        Scenario::AsWritten.serverless_yml(&step3, 15)?,
    ));
    let mut failed = 0;
    for (name, text) in &files {
        let checked = check(&sh, &modules, text).and_then(|(summary, template)| {
            if name.contains("step3") {
                // The heartbeat's permissions, on the work queue.
                let grants = sqs_grants(&template);
                for action in ["sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"] {
                    let wanted = (action.to_owned(), "tutorial-step-3-dev-jobs".to_owned());
                    if !grants.contains(&wanted) {
                        bail!("the IAM role does not allow {action} on the jobs queue: {grants:?}");
                    }
                }
                // The idempotency table's permissions.
                let grants = table_grants(&template);
                for action in ["dynamodb:PutItem", "dynamodb:UpdateItem"] {
                    let wanted = (action.to_owned(), "IdempotencyTable".to_owned());
                    if !grants.contains(&wanted) {
                        bail!("the IAM role does not allow {action} on the idempotency table: {grants:?}");
                    }
                }
                return Ok(format!(
                    "{summary}; the IAM role allows the heartbeat and the idempotency table"
                ));
            }
            Ok(summary)
        });
        match checked {
            Ok(summary) => println!("ok    {name}: {summary}"),
            Err(e) => {
                failed += 1;
                println!("FAIL  {name}: {e:#}");
            }
        }
    }
    println!("{} passed, {failed} failed", files.len() - failed);
    if failed > 0 {
        bail!("localcloud's reading differs from osls package");
    }
    Ok(ExitCode::SUCCESS)
}

/// (action, queue name) of every IAM statement that allows an `sqs:` action
/// on a queue of the template (`Fn::GetAtt [<queue>, Arn]`).
fn sqs_grants(template: &Value) -> BTreeSet<(String, String)> {
    let resources = &template["Resources"];
    let mut grants = BTreeSet::new();
    let Some(all) = resources.as_object() else {
        return grants;
    };
    for role in all.values().filter(|r| r["Type"] == "AWS::IAM::Role") {
        let policies = role["Properties"]["Policies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for statement in policies
            .iter()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|s| s["Effect"] == "Allow")
        {
            let list = |v: &Value| match v {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            for action in list(&statement["Action"]).iter().filter_map(Value::as_str) {
                for resource in list(&statement["Resource"]) {
                    let queue = resource["Fn::GetAtt"][0]
                        .as_str()
                        .and_then(|id| resources[id]["Properties"]["QueueName"].as_str());
                    if let (Some(queue), true) = (queue, action.starts_with("sqs:")) {
                        grants.insert((action.to_owned(), queue.to_owned()));
                    }
                }
            }
        }
    }
    grants
}

/// (action, table logical id) of every IAM statement that allows a
/// `dynamodb:` action on a table of the template (`Fn::GetAtt [<table>, Arn]`).
fn table_grants(template: &Value) -> BTreeSet<(String, String)> {
    let resources = &template["Resources"];
    let mut grants = BTreeSet::new();
    let Some(all) = resources.as_object() else {
        return grants;
    };
    let list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for role in all.values().filter(|r| r["Type"] == "AWS::IAM::Role") {
        for policy in list(&role["Properties"]["Policies"]) {
            for statement in list(&policy["PolicyDocument"]["Statement"]) {
                if statement["Effect"] != "Allow" {
                    continue;
                }
                for action in list(&statement["Action"]).iter().filter_map(Value::as_str) {
                    for resource in list(&statement["Resource"]) {
                        let table = resource["Fn::GetAtt"][0]
                            .as_str()
                            .filter(|id| resources[*id]["Type"] == "AWS::DynamoDB::Table");
                        if let (Some(table), true) = (table, action.starts_with("dynamodb:")) {
                            grants.insert((action.to_owned(), table.to_owned()));
                        }
                    }
                }
            }
        }
    }
    grants
}

/// Packages one file and compares; returns what matched, and the template.
fn check(sh: &Shell, modules: &Path, text: &str) -> Result<(String, Value)> {
    let (template, scratch) = package::with_stand_ins(sh, modules, text, None, None)?;
    let file = scratch.path().join("lessons/service/serverless.yml");
    distinct_artifacts(&template)?;
    let theirs = Reading::from_cloudformation(&template)?;
    let ours = Reading::from_localcloud(&ServerlessConfig::from_file(&file)?);
    if ours != theirs {
        bail!("\n  localcloud: {ours:?}\n  osls:       {theirs:?}");
    }
    let tables = match ours.tables.len() {
        0 => String::new(),
        1 => ", 1 table".to_owned(),
        n => format!(", {n} tables"),
    };
    Ok((
        format!(
            "{} queues, {} functions, {} mappings, {} routes{tables} match",
            ours.queues.len(),
            ours.functions.len(),
            ours.mappings.len(),
            ours.routes.len()
        ),
        template,
    ))
}

/// Every function's code must be its own S3 object: `osls` uploads each
/// artifact as `<deploy dir>/<file name>`, so two artifacts with the same
/// file name (say, two `bootstrap.zip`) would overwrite each other and both
/// functions would run whichever was uploaded last.
fn distinct_artifacts(template: &Value) -> Result<()> {
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for (id, r) in template["Resources"].as_object().into_iter().flatten() {
        if r["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let key = r["Properties"]["Code"]["S3Key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(other) = keys.insert(key.clone(), id.clone()) {
            bail!(
                "{other} and {id} share the artifact key {key}: give their zips different file names, or one overwrites the other in the deployment bucket"
            );
        }
    }
    Ok(())
}

/// (function, queue).
type MappingKey = (String, String);
/// (batch size, batching window, ReportBatchItemFailures, maximum concurrency).
type MappingSettings = (u64, u64, bool, Option<u64>);

/// What both sides must agree on, in comparable form.
#[derive(Debug, PartialEq, Eq, Default)]
struct Reading {
    /// Queue name -> attribute -> value (`RedrivePolicy` as `dlq-name/N`).
    queues: BTreeMap<String, BTreeMap<String, String>>,
    /// Function name -> (timeout, memory, environment with queue references
    /// as `url:<queue>` / `arn:<queue>`).
    functions: BTreeMap<String, (u64, u64, BTreeMap<String, String>)>,
    /// (function, queue) -> (batch size, window, report failures, max concurrency).
    mappings: BTreeMap<MappingKey, MappingSettings>,
    routes: BTreeSet<String>,
    /// Table logical id -> (KeySchema, AttributeDefinitions, BillingMode,
    /// TimeToLiveSpecification), as JSON text.
    tables: BTreeMap<String, String>,
}

/// The parts of an `AWS::DynamoDB::Table`'s properties localcloud plays.
fn table_summary(properties: &Value) -> String {
    serde_json::json!({
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties["BillingMode"],
        "TimeToLiveSpecification": properties["TimeToLiveSpecification"],
    })
    .to_string()
}

impl Reading {
    fn from_localcloud(config: &ServerlessConfig) -> Self {
        let mut reading = Reading::default();
        let context = localcloud::config::ResolveContext::default();
        let url_prefix = format!("{}/{}/", context.sqs_endpoint_url, context.account_id);
        let arn_prefix = format!(
            "arn:aws:sqs:{}:{}:",
            config.provider.region, context.account_id
        );
        for q in &config.queues {
            let mut attributes = q.attributes.clone();
            if let Some(r) = &q.redrive {
                attributes.insert(
                    "RedrivePolicy".into(),
                    format!("{}/{}", r.dead_letter_queue, r.max_receive_count),
                );
            }
            reading.queues.insert(q.name.clone(), attributes);
        }
        // Table name and ARN -> `table:<id>` / `tablearn:<id>`.
        let mut table_refs = BTreeMap::new();
        for t in &config.tables {
            let id = t
                .defined_at
                .trim_start_matches("resources.Resources.")
                .to_owned();
            table_refs.insert(t.name.clone(), format!("table:{id}"));
            table_refs.insert(
                format!(
                    "arn:aws:dynamodb:{}:{}:table/{}",
                    config.provider.region, context.account_id, t.name
                ),
                format!("tablearn:{id}"),
            );
            reading.tables.insert(id, table_summary(&t.properties));
        }
        for f in &config.functions {
            let environment = f
                .environment
                .iter()
                .map(|(k, v)| {
                    let v = if let Some(table) = table_refs.get(v) {
                        table.clone()
                    } else if let Some(name) = v.strip_prefix(&url_prefix) {
                        format!("url:{name}")
                    } else if let Some(name) = v.strip_prefix(&arn_prefix) {
                        format!("arn:{name}")
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect();
            reading.functions.insert(
                f.name.clone(),
                (
                    f.timeout_seconds.into(),
                    f.memory_size_mb.into(),
                    environment,
                ),
            );
            for e in &f.sqs_events {
                reading.mappings.insert(
                    (f.name.clone(), e.queue.clone()),
                    (
                        e.batch_size.into(),
                        e.maximum_batching_window_seconds.into(),
                        e.report_batch_item_failures,
                        e.maximum_concurrency.map(u64::from),
                    ),
                );
            }
            for r in &f.http_api {
                reading.routes.insert(r.route_key());
            }
        }
        reading
    }

    fn from_cloudformation(template: &Value) -> Result<Self> {
        let resources = template["Resources"].as_object().context("no Resources")?;
        let of_type = |t: &'static str| resources.iter().filter(move |(_, r)| r["Type"] == t);
        let queue_names: BTreeMap<&str, String> = of_type("AWS::SQS::Queue")
            .map(|(id, r)| {
                (
                    id.as_str(),
                    r["Properties"]["QueueName"]
                        .as_str()
                        .unwrap_or(id)
                        .to_owned(),
                )
            })
            .collect();
        let function_names: BTreeMap<&str, String> = of_type("AWS::Lambda::Function")
            .map(|(id, r)| {
                (
                    id.as_str(),
                    r["Properties"]["FunctionName"]
                        .as_str()
                        .unwrap_or(id)
                        .to_owned(),
                )
            })
            .collect();
        let is_table = |id: &str| {
            resources
                .get(id)
                .is_some_and(|r| r["Type"] == "AWS::DynamoDB::Table")
        };
        let queue_ref = |v: &Value| -> Option<String> {
            if let Some(id) = v["Ref"].as_str() {
                if is_table(id) {
                    return Some(format!("table:{id}"));
                }
                return queue_names.get(id).map(|n| format!("url:{n}"));
            }
            if let Some(id) = v["Fn::GetAtt"][0].as_str()
                && is_table(id)
                && v["Fn::GetAtt"][1] == "Arn"
            {
                return Some(format!("tablearn:{id}"));
            }
            let get_att = v["Fn::GetAtt"].as_array()?;
            let name = queue_names.get(get_att.first()?.as_str()?)?;
            match get_att.get(1)?.as_str()? {
                "Arn" => Some(format!("arn:{name}")),
                "QueueName" => Some(name.clone()),
                "QueueUrl" => Some(format!("url:{name}")),
                _ => None,
            }
        };
        let mut reading = Reading::default();
        for (_, r) in of_type("AWS::SQS::Queue") {
            let p = &r["Properties"];
            let mut attributes = BTreeMap::new();
            for key in [
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "MaximumMessageSize",
                "ReceiveMessageWaitTimeSeconds",
                "FifoQueue",
                "ContentBasedDeduplication",
                "DeduplicationScope",
                "FifoThroughputLimit",
            ] {
                if let Some(v) = p.get(key) {
                    attributes.insert(key.to_owned(), v.to_string().trim_matches('"').to_owned());
                }
            }
            if let Some(redrive) = p.get("RedrivePolicy") {
                let target =
                    queue_ref(&redrive["deadLetterTargetArn"]).context("RedrivePolicy target")?;
                let count = redrive["maxReceiveCount"]
                    .to_string()
                    .trim_matches('"')
                    .to_owned();
                attributes.insert(
                    "RedrivePolicy".into(),
                    format!("{}/{count}", target.trim_start_matches("arn:")),
                );
            }
            reading.queues.insert(
                p["QueueName"].as_str().unwrap_or_default().to_owned(),
                attributes,
            );
        }
        for (_, r) in of_type("AWS::Lambda::Function") {
            let p = &r["Properties"];
            let environment = p["Environment"]["Variables"]
                .as_object()
                .map(|vars| {
                    vars.iter()
                        .map(|(k, v)| {
                            let v = v
                                .as_str()
                                .map(str::to_owned)
                                .or_else(|| queue_ref(v))
                                .unwrap_or_else(|| v.to_string());
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            reading.functions.insert(
                p["FunctionName"].as_str().unwrap_or_default().to_owned(),
                (
                    p["Timeout"].as_u64().unwrap_or(0),
                    p["MemorySize"].as_u64().unwrap_or(0),
                    environment,
                ),
            );
        }
        for (_, r) in of_type("AWS::Lambda::EventSourceMapping") {
            let p = &r["Properties"];
            let queue = queue_ref(&p["EventSourceArn"]).context("EventSourceArn")?;
            let function_id = p["FunctionName"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap_or_default();
            let function = function_names.get(function_id).cloned().unwrap_or_default();
            let report = p["FunctionResponseTypes"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "ReportBatchItemFailures"));
            reading.mappings.insert(
                (function, queue.trim_start_matches("arn:").to_owned()),
                (
                    p["BatchSize"].as_u64().unwrap_or(10),
                    p["MaximumBatchingWindowInSeconds"].as_u64().unwrap_or(0),
                    report,
                    p["ScalingConfig"]["MaximumConcurrency"].as_u64(),
                ),
            );
        }
        for (id, r) in of_type("AWS::DynamoDB::Table") {
            reading
                .tables
                .insert(id.clone(), table_summary(&r["Properties"]));
        }
        for (_, r) in of_type("AWS::ApiGatewayV2::Route") {
            if let Some(key) = r["Properties"]["RouteKey"].as_str() {
                reading.routes.insert(key.to_owned());
            }
        }
        Ok(reading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_functions_sharing_one_artifact_key_are_refused() {
        let function = |key: &str| serde_json::json!({"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": key}}});
        let apart = serde_json::json!({"Resources": {
            "A": function("serverless/s/dev/1/step2-producer.zip"),
            "B": function("serverless/s/dev/1/step2-worker.zip"),
        }});
        assert!(distinct_artifacts(&apart).is_ok());
        let shared = serde_json::json!({"Resources": {
            "A": function("serverless/s/dev/1/bootstrap.zip"),
            "B": function("serverless/s/dev/1/bootstrap.zip"),
        }});
        let e = distinct_artifacts(&shared).unwrap_err().to_string();
        assert!(
            e.starts_with("A and B share the artifact key serverless/s/dev/1/bootstrap.zip"),
            "{e}"
        );
    }
}
