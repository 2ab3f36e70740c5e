//! From a function's result to an HTTP response (payload format 2.0).
//!
//! "Lambda function response for format 2.0": a JSON object with
//! `statusCode` is used as given (`headers`, `cookies`, `body`,
//! `isBase64Encoded`). Any other valid JSON is the body of a `200` with
//! `content-type: application/json` (a JSON string is sent as its text).
//! Anything API Gateway cannot use (not JSON, a bad `statusCode`, bad base64)
//! is a `500 {"message":"Internal Server Error"}`.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::Value;

use crate::server::json_response;

/// API Gateway's own error answers: `{"message":"Not Found"}` and the like.
pub fn gateway_error(status: StatusCode) -> Response<Full<Bytes>> {
    let message = match status {
        StatusCode::NOT_FOUND => "Not Found",
        StatusCode::PAYLOAD_TOO_LARGE => "Request Entity Too Large",
        StatusCode::SERVICE_UNAVAILABLE => "Service Unavailable",
        StatusCode::BAD_REQUEST => "Bad Request",
        _ => "Internal Server Error",
    };
    json_response(
        status,
        serde_json::json!({ "message": message }).to_string(),
    )
}

/// Maps the function's result bytes to the client's response.
pub fn from_function_result(result: &[u8]) -> Response<Full<Bytes>> {
    match try_map(result) {
        Some(response) => response,
        None => gateway_error(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn try_map(result: &[u8]) -> Option<Response<Full<Bytes>>> {
    let value: Value = serde_json::from_slice(result).ok()?;
    let Some(object) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        // Valid JSON without statusCode: 200, the JSON as body.
        let body = match &value {
            Value::String(text) => Bytes::from(text.clone()),
            _ => Bytes::copy_from_slice(result),
        };
        return Some(json_response(StatusCode::OK, body));
    };
    let status = object.get("statusCode")?.as_u64()?;
    let status = StatusCode::from_u16(u16::try_from(status).ok()?).ok()?;
    let body = match object.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) => {
            if object.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
                Bytes::from(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                )
            } else {
                Bytes::from(text.clone())
            }
        }
        // A non-string body is sent as its JSON text.
        Some(other) => Bytes::from(other.to_string()),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Some(headers) = object.get("headers") {
        for (name, value) in headers.as_object()? {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
            response
                .headers_mut()
                .append(name, HeaderValue::from_str(&text).ok()?);
        }
    }
    if let Some(cookies) = object.get("cookies") {
        for cookie in cookies.as_array()? {
            let value = HeaderValue::from_str(cookie.as_str()?).ok()?;
            response
                .headers_mut()
                .append(http::header::SET_COOKIE, value);
        }
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn map(result: &str) -> (u16, String, Option<String>) {
        let response = from_function_result(result.as_bytes());
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            String::from_utf8_lossy(&body).into_owned(),
            content_type,
        )
    }

    #[tokio::test]
    async fn a_response_object_is_used_as_given() {
        let (status, body, ct) = map(
            r#"{"statusCode":400,"headers":{"content-type":"application/json"},"body":"{\"message\":\"no\"}"}"#,
        )
        .await;
        assert_eq!(
            (status, body.as_str(), ct.as_deref()),
            (400, r#"{"message":"no"}"#, Some("application/json"))
        );
        let (status, body, _) =
            map(r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#).await;
        assert_eq!((status, body.as_str()), (200, "hi"));
    }

    #[tokio::test]
    async fn other_json_is_a_200_json_body() {
        assert_eq!(
            map(r#"{"input":1,"output":2}"#).await,
            (
                200,
                r#"{"input":1,"output":2}"#.into(),
                Some("application/json".into())
            )
        );
        assert_eq!(map(r#""Hello""#).await.1, "Hello");
    }

    #[tokio::test]
    async fn unusable_results_are_a_500() {
        for bad in [
            "not json",
            r#"{"statusCode":"200"}"#,
            r#"{"statusCode":99}"#,
            r#"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#,
            r#"{"statusCode":200,"headers":{"bad header":"x"}}"#,
        ] {
            assert_eq!(
                map(bad).await,
                (
                    500,
                    r#"{"message":"Internal Server Error"}"#.into(),
                    Some("application/json".into())
                ),
                "{bad}"
            );
        }
    }
}
