//! `cargo xtask lesson <step> <action>`: each lesson, run the way a learner
//! meets it. `run` plays the lesson's scenario against a fresh localcloud and
//! reports; `up` serves until Ctrl-C; `invoke` is the retrospective's curl.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use base64::Engine;
use bytes::Bytes;
use clap::{Args, Subcommand, ValueEnum};
use localcloud::client::HttpClient;
use localcloud::config::ServerlessConfig;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::lambda::{HandlerError, InvokeContext, LambdaSettings};
use localcloud::server::CancellationToken;
use localcloud::stack::{CodeSource, Stack, StackOptions};
use tokio::sync::broadcast;

use crate::paths;

#[derive(Args)]
pub struct LessonArgs {
    /// Which lesson.
    pub lesson: LessonId,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LessonId {
    /// HTTP API -> Lambda: validate {"input": <number>}, answer input + 1.
    Step1,
    /// POST /produce -> SQS (Lift queue) -> worker Lambda that adds 1.
    Step2,
}

#[derive(Subcommand)]
pub enum Action {
    /// Build, boot localcloud from the lesson's serverless.yml, send the
    /// lesson's requests, print what comes back; exits 0 only if every answer
    /// is right.
    Run {
        /// Jobs to send (lessons with a queue).
        #[arg(long, default_value_t = 20)]
        jobs: usize,
    },
    /// Boot localcloud and serve the lesson until Ctrl-C.
    Up {
        /// Port of the HTTP API on 127.0.0.1.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Port of SQS on 127.0.0.1 (lessons with a queue).
        #[arg(long, default_value_t = localcloud::sqs::DEFAULT_PORT)]
        sqs_port: u16,
    },
    /// POST a JSON body to the lesson's endpoint and print status and body.
    Invoke {
        /// The JSON body, e.g. '{"input": 1}' (single quotes keep the shell off it).
        body: String,
        /// Where to send it; default: the local endpoint of `up`.
        #[arg(long)]
        url: Option<String>,
    },
    /// The retrospective's shell loop: POST {"input": i} for i = 1..=count.
    Loop {
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Where to send them; default: the local endpoint of `up`.
        #[arg(long)]
        url: Option<String>,
    },
    /// Put a raw message on the lesson's queue (a poison one, say).
    Send {
        /// The message body, sent as is.
        body: String,
        #[arg(long, default_value = "http://127.0.0.1:9324")]
        sqs_url: String,
    },
    /// The dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
        #[arg(long, default_value = "http://127.0.0.1:9324", global = true)]
        sqs_url: String,
    },
    /// The queue.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
        #[arg(long, default_value = "http://127.0.0.1:9324", global = true)]
        sqs_url: String,
    },
}

#[derive(Subcommand)]
pub enum DlqAction {
    /// What is in the DLQ (peeks: each look counts as a receive).
    Show,
}

#[derive(Subcommand)]
pub enum QueueAction {
    /// Approximate counts of the queue and its DLQ.
    Stats,
}

/// What the runner knows about a lesson.
pub struct Lesson {
    pub name: &'static str,
    pub dir: &'static str,
    pub package: &'static str,
    /// Function key in serverless.yml -> cargo binary name.
    pub binaries: &'static [(&'static str, &'static str)],
    /// The path `invoke` posts to.
    pub invoke_path: &'static str,
    /// The Lift queue construct, for lessons with a queue.
    pub queue: Option<&'static str>,
}

impl LessonId {
    pub fn lesson(self) -> Lesson {
        match self {
            LessonId::Step1 => Lesson {
                name: "step1",
                dir: "lessons/step1-http",
                package: "step1-http",
                binaries: &[("api", "step1-api")],
                invoke_path: "/",
                queue: None,
            },
            LessonId::Step2 => Lesson {
                name: "step2",
                dir: "lessons/step2-sqs",
                package: "step2-sqs",
                binaries: &[
                    ("producer", "step2-producer"),
                    ("jobsWorker", "step2-worker"),
                ],
                invoke_path: "/produce",
                queue: Some("jobs"),
            },
        }
    }
}

impl Lesson {
    pub fn serverless_yml(&self) -> PathBuf {
        paths::root().join(self.dir).join("serverless.yml")
    }

    /// The lesson's stack with step 1's logic run in process (tests, benchmarks).
    pub fn stack_in_process(&self, logs: Logs) -> Result<Stack> {
        let config = ServerlessConfig::from_file(self.serverless_yml())?;
        let mut code = BTreeMap::new();
        code.insert(
            "api".to_owned(),
            CodeSource::Handler(std::sync::Arc::new(step1_in_process)),
        );
        Ok(Stack::new(
            config,
            StackOptions {
                code,
                lambda: with_logs(logs),
                sqs: None,
            },
        )?)
    }

    /// `cargo build` of the lesson's Lambda binaries (no cargo-lambda needed locally).
    pub fn build(&self, release: bool) -> Result<()> {
        let sh = xshell::Shell::new()?;
        sh.change_dir(paths::root());
        let package = self.package;
        let release = release.then_some("--release");
        eprintln!(
            "Building the {} Lambda binaries (cargo build)...",
            self.name
        );
        xshell::cmd!(
            sh,
            "cargo build --quiet --package {package} --bins {release...}"
        )
        .run()
        .with_context(|| format!("building {package} failed"))?;
        Ok(())
    }

    /// The stack of this lesson, its functions run from the fresh binaries.
    pub fn stack(&self, lambda: LambdaSettings, release: bool) -> Result<Stack> {
        self.stack_with_sqs(lambda, release, None)
    }

    /// The stack, its queues in `sqs` (whose endpoint the config resolves to).
    pub fn stack_with_sqs(
        &self,
        lambda: LambdaSettings,
        release: bool,
        sqs: Option<localcloud::sqs::Sqs>,
    ) -> Result<Stack> {
        let context = match &sqs {
            Some(sqs) => localcloud::config::ResolveContext {
                sqs_endpoint_url: sqs.endpoint_url(),
                account_id: sqs.account_id(),
                ..Default::default()
            },
            None => Default::default(),
        };
        let config = ServerlessConfig::from_file_with(self.serverless_yml(), &context)?;
        self.stack_with_options(config, lambda, release, sqs)
    }

    /// The stack of an already-read config (its queues in a new SQS).
    pub fn stack_with_config(
        &self,
        config: ServerlessConfig,
        lambda: LambdaSettings,
        release: bool,
    ) -> Result<Stack> {
        self.stack_with_options(config, lambda, release, None)
    }

    fn stack_with_options(
        &self,
        config: ServerlessConfig,
        lambda: LambdaSettings,
        release: bool,
        sqs: Option<localcloud::sqs::Sqs>,
    ) -> Result<Stack> {
        let profile = if release { "release" } else { "debug" };
        let code: BTreeMap<String, CodeSource> = self
            .binaries
            .iter()
            .map(|(key, bin)| {
                let path = paths::target_dir().join(profile).join(bin);
                (key.to_string(), CodeSource::Executable(path))
            })
            .collect();
        Ok(Stack::new(config, StackOptions { code, lambda, sqs })?)
    }
}

pub fn run(args: LessonArgs) -> Result<ExitCode> {
    let lesson = args.lesson.lesson();
    let runtime = tokio::runtime::Runtime::new()?;
    let needs_queue = || {
        lesson
            .queue
            .ok_or_else(|| anyhow::anyhow!("{} has no queue (try a later step)", lesson.name))
    };
    match args.action {
        Action::Run { jobs } => {
            lesson.build(false)?;
            match lesson.queue {
                None => runtime.block_on(run_scenario(&lesson)),
                Some(_) => runtime.block_on(crate::pipeline::run(&lesson, jobs)),
            }
        }
        Action::Up { port, sqs_port } => {
            lesson.build(false)?;
            match lesson.queue {
                None => runtime.block_on(up(&lesson, port)),
                Some(_) => runtime.block_on(crate::pipeline::up(&lesson, port, sqs_port)),
            }
        }
        Action::Invoke { body, url } => runtime.block_on(invoke(&lesson, &body, url)),
        Action::Loop {
            count,
            concurrency,
            url,
        } => {
            let url = url.unwrap_or_else(|| format!("http://127.0.0.1:3000{}", lesson.invoke_path));
            runtime.block_on(crate::pipeline::run_loop(&url, count, concurrency))
        }
        Action::Send { body, sqs_url } => {
            needs_queue()?;
            runtime.block_on(crate::pipeline::send(&lesson, &sqs_url, &body))
        }
        Action::Dlq {
            action: DlqAction::Show,
            sqs_url,
        } => {
            needs_queue()?;
            runtime.block_on(crate::pipeline::dlq_show(&lesson, &sqs_url))
        }
        Action::Queue {
            action: QueueAction::Stats,
            sqs_url,
        } => {
            needs_queue()?;
            runtime.block_on(crate::pipeline::queue_stats(&lesson, &sqs_url))
        }
    }
}

async fn up(lesson: &Lesson, port: u16) -> Result<ExitCode> {
    let stack = lesson.stack(with_logs(Logs::new(true)), false)?;
    let shutdown = CancellationToken::new();
    let running = stack.serve(port, shutdown.clone()).await?;
    println!("{}", stack.describe(&running.http_url));
    println!(
        "Try: curl -X POST --header 'Content-type: application/json' --data-raw '{{ \"input\": 1 }}' {}{}",
        running.http_url, lesson.invoke_path
    );
    println!("Serving; Ctrl-C stops.");
    tokio::signal::ctrl_c().await?;
    running.stop();
    stack.lambda.stop_all();
    Ok(ExitCode::SUCCESS)
}

async fn invoke(lesson: &Lesson, body: &str, url: Option<String>) -> Result<ExitCode> {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(body) {
        bail!("the body is not JSON ({e}); pass it in single quotes, e.g. '{{\"input\": 1}}'");
    }
    let url = url.unwrap_or_else(|| format!("http://127.0.0.1:3000{}", lesson.invoke_path));
    let answer = HttpClient::new()
        .post_json(&url, body.to_owned())
        .await
        .with_context(|| {
            format!(
                "is the lesson running? start it with `cargo xtask lesson {} up`",
                lesson.name
            )
        })?;
    println!("POST {url}\n{body}");
    println!("-> {}\n{}", answer.status, answer.body_text());
    Ok(if answer.status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn with_logs(logs: Logs) -> LambdaSettings {
    LambdaSettings {
        logs,
        ..Default::default()
    }
}

/// One request of a scenario and what came back.
pub struct Exchange {
    pub what: &'static str,
    pub request: String,
    pub status: u16,
    pub body: String,
    pub ok: bool,
    pub logs: Vec<String>,
}

async fn run_scenario(lesson: &Lesson) -> Result<ExitCode> {
    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let stack = lesson.stack(with_logs(logs), false)?;
    let running = stack.serve(0, CancellationToken::new()).await?;
    let url = format!("{}{}", running.http_url, lesson.invoke_path);
    let exchanges = play_step1(&url, &mut log_rx).await?;
    running.stop();
    stack.lambda.stop_all();
    print!("{}", render_report(&url, &exchanges));
    Ok(if exchanges.iter().all(|e| e.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Plays step 1's scenario against `url`.
pub async fn play_step1(
    url: &str,
    log_rx: &mut broadcast::Receiver<LogLine>,
) -> Result<Vec<Exchange>> {
    let client = HttpClient::new();
    let mut exchanges = Vec::new();
    for check in step1_http::scenario::SCENARIO {
        let answer = client.post_json(url, check.body).await?;
        let body = answer.body_text();
        let ok = answer.status.as_u16() == check.status
            && match check.answer {
                Some(expected) => body == expected,
                None => is_error_message(&body),
            };
        exchanges.push(Exchange {
            what: check.what,
            request: check.body.to_owned(),
            status: answer.status.as_u16(),
            body,
            ok,
            logs: drain(log_rx).await,
        });
    }
    Ok(exchanges)
}

/// `{"message": "<text>"}` and nothing else.
fn is_error_message(body: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(o)) => {
            o.len() == 1
                && o.get("message")
                    .is_some_and(|m| m.as_str().is_some_and(|s| !s.is_empty()))
        }
        _ => false,
    }
}

/// The log lines of the request just answered. A process's own output
/// comes through a pipe and may trail the answer by a moment, so this reads
/// until the stream has been quiet for 50 ms.
async fn drain(rx: &mut broadcast::Receiver<LogLine>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Ok(Ok(line)) =
        tokio::time::timeout(std::time::Duration::from_millis(50), rx.recv()).await
    {
        lines.push(line.text);
    }
    lines
}

/// The report a learner reads.
pub fn render_report(url: &str, exchanges: &[Exchange]) -> String {
    let mut out = String::new();
    for e in exchanges {
        out.push_str(&format!("── {}\n", e.what));
        out.push_str(&format!("POST {url}  {}\n", e.request));
        out.push_str(&format!(
            "{} {}  {}\n",
            if e.ok { "✓" } else { "✗" },
            e.status,
            e.body
        ));
        for line in &e.logs {
            for part in line.lines() {
                out.push_str(&format!("   │ {part}\n"));
            }
        }
        out.push('\n');
    }
    let passed = exchanges.iter().filter(|e| e.ok).count();
    out.push_str(&format!(
        "{passed} of {} answers are as the contract says.\n",
        exchanges.len()
    ));
    out
}

/// Step 1's logic behind localcloud's HTTP API, in process: the event is
/// read the way lambda_http reads it (body, base64) and the answer is a
/// payload-2.0 response object.
pub async fn step1_in_process(event: Bytes, context: InvokeContext) -> Result<Bytes, HandlerError> {
    let event: serde_json::Value = serde_json::from_slice(&event).map_err(|e| HandlerError {
        error_type: "Runtime.InvalidEvent".into(),
        error_message: e.to_string(),
    })?;
    let body = event["body"].as_str().unwrap_or_default();
    let body = if event["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    let (status, json) = step1_http::respond(&body);
    context.log(format!("answered {}", status.as_u16()));
    let response = serde_json::json!({
        "statusCode": status.as_u16(),
        "headers": {"content-type": "application/json"},
        "body": json,
        "isBase64Encoded": false,
    });
    Ok(Bytes::from(response.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_step1_run_report() {
        let logs = Logs::new(false);
        let mut log_rx = logs.subscribe();
        let stack = LessonId::Step1.lesson().stack_in_process(logs).unwrap();
        let running = stack.serve(0, CancellationToken::new()).await.unwrap();
        let url = format!("{}/", running.http_url);
        let exchanges = play_step1(&url, &mut log_rx).await.unwrap();
        running.stop();
        assert!(exchanges.iter().all(|e| e.ok));
        let report = render_report("http://127.0.0.1:PORT/", &exchanges);
        insta::with_settings!({filters => vec![
            (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[request-id]"),
            (r"\d+\.\d\d ms", "[duration] ms"),
            (r"Billed Duration: \d+ ms", "Billed Duration: [billed] ms"),
        ]}, {
            insta::assert_snapshot!(report);
        });
    }
}
