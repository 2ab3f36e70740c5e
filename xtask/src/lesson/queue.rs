//! The commands of lessons with a queue: `send`, `dlq show|redrive|purge`,
//! `queue stats` and `visibility`, all SQS API calls made with the AWS SDK
//! for Rust: against the lesson's running `up` (or any SQS endpoint given
//! with `--sqs-url`), or with `--target aws` against the deployed stack's
//! queues, with the user's own AWS configuration.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use clap::{Args, Subcommand};
use localcloud::config::{ResolveContext, ServerlessConfig};

use super::aws::{Deployed, TargetArgs, sdk_error};
use super::endpoint::{Source, listens, unreachable};
use super::stack::{Lesson, work_queue_and_dlq};
use super::state;

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
    #[command(flatten)]
    pub target: TargetArgs,
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

/// The lesson's queue and DLQ, and an SQS client that reaches them.
pub struct Queues {
    pub client: aws_sdk_sqs::Client,
    /// The local endpoint (`None` on AWS), to say what to start when
    /// nothing answers.
    endpoint: Option<String>,
    source: Source,
    pub queue_url: String,
    pub dlq_url: String,
}

impl Queues {
    /// Finds the lesson's queues: `--target aws`, else `--sqs-url`, else the
    /// running `up`, else the default port.
    pub async fn find(lesson: &Lesson, at: &SqsAt) -> Result<Self> {
        if at.target.is_aws()? {
            if at.sqs_url.is_some() {
                bail!("--sqs-url and --target aws both say where the queue is: pass one");
            }
            let deployed = Deployed::find(lesson, &at.target).await?;
            let (queue_url, dlq_url) = deployed.queue_urls()?;
            return Ok(Self {
                client: aws_sdk_sqs::Client::new(&deployed.sdk),
                endpoint: None,
                source: Source::Aws,
                queue_url,
                dlq_url,
            });
        }
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
        if endpoint.parse::<http::Uri>().is_err() || !endpoint.starts_with("http") {
            bail!("--sqs-url {endpoint:?} is not a URL such as http://127.0.0.1:9324");
        }
        let context = ResolveContext {
            sqs_endpoint_url: endpoint.clone(),
            ..Default::default()
        };
        let config = ServerlessConfig::from_file_with(lesson.serverless_yml(), &context)?;
        let (queue, dlq) = work_queue_and_dlq(&config)?;
        let url_of = |name: &str| {
            running
                .as_ref()
                .filter(|_| source == Source::RunningUp)
                .and_then(|r| r.queues.get(name).cloned())
                .unwrap_or_else(|| format!("{endpoint}/{}/{name}", context.account_id))
        };
        Ok(Self {
            client: local_client(&endpoint, &config.provider.region),
            queue_url: url_of(&queue.name),
            dlq_url: url_of(dlq),
            endpoint: Some(endpoint),
            source,
        })
    }

    /// An SQS call's answer; "nothing listens" says what to start or pass.
    pub async fn answer<T, E, R>(
        &self,
        lesson: &Lesson,
        operation: &str,
        call: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match call.await {
            Ok(answer) => Ok(answer),
            Err(e) => match &self.endpoint {
                Some(endpoint)
                    if matches!(e, SdkError::DispatchFailure(_)) && !listens(endpoint).await =>
                {
                    bail!(unreachable(lesson, endpoint, self.source, "--sqs-url"))
                }
                _ => bail!(sdk_error(operation, &e)),
            },
        }
    }

    /// A queue's attributes (`All`).
    pub async fn attributes(
        &self,
        lesson: &Lesson,
        url: &str,
    ) -> Result<std::collections::HashMap<QueueAttributeName, String>> {
        let answer = self
            .answer(
                lesson,
                "GetQueueAttributes",
                self.client
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(QueueAttributeName::All)
                    .send(),
            )
            .await?;
        Ok(answer.attributes.unwrap_or_default())
    }
}

/// An SDK client for localcloud's SQS at `endpoint`: fixed stand-in
/// credentials (localcloud does not check signatures) and no retries, so
/// that "nothing listens" is said at once.
fn local_client(endpoint: &str, region: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "localcloud",
            "localcloud",
            None,
            None,
            "localcloud",
        ))
        .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

pub async fn run(lesson: &Lesson, command: QueueCommand) -> Result<ExitCode> {
    match command {
        QueueCommand::Send { body, at } => {
            send(lesson, &Queues::find(lesson, &at).await?, &body).await
        }
        QueueCommand::Dlq { action, at } => {
            let queues = Queues::find(lesson, &at).await?;
            match action {
                DlqAction::Show => dlq_show(lesson, &queues).await,
                DlqAction::Redrive => dlq_redrive(lesson, &queues).await,
                DlqAction::Purge => dlq_purge(lesson, &queues).await,
            }
        }
        QueueCommand::Queue {
            action: QueueAction::Stats,
            at,
        } => queue_stats(lesson, &Queues::find(lesson, &at).await?).await,
    }
}

async fn send(lesson: &Lesson, queues: &Queues, body: &str) -> Result<ExitCode> {
    let answer = queues
        .answer(
            lesson,
            "SendMessage",
            queues
                .client
                .send_message()
                .queue_url(&queues.queue_url)
                .message_body(body)
                .send(),
        )
        .await?;
    println!(
        "sent {} to {}",
        answer.message_id().unwrap_or("?"),
        queues.queue_url
    );
    Ok(ExitCode::SUCCESS)
}

type Attributes = std::collections::HashMap<QueueAttributeName, String>;

fn count(attributes: &Attributes, name: QueueAttributeName) -> u64 {
    attributes
        .get(&name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn dlq_show(lesson: &Lesson, queues: &Queues) -> Result<ExitCode> {
    let answer = queues
        .answer(
            lesson,
            "ReceiveMessage",
            queues
                .client
                .receive_message()
                .queue_url(&queues.dlq_url)
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send(),
        )
        .await?;
    let max_receive_count = queues
        .attributes(lesson, &queues.queue_url)
        .await?
        .get(&QueueAttributeName::RedrivePolicy)
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|p| p["maxReceiveCount"].as_u64());
    let messages = answer.messages();
    println!("{}", queues.dlq_url);
    if messages.is_empty() {
        println!("  the DLQ is empty");
        return Ok(ExitCode::SUCCESS);
    }
    for m in messages {
        let attribute = |name: MessageSystemAttributeName| {
            m.attributes()
                .and_then(|a| a.get(&name))
                .map(String::as_str)
        };
        let body: String = m.body().unwrap_or("").chars().take(80).collect();
        let sent = attribute(MessageSystemAttributeName::SentTimestamp)
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(
                || "?".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            );
        println!(
            "  {}  receives {}  sent {sent}  body {body:?}",
            m.message_id().unwrap_or("?"),
            attribute(MessageSystemAttributeName::ApproximateReceiveCount).unwrap_or("?"),
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
    let waiting = count(&dlq, QueueAttributeName::ApproximateNumberOfMessages);
    if waiting == 0 {
        println!("the DLQ is empty: nothing to redrive");
        return Ok(ExitCode::SUCCESS);
    }
    let arn = dlq
        .get(&QueueAttributeName::QueueArn)
        .context("GetQueueAttributes returned no QueueArn")?
        .clone();
    queues
        .answer(
            lesson,
            "StartMessageMoveTask",
            queues
                .client
                .start_message_move_task()
                .source_arn(&arn)
                .send(),
        )
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
            .answer(
                lesson,
                "ListMessageMoveTasks",
                queues
                    .client
                    .list_message_move_tasks()
                    .source_arn(&arn)
                    .send(),
            )
            .await?;
        let task = tasks.results().first();
        bar.set_length(
            task.and_then(|t| t.approximate_number_of_messages_to_move())
                .map_or(waiting, |n| n.max(0) as u64),
        );
        bar.set_position(task.map_or(0, |t| {
            t.approximate_number_of_messages_moved().max(0) as u64
        }));
        let status = task.and_then(|t| t.status()).unwrap_or("?").to_owned();
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
        QueueAttributeName::ApproximateNumberOfMessages,
    );
    queues
        .answer(
            lesson,
            "PurgeQueue",
            queues
                .client
                .purge_queue()
                .queue_url(&queues.dlq_url)
                .send(),
        )
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
            count(&a, QueueAttributeName::ApproximateNumberOfMessages),
            count(
                &a,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible
            ),
            count(&a, QueueAttributeName::ApproximateNumberOfMessagesDelayed),
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
    let queues = Queues::find(lesson, &args.at).await?;
    let before = queues.attributes(lesson, &queues.queue_url).await?;
    queues
        .answer(
            lesson,
            "SetQueueAttributes",
            queues
                .client
                .set_queue_attributes()
                .queue_url(&queues.queue_url)
                .attributes(
                    QueueAttributeName::VisibilityTimeout,
                    args.seconds.to_string(),
                )
                .send(),
        )
        .await?;
    println!(
        "VisibilityTimeout of {}: {} s -> {} s",
        queues.queue_url,
        before
            .get(&QueueAttributeName::VisibilityTimeout)
            .map_or("?", String::as_str),
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
