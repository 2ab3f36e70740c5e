//! The one HTTP/1.1 accept loop every localcloud endpoint uses (HTTP API,
//! the Lambda Runtime API of each execution environment, SQS, the console).
//!
//! Servers bind 127.0.0.1 only: the emulator is for the machine it runs on.
//! Shutdown is a named piece (a [`CancellationToken`]): cancelling it stops
//! accepting and lets the connections in flight finish their current request.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
pub use tokio_util::sync::CancellationToken;

/// Binds `127.0.0.1:port` (`0` picks a free port), with a message that says
/// what to do when the port is taken.
pub async fn bind_loopback(port: u16) -> std::io::Result<TcpListener> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            std::io::Error::new(
                e.kind(),
                format!("port {port} on 127.0.0.1 is already in use: stop what runs there or pick another port"),
            )
        } else {
            std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
        }
    })
}

/// Serves HTTP/1.1 on `listener` until `shutdown` is cancelled. Most
/// endpoints answer with a [`Full`] body; the console's event stream with a
/// body that ends when its client goes or `shutdown` comes.
pub async fn serve<H, Fut, B>(listener: TcpListener, handler: H, shutdown: CancellationToken)
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        let (stream, _) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(req).await) }
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

/// A JSON response.
pub fn json_response(status: http::StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Longer than the endpoint's limit.
    TooLarge,
    /// The connection broke while the body was arriving.
    Unreadable(String),
}

/// How much of an oversized body is still read (and thrown away) before the
/// error answer goes out. A server that answers and closes while the client
/// is still sending makes the kernel reset the connection, and the client
/// then sees "connection closed" instead of the 413 that explains the
/// mistake; reading the rest first lets the answer arrive. Beyond this much
/// the connection is closed anyway, so one client cannot keep a server busy.
const DRAIN_BYTES: usize = 32 * 1024 * 1024;

/// Reads a request body of at most `limit` bytes.
pub async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: hyper::body::Body,
    B::Error: std::fmt::Display,
{
    use http_body_util::BodyExt;
    let mut body = std::pin::pin!(body);
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Unreadable(e.to_string()))?;
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers
        };
        let len = bytes::Buf::remaining(&data);
        seen = seen.saturating_add(len);
        if seen <= limit {
            kept.extend_from_slice(&bytes::Buf::copy_to_bytes(&mut data, len));
        } else if seen > DRAIN_BYTES {
            break;
        }
    }
    if seen > limit {
        Err(BodyError::TooLarge)
    } else {
        Ok(kept.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};

    /// A body sent in chunks, counting how many were read.
    struct Chunks {
        left: usize,
        chunk: usize,
        read: Arc<AtomicUsize>,
    }

    impl hyper::body::Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
            if self.left == 0 {
                return Poll::Ready(None);
            }
            self.left -= 1;
            self.read.fetch_add(1, Ordering::SeqCst);
            let data = Bytes::from(vec![b'x'; self.chunk]);
            Poll::Ready(Some(Ok(hyper::body::Frame::data(data))))
        }
    }

    fn chunks(count: usize, chunk: usize) -> (Chunks, Arc<AtomicUsize>) {
        let read = Arc::new(AtomicUsize::new(0));
        let body = Chunks {
            left: count,
            chunk,
            read: read.clone(),
        };
        (body, read)
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_kept_whole() {
        let (body, _) = chunks(4, 1000);
        let bytes = read_body(body, 4000).await.unwrap();
        assert_eq!(bytes.len(), 4000);
    }

    #[tokio::test]
    async fn an_oversized_body_is_read_to_its_end_before_the_error() {
        // 8 MiB against a 1 KiB limit: every chunk is read, so the client
        // has finished sending when the 413 goes out.
        let (body, read) = chunks(128, 64 * 1024);
        assert!(matches!(
            read_body(body, 1024).await,
            Err(BodyError::TooLarge)
        ));
        assert_eq!(read.load(Ordering::SeqCst), 128);
    }

    #[tokio::test]
    async fn reading_stops_after_the_drain_cap() {
        let chunk = 1024 * 1024;
        let (body, read) = chunks(DRAIN_BYTES / chunk + 50, chunk);
        assert!(matches!(
            read_body(body, 1024).await,
            Err(BodyError::TooLarge)
        ));
        assert_eq!(read.load(Ordering::SeqCst), DRAIN_BYTES / chunk + 1);
    }
}
