//! A minimal SQS client for xtask: JSON in, JSON out.

use anyhow::{Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use localcloud::client::HttpClient;
use localcloud::sqs::SqsService;
use serde_json::Value;

/// An SQS client speaking the AWS JSON protocol over HTTP (or straight to
/// localcloud's service in memory). Small on purpose: the same client
/// against localcloud and moto keeps comparisons fair.
#[derive(Clone)]
pub enum SqsClient {
    /// `region` is the one requests are signed for.
    Tcp {
        client: HttpClient,
        url: String,
        region: String,
    },
    InMemory(SqsService),
}

impl SqsClient {
    /// Calls one operation; an error answer is an `Err` with AWS's body.
    pub async fn call(&self, operation: &str, body: Value) -> Result<Value> {
        let target = format!("AmazonSQS.{operation}");
        let region = match self {
            SqsClient::Tcp { region, .. } => region.as_str(),
            SqsClient::InMemory(_) => "us-east-1",
        };
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDLOCALCLOUD/20260101/{region}/sqs/aws4_request, SignedHeaders=host, Signature=0"
        );
        let headers = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target.as_str()),
            ("authorization", authorization.as_str()),
        ];
        let (status, bytes) = match self {
            SqsClient::Tcp { client, url, .. } => {
                let answer = client
                    .send(http::Method::POST, url, &headers, body.to_string())
                    .await?;
                (answer.status, answer.body)
            }
            SqsClient::InMemory(service) => {
                let mut request = http::Request::post("/");
                for (k, v) in headers {
                    request = request.header(k, v);
                }
                let response = service
                    .call_http(request.body(Full::new(Bytes::from(body.to_string())))?)
                    .await;
                let status = response.status();
                (status, response.into_body().collect().await?.to_bytes())
            }
        };
        if !status.is_success() {
            bail!("{operation}: {status} {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes)?)
    }
}
