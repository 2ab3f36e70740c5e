//! The payload-2.0 event an HTTP API sends to Lambda.
//!
//! Shape from "Create AWS Lambda proxy integrations for HTTP APIs", payload
//! format version 2.0: header names lower-cased, repeated headers joined by
//! commas, cookies in their own list, repeated query parameters joined by
//! commas, fields that would be empty left out, and `body` base64-encoded
//! (`isBase64Encoded: true`) unless it is text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use chrono::{Datelike, Timelike};
use serde::Serialize;
use serde::ser::SerializeMap;

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

/// The event, borrowing from the request: serialized once, straight to
/// the bytes the runtime gets. Fields in the order of AWS's example event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    version: &'static str,
    route_key: &'a str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<Cow<'a, str>>,
    headers: &'a Headers<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    query_string_parameters: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    request_context: RequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    path_parameters: &'a BTreeMap<String, String>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    account_id: &'a str,
    api_id: &'a str,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: HttpContext<'a>,
    request_id: &'a str,
    route_key: &'a str,
    stage: &'static str,
    time: String,
    time_epoch: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpContext<'a> {
    method: &'a str,
    path: &'a str,
    protocol: Cow<'static, str>,
    source_ip: &'static str,
    user_agent: &'a str,
}

/// Header names (lower case) and their values, repeated ones joined by
/// commas, sorted by name.
struct Headers<'a>(Vec<(&'a str, Cow<'a, str>)>);

impl Headers<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }
}

impl Serialize for Headers<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A header value as text (lossy: a value that is not UTF-8 gets U+FFFD).
fn text(value: &http::HeaderValue) -> Cow<'_, str> {
    String::from_utf8_lossy(value.as_bytes())
}

/// Builds the event, serialized as JSON: the payload the function gets.
pub fn to_bytes(input: &EventInput<'_>) -> Bytes {
    let parts = input.parts;
    let mut headers: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(parts.headers.keys_len());
    let mut cookies: Vec<Cow<'_, str>> = Vec::new();
    for name in parts.headers.keys() {
        let mut values = parts.headers.get_all(name).iter();
        if name == http::header::COOKIE {
            for value in values {
                match text(value) {
                    Cow::Borrowed(v) => cookies.extend(
                        v.split(';')
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(Cow::Borrowed),
                    ),
                    Cow::Owned(v) => cookies.extend(
                        v.split(';')
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(|c| Cow::Owned(c.to_owned())),
                    ),
                }
            }
            continue;
        }
        let Some(first) = values.next() else { continue };
        let mut value = text(first);
        for more in values {
            let joined = value.to_mut();
            joined.push(',');
            joined.push_str(&text(more));
        }
        headers.push((name.as_str(), value));
    }
    headers.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let headers = Headers(headers);

    let raw_query = parts.uri.query().unwrap_or("");
    let mut query: BTreeMap<Cow<'_, str>, Cow<'_, str>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        match query.entry(k) {
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let joined = e.get_mut().to_mut();
                joined.push(',');
                joined.push_str(&v);
            }
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }
    let domain_name = headers.get("host").unwrap_or("localhost");
    let path = parts.uri.path();
    let is_text = is_text_body(headers.get("content-type"), input.body);
    let body = (!input.body.is_empty()).then(|| {
        if is_text {
            String::from_utf8_lossy(input.body)
        } else {
            Cow::Owned(base64::engine::general_purpose::STANDARD.encode(input.body))
        }
    });
    let event = Event {
        version: "2.0",
        route_key: input.route_key,
        raw_path: path,
        raw_query_string: raw_query,
        cookies,
        query_string_parameters: query,
        request_context: RequestContext {
            account_id: input.account_id,
            api_id: input.api_id,
            domain_name,
            domain_prefix: domain_name.split('.').next().unwrap_or(""),
            http: HttpContext {
                method: parts.method.as_str(),
                path,
                protocol: protocol(parts.version),
                source_ip: "127.0.0.1",
                user_agent: headers.get("user-agent").unwrap_or_default(),
            },
            request_id: input.request_id,
            route_key: input.route_key,
            stage: "$default",
            time: request_time(input.epoch_millis),
            time_epoch: input.epoch_millis,
        },
        is_base64_encoded: !is_text && !input.body.is_empty(),
        body,
        path_parameters: input.path_parameters,
        headers: &headers,
    };
    let mut out = Vec::with_capacity(768 + input.body.len() * 4 / 3);
    serde_json::to_writer(&mut out, &event).expect("an event always serializes");
    Bytes::from(out)
}

/// `HTTP/1.1` and the like.
fn protocol(version: http::Version) -> Cow<'static, str> {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9".into(),
        http::Version::HTTP_10 => "HTTP/1.0".into(),
        http::Version::HTTP_11 => "HTTP/1.1".into(),
        http::Version::HTTP_2 => "HTTP/2.0".into(),
        http::Version::HTTP_3 => "HTTP/3.0".into(),
        other => format!("{other:?}").into(),
    }
}

/// `requestContext.time`: `01/Jan/2026:00:00:00 +0000` (CLF, UTC).
fn request_time(epoch_millis: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time = chrono::DateTime::from_timestamp_millis(epoch_millis).unwrap_or_default();
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        time.day(),
        MONTHS[time.month0() as usize],
        time.year(),
        time.hour(),
        time.minute(),
        time.second()
    )
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
    let media = content_type.split(';').next().unwrap_or("").trim();
    let starts = |prefix: &str| {
        media
            .get(..prefix.len())
            .is_some_and(|m| m.eq_ignore_ascii_case(prefix))
    };
    let ends = |suffix: &str| {
        media.len() >= suffix.len()
            && media
                .get(media.len() - suffix.len()..)
                .is_some_and(|m| m.eq_ignore_ascii_case(suffix))
    };
    starts("text/")
        || media.eq_ignore_ascii_case("application/json")
        || ends("+json")
        || media.eq_ignore_ascii_case("application/xml")
        || ends("+xml")
        || media.eq_ignore_ascii_case("application/javascript")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_time_reads_like_api_gateways() {
        for millis in [0, 1_767_225_600_000, 1_700_000_015_020, 951_782_400_999] {
            let expected = chrono::DateTime::from_timestamp_millis(millis)
                .unwrap()
                .format("%d/%b/%Y:%H:%M:%S %z")
                .to_string();
            assert_eq!(request_time(millis), expected);
        }
    }

    #[test]
    fn text_types_are_matched_without_regard_to_case() {
        for (content_type, text) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("TEXT/plain", true),
            ("application/vnd.api+JSON", true),
            ("application/x-www-form-urlencoded", false),
            ("image/png", false),
            ("", false),
        ] {
            assert_eq!(
                is_text_body(Some(content_type), b"x"),
                text,
                "{content_type}"
            );
        }
        assert!(!is_text_body(None, b"x"));
        assert!(!is_text_body(Some("text/plain"), &[0xff]));
    }
}
