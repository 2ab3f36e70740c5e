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
