//! Process mode: a function's real `bootstrap`, run the way Lambda runs it.
//!
//! One [`ProcessEnvironment`] is one execution environment: a child process
//! started with `AWS_LAMBDA_RUNTIME_API` pointing at its own Runtime API
//! endpoint ([`super::runtime_api`]), its working directory at the task root
//! (`LAMBDA_TASK_ROOT`), and the variables Lambda sets
//! (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
//! It handles one invocation at a time. A timeout or a crash ends it: the
//! process is killed and the next invocation starts a new one (a cold start),
//! as Lambda resets the environment after a timeout.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::logs::{LogLine, Logs};
use super::runtime_api::{InitSignal, Pending, Reply, RuntimeApi};
use crate::clock::Clock;
use crate::server::{self, CancellationToken};

/// How long a runtime may take to reach its first `next`: Lambda's init
/// phase limit for on-demand functions is 10 s
/// (docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a process needs to start.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub function_name: String,
    pub bootstrap: PathBuf,
    pub task_root: PathBuf,
    /// Every variable the process gets (Lambda's, then the function's).
    pub environment: BTreeMap<String, String>,
}

/// Why an environment could not be started or ended an invocation badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFailure {
    /// The runtime called `init/error`.
    InitError {
        error_type: Option<String>,
        body: Bytes,
    },
    /// The process exited (or could not start); the text says how.
    Exited(String),
    /// Init did not reach `next` within [`INIT_TIMEOUT`].
    InitTimedOut,
}

/// The outcome of one invocation in a process.
#[derive(Debug)]
pub enum ProcessOutcome {
    Replied(Reply),
    TimedOut,
    Failed(EnvFailure),
}

/// One running execution environment.
pub struct ProcessEnvironment {
    events: mpsc::Sender<Pending>,
    exited: watch::Receiver<Option<String>>,
    pid: Option<u32>,
    /// Dropping these stops the process and its Runtime API listener.
    _stop_process: oneshot::Sender<()>,
    stop_api: CancellationToken,
}

impl Drop for ProcessEnvironment {
    fn drop(&mut self) {
        self.stop_api.cancel();
    }
}

impl ProcessEnvironment {
    /// Starts the process and waits until its runtime asks for the first
    /// event. Returns the environment and how long init took.
    pub async fn start(
        spec: &ProcessSpec,
        logs: &Logs,
        clock: Clock,
    ) -> Result<(Self, Duration), EnvFailure> {
        let started = Instant::now();
        let listener = server::bind_loopback(0)
            .await
            .map_err(|e| EnvFailure::Exited(format!("cannot open the Runtime API: {e}")))?;
        let api_addr = listener
            .local_addr()
            .map_err(|e| EnvFailure::Exited(format!("cannot open the Runtime API: {e}")))?;
        let (api, handles) = RuntimeApi::new();
        let stop_api = CancellationToken::new();
        {
            let stop = stop_api.clone();
            let handler = move |req| {
                let api = api.clone();
                let stop = stop.clone();
                async move { api.handle(req, stop).await }
            };
            tokio::spawn(server::serve(listener, handler, stop_api.clone()));
        }

        let mut command = Command::new(&spec.bootstrap);
        command
            .current_dir(&spec.task_root)
            .env_clear()
            .envs(&spec.environment)
            .env("AWS_LAMBDA_RUNTIME_API", api_addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| {
            EnvFailure::Exited(format!("cannot start {}: {e}", spec.bootstrap.display()))
        })?;
        let pid = child.id();

        // The function's own output goes to its log stream, line by line.
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            let function = spec.function_name.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(text)) = lines.next_line().await {
                    logs.emit(LogLine {
                        function: function.clone(),
                        at_epoch_millis: clock.epoch_millis(),
                        text,
                    });
                }
            });
        }

        // One task owns the child: it reports the exit, or kills on request.
        let (exit_tx, exit_rx) = watch::channel(None);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                _ = stop_rx => {
                    let _ = child.kill().await;
                    child.wait().await
                }
            };
            let text = match status {
                Ok(s) => match s.code() {
                    Some(code) => format!("exit status {code}"),
                    None => format!("{s}"),
                },
                Err(e) => format!("wait failed: {e}"),
            };
            let _ = exit_tx.send(Some(text));
        });

        let mut env = ProcessEnvironment {
            events: handles.events,
            exited: exit_rx,
            pid,
            _stop_process: stop_tx,
            stop_api,
        };
        let init = tokio::select! {
            signal = handles.init => signal.ok(),
            status = wait_exit(&mut env.exited) => return Err(EnvFailure::Exited(status)),
            _ = tokio::time::sleep(INIT_TIMEOUT) => return Err(EnvFailure::InitTimedOut),
        };
        match init {
            Some(InitSignal::Ready) => Ok((env, started.elapsed())),
            Some(InitSignal::Failed { error_type, body }) => {
                Err(EnvFailure::InitError { error_type, body })
            }
            None => Err(EnvFailure::Exited("the runtime stopped during init".into())),
        }
    }

    /// Runs one invocation, waiting at most until `deadline`.
    pub async fn invoke(&mut self, pending: Pending, deadline: Instant) -> ProcessOutcome {
        let (reply_tx, reply_rx) = oneshot::channel();
        let pending = Pending {
            reply: reply_tx,
            ..pending
        };
        tokio::select! {
            sent = self.events.send(pending) => if sent.is_err() {
                return ProcessOutcome::Failed(EnvFailure::Exited("the runtime is gone".into()));
            },
            status = wait_exit(&mut self.exited) => return ProcessOutcome::Failed(EnvFailure::Exited(status)),
        }
        tokio::select! {
            reply = reply_rx => match reply {
                Ok(reply) => ProcessOutcome::Replied(reply),
                Err(_) => ProcessOutcome::Failed(EnvFailure::Exited("the runtime dropped the invocation".into())),
            },
            status = wait_exit(&mut self.exited) => ProcessOutcome::Failed(EnvFailure::Exited(status)),
            _ = tokio::time::sleep_until(deadline) => ProcessOutcome::TimedOut,
        }
    }

    /// Peak resident memory of the process, in MB (`VmHWM` in /proc), like
    /// REPORT's `Max Memory Used`.
    pub fn max_memory_used_mb(&self) -> Option<u64> {
        let pid = self.pid?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb.div_ceil(1024))
    }

    pub fn is_alive(&self) -> bool {
        self.exited.borrow().is_none()
    }
}

async fn wait_exit(exited: &mut watch::Receiver<Option<String>>) -> String {
    match exited.wait_for(Option::is_some).await {
        Ok(status) => status.clone().unwrap_or_default(),
        Err(_) => "the process is gone".to_owned(),
    }
}
