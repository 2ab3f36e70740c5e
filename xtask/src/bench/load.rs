//! A closed-loop HTTP load generator: each connection sends its next POST
//! when the previous answer is in. Loopback only; bounded by its duration.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use crate::stats::LoadStats;

/// Closed-loop load: `connections` keep-alive connections, each sending its
/// next POST when the previous answer is in, for `duration`. Loopback only.
pub async fn load(
    url: &str,
    body: &Bytes,
    connections: usize,
    duration: Duration,
) -> Result<LoadStats> {
    let uri: http::Uri = url.parse().context("bad URL")?;
    let authority = uri.authority().context("URL without host")?.to_string();
    let started = Instant::now();
    let stop_at = tokio::time::Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let authority = authority.clone();
        let uri = uri.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(&authority).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut latencies = Vec::new();
            let mut errors = 0;
            while tokio::time::Instant::now() < stop_at {
                let request = Request::post(uri.clone())
                    .header("host", &authority)
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))?;
                let sent = Instant::now();
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                if status == StatusCode::OK {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut stats = LoadStats {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (latencies, errors) = task.await??;
        stats.latencies.extend(latencies);
        stats.errors += errors;
    }
    stats.elapsed = started.elapsed();
    Ok(stats)
}
