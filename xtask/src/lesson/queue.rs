//! The commands of lessons with a queue: `send`, `dlq show|redrive|purge`,
//! `queue stats` and `visibility`, all plain SQS API calls (AWS JSON
//! protocol) against the lesson's running `up`, or any SQS endpoint given
//! with `--sqs-url`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use localcloud::client::HttpClient;
use localcloud::config::{ResolveContext, ServerlessConfig};
use serde_json::{Value, json};

use super::endpoint::{Source, listens, unreachable};
use super::stack::{Lesson, work_queue};
use super::state;
use crate::sqs_client::SqsClient;

#[derive(Subcommand)]
pub enum QueueCommand {
    /// Put a raw message on the lesson's queue (a poison one, say).
    Send {
        /// The message body, sent as is.
        body: String,
        #[command(flatten)]
        at: SqsAt,
    },
    /// The dead-letter queue: show, redrive or purge its messages.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
        #[command(flatten)]
        at: SqsAt,
    },
    /// The queue and its DLQ.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
        #[command(flatten)]
        at: SqsAt,
    },
}

#[derive(Args)]
pub struct SqsAt {
    /// SQS endpoint (default: the lesson's running `up`, else http://127.0.0.1:9324).
    #[arg(long, global = true)]
    pub sqs_url: Option<String>,
}

#[derive(Args)]
pub struct VisibilityArgs {
    /// The new VisibilityTimeout in seconds (SQS accepts 0 to 43200).
    #[arg(allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(0..=43_200))]
    pub seconds: i64,
    #[command(flatten)]
    pub at: SqsAt,
}

#[derive(Subcommand)]
pub enum DlqAction {
    /// What is in the DLQ (up to 10 messages; a look counts as a receive, as on AWS).
    Show,
    /// Move the DLQ's messages back to the queue (StartMessageMoveTask), with a progress bar.
    Redrive,
    /// Delete every message in the DLQ (PurgeQueue).
    Purge,
}

#[derive(Subcommand)]
pub enum QueueAction {
    /// Approximate counts of the queue and its DLQ.
    Stats,
}

/// The lesson's queue and DLQ at one SQS endpoint.
pub struct Queues {
    client: SqsClient,
    endpoint: String,
    source: Source,
    pub queue_url: String,
    pub dlq_url: String,
}

impl Queues {
    /// Finds the lesson's queues: `--sqs-url`, else the running `up`, else
    /// the default port.
    pub fn find(lesson: &Lesson, at: &SqsAt) -> Result<Self> {
        let running = state::find(lesson.name);
        let (endpoint, source) = match (&at.sqs_url, &running) {
            (Some(url), _) => (url.trim_end_matches('/').to_owned(), Source::Flag),
            (None, Some(running)) => match &running.sqs_url {
                Some(url) => (url.clone(), Source::RunningUp),
                None => bail!("the running `{}` up serves no SQS", lesson.name),
            },
            (None, None) => (
                format!("http://127.0.0.1:{}", localcloud::sqs::DEFAULT_PORT),
                Source::Default,
            ),
        };
        let context = ResolveContext {
            sqs_endpoint_url: endpoint.clone(),
            ..Default::default()
        };
        let config = ServerlessConfig::from_file_with(lesson.serverless_yml(), &context)?;
        let queue = work_queue(&config)?;
        let dlq = &queue
            .redrive
            .as_ref()
            .context("the queue has no DLQ")?
            .dead_letter_queue;
        let url_of = |name: &str| {
            running
                .as_ref()
                .filter(|_| source == Source::RunningUp)
                .and_then(|r| r.queues.get(name).cloned())
                .unwrap_or_else(|| format!("{endpoint}/{}/{name}", context.account_id))
        };
        Ok(Self {
            client: SqsClient::Tcp {
                client: HttpClient::new(),
                url: format!("{endpoint}/"),
                region: config.provider.region.clone(),
            },
            queue_url: url_of(&queue.name),
            dlq_url: url_of(dlq),
            endpoint,
            source,
        })
    }

    /// One SQS call; "nothing listens" says what to start or pass.
    pub async fn call(&self, lesson: &Lesson, operation: &str, body: Value) -> Result<Value> {
        match self.client.call(operation, body).await {
            Ok(answer) => Ok(answer),
            Err(e) if listens(&self.endpoint).await => Err(e),
            Err(_) => bail!(unreachable(
                lesson,
                &self.endpoint,
                self.source,
                "--sqs-url"
            )),
        }
    }

    /// A queue's attributes (`All`).
    pub async fn attributes(&self, lesson: &Lesson, url: &str) -> Result<Value> {
        let answer = self
            .call(
                lesson,
                "GetQueueAttributes",
                json!({"QueueUrl": url, "AttributeNames": ["All"]}),
            )
            .await?;
        Ok(answer["Attributes"].clone())
    }
}

pub async fn run(lesson: &Lesson, command: QueueCommand) -> Result<ExitCode> {
    match command {
        QueueCommand::Send { body, at } => send(lesson, &Queues::find(lesson, &at)?, &body).await,
        QueueCommand::Dlq { action, at } => {
            let queues = Queues::find(lesson, &at)?;
            match action {
                DlqAction::Show => dlq_show(lesson, &queues).await,
                DlqAction::Redrive => dlq_redrive(lesson, &queues).await,
                DlqAction::Purge => dlq_purge(lesson, &queues).await,
            }
        }
        QueueCommand::Queue {
            action: QueueAction::Stats,
            at,
        } => queue_stats(lesson, &Queues::find(lesson, &at)?).await,
    }
}

async fn send(lesson: &Lesson, queues: &Queues, body: &str) -> Result<ExitCode> {
    let answer = queues
        .call(
            lesson,
            "SendMessage",
            json!({"QueueUrl": queues.queue_url, "MessageBody": body}),
        )
        .await?;
    println!(
        "sent {} to {}",
        answer["MessageId"].as_str().unwrap_or("?"),
        queues.queue_url
    );
    Ok(ExitCode::SUCCESS)
}

fn count(attributes: &Value, name: &str) -> u64 {
    attributes[name]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn dlq_show(lesson: &Lesson, queues: &Queues) -> Result<ExitCode> {
    let answer = queues
        .call(
            lesson,
            "ReceiveMessage",
            json!({"QueueUrl": queues.dlq_url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                   "MessageSystemAttributeNames": ["All"]}),
        )
        .await?;
    let max_receive_count = queues
        .attributes(lesson, &queues.queue_url)
        .await?
        .get("RedrivePolicy")
        .and_then(Value::as_str)
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p["maxReceiveCount"].as_u64());
    let messages = answer["Messages"].as_array().cloned().unwrap_or_default();
    println!("{}", queues.dlq_url);
    if messages.is_empty() {
        println!("  the DLQ is empty");
        return Ok(ExitCode::SUCCESS);
    }
    for m in &messages {
        let attributes = &m["Attributes"];
        let body: String = m["Body"].as_str().unwrap_or("").chars().take(80).collect();
        let sent = attributes["SentTimestamp"]
            .as_str()
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(
                || "?".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            );
        println!(
            "  {}  receives {}  sent {sent}  body {body:?}",
            m["MessageId"].as_str().unwrap_or("?"),
            attributes["ApproximateReceiveCount"]
                .as_str()
                .unwrap_or("?"),
        );
    }
    if let Some(max) = max_receive_count {
        println!(
            "receives: the {max} receives on the queue (maxReceiveCount {max}; SQS moved the message at the next one), plus every look at the DLQ, this one included: a look is a receive, on AWS too"
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn dlq_redrive(lesson: &Lesson, queues: &Queues) -> Result<ExitCode> {
    let dlq = queues.attributes(lesson, &queues.dlq_url).await?;
    let waiting = count(&dlq, "ApproximateNumberOfMessages");
    if waiting == 0 {
        println!("the DLQ is empty: nothing to redrive");
        return Ok(ExitCode::SUCCESS);
    }
    let arn = dlq["QueueArn"]
        .as_str()
        .context("GetQueueAttributes returned no QueueArn")?
        .to_owned();
    queues
        .call(lesson, "StartMessageMoveTask", json!({"SourceArn": arn}))
        .await?;
    let bar = indicatif::ProgressBar::new(waiting);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} moved back {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // A task moves at most 500 messages a second; a bound keeps a stuck task
    // from hanging the command.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60 + waiting / 100);
    let status = loop {
        let tasks = queues
            .call(lesson, "ListMessageMoveTasks", json!({"SourceArn": arn}))
            .await?;
        let task = &tasks["Results"][0];
        bar.set_length(
            task["ApproximateNumberOfMessagesToMove"]
                .as_u64()
                .unwrap_or(waiting),
        );
        bar.set_position(
            task["ApproximateNumberOfMessagesMoved"]
                .as_u64()
                .unwrap_or(0),
        );
        let status = task["Status"].as_str().unwrap_or("?").to_owned();
        if status != "RUNNING" || tokio::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    bar.finish();
    println!(
        "redrive {status}: {} -> {}",
        queues.dlq_url, queues.queue_url
    );
    Ok(if status == "COMPLETED" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn dlq_purge(lesson: &Lesson, queues: &Queues) -> Result<ExitCode> {
    let before = count(
        &queues.attributes(lesson, &queues.dlq_url).await?,
        "ApproximateNumberOfMessages",
    );
    queues
        .call(lesson, "PurgeQueue", json!({"QueueUrl": queues.dlq_url}))
        .await?;
    println!("purged {}: {before} message(s) deleted", queues.dlq_url);
    Ok(ExitCode::SUCCESS)
}

async fn queue_stats(lesson: &Lesson, queues: &Queues) -> Result<ExitCode> {
    // Ask first, print after: an error then comes alone, without a table head.
    let mut rows = Vec::new();
    for url in [&queues.queue_url, &queues.dlq_url] {
        let a = queues.attributes(lesson, url).await?;
        rows.push(format!(
            "| {} | {} | {} | {} |",
            url.rsplit('/').next().unwrap_or(url),
            count(&a, "ApproximateNumberOfMessages"),
            count(&a, "ApproximateNumberOfMessagesNotVisible"),
            count(&a, "ApproximateNumberOfMessagesDelayed"),
        ));
    }
    println!("| queue | visible | in flight | delayed |\n|---|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    Ok(ExitCode::SUCCESS)
}

/// SetQueueAttributes VisibilityTimeout on the live queue: old -> new, and
/// AWS's advice when the new value is below the worker's timeout
/// (L-DG "services-sqs-configure": at least six times the function timeout,
/// plus MaximumBatchingWindowInSeconds).
pub async fn visibility(lesson: &Lesson, args: &VisibilityArgs) -> Result<ExitCode> {
    let queues = Queues::find(lesson, &args.at)?;
    let before = queues.attributes(lesson, &queues.queue_url).await?;
    queues
        .call(
            lesson,
            "SetQueueAttributes",
            json!({"QueueUrl": queues.queue_url,
                   "Attributes": {"VisibilityTimeout": args.seconds.to_string()}}),
        )
        .await?;
    println!(
        "VisibilityTimeout of {}: {} s -> {} s",
        queues.queue_url,
        before["VisibilityTimeout"].as_str().unwrap_or("?"),
        args.seconds
    );
    let config = ServerlessConfig::from_file(lesson.serverless_yml())?;
    if let Some((worker, event)) = config
        .functions
        .iter()
        .find_map(|f| f.sqs_events.first().map(|e| (f, e)))
    {
        let timeout = i64::from(worker.timeout_seconds);
        if args.seconds < timeout {
            let advice = 6 * timeout + i64::from(event.maximum_batching_window_seconds);
            println!(
                "below the worker's timeout ({timeout} s): a message can reappear while its first worker still runs, and be processed twice. AWS recommends at least 6 x timeout + batching window = {advice} s."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
