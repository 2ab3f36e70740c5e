//! The payload-2.0 event an HTTP API sends to Lambda.
//!
//! Shape from "Create AWS Lambda proxy integrations for HTTP APIs", payload
//! format version 2.0: header names lower-cased, repeated headers joined by
//! commas, cookies in their own list, repeated query parameters joined by
//! commas, fields that would be empty left out, and `body` base64-encoded
//! (`isBase64Encoded: true`) unless it is text.

use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value, json};

/// What an event is made from.
pub struct EventInput<'a> {
    pub parts: &'a http::request::Parts,
    pub body: &'a Bytes,
    pub route_key: &'a str,
    pub path_parameters: &'a BTreeMap<String, String>,
    pub request_id: &'a str,
    pub api_id: &'a str,
    pub account_id: &'a str,
    pub epoch_millis: i64,
}

/// Builds the event.
pub fn build(input: &EventInput<'_>) -> Value {
    let parts = input.parts;
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies: Vec<String> = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(
                value
                    .split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let domain_name = headers
        .get("host")
        .cloned()
        .unwrap_or_else(|| "localhost".to_owned());
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in form_urlencoded_pairs(&raw_query) {
        query
            .entry(k)
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let time = chrono::DateTime::from_timestamp_millis(input.epoch_millis).unwrap_or_default();
    let path = parts.uri.path();

    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(input.route_key));
    event.insert("rawPath".into(), json!(path));
    event.insert("rawQueryString".into(), json!(raw_query));
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), json!(headers));
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), json!(query));
    }
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": input.account_id,
            "apiId": input.api_id,
            "domainName": domain_name,
            "domainPrefix": domain_name.split('.').next().unwrap_or(""),
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": format!("{:?}", parts.version),
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": input.request_id,
            "routeKey": input.route_key,
            "stage": "$default",
            "time": time.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": input.epoch_millis,
        }),
    );
    if !input.path_parameters.is_empty() {
        event.insert("pathParameters".into(), json!(input.path_parameters));
    }
    let is_text = is_text_body(headers.get("content-type").map(String::as_str), input.body);
    if !input.body.is_empty() {
        let body = if is_text {
            String::from_utf8_lossy(input.body).into_owned()
        } else {
            base64::engine::general_purpose::STANDARD.encode(input.body)
        };
        event.insert("body".into(), json!(body));
    }
    event.insert(
        "isBase64Encoded".into(),
        json!(!is_text && !input.body.is_empty()),
    );
    Value::Object(event)
}

/// Whether a body is passed as text. HTTP API "infers the need for encoding
/// based on the content-type header" (AWS Compute Blog, "Handling binary data
/// using Amazon API Gateway HTTP APIs"); measured against AWS, only `text/*`,
/// `application/json`, `application/xml` and `application/javascript` stay
/// text, and everything else, a missing type and form posts included, is
/// base64 (ministack PR #766). `+json` / `+xml` types are kept as text here:
/// unconfirmed either way. A body that is not UTF-8 is always base64.
fn is_text_body(content_type: Option<&str>, body: &[u8]) -> bool {
    if std::str::from_utf8(body).is_err() {
        return false;
    }
    let Some(content_type) = content_type else {
        return false;
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || media == "application/json"
        || media.ends_with("+json")
        || media == "application/xml"
        || media.ends_with("+xml")
        || media == "application/javascript"
}

/// `a=1&a=2&b` -> (a,1) (a,2) (b,""), percent-decoded, `+` as space.
fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A 10-character API id, like `a1b2c3d4e5`.
pub fn api_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

/// A request id in API Gateway's style (`JKJaXmPLvHcESHA=`).
pub fn request_id() -> String {
    let id = uuid::Uuid::new_v4();
    let mut text = base64::engine::general_purpose::STANDARD.encode(&id.as_bytes()[..10]);
    text.truncate(15);
    text.push('=');
    text
}
