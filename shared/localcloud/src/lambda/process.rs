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
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::{Notify, mpsc, oneshot, watch};
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
    /// Where each output reader (stdout, stderr) stands with its pipe.
    outputs: Vec<Arc<OutputState>>,
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
        // On AWS each environment has CPUs of its own; here the functions
        // share the machine with localcloud itself. As batch work
        // (SCHED_BATCH: same share of the CPU, but a waking function does
        // not preempt a running thread at once), a function that an answer
        // wakes lets localcloud finish what it is doing first, instead of
        // taking its core away in the middle of a request. The function sees
        // nothing of it; on an idle machine nothing changes.
        #[cfg(target_os = "linux")]
        // SAFETY: between fork and exec only sched_setscheduler, which is
        // async-signal-safe, runs; its failure is ignored (the function
        // then runs under the default policy, as on other systems).
        unsafe {
            command.pre_exec(|| {
                let param = libc::sched_param { sched_priority: 0 };
                libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| {
            EnvFailure::Exited(format!("cannot start {}: {e}", spec.bootstrap.display()))
        })?;
        let pid = child.id();

        // The function's own output goes to its log stream, line by line.
        let mut outputs = Vec::new();
        let streams: [Option<Box<dyn AsyncReadFd>>; 2] = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn AsyncReadFd>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn AsyncReadFd>),
        ];
        for stream in streams.into_iter().flatten() {
            // A second descriptor of the pipe, for `FIONREAD` from the
            // invocation's side: it stays open as long as the environment.
            let Ok(pipe) = stream.as_fd().try_clone_to_owned() else {
                continue;
            };
            let state = Arc::new(OutputState {
                pipe,
                busy: AtomicBool::new(false),
                caught_up: Notify::new(),
            });
            outputs.push(state.clone());
            tokio::spawn(read_output(
                stream,
                state,
                LogLine {
                    function: spec.function_name.clone(),
                    environment: Some(spec.environment_id),
                    at_epoch_millis: 0,
                    text: String::new(),
                },
                logs.clone(),
                clock,
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
            outputs,
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
    /// CloudWatch. Usually each reader has already caught up (nothing left
    /// in the pipe, no line half handled) and nothing is waited for;
    /// otherwise this waits for the readers to catch up. Bounded: readers
    /// that do not catch up within 200 ms are not waited for.
    pub async fn flush_logs(&self) {
        if self.outputs.iter().all(|output| output.caught_up()) {
            return;
        }
        let deadline = Instant::now() + Duration::from_millis(200);
        for output in &self.outputs {
            loop {
                let notified = output.caught_up.notified();
                tokio::pin!(notified);
                // Registered before the check, so a reader catching up in
                // between still wakes this.
                notified.as_mut().enable();
                if output.caught_up() {
                    break;
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    return;
                }
            }
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

/// One output pipe of the process (stdout or stderr), as its reader and
/// the invocations see it.
struct OutputState {
    /// The pipe (a descriptor of its own), to ask how much is unread.
    pipe: OwnedFd,
    /// Set by the reader before it takes bytes from the pipe, cleared once
    /// every complete line it took is in the log stream.
    busy: AtomicBool,
    /// Signalled whenever the reader clears `busy`.
    caught_up: Notify,
}

impl OutputState {
    /// Whether every line written to the pipe so far is in the log stream
    /// (a last line without its newline waits for it, as before). The pipe
    /// is asked first: bytes it no longer holds were taken by a read that
    /// set `busy` before it took them, and `busy` is cleared only once
    /// their lines are out.
    fn caught_up(&self) -> bool {
        unread_bytes(self.pipe.as_raw_fd()) == 0 && !self.busy.load(Ordering::SeqCst)
    }
}

/// A process's output pipe: readable, with a descriptor.
trait AsyncReadFd: tokio::io::AsyncRead + AsFd + Send + Unpin {}
impl<T: tokio::io::AsyncRead + AsFd + Send + Unpin> AsyncReadFd for T {}

/// The pipe as the reader reads it: marks the reader busy before each read
/// that may take bytes, and not busy again when nothing was there.
struct Tracked {
    stream: Box<dyn AsyncReadFd>,
    state: Arc<OutputState>,
}

impl tokio::io::AsyncRead for Tracked {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.state.busy.store(true, Ordering::SeqCst);
        let polled = std::pin::Pin::new(&mut self.stream).poll_read(cx, buf);
        if polled.is_pending() {
            self.state.busy.store(false, Ordering::SeqCst);
            self.state.caught_up.notify_waiters();
        }
        polled
    }
}

/// Reads one output stream of the process into its log stream, a line at a
/// time (without its `\n` or `\r\n`; a last line without a newline at
/// the end of the output); invalid UTF-8 is replaced, not dropped. Every
/// complete line read is emitted before the reader says it has caught up
/// ([`OutputState`]).
async fn read_output(
    stream: Box<dyn AsyncReadFd>,
    state: Arc<OutputState>,
    template: LogLine,
    logs: Logs,
    clock: Clock,
) {
    let mut pipe = Tracked {
        stream,
        state: state.clone(),
    };
    let emit = |line: &[u8]| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        logs.emit(LogLine {
            at_epoch_millis: clock.epoch_millis(),
            text: String::from_utf8_lossy(line).into_owned(),
            ..template.clone()
        });
    };
    // Bytes read and not emitted yet: the start of a line without its newline.
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 8 * 1024];
    loop {
        let read = pipe.read(&mut chunk).await;
        let n = match read {
            Ok(n) if n > 0 => n,
            // EOF (the process is gone) or a broken pipe.
            _ => {
                if !pending.is_empty() {
                    emit(&pending);
                }
                state.busy.store(false, Ordering::SeqCst);
                state.caught_up.notify_waiters();
                return;
            }
        };
        let mut rest = &chunk[..n];
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if pending.is_empty() {
                emit(&rest[..end]);
            } else {
                pending.extend_from_slice(&rest[..end]);
                emit(&pending);
                pending.clear();
            }
            rest = &rest[end + 1..];
        }
        pending.extend_from_slice(rest);
        state.busy.store(false, Ordering::SeqCst);
        state.caught_up.notify_waiters();
    }
}

/// Bytes waiting in a pipe (`ioctl(FIONREAD)`); 0 when it cannot be asked.
fn unread_bytes(fd: i32) -> usize {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which points
    // to a live local; `fd` is an open descriptor of the pipe, owned by
    // the caller's `OutputState` for as long as it lives.
    let result = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) };
    if result == 0 {
        usize::try_from(count).unwrap_or(0)
    } else {
        0
    }
}
