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
use std::os::fd::AsRawFd;
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
    /// The execution environment's number, for its log lines.
    pub environment_id: u64,
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
    /// Asks each output reader (stdout, stderr) to catch up with the pipe.
    flush: Vec<mpsc::Sender<oneshot::Sender<()>>>,
    /// The last peak memory read, and when.
    memory: Option<(std::time::Instant, u64)>,
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
        let mut flush = Vec::new();
        let streams: [Option<(Box<dyn tokio::io::AsyncRead + Send + Unpin>, i32)>; 2] = [
            child.stdout.take().map(|s| {
                let fd = s.as_raw_fd();
                (
                    Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
                    fd,
                )
            }),
            child.stderr.take().map(|s| {
                let fd = s.as_raw_fd();
                (
                    Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
                    fd,
                )
            }),
        ];
        for (stream, fd) in streams.into_iter().flatten() {
            let (flush_tx, flush_rx) = mpsc::channel(1);
            flush.push(flush_tx);
            tokio::spawn(read_output(
                stream,
                fd,
                LogLine {
                    function: spec.function_name.clone(),
                    environment: Some(spec.environment_id),
                    at_epoch_millis: 0,
                    text: String::new(),
                },
                logs.clone(),
                clock,
                flush_rx,
            ));
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
            flush,
            memory: None,
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

    /// Waits until every line the process wrote so far is in its log
    /// stream. Called when an invocation's answer is in: the process wrote
    /// its lines before it answered, so they are in the pipe by then, and
    /// the function's own lines come before END and REPORT, as in
    /// CloudWatch. Bounded: a reader that does not answer within 200 ms is
    /// not waited for.
    pub async fn flush_logs(&self) {
        let mut acks = Vec::new();
        for reader in &self.flush {
            let (ack, done) = oneshot::channel();
            if reader.try_send(ack).is_ok() {
                acks.push(done);
            }
        }
        for done in acks {
            let _ = tokio::time::timeout(Duration::from_millis(200), done).await;
        }
    }

    /// Peak resident memory of the process, in MB (`VmHWM` in /proc), like
    /// REPORT's `Max Memory Used`. The peak only grows, so it is read from
    /// /proc at most every [`MEMORY_READ_EVERY`]: a read costs more than a
    /// whole invocation of a small function, and under load the REPORT then
    /// shows the peak as of at most that long ago.
    pub fn max_memory_used_mb(&mut self) -> Option<u64> {
        let now = std::time::Instant::now();
        if let Some((at, mb)) = self.memory
            && now.duration_since(at) < MEMORY_READ_EVERY
        {
            return Some(mb);
        }
        let mb = read_peak_memory_mb(self.pid?)?;
        self.memory = Some((now, mb));
        Some(mb)
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

/// How long a peak-memory reading is reused ([`ProcessEnvironment::max_memory_used_mb`]).
pub const MEMORY_READ_EVERY: Duration = Duration::from_millis(100);

/// `VmHWM` of `/proc/<pid>/status`, in MB.
#[cfg(target_os = "linux")]
fn read_peak_memory_mb(pid: u32) -> Option<u64> {
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

/// Linux only: elsewhere there is no /proc, and REPORT leaves out
/// `Max Memory Used` (as it does for in-process handlers).
#[cfg(not(target_os = "linux"))]
fn read_peak_memory_mb(_pid: u32) -> Option<u64> {
    None
}

/// Reads one output stream of the process into its log stream, a line at a
/// time; on a flush request, first reads everything already in the pipe
/// (`FIONREAD` says how much) and every complete line already buffered.
async fn read_output(
    stream: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    fd: i32,
    template: LogLine,
    logs: Logs,
    clock: Clock,
    mut flush: mpsc::Receiver<oneshot::Sender<()>>,
) {
    let mut lines = BufReader::new(stream).lines();
    let emit = |text: String| {
        logs.emit(LogLine {
            at_epoch_millis: clock.epoch_millis(),
            text,
            ..template.clone()
        });
    };
    loop {
        tokio::select! {
            biased;
            request = flush.recv() => {
                let Some(ack) = request else {
                    // The environment is gone; read what is left until EOF.
                    while let Ok(Some(text)) = lines.next_line().await {
                        emit(text);
                    }
                    return;
                };
                while unread_bytes(fd) > 0 || lines.get_ref().buffer().contains(&b'\n') {
                    match lines.next_line().await {
                        Ok(Some(text)) => emit(text),
                        _ => break,
                    }
                }
                let _ = ack.send(());
            }
            line = lines.next_line() => match line {
                Ok(Some(text)) => emit(text),
                _ => return,
            },
        }
    }
}

/// Bytes waiting in a pipe (`ioctl(FIONREAD)`); 0 when it cannot be asked.
fn unread_bytes(fd: i32) -> usize {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which points
    // to a live local; `fd` is the pipe's, owned by the reader that calls this.
    let result = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) };
    if result == 0 {
        usize::try_from(count).unwrap_or(0)
    } else {
        0
    }
}
