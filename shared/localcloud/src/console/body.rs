//! The console's response bodies: a whole file or JSON answer, or the
//! server-sent event stream (`text/event-stream`) a page follows.
//!
//! Each page gets its own small task: the snapshot first, then every batch
//! the hub flushes. The task writes into a short channel; a page that
//! reads slowly fills it, the task then falls behind the hub's broadcast,
//! and the next thing it sends is a fresh snapshot, not the backlog. The
//! stream ends when the page goes (the channel closes) or at shutdown.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, header};
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::hub::Hub;
use crate::server::CancellationToken;

/// A comment line every so often keeps proxies and the browser from taking
/// a quiet stream for a dead one.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(15);

/// A console answer.
pub enum ConsoleBody {
    Full(Full<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl ConsoleBody {
    pub fn full(bytes: Bytes) -> Self {
        Self::Full(Full::new(bytes))
    }
}

impl Body for ConsoleBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ConsoleBody::Full(full) => Pin::new(full).poll_frame(cx),
            ConsoleBody::Stream(rx) => rx
                .poll_recv(cx)
                .map(|next| next.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ConsoleBody::Full(full) => full.is_end_stream(),
            ConsoleBody::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ConsoleBody::Full(full) => full.size_hint(),
            ConsoleBody::Stream(_) => SizeHint::default(),
        }
    }
}

/// One server-sent event: `event: <name>` and the JSON on one `data:` line
/// (compact JSON has no newline).
pub fn sse_frame(event: &str, json: &str) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {json}\n\n"))
}

/// `GET /api/events`: a snapshot, then the hub's batches.
pub fn event_stream(hub: Arc<Hub>, shutdown: CancellationToken) -> Response<ConsoleBody> {
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    tokio::spawn(follow(hub, tx, shutdown));
    let mut response = Response::new(ConsoleBody::Stream(rx));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

async fn follow(hub: Arc<Hub>, tx: mpsc::Sender<Bytes>, shutdown: CancellationToken) {
    // Subscribe before the snapshot: no batch falls between the two, and
    // the batches the snapshot already holds are skipped by their number.
    let mut batches = hub.subscribe();
    let (mut last, snapshot) = hub.snapshot();
    if tx
        .send(Bytes::from_static(b"retry: 1000\n\n"))
        .await
        .is_err()
        || tx.send(sse_frame("snapshot", &snapshot)).await.is_err()
    {
        return;
    }
    let mut keepalive = tokio::time::interval(KEEPALIVE_EVERY);
    keepalive.tick().await;
    loop {
        let frame = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tx.closed() => return,
            _ = keepalive.tick() => Bytes::from_static(b": keepalive\n\n"),
            batch = batches.recv() => match batch {
                Ok(batch) if batch.seq <= last => continue,
                Ok(batch) => {
                    last = batch.seq;
                    batch.frame.clone()
                }
                Err(RecvError::Lagged(_)) => {
                    // This page fell behind: start it over from now.
                    let (seq, snapshot) = hub.snapshot();
                    last = seq;
                    sse_frame("snapshot", &snapshot)
                }
                Err(RecvError::Closed) => return,
            },
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            sent = tx.send(frame) => if sent.is_err() {
                return;
            },
        }
    }
}
