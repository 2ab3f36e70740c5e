//! `cargo xtask lesson <step> up`: boot the lesson's stack on 127.0.0.1 and
//! serve it until Ctrl-C (or SIGTERM), printing its endpoints the way
//! `serverless deploy` does, and the live console's URL
//! ([`localcloud::console`]: queues, in-flight countdowns, invocations, the
//! timeline). While it serves, a state file ([`super::state`]) tells the
//! lesson's other commands where it is.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use localcloud::console::{self, Sources};
use localcloud::lambda::logs::{Echo, Logs};
use localcloud::server::CancellationToken;

use super::stack::{Lesson, Profile, with_logs};
use super::state::{self, RunningUp};

#[derive(Args)]
pub struct UpArgs {
    /// Port of the HTTP API on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Serve optimised builds of the functions and of localcloud itself
    /// (slower to build, faster to answer).
    #[arg(long)]
    pub release: bool,
    /// Print every CloudWatch line (START, END, REPORT), not only the functions' own.
    #[arg(long)]
    pub verbose: bool,
    /// Port of the live console (a web page) on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = localcloud::console::DEFAULT_PORT)]
    pub console_port: u16,
}

#[derive(Args)]
pub struct QueueUpArgs {
    #[command(flatten)]
    pub up: UpArgs,
    /// Port of SQS on 127.0.0.1.
    #[arg(long, default_value_t = localcloud::sqs::DEFAULT_PORT)]
    pub sqs_port: u16,
    /// What a DeleteMessage with an older receipt handle does: `keep` (the
    /// message stays) or `delete` (it goes); AWS's reference has said both.
    #[arg(long, default_value = "keep", value_parser = parse_stale_delete)]
    pub stale_delete: localcloud::sqs::StaleDelete,
}

/// Checks the ports, builds, then serves until Ctrl-C or SIGTERM.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    lesson: &Lesson,
    args: &UpArgs,
    sqs: Option<(u16, localcloud::sqs::StaleDelete)>,
) -> Result<ExitCode> {
    let sqs_port = sqs.map(|(port, _)| port);
    // A busy port is found before a minute of building, not after.
    port_is_free(args.port, "--port")?;
    if let Some(port) = sqs_port {
        port_is_free(port, "--sqs-port")?;
    }
    port_is_free(args.console_port, "--console-port")?;
    if args.release && cfg!(debug_assertions) {
        // localcloud serves from this process: optimised, it answers about
        // twice as many requests per second (docs/benchmarks.md).
        return Ok(crate::rerun::in_release("to serve optimised code"));
    }
    let profile = if args.release {
        Profile::Release
    } else {
        Profile::Debug
    };
    lesson.build(profile)?;
    let echo = if args.verbose {
        Echo::Verbose
    } else {
        Echo::Compact
    };
    let ports = Ports {
        http: args.port,
        sqs,
        console: args.console_port,
    };
    runtime.block_on(serve(lesson, ports, profile, echo))
}

/// Where `up` serves (0: a free port).
struct Ports {
    http: u16,
    sqs: Option<(u16, localcloud::sqs::StaleDelete)>,
    console: u16,
}

fn port_is_free(port: u16, flag: &str) -> Result<()> {
    if port == 0 {
        return Ok(());
    }
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {port} on 127.0.0.1 is already in use (is the lesson already up?): stop what runs there or pick another with {flag}"
        ),
        Err(e) => anyhow::bail!("cannot listen on 127.0.0.1:{port}: {e}"),
    }
}

async fn serve(lesson: &Lesson, ports: Ports, profile: Profile, echo: Echo) -> Result<ExitCode> {
    let shutdown = CancellationToken::new();
    let sqs = match ports.sqs {
        Some((port, stale_delete)) => {
            let config = localcloud::sqs::SqsConfig {
                stale_delete,
                ..Default::default()
            };
            Some(localcloud::sqs::serve_loopback_with(port, &shutdown, config).await?)
        }
        None => None,
    };
    let stack = lesson.stack(with_logs(Logs::with_echo(echo)), profile, sqs.clone())?;
    let running = stack.serve(ports.http, shutdown.clone()).await?;
    // Before the event sources start: the console sees their first receive.
    let console =
        console::serve(Sources::of_stack(&stack), ports.console, shutdown.clone()).await?;
    announce_dlq_moves(&stack);
    stack.start_event_sources(shutdown.clone()).await?;

    let queues: BTreeMap<String, String> = stack
        .config
        .queues
        .iter()
        .filter_map(|q| Some((q.name.clone(), stack.sqs.queue_url(&q.name)?)))
        .collect();
    let _state = state::record(&RunningUp {
        lesson: lesson.name.to_owned(),
        pid: std::process::id(),
        http_url: running.http_url.clone(),
        routes: stack
            .config
            .functions
            .iter()
            .flat_map(|f| f.http_api.iter().map(|r| r.route_key()))
            .collect(),
        sqs_url: sqs.as_ref().map(|s| s.endpoint_url()),
        queues,
        console_url: Some(console.url.clone()),
    })?;

    println!("{}", stack.describe(&running.http_url));
    if let Some(sqs) = &sqs {
        println!("SQS endpoint: {}", sqs.endpoint_url());
    }
    println!(
        "Console: {}  (queues, in-flight countdowns, invocations, timeline; live)",
        console.url
    );
    let name = lesson.name;
    let mut hints = vec![
        format!(
            "curl -X POST --header 'Content-type: application/json' --data-raw '{{ \"input\": 1 }}' {}{}",
            running.http_url, lesson.route
        ),
        format!("cargo xtask lesson {name} invoke '{{\"input\": 1}}'"),
        format!("cargo xtask lesson {name} loop --count 100"),
    ];
    if lesson.has_queue {
        hints.push(format!("cargo xtask lesson {name} send 'not a job'"));
        hints.push(format!("cargo xtask lesson {name} dlq show"));
        hints.push(format!("cargo xtask lesson {name} queue stats"));
    }
    println!("Try:");
    for hint in hints {
        println!("  {hint}");
    }
    println!("(the other commands find this stack by themselves while it runs)");
    println!(
        "Logs: each invocation's own lines, as one block when it ends{}.",
        if echo == Echo::Verbose {
            ", with START, END and REPORT"
        } else {
            " (--verbose adds START, END and REPORT)"
        }
    );
    println!("Serving; Ctrl-C stops.");
    crate::signals::stopped().await?;
    running.stop();
    shutdown.cancel();
    stack.lambda.stop_all();
    Ok(ExitCode::SUCCESS)
}

/// Says so when SQS moves a message to a dead-letter queue: nothing else
/// in the function logs shows it.
fn announce_dlq_moves(stack: &localcloud::stack::Stack) {
    let mut events = stack.events().subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let localcloud::events::EventKind::MovedToDeadLetterQueue {
                        dead_letter_queue,
                        message_id,
                        receive_count,
                        max_receive_count,
                        ..
                    } = event.kind
                    {
                        eprintln!(
                            "[sqs] message {message_id} moved to {dead_letter_queue}: it had been received {receive_count} times (maxReceiveCount {max_receive_count}), and this receive would have been one more"
                        );
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

/// `--stale-delete keep|delete`.
pub fn parse_stale_delete(text: &str) -> Result<localcloud::sqs::StaleDelete, String> {
    text.parse()
}
