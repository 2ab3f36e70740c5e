//! Lambda: functions, execution environments, invocations.
//!
//! A function is run one of two ways ([`Code`]):
//! - **process**: its real `bootstrap` behind an emulated Runtime API
//!   ([`process`], [`runtime_api`]). This is what `run` and `up` use.
//! - **in-process**: a Rust closure called directly ([`Handler`]), for fast,
//!   deterministic tests under tokio's paused clock.
//!
//! Either way an invocation gets a request id, the function's timeout, its
//! concurrency limit (one invocation per environment; more environments start
//! under load, up to the limit, and callers wait for a free one), and the
//! CloudWatch-style START / END / REPORT lines ([`logs`]).
//!
//! Execution environments are numbered per function, from 1, in both modes:
//! an invocation takes a warm one or starts a new one (a cold start); a
//! timeout or a crash discards it (the next invocation is a cold start in a
//! new one), success or a function error returns it to the warm ones. Each
//! invocation's start and end, with its environment, go to
//! [`LambdaSettings::events`] ([`crate::events`]).

pub mod adapters;
pub mod artifact;
pub mod logs;
pub mod process;
pub mod runtime_api;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::events::{EventKind, Events, InvocationResult};
pub use artifact::TaskRoot;
use logs::{LogLine, Logs};
use process::{EnvFailure, ProcessEnvironment, ProcessOutcome, ProcessSpec};
use runtime_api::{MAX_PAYLOAD_BYTES, Pending, Reply};

/// How a function's code runs.
#[derive(Clone)]
pub enum Code {
    /// A `bootstrap` executable in its task root.
    Process(Arc<TaskRoot>),
    /// A handler called in this process.
    InProcess(Arc<dyn Handler>),
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Code::Process(root) => write!(f, "Process({})", root.bootstrap.display()),
            Code::InProcess(_) => f.write_str("InProcess"),
        }
    }
}

/// What the emulator needs to know about one function.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The deployed name (`tutorial-step-1-dev-api`).
    pub name: String,
    pub handler: String,
    pub timeout: Duration,
    pub memory_size_mb: u32,
    /// The function's own variables (from `environment:`).
    pub environment: BTreeMap<String, String>,
    /// Most environments at once: reserved concurrency, or localcloud's default.
    pub max_concurrency: Option<usize>,
    pub code: Code,
}

/// An in-process handler: event bytes in, result bytes out.
pub trait Handler: Send + Sync + 'static {
    fn call(&self, event: Bytes, context: InvokeContext) -> HandlerFuture;
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Bytes, HandlerError>> + Send>>;

impl<F, Fut> Handler for F
where
    F: Fn(Bytes, InvokeContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
{
    fn call(&self, event: Bytes, context: InvokeContext) -> HandlerFuture {
        Box::pin(self(event, context))
    }
}

/// The error type of a runtime whose process exited during an invocation;
/// an in-process handler returns it to play a crash.
pub const EXIT_ERROR: &str = "Runtime.ExitError";

/// An error returned by an in-process handler (what a runtime posts to `/error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    pub error_type: String,
    pub error_message: String,
}

/// What an in-process handler knows about its invocation.
#[derive(Clone)]
pub struct InvokeContext {
    pub request_id: String,
    pub function_name: String,
    /// The execution environment running the invocation.
    pub environment: u64,
    pub deadline: Instant,
    logs: Logs,
    clock: Clock,
}

impl InvokeContext {
    /// Writes a line to the function's log stream (what `println!` does in a process).
    pub fn log(&self, text: impl Into<String>) {
        self.logs.emit(LogLine {
            function: self.function_name.clone(),
            environment: Some(self.environment),
            at_epoch_millis: self.clock.epoch_millis(),
            text: text.into(),
        });
    }
}

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The function's result.
    Success(Bytes),
    /// The function reported an error (`/error`, or a handler's `Err`).
    FunctionError {
        error_type: String,
        error_message: String,
    },
    /// The function ran past its timeout; its environment was reset.
    TimedOut { after: Duration },
    /// The runtime crashed, or failed to start: `Runtime.ExitError`,
    /// `Runtime.InitError`...
    RuntimeFailure {
        error_type: String,
        error_message: String,
    },
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }

    /// The outcome as [`EventKind::InvocationFinished`] reports it.
    pub fn result(&self) -> InvocationResult {
        match self {
            Outcome::Success(_) => InvocationResult::Success,
            Outcome::FunctionError { .. } => InvocationResult::Error,
            Outcome::TimedOut { .. } => InvocationResult::Timeout,
            Outcome::RuntimeFailure { .. } => InvocationResult::Crash,
        }
    }

    /// The body a synchronous invoker gets for a failed invocation, with
    /// `X-Amz-Function-Error` set: `{"errorType": ..., "errorMessage": ...}`.
    /// A timeout reads `Sandbox.Timedout` / `RequestId: <id> Error: Task timed
    /// out after 6.00 seconds` (docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html).
    pub fn error_json(&self, request_id: &str) -> Option<serde_json::Value> {
        let (error_type, message) = match self {
            Outcome::Success(_) => return None,
            Outcome::FunctionError {
                error_type,
                error_message,
            }
            | Outcome::RuntimeFailure {
                error_type,
                error_message,
            } => (error_type.clone(), error_message.clone()),
            Outcome::TimedOut { after } => (
                "Sandbox.Timedout".to_owned(),
                format!(
                    "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                    after.as_secs_f64()
                ),
            ),
        };
        Some(serde_json::json!({ "errorType": error_type, "errorMessage": message }))
    }
}

/// One invocation, as the caller sees it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    pub duration: Duration,
    /// Set on a cold start.
    pub init_duration: Option<Duration>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvokeError {
    /// `ResourceNotFoundException` on AWS.
    #[error("Function not found: {0}")]
    FunctionNotFound(String),
    /// `RequestTooLargeException`: the 6 MB synchronous payload limit.
    #[error(
        "Request payload size ({0} bytes) exceeded maximum allowed payload size ({MAX_PAYLOAD_BYTES} bytes)."
    )]
    RequestTooLarge(usize),
}

/// Settings shared by all functions.
#[derive(Debug, Clone)]
pub struct LambdaSettings {
    pub region: String,
    pub account_id: String,
    pub clock: Clock,
    pub logs: Logs,
    /// Environments per function when it has no reserved concurrency.
    pub default_max_concurrency: usize,
    /// Variables every process gets (credentials, `AWS_ENDPOINT_URL`...), the
    /// way Lambda gives every function its role's credentials.
    pub extra_environment: BTreeMap<String, String>,
    /// Where invocations are reported (a new, unobserved stream by default;
    /// a [`crate::stack::Stack`] uses its SQS's).
    pub events: Events,
}

impl Default for LambdaSettings {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            clock: Clock::system(),
            logs: Logs::new(false),
            default_max_concurrency: 10,
            extra_environment: BTreeMap::new(),
            events: Events::new(),
        }
    }
}

/// The Lambda service: a set of functions and their environments.
#[derive(Clone)]
pub struct Lambda {
    inner: Arc<LambdaInner>,
}

struct LambdaInner {
    settings: LambdaSettings,
    functions: RwLock<HashMap<String, Arc<FunctionHost>>>,
}

struct FunctionHost {
    spec: FunctionSpec,
    arn: String,
    permits: Semaphore,
    /// Warm process environments and their ids, ready for the next invocation.
    idle: Mutex<Vec<(u64, ProcessEnvironment)>>,
    /// Warm in-process environments: only their ids (the handler is shared).
    idle_in_process: Mutex<Vec<u64>>,
    /// The id of the next new environment (1, 2, ...).
    next_environment: AtomicU64,
    /// Most environments at once.
    limit: usize,
    /// Invocations started and not yet finished (for [`Lambda::snapshot`]).
    running: Mutex<Vec<RunningInvocation>>,
}

/// A function's execution environments, now: what the live console shows
/// after it missed events ([`Lambda::snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FunctionSnapshot {
    /// The deployed name.
    pub name: String,
    pub timeout_ms: u64,
    pub memory_size_mb: u32,
    /// Most environments at once.
    pub max_concurrency: usize,
    /// Environments waiting, warm, for the next invocation.
    pub warm_environments: Vec<u64>,
    /// Invocations running now, oldest first.
    pub running: Vec<RunningInvocation>,
}

/// An invocation that has started and not finished.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunningInvocation {
    pub request_id: String,
    pub environment: u64,
    pub started_at_epoch_millis: i64,
}

impl FunctionHost {
    /// An id for a new execution environment.
    fn new_environment(&self) -> u64 {
        self.next_environment.fetch_add(1, Ordering::Relaxed)
    }
}

impl Lambda {
    pub fn new(settings: LambdaSettings) -> Self {
        Self {
            inner: Arc::new(LambdaInner {
                settings,
                functions: RwLock::new(HashMap::new()),
            }),
        }
    }

    pub fn settings(&self) -> &LambdaSettings {
        &self.inner.settings
    }

    pub fn logs(&self) -> &Logs {
        &self.inner.settings.logs
    }

    /// Where invocations are reported ([`crate::events`]).
    pub fn events(&self) -> Events {
        self.inner.settings.events.clone()
    }

    /// Adds (or replaces) a function.
    pub fn add_function(&self, spec: FunctionSpec) {
        let settings = &self.inner.settings;
        let limit = spec
            .max_concurrency
            .unwrap_or(settings.default_max_concurrency)
            .max(1);
        let host = FunctionHost {
            arn: format!(
                "arn:aws:lambda:{}:{}:function:{}",
                settings.region, settings.account_id, spec.name
            ),
            permits: Semaphore::new(limit),
            idle: Mutex::new(Vec::new()),
            idle_in_process: Mutex::new(Vec::new()),
            next_environment: AtomicU64::new(1),
            limit,
            running: Mutex::new(Vec::new()),
            spec,
        };
        self.inner
            .functions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.spec.name.clone(), Arc::new(host));
    }

    pub fn function(&self, name: &str) -> Option<FunctionSpec> {
        self.host(name).map(|h| h.spec.clone())
    }

    fn host(&self, name: &str) -> Option<Arc<FunctionHost>> {
        self.inner
            .functions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Every function (by name) with its warm environments and running
    /// invocations.
    pub fn snapshot(&self) -> Vec<FunctionSnapshot> {
        let mut hosts: Vec<_> = self
            .inner
            .functions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        hosts.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        hosts
            .iter()
            .map(|host| {
                let mut warm: Vec<u64> = host
                    .idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|(id, _)| *id)
                    .collect();
                warm.extend(
                    host.idle_in_process
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter(),
                );
                warm.sort_unstable();
                FunctionSnapshot {
                    name: host.spec.name.clone(),
                    timeout_ms: host.spec.timeout.as_millis() as u64,
                    memory_size_mb: host.spec.memory_size_mb,
                    max_concurrency: host.limit,
                    warm_environments: warm,
                    running: host
                        .running
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone(),
                }
            })
            .collect()
    }

    /// Stops every warm environment (their processes are killed): the next
    /// invocation of each function is a cold start.
    pub fn stop_all(&self) {
        let hosts: Vec<_> = self
            .inner
            .functions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for host in hosts {
            host.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
            host.idle_in_process
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
        }
    }

    /// Invokes a function synchronously (`RequestResponse`) and waits for it.
    pub async fn invoke(&self, name: &str, payload: Bytes) -> Result<Invocation, InvokeError> {
        let host = self
            .host(name)
            .ok_or_else(|| InvokeError::FunctionNotFound(name.to_owned()))?;
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(InvokeError::RequestTooLarge(payload.len()));
        }
        // The semaphore is never closed, so acquiring only waits.
        let _permit = host.permits.acquire().await.ok();
        let request_id = uuid::Uuid::new_v4().to_string();
        let invocation = match &host.spec.code {
            Code::Process(root) => self.invoke_process(&host, root, request_id, payload).await,
            Code::InProcess(handler) => {
                self.invoke_in_process(&host, handler.clone(), request_id, payload)
                    .await
            }
        };
        Ok(invocation)
    }

    fn emit(&self, kind: EventKind) {
        let settings = &self.inner.settings;
        settings.events.emit(kind, settings.clock.epoch_millis());
    }

    fn emit_started(
        &self,
        host: &FunctionHost,
        request_id: &str,
        environment: u64,
        cold_start: bool,
    ) {
        host.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(RunningInvocation {
                request_id: request_id.to_owned(),
                environment,
                started_at_epoch_millis: self.inner.settings.clock.epoch_millis(),
            });
        self.emit(EventKind::InvocationStarted {
            function: host.spec.name.clone(),
            request_id: request_id.to_owned(),
            environment,
            cold_start,
        });
    }

    fn emit_finished(
        &self,
        host: &FunctionHost,
        request_id: &str,
        environment: u64,
        outcome: &Outcome,
        duration: Duration,
    ) {
        host.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|r| r.request_id != request_id);
        self.emit(EventKind::InvocationFinished {
            function: host.spec.name.clone(),
            request_id: request_id.to_owned(),
            environment,
            outcome: outcome.result(),
            duration_ms: duration.as_secs_f64() * 1000.0,
        });
    }

    /// A line in the log stream of `environment`.
    fn log(&self, host: &FunctionHost, environment: u64, text: String) {
        let settings = &self.inner.settings;
        settings.logs.emit(LogLine {
            function: host.spec.name.clone(),
            environment: Some(environment),
            at_epoch_millis: settings.clock.epoch_millis(),
            text,
        });
    }

    async fn invoke_in_process(
        &self,
        host: &FunctionHost,
        handler: Arc<dyn Handler>,
        request_id: String,
        payload: Bytes,
    ) -> Invocation {
        let settings = &self.inner.settings;
        let warm = host
            .idle_in_process
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let (environment, cold_start) = match warm {
            Some(id) => (id, false),
            None => (host.new_environment(), true),
        };
        let started = Instant::now();
        let deadline = started + host.spec.timeout;
        self.log(host, environment, logs::start_line(&request_id));
        self.emit_started(host, &request_id, environment, cold_start);
        let context = InvokeContext {
            request_id: request_id.clone(),
            function_name: host.spec.name.clone(),
            environment,
            deadline,
            logs: settings.logs.clone(),
            clock: settings.clock,
        };
        // A panic ends the invocation with a function error, as the Rust
        // runtime reports it (lambda_runtime's CatchPanic layer: "Lambda
        // panicked: <message>"), and the emulator goes on.
        let call = std::panic::AssertUnwindSafe(handler.call(payload, context)).catch_unwind();
        let outcome = match tokio::time::timeout_at(deadline, call).await {
            Ok(Ok(Ok(result))) => Outcome::Success(result),
            // A handler plays a crash (its process exiting, as
            // `std::process::exit` does in a bootstrap) with the error type
            // process mode reports for it, `Runtime.ExitError`: the
            // invocation ends as a runtime failure and its environment is
            // gone.
            Ok(Ok(Err(e))) if e.error_type == EXIT_ERROR => Outcome::RuntimeFailure {
                error_type: e.error_type,
                error_message: e.error_message,
            },
            Ok(Ok(Err(e))) => Outcome::FunctionError {
                error_type: e.error_type,
                error_message: e.error_message,
            },
            Ok(Err(panic)) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|m| m.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned());
                let error_message = match message {
                    Some(m) => format!("Lambda panicked: {m}"),
                    None => "Lambda panicked".to_owned(),
                };
                self.log(host, environment, format!("panicked: {error_message}"));
                Outcome::FunctionError {
                    error_type: "Panic".to_owned(),
                    error_message,
                }
            }
            Err(_) => Outcome::TimedOut {
                after: host.spec.timeout,
            },
        };
        self.emit_finished(host, &request_id, environment, &outcome, started.elapsed());
        // As in process mode, a timeout or a crash resets the environment:
        // its id is not reused, the next invocation is a cold start in a
        // new one.
        // END and REPORT before the environment is free again (see
        // invoke_process).
        self.finish(host, environment, &request_id, started, None, None);
        if !matches!(
            outcome,
            Outcome::TimedOut { .. } | Outcome::RuntimeFailure { .. }
        ) {
            host.idle_in_process
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(environment);
        }
        Invocation {
            request_id,
            outcome,
            duration: started.elapsed(),
            init_duration: None,
        }
    }

    async fn invoke_process(
        &self,
        host: &FunctionHost,
        root: &TaskRoot,
        request_id: String,
        payload: Bytes,
    ) -> Invocation {
        let settings = &self.inner.settings;
        let warm = {
            let mut idle = host.idle.lock().unwrap_or_else(|e| e.into_inner());
            // An environment whose process died while idle is not reused.
            idle.retain(|(_, env)| env.is_alive());
            idle.pop()
        };
        let (environment, mut env, init_duration) = match warm {
            Some((id, env)) => (id, env, None),
            None => {
                let id = host.new_environment();
                match ProcessEnvironment::start(
                    &self.process_spec(host, root, id),
                    &settings.logs,
                    settings.clock,
                )
                .await
                {
                    Ok((env, init)) => (id, env, Some(init)),
                    Err(failure) => {
                        return self.init_failed(host, id, request_id, failure);
                    }
                }
            }
        };

        let started = Instant::now();
        let deadline = started + host.spec.timeout;
        self.log(host, environment, logs::start_line(&request_id));
        self.emit_started(host, &request_id, environment, init_duration.is_some());
        let (reply, _) = tokio::sync::oneshot::channel();
        let pending = Pending {
            request_id: request_id.clone(),
            payload,
            deadline_epoch_millis: settings.clock.epoch_millis_at(deadline),
            function_arn: host.arn.clone(),
            trace_id: trace_id(settings.clock.epoch_millis()),
            reply,
        };
        let (outcome, keep) = match env.invoke(pending, deadline).await {
            ProcessOutcome::Replied(Reply::Response(body)) => (Outcome::Success(body), true),
            ProcessOutcome::Replied(Reply::Error { error_type, body }) => {
                (function_error(error_type, &body), true)
            }
            ProcessOutcome::TimedOut => (
                Outcome::TimedOut {
                    after: host.spec.timeout,
                },
                false,
            ),
            ProcessOutcome::Failed(failure) => (exit_outcome(&request_id, failure), false),
        };
        // What the process wrote before it answered comes before END.
        env.flush_logs().await;
        match &outcome {
            Outcome::TimedOut { after } => self.log(
                host,
                environment,
                logs::timeout_line(settings.clock.epoch_millis(), &request_id, *after),
            ),
            Outcome::RuntimeFailure {
                error_type,
                error_message,
            } => self.log(host, environment, format!("{error_message}\n{error_type}")),
            _ => {}
        }
        self.emit_finished(host, &request_id, environment, &outcome, started.elapsed());
        let memory = env.max_memory_used_mb();
        // END and REPORT before the environment is free again: another
        // invocation may take it at once, and its START must come after
        // them in the environment's log stream, as in CloudWatch.
        self.finish(
            host,
            environment,
            &request_id,
            started,
            memory,
            init_duration,
        );
        if keep {
            host.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((environment, env));
        }
        // A dropped environment kills its process: the next call is a cold start.
        Invocation {
            request_id,
            outcome,
            duration: started.elapsed(),
            init_duration,
        }
    }

    /// A new environment `environment` failed to start: the invocation
    /// fails with the init error (`Runtime.InitError`...) and the
    /// environment is gone.
    fn init_failed(
        &self,
        host: &FunctionHost,
        environment: u64,
        request_id: String,
        failure: EnvFailure,
    ) -> Invocation {
        let started = Instant::now();
        self.log(host, environment, logs::start_line(&request_id));
        self.emit_started(host, &request_id, environment, true);
        let outcome = init_failure_outcome(&request_id, failure);
        if let Outcome::RuntimeFailure {
            error_message,
            error_type,
        } = &outcome
        {
            self.log(host, environment, format!("{error_message}\n{error_type}"));
        }
        self.emit_finished(host, &request_id, environment, &outcome, Duration::ZERO);
        self.finish(host, environment, &request_id, started, None, None);
        Invocation {
            request_id,
            outcome,
            duration: Duration::ZERO,
            init_duration: None,
        }
    }

    fn finish(
        &self,
        host: &FunctionHost,
        environment: u64,
        request_id: &str,
        started: Instant,
        memory: Option<u64>,
        init: Option<Duration>,
    ) {
        self.log(host, environment, logs::end_line(request_id));
        self.log(
            host,
            environment,
            logs::report_line(
                request_id,
                started.elapsed(),
                host.spec.memory_size_mb,
                memory,
                init,
            ),
        );
    }

    fn process_spec(
        &self,
        host: &FunctionHost,
        root: &TaskRoot,
        environment_id: u64,
    ) -> ProcessSpec {
        let settings = &self.inner.settings;
        let spec = &host.spec;
        let mut env = BTreeMap::new();
        // Lambda's reserved variables
        // (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
        let host_path =
            std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
        for (k, v) in [
            ("PATH", host_path.as_str()),
            ("LANG", "en_US.UTF-8"),
            ("TZ", ":UTC"),
            ("AWS_REGION", settings.region.as_str()),
            ("AWS_DEFAULT_REGION", settings.region.as_str()),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
            ("AWS_LAMBDA_FUNCTION_NAME", spec.name.as_str()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("_HANDLER", spec.handler.as_str()),
        ] {
            env.insert(k.to_owned(), v.to_owned());
        }
        env.insert(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            spec.memory_size_mb.to_string(),
        );
        env.insert(
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", spec.name),
        );
        env.insert(
            "AWS_LAMBDA_LOG_STREAM_NAME".into(),
            format!(
                "{}/[$LATEST]{}",
                settings.clock.utc_now().format("%Y/%m/%d"),
                uuid::Uuid::new_v4().simple()
            ),
        );
        env.insert(
            "LAMBDA_TASK_ROOT".into(),
            root.dir.to_string_lossy().into_owned(),
        );
        env.insert(
            "LAMBDA_RUNTIME_DIR".into(),
            root.dir.to_string_lossy().into_owned(),
        );
        env.extend(settings.extra_environment.clone());
        env.extend(spec.environment.clone());
        ProcessSpec {
            function_name: spec.name.clone(),
            bootstrap: root.bootstrap.clone(),
            task_root: root.dir.clone(),
            environment: env,
            environment_id,
        }
    }
}

/// An X-Ray style trace header (`Root=1-<hex time>-<24 hex>;Sampled=0`).
fn trace_id(epoch_millis: i64) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        epoch_millis / 1000,
        &random[..24],
        &random[16..32]
    )
}

/// An `/error` post becomes the function error the invoker sees; its body is
/// normally `{"errorType": ..., "errorMessage": ...}`.
fn function_error(header_type: Option<String>, body: &[u8]) -> Outcome {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    Outcome::FunctionError {
        error_type: field("errorType")
            .or(header_type)
            .unwrap_or_else(|| "Unhandled".to_owned()),
        error_message: field("errorMessage")
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    }
}

/// The runtime process ended mid-invocation: Lambda reports
/// `Runtime.ExitError` / `RequestId: <id> Error: Runtime exited with error: exit status 1`.
fn exit_outcome(request_id: &str, failure: EnvFailure) -> Outcome {
    match failure {
        EnvFailure::Exited(status) => Outcome::RuntimeFailure {
            error_type: EXIT_ERROR.into(),
            error_message: format!(
                "RequestId: {request_id} Error: Runtime exited with error: {status}"
            ),
        },
        other => init_failure_outcome(request_id, other),
    }
}

fn init_failure_outcome(request_id: &str, failure: EnvFailure) -> Outcome {
    match failure {
        EnvFailure::InitError { error_type, body } => match function_error(error_type, &body) {
            Outcome::FunctionError {
                error_type,
                error_message,
            } => Outcome::RuntimeFailure {
                error_type: if error_type == "Unhandled" {
                    "Runtime.InitError".into()
                } else {
                    error_type
                },
                error_message,
            },
            other => other,
        },
        EnvFailure::InitTimedOut => Outcome::RuntimeFailure {
            error_type: "Runtime.InitError".into(),
            error_message: format!(
                "RequestId: {request_id} Error: the runtime did not ask for an event within {} seconds of starting",
                process::INIT_TIMEOUT.as_secs()
            ),
        },
        EnvFailure::Exited(status) => Outcome::RuntimeFailure {
            error_type: EXIT_ERROR.into(),
            error_message: format!(
                "RequestId: {request_id} Error: Runtime exited with error: {status}"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_shows_running_invocations_and_warm_environments() {
        let lambda = Lambda::new(LambdaSettings {
            clock: Clock::starting_at(1_767_225_600_000),
            ..LambdaSettings::default()
        });
        let handler = |_: Bytes, _: InvokeContext| async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Ok::<_, HandlerError>(Bytes::from_static(b"ok"))
        };
        lambda.add_function(FunctionSpec {
            name: "slow".into(),
            handler: "bootstrap".into(),
            timeout: Duration::from_secs(3),
            memory_size_mb: 128,
            environment: BTreeMap::new(),
            max_concurrency: Some(2),
            code: Code::InProcess(Arc::new(handler)),
        });
        let first = tokio::spawn({
            let lambda = lambda.clone();
            async move { lambda.invoke("slow", Bytes::new()).await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let second = tokio::spawn({
            let lambda = lambda.clone();
            async move { lambda.invoke("slow", Bytes::new()).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;

        let snapshot = lambda.snapshot();
        assert_eq!(snapshot.len(), 1);
        let slow = &snapshot[0];
        assert_eq!(
            (slow.name.as_str(), slow.timeout_ms, slow.max_concurrency),
            ("slow", 3_000, 2)
        );
        assert!(slow.warm_environments.is_empty());
        let running: Vec<(u64, i64)> = slow
            .running
            .iter()
            .map(|r| (r.environment, r.started_at_epoch_millis))
            .collect();
        assert_eq!(
            running,
            [(1, 1_767_225_600_000), (2, 1_767_225_600_500)],
            "oldest first, each in its own environment"
        );

        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        let slow = &lambda.snapshot()[0];
        assert!(slow.running.is_empty());
        assert_eq!(slow.warm_environments, [1, 2]);
    }
}
