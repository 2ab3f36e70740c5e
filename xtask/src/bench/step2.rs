//! `cargo xtask bench step2`: jobs through the whole step-2 pipeline in
//! process mode (HTTP API -> producer process -> SQS -> event source mapping
//! -> worker process), measured from `POST /produce` to the worker's log
//! line; side by side with the same binaries and mapping whose queue is
//! moto's server instead of localcloud's SQS, and with localcloud's live
//! console serving and a page following its event stream (it must not
//! slow the pipeline down).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use localcloud::client::HttpClient;
use localcloud::config::ResolveContext;
use localcloud::esm::{EventSourceMapping, MappingSpec, QueueAccess, QueueRef};
use localcloud::lambda::LambdaSettings;
use localcloud::lambda::logs::Logs;
use localcloud::server::CancellationToken;
use localcloud::stack::Stack;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::lesson::step2::parse_worker_line;
use crate::lesson::{Lesson, Profile};
use crate::sqs_client::SqsClient;
use crate::stats::LoadStats;

/// moto's default account.
const MOTO_ACCOUNT: &str = "123456789012";

struct Pipeline {
    stack: Stack,
    url: String,
    logs: Logs,
    _mapping: Option<EventSourceMapping>,
    /// With the console: what its page received (batches, bytes).
    console: Option<Arc<ConsoleReader>>,
}

/// A page following the console's server-sent events, as a browser does.
#[derive(Default)]
struct ConsoleReader {
    batches: AtomicUsize,
    bytes: AtomicUsize,
}

/// Serves the stack's console and follows its event stream until `shutdown`.
async fn follow_console(stack: &Stack, shutdown: &CancellationToken) -> Result<Arc<ConsoleReader>> {
    let console = localcloud::console::serve(
        localcloud::console::Sources::of_stack(stack),
        0,
        shutdown.clone(),
    )
    .await?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let request = http::Request::get(format!("{}api/events", console.url))
        .body(http_body_util::Empty::new())?;
    let mut body = client.request(request).await?.into_body();
    let reader = Arc::new(ConsoleReader::default());
    let counts = reader.clone();
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        use http_body_util::BodyExt;
        loop {
            let frame = tokio::select! {
                _ = shutdown.cancelled() => return,
                frame = body.frame() => frame,
            };
            let Some(Ok(frame)) = frame else { return };
            if let Ok(data) = frame.into_data() {
                counts.bytes.fetch_add(data.len(), Ordering::Relaxed);
                let batches = data.windows(12).filter(|w| w == b"event: batch").count();
                counts.batches.fetch_add(batches, Ordering::Relaxed);
            }
        }
    });
    Ok(reader)
}

fn settings(logs: Logs, environments: usize, endpoint: Option<&str>) -> LambdaSettings {
    let mut settings = LambdaSettings {
        logs,
        default_max_concurrency: environments,
        ..Default::default()
    };
    if let Some(endpoint) = endpoint {
        settings
            .extra_environment
            .insert("AWS_ENDPOINT_URL_SQS".into(), endpoint.to_owned());
    }
    settings
}

async fn local_pipeline(
    lesson: &Lesson,
    environments: usize,
    shutdown: &CancellationToken,
    with_console: bool,
) -> Result<Pipeline> {
    let sqs = crate::lesson::stack::serve_sqs(0, shutdown).await?;
    let logs = Logs::new(false);
    let stack = lesson.stack(
        settings(logs.clone(), environments, None),
        Profile::Release,
        Some(sqs),
    )?;
    let running = stack.serve(0, shutdown.clone()).await?;
    let console = match with_console {
        true => Some(follow_console(&stack, shutdown).await?),
        false => None,
    };
    stack.start_event_sources(shutdown.clone()).await?;
    Ok(Pipeline {
        url: format!("{}{}", running.http_url, lesson.route),
        stack,
        logs,
        _mapping: None,
        console,
    })
}

async fn moto_pipeline(
    lesson: &Lesson,
    environments: usize,
    moto_url: &str,
    shutdown: &CancellationToken,
) -> Result<Pipeline> {
    let logs = Logs::new(false);
    let context = ResolveContext {
        sqs_endpoint_url: moto_url.trim_end_matches('/').to_owned(),
        account_id: MOTO_ACCOUNT.into(),
        ..Default::default()
    };
    let config =
        localcloud::config::ServerlessConfig::from_file_with(lesson.serverless_yml(), &context)?;
    let region = config.provider.region.clone();
    // The file's queues, created on moto.
    let moto = SqsClient::Tcp {
        client: HttpClient::new(),
        url: moto_url.to_owned(),
        region: region.clone(),
    };
    for queue in &config.queues {
        let mut attributes = queue.attributes.clone();
        if let Some(redrive) = &queue.redrive {
            attributes.insert(
                "RedrivePolicy".into(),
                json!({"deadLetterTargetArn": format!("arn:aws:sqs:{region}:{MOTO_ACCOUNT}:{}", redrive.dead_letter_queue),
                       "maxReceiveCount": redrive.max_receive_count})
                .to_string(),
            );
        }
        moto.call(
            "CreateQueue",
            json!({"QueueName": queue.name, "Attributes": attributes}),
        )
        .await?;
    }
    // The same stack and binaries; the functions talk to moto.
    let stack = lesson.stack_with_config(
        config,
        settings(
            logs.clone(),
            environments,
            Some(moto_url.trim_end_matches('/')),
        ),
        Profile::Release,
        None,
    )?;
    let running = stack.serve(0, shutdown.clone()).await?;
    let (function, source) = stack
        .config
        .functions
        .iter()
        .find_map(|f| f.sqs_events.first().map(|e| (f.name.clone(), e.clone())))
        .context("no sqs event in the lesson")?;
    let queue = QueueRef {
        url: format!(
            "{}/{MOTO_ACCOUNT}/{}",
            moto_url.trim_end_matches('/'),
            source.queue
        ),
        arn: format!("arn:aws:sqs:{region}:{MOTO_ACCOUNT}:{}", source.queue),
        region: region.clone(),
    };
    let spec = MappingSpec {
        function_name: function,
        queue_name: source.queue.clone(),
        batch_size: source.batch_size,
        maximum_batching_window_seconds: source.maximum_batching_window_seconds,
        report_batch_item_failures: source.report_batch_item_failures,
        maximum_concurrency: source.maximum_concurrency,
    };
    let access = QueueAccess::Remote {
        client: HttpClient::new(),
        endpoint: moto_url.to_owned(),
        region,
    };
    let mapping =
        EventSourceMapping::start_with(spec, access, queue, stack.lambda.clone(), shutdown.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Pipeline {
        url: format!("{}{}", running.http_url, lesson.route),
        stack,
        logs,
        _mapping: Some(mapping),
        console: None,
    })
}

/// Closed-loop load on `POST /produce` for `duration`; each job's latency
/// runs until its worker line appears.
async fn measure(
    pipeline: &Pipeline,
    connections: usize,
    duration: Duration,
) -> Result<(LoadStats, usize)> {
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let done: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
    let mut rx = pipeline.logs.subscribe();
    let collector = {
        let sent = sent.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut lagged = 0;
            loop {
                match rx.recv().await {
                    Ok(line) => {
                        if let Some(parsed) = parse_worker_line(&line.text)
                            && let Some(at) = sent
                                .lock()
                                .map(|mut s| s.remove(&parsed.message_id))
                                .ok()
                                .flatten()
                            && let Ok(mut d) = done.lock()
                        {
                            d.push(at.elapsed());
                        }
                    }
                    Err(RecvError::Lagged(n)) => lagged += n,
                    Err(RecvError::Closed) => return lagged,
                }
            }
        })
    };
    let started = Instant::now();
    let stop_at = started + duration;
    let client = HttpClient::new();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let client = client.clone();
        let url = pipeline.url.clone();
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            let mut errors = 0;
            while Instant::now() < stop_at {
                i += connections;
                let posted = Instant::now();
                match client.post_json(&url, format!(r#"{{"input": {i}}}"#)).await {
                    Ok(answer) if answer.status == 200 => {
                        let body: serde_json::Value =
                            serde_json::from_slice(&answer.body).unwrap_or_default();
                        if let (Some(id), Ok(mut s)) = (body["messageId"].as_str(), sent.lock()) {
                            s.insert(id.to_owned(), posted);
                        }
                    }
                    _ => errors += 1,
                }
            }
            errors
        }));
    }
    let mut errors = 0;
    for task in tasks {
        errors += task.await?;
    }
    let elapsed = started.elapsed();
    // Jobs still in the pipeline get a moment to finish; the rate counts
    // only what finished within the window.
    tokio::time::sleep(Duration::from_secs(2)).await;
    collector.abort();
    let latencies = done.lock().map(|d| d.clone()).unwrap_or_default();
    let in_window = latencies.len();
    Ok((
        LoadStats {
            latencies,
            errors,
            elapsed,
        },
        in_window,
    ))
}

pub async fn bench(
    lesson: &Lesson,
    venv: &std::path::Path,
    seconds: u64,
    connections: usize,
    environments: usize,
) -> Result<()> {
    let duration = Duration::from_secs(seconds);
    let shutdown = CancellationToken::new();
    let moto = crate::tools::MotoServer::start(venv)?;
    let moto_url = moto.url.clone();
    println!(
        "step2: POST /produce -> producer -> SQS -> worker, process mode, {connections} connections, {seconds} s per row, {environments} environments per function, {} cores\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| queue | jobs/s (finished) | p50 | p99 | errors |");
    println!("|---|---:|---:|---:|---:|");
    let mut results = Vec::new();
    let mut console_notes = String::new();
    for (name, moto_queue, with_console) in [
        ("moto server", true, false),
        ("localcloud SQS", false, false),
        ("localcloud SQS, console open", false, true),
    ] {
        let pipeline_shutdown = shutdown.child_token();
        let pipeline = if moto_queue {
            moto_pipeline(lesson, environments, &moto_url, &pipeline_shutdown).await?
        } else {
            local_pipeline(lesson, environments, &pipeline_shutdown, with_console).await?
        };
        measure(&pipeline, connections.min(4), Duration::from_secs(1)).await?;
        let (stats, finished) = measure(&pipeline, connections, duration).await?;
        let rate = finished as f64 / stats.elapsed.as_secs_f64();
        println!(
            "| {name} | {rate:.0} | {:.2} ms | {:.2} ms | {} |",
            stats.percentile_ms(50.0),
            stats.percentile_ms(99.0),
            stats.errors
        );
        results.push((rate, stats.percentile(50.0).unwrap_or_default()));
        if let Some(console) = &pipeline.console {
            console_notes = format!(
                "console open: a page followed its event stream throughout: {} batches, {:.1} MB",
                console.batches.load(Ordering::Relaxed),
                console.bytes.load(Ordering::Relaxed) as f64 / 1e6
            );
        }
        pipeline_shutdown.cancel();
        pipeline.stack.lambda.stop_all();
    }
    drop(moto);
    let (rate, p50) = results[1];
    println!(
        "\ntargets: at least 2,000 jobs/s: {} ({rate:.0}); p50 under 5 ms: {} ({:.2} ms); vs moto: {:.1}x",
        if rate >= 2000.0 { "met" } else { "NOT met" },
        if p50 < Duration::from_millis(5) {
            "met"
        } else {
            "NOT met"
        },
        p50.as_secs_f64() * 1000.0,
        rate / results[0].0.max(1e-9)
    );
    let (open_rate, open_p50) = results[2];
    println!(
        "{console_notes}; jobs/s {:+.1}%, p50 {:+.1}% against the row without it (runs on a shared machine vary by a few %)",
        (open_rate / rate.max(1e-9) - 1.0) * 100.0,
        (open_p50.as_secs_f64() / p50.as_secs_f64().max(1e-9) - 1.0) * 100.0
    );
    shutdown.cancel();
    Ok(())
}
