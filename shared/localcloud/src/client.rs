//! A small HTTP/1.1 client (hyper-util, keep-alive pool) for talking to
//! localcloud: the xtask commands, the load generator and the tests use it.
//! With the `https` feature it also speaks TLS (rustls, the system's root
//! certificates), for the same commands against a deployed API Gateway.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// An HTTP answer, fully read.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpAnswer {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0:?} is not a valid http:// or https:// URL")]
    BadUrl(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

#[cfg(feature = "https")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "https"))]
type Connector = HttpConnector;

/// A pooled client; clone it freely (clones share the pool).
#[derive(Clone)]
pub struct HttpClient {
    client: std::sync::Arc<Client<Connector, Full<Bytes>>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        #[cfg(feature = "https")]
        let connector = {
            connector.enforce_http(false);
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                .map(|b| {
                    b.https_or_http()
                        .enable_http1()
                        .wrap_connector(connector.clone())
                })
                .unwrap_or_else(|_| {
                    // No usable root certificates: plain http still works,
                    // and an https URL fails with a clear error.
                    hyper_rustls::HttpsConnectorBuilder::new()
                        .with_tls_config(
                            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                                rustls::crypto::aws_lc_rs::default_provider(),
                            ))
                            .with_safe_default_protocol_versions()
                            .expect("aws-lc-rs supports the default TLS versions")
                            .with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth(),
                        )
                        .https_or_http()
                        .enable_http1()
                        .wrap_connector(connector)
                })
        };
        Self {
            client: std::sync::Arc::new(Client::builder(TokioExecutor::new()).build(connector)),
        }
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<HttpAnswer, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|_| ClientError::BadUrl(url.to_owned()))?;
        let schemes: &[&str] = if cfg!(feature = "https") {
            &["http", "https"]
        } else {
            &["http"]
        };
        if !uri.scheme_str().is_some_and(|s| schemes.contains(&s)) || uri.host().is_none() {
            return Err(ClientError::BadUrl(url.to_owned()));
        }
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(body.into()))
            .map_err(|_| ClientError::BadUrl(url.to_owned()))?;
        let unreachable = |reason: String| ClientError::Unreachable {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| unreachable(error_chain(&e)))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| unreachable(e.to_string()))?
            .to_bytes();
        Ok(HttpAnswer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// `POST` with `Content-Type: application/json`, like the retrospective's curl.
    pub async fn post_json(
        &self,
        url: &str,
        body: impl Into<Bytes>,
    ) -> Result<HttpAnswer, ClientError> {
        self.send(
            Method::POST,
            url,
            &[("content-type", "application/json")],
            body,
        )
        .await
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
