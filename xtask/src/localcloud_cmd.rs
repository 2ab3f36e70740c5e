//! `cargo xtask localcloud up [--config path/to/serverless.yml]`: localcloud
//! on its own, no lesson needed. SQS always (port 9324 by default, like
//! ElasticMQ); with `--config`, also the HTTP API and the functions of any
//! Serverless v3 service. Function code comes from `package.artifact` (a zip
//! or folder with `bootstrap`), or from `--bootstrap KEY=PATH`. Either way
//! the live console ([`localcloud::console`]) serves beside SQS (port 9325).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use localcloud::config::{ResolveContext, ServerlessConfig};
use localcloud::console::{self, Sources};
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::{Echo, Logs};
use localcloud::server::CancellationToken;
use localcloud::sqs::{Sqs, SqsConfig};
use localcloud::stack::{CodeSource, Stack, StackOptions};

#[derive(Args)]
pub struct LocalcloudArgs {
    #[command(subcommand)]
    command: LocalcloudCommand,
}

#[derive(Subcommand)]
enum LocalcloudCommand {
    /// Serve SQS and DynamoDB (one endpoint), and a serverless.yml's HTTP API + Lambda, on 127.0.0.1 until Ctrl-C.
    Up {
        /// A service to serve (HTTP API + Lambda); without it, SQS alone.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Port of the HTTP API.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Port of SQS (DynamoDB answers on the same port).
        #[arg(long, default_value_t = localcloud::sqs::DEFAULT_PORT)]
        sqs_port: u16,
        /// Port of the live console (a web page); 0 picks a free one.
        #[arg(long, default_value_t = localcloud::console::DEFAULT_PORT)]
        console_port: u16,
        /// The account id in queue URLs and ARNs.
        #[arg(long, default_value = "000000000000")]
        account_id: String,
        /// The region in ARNs (with --config, the service's provider.region wins).
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Run function KEY from this executable instead of its package.artifact
        /// (repeatable), e.g. --bootstrap api=target/debug/my-api
        #[arg(long = "bootstrap", value_name = "KEY=PATH")]
        bootstraps: Vec<String>,
        /// Print every CloudWatch line (START, END, REPORT), not only the functions' own.
        #[arg(long)]
        verbose: bool,
        /// What a DeleteMessage with an older receipt handle does: `keep` (the
        /// message stays: "will not be deleted") or `delete` (it goes: the other
        /// reading of "might not be deleted"). AWS's reference has said both.
        #[arg(long, default_value = "keep", value_parser = crate::lesson::up::parse_stale_delete)]
        stale_delete: localcloud::sqs::StaleDelete,
    },
}

pub fn run(args: LocalcloudArgs) -> Result<ExitCode> {
    match args.command {
        LocalcloudCommand::Up {
            config,
            port,
            sqs_port,
            console_port,
            account_id,
            region,
            bootstraps,
            verbose,
            stale_delete,
        } => {
            if account_id.len() != 12 || !account_id.chars().all(|c| c.is_ascii_digit()) {
                bail!("--account-id must be 12 digits, got {account_id:?}");
            }
            if config.is_none() && !bootstraps.is_empty() {
                bail!("--bootstrap needs --config");
            }
            tokio::runtime::Runtime::new()?.block_on(async {
                let shutdown = CancellationToken::new();
                let listener = localcloud::server::bind_loopback(sqs_port).await?;
                let sqs_url = format!("http://{}", listener.local_addr()?);
                let sqs = Sqs::new(SqsConfig {
                    endpoint_url: sqs_url.clone(),
                    account_id,
                    region,
                    stale_delete,
                    ..Default::default()
                });
                let stack = match &config {
                    Some(config) => Some(stack(config, &bootstraps, &sqs, verbose)?),
                    None => None,
                };
                tokio::spawn(localcloud::sqs::serve(listener, sqs.clone(), shutdown.clone()));
                let region = sqs.region();
                println!("SQS: {sqs_url}  (AWS JSON protocol; any access key works)");
                println!(
                    "  try: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws sqs create-queue --queue-name jobs --endpoint-url {sqs_url} --region {region}"
                );
                println!(
                    "DynamoDB: {sqs_url}  (the same endpoint: AWS_ENDPOINT_URL_DYNAMODB={sqs_url})"
                );
                let sources = match &stack {
                    Some(stack) => Sources::of_stack(stack),
                    None => Sources::sqs_only(&sqs),
                };
                let console = console::serve(sources, console_port, shutdown.clone()).await?;
                println!("Console: {}  (queues, in-flight countdowns, invocations, timeline; live)", console.url);
                if let Some(stack) = &stack {
                    let running = stack.serve(port, shutdown.clone()).await?;
                    stack.start_event_sources(shutdown.clone()).await?;
                    println!("\n{}", stack.describe(&running.http_url));
                }
                println!("Serving; Ctrl-C stops.");
                // Ctrl-C or SIGTERM: either way the stack is dropped below,
                // and with it the task roots unpacked from zip artifacts.
                crate::signals::stopped().await?;
                shutdown.cancel();
                if let Some(stack) = &stack {
                    stack.lambda.stop_all();
                }
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}

/// The service in `config`, its queues in `sqs`.
fn stack(
    config: &std::path::Path,
    bootstraps: &[String],
    sqs: &Sqs,
    verbose: bool,
) -> Result<Stack> {
    let context = ResolveContext {
        sqs_endpoint_url: sqs.endpoint_url(),
        account_id: sqs.account_id(),
        ..Default::default()
    };
    let config = ServerlessConfig::from_file_with(config, &context)?;
    let mut code = BTreeMap::new();
    for spec in bootstraps {
        let Some((key, path)) = spec.split_once('=') else {
            bail!("--bootstrap {spec:?} must be KEY=PATH, e.g. api=target/debug/my-api");
        };
        if config.function(key).is_none() {
            bail!(
                "--bootstrap {spec:?}: {} has no function {key:?}",
                config.path.display()
            );
        }
        // Resolved now, against the directory the command runs in: the
        // function's process later runs in its own task root.
        let path = std::fs::canonicalize(path).map_err(|e| {
            anyhow::anyhow!(
                "--bootstrap {spec:?}: cannot use {path:?} (from {}): {e}",
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            )
        })?;
        code.insert(key.to_owned(), CodeSource::Executable(path));
    }
    let options = StackOptions {
        code,
        lambda: LambdaSettings {
            logs: Logs::with_echo(if verbose {
                Echo::Verbose
            } else {
                Echo::Compact
            }),
            ..Default::default()
        },
        sqs: Some(sqs.clone()),
    };
    Ok(Stack::new(config, options)?)
}
