//! `cargo xtask localcloud up --config path/to/serverless.yml`: serve any
//! Serverless v3 service with localcloud, no lesson needed. Function code
//! comes from `package.artifact` (a zip or folder with `bootstrap`), or from
//! `--bootstrap KEY=PATH` for a binary you just built.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use localcloud::config::ServerlessConfig;
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::CancellationToken;
use localcloud::stack::{CodeSource, Stack, StackOptions};

#[derive(Args)]
pub struct LocalcloudArgs {
    #[command(subcommand)]
    command: LocalcloudCommand,
}

#[derive(Subcommand)]
enum LocalcloudCommand {
    /// Serve a serverless.yml (HTTP API + Lambda) on 127.0.0.1 until Ctrl-C.
    Up {
        /// The service to serve.
        #[arg(long)]
        config: PathBuf,
        /// Port of the HTTP API.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Run function KEY from this executable instead of its package.artifact
        /// (repeatable), e.g. --bootstrap api=target/debug/my-api
        #[arg(long = "bootstrap", value_name = "KEY=PATH")]
        bootstraps: Vec<String>,
    },
}

pub fn run(args: LocalcloudArgs) -> Result<ExitCode> {
    match args.command {
        LocalcloudCommand::Up {
            config,
            port,
            bootstraps,
        } => {
            let config = ServerlessConfig::from_file(&config)?;
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
                code.insert(key.to_owned(), CodeSource::Executable(PathBuf::from(path)));
            }
            let options = StackOptions {
                code,
                lambda: LambdaSettings {
                    logs: Logs::new(true),
                    ..Default::default()
                },
            };
            let stack = Stack::new(config, options)?;
            tokio::runtime::Runtime::new()?.block_on(async {
                let running = stack.serve(port, CancellationToken::new()).await?;
                println!("{}", stack.describe(&running.http_url));
                println!("Serving; Ctrl-C stops.");
                tokio::signal::ctrl_c().await?;
                running.stop();
                stack.lambda.stop_all();
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}
