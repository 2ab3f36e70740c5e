//! A whole `serverless.yml`, running: its queues in SQS, its functions in
//! Lambda, its routes on an HTTP API bound to 127.0.0.1, and its SQS event
//! sources as event source mappings.
//!
//! This is what `cargo xtask localcloud up --config ...` and the lessons'
//! `run`/`up` start. Each function's code comes from its `package.artifact`
//! (a zip or folder with `bootstrap`) unless the caller supplies an
//! executable (a fresh `cargo build`) or an in-process handler (tests).
//!
//! Its SQS and its Lambda report on one [`Events`] stream
//! ([`Stack::events`]), so one subscriber sees a message's whole life: sent,
//! received by a poller, the invocation in its environment, deleted.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{HttpApiRoute, ServerlessConfig};
use crate::esm::{EventSourceMapping, MappingError, MappingSpec};
use crate::events::Events;
use crate::http_api::HttpApi;
use crate::http_api::routes::RouteTable;
use crate::lambda::{Code, FunctionSpec, Handler, Lambda, LambdaSettings, TaskRoot};
use crate::server::{self, CancellationToken};
use crate::sqs::{Sqs, SqsConfig};

/// Where one function's code comes from.
#[derive(Clone)]
pub enum CodeSource {
    /// `package.artifact` from serverless.yml (the default).
    Artifact,
    /// A `bootstrap` executable, e.g. `target/debug/step1-api`.
    Executable(PathBuf),
    /// A handler run in this process.
    Handler(Arc<dyn Handler>),
}

/// How to start a stack.
#[derive(Clone, Default)]
pub struct StackOptions {
    /// Per function key; functions not listed use [`CodeSource::Artifact`].
    pub code: BTreeMap<String, CodeSource>,
    /// Lambda's settings. When `sqs` is given, `lambda.events` is replaced
    /// by the SQS's stream ([`Sqs::events`]); otherwise the new SQS reports
    /// on `lambda.events` and reads `lambda.clock`. Either way the stack has
    /// one stream.
    pub lambda: LambdaSettings,
    /// The SQS the stack's queues live in; a new in-memory one if `None`.
    /// Its endpoint must be the one the config was resolved against
    /// ([`crate::config::ResolveContext`]). Give it the same clock as
    /// `lambda.clock`, so the events of both share a time line.
    pub sqs: Option<Sqs>,
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{path}: functions.{function}: {message}")]
    Function {
        path: PathBuf,
        function: String,
        message: String,
    },
    #[error("{0}")]
    Bind(std::io::Error),
    #[error("{path}: {defined_at}: {message}")]
    Resource {
        path: PathBuf,
        defined_at: String,
        message: String,
    },
    #[error("{path}: functions.{function}: event source mapping: {error}")]
    Mapping {
        path: PathBuf,
        function: String,
        error: MappingError,
    },
}

/// The runtimes localcloud can run in process mode: custom runtimes, whose
/// `bootstrap` speaks the Runtime API.
const CUSTOM_RUNTIMES: [&str; 3] = ["provided.al2023", "provided.al2", "provided"];

/// A stack ready to serve.
pub struct Stack {
    pub config: ServerlessConfig,
    pub lambda: Lambda,
    pub http_api: HttpApi,
    pub sqs: Sqs,
}

impl Stack {
    pub fn new(config: ServerlessConfig, options: StackOptions) -> Result<Self, StackError> {
        let mut settings = options.lambda;
        // One stream (and one clock) for the whole stack.
        let sqs = match options.sqs {
            Some(sqs) => {
                settings.events = sqs.events();
                sqs
            }
            None => Sqs::new(SqsConfig {
                clock: settings.clock,
                events: settings.events.clone(),
                ..SqsConfig::default()
            }),
        };
        sqs.set_region(config.provider.region.clone());
        create_queues(&config, &sqs)?;
        create_tables(&config, &sqs)?;
        settings.region = config.provider.region.clone();
        // Functions reach localcloud's SQS through the standard variables
        // the AWS SDKs read, with credentials as Lambda gives every function.
        for (key, value) in [
            ("AWS_ENDPOINT_URL_SQS", sqs.endpoint_url()),
            // DynamoDB answers on the same endpoint (crate::dynamodb).
            ("AWS_ENDPOINT_URL_DYNAMODB", sqs.endpoint_url()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCALCLOUD".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "localcloud".to_owned()),
            ("AWS_SESSION_TOKEN", "localcloud".to_owned()),
        ] {
            settings
                .extra_environment
                .entry(key.to_owned())
                .or_insert(value);
        }
        let lambda = Lambda::new(settings);
        let mut routes = RouteTable::default();
        for function in &config.functions {
            let error = |message: String| StackError::Function {
                path: config.path.clone(),
                function: function.key.clone(),
                message,
            };
            let source = options
                .code
                .get(&function.key)
                .cloned()
                .unwrap_or(CodeSource::Artifact);
            let code = match source {
                CodeSource::Handler(handler) => Code::InProcess(handler),
                CodeSource::Executable(path) => {
                    check_runtime(function.runtime.as_deref()).map_err(&error)?;
                    Code::Process(Arc::new(
                        TaskRoot::from_executable(&path).map_err(|e| error(e.to_string()))?,
                    ))
                }
                CodeSource::Artifact => {
                    check_runtime(function.runtime.as_deref()).map_err(&error)?;
                    let artifact = function.artifact.as_ref().ok_or_else(|| {
                        error("no package.artifact: localcloud needs a zip or folder with a `bootstrap` to run".into())
                    })?;
                    Code::Process(Arc::new(
                        TaskRoot::from_artifact(artifact).map_err(|e| error(e.to_string()))?,
                    ))
                }
            };
            lambda.add_function(FunctionSpec {
                name: function.name.clone(),
                handler: function.handler.clone(),
                timeout: Duration::from_secs(function.timeout_seconds.into()),
                memory_size_mb: function.memory_size_mb,
                environment: function.environment.clone(),
                max_concurrency: function.reserved_concurrency.map(|c| c as usize),
                code,
            });
            for route in &function.http_api {
                routes.add(route, function.name.clone());
            }
        }
        let http_api = HttpApi::new(routes, lambda.clone());
        Ok(Self {
            config,
            lambda,
            http_api,
            sqs,
        })
    }

    /// What happens in the stack's SQS and Lambda, as one stream
    /// ([`crate::events`]).
    pub fn events(&self) -> Events {
        self.sqs.events()
    }

    /// Starts the event source mapping of every `sqs` event (the Lift
    /// worker's included), checked as CreateEventSourceMapping checks it.
    pub async fn start_event_sources(
        &self,
        shutdown: CancellationToken,
    ) -> Result<Vec<EventSourceMapping>, StackError> {
        let mut mappings = Vec::new();
        for function in &self.config.functions {
            for source in &function.sqs_events {
                let spec = MappingSpec {
                    function_name: function.name.clone(),
                    queue_name: source.queue.clone(),
                    batch_size: source.batch_size,
                    maximum_batching_window_seconds: source.maximum_batching_window_seconds,
                    report_batch_item_failures: source.report_batch_item_failures,
                    maximum_concurrency: source.maximum_concurrency,
                };
                let mapping = EventSourceMapping::start(
                    spec,
                    self.sqs.clone(),
                    self.lambda.clone(),
                    shutdown.clone(),
                )
                .await
                .map_err(|error| StackError::Mapping {
                    path: self.config.path.clone(),
                    function: function.key.clone(),
                    error,
                })?;
                mappings.push(mapping);
            }
        }
        Ok(mappings)
    }

    /// Binds the HTTP API on `127.0.0.1:port` and serves until `shutdown`.
    pub async fn serve(
        &self,
        port: u16,
        shutdown: CancellationToken,
    ) -> Result<RunningStack, StackError> {
        let listener = server::bind_loopback(port)
            .await
            .map_err(StackError::Bind)?;
        let addr = listener.local_addr().map_err(StackError::Bind)?;
        let api = self.http_api.clone();
        let handler = move |req| {
            let api = api.clone();
            async move { api.handle(req).await }
        };
        tokio::spawn(server::serve(listener, handler, shutdown.clone()));
        Ok(RunningStack {
            http_url: format!("http://{addr}"),
            shutdown,
        })
    }

    /// What `serverless deploy` prints: endpoints and functions.
    pub fn describe(&self, http_url: &str) -> String {
        let mut out = String::new();
        let config = &self.config;
        out.push_str(&format!(
            "service: {}\nstage: {}\nregion: {} (localcloud)\n",
            config.service, config.provider.stage, config.provider.region
        ));
        let routes: Vec<_> = config
            .functions
            .iter()
            .flat_map(|f| f.http_api.iter())
            .collect();
        if !routes.is_empty() {
            out.push_str("endpoints:\n");
            for route in routes {
                match route {
                    HttpApiRoute::Route { method, path } => {
                        let method = method.map_or("ANY", |m| m.as_str());
                        out.push_str(&format!("  {method} - {http_url}{path}\n"));
                    }
                    HttpApiRoute::Default => out.push_str(&format!("  ANY - {http_url}/*\n")),
                }
            }
        }
        out.push_str("functions:\n");
        for f in &config.functions {
            out.push_str(&format!("  {}: {}\n", f.key, f.name));
        }
        if !config.queues.is_empty() {
            out.push_str("queues:\n");
            for q in &config.queues {
                let url = self.sqs.queue_url(&q.name).unwrap_or_default();
                out.push_str(&format!("  {}: {url}\n", q.defined_at));
            }
        }
        out
    }
}

/// A served stack; dropping it does not stop it, `stop` does.
pub struct RunningStack {
    pub http_url: String,
    shutdown: CancellationToken,
}

impl RunningStack {
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

/// Creates the file's queues, then sets their redrive policies (a queue may
/// name a DLQ defined after it).
fn create_queues(config: &ServerlessConfig, sqs: &Sqs) -> Result<(), StackError> {
    let error = |defined_at: &str, message: String| StackError::Resource {
        path: config.path.clone(),
        defined_at: defined_at.to_owned(),
        message,
    };
    for queue in &config.queues {
        sqs.create_queue(&queue.name, &queue.attributes)
            .map_err(|e| error(&queue.defined_at, e.message))?;
    }
    for queue in &config.queues {
        if let Some(redrive) = &queue.redrive {
            let arn = sqs.queue_arn(&redrive.dead_letter_queue).ok_or_else(|| {
                error(
                    &queue.defined_at,
                    format!("no queue {}", redrive.dead_letter_queue),
                )
            })?;
            let policy = serde_json::json!({
                "deadLetterTargetArn": arn,
                "maxReceiveCount": redrive.max_receive_count,
            });
            sqs.set_queue_attributes(
                &queue.name,
                BTreeMap::from([("RedrivePolicy".to_owned(), policy.to_string())]),
            )
            .map_err(|e| error(&queue.defined_at, e.message))?;
        }
    }
    Ok(())
}

/// The file's `AWS::DynamoDB::Table`s, in the DynamoDB served beside the
/// SQS (same endpoint). A table is refused as CreateTable would refuse it,
/// with the file's path and the resource.
fn create_tables(config: &ServerlessConfig, sqs: &Sqs) -> Result<(), StackError> {
    let dynamodb = sqs.dynamodb();
    for table in &config.tables {
        dynamodb
            .create_table_from_json(&table.properties)
            .map_err(|e| StackError::Resource {
                path: config.path.clone(),
                defined_at: table.defined_at.clone(),
                message: e.to_string(),
            })?;
    }
    Ok(())
}

fn check_runtime(runtime: Option<&str>) -> Result<(), String> {
    match runtime {
        Some(r) if CUSTOM_RUNTIMES.contains(&r) => Ok(()),
        Some(r) => Err(format!(
            "runtime {r:?} cannot run in localcloud: use a custom runtime (provided.al2023) whose package has a `bootstrap`"
        )),
        None => Err("no runtime: set provider.runtime (provided.al2023)".into()),
    }
}
